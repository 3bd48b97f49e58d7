"""The figure of the mean-field check (docs/validation/meanfield.png).

Agents' daily mean with its 95% band (well-mixed limit, many seeds) and the ODE's line,
for the untreated and the autologous check scenarios::

    uv run python viz/meanfield_figure.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from study.validation.meanfield import solve_mean_field
from study.validation.meanfield_check import (
    agent_runs,
    check_scenario,
    compare,
    daily_mean,
    infusion_transient,
)
from viz.figure_style import RC, new_figure, save

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "docs" / "validation" / "meanfield.png"
PANELS = {
    "untreated": {"width": 50, "days": 80, "counts": ("blasts", "b_cells")},
    "autologous": {
        "width": 40,
        "days": 60,
        "counts": ("blasts", "b_cells", "car_t", "car_t_memory"),
    },
}
COLOURS = {  # Okabe-Ito
    "blasts": "#D55E00",
    "b_cells": "#0072B2",
    "car_t": "#009E73",
    "car_t_memory": "#CC79A7",
}
LABELS = {
    "blasts": "blasts",
    "b_cells": "B-cells",
    "car_t": "CAR T-cells",
    "car_t_memory": "CAR T memory",
}


def draw(seeds: int, out: Path) -> None:
    """Run both check scenarios over ``seeds`` seeds, draw the figure, print the verdicts."""
    with plt.rc_context(RC):
        figure, axes = new_figure(width=15.0, height=6.5, ncols=2)
        for axis, (arm, setting) in zip(axes, PANELS.items(), strict=True):
            scenario = check_scenario(arm, width=setting["width"])
            runs = agent_runs(scenario, setting["days"], range(1, seeds + 1), progress=True)
            ode = solve_mean_field(scenario, setting["days"])
            means = daily_mean(runs, setting["counts"])
            for count in setting["counts"]:
                rows = means[means["count"] == count]
                colour = COLOURS[count]
                axis.fill_between(rows["day"], rows["low"], rows["high"], color=colour, alpha=0.3)
                axis.plot(rows["day"], rows["mean"], color=colour, lw=1.5, label=LABELS[count])
                axis.plot(ode["day"], ode[count], color="black", lw=1.2, ls="--")
            skip = infusion_transient(scenario)
            verdict = compare(runs, ode, skip_days=skip)
            print(f"{arm}: passed={verdict.passed}; worst: {verdict.worst().to_dict()}")
            sites = setting["width"] ** 2
            axis.set_title(f"{arm}: {setting['width']} x {setting['width']} sites, {seeds} runs")
            axis.set_xlabel("day from enrolment")
            axis.set_ylabel(f"cells (of {sites:,} sites)")
            axis.set_yscale("symlog", linthresh=10)
            axis.set_ylim(bottom=0)
            axis.plot([], [], color="black", lw=1.2, ls="--", label="ODE (mean field)")
            axis.legend(loc="best", fontsize=11)
        figure.suptitle("Well-mixed limit: agents' mean (95% band) and the ODE of the same rules")
        figure.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        save(figure, str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    draw(seeds=60, out=DEFAULT_OUT)
