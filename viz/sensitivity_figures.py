"""The sensitivity figure: Morris mu*-sigma planes, or Sobol' S1/ST bars, one panel per output.

Parameters are numbered (the last panel is the key), so labels stay short on a crowded
plane; an index indistinguishable from the replicate noise is drawn hollow (Morris) or
hatched light (Sobol'), and the noise itself is drawn (a grey band below the Morris noise
floor, a dashed line at the noise's share of the variance for Sobol').
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from study.sensitivity import Design, OutputIndices
from viz.figure_style import save

FIGURE_FILE = "sensitivity.png"
DPI = 130
BLUE, VERMILLION, GREY = "#0072B2", "#D55E00", "#999999"  # Okabe-Ito


def draw_sensitivity(design: Design, results: Sequence[OutputIndices], out_dir: Path) -> Path:
    """Draw the figure of ``results`` into ``out_dir/sensitivity.png``; return its path."""
    panels = len(results) + 1
    columns = 3
    rows = math.ceil(panels / columns)
    with plt.rc_context({"font.size": 11, "axes.spines.top": False, "axes.spines.right": False}):
        figure, axes = plt.subplots(
            rows, columns, figsize=(5.2 * columns, 4.4 * rows), squeeze=False
        )
        flat = list(axes.flat)
        for axis, result in zip(flat, results, strict=False):
            if result.indices is None or result.note:
                _empty(axis, result)
            elif design.method == "morris":
                _morris_panel(axis, result)
            else:
                _sobol_panel(axis, result, design)
        _key_panel(flat[len(results)], design)
        for axis in flat[len(results) + 1 :]:
            axis.set_visible(False)
        title = "Morris screening" if design.method == "morris" else "Sobol' indices"
        figure.suptitle(
            f"{title} of {design.scenario}: which parameters move each outcome", fontsize=14
        )
        figure.tight_layout()
        path = out_dir / FIGURE_FILE
        save(figure, path, dpi=DPI)
    return path


def _title(axis: Axes, result: OutputIndices) -> None:
    shown = (
        result.output
        if result.column in (None, result.output)
        else f"{result.output} ({result.column})"
    )
    axis.set_title(shown, fontsize=12)


def _empty(axis: Axes, result: OutputIndices) -> None:
    _title(axis, result)
    text = textwrap.fill(result.note or "no indices", width=34)
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes)
    axis.set_axis_off()


def _morris_panel(axis: Axes, result: OutputIndices) -> None:
    frame = result.indices
    assert frame is not None
    _title(axis, result)
    mu_star = frame["mu_star"].to_numpy(dtype=float)
    sigma = frame["sigma"].to_numpy(dtype=float)
    conf = np.nan_to_num(frame["mu_star_conf"].to_numpy(dtype=float))
    right = float(np.nanmax(mu_star + conf)) if len(frame) else 1.0
    right = right * 1.15 if right > 0 else 1.0
    if result.noise_floor is not None:
        axis.axvspan(0, result.noise_floor, color=GREY, alpha=0.25, lw=0, label="replicate noise")
    top = float(np.nanmax(sigma)) * 1.15 if np.nanmax(sigma) > 0 else 1.0
    axis.plot([0, right], [0, right], ls=":", color=GREY, lw=1, label="sigma = mu*")
    for number, (m, s, c, above) in enumerate(
        zip(mu_star, sigma, conf, frame["above_noise"], strict=True), 1
    ):
        hollow = above is False
        axis.errorbar(
            m,
            s,
            xerr=c,
            fmt="o",
            ms=7,
            capsize=3,
            color=BLUE,
            mfc="white" if hollow else BLUE,
            mec=BLUE,
        )
        axis.annotate(str(number), (m, s), xytext=(5, 4), textcoords="offset points", fontsize=10)
    axis.set_xlim(0, right)
    axis.set_ylim(0, max(top, 1e-12))
    axis.set_xlabel("mu* (mean |effect|, 95% interval)")
    axis.set_ylabel("sigma (interactions, curvature)")
    if result.noise_floor is not None:
        axis.legend(loc="upper left", fontsize=8, frameon=False)


def _sobol_panel(axis: Axes, result: OutputIndices, design: Design) -> None:
    frame = result.indices
    assert frame is not None
    _title(axis, result)
    positions = np.arange(len(frame))
    height = 0.38
    for offset, name, colour, hatch in (
        (-height / 2, "S1", BLUE, ""),
        (height / 2, "ST", VERMILLION, "//"),
    ):
        values = frame[name].to_numpy(dtype=float)
        conf = np.nan_to_num(frame[f"{name}_conf"].to_numpy(dtype=float))
        above = frame[f"{name}_above_noise"].tolist()
        alphas = [0.35 if flag is False else 1.0 for flag in above]
        bars = axis.barh(
            positions + offset,
            values,
            height,
            xerr=conf,
            color=colour,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
            capsize=2,
            label=name,
        )
        for bar, alpha in zip(bars, alphas, strict=True):
            bar.set_alpha(alpha)
    if result.noise_share is not None:
        axis.axvline(result.noise_share, ls="--", color=GREY)
    axis.axvline(0, color="black", lw=0.8)
    axis.set_yticks(positions, [str(number) for number in range(1, len(frame) + 1)])
    axis.invert_yaxis()
    axis.set_xlabel("share of variance (95% interval)")
    axis.set_ylabel("parameter (key in last panel)")
    handles = [
        Patch(facecolor=BLUE, edgecolor="black", label="S1 (alone)"),
        Patch(facecolor=VERMILLION, edgecolor="black", hatch="//", label="ST (with interactions)"),
    ]
    if result.noise_share is not None:
        handles.append(Line2D([], [], ls="--", color=GREY, label="noise share of variance"))
    axis.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)


def _key_panel(axis: Axes, design: Design) -> None:
    axis.axis("off")
    lines = [f"{number}  {item.key}" for number, item in enumerate(design.ranges, 1)]
    if design.method == "morris":
        lines += ["", "hollow: not distinguishable", "from replicate noise"]
    else:
        lines += ["", "faded: not distinguishable", "from replicate noise"]
    axis.text(
        0.0,
        1.0,
        "\n".join(lines),
        va="top",
        ha="left",
        family="monospace",
        fontsize=10,
        transform=axis.transAxes,
    )
