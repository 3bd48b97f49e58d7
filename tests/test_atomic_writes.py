"""Every file is written whole or not at all, and faults and signals are one line.

A full disk is simulated by patching the write (``os.fsync`` or ``savefig`` raising
ENOSPC after writing part of the file); SIGTERM is sent to a real ``main.py`` process.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from test_compare import _arms, write_fake_batch

import main
import sim.atomic_files
from sim.atomic_files import TEMP_MARKER, atomic_path, write_text_atomically
from viz.figure_style import save

ROOT = Path(__file__).resolve().parent.parent


def _full_disk(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _leftovers(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if TEMP_MARKER in path.name]


def test_a_failed_write_keeps_the_old_file_and_names_the_final_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("the old report")
    monkeypatch.setattr(sim.atomic_files.os, "fsync", _full_disk)
    with pytest.raises(OSError) as caught:
        write_text_atomically(target, "<html>a new report that will not fit")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert target.read_text() == "the old report" and not _leftovers(tmp_path)


def test_an_interrupted_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as temporary:
        temporary.write_text("half a tab")
        raise KeyboardInterrupt  # Ctrl-C, or SIGTERM through main.py's handler
    assert not target.exists() and not _leftovers(tmp_path)


def test_a_figure_is_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_then_full(self: Figure, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"\x89PNG\r\n")  # 124 bytes of a PNG, then the disk is full
        _full_disk()

    monkeypatch.setattr(Figure, "savefig", half_then_full)
    with pytest.raises(OSError) as caught:
        save(Figure(), tmp_path / "compare_outcomes.png")
    assert caught.value.filename == str(tmp_path / "compare_outcomes.png")
    assert list(tmp_path.iterdir()) == []


def test_compare_on_a_full_disk_is_one_line_exit_1_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(6, 4, 2))
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("an older report")
    monkeypatch.setattr(sim.atomic_files.os, "fsync", _full_disk)
    status = main.main(["compare", "--from", str(batch), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert f"{out / 'report.md'}: No space left on device" in err and "Traceback" not in err
    assert (out / "report.md").read_text() == "an older report"
    assert not (out / "report.html").exists() and not _leftovers(out)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_compare_into_a_read_only_folder_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(4, 2, 2))
    batch.chmod(0o555)
    try:
        status = main.main(["compare", "--from", str(batch)])
    finally:
        batch.chmod(0o755)
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "not writable" in err


def test_a_looping_out_symlink_says_it_loops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for command in (["run", "classroom", "--days", "1", "--quiet"],
                    ["batch", "classroom", "--replicates", "1", "--serial"]):  # fmt: skip
        status = main.main([*command, "--out", str(loop)])
        err = capsys.readouterr().err
        assert status == 2 and err.count("\n") == 1 and "loops" in err, err


def test_an_error_in_a_base_file_names_the_file_the_user_gave(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.toml").write_text('base = "parent"\n')
    (tmp_path / "parent.toml").write_text('base = "classroom"\n[car_t\n')
    status = main.main(["run", str(tmp_path / "mine.toml"), "--days", "1"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "mine.toml" in err and "parent.toml: not valid TOML" in err


def test_sigterm_stops_a_command_like_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "main.py"), "run", "classroom"]
    process = subprocess.Popen(
        [*command, "--days", "3650", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stderr is not None
    process.stderr.read(1)  # the progress bar has started: the run is under way
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    err = process.stderr.read()
    assert process.wait(timeout=60) == 130
    last_line = err.strip().splitlines()[-1]
    assert last_line.startswith("cartsim: interrupted") and "Traceback" not in err
    assert not (out / "summary.json").exists()


def test_a_recording_appears_only_when_finished(tmp_path: Path) -> None:
    import pygame

    from viz.live.recording import VideoWriter, discarding_on_interrupt

    surface = pygame.Surface((64, 48))
    finished = VideoWriter(tmp_path / "done.gif")
    finished.add(surface, block=True)
    assert not (tmp_path / "done.gif").exists()  # still under its temporary name
    finished.close()
    assert (tmp_path / "done.gif").read_bytes()[:3] == b"GIF"
    stopped = VideoWriter(tmp_path / "stopped.gif")
    with pytest.raises(KeyboardInterrupt), discarding_on_interrupt(lambda: stopped):
        stopped.add(surface, block=True)
        raise KeyboardInterrupt
    assert sorted(path.name for path in tmp_path.iterdir()) == ["done.gif"]


def test_an_interrupted_gif_is_never_written(tmp_path: Path, monkeypatch) -> None:
    """A GIF is written whole when its writer closes, which can take longer than the
    interruption waits: a discarded GIF must skip it, or a file could appear after the
    temporary name was removed."""
    import pygame

    from viz.live.recording import VideoWriter

    written: list[str] = []

    class Writer:
        def append_data(self, frame: object) -> None:
            pass

        def close(self) -> None:
            written.append("closed")

    monkeypatch.setattr(VideoWriter, "_open", lambda self, imageio: Writer())
    stopped = VideoWriter(tmp_path / "stopped.gif")
    stopped.add(pygame.Surface((64, 48)), block=True)
    stopped.discard()
    assert written == [] and list(tmp_path.iterdir()) == []


def test_an_interrupted_validation_is_exit_130_not_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import study.validation.evaluation as evaluation

    monkeypatch.setattr(evaluation, "execute_batch", lambda *args, **kwargs: 130)
    assert main.main(["validate", "--quick", "--out", str(tmp_path / "v")]) == 130
    assert "error" not in capsys.readouterr().err  # the batch said "interrupted" itself
