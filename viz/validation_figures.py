"""The figures of ``validate``: CAR T-cell kinetics beside the Stein 2019 curve, the
shares beside the trial values, untreated growth with its fitted doubling time, and
B-cell aplasia over time. Each takes the validation tables and writes one PNG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from study.analysis import daily_quantiles
from study.validation.evaluation import Result, Tables
from study.validation.measures import APLASIA_SHARE, GROWTH_FIT_MAX_BLAST_PCT, after_infusion
from viz.figure_style import RC, new_figure, save

# Stein et al. 2019, tisagenlecleucel in B-ALL: the population curve's shape
STEIN_PEAK_DAY = 9.3
STEIN_DOUBLING_HOURS = 19.0
STEIN_CONTRACTION_HALF_LIFE_DAYS = 4.3
STEIN_SLOW_SHARE = 0.008  # the slow phase starts at 0.8% of the peak
STEIN_SLOW_HALF_LIFE_DAYS = 217.0
BLUE, ORANGE, GREY = "#0072B2", "#D55E00", "#555555"


def stein_curve(days: np.ndarray, peak: float) -> np.ndarray:
    """The Stein 2019 kinetics scaled to ``peak``: a rise doubling every 19 h to the peak
    on day 9.3, then a biexponential fall (half-life 4.3 d, and a slow phase of 0.8% of
    the peak with half-life 217 d)."""
    rise = peak * 2.0 ** ((days - STEIN_PEAK_DAY) * 24.0 / STEIN_DOUBLING_HOURS)
    since = days - STEIN_PEAK_DAY
    fast = (1 - STEIN_SLOW_SHARE) * 0.5 ** (since / STEIN_CONTRACTION_HALF_LIFE_DAYS)
    slow = STEIN_SLOW_SHARE * 0.5 ** (since / STEIN_SLOW_HALF_LIFE_DAYS)
    return np.where(days <= STEIN_PEAK_DAY, rise, peak * (fast + slow))


def kinetics_figure(tables: Tables, path: Path, scenario: str) -> None:
    """CAR T-cells by day after infusion: median and IQR band (log scale) and the Stein
    curve scaled to the same peak."""
    table = after_infusion(tables.runs, tables.series)
    with _rc():
        figure, (axis,) = new_figure()
        if not table.empty:
            quant = daily_quantiles(table, "car_t", run="run_id", day="day_after")
            days = quant["day_after"].to_numpy()
            axis.fill_between(
                days,
                quant["q25"].clip(lower=0.5),
                quant["q75"].clip(lower=0.5),
                color=BLUE,
                alpha=0.25,
                label="interquartile range",
            )
            axis.plot(
                days,
                quant["median"].clip(lower=0.5),
                color=BLUE,
                label=f"median of {table['run_id'].nunique()} infused runs",
            )
            peak = float(quant["median"].max())
            smooth = np.linspace(0, days.max(), 400)
            axis.plot(
                smooth,
                stein_curve(smooth, peak),
                color=ORANGE,
                linestyle="--",
                label="Stein 2019 shape, same peak",
            )
        axis.set_yscale("log")
        axis.set_xlabel("days after infusion")
        axis.set_ylabel("CAR T-cells on the grid")
        axis.set_title(f"CAR T-cell kinetics ({scenario})")
        if not table.empty:
            axis.legend(loc="upper right")
        save(figure, str(path))


def shares_figure(results: Sequence[Result], path: Path) -> None:
    """Each share target: the simulated % with its 95% interval beside the trial value
    and the tolerance band."""
    shown = [r for r in results if r.target.unit == "%"]
    with _rc():
        figure, (axis,) = new_figure(height=1.0 + 0.8 * max(1, len(shown)))
        for row, result in enumerate(reversed(shown)):
            target, m = result.target, result.measured
            low = target.tolerance_low if target.tolerance_low is not None else 0.0
            high = target.tolerance_high if target.tolerance_high is not None else 100.0
            axis.barh(row, high - low, left=low, height=0.6, color="#009E73", alpha=0.2)
            for value in target.target:
                axis.plot(value, row, marker="D", color=ORANGE, markersize=9, linestyle="")
            if not math.isnan(m.value):
                err = [[m.value - m.low], [m.high - m.value]] if not math.isnan(m.low) else None
                axis.errorbar(
                    m.value, row, xerr=err, marker="o", color=BLUE, capsize=5, markersize=8
                )
        axis.set_yticks(range(len(shown)))
        axis.set_yticklabels([f"{r.target.id} ({r.status})" for r in reversed(shown)])
        axis.set_xlim(-2, 102)
        axis.set_xlabel("% (simulated: blue, 95% CI; trial: orange diamond; band: tolerance)")
        axis.set_title("Remission and safety shares against the trials")
        save(figure, str(path))


def growth_figure(tables: Tables, path: Path, doubling_days: float, scenario: str) -> None:
    """Untreated blasts (median, IQR, log scale) with the fitted doubling time."""
    with _rc():
        figure, (axis,) = new_figure()
        quant = daily_quantiles(tables.series, "blasts", run="run_id")
        days = quant["day"].to_numpy()
        axis.fill_between(
            days, quant["q25"], quant["q75"], color=BLUE, alpha=0.25, label="interquartile range"
        )
        axis.plot(days, quant["median"], color=BLUE, label="median blasts")
        if math.isfinite(doubling_days) and doubling_days > 0:
            start = float(quant["median"].iloc[0])
            fitted = start * 2.0 ** (days / doubling_days)
            limit = GROWTH_FIT_MAX_BLAST_PCT / 100 * _sites(tables)
            keep = fitted <= 1.5 * limit
            axis.plot(
                days[keep],
                fitted[keep],
                color=ORANGE,
                linestyle="--",
                label=f"fitted doubling {doubling_days:.1f} d",
            )
        axis.set_yscale("log")
        axis.set_xlabel("days from enrolment")
        axis.set_ylabel("blasts on the grid")
        axis.set_title(f"Untreated growth ({scenario})")
        axis.legend(loc="lower right")
        save(figure, str(path))


def aplasia_figure(tables: Tables, path: Path, scenario: str) -> None:
    """B-cells as % of their day-0 count by day after infusion (median, IQR), and the
    share of runs in aplasia (< 10%)."""
    table = after_infusion(tables.runs, tables.series)
    with _rc():
        figure, (axis,) = new_figure()
        if not table.empty:
            start = tables.series[tables.series["day"] == 0].set_index("run_id")["b_cells"]
            table["b_pct"] = 100.0 * table["b_cells"] / table["run_id"].map(start).clip(lower=1)
            quant = daily_quantiles(table, "b_pct", run="run_id", day="day_after")
            days = quant["day_after"].to_numpy()
            axis.fill_between(
                days,
                quant["q25"],
                quant["q75"],
                color=BLUE,
                alpha=0.25,
                label="interquartile range",
            )
            axis.plot(days, quant["median"], color=BLUE, label="median B-cells")
            in_aplasia = table.groupby("day_after")["b_pct"].apply(
                lambda v: 100.0 * float((v < 100 * APLASIA_SHARE).mean())
            )
            axis.plot(
                in_aplasia.index,
                in_aplasia.to_numpy(),
                color=ORANGE,
                linestyle=":",
                label="% of runs in aplasia",
            )
        axis.axhline(
            100 * APLASIA_SHARE, color=GREY, linestyle="--", label="aplasia line (10% of day 0)"
        )
        axis.set_ylim(0, 110)
        axis.set_xlabel("days after infusion")
        axis.set_ylabel("% (of day-0 B-cells; of runs)")
        axis.set_title(f"B-cell aplasia ({scenario})")
        axis.legend(loc="upper right")
        save(figure, str(path))


def _sites(tables: Tables) -> float:
    first = tables.series[tables.series["day"] == 0].iloc[0]
    return float(first["blasts"] / max(first["blast_pct"], 1e-9) * 100.0)


def _rc():
    import matplotlib.pyplot as plt

    return plt.rc_context(RC)


def all_figures(results: Sequence[Result], tables: dict[str, Tables], out_dir: Path) -> list[Path]:
    """Every figure the tables allow, into ``out_dir``; returns their paths."""
    paths = []
    if "autologous" in tables:
        paths.append(out_dir / "kinetics.png")
        kinetics_figure(tables["autologous"], paths[-1], "autologous")
        paths.append(out_dir / "b_cell_aplasia.png")
        aplasia_figure(tables["autologous"], paths[-1], "autologous")
    paths.append(out_dir / "shares.png")
    shares_figure(results, paths[-1])
    growth = [r for r in results if r.target.measure_kind == "growth"]
    if growth and growth[0].target.scenarios[0] in tables:
        name = growth[0].target.scenarios[0]
        paths.append(out_dir / "growth.png")
        growth_figure(tables[name], paths[-1], growth[0].measured.value, name)
    return paths


__all__ = ["all_figures", "stein_curve"]
