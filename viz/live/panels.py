"""Beside the grid: big-number monitors, the therapy timeline bar, the legend (drawn with
the grid's own tiles) and the outcome banner."""

from __future__ import annotations

import pygame

from sim.snapshot import DayCounts, Outcome, PlanFacts
from viz.live.palette import (
    BLUE,
    GREEN,
    LEGEND,
    ORANGE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    Theme,
    font,
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
) -> None:
    """Four boxes: day, blast %, CAR T-cells, CRS grade. With a residual compartment the
    blast box's note is the leukaemia beyond the grid (in blasts' worth), so "no blast on
    the screen" is not read as "cured"."""
    gap = max(4, text_px // 2)
    width = (rect.w - 3 * gap) // 4
    hours = round((day % 1) * 24)
    blast_note = f"{counts.blasts_cd19_negative} CD19-"
    if counts.residual_blasts > 0:  # the leukaemia beyond the patch (sim.residual)
        blast_note = f"+{counts.residual_blasts:,.3g} beyond grid"
    values = [
        ("Day", f"{int(day)}", f"+{hours} h"),
        ("Blasts", f"{counts.blast_pct:.1f}%", blast_note),
        ("CAR T-cells", f"{counts.car_t:,}", f"{counts.taught_t} taught T"),
        ("CRS grade", f"{counts.crs_grade}", f"cytokine {counts.cytokine_systemic:.0f}"),
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


def draw_timeline(
    screen: pygame.Surface,
    rect: pygame.Rect,
    plan: PlanFacts,
    day: float,
    run_days: int,
    theme: Theme,
    text_px: int,
) -> None:
    """The therapy timeline: collection, manufacturing, lymphodepletion, infusion, day 28,
    with a marker for today."""
    small = max(9, round(text_px * 0.8))
    pygame.draw.rect(screen, theme.panel, rect, border_radius=6)
    if plan.assessment_day is not None:
        end = min(float(run_days), plan.assessment_day + 32.0)
    else:
        end = float(run_days)
    end = max(end, day * 1.05, 1.0)
    bar = pygame.Rect(rect.x + 10, rect.y + small + 14, rect.w - 20, max(8, rect.h // 5))

    def x_of(d: float) -> int:
        return round(bar.x + min(1.0, max(0.0, d / end)) * bar.w)

    pygame.draw.rect(screen, theme.site, bar, border_radius=3)
    below = bar.bottom + 3
    dark = (20, 20, 20)
    if plan.manufacturing_end_day is not None:
        made = plan.manufacturing_end_day
        seg = pygame.Rect(x_of(0), bar.y, max(1, x_of(made) - x_of(0)), bar.h)
        pygame.draw.rect(screen, SKY_BLUE, seg, border_radius=3)
        text = "manufacturing failed" if plan.manufacturing_failed else "manufacturing"
        first_ld = plan.lymphodepletion_days[0] if plan.lymphodepletion_days else made
        room = pygame.Rect(seg.x, seg.y, x_of(min(made, first_ld)) - seg.x, seg.h)
        if font(small).size(text)[0] + 6 <= room.w:
            draw_text(screen, text, small, dark, room.center, anchor="center")
        elif plan.manufacturing_failed:
            draw_text(screen, text, small, theme.text, (seg.right + 4, below))
    for ld_day in plan.lymphodepletion_days:
        seg = pygame.Rect(x_of(ld_day), bar.y, max(2, x_of(ld_day + 1) - x_of(ld_day)), bar.h)
        pygame.draw.rect(screen, ORANGE, seg)
    if plan.lymphodepletion_days:
        right = x_of(plan.lymphodepletion_days[-1] + 1) - 4
        width = font(small).size("lymphodepletion")[0]
        draw_text(
            screen,
            "lymphodepletion",
            small,
            theme.text,
            (max(bar.x + width, right), below),
            anchor="topright",
        )
    if plan.infusion_day is not None:
        x = x_of(plan.infusion_day)
        pygame.draw.rect(screen, GREEN, pygame.Rect(x - 2, bar.y - 4, 5, bar.h + 8))
        left = x + 4
        if plan.lymphodepletion_days:
            left = max(left, bar.x + font(small).size("lymphodepletion")[0] + 8)
        infusion_label = draw_text(screen, "infusion", small, theme.text, (left, below))
    if plan.assessment_day is not None:
        x = x_of(plan.assessment_day)
        pygame.draw.rect(screen, BLUE, pygame.Rect(x - 2, bar.y - 4, 5, bar.h + 8))
        label_w = font(small).size("day 28")[0]
        if plan.infusion_day is None or x - label_w // 2 > infusion_label.right + 4:
            draw_text(screen, "day 28", small, theme.text, (x, below), anchor="midtop")
    today = x_of(day)
    pygame.draw.polygon(
        screen, theme.accent, [(today, bar.y - 1), (today - 6, bar.y - 9), (today + 6, bar.y - 9)]
    )
    pygame.draw.line(screen, theme.accent, (today, bar.y), (today, bar.bottom), 2)
    draw_text(screen, "Therapy timeline", small, theme.muted, (rect.x + 10, rect.y + 2))
    for when, what in plan.on_demand:
        x = x_of(when)
        pygame.draw.line(screen, theme.text, (x, bar.y - 3), (x, bar.bottom + 3), 1)
        del what
    if plan.tocilizumab_active:
        draw_text(
            screen,
            "tocilizumab acting",
            small,
            VERMILLION,
            (rect.right - 10, rect.y + 2),
            anchor="topright",
        )


def draw_legend(
    screen: pygame.Surface, rect: pygame.Rect, theme: Theme, text_px: int, columns: int = 1
) -> None:
    """Each kind with the very tile the grid uses, and its name."""
    small = max(9, round(text_px * 0.85))
    pygame.draw.rect(screen, theme.panel, rect, border_radius=6)
    rows = -(-len(LEGEND) // columns)
    row_h = min(round(small * 1.9), (rect.h - 8) // rows)
    tile_px = max(10, row_h - 4)
    col_w = rect.w // columns
    for index, (label, resident, mobile) in enumerate(LEGEND):
        col, row = divmod(index, rows)
        x = rect.x + 6 + col * col_w
        y = rect.y + 4 + row * row_h
        screen.blit(_tile(resident, mobile, tile_px, theme), (x, y))
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
