"""Milliseconds per frame of the live view at its busiest: one model step of every arm plus
one full redraw (grid with the cytokine overlay and the kill marks, plot, panels, widgets)
and the display flip, in a real window.

``uv run python benchmarks/frame.py [--frames N] [--size WxH] [--display auto|x11|dummy]
[--engine reference|compiled|both]`` prints JSON with the median and 95th percentile per
case and engine, and the flip's share; with ``both`` (the default) each case runs on the
reference and the compiled engine one after the other in the same process (the same
frames: the engines give the same runs) and ``ratio_reference_over_compiled`` divides
their medians (above 1: the compiled engine's frames are faster). Each case
starts half a day before the day with the most kills in its run (found by a headless run
of the same scenario and seed), and its frames (one step, an hour, each) go on through
the CAR T-cell peak: the grid changes most and the marks are densest.

- ``classroom``, ``autologous``, ``donor``: one arm at its own peak;
- ``side_by_side@autologous_peak`` and ``side_by_side@donor_peak``: autologous beside
  donor (the same patient) at each arm's peak.

``--display auto`` uses the display named by ``DISPLAY`` if there is one, else starts
Xvfb (an X server in memory: real X11 drawing and flips, no GPU) if it is installed, else
falls back to the SDL dummy driver (no flip cost) and says so in the JSON. Goal: median
under 16 ms (60 frames a second) at every peak on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from commands.animate import _size  # the same WxH check as animate

GOAL_MS = 16.0
SEED = 1
CASES = {
    "classroom": (["classroom"], "classroom"),
    "autologous": (["autologous"], "autologous"),
    "donor": (["donor"], "donor"),
    "side_by_side@autologous_peak": (["autologous", "donor"], "autologous"),
    "side_by_side@donor_peak": (["autologous", "donor"], "donor"),
}
"""Case -> (the arms shown, the arm whose peak it starts at)."""


def busiest_day(name: str, population: str) -> float:
    """The day (from enrolment) with the most kills by CAR T-cells in the run of ``name``
    at :data:`SEED`, with the patients of ``population`` (as side by side). The expansion
    is under way then and the CAR T-cell peak follows within the measured days."""
    from sim.loader import load_scenario
    from sim.population import shared_population
    from sim.run import run_simulation

    shared = shared_population(load_scenario(population))
    scenario = load_scenario(name, shared)
    daily = run_simulation(scenario, SEED, scenario.time.days).timeseries
    kills = daily["kills_by_car_t"].diff().fillna(0.0)
    if kills.max() <= 0:
        return float(scenario.time.days) / 2
    return float(daily["day"].iloc[int(kills.to_numpy().argmax())])


def measure(
    names: list[str], start_day: float, frames: int, size: tuple[int, int], engine: str
) -> dict:
    """Median and p95 ms of ``frames`` frames from ``start_day`` on ``engine``, overlays
    on."""
    import numpy as np
    import pygame

    from viz.live.app import LiveApp, LiveConfig

    app = LiveApp(LiveConfig(scenarios=names, seed=SEED, size=size, engine=engine))
    steps = round(start_day * app.arms[0].model.steps_per_day)
    while app.arms[0].step_count < steps:
        for arm in app.arms:
            arm.step()
    app._advance(1)
    for grid in app.grids:
        grid.show_cytokine = True
    times, flips, marks = [], [], []
    flip = pygame.display.flip
    flip_ms = [0.0]

    def timed_flip() -> None:
        started = time.perf_counter()
        flip()
        flip_ms[0] = (time.perf_counter() - started) * 1000

    pygame.display.flip = timed_flip
    try:
        for index in range(frames + 10):
            started = time.perf_counter()
            app._advance(1)
            app.frame(1 / 60)
            if index >= 10:  # the first frames build caches
                times.append((time.perf_counter() - started) * 1000)
                flips.append(flip_ms[0])
                marks.append(sum(len(grid.marks) for grid in app.grids))
    finally:
        pygame.display.flip = flip
    return {
        "frames": frames,
        "from_day": round(start_day, 2),
        "to_day": round(app.arms[0].latest.day, 2),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(float(np.percentile(np.array(times), 95)), 2),
        "median_flip_ms": round(statistics.median(flips), 2),
        "median_without_flip_ms": round(
            statistics.median(t - f for t, f in zip(times, flips, strict=True)), 2
        ),
        "median_marks_alive": statistics.median(marks),
        "meets_goal": statistics.median(times) < GOAL_MS,
    }


@contextmanager
def display(choice: str, size: tuple[int, int]) -> Iterator[str]:
    """Set up the display asked for; yields what was used."""
    if choice == "dummy" or (
        choice == "auto" and not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None
    ):
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        yield "dummy (no display, no Xvfb: flips cost nothing)"
        return
    if os.environ.get("DISPLAY"):
        os.environ["SDL_VIDEODRIVER"] = "x11"
        yield f"x11 on DISPLAY={os.environ['DISPLAY']}"
        return
    before = {key: os.environ.get(key) for key in ("DISPLAY", "SDL_VIDEODRIVER")}
    read_end, write_end = os.pipe()
    server = subprocess.Popen(  # -displayfd: Xvfb picks a free display and writes it
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{size[0]}x{size[1]}x24",
            "-nolisten",
            "tcp",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        number = answer.readline().strip()
    try:
        os.environ["DISPLAY"] = f":{number}"
        os.environ["SDL_VIDEODRIVER"] = "x11"
        yield f"x11 on Xvfb :{number} (software X server)"
    finally:
        server.terminate()
        server.wait()
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> None:
    """Measure every case and print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames measured per case")
    parser.add_argument(
        "--size", type=_size, default=(1920, 1080), help="window size (default 1920x1080)"
    )
    parser.add_argument("--display", choices=("auto", "x11", "dummy"), default="auto")
    parser.add_argument("--case", choices=tuple(CASES), action="append", help="only these")
    parser.add_argument(
        "--engine",
        choices=("reference", "compiled", "both"),
        default="both",
        help="the engine stepping the view (default: both, one after the other)",
    )
    args = parser.parse_args()
    engines = ["reference", "compiled"] if args.engine == "both" else [args.engine]
    if "compiled" in engines:
        from benchmarks.engine import warm_up

        warm_up()  # compile (or load) the kernels before any frame is timed
    size: tuple[int, int] = args.size
    from tqdm import tqdm

    cases = args.case or list(CASES)
    peaks = {}
    for label in tqdm(cases, desc="finding the peaks", unit="case", leave=False):
        names, arm = CASES[label]
        peaks[label] = busiest_day(arm, names[0])
    with display(args.display, size) as used:  # type: ignore[arg-type]
        import pygame

        result: dict = {"display": used, "size": f"{size[0]}x{size[1]}", "goal_median_ms": GOAL_MS}
        pygame.display.init()  # once: X11 refused a third init after a quit (pygame-ce 2.5)
        pygame.font.init()
        for label in tqdm(cases, desc="measuring", unit="case", leave=False):
            names, _ = CASES[label]
            by_engine = {}
            for engine in engines:
                by_engine[engine] = measure(names, peaks[label] - 0.5, args.frames, size, engine)  # type: ignore[arg-type]
            if len(engines) == 2:
                by_engine["ratio_reference_over_compiled"] = round(
                    by_engine["reference"]["median_ms"] / by_engine["compiled"]["median_ms"], 2
                )
            result[label] = by_engine
        pygame.quit()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
