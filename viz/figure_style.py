"""One look for every report figure: the two arm colours (Okabe-Ito blue and
vermillion, safe for colour-blind readers), each arm also told apart by line style,
marker and hatch, and fonts large enough to read on a projector."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.atomic_files import atomic_path

ARM_COLOURS = ("#0072B2", "#D55E00")  # Okabe-Ito blue, vermillion
ARM_LINESTYLES = ("-", "--")
ARM_MARKERS = ("o", "s")
ARM_HATCHES = ("", "//")
FIGURE_DPI = 150
RC = {
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.5,
    "savefig.bbox": "tight",
}


@dataclass(frozen=True)
class ArmStyle:
    """How one arm is drawn in every figure."""

    name: str
    colour: str
    linestyle: str
    marker: str
    hatch: str


def arm_styles(names: tuple[str, str]) -> tuple[ArmStyle, ArmStyle]:
    """Arm A in blue, solid, circles; arm B in vermillion, dashed, squares, hatched."""
    a, b = (
        ArmStyle(name, ARM_COLOURS[i], ARM_LINESTYLES[i], ARM_MARKERS[i], ARM_HATCHES[i])
        for i, name in enumerate(names)
    )
    return a, b


def new_figure(width: float = 11.0, height: float = 6.5, ncols: int = 1) -> tuple[Figure, list]:
    """A figure with ``ncols`` axes side by side (call inside ``plt.rc_context(RC)``)."""
    figure, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return figure, list(axes[0])


def save(figure: Figure, path: str | Path, dpi: int = FIGURE_DPI) -> Path:
    """Write ``figure`` as PNG (whole or not at all: :mod:`sim.atomic_files`) and free it.

    Returns the path written; the figure is freed even when writing fails.
    """
    path = Path(path)
    try:
        with atomic_path(path) as temporary:
            figure.savefig(temporary, dpi=dpi, format="png")
    finally:
        plt.close(figure)
    return path
