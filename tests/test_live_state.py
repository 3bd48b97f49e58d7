"""Save and reload the live view (Ctrl+S / Ctrl+O, --resume), hover readout and CSV export."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from main import main
from viz.live.app import LiveApp, LiveConfig


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    pygame.display.init()
    pygame.font.init()
    live = LiveApp(LiveConfig(scenarios=["classroom"], seed=3, out=tmp_path / "caps"))
    live.frame()
    yield live
    pygame.quit()


def _key(app: LiveApp, code: int, mod: int = 0) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0))
    app.frame()


def test_a_saved_view_reloads_to_the_same_moment_bit_for_bit(app: LiveApp, tmp_path: Path) -> None:
    app.wanted["car_t.kill_rate_per_day"] = 3.0
    app.reset()
    app._advance(30)
    app.live_event("tocilizumab")
    app._advance(40)
    _key(app, pygame.K_LEFT)  # rewound one stored frame
    _key(app, pygame.K_s, pygame.KMOD_CTRL)
    saved = sorted((tmp_path / "caps").glob("cartsim-state-*.json"))
    assert len(saved) == 1 and str(saved[0]) in app.status
    expected = (app.arms[0].step_count, app.arms[0].latest.counts, app.scrub_index)
    app.reset(new_seed=True)
    _key(app, pygame.K_o, pygame.KMOD_CTRL)
    arm = app.arms[0]
    assert (arm.step_count, arm.latest.counts, app.scrub_index) == expected
    assert arm.scenario.car_t.kill_rate_per_day == 3.0
    assert [name for _, name in app.given] == ["tocilizumab"]


def test_resume_of_a_file_that_is_not_a_state_is_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["animate", "--resume", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a saved live-view state" in err[0]


def test_e_exports_what_the_plot_shows_as_csv(app: LiveApp, tmp_path: Path) -> None:
    import pandas as pd

    app._advance(24)
    app.frame()
    _key(app, pygame.K_e)
    files = list((tmp_path / "caps").glob("cartsim-plot-*.csv"))
    assert len(files) == 1 and str(files[0]) in app.status
    table = pd.read_csv(files[0])
    assert list(table.columns[:3]) == ["scenario", "seed", "day"]
    assert len(table) == len(app.plot.shown_tables[0]) > 1
    assert table["day"].max() == pytest.approx(app.arms[0].latest.day, abs=0.1)
    assert (table["blasts_cd19_positive"] > 0).all()


def test_hover_reads_the_plotted_values_at_the_mouse(app: LiveApp) -> None:
    from viz.live.readout import hover_lines

    app._advance(24)
    app.frame()
    table = app.plot.shown_tables[0]
    lines = hover_lines(app, float(table[-1, 0]))
    assert lines[0][0].startswith("day ")
    assert f"{table[-1, 1]:,.0f}" in lines[1][0]  # blasts CD19+ of the nearest frame
