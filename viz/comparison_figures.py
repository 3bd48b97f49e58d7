"""The report's figures (PNG): outcome shares, relapse-free survival, CAR T-cell
kinetics, safety, and the timing of infusion. Each function draws one figure from a
:class:`~study.analysis.comparison.Comparison` and returns nothing but the file."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from study.analysis.comparison import CRS_GRADES, Comparison
from viz.figure_style import RC, ArmStyle, arm_styles, new_figure, save

FIGURES = {
    "outcomes": "compare_outcomes.png",
    "relapse_free": "compare_relapse_free.png",
    "kinetics": "compare_kinetics.png",
    "safety": "compare_safety.png",
    "timing": "compare_timing.png",
}
OUTCOME_KEYS = (
    "remission_day28",
    "best_response",
    "mrd_negative_day28",
    "non_response",
    "relapse",
    "relapse_cd19_negative",
    "crs_severe",
    "gvhd",
    "manufacturing_failed",
)
SHORT_LABELS = {
    "remission_day28": "remission, day 28",
    "best_response": "remission within 3 months",
    "mrd_negative_day28": "MRD-negative, day 28",
    "non_response": "no response (of infused)",
    "relapse": "relapse (of remissions)",
    "relapse_cd19_negative": "CD19-negative (of relapses)",
    "crs_severe": "CRS grade 3-4 (of infused)",
    "gvhd": "GvHD (of infused)",
    "manufacturing_failed": "manufacturing failure",
}


def _legend_handles(styles: tuple[ArmStyle, ArmStyle]) -> list:
    return [
        plt.Line2D([], [], color=s.colour, linestyle=s.linestyle, marker=s.marker, label=s.name,
                   markersize=9)
        for s in styles
    ]  # fmt: skip


def draw_outcomes(comparison: Comparison, path: Path) -> None:
    """Shares of each yes/no outcome with 95 % Wilson intervals, one row per outcome."""
    styles = arm_styles(comparison.names)
    keys = [k for k in OUTCOME_KEYS if k in comparison.shares]
    figure, (ax,) = new_figure(12, 0.75 * len(keys) + 2.2)
    for arm, style in enumerate(styles):
        for row_index, key in enumerate(keys):
            row = comparison.shares[key]
            share = row.share(arm)
            if math.isnan(share):
                continue
            low, high = row.interval_a if arm == 0 else row.interval_b
            y = row_index + (-0.17 if arm == 0 else 0.17)
            ax.plot([100 * low, 100 * high], [y, y], color=style.colour,
                    linestyle=style.linestyle, linewidth=3)  # fmt: skip
            ax.plot(100 * share, y, marker=style.marker, color=style.colour, markersize=11,
                    linestyle="none")  # fmt: skip
    labels = SHORT_LABELS | comparison.words.short_labels
    ax.set_yticks(range(len(keys)), [labels[k] for k in keys])
    ax.invert_yaxis()
    ax.set_xlim(-2, 102)
    ax.set_xlabel("share of runs (%), with 95% confidence interval")
    ax.set_title("Outcomes, arm against arm")
    ax.grid(axis="y", visible=False)
    ax.legend(handles=_legend_handles(styles), loc="lower right", framealpha=0.9)
    save(figure, str(path))


def draw_relapse_free(comparison: Comparison, path: Path) -> None:
    """Kaplan-Meier curves of relapse-free survival after remission (a lymphoma's:
    progression-free after a response), 95 % bands, censoring ticks."""
    styles = arm_styles(comparison.names)
    words = comparison.words
    figure, (ax,) = new_figure(11, 6.5)
    survival = comparison.survival
    drawn = False
    for curve, style in zip((survival.curve_a, survival.curve_b), styles, strict=True):
        if curve is None:
            continue
        drawn = True
        followed = f"{curve.subjects} {words.responders}"
        label = f"{style.name} ({followed}, {curve.events} {words.relapsed})"
        ax.step(curve.times, 100 * curve.survival, where="post", color=style.colour,
                linestyle=style.linestyle, label=label)  # fmt: skip
        ax.fill_between(curve.times, 100 * curve.low, 100 * curve.high, step="post",
                        color=style.colour, alpha=0.15, hatch=style.hatch or None,
                        edgecolor=style.colour, linewidth=0)  # fmt: skip
        ticks = curve.censored_times
        ax.plot(ticks, [100 * curve.at(t) for t in ticks], marker="|", markersize=14,
                markeredgewidth=2, color=style.colour, linestyle="none")  # fmt: skip
    ax.set_ylim(-2, 102)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"days since {words.onset}")
    ax.set_ylabel(f"still free of {words.relapse} (%)")
    ax.set_title(f"{words.free.capitalize()} survival after {words.onset}")
    if drawn:
        handles, _ = ax.get_legend_handles_labels()
        censored = f"run ended without {words.relapse} (censored)"
        handles.append(plt.Line2D([], [], color="0.3", marker="|", markersize=14,
                                  markeredgewidth=2, linestyle="none", label=censored))  # fmt: skip
        handles.append(plt.Rectangle((0, 0), 1, 1, color="0.3", alpha=0.15, label="95% band"))
        ax.legend(handles=handles, loc="lower left", framealpha=0.9)
    else:
        ax.text(0.5, 0.5, f"{words.no_responses} in either arm", transform=ax.transAxes,
                ha="center")  # fmt: skip
    save(figure, str(path))


def draw_kinetics(comparison: Comparison, path: Path) -> None:
    """Median and interquartile band of CAR T-cells by day after infusion (log scale)."""
    styles = arm_styles(comparison.names)
    figure, (ax,) = new_figure(11, 6.5)
    for table, style in zip(comparison.kinetics, styles, strict=True):
        if table.empty:
            continue
        ax.fill_between(table["day"], table["q25"], table["q75"], color=style.colour,
                        alpha=0.18, hatch=style.hatch or None, edgecolor=style.colour,
                        linewidth=0)  # fmt: skip
        ax.plot(table["day"], table["median"], color=style.colour, linestyle=style.linestyle,
                label=f"{style.name}: median, band = middle half of runs")  # fmt: skip
    alive = [t.loc[t["q75"] > 0, "day"].max() for t in comparison.kinetics if not t.empty]
    alive = [day for day in alive if day == day]  # drop nan (no CAR T-cells at all)
    if alive:
        ax.set_xlim(right=1.15 * max(alive) + 5)  # the all-zero tail says nothing more
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.set_xlabel("days after infusion")
    ax.set_ylabel("CAR T-cells on the grid (cells, log scale)")
    ax.set_title("CAR T-cell expansion, contraction and persistence")
    ax.legend(loc="upper right", framealpha=0.9)
    save(figure, str(path))


def _boxes(ax: Axes, comparison: Comparison, key: str, styles: tuple[ArmStyle, ArmStyle]) -> None:
    """Box plots of a per-run number, every run as a dot, paired runs joined by lines."""
    columns = [comparison.arms.a.outcomes[key], comparison.arms.b.outcomes[key]]
    points = []
    for arm, column in enumerate(columns):
        kept = {int(k): float(v) for k, v in column.items() if v is not None}
        jitter = np.random.default_rng(arm).uniform(-0.12, 0.12, len(column))
        points.append(
            {k: (arm + jitter[i], kept[k]) for i, k in enumerate(column.index) if k in kept}
        )
    if comparison.arms.paired:
        for k in comparison.arms.common_replicates:
            if k in points[0] and k in points[1]:
                (xa, ya), (xb, yb) = points[0][k], points[1][k]
                ax.plot([xa, xb], [ya, yb], color="0.6", linewidth=0.8, zorder=1)
    for arm, style in enumerate(styles):
        if not points[arm]:
            continue
        xs, ys = zip(*points[arm].values(), strict=True)
        box = ax.boxplot(ys, positions=[arm], widths=0.45, patch_artist=True,
                         showfliers=False)  # fmt: skip
        for patch in box["boxes"]:
            patch.set(facecolor=style.colour, alpha=0.25, hatch=style.hatch, edgecolor=style.colour)
        for part in ("medians", "whiskers", "caps"):
            for line in box[part]:
                line.set(color=style.colour, linewidth=2.5)
        ax.plot(xs, ys, marker=style.marker, color=style.colour, linestyle="none",
                markersize=6, alpha=0.8, zorder=3)  # fmt: skip
    ax.set_xticks([0, 1], list(comparison.names))
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(bottom=0)
    ax.grid(axis="x", visible=False)


def draw_safety(comparison: Comparison, path: Path) -> None:
    """CRS grade distribution (share of infused runs per grade) and days of B-cell
    aplasia."""
    styles = arm_styles(comparison.names)
    figure, (left, right) = new_figure(15, 6.5, ncols=2)
    width = 0.38
    highest = 0.0
    for arm, style in enumerate(styles):
        counts = np.asarray(comparison.crs_distribution[arm], dtype=float)
        total = counts.sum()
        shares = 100 * counts / total if total else counts
        highest = max(highest, float(shares.max(initial=0.0)))
        x = np.asarray(CRS_GRADES) + (arm - 0.5) * width
        left.bar(x, shares, width, color=style.colour, alpha=0.85 if arm == 0 else 0.6,
                 hatch=style.hatch, edgecolor="white" if arm == 0 else style.colour,
                 label=f"{style.name} ({int(total)} infused)")  # fmt: skip
    left.set_xticks(CRS_GRADES, [str(g) for g in CRS_GRADES])
    left.set_xlabel("highest CRS grade (0 = none)")
    left.set_ylabel("share of infused runs (%)")
    left.set_title("Cytokine-release syndrome")
    left.set_ylim(0, highest * 1.3 + 1)  # headroom: the legend sits above the bars
    left.legend(loc="upper center", ncol=2, framealpha=0.9)
    left.grid(axis="x", visible=False)
    _boxes(right, comparison, "b_cell_aplasia_days", styles)
    right.set_ylabel("days of B-cell aplasia")
    right.set_title("B-cell aplasia (B-cells < 10% of start)")
    figure.tight_layout()
    save(figure, str(path))


def draw_timing(comparison: Comparison, path: Path) -> None:
    """Days from enrolment to infusion, and the disease burden at infusion, per run."""
    styles = arm_styles(comparison.names)
    figure, (left, right) = new_figure(15, 6.5, ncols=2)
    _boxes(left, comparison, "days_to_infusion", styles)
    left.set_ylabel("days from enrolment to infusion")
    left.set_title("Time to infusion")
    _boxes(right, comparison, "blast_pct_at_infusion", styles)
    right.set_ylabel(comparison.words.burden_axis)
    right.set_title(comparison.words.burden_title)
    if comparison.arms.paired:
        joined = plt.Line2D([], [], color="0.6", label="grey lines join the two arms' runs "
                            "on the same seed")  # fmt: skip
        figure.legend(handles=[joined],
                      loc="lower center", frameon=False, fontsize=13)  # fmt: skip
        figure.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        figure.tight_layout()
    save(figure, str(path))


def draw_all(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    """Draw every figure into ``out_dir``; returns name -> file."""
    drawers = {
        "outcomes": draw_outcomes,
        "relapse_free": draw_relapse_free,
        "kinetics": draw_kinetics,
        "safety": draw_safety,
        "timing": draw_timing,
    }
    paths = {}
    with plt.rc_context(RC):
        for name, draw in drawers.items():
            paths[name] = out_dir / FIGURES[name]
            draw(comparison, paths[name])
    return paths
