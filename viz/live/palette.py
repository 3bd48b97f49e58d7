"""Colours, the two themes (dark default, light projector), fonts and the cell tiles.

Cell kinds use the Okabe-Ito palette *and* a shape each, so colour is never the only cue:
blasts are discs (CD19-positive filled, CD19-negative a ring), B-cells rounded squares,
CAR T-cells green (filled effector, hollow memory, grey exhausted): the patient's own
diamonds, a donor's triangles (green like every CAR T-cell: at a few pixels a blue
triangle was read as a sky-blue B-cell from the back of a room), naive T-cells small
dots, taught T-cells stars and alloreactive T-cells crosses. One tile is pre-rendered for
each (resident, T-cell) pair, drawn at 4x and smoothed down. Events are brief sparks
(:mod:`viz.live.gridview`), a shape no cell has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pygame
import pygame_gui

from agents.kinds import MobileKind, ResidentKind
from study.analysis.vocabulary import LEUKAEMIA_WORDS, Vocabulary

Colour = tuple[int, int, int]

VERMILLION: Colour = (0xD5, 0x5E, 0x00)
PURPLE: Colour = (0xCC, 0x79, 0xA7)
SKY_BLUE: Colour = (0x56, 0xB4, 0xE9)
GREEN: Colour = (0x00, 0x9E, 0x73)
YELLOW: Colour = (0xF0, 0xE4, 0x42)
BLUE: Colour = (0x00, 0x72, 0xB2)
ORANGE: Colour = (0xE6, 0x9F, 0x00)
GREY: Colour = (0x99, 0x99, 0x99)

N_MOBILE = len(MobileKind)
N_RESIDENT = len(ResidentKind)
N_CODES = N_RESIDENT * N_MOBILE
FONT_DIR = Path(pygame_gui.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Theme:
    """The colours and text size of one look. ``text_scale`` multiplies every font.
    ``marrow`` is an empty site of the grid: dark in both themes, because the cell colours
    (sky-blue B-cells, yellow stars) lose their contrast on white (about 2:1) and keep it on
    a dark field (7:1 and more), the way a fluorescence image is shown."""

    name: str
    background: Colour
    panel: Colour
    panel_edge: Colour
    text: Colour
    muted: Colour
    site: Colour
    marrow: Colour
    outline: Colour
    naive: Colour
    accent: Colour
    text_scale: float


DARK = Theme(
    name="dark",
    background=(22, 24, 30),
    panel=(34, 37, 46),
    panel_edge=(60, 64, 78),
    text=(235, 235, 240),
    muted=(160, 165, 178),
    site=(44, 46, 56),
    marrow=(44, 46, 56),
    outline=(10, 10, 12),
    naive=(175, 175, 185),
    accent=(255, 255, 255),
    text_scale=1.0,
)
PROJECTOR = Theme(
    name="projector",
    background=(250, 250, 247),
    panel=(238, 238, 233),
    panel_edge=(170, 170, 165),
    text=(10, 10, 10),
    muted=(70, 70, 70),
    site=(255, 255, 255),
    marrow=(40, 42, 50),
    outline=(0, 0, 0),
    naive=(175, 175, 185),
    accent=(0, 0, 0),
    text_scale=1.2,
)


def series(words: Vocabulary = LEUKAEMIA_WORDS) -> dict[str, tuple[str, Colour]]:
    """The chart's series: key -> (label, colour), the disease cells named by ``words``
    (blasts, or a lymphoma's tumour cells)."""
    return {
        "blasts_cd19_positive": (f"{words.cells} CD19+", VERMILLION),
        "blasts_cd19_negative": (f"{words.cells} CD19-", ORANGE),
        "car_t": ("CAR T-cells", GREEN),
        "taught_t": ("Taught T-cells", YELLOW),
        "b_cells": ("B-cells", SKY_BLUE),
        "cytokine_systemic": ("Cytokine", PURPLE),
    }


SERIES = series()
"""The series with the leukaemia's words (their keys and colours hold for every disease)."""


def legend(words: Vocabulary = LEUKAEMIA_WORDS) -> list[tuple[str, int, int]]:
    """The grid legend: (label, resident kind, mobile kind), the disease cell named by
    ``words``."""
    return [
        (f"{words.cell} CD19+", ResidentKind.BLAST_CD19_POSITIVE, MobileKind.EMPTY),
        (f"{words.cell} CD19-", ResidentKind.BLAST_CD19_NEGATIVE, MobileKind.EMPTY),
        ("Healthy B-cell", ResidentKind.B_CELL, MobileKind.EMPTY),
        ("CAR T effector", ResidentKind.EMPTY, MobileKind.CAR_T_EFFECTOR),
        ("CAR T memory", ResidentKind.EMPTY, MobileKind.CAR_T_MEMORY),
        ("CAR T exhausted", ResidentKind.EMPTY, MobileKind.CAR_T_EXHAUSTED),
        ("Donor CAR T", ResidentKind.EMPTY, MobileKind.DONOR_CAR_T_EFFECTOR),
        ("Donor memory", ResidentKind.EMPTY, MobileKind.DONOR_CAR_T_MEMORY),
        ("Naive T-cell", ResidentKind.EMPTY, MobileKind.NATIVE_NAIVE),
        ("Taught T-cell", ResidentKind.EMPTY, MobileKind.NATIVE_TAUGHT),
        ("Alloreactive T", ResidentKind.EMPTY, MobileKind.NATIVE_ALLOREACTIVE),
    ]


LEGEND = legend()
MARK_LEGEND = (("Kill (brief)", "car_t_kill"), ("Teaching (brief)", "teaching"))
"""The event marks the legend explains: label, event kind (viz.live.gridview)."""


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> pygame.font.Font:
    """The bundled Noto Sans at ``size`` px."""
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    return pygame.font.Font(str(FONT_DIR / name), max(6, size))


def _diamond(c: float, r: float) -> list[tuple[float, float]]:
    return [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]


def _triangle(c: float, r: float) -> list[tuple[float, float]]:
    return [(c, c - r), (c + r * 0.95, c + r * 0.75), (c - r * 0.95, c + r * 0.75)]


def _star(c: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((c + radius * math.cos(angle), c + radius * math.sin(angle)))
    return points


def _draw_resident(surface: pygame.Surface, kind: int, size: int) -> None:
    c = size / 2
    if kind == ResidentKind.BLAST_CD19_POSITIVE:
        pygame.draw.circle(surface, VERMILLION, (c, c), size * 0.46)
    elif kind == ResidentKind.BLAST_CD19_NEGATIVE:
        pygame.draw.circle(surface, ORANGE, (c, c), size * 0.46, width=max(1, round(size * 0.15)))
    elif kind == ResidentKind.B_CELL:
        inset = round(size * 0.12)
        rect = pygame.Rect(inset, inset, size - 2 * inset, size - 2 * inset)
        pygame.draw.rect(surface, SKY_BLUE, rect, border_radius=round(size * 0.18))


def _polygon(
    surface: pygame.Surface, colour: Colour, outline: Colour, points: list, w: int, hollow: bool
) -> None:
    if hollow:
        pygame.draw.polygon(surface, outline, points, width=w * 3)
        pygame.draw.polygon(surface, colour, points, width=w * 2)
    else:
        pygame.draw.polygon(surface, colour, points)
        pygame.draw.polygon(surface, outline, points, width=w)


def _draw_mobile(surface: pygame.Surface, kind: int, size: int, theme: Theme, small: bool) -> None:
    c = size / 2
    r = size * (0.46 if small else 0.34)
    w = max(1, round(size * 0.05))
    out = theme.outline
    if kind in (MobileKind.CAR_T_EFFECTOR, MobileKind.CAR_T_MEMORY, MobileKind.CAR_T_EXHAUSTED):
        colour = GREY if kind == MobileKind.CAR_T_EXHAUSTED else GREEN
        _polygon(surface, colour, out, _diamond(c, r * 1.1), w, kind == MobileKind.CAR_T_MEMORY)
    elif kind in (
        MobileKind.DONOR_CAR_T_EFFECTOR,
        MobileKind.DONOR_CAR_T_MEMORY,
        MobileKind.DONOR_CAR_T_EXHAUSTED,
    ):
        colour = GREY if kind == MobileKind.DONOR_CAR_T_EXHAUSTED else GREEN
        hollow = kind == MobileKind.DONOR_CAR_T_MEMORY
        _polygon(surface, colour, out, _triangle(c, r * 1.1), w, hollow)
    elif kind == MobileKind.NATIVE_NAIVE:
        dot = size * (0.24 if small else 0.17)
        pygame.draw.circle(surface, out, (c, c), dot)
        pygame.draw.circle(surface, theme.naive, (c, c), dot - w)
    elif kind == MobileKind.NATIVE_TAUGHT:
        _polygon(surface, YELLOW, out, _star(c, r * 1.2), w, False)
    elif kind == MobileKind.NATIVE_ALLOREACTIVE:
        a, b = c - r, c + r
        for start, end in (((a, a), (b, b)), ((a, b), (b, a))):
            pygame.draw.line(surface, out, start, end, w * 6)
            pygame.draw.line(surface, PURPLE, start, end, w * 4)


def make_tile(resident: int, mobile: int, cell_px: int, theme: Theme) -> pygame.Surface:
    """One site drawn at ``cell_px`` pixels (drawn at 4x, then smoothed down). Below 8 px
    the T-cell is drawn larger, over the resident, so it stays visible."""
    big = cell_px * 4
    surface = pygame.Surface((big, big))
    surface.fill(theme.marrow)
    _draw_resident(surface, resident, big)
    _draw_mobile(surface, mobile, big, theme, small=cell_px < 8)
    return pygame.transform.smoothscale(surface, (cell_px, cell_px))


def make_tiles(cell_px: int, theme: Theme) -> list[pygame.Surface]:
    """Tiles for every code ``resident * N_MOBILE + mobile``."""
    return [
        make_tile(resident, mobile, cell_px, theme)
        for resident in range(N_RESIDENT)
        for mobile in range(N_MOBILE)
    ]


def gui_theme(theme: Theme, scale: float) -> dict:
    """A pygame-gui theme (dict) matching ``theme`` at text size ``scale``."""

    def hex_colour(colour: Colour) -> str:
        return "#{:02x}{:02x}{:02x}".format(*colour)

    size = str(round(14 * scale * theme.text_scale))
    font_spec = {"name": "noto_sans", "size": size}
    light = theme.name == "projector"
    normal_bg = "#ffffff" if light else "#3a3f4e"
    hovered_bg = "#dde8f5" if light else "#4b5266"
    return {
        "defaults": {
            "colours": {
                "normal_bg": normal_bg,
                "hovered_bg": hovered_bg,
                "active_bg": "#0072b2",
                "selected_bg": "#0072b2",
                "disabled_bg": hex_colour(theme.panel),
                "normal_text": hex_colour(theme.text),
                "hovered_text": hex_colour(theme.text),
                "active_text": "#ffffff",
                "selected_text": "#ffffff",
                "disabled_text": hex_colour(theme.muted),
                "normal_border": hex_colour(theme.panel_edge),
                "hovered_border": "#0072b2",
                "active_border": "#0072b2",
                "dark_bg": hex_colour(theme.panel),
                "filled_bar": "#009e73",
                "unfilled_bar": hex_colour(theme.site),
            },
            "font": {"name": "noto_sans", "size": size},
            "misc": {"shape": "rounded_rectangle", "shape_corner_radius": "4"},
        },
        "label": {
            "colours": {"normal_text": hex_colour(theme.text), "dark_bg": "#00000000"},
            "misc": {"text_horiz_alignment": "left"},
            "font": font_spec,
        },
        "button": {"font": font_spec},
        "drop_down_menu": {"font": font_spec},
        "text_entry_line": {"font": font_spec},
        "tool_tip": {"colours": {"dark_bg": hex_colour(theme.panel)}, "font": font_spec},
    }
