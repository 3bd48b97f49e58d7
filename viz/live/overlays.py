"""Overlays: the help (H) listing every key, the info panel (I) and the cell inspector."""

from __future__ import annotations

from typing import Any

import pygame

from viz.live.palette import Theme, font
from viz.live.text import draw_text, wrap

KEYS = (
    ("Space", "play / pause"),
    ("Right", "one step; rewound: the next stored frame (never past the end)"),
    ("Left", "rewind one stored frame (End: back to now)"),
    ("R", "reset: back to the start, same seed (sliders apply)"),
    ("Shift+R", "reset with a new seed"),
    ("+ / -", "faster / slower (simulated hours per second)"),
    ("1-9, 0", "open the scenario with that key in the chooser (B: autologous vs donor)"),
    ("C", "cytokine overlay on the grid"),
    ("L", "log scale for the plot"),
    ("F", "fullscreen (Esc leaves it)"),
    ("P", "projector theme (light background, larger text)"),
    ("S", "screenshot (PNG in the captures folder, --out)"),
    ("V", "start / stop recording a video (MP4, same folder)"),
    ("G", "guided mode: pause at each moment of the lesson, with a sentence"),
    ("Ctrl+S / O", "save the view's state / reload the newest saved one"),
    ("E", "export what the plot shows as CSV (captures folder)"),
    ("H", "this help"),
    ("I", "info: what it is, how it works, what to try"),
    ("Esc", "close an overlay, leave fullscreen, or quit (asks first)"),
    ("Mouse", "click a cell to inspect it; wheel to zoom; drag to pan; hover the plot"),
    ("Sliders", "drag, or type a value in the box and press Enter (applies on R)"),
    ("Scrubber", "drag back to any earlier moment; Live (or Space) returns"),
)

INFO = (
    (
        "What it is",
        "A patch of bone marrow, one cell per square, during CAR T-cell therapy of B-cell "
        "leukaemia. Blasts (leukaemia) grow; the patient's T-cells are collected, made into "
        "CAR T-cells that recognise CD19, and infused after lymphodepleting chemotherapy.",
    ),
    (
        "How it works",
        "Each step is an hour or so. CAR T-cells walk at random; next to a CD19-positive cell "
        "(blast or healthy B-cell) they may kill it, divide and release cytokine. After "
        "about two days spent next to targets they exhaust; a few become long-lived "
        "memory cells that bud fresh killers when CD19 comes back (too much CD19 wears "
        "them out as well). Blasts divide into free "
        "space and rarely lose CD19, which hides them from CAR T-cells. Native T-cells near "
        "a kill can be 'taught' to attack blasts (a hypothesis you can switch off).",
    ),
    (
        "Things to notice",
        "CAR T-cells multiply when they kill and, for about a week after lymphodepletion, "
        "also without targets (homeostatic expansion: the chemotherapy leaves room and "
        "growth signals), so their number can keep rising after the blasts are gone; "
        "then it falls and a few memory cells stay. Healthy B-cells disappear too (B-cell "
        "aplasia). The cytokine peak (C overlay) follows the killing: cytokine release "
        "syndrome (CRS); the CRS box shows today's grade and the highest so far. "
        "CD19-negative blasts (orange rings) are never attacked by CAR T-cells; a kill is "
        "a brief green spark.",
    ),
    (
        "Things to try",
        "Halve the dose and reset. Raise CD19 loss and watch for a CD19-negative relapse. "
        "Give tocilizumab at the cytokine peak. Switch teaching off. Compare autologous "
        "and donor side by side (key B: the same patient in both). Press G for guided mode. "
        "Rewind to the moment the first kill happened.",
    ),
    (
        "Limits",
        "A teaching model, not for clinical decisions. A small square of tissue stands for "
        "the whole marrow; cell numbers, rates and grades are illustrative, calibrated only "
        "roughly to trial results (see docs/model.md).",
    ),
)


def _panel(screen: pygame.Surface, rect: pygame.Rect, theme: Theme) -> None:
    shade = pygame.Surface(screen.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 120))
    screen.blit(shade, (0, 0))
    pygame.draw.rect(screen, theme.panel, rect, border_radius=10)
    pygame.draw.rect(screen, theme.panel_edge, rect, 2, border_radius=10)


def _how_to_close(
    screen: pygame.Surface, text: str, size: int, theme: Theme, box: pygame.Rect
) -> None:
    """The muted note in a box's top-right corner saying how to close it."""
    draw_text(screen, text, size, theme.muted, (box.right - 16, box.y + 14), anchor="topright")


