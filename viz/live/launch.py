"""Open the live view in a window, or render it headless (``--screenshot``, ``--record``).

Called by the ``animate`` command (:mod:`commands.animate`) once its input is checked.
With no display it prints one line that points to ``run``, ``--screenshot`` and
``--record`` and returns status 2.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from viz.live.speeds import SPEEDS_HOURS_PER_SECOND, nearest_speed

NO_DISPLAY = (
    "cartsim: error: no display to show the live view on; use `run` for a headless run, "
    "or `animate --screenshot FILE.png` / `animate --record FILE.mp4 --frames N`"
)
EXIT_NO_DISPLAY = 2


@dataclass(frozen=True)
class Capture:
    """What a headless ``animate`` writes: a screenshot, a video of ``frames`` frames, or
    both, after running to ``at_day`` (days from enrolment; None: the first frame)."""

    screenshot: Path | None = None
    record: Path | None = None
    frames: int = 0
    at_day: float | None = None


def run_live(config: object, capture: Capture | None = None, speed: int | None = None) -> int:
    """Open the window and run (or, with ``capture``, the dummy one, and write it).

    ``speed``: simulated hours per second of playback, rounded to the nearest step."""
    headless = capture is not None
    requested = os.environ.get("SDL_VIDEODRIVER")
    if not headless and requested is None and not _display_named():
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_NO_DISPLAY
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from viz.live.app import LiveApp

    try:
        pygame.display.init()
        pygame.font.init()
    except pygame.error:
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_NO_DISPLAY
    try:
        app = LiveApp(config)  # type: ignore[arg-type]
    except pygame.error:
        pygame.quit()
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_NO_DISPLAY
    driver = pygame.display.get_driver()
    if not headless and (driver == "offscreen" or (driver == "dummy" and requested != "dummy")):
        pygame.quit()
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_NO_DISPLAY
    try:
        if speed is not None:
            set_speed(app, speed)
        if capture is not None:
            return render_headless(app, capture)
        return app.run()
    finally:
        pygame.quit()
        if headless:
            if requested is None:
                os.environ.pop("SDL_VIDEODRIVER", None)
            else:
                os.environ["SDL_VIDEODRIVER"] = requested


def _display_named() -> bool:
    """Whether a display could exist: not Linux, or X11 or Wayland named in the environment."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def set_speed(app: object, hours_per_second: int) -> None:
    """Pick the nearest speed step to ``hours_per_second``."""
    app.speed_index = SPEEDS_HOURS_PER_SECOND.index(nearest_speed(hours_per_second))  # type: ignore[attr-defined]


def render_headless(app: object, capture: Capture) -> int:
    """``--screenshot`` or ``--record``: run to ``--at-day``, render, save, exit."""
    from viz.live.recording import FPS, VideoWriter, discarding_on_interrupt, save_screenshot

    if capture.at_day is not None:
        steps = round(capture.at_day * app.arms[0].model.steps_per_day)  # type: ignore[attr-defined]
        while app.arms[0].step_count < steps:  # type: ignore[attr-defined]
            app._advance(1)  # type: ignore[attr-defined]
    if capture.record is None:
        for grid in app.grids:  # type: ignore[attr-defined]
            grid.clear_marks()  # a still reads better without the last hours' kill marks
    app.frame(1 / FPS)  # type: ignore[attr-defined]
    if capture.screenshot is not None:
        save_screenshot(app.screen, capture.screenshot)  # type: ignore[attr-defined]
        print(f"wrote {capture.screenshot}")
    if capture.record is not None:
        writer = VideoWriter(capture.record)
        app.playing = True  # type: ignore[attr-defined]
        app.step_budget_seconds = None  # type: ignore[attr-defined]  # the video's own clock
        from tqdm import tqdm

        with discarding_on_interrupt(lambda: writer):
            for _ in tqdm(range(capture.frames), desc="recording", unit="frame", leave=False):
                app.frame(1 / writer.fps)  # type: ignore[attr-defined]  # plays in real time
                writer.add(app.screen, block=True)  # type: ignore[attr-defined]
        writer.close()
        print(f"wrote {capture.record} ({capture.frames} frames)")
    return 0
