"""The grid: pre-rendered tiles blitted onto a kept surface (only the sites that changed),
the cytokine field as an optional translucent overlay, brief marks for kills and teaching,
and zoom (mouse wheel) with panning (drag) for grids larger than the view.
"""

from __future__ import annotations

import numpy as np
import pygame

from viz.live.palette import GREEN, N_MOBILE, PURPLE, YELLOW, Theme, make_tiles

MARK_SECONDS = 0.45  # a mark grows and fades once over this time (never flashes)
MAX_MARKS = 60  # marks alive at once per grid: the newest are kept, the grid stays visible
ZOOM_LEVELS_PX = (10, 14, 20, 28)
CYTOKINE_FULL_UNITS = 0.06  # cytokine per site drawn at full overlay strength
SELECTED = (255, 255, 255)  # the inspected site's ring: white on the dark marrow
MARK_COLOURS = {
    "car_t_kill": GREEN,
    "taught_kill": YELLOW,
    "teaching": YELLOW,
    "rejection_kill": PURPLE,
}


class GridView:
    """Draws one run's layers into ``rect``.

    Args:
        rect: where on the screen.
        width, height: the grid in sites.
        theme: colours.
    """

    def __init__(self, rect: pygame.Rect, width: int, height: int, theme: Theme) -> None:
        self.rect = rect
        self.width = width
        self.height = height
        self.theme = theme
        self.fit_px = max(1, min(rect.w // width, rect.h // height))
        self.cell_px = self.fit_px
        self.offset = [0, 0]  # top-left of the visible part of the kept surface, px
        self.marks: list[tuple[str, int, int, float]] = []
        self.show_cytokine = False
        self.selected: tuple[int, int] | None = None
        self._build()

    # --- set-up ----------------------------------------------------------------------
    def _build(self) -> None:
        cell = self.cell_px
        self.tiles = make_tiles(cell, self.theme)
        # one pixel wider than needed: keeps blits off the slow 16-byte-stride path
        self.kept = pygame.Surface((self.width * cell + 1, self.height * cell)).convert()
        self.kept.fill(self.theme.marrow)
        self.codes = np.full((self.width, self.height), -1, dtype=np.int16)
        self._overlay_small = pygame.Surface((self.width, self.height), pygame.SRCALPHA)
        self._overlay_small.fill((*PURPLE, 0))
        self._clamp()

    @property
    def view_px(self) -> tuple[int, int]:
        """Size of the drawn grid on screen, px."""
        return (
            min(self.rect.w, self.width * self.cell_px),
            min(self.rect.h, self.height * self.cell_px),
        )

    @property
    def origin(self) -> tuple[int, int]:
        """Top-left of the drawn grid on screen (centred in ``rect``)."""
        w, h = self.view_px
        return (self.rect.x + (self.rect.w - w) // 2, self.rect.y + (self.rect.h - h) // 2)

    def zoom(self, direction: int) -> None:
        """Zoom in (``+1``) or out (``-1``) through fit and the zoom levels."""
        levels = sorted({self.fit_px, *(z for z in ZOOM_LEVELS_PX if z > self.fit_px)})
        index = levels.index(self.cell_px) if self.cell_px in levels else 0
        index = max(0, min(len(levels) - 1, index + direction))
        if levels[index] != self.cell_px:
            centre = self._centre_site()
            self.cell_px = levels[index]
            self._build()
            self._centre_on(centre)

    def pan(self, dx: int, dy: int) -> None:
        """Move the visible part by ``(dx, dy)`` screen px (drag)."""
        self.offset[0] -= dx
        self.offset[1] -= dy
        self._clamp()

    def _clamp(self) -> None:
        w, h = self.view_px
        self.offset[0] = max(0, min(self.width * self.cell_px - w, self.offset[0]))
        self.offset[1] = max(0, min(self.height * self.cell_px - h, self.offset[1]))

    def _centre_site(self) -> tuple[float, float]:
        w, h = self.view_px
        return ((self.offset[0] + w / 2) / self.cell_px, (self.offset[1] + h / 2) / self.cell_px)

    def _centre_on(self, site: tuple[float, float]) -> None:
        w, h = self.view_px
        self.offset = [round(site[0] * self.cell_px - w / 2), round(site[1] * self.cell_px - h / 2)]
        self._clamp()

    @property
    def zoomed(self) -> bool:
        """Whether only part of the grid is visible."""
        return self.cell_px * self.width > self.rect.w or self.cell_px * self.height > self.rect.h

    def site_at(self, pos: tuple[int, int]) -> tuple[int, int] | None:
        """The site ``(x, y)`` under a screen position, or ``None``."""
        ox, oy = self.origin
        w, h = self.view_px
        if not (ox <= pos[0] < ox + w and oy <= pos[1] < oy + h):
            return None
        x = (pos[0] - ox + self.offset[0]) // self.cell_px
        y = (pos[1] - oy + self.offset[1]) // self.cell_px
        return (int(x), int(y))

    # --- drawing ---------------------------------------------------------------------
    def add_marks(self, events: tuple, now: float) -> None:
        """Start a mark for each event (``EventMark``) at real time ``now``, seconds."""
        for event in events:
            self.marks.append((event.kind, event.x, event.y, now))
        if len(self.marks) > MAX_MARKS:
            self.marks = self.marks[-MAX_MARKS:]

    def clear_marks(self) -> None:
        """Forget every mark (after a reset or a rewind)."""
        self.marks.clear()

    def update_layers(self, resident: np.ndarray, mobile: np.ndarray) -> int:
        """Blit the tiles of the sites whose code changed; returns how many."""
        codes = resident.astype(np.int16) * N_MOBILE + mobile
        xs, ys = np.nonzero(codes != self.codes)
        if xs.size:
            cell = self.cell_px
            tiles = self.tiles
            changed = codes[xs, ys].tolist()
            self.kept.fblits(
                [
                    (tiles[c], (x * cell, y * cell))
                    for c, x, y in zip(changed, xs.tolist(), ys.tolist(), strict=True)
                ]
            )
            self.codes[xs, ys] = codes[xs, ys]
        return int(xs.size)

    def draw(
        self,
        screen: pygame.Surface,
        resident: np.ndarray,
        mobile: np.ndarray,
        cytokine: np.ndarray | None,
        now: float,
    ) -> None:
        """Draw the grid, the overlay, the marks and the selection."""
        self.update_layers(resident, mobile)
        ox, oy = self.origin
        w, h = self.view_px
        screen.blit(self.kept, (ox, oy), pygame.Rect(self.offset[0], self.offset[1], w, h))
        clip = screen.get_clip()
        screen.set_clip(pygame.Rect(ox, oy, w, h))
        if self.show_cytokine and cytokine is not None:
            self._draw_cytokine(screen, cytokine)
        self._draw_marks(screen, now)
        if self.selected is not None:
            cx, cy = self._site_centre(*self.selected)
            r = max(4, self.cell_px)
            pygame.draw.circle(screen, SELECTED, (cx, cy), r, width=2)
        screen.set_clip(clip)
        pygame.draw.rect(
            screen, self.theme.panel_edge, pygame.Rect(ox - 1, oy - 1, w + 2, h + 2), 1
        )

    def _site_centre(self, x: int, y: int) -> tuple[int, int]:
        ox, oy = self.origin
        half = self.cell_px // 2
        return (
            ox + x * self.cell_px - self.offset[0] + half,
            oy + y * self.cell_px - self.offset[1] + half,
        )

    def _draw_cytokine(self, screen: pygame.Surface, cytokine: np.ndarray) -> None:
        alpha = pygame.surfarray.pixels_alpha(self._overlay_small)
        strength = np.clip(np.asarray(cytokine, dtype=np.float32) / CYTOKINE_FULL_UNITS, 0.0, 1.0)
        alpha[:] = (np.sqrt(strength) * 170).astype(np.uint8)
        del alpha
        cell = self.cell_px
        x0, y0 = self.offset[0] // cell, self.offset[1] // cell
        w, h = self.view_px
        nx = min(self.width - x0, w // cell + 2)
        ny = min(self.height - y0, h // cell + 2)
        part = self._overlay_small.subsurface(pygame.Rect(x0, y0, nx, ny))
        scaled = pygame.transform.smoothscale(part, (nx * cell, ny * cell))
        ox, oy = self.origin
        screen.blit(scaled, (ox - (self.offset[0] - x0 * cell), oy - (self.offset[1] - y0 * cell)))

    def _draw_marks(self, screen: pygame.Surface, now: float) -> None:
        """A spark per event (kills, teaching), a shape no cell has: a CD19-negative
        blast is a ring, so a kill is never one."""
        alive = []
        for mark in self.marks:
            kind, x, y, born = mark
            age = now - born
            if age >= MARK_SECONDS or age < 0:
                continue
            alive.append(mark)
            draw_spark(
                screen,
                kind,
                self._site_centre(x, y),
                self.cell_px,
                age / MARK_SECONDS,
                self.theme.outline,
            )
        self.marks = alive


def draw_spark(
    screen: pygame.Surface,
    kind: str,
    centre: tuple[int, int],
    cell_px: int,
    grow: float,
    outline: tuple[int, int, int],
) -> None:
    """Four rays around ``centre`` (a + for a kill, an x for teaching), outlined, growing
    and thinning as ``grow`` goes from 0 to 1."""
    cx, cy = centre
    inner = max(2, round(cell_px * (0.3 + 0.5 * grow)))
    outer = inner + max(3, round(cell_px * 0.8))
    width = max(2, round(cell_px * 0.25 * (1.0 - grow)))
    colour = MARK_COLOURS.get(kind, outline)
    rays = (
        ((1, 1), (1, -1), (-1, 1), (-1, -1))
        if kind == "teaching"
        else ((1, 0), (-1, 0), (0, 1), (0, -1))
    )
    for dx, dy in rays:
        start = (cx + dx * inner, cy + dy * inner)
        end = (cx + dx * outer, cy + dy * outer)
        pygame.draw.line(screen, outline, start, end, width + 2)
        pygame.draw.line(screen, colour, start, end, width)
