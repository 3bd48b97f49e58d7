"""The live view driven headless (SDL dummy driver) with posted keys and mouse clicks."""

from __future__ import annotations

import itertools
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


def test_right_never_passes_the_end_of_the_run(app: LiveApp) -> None:
    arm = app.arms[0]
    end = arm.run_days() * arm.model.steps_per_day
    while arm.step_count < end:
        app._advance(1)
    key(app, pygame.K_RIGHT)
    key(app, pygame.K_RIGHT)
    assert arm.step_count == end
    assert "End of the run" in app.status


def test_right_after_a_rewind_moves_one_frame_not_to_now(app: LiveApp) -> None:
    for _ in range(12):
        app._advance(1)
    steps = app.arms[0].step_count
    key(app, pygame.K_LEFT)
    key(app, pygame.K_LEFT)
    rewound = app.scrub_index
    key(app, pygame.K_RIGHT)
    assert app.scrub_index == rewound + 1  # one stored frame later, still rewound
    assert app.arms[0].step_count == steps  # nothing simulated


def test_escape_asks_before_quitting(app: LiveApp) -> None:
    key(app, pygame.K_ESCAPE)
    assert app.running and "Quit?" in app.status
    key(app, pygame.K_h)  # any other key: stay
    key(app, pygame.K_h)
    key(app, pygame.K_ESCAPE)
    assert app.running
    key(app, pygame.K_ESCAPE)
    assert not app.running


def test_escape_leaves_fullscreen_first(app: LiveApp) -> None:
    key(app, pygame.K_f)
    assert app.fullscreen
    key(app, pygame.K_ESCAPE)
    assert not app.fullscreen and app.running and not app.quit_asked


def test_a_typed_value_moves_the_slider_and_applies_on_reset(app: LiveApp) -> None:
    import pygame_gui

    entry = app.controls.entries["car_t.kill_rate_per_day"]
    app.manager.set_focus_set(entry)  # clicked: the keys type into the box
    for text, applied in (("12", False), ("abc", False), ("2.35", True)):
        entry.set_text(text)
        pygame.event.post(
            pygame.event.Event(pygame_gui.UI_TEXT_ENTRY_FINISHED, ui_element=entry, text=text)
        )
        app.frame()
        assert ("car_t.kill_rate_per_day" in app.wanted) == applied
        assert app.controls.typing() == (not applied)  # a good value gives the keys back
    assert app.controls.sliders["car_t.kill_rate_per_day"].get_current_value() == 2.35
    key(app, pygame.K_r)
    assert app.arms[0].scenario.car_t.kill_rate_per_day == 2.35


def test_every_scenario_has_a_key_and_its_key_numbers_in_the_chooser(app: LiveApp) -> None:
    from sim.loader import scenario_names
    from viz.live.controls import SIDE_BY_SIDE, chooser_text, keyed_scenarios

    keyed = keyed_scenarios()
    assert set(keyed.values()) == {*scenario_names(), SIDE_BY_SIDE}
    assert chooser_text("donor", keyed).endswith("donor: donor cells, 35% blasts, 240 d")
    key(app, pygame.K_b)
    assert app.names == ["autologous", "donor"]


def test_guided_mode_pauses_at_the_infusion_with_a_sentence(app: LiveApp) -> None:
    key(app, pygame.K_g)
    assert app.guide.enabled
    key(app, pygame.K_SPACE)
    infusion = app.arms[0].model.plan.infusion_day
    for _ in range(400):
        app.frame(0.25)
        if not app.playing:
            break
    assert not app.playing and app.guide.caption is not None
    title, sentence = app.guide.caption
    assert title.startswith("Infusion") and "CD19" in sentence
    assert app.arms[0].latest.day >= infusion
    key(app, pygame.K_SPACE)  # plays on to the next moment
    assert app.playing and app.guide.caption is None


def test_kill_marks_are_capped_and_brief(app: LiveApp) -> None:
    from sim.snapshot import EventMark
    from viz.live.gridview import MARK_SECONDS, MAX_MARKS

    grid = app.grids[0]
    grid.clear_marks()
    events = tuple(EventMark(0, "car_t_kill", x % 40, x // 40) for x in range(300))
    grid.add_marks(events, now=app.now)
    assert len(grid.marks) == MAX_MARKS
    app.now += MARK_SECONDS + 0.01
    app.frame(0.0)
    assert grid.marks == []


def test_the_timeline_labels_every_phase_with_its_day_without_overlap(app: LiveApp) -> None:
    from viz.live.timeline import phases, place_labels

    plan = app.arms[0].latest.plan
    labels = [phase.label for phase in phases(plan)]
    assert f"infusion d{plan.infusion_day}" in labels
    assert f"day 28: d{plan.infusion_day + 28}" in labels
    assert any(label.startswith("collection d0") for label in labels)
    assert any(label.startswith("lymphodepletion d") for label in labels)
    wanted = [(100, "infusion d12", "inf."), (104, "day 28: d40", "d28"), (98, "other d11", "d11")]
    placed = place_labels(wanted, 0, 400, lambda text: 8 * len(text))
    for row in (0, 1):
        spans = sorted((x, x + 8 * len(t)) for x, r, t in placed if r == row)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert placed[0][2] == "infusion d12"  # the most important label keeps its full text


def test_a_value_box_shows_the_slider_value_again_after_bad_text(app: LiveApp) -> None:
    from viz.live.controls import SLIDERS

    spec = SLIDERS[0]
    entry = app.controls.entries[spec.key]
    entry.set_text("oops")  # typed, never applied, focus gone
    app.frame()
    assert entry.get_text() == spec.text(app.wanted.get(spec.key, spec.value_of(app.base)))


def test_playing_stops_at_the_last_day_not_past_it(app: LiveApp) -> None:
    arm = app.arms[0]
    last = arm.run_days() * arm.model.steps_per_day
    app._advance(last - 1 - arm.step_count)
    app.speed_index = len(app_speeds()) - 1
    app.playing = True
    for _ in range(3):
        app.update(0.1)
    assert arm.step_count == last


def app_speeds() -> tuple[int, ...]:
    from viz.live.speeds import SPEEDS_HOURS_PER_SECOND

    return tuple(SPEEDS_HOURS_PER_SECOND)


def test_thinning_the_frames_keeps_the_highest_crs_grade(app: LiveApp) -> None:
    arm = app.arms[0]
    arm.max_crs_grade = 3  # as if grade 3 had been reached between stored frames
    arm.store.max_frames = 2
    for _ in range(4 * arm.store.spacing_steps):
        arm.step()
    assert arm.highest_crs_grade(arm.step_count) == 3
    assert arm.store.frames[-1].max_crs_grade == 3


def test_the_compiled_engine_steps_the_same_view() -> None:
    """``animate --engine compiled``: the live view's runs step on the compiled engine
    and show what the reference engine shows (the same runs, bit for bit)."""
    shown = {}
    for engine in ("reference", "compiled"):
        pygame.display.init()
        pygame.font.init()
        live = LiveApp(LiveConfig(scenarios=["classroom"], seed=5, engine=engine))
        assert live.arms[0].model.engine.name == engine
        for _ in range(30):
            live._advance(1)
        live.frame()
        shown[engine] = (grab(live.screen).copy(), live.arms[0].latest.counts)
        pygame.quit()
    assert shown["reference"][1] == shown["compiled"][1]
    assert np.array_equal(shown["reference"][0], shown["compiled"][0])
