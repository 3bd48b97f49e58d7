"""Milliseconds per frame of the live view: one model step plus one full redraw (grid,
plot, panels, widgets), headless (SDL dummy driver, no display flip cost).

``uv run python benchmarks/frame.py [--frames N]`` prints JSON with the median and 95th
percentile for ``classroom`` and for ``autologous`` beside ``donor``, measured from the
opening frame (a few days before the infusion) through the CAR T-cell expansion.
Goals: median <= 16.7 ms (60 frames a second) for classroom, <= 33 ms side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame

from viz.live.app import LiveApp, LiveConfig

GOALS_MS = {"classroom": 16.7, "autologous+donor": 33.0}


def measure(names: list[str], frames: int, warmup: int = 20) -> dict[str, float | int]:
    """Median and p95 ms of ``frames`` frames, each one step of every arm and a redraw."""
    app = LiveApp(LiveConfig(scenarios=names))
    app.grids[0].show_cytokine = False
    start_day = app.arms[0].latest.day
    times = []
    for index in range(warmup + frames):
        started = time.perf_counter()
        app._advance(1)
        app.frame(1 / 60)
        if index >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    values = np.array(times)
    return {
        "frames": frames,
        "start_day": round(start_day, 2),
        "end_day": round(app.arms[0].latest.day, 2),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
    }


def main() -> None:
    """Measure both views and print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=400, help="frames measured per view")
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    result = {}
    for label, names in (
        ("classroom", ["classroom"]),
        ("autologous+donor", ["autologous", "donor"]),
    ):
        entry = measure(names, args.frames)
        entry["goal_median_ms"] = GOALS_MS[label]
        entry["meets_goal"] = entry["median_ms"] <= GOALS_MS[label]
        result[label] = entry
    pygame.quit()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
