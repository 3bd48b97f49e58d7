"""Live plots over days, drawn in pygame (matplotlib would cost ~50x more per frame).

Series: blasts CD19+ and CD19-, CAR T-cells, taught T-cells, B-cells (cells) and the
systemic cytokine (units per 10,000 sites), on a linear or a log scale. With two arms the
second is dashed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pygame

from study.analysis.vocabulary import LEUKAEMIA_WORDS, Vocabulary
from viz.live.palette import SERIES, Theme, font, series
from viz.live.session import Frame
from viz.live.text import draw_text

KEYS = tuple(SERIES)


def series_table(frames: Sequence[Frame]) -> np.ndarray:
    """``(n, 1 + len(KEYS))``: day, then each series, one row a frame."""
    table = np.empty((len(frames), 1 + len(KEYS)))
    for row, frame in enumerate(frames):
        counts = frame.counts
        table[row, 0] = frame.day
        for column, key in enumerate(KEYS, start=1):
            table[row, column] = getattr(counts, key)
    return table


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class TablesCache:
    """Series tables per arm, extended as frames are added, rebuilt after a thinning."""

    def __init__(self) -> None:
        self._tables: dict[int, tuple[int, int, np.ndarray]] = {}

    def table(self, key: int, frames: list[Frame]) -> np.ndarray:
        """The table of ``frames`` (the list of one arm's frame store)."""
        first = frames[0].step if frames else -1
        cached = self._tables.get(key)
        if cached is not None and cached[0] == first and cached[1] <= len(frames):
            _, count, table = cached
            if count < len(frames):
                table = np.vstack([table, series_table(frames[count:])])
        else:
            table = series_table(frames)
        self._tables[key] = (first, len(frames), table)
        return table


class TimeSeriesPlot:
    """A plot of the series against days since enrolment, in ``rect``."""

    def __init__(self, rect: pygame.Rect, theme: Theme, text_px: int) -> None:
        self.rect = rect
        self.theme = theme
        self.text_px = text_px
        self.log_scale = False
        self.cache = TablesCache()
        self.legend_bottom = 0
        self.shown_tables: list[np.ndarray] = []  # what the last draw plotted, per arm
        self.x_max_days = 1.0
        self.words: Vocabulary = LEUKAEMIA_WORDS  # the disease's words of the last draw

    def area(self) -> pygame.Rect:
        """The plotting area (inside the axes), px."""
        t = self.text_px
        top = self.legend_bottom - self.rect.y if self.legend_bottom else 2 * t
        return pygame.Rect(
            self.rect.x + 4 * t, self.rect.y + top, self.rect.w - 5 * t, self.rect.h - top - 3 * t
        )

    def _y(self, values: np.ndarray, top: float, area: pygame.Rect) -> np.ndarray:
        if self.log_scale:
            scaled = np.log10(1.0 + np.maximum(values, 0.0)) / math.log10(1.0 + top)
        else:
            scaled = values / top
        return area.bottom - np.clip(scaled, 0.0, 1.0) * area.h

    def draw(
        self,
        screen: pygame.Surface,
        tables: Sequence[np.ndarray],
        x_max_days: float,
        names: Sequence[str],
        marker_day: float | None = None,
        words: Vocabulary = LEUKAEMIA_WORDS,
    ) -> None:
        """Draw each arm's table (solid, then dashed), up to ``x_max_days`` on the x axis;
        the series are named in ``words`` (blasts, or a lymphoma's tumour cells)."""
        theme = self.theme
        self.words = words
        self.shown_tables = list(tables)
        self.x_max_days = x_max_days
        pygame.draw.rect(screen, theme.panel, self.rect, border_radius=6)
        self._legend(screen, names)
        area = self.area()
        pygame.draw.rect(screen, theme.site, area)
        peak = max((float(tab[:, 1:].max()) for tab in tables if tab.size), default=1.0)
        top = (
            10 ** math.ceil(math.log10(max(peak, 9.0) + 1))
            if self.log_scale
            else nice_ceiling(peak)
        )
        self._axes(screen, area, top, x_max_days)
        for index, table in enumerate(tables):
            if table.shape[0] < 2:
                continue
            xs = area.x + np.clip(table[:, 0] / x_max_days, 0.0, 1.0) * area.w
            for column, key in enumerate(KEYS, start=1):
                colour = SERIES[key][1]
                ys = self._y(table[:, column], top, area)
                points = np.column_stack([xs, ys]).tolist()
                if index == 0:
                    pygame.draw.lines(screen, colour, False, points, 2)
                else:
                    for start in range(0, len(points) - 1, 6):
                        chunk = points[start : start + 4]
                        if len(chunk) > 1:
                            pygame.draw.lines(screen, colour, False, chunk, 2)
        if marker_day is not None:
            x = area.x + min(1.0, marker_day / x_max_days) * area.w
            pygame.draw.line(screen, theme.accent, (x, area.top), (x, area.bottom), 1)

    def _axes(self, screen: pygame.Surface, area: pygame.Rect, top: float, x_max: float) -> None:
        theme, t = self.theme, self.text_px
        small = max(9, round(t * 0.85))
        pygame.draw.line(screen, theme.muted, area.bottomleft, area.bottomright)
        pygame.draw.line(screen, theme.muted, area.bottomleft, area.topleft)
        if self.log_scale:
            ticks = [10**k for k in range(round(math.log10(top)) + 1)]
            ticks = [0, *ticks]
        else:
            ticks = [top * k / 4 for k in range(5)]
        for value in ticks:
            y = float(self._y(np.array([float(value)]), top, area)[0])
            pygame.draw.line(screen, theme.panel_edge, (area.x, y), (area.right, y))
            label = f"{value:,.0f}" if value >= 1 or value == 0 else f"{value:g}"
            draw_text(screen, label, small, theme.muted, (area.x - 4, round(y)), anchor="midright")
        step = nice_ceiling(x_max / 6)
        day = 0.0
        while day <= x_max + 1e-9:
            x = area.x + day / x_max * area.w
            pygame.draw.line(screen, theme.muted, (x, area.bottom), (x, area.bottom + 4))
            draw_text(
                screen, f"{day:g}", small, theme.muted, (round(x), area.bottom + 4), anchor="midtop"
            )
            day += step
        scale = "  ·  log scale" if self.log_scale else ""
        draw_text(
            screen,
            f"days since enrolment  ·  cells; cytokine per 10,000 sites{scale}",
            small,
            theme.muted,
            (area.centerx, self.rect.bottom - 2),
            anchor="midbottom",
        )

    def _legend(self, screen: pygame.Surface, names: Sequence[str]) -> None:
        theme, t = self.theme, self.text_px
        small = max(9, round(t * 0.85))
        x = self.rect.x + 8
        y = self.rect.y + 4
        labelled = series(self.words)
        for key in KEYS:
            label, colour = labelled[key]
            if x + 30 + font(small).size(label)[0] > self.rect.right:
                x = self.rect.x + 8
                y += round(small * 1.5)
            swatch = max(14, small)  # the line sample grows with the text
            middle = y + small * 0.7
            pygame.draw.line(screen, colour, (x, middle), (x + swatch, middle), max(3, small // 6))
            rect = draw_text(screen, label, small, theme.text, (x + swatch + 4, y))
            x = rect.right + 12
        if len(names) > 1:
            y += round(small * 1.5)
            draw_text(
                screen,
                f"solid line: {names[0]}   dashed: {names[1]}",
                small,
                theme.text,
                (self.rect.x + 8, y),
            )
        self.legend_bottom = y + round(small * 1.5)