def draw_help(screen: pygame.Surface, theme: Theme, text_px: int) -> None:
    """Every key and what it does (smaller text if the list would not fit the height)."""
    w, h = screen.get_size()
    text_px = min(text_px, int((h - 30) / (1.7 * (len(KEYS) + 3))))
    row = round(text_px * 1.7)
    rect = pygame.Rect(0, 0, min(w - 40, round(text_px * 46)), row * (len(KEYS) + 3))
    rect.center = (w // 2, h // 2)
    _panel(screen, rect, theme)
    draw_text(screen, "Keys", round(text_px * 1.3), theme.text, (rect.x + 20, rect.y + 10), True)
    key_w = round(text_px * 7)
    for index, (key, meaning) in enumerate(KEYS):
        y = rect.y + row * (index + 2)
        draw_text(screen, key, text_px, theme.text, (rect.x + 20, y), bold=True)
        draw_text(screen, meaning, text_px, theme.text, (rect.x + 20 + key_w, y))
    _how_to_close(screen, "H or Esc to close", round(text_px * 0.9), theme, rect)


def draw_info(screen: pygame.Surface, theme: Theme, text_px: int) -> None:
    """What it is / How it works / Things to notice / Things to try / Limits."""
    w, h = screen.get_size()
    rect = pygame.Rect(0, 0, min(w - 40, round(text_px * 62)), h - 60)
    rect.center = (w // 2, h // 2)
    _panel(screen, rect, theme)
    size = text_px
    line_h = round(size * 1.45)
    y = rect.y + 14
    _how_to_close(screen, "I or Esc to close", round(size * 0.9), theme, rect)
    for title, body in INFO:
        draw_text(screen, title, round(size * 1.15), theme.text, (rect.x + 20, y), bold=True)
        y += round(size * 1.7)
        for line in wrap(body, size, rect.w - 40):
            draw_text(screen, line, size, theme.text, (rect.x + 20, y))
            y += line_h
        y += round(size * 0.5)


def inspector_lines(info: dict[str, Any] | None) -> list[str]:
    """The inspector's text for ``describe_site`` output (``None``: not available)."""
    if info is None:
        return ["Inspect shows the present:", "press End (or Live) first."]
    lines = [f"Site ({info['x']}, {info['y']})   cytokine {info['cytokine']:g}"]
    resident = info["resident"]
    if resident is None:
        lines.append("Resident: none (free space)")
    else:
        lines.append(f"Resident: {resident['kind']}")
        if resident["age_days"] is not None:
            lines.append(f"   {_age(resident)}")
    cell = info["t_cell"]
    if cell is None:
        lines.append("T-cell: none")
    else:
        lines.append(f"T-cell: {cell['kind']}, {cell['state']}")
        lines.append(f"   origin: {cell['origin']}")
        if cell["kills"] is not None:
            lines.append(f"   kills {cell['kills']}, stimulations {cell['stimulations']}")
        if cell["age_days"] is not None:
            lines.append(f"   {_age(cell)}")
    return lines


def _age(cell: dict[str, Any]) -> str:
    text = f"age {cell['age_days']:.1f} days"
    return text + " (there since set-up)" if cell.get("from_start") else text


def draw_inspector(
    screen: pygame.Surface,
    anchor: tuple[int, int],
    lines: list[str],
    theme: Theme,
    text_px: int,
    bounds: pygame.Rect,
) -> None:
    """A box with ``lines`` next to ``anchor``, kept inside ``bounds``."""
    size = max(10, round(text_px * 0.9))
    line_h = round(size * 1.45)
    width = max(font(size).size(line)[0] for line in lines) + 24
    rect = pygame.Rect(anchor[0] + 14, anchor[1] + 14, width, line_h * len(lines) + 16)
    rect.clamp_ip(bounds)
    pygame.draw.rect(screen, theme.panel, rect, border_radius=8)
    pygame.draw.rect(screen, theme.accent, rect, 1, border_radius=8)
    for index, line in enumerate(lines):
        draw_text(
            screen,
            line,
            size,
            theme.text,
            (rect.x + 12, rect.y + 8 + index * line_h),
            bold=index == 0,
        )


def draw_caption(
    screen: pygame.Surface,
    rect: pygame.Rect,
    caption: tuple[str, str],
    theme: Theme,
    text_px: int,
) -> None:
    """Guided mode's caption (title and sentence) across the top of ``rect``."""
    title, sentence = caption
    size = round(text_px * 1.1)
    lines = wrap(sentence, size, rect.w - 32)
    line_h = round(size * 1.4)
    box = pygame.Rect(rect.x, rect.y, rect.w, line_h * (len(lines) + 1) + 28)
    pygame.draw.rect(screen, theme.panel, box, border_radius=8)
    pygame.draw.rect(screen, theme.accent, box, 2, border_radius=8)
    draw_text(screen, title, round(size * 1.1), theme.text, (box.x + 16, box.y + 10), True)
    for index, line in enumerate(lines):
        y = box.y + 14 + line_h * (index + 1)
        draw_text(screen, line, size, theme.text, (box.x + 16, y))
    _how_to_close(screen, "Space: play on", round(size * 0.85), theme, box)
