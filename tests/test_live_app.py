"""The live view driven headless (SDL dummy driver) with posted keys and mouse clicks."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from collections.abc import Iterator

import numpy as np
import pygame
import pytest

from viz.live.app import LiveApp, LiveConfig
from viz.live.recording import grab


@pytest.fixture
def app() -> Iterator[LiveApp]:
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    pygame.display.init()
    pygame.font.init()
    live = LiveApp(LiveConfig(scenarios=["classroom"], seed=5))
    live.frame()
    yield live
    pygame.quit()


def key(app: LiveApp, code: int, mod: int = 0, dt: float = 1 / 60) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0))
    app.frame(dt)


def click(app: LiveApp, pos: tuple[int, int], frames: int = 4) -> None:
    pygame.mouse.set_pos(pos)
    app.frame()
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos))
    for _ in range(3):
        app.frame(0.05)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos))
    for _ in range(frames):
        app.frame(0.05)


def above_status(app: LiveApp) -> np.ndarray:
    """The screen above the status line (which shows passing messages)."""
    return grab(app.screen)[: app.layout.status.y].copy()


def test_opens_paused_before_the_infusion_with_a_hint(app: LiveApp) -> None:
    arm = app.arms[0]
    assert not app.playing
    infusion = arm.model.plan.infusion_day
    assert infusion is not None and 0 < infusion - arm.latest.day <= 3
    assert "Space to play" in app.status


def test_space_plays_and_pauses(app: LiveApp) -> None:
    start = app.arms[0].step_count
    key(app, pygame.K_SPACE, dt=0.5)  # 0.5 s at 24 simulated hours a second
    assert app.playing
    assert app.arms[0].step_count > start
    key(app, pygame.K_SPACE)
    paused_at = app.arms[0].step_count
    app.frame(0.5)
    assert not app.playing and app.arms[0].step_count == paused_at


def test_right_steps_once(app: LiveApp) -> None:
    start = app.arms[0].step_count
    key(app, pygame.K_RIGHT)
    assert app.arms[0].step_count == start + 1


def test_reset_gives_the_same_frame_bit_for_bit(app: LiveApp) -> None:
    before = above_status(app)
    for _ in range(30):
        key(app, pygame.K_RIGHT)
    assert not np.array_equal(before, above_status(app))
    key(app, pygame.K_r)
    assert np.array_equal(before, above_status(app))


def test_shift_r_draws_a_new_seed(app: LiveApp) -> None:
    before = above_status(app)
    key(app, pygame.K_r, mod=pygame.KMOD_LSHIFT)
    assert app.seed != 5
    assert not np.array_equal(before, above_status(app))


def test_slider_changes_the_parameter_on_reset(app: LiveApp) -> None:
    key_name = "car_t.dose_per_10k_sites"
    slider = app.controls.sliders[key_name]
    start = slider.get_current_value()
    click(app, slider.right_button.rect.center)
    assert app.wanted[key_name] == start + 1
    assert app.arms[0].model.parameters.car_t.dose_per_10k_sites != start + 1  # not yet
    key(app, pygame.K_r)
    assert app.arms[0].model.parameters.car_t.dose_per_10k_sites == start + 1


def test_infuse_button_adds_car_t_cells(app: LiveApp) -> None:
    assert app.arms[0].latest.counts.car_t == 0
    click(app, app.controls.events["infuse"].rect.center)
    assert app.arms[0].latest.counts.car_t == 12
    assert "Infused" in app.status


def test_clicking_a_cell_inspects_it(app: LiveApp) -> None:
    grid = app.grids[0]
    ox, oy = grid.origin
    snapshot = app.arms[0].latest
    xs, ys = np.nonzero(snapshot.resident == 3)  # a healthy B-cell
    x, y = int(xs[0]), int(ys[0])
    pos = (ox + x * grid.cell_px + grid.cell_px // 2, oy + y * grid.cell_px + grid.cell_px // 2)
    click(app, pos)
    assert app.inspected == (0, x, y)
    assert app.inspector is not None
    lines = app.inspector[1]
    assert lines[0].startswith(f"Site ({x}, {y})")
    assert any("healthy B-cell" in line for line in lines)


def test_scrubber_shows_an_earlier_frame(app: LiveApp) -> None:
    for _ in range(24):
        key(app, pygame.K_RIGHT)
    live = above_status(app)
    bar = app.layout.scrubber
    click(app, (bar.x + 2, bar.centery))
    assert app.scrub_index == 0
    shown = app.shown(0)
    assert shown.step < app.arms[0].step_count
    assert not np.array_equal(live, above_status(app))
    key(app, pygame.K_SPACE)  # play returns to the present
    assert app.scrub_index is None and app.playing


def test_help_and_info_overlays(app: LiveApp) -> None:
    plain = above_status(app)
    key(app, pygame.K_h)
    assert app.overlay == "help"
    assert not np.array_equal(plain, above_status(app))
    key(app, pygame.K_i)
    assert app.overlay == "info"
    key(app, pygame.K_ESCAPE)
    assert app.overlay is None and app.running


def test_projector_theme_and_screenshot_not_blank(app: LiveApp, tmp_path) -> None:
    key(app, pygame.K_p)
    assert app.theme.name == "projector"
    path = app.screenshot(tmp_path / "shot.png")
    image = pygame.surfarray.array3d(pygame.image.load(str(path)))
    assert image.shape[:2] == (1280, 720)
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 50
