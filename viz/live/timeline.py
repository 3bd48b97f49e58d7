"""The therapy timeline bar of one arm: collection and manufacturing, lymphodepletion,
infusion and day 28 after it, every phase labelled with its day (days from enrolment),
and a marker for today. Side by side every arm's bar and the plot share one day axis
(``end_day``), so the same day is at the same place in each.

Labels go in two rows below the bar, each in the first row with room; a label that fits
in neither is shortened to its day.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from sim.snapshot import PlanFacts
from viz.live.palette import BLUE, GREEN, ORANGE, SKY_BLUE, VERMILLION, Theme, font
from viz.live.text import draw_text

LABEL_ROWS = 2


@dataclass(frozen=True)
class Phase:
    """One labelled moment of the timeline: where (day), the label, its short form."""

    day: float
    label: str
    short: str


def phases(plan: PlanFacts) -> list[Phase]:
    """The labelled moments of ``plan``, most important first (infusion, day 28,
    lymphodepletion, the product, collection)."""
    found = []
    if plan.manufacturing_end_day is not None:
        made = plan.manufacturing_end_day
        found.append(Phase(plan.collection_day, f"collection d{plan.collection_day}", "coll."))
        what = "manufacturing failed" if plan.manufacturing_failed else "product ready"
        found.append(Phase(made, f"{what} d{made:.0f}", f"d{made:.0f}"))
    if plan.lymphodepletion_days:
        first, last = plan.lymphodepletion_days[0], plan.lymphodepletion_days[-1]
        days = f"d{first}" if first == last else f"d{first}-{last}"
        found.append(Phase(first, f"lymphodepletion {days}", days))
    if plan.infusion_day is not None:
        found.append(Phase(plan.infusion_day, f"infusion d{plan.infusion_day}", "inf."))
    if plan.assessment_day is not None:
        found.append(Phase(plan.assessment_day, f"day 28: d{plan.assessment_day}", "d28"))
    return found[::-1]


def place_labels(
    wanted: list[tuple[int, str, str]], left: int, right: int, width_of: object
) -> list[tuple[int, int, str]]:
    """``(x, row, text)`` for each ``(x, label, short)``, in the order given (most
    important first): centred on x within ``left..right``, in the first of
    :data:`LABEL_ROWS` rows where it overlaps no label placed before, shortened when it
    fits nowhere (dropped if even that does not fit)."""
    taken: list[list[tuple[int, int]]] = [[] for _ in range(LABEL_ROWS)]
    placed = []
    for x, label, short in wanted:
        for text in (label, short):
            w = width_of(text)  # type: ignore[operator]
            start = max(left, min(right - w, x - w // 2))
            free = [
                row
                for row in range(LABEL_ROWS)
                if all(start > end + 6 or start + w + 6 < begin for begin, end in taken[row])
            ]
            if free:
                taken[free[0]].append((start, start + w))
                placed.append((start, free[0], text))
                break
    return placed


def draw_timeline(
    screen: pygame.Surface,
    rect: pygame.Rect,
    plan: PlanFacts,
    day: float,
    end_day: float,
    theme: Theme,
    text_px: int,
) -> None:
    """The bar in ``rect`` from day 0 to ``end_day``, labelled, with today's marker."""
    # title, bar and two label rows share the height: 1.3 + 0.8 + 2 x 1.3 text heights
    small = max(8, min(round(text_px * 0.8), round((rect.h - 10) / 4.7)))
    row_h = round(small * 1.3)
    pygame.draw.rect(screen, theme.panel, rect, border_radius=6)
    draw_text(
        screen,
        "Therapy timeline, days",
        small,
        theme.muted,
        (rect.right - 10, rect.y + 2),
        anchor="topright",
    )
    bar = pygame.Rect(rect.x + 10, rect.y + row_h + 2, rect.w - 20, max(6, round(small * 0.8)))

    def x_of(d: float) -> int:
        return round(bar.x + min(1.0, max(0.0, d / end_day)) * bar.w)

    pygame.draw.rect(screen, theme.site, bar, border_radius=3)
    if plan.manufacturing_end_day is not None:
        made = plan.manufacturing_end_day
        colour = VERMILLION if plan.manufacturing_failed else SKY_BLUE
        seg = pygame.Rect(x_of(0), bar.y, max(1, x_of(made) - x_of(0)), bar.h)
        pygame.draw.rect(screen, colour, seg, border_radius=3)
    for ld_day in plan.lymphodepletion_days:
        seg = pygame.Rect(x_of(ld_day), bar.y, max(2, x_of(ld_day + 1) - x_of(ld_day)), bar.h)
        pygame.draw.rect(screen, ORANGE, seg)
    for marked, colour in ((plan.infusion_day, GREEN), (plan.assessment_day, BLUE)):
        if marked is not None:
            x = x_of(marked)
            pygame.draw.rect(screen, colour, pygame.Rect(x - 2, bar.y - 3, 5, bar.h + 6))
    for when, _what in plan.on_demand:
        x = x_of(when)
        pygame.draw.line(screen, theme.text, (x, bar.y - 3), (x, bar.bottom + 3), 1)
    face = font(small)
    wanted = [(x_of(p.day), p.label, p.short) for p in phases(plan)]
    for x, row, text in place_labels(wanted, rect.x + 4, rect.right - 4, lambda s: face.size(s)[0]):
        draw_text(screen, text, small, theme.text, (x, bar.bottom + 2 + row * row_h))
    today = x_of(day)
    tip = max(6, small // 2)  # today's marker grows with the text
    pygame.draw.polygon(
        screen,
        theme.accent,
        [(today, bar.y - 1), (today - tip, bar.y - 1 - tip), (today + tip, bar.y - 1 - tip)],
    )
    pygame.draw.line(screen, theme.accent, (today, bar.y), (today, bar.bottom), 2)
    if plan.tocilizumab_active:
        draw_text(
            screen,
            "tocilizumab acting",
            small,
            VERMILLION,
            (rect.right - 10, rect.y + 2),
            anchor="topright",
        )
