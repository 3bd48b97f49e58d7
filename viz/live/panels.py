"""Beside the grid: big-number monitors, the legend (drawn with the grid's own tiles) and
the outcome banner. The therapy timeline is in :mod:`viz.live.timeline`."""

from __future__ import annotations

import pygame

from sim.snapshot import DayCounts, Outcome
from study.analysis.vocabulary import LEUKAEMIA_WORDS, Vocabulary
from viz.live.gridview import draw_spark
from viz.live.palette import (
    MARK_LEGEND,
    ORANGE,
    VERMILLION,
    YELLOW,
    Theme,
    font,
    legend,
    make_tile,
)
from viz.live.text import draw_text

CRS_COLOURS = ((0x00, 0x9E, 0x73), YELLOW, ORANGE, VERMILLION, (0xA0, 0x20, 0x20))


def draw_monitors(
    screen: pygame.Surface,
    rect: pygame.Rect,
    day: float,
    counts: DayCounts,
    theme: Theme,
    text_px: int,
    max_crs_grade: int = 0,
    burden_label: str = LEUKAEMIA_WORDS.burden_label,
) -> None:
    """Four boxes: day, blast % (``burden_label``: "Tumour" for a lymphoma), CAR T-cells,
    CRS grade (today's, and the highest so far).
    With a residual compartment the blast box's note is the leukaemia beyond the grid (in
    blasts' worth), so "no blast on the screen" is not read as "cured"."""
    gap = max(4, text_px // 2)
    width = (rect.w - 3 * gap) // 4
    hours = round((day % 1) * 24)
    blast_note = f"{counts.blasts_cd19_negative} CD19-"
    if counts.residual_blasts > 0:  # the leukaemia beyond the patch (sim.residual)
        blast_note = f"+{counts.residual_blasts:,.3g} beyond grid"
    values = [
        ("Day", f"{int(day)}", f"+{hours} h"),
        (burden_label, f"{counts.blast_pct:.1f}%", blast_note),
        ("CAR T-cells", f"{counts.car_t:,}", f"{counts.taught_t} taught T"),
        ("CRS grade", f"{counts.crs_grade}", f"max {max(max_crs_grade, counts.crs_grade)}"),
    ]
    big = round(rect.h * 0.42)
    small = max(9, round(text_px * 0.85))
    for index, (label, value, note) in enumerate(values):
        box = pygame.Rect(rect.x + index * (width + gap), rect.y, width, rect.h)
        pygame.draw.rect(screen, theme.panel, box, border_radius=6)
        if index == 3:
            grade = max(0, min(4, counts.crs_grade))
            strip = pygame.Rect(box.x, box.bottom - 5, box.w, 5)
            pygame.draw.rect(screen, CRS_COLOURS[grade], strip, border_radius=2)
        draw_text(screen, label, small, theme.muted, (box.x + 8, box.y + 3))
        shown = draw_text(
            screen,
            value,
            big,
            theme.text,
            (box.x + 8, box.centery + 2),
            bold=True,
            anchor="midleft",
        )
        if shown.right + font(small).size(note)[0] + 10 <= box.right:
            draw_text(
                screen,
                note,
                small,
                theme.muted,
                (box.right - 6, box.bottom - 6),
                anchor="bottomright",
            )


def draw_legend(
    screen: pygame.Surface,
    rect: pygame.Rect,
    theme: Theme,
    text_px: int,
    columns: int = 1,
    words: Vocabulary = LEUKAEMIA_WORDS,
) -> None:
    """Each kind with the very tile the grid uses, and its name (the disease cell in
    ``words``: a blast, or a lymphoma's tumour cell)."""
    small = max(9, round(text_px * 0.85))
    kinds = legend(words)
    pygame.draw.rect(screen, theme.panel, rect, border_radius=6)
    entries = len(kinds) + len(MARK_LEGEND)
    rows = -(-entries // columns)
    row_h = min(round(small * 1.9), (rect.h - 8) // rows)
    tile_px = max(10, row_h - 4)
    col_w = rect.w // columns
    labels = [entry[0] for entry in kinds] + [entry[0] for entry in MARK_LEGEND]
    while small > 8 and max(font(small).size(label)[0] for label in labels) > col_w - tile_px - 14:
        small -= 1  # a narrow window: smaller names rather than names over the sliders
    for index, (label, resident, mobile) in enumerate(kinds):
        col, row = divmod(index, rows)
        x = rect.x + 6 + col * col_w
        y = rect.y + 4 + row * row_h
        screen.blit(_tile(resident, mobile, tile_px, theme), (x, y))
        draw_text(
            screen, label, small, theme.text, (x + tile_px + 6, y + tile_px // 2), anchor="midleft"
        )
    for index, (label, kind) in enumerate(MARK_LEGEND, start=len(kinds)):
        col, row = divmod(index, rows)
        x = rect.x + 6 + col * col_w
        y = rect.y + 4 + row * row_h
        pygame.draw.rect(screen, theme.marrow, pygame.Rect(x, y, tile_px, tile_px))
        centre = (x + tile_px // 2, y + tile_px // 2)
        draw_spark(screen, kind, centre, max(3, tile_px // 2), 0.2, theme.outline)
        draw_text(
            screen, label, small, theme.text, (x + tile_px + 6, y + tile_px // 2), anchor="midleft"
        )


_TILE_CACHE: dict[tuple[int, int, int, str], pygame.Surface] = {}


def _tile(resident: int, mobile: int, px: int, theme: Theme) -> pygame.Surface:
    key = (resident, mobile, px, theme.name)
    if key not in _TILE_CACHE:
        _TILE_CACHE[key] = make_tile(resident, mobile, px, theme)
    return _TILE_CACHE[key]


def draw_banner(screen: pygame.Surface, rect: pygame.Rect, outcome: Outcome, text_px: int) -> None:
    """The outcome across the bottom of the grid, once the run is decided."""
    if not outcome.decided:
        return
    colour = {
        "mrd_negative": (0, 110, 80),
        "remission": (0, 110, 80),
        "relapse": (170, 60, 0),
        "refractory": (170, 60, 0),
        "not_infused": (90, 90, 90),
    }.get(outcome.state, (60, 60, 60))
    size = round(text_px * 1.15)
    while size > 9 and font(size, True).size(outcome.text)[0] > rect.w - 12:
        size -= 1  # shrink to fit a narrow grid
    height = round(max(size, text_px) * 2.0)
    band = pygame.Rect(rect.x, rect.bottom - height, rect.w, height)
    surface = pygame.Surface(band.size, pygame.SRCALPHA)
    surface.fill((*colour, 225))
    screen.blit(surface, band)
    draw_text(screen, outcome.text, size, (255, 255, 255), band.center, bold=True, anchor="center")
