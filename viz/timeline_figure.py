"""Static figures for the docs (matplotlib, Agg backend).

``uv run python viz/timeline_figure.py [OUT.png]`` draws ``docs/timelines.png``: the therapy
timelines of the two arms (autologous and donor) from enrolment to the day-28
assessment, with the median blast burden and CAR T-cell count of a few runs of each.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.loader import load_scenario
from sim.parameters import Scenario
from sim.run import run_simulation
from viz.figure_style import save

ARMS = ("autologous", "donor")
ARM_COLOURS = {"autologous": "#1f77b4", "donor": "#d62728"}
PHASE_COLOURS = {
    "manufacturing": "#c7d7ea",
    "lymphodepletion": "#f2b55c",
    "alemtuzumab": "#f6dcaa",
    "follow-up": "#e3efd9",
}
ASSESSMENT_DAY = 28  # days after infusion (docs/model.md: remission at day 28)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "timelines.png"


def _typical_plan(scenario: Scenario) -> dict[str, float | None]:
    """The plan of a typical run: median manufacturing time, the set delays."""
    therapy, ld = scenario.therapy, scenario.lymphodepletion
    if therapy.arm == "donor":
        infusion = float(max(1, np.ceil(therapy.donor_delay_days)))
        manufacturing = None
    else:
        infusion = float(np.ceil(therapy.manufacturing_median_days))
        manufacturing = infusion
    ld_start = max(0.0, infusion - ld.days) if ld.enabled else None
    alem_end = infusion + ld.alemtuzumab_recovery_delay_days if ld.alemtuzumab else None
    return {
        "infusion": infusion,
        "manufacturing": manufacturing,
        "ld_start": ld_start,
        "alemtuzumab_end": alem_end,
        "assessment": infusion + ASSESSMENT_DAY,
    }


def _draw_timeline(ax: Axes, row: float, name: str, scenario: Scenario) -> None:
    """One arm's bar: phases as coloured spans, events as labelled ticks."""
    plan = _typical_plan(scenario)
    therapy = scenario.therapy
    infusion = float(plan["infusion"] or 0.0)
    height = 0.5
    y = row - height / 2
    if plan["manufacturing"] is not None:
        ax.broken_barh([(0, infusion)], (y, height), color=PHASE_COLOURS["manufacturing"], zorder=1)
        ax.text(
            infusion / 2,
            row,
            f"manufacturing\nmedian {therapy.manufacturing_median_days:g} d",
            ha="center",
            va="center",
            fontsize=8,
        )
        low, high = therapy.manufacturing_min_days, therapy.manufacturing_max_days
        ax.errorbar(
            infusion,
            row + 0.42,
            xerr=[[infusion - low], [high - infusion]],
            fmt="none",
            ecolor="#4a6fa5",
            capsize=3,
            lw=1,
        )
        ax.text(
            infusion,
            row + 0.55,
            f"infusion day: range {low:g}-{high:g} d; "
            f"fails in {100 * therapy.manufacturing_failure_prob:g}%",
            ha="left",
            va="bottom",
            fontsize=7,
            color="#4a6fa5",
        )
    else:
        ax.text(
            infusion,
            row + 0.5,
            f"off the shelf: infusion after {therapy.donor_delay_days:g} d; CD52 knocked out, TCR "
            f"in {100 * therapy.tcr_knockout_efficiency:g}% of cells",
            ha="left",
            va="bottom",
            fontsize=7,
            color="#7a1c1c",
        )
    if plan["alemtuzumab_end"] is not None:
        start = float(plan["ld_start"] or 0.0)
        ax.broken_barh(
            [(start, float(plan["alemtuzumab_end"]) - start)],
            (y - 0.12, 0.12),
            color=PHASE_COLOURS["alemtuzumab"],
            zorder=1,
        )
        ax.text(
            float(plan["alemtuzumab_end"]),
            y - 0.06,
            " host T-cells held down (alemtuzumab)",
            ha="left",
            va="center",
            fontsize=7,
        )
    if plan["ld_start"] is not None:
        ld_start = float(plan["ld_start"])
        ax.broken_barh(
            [(ld_start, infusion - ld_start)],
            (y, height),
            color=PHASE_COLOURS["lymphodepletion"],
            zorder=2,
        )
        label = "flu/cy + alemtuzumab" if scenario.lymphodepletion.alemtuzumab else "flu/cy"
        ax.text(ld_start, y - 0.08, label, ha="right", va="top", fontsize=7, color="#8a5a00")
    ax.broken_barh(
        [(infusion, ASSESSMENT_DAY)], (y, height), color=PHASE_COLOURS["follow-up"], zorder=1
    )
    events = [(0.0, "enrolment"), (infusion, "infusion"), (infusion + ASSESSMENT_DAY, "day 28")]
    for day, label in events:
        ax.plot([day, day], [y, y + height], color="black", lw=1.5, zorder=3)
        align = "right" if day == 0.0 else "center"
        if 0.0 < day < 10.0:  # too close to enrolment for a centred label
            align = "left"
        ax.text(day, y + height + 0.03, label, ha=align, va="bottom", fontsize=8)
    for day in therapy.bridging_days:
        if day < infusion:
            ax.plot(day, row, marker="v", color="black", zorder=4)
    ax.text(
        -2,
        row,
        name,
        ha="right",
        va="center",
        fontsize=10,
        weight="bold",
        color=ARM_COLOURS.get(therapy.arm, "black"),
    )


