"""Where everything goes, for a window size: designed at 1280x720 and scaled up (to
1920x1080 and beyond) by one factor, so the layout is the same on every projector.

One arm: the grid on the left, the monitors, timeline, plot, event buttons, legend and
sliders on the right. Two arms: a column per arm (title, grid, monitors, timeline) and the
shared plot and controls on the right. The scrubber and the status line run along the
bottom; the controls bar along the top.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from viz.live.defaults import BASE_SIZE
from viz.live.palette import LEGEND, MARK_LEGEND

LEGEND_ENTRIES = len(LEGEND) + len(MARK_LEGEND)  # cell kinds and event marks
LEGEND_ROW_PX = 24  # design px per legend row


@dataclass(frozen=True)
class ArmArea:
    """The rectangles of one arm."""

    title: pygame.Rect
    grid: pygame.Rect
    monitors: pygame.Rect
    timeline: pygame.Rect


@dataclass(frozen=True)
class Layout:
    """Every rectangle of the window, and the scale (``unit``: px per design px)."""

    size: tuple[int, int]
    unit: float
    text_px: int
    top_bar: pygame.Rect
    arms: tuple[ArmArea, ...]
    plot: pygame.Rect
    events: pygame.Rect
    legend: pygame.Rect
    legend_columns: int
    sliders: pygame.Rect
    scrubber: pygame.Rect
    live_button: pygame.Rect
    status: pygame.Rect


def make_layout(size: tuple[int, int], n_arms: int, text_scale: float = 1.0) -> Layout:
    """The layout of a ``size`` window showing ``n_arms`` (1 or 2) runs."""
    width, height = size
    u = max(0.6, min(width / BASE_SIZE[0], height / BASE_SIZE[1]))

    def s(value: float) -> int:
        return round(value * u)

    text_px = round(15 * u * text_scale)
    margin = s(10)
    top_bar = pygame.Rect(margin, 0, width - 2 * margin, s(48))
    bottom_h = s(58)
    status = pygame.Rect(margin, height - s(26), width - 2 * margin, s(24))
    scrubber = pygame.Rect(margin + s(88), height - bottom_h, width - 2 * margin - s(88), s(28))
    live_button = pygame.Rect(margin, height - bottom_h, s(82), s(28))
    body_top = top_bar.bottom + s(6)
    body_h = scrubber.y - s(8) - body_top
    if n_arms == 1:
        grid_side = min(body_h, width - s(640))
        grid = pygame.Rect(margin, body_top, grid_side, body_h)
        right_x = grid.right + s(14)
        right_w = width - margin - right_x
        monitors = pygame.Rect(right_x, body_top, right_w, s(74))
        timeline = pygame.Rect(right_x, monitors.bottom + s(6), right_w, s(72))
        arms = (ArmArea(pygame.Rect(0, 0, 0, 0), grid, monitors, timeline),)
        plot_top = timeline.bottom + s(6)
        plot = pygame.Rect(right_x, plot_top, right_w, s(184))
        legend_columns = 2
    else:
        right_w = s(430)
        col_w = (width - 2 * margin - right_w - s(14) * n_arms) // n_arms
        title_h = s(24)
        monitors_h, timeline_h = s(60), s(70)
        grid_side = min(col_w, body_h - title_h - monitors_h - timeline_h - s(12))
        arms_list = []
        for index in range(n_arms):
            x = margin + index * (col_w + s(14))
            title = pygame.Rect(x, body_top, col_w, title_h)
            grid = pygame.Rect(x, title.bottom, col_w, grid_side)
            monitors = pygame.Rect(x, grid.bottom + s(6), col_w, monitors_h)
            timeline = pygame.Rect(x, monitors.bottom + s(6), col_w, timeline_h)
            arms_list.append(ArmArea(title, grid, monitors, timeline))
        arms = tuple(arms_list)
        right_x = width - margin - right_w
        plot = pygame.Rect(right_x, body_top, right_w, s(236))
        legend_columns = 1
    events = pygame.Rect(right_x, plot.bottom + s(6), right_w, s(32))
    lower_top = events.bottom + s(8)
    lower_h = scrubber.y - s(8) - lower_top
    spare_top = arms[-1].timeline.bottom + s(8)
    spare_h = scrubber.y - s(8) - spare_top
    if n_arms > 1 and spare_h >= s(LEGEND_ROW_PX * 3):
        # a 4:3 window leaves room under the arms: the legend goes there, in columns, and
        # the sliders get the whole width on the right
        rows = spare_h // s(LEGEND_ROW_PX)
        legend_columns = -(-LEGEND_ENTRIES // rows)
        legend = pygame.Rect(margin, spare_top, right_x - s(14) - margin, spare_h)
        sliders = pygame.Rect(right_x, lower_top, right_w, lower_h)
    else:
        legend_w = round(right_w * (0.46 if n_arms == 1 else 0.38))
        legend = pygame.Rect(right_x, lower_top, legend_w, lower_h)
        sliders = pygame.Rect(legend.right + s(10), lower_top, right_w - legend_w - s(10), lower_h)
    return Layout(
        size=size,
        unit=u,
        text_px=text_px,
        top_bar=top_bar,
        arms=arms,
        plot=plot,
        events=events,
        legend=legend,
        legend_columns=legend_columns,
        sliders=sliders,
        scrubber=scrubber,
        live_button=live_button,
        status=status,
    )
