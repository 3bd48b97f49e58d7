"""What the plot shows, read out: the values under the mouse (hover) and the whole plot
as CSV (E: one row per arm and stored frame, up to the moment shown)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pygame

from sim.atomic_files import atomic_path
from sim.errors import UserInputError
from viz.live.palette import font, series
from viz.live.plots import KEYS
from viz.live.text import draw_text

if TYPE_CHECKING:
    from viz.live.app import LiveApp

CSV_COLUMNS = ("scenario", "seed", "day", *KEYS)


def export_csv(app: LiveApp, path: Path) -> Path:
    """Write the plotted series of every arm (as drawn now) to ``path``, whole or not at
    all; cells for counts, cytokine in units per 10,000 sites, day from enrolment."""
    try:
        with (
            atomic_path(path) as partial,
            partial.open("w", newline="", encoding="utf-8") as handle,
        ):
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for arm, table in zip(app.arms, app.plot.shown_tables, strict=False):
                for row in table:
                    values = [f"{row[0]:.4f}", *(f"{v:g}" for v in row[1:])]
                    writer.writerow([arm.name, arm.seed, *values])
    except OSError as error:
        raise UserInputError(f"{path}: cannot write the CSV ({error})") from None
    return path


def export_view(app: LiveApp) -> Path | None:
    """E: the plot as CSV in the captures folder; the status names the file."""
    try:
        path = export_csv(app, app.captures.new_path("cartsim-plot", ".csv"))
    except UserInputError as error:
        app.set_status(f"Not saved: {error}")
        return None
    app.set_status(f"Saved what the plot shows to {path}")
    return path


def hover_lines(app: LiveApp, day: float) -> list[tuple[str, tuple[int, int, int] | None]]:
    """The readout at ``day``: a title, then each series of each arm (nearest frame)."""
    lines: list[tuple[str, tuple[int, int, int] | None]] = [(f"day {day:.1f}", None)]
    labelled = series(app.plot.words)
    for arm, table in zip(app.arms, app.plot.shown_tables, strict=False):
        if not table.size:
            continue
        row = table[int(np.argmin(np.abs(table[:, 0] - day)))]
        if len(app.arms) > 1:
            lines.append((arm.name, None))
        for column, key in enumerate(KEYS, start=1):
            label, colour = labelled[key]
            lines.append((f"  {label}: {row[column]:,.0f}", colour))
    return lines


def draw_hover(app: LiveApp, pos: tuple[int, int]) -> None:
    """The line and the values under the mouse, when it is over the plot."""
    area = app.plot.area()
    if not area.collidepoint(pos) or app.overlay:
        return
    screen, theme = app.screen, app.theme
    day = (pos[0] - area.x) / area.w * app.plot.x_max_days
    pygame.draw.line(screen, theme.accent, (pos[0], area.top), (pos[0], area.bottom), 1)
    size = max(9, round(app.layout.text_px * 0.85))
    lines = hover_lines(app, day)
    line_h = round(size * 1.35)
    width = max(font(size).size(text)[0] for text, _ in lines) + 20
    box = pygame.Rect(pos[0] + 12, area.y, width, line_h * len(lines) + 10)
    if box.right > screen.get_width():
        box.right = pos[0] - 12
    pygame.draw.rect(screen, theme.panel, box, border_radius=6)
    pygame.draw.rect(screen, theme.panel_edge, box, 1, border_radius=6)
    for index, (text, colour) in enumerate(lines):
        y = box.y + 5 + index * line_h
        if colour is not None:
            pygame.draw.line(
                screen, colour, (box.x + 6, y + size * 0.7), (box.x + 12, y + size * 0.7), 3
            )
        draw_text(screen, text, size, theme.text, (box.x + 8, y), bold=colour is None)