def _median_curves(
    name: str, seeds: Sequence[int], days: int, overrides: Sequence[str]
) -> pd.DataFrame:
    """Median (over seeds) blast % and CAR T-cell count by day from enrolment."""
    tables = []
    for seed in seeds:
        daily = run_simulation(load_scenario(name, overrides), seed, days).timeseries
        tables.append(daily[["day", "blast_pct", "car_t"]])
    stacked = pd.concat(tables)
    return stacked.groupby("day").median().reset_index()


def therapy_timelines_figure(
    path: str | Path = DEFAULT_OUT,
    runs: int = 8,
    days: int = 120,
    overrides: Sequence[str] = ("grid.width=50", "grid.height=50"),
) -> Path:
    """Draw the two therapy timelines (and, with ``runs`` > 0, median runs) into ``path``.

    Args:
        path: the PNG to write.
        runs: seeds per arm for the lower panels (0: timelines only).
        days: days simulated per run, from enrolment.
        overrides: ``--set`` overrides for those runs (a small grid keeps it quick).

    Returns:
        The path written.
    """
    path = Path(path)
    scenarios = {name: load_scenario(name) for name in ARMS}
    n_panels = 3 if runs > 0 else 1
    fig, axes = plt.subplots(
        n_panels,
        1,
        figsize=(11, 3.4 + 2.6 * (n_panels - 1)),
        sharex=True,
        gridspec_kw={"height_ratios": [1.3] + [1] * (n_panels - 1)},
        squeeze=False,
    )
    timeline = axes[0, 0]
    for row, name in zip((1.4, 0.0), ARMS, strict=True):
        _draw_timeline(timeline, row, name, scenarios[name])
    timeline.set_ylim(-0.75, 2.35)
    timeline.set_yticks([])
    timeline.set_title(
        "Therapy timelines: the patient's own cells (autologous) vs. donor cells (off the shelf)",
        fontsize=11,
    )
    for side in ("left", "right", "top"):
        timeline.spines[side].set_visible(False)
    if runs > 0:
        seeds = range(runs)
        for name in ARMS:
            curves = _median_curves(name, seeds, days, overrides)
            colour = ARM_COLOURS[name]
            axes[1, 0].plot(curves["day"], curves["blast_pct"], color=colour, label=name)
            axes[2, 0].plot(curves["day"], curves["car_t"], color=colour, label=name)
        axes[1, 0].axhline(5.0, color="grey", ls="--", lw=0.8)
        axes[1, 0].text(days, 5.5, "remission: < 5% ", ha="right", va="bottom", fontsize=7)
        axes[1, 0].set_ylabel("blasts, % of sites")
        axes[2, 0].set_ylabel("CAR T-cells (agents)")
        axes[1, 0].legend(loc="upper right", fontsize=8, frameon=False)
        grid_note = ", ".join(overrides) or "default grid"
        axes[1, 0].set_title(f"median of {runs} runs per arm ({grid_note})", fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("days from enrolment")
    axes[-1, 0].set_xlim(-16, days)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    save(fig, path, dpi=130)
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    print(therapy_timelines_figure(out))
