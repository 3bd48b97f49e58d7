"""Save and reload the live view (Ctrl+S / Ctrl+O, --resume), hover readout and CSV export."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path

import pygame
import pytest
from live_helpers import press

from main import main
from viz.live.app import LiveApp


def test_a_saved_view_reloads_to_the_same_moment_bit_for_bit(view: LiveApp, tmp_path: Path) -> None:
    view.wanted["car_t.kill_rate_per_day"] = 3.0
    view.reset()
    view._advance(30)
    view.live_event("tocilizumab")
    view._advance(40)
    press(view, pygame.K_LEFT)  # rewound one stored frame
    press(view, pygame.K_s, pygame.KMOD_CTRL)
    saved = sorted((tmp_path / "caps").glob("cartsim-state-*.json"))
    assert len(saved) == 1 and str(saved[0]) in view.status
    expected = (view.arms[0].step_count, view.arms[0].latest.counts, view.scrub_index)
    view.reset(new_seed=True)
    press(view, pygame.K_o, pygame.KMOD_CTRL)
    arm = view.arms[0]
    assert (arm.step_count, arm.latest.counts, view.scrub_index) == expected
    assert arm.scenario.car_t.kill_rate_per_day == 3.0
    assert [name for _, name in view.given] == ["tocilizumab"]


def test_resume_of_a_file_that_is_not_a_state_is_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["animate", "--resume", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a saved live-view state" in err[0]


def test_e_exports_what_the_plot_shows_as_csv(view: LiveApp, tmp_path: Path) -> None:
    import pandas as pd

    view._advance(24)
    view.frame()
    press(view, pygame.K_e)
    files = list((tmp_path / "caps").glob("cartsim-plot-*.csv"))
    assert len(files) == 1 and str(files[0]) in view.status
    table = pd.read_csv(files[0])
    assert list(table.columns[:3]) == ["scenario", "seed", "day"]
    assert len(table) == len(view.plot.shown_tables[0]) > 1
    assert table["day"].max() == pytest.approx(view.arms[0].latest.day, abs=0.1)
    assert (table["blasts_cd19_positive"] > 0).all()


def test_hover_reads_the_plotted_values_at_the_mouse(view: LiveApp) -> None:
    from viz.live.readout import hover_lines

    view._advance(24)
    view.frame()
    table = view.plot.shown_tables[0]
    lines = hover_lines(view, float(table[-1, 0]))
    assert lines[0][0].startswith("day ")
    assert f"{table[-1, 1]:,.0f}" in lines[1][0]  # blasts CD19+ of the nearest frame


def test_a_failed_reload_rolls_back_the_seed_sets_and_patients(view: LiveApp) -> None:
    from viz.live.state import restore

    before = (list(view.config.overrides), view.config.own_patients, view.seed)
    data = {
        "scenarios": ["nosuch"],
        "seed": 777,
        "sets": [{"key": "car_t.kill_rate_per_day", "value": 2.0}],
        "own_patients": True,
        "sliders": {},
        "events": [],
        "step": 0,
    }
    assert not restore(view, data, progress=False)
    assert (view.config.overrides, view.config.own_patients, view.seed) == before


@pytest.mark.parametrize(
    "edit",
    [
        {"speed_index": 99},
        {"events": [[5, "nosuch"]]},
        {"events": [[5]]},
        {"sliders": {"no.such": 1.0}},
    ],
)
def test_a_hand_edited_state_is_one_line_naming_the_file(
    view: LiveApp, tmp_path: Path, capsys, edit: dict
) -> None:
    import json

    press(view, pygame.K_s, pygame.KMOD_CTRL)
    saved = next((tmp_path / "caps").glob("cartsim-state-*.json"))
    data = json.loads(saved.read_text())
    data.update(edit)
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(data))
    assert main(["animate", "--resume", str(bad), "--screenshot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0]
