"""The ``animate`` command: open the live view, or render a screenshot or a video headless.

``uv run main.py`` runs it on ``classroom``. With no display it prints one line that
points to ``run``, ``--screenshot`` and ``--record`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.commands.options import add_override_option, positive_int, seed
from sim.errors import UserInputError

NO_DISPLAY = (
    "cartsim: error: no display to show the live view on; use `run` for a headless run, "
    "or `animate --screenshot FILE.png` / `animate --record FILE.mp4 --frames N`"
)
EXIT_NO_DISPLAY = 2
DEFAULT_SCENARIO = "classroom"


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}"
        ) from None
    if not sep or not (640 <= size[0] <= 7680 and 360 <= size[1] <= 4320):
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT from 640x360 to 7680x4320, got {text!r}"
        )
    return size


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``animate`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "animate",
        help="the live teaching view (the default command)",
        description="Open the live view of a scenario, or two side by side (same seed, in "
        "step). Press H in the window for every key.",
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"one or two scenario names or .toml files (default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument("--seed", type=seed, default=1, help="random seed (default: 1)")
    add_override_option(parser)
    parser.add_argument("--fullscreen", action="store_true", help="open fullscreen")
    parser.add_argument(
        "--projector", action="store_true", help="light theme with larger text, for a projector"
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=(1280, 720),
        metavar="WxH",
        help="window size in px (default: 1280x720)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render one frame headless, save it and exit",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE.mp4|FILE.gif",
        help="render --frames frames headless (playing) into a video and exit",
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=300,
        help="frames to record (default: 300, 10 s at 30 frames a second)",
    )
    parser.add_argument(
        "--at-day",
        type=float,
        default=None,
        metavar="DAY",
        help="with --screenshot or --record: first run to this day",
    )
    parser.add_argument(
        "--speed",
        type=int,
        default=None,
        metavar="HOURS",
        help="simulated hours per second of playback (3 to 384)",
    )
    parser.set_defaults(func=command_animate)


def command_animate(args: argparse.Namespace) -> int:
    """Run ``animate``; bad input raises :class:`UserInputError`."""
    from viz.live.app import LiveConfig

    names = list(args.scenarios) or [DEFAULT_SCENARIO]
    if len(names) > 2:
        raise UserInputError(f"animate: at most two scenarios side by side, got {len(names)}")
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UserInputError(f"--screenshot {args.screenshot}: the file must end in .png")
    for path in (args.screenshot, args.record):
        if path is not None and not path.resolve().parent.exists():
            raise UserInputError(f"{path}: the folder {path.parent} does not exist")
    if args.record is not None:
        from viz.live.recording import check_video_path

        check_video_path(args.record)
    from sim.loader import load_scenario

    for name in names:  # bad input is reported before any window opens
        load_scenario(name, list(args.overrides))
    config = LiveConfig(
        scenarios=names,
        seed=args.seed,
        overrides=list(args.overrides),
        projector=args.projector,
        fullscreen=args.fullscreen and not args.screenshot,
        size=args.size,
    )
    headless = args.screenshot is not None or args.record is not None
    return run_live(config, headless, args)


def run_live(config: object, headless: bool, args: argparse.Namespace) -> int:
    """Open the window (or the dummy one when headless) and run."""
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
        if args.speed is not None:
            set_speed(app, args.speed)
        if headless:
            return render_headless(app, args)
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
    from viz.live.controls import SPEEDS_HOURS_PER_SECOND

    nearest = min(SPEEDS_HOURS_PER_SECOND, key=lambda s: abs(s - hours_per_second))
    app.speed_index = SPEEDS_HOURS_PER_SECOND.index(nearest)  # type: ignore[attr-defined]


def render_headless(app: object, args: argparse.Namespace) -> int:
    """``--screenshot`` or ``--record``: run to ``--at-day``, render, save, exit."""
    from viz.live.recording import VideoWriter

    if args.at_day is not None:
        steps = round(args.at_day * app.arms[0].model.steps_per_day)  # type: ignore[attr-defined]
        while app.arms[0].step_count < steps:  # type: ignore[attr-defined]
            app._advance(1)  # type: ignore[attr-defined]
    if args.record is None:
        for grid in app.grids:  # type: ignore[attr-defined]
            grid.clear_marks()  # a still reads better without the last hours' kill marks
    app.frame(1 / 30)  # type: ignore[attr-defined]
    if args.screenshot is not None:
        app.screenshot(args.screenshot)  # type: ignore[attr-defined]
        print(f"wrote {args.screenshot}")
    if args.record is not None:
        writer = VideoWriter(args.record)
        app.playing = True  # type: ignore[attr-defined]
        from tqdm import tqdm

        for _ in tqdm(range(args.frames), desc="recording", unit="frame", leave=False):
            app.frame(1 / 30)  # type: ignore[attr-defined]
            writer.add(app.screen, block=True)  # type: ignore[attr-defined]
        writer.close()
        print(f"wrote {args.record} ({args.frames} frames)")
    return 0
