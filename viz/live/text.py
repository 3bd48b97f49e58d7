"""Cached text rendering (rendering the same label every frame would cost milliseconds)."""

from __future__ import annotations

from functools import lru_cache

import pygame

from viz.live.palette import Colour, font

HINT = "Space to play, H for help"
"""The status line of a fresh view: how to start and where the keys are."""


@lru_cache(maxsize=4096)
def rendered(text: str, size: int, colour: Colour, bold: bool = False) -> pygame.Surface:
    """``text`` rendered (anti-aliased) in the bundled font at ``size`` px."""
    return font(size, bold).render(text, True, colour)


def draw_text(
    screen: pygame.Surface,
    text: str,
    size: int,
    colour: Colour,
    pos: tuple[int, int],
    bold: bool = False,
    anchor: str = "topleft",
) -> pygame.Rect:
    """Draw ``text`` with its ``anchor`` (a ``pygame.Rect`` attribute) at ``pos``."""
    surface = rendered(text, size, colour, bold)
    rect = surface.get_rect(**{anchor: pos})
    screen.blit(surface, rect)
    return rect


def wrap(text: str, size: int, width: int, bold: bool = False) -> list[str]:
    """Split ``text`` into lines that fit ``width`` px."""
    face = font(size, bold)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}".strip()
            if face.size(trial)[0] <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines
