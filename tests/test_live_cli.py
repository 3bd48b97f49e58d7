"""The ``animate`` command: no display gives one line and status 2; headless screenshots."""

from __future__ import annotations

import os

import numpy as np
import pygame
import pytest

from main import main
from sim.errors import UserInputError
from viz.live.launch import NO_DISPLAY


def test_no_display_names_the_alternatives(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err == NO_DISPLAY
    assert "`run`" in err and "--screenshot" in err and "--record" in err


def test_an_invisible_driver_counts_as_no_display(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DISPLAY", ":12345")
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")
    assert main(["animate", "classroom"]) == 2
    assert capsys.readouterr().err.strip() == NO_DISPLAY


def test_screenshot_writes_a_png_headless(tmp_path, capsys) -> None:
    before = os.environ.get("SDL_VIDEODRIVER")
    path = tmp_path / "view.png"
    assert main(["animate", "classroom", "--seed", "2", "--screenshot", str(path)]) == 0
    assert os.environ.get("SDL_VIDEODRIVER") == before
    image = pygame.image.load(str(path))
    assert image.get_size() == (1280, 720)
    pixels = pygame.surfarray.array3d(image)
    assert pixels.std() > 20  # not blank


@pytest.mark.parametrize(
    "argv",
    [
        ["animate", "nosuch"],
        ["animate", "classroom", "--screenshot", "x.jpg"],
        ["animate", "classroom", "--record", "x.avi"],
        ["animate", "a", "b", "c"],
        ["animate", "classroom", "--set", "car_t.dose_cells=-1", "--screenshot", "x.png"],
        ["animate", "--speed", "999", "--screenshot", "x.png"],
        ["animate", "--speed", "1", "--screenshot", "x.png"],
        ["animate", "--at-day", "20"],
    ],
)
def test_bad_input_is_one_line(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cartsim: error:")


def test_record_writes_a_gif(tmp_path) -> None:
    import imageio.v2 as imageio

    path = tmp_path / "run.gif"
    assert main(["animate", "classroom", "--record", str(path), "--frames", "6"]) == 0
    frames = imageio.mimread(str(path))
    assert len(frames) >= 3  # (the GIF writer merges identical neighbours)
    assert np.asarray(frames[-1]).std() > 20
    assert not np.array_equal(frames[0], frames[-1])  # it plays


def test_more_frames_than_the_format_takes_is_one_line(tmp_path, capsys) -> None:
    from viz.live.recording import check_frames

    check_frames(tmp_path / "x.gif", 900)
    check_frames(tmp_path / "x.mp4", 108_000)
    with pytest.raises(UserInputError, match="--frames 108001: a video takes at most"):
        check_frames(tmp_path / "x.mp4", 108_001)
    assert main(["animate", "--record", str(tmp_path / "x.gif"), "--frames", "901"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "cartsim: error: --frames 901: a GIF takes at most 900 frames (60 s); "
        "record an .mp4 for longer"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "frames"), [("a.gif", 15), ("a.mp4", 30)])
def test_a_recording_plays_at_the_chosen_speed(tmp_path, monkeypatch, name, frames) -> None:
    """A second of video, at its own frame rate (GIF 15, MP4 30 a second), shows a
    second of play: 24 simulated hours (24 one-hour steps) at the default 24 h/s, however
    long the steps take (the window's budget of model time per frame, here none at all,
    does not apply to a recording: on a busy machine it dropped steps)."""
    import viz.live.app
    import viz.live.launch as launch

    monkeypatch.setattr(viz.live.app, "STEP_BUDGET_SECONDS", 0.0)
    stepped = {}
    original = launch.render_headless

    def counting(app, capture):  # type: ignore[no-untyped-def]
        start = app.arms[0].step_count
        status = original(app, capture)
        stepped["steps"] = app.arms[0].step_count - start
        return status

    monkeypatch.setattr(launch, "render_headless", counting)
    argv = ["animate", "classroom", "--record", str(tmp_path / name), "--frames", str(frames)]
    assert main(argv) == 0
    assert 23 <= stepped["steps"] <= 24  # (the last step may wait for a rounding's worth)


def test_live_view_options_need_no_command(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    assert main(["--projector", "--size", "1024x768"]) == 2  # animate ran: no display here
    assert capsys.readouterr().err.strip() == NO_DISPLAY


def test_a_speed_between_steps_says_which_step_it_gets(tmp_path, capsys) -> None:
    path = tmp_path / "s.png"
    assert main(["animate", "--speed", "100", "--screenshot", str(path)]) == 0
    assert "--speed 100 runs at 96" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--size", "1280x"], ["--patients", "mine"]])
def test_bad_live_view_options_without_a_command_are_one_line(argv, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cartsim animate: error:")


@pytest.mark.parametrize("extra", [["--seed", "1"], ["--patients", "own"], ["--guided"]])
def test_resume_refuses_options_the_file_sets(tmp_path, capsys, extra) -> None:
    state = tmp_path / "s.json"
    state.write_text("{}")
    assert main(["animate", "--resume", str(state), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and extra[0] in err[0] and "come from the file" in err[0]


def test_at_day_beyond_the_run_is_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "late.png"
    assert main(["animate", "classroom", "--at-day", "61", "--screenshot", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "runs for 60 days" in err[0] and not path.exists()


def test_a_video_that_cannot_be_moved_into_place_is_one_line(tmp_path, monkeypatch) -> None:
    import viz.live.recording as recording
    from sim.errors import UserInputError

    surface = pygame.Surface((64, 64))
    writer = recording.VideoWriter(tmp_path / "v.mp4")
    writer.add(surface, block=True)

    def refuse(*_args: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(recording.os, "replace", refuse)
    with pytest.raises(UserInputError, match=r"v\.mp4"):
        writer.close()
