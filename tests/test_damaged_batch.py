"""A damaged batch heals itself; faults are one line (issue 11).

Each damaged-part case (another run's part copied over, a truncated part, damaged bytes
anywhere in the file, a part without a checksum) is set aside and recomputed, and the
batch completes to exactly the rows of an undamaged batch. A full disk stops the batch
with one line and exit status 1, keeps the finished runs and simulates no run twice.
SIGKILL of a pool batch's main process leaves no worker behind. Uses the fast fakes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import batch_fakes
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commands import batch as batch_command_line
from sim.errors import FaultError
from study.batch import MANIFEST_FILE, RUN_METADATA_KEY, RUNS_PARQUET, BatchDirectory

ENTRY = Path(__file__).resolve().parent / "batch_entry.py"
ARGV = ["alpha", "beta", "--replicates", "3", "--days", "6", "--serial", "--no-progress"]


def run(out: Path, extra: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="test")
    batch_command_line.register(parser.add_subparsers(dest="command", required=True))
    argv = [*ARGV, "--out", str(out), *(extra or [])]
    args = parser.parse_args(["batch", *argv])
    return batch_command_line.run_batch_command(
        args, simulate=batch_fakes.fake_simulate, load=batch_fakes.fake_load, command=argv
    )


@pytest.fixture(scope="module")
def undamaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("undamaged") / "o"
    assert run(out) == 0
    return out, pd.read_parquet(out / RUNS_PARQUET)


def parts(out: Path) -> list[Path]:
    return sorted((out / "parts").glob("run-*.parquet"))


def copy_batch(source: Path, tmp_path: Path) -> Path:
    out = tmp_path / "o"
    shutil.copytree(source, out)
    return out


def assert_healed(out: Path, expected: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(out) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    pd.testing.assert_frame_equal(pd.read_parquet(out / RUNS_PARQUET), expected)
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["complete"] and manifest["runs_finished"] == len(expected)
    assert len(parts(out)) == len(expected)
    return err


def test_a_part_copied_over_another_runs_part_is_rejected_and_recomputed(
    tmp_path: Path, undamaged: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    out = copy_batch(undamaged[0], tmp_path)
    first, second = parts(out)[:2]
    shutil.copyfile(first, second)  # the row of `second` would hold another replicate
    err = assert_healed(out, undamaged[1], capsys)
    assert "holds another run" in err
    assert len(list((out / "parts" / "rejected").iterdir())) == 1
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1


@pytest.mark.parametrize("keep", [0, 4, 100, 0.5, 0.9, -1])
def test_a_truncated_part_is_rejected_and_recomputed(
    tmp_path: Path,
    undamaged: tuple[Path, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
    keep: float,
) -> None:
    out = copy_batch(undamaged[0], tmp_path)
    victim = parts(out)[3]
    data = victim.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    victim.write_bytes(data[:size])
    err = assert_healed(out, undamaged[1], capsys)
    assert "warning" in err and "rejected" in err


@pytest.mark.parametrize("position", [0.0, 0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 0.99])
def test_damaged_bytes_anywhere_in_a_part_are_rejected_and_recomputed(
    tmp_path: Path,
    undamaged: tuple[Path, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
    position: float,
) -> None:
    out = copy_batch(undamaged[0], tmp_path)
    victim = parts(out)[2]
    data = bytearray(victim.read_bytes())
    start = int(len(data) * position)
    for offset in range(start, min(start + 8, len(data))):
        data[offset] ^= 0xA5
    victim.write_bytes(bytes(data))
    assert_healed(out, undamaged[1], capsys)


def test_a_part_whose_values_were_changed_consistently_fails_its_checksum(
    tmp_path: Path, undamaged: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    out = copy_batch(undamaged[0], tmp_path)
    victim = parts(out)[1]
    table = pq.read_table(victim)
    blasts = pa.array([0] * table.num_rows, table.schema.field("blasts").type)
    changed = table.set_column(table.column_names.index("blasts"), "blasts", blasts)
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), victim)
    err = assert_healed(out, undamaged[1], capsys)
    assert "checksum" in err


def test_a_part_without_a_checksum_is_rejected(
    tmp_path: Path, undamaged: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    out = copy_batch(undamaged[0], tmp_path)
    victim = parts(out)[0]
    table = pq.read_table(victim)
    metadata = dict(table.schema.metadata)
    run_record = json.loads(metadata[RUN_METADATA_KEY])
    del run_record["checksum"]
    metadata[RUN_METADATA_KEY] = json.dumps(run_record).encode()
    pq.write_table(table.replace_schema_metadata(metadata), victim)
    assert_healed(out, undamaged[1], capsys)


def test_a_damaged_manifest_is_one_line_not_a_traceback(
    tmp_path: Path, undamaged: tuple[Path, pd.DataFrame]
) -> None:
    from sim.errors import UserInputError

    out = copy_batch(undamaged[0], tmp_path)
    (out / MANIFEST_FILE).write_bytes(b"\xff\xfe{garbage")
    with pytest.raises(UserInputError, match="not a readable batch manifest") as error:
        run(out)
    assert "\n" not in str(error.value)


def test_a_full_disk_is_one_line_keeps_finished_runs_and_simulates_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, undamaged: tuple[Path, pd.DataFrame]
) -> None:
    log = tmp_path / "log.txt"
    monkeypatch.setenv("BATCH_FAKE_LOG", str(log))
    real_write = BatchDirectory.write_part
    writes = {"count": 0}

    def write_until_full(self: BatchDirectory, run: object, result: object) -> None:
        if writes["count"] >= 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.parts / "x"))
        writes["count"] += 1
        real_write(self, run, result)  # type: ignore[arg-type]

    monkeypatch.setattr(BatchDirectory, "write_part", write_until_full)
    out = tmp_path / "o"
    with pytest.raises(FaultError) as error:
        run(out)
    message = str(error.value)
    assert "\n" not in message and "No space left on device" in message
    assert "2 of 6 runs are saved" in message
    assert len(parts(out)) == 2
    assert len(log.read_text().splitlines()) == 3  # two saved, one failed to write: no retry
    assert not list(out.rglob("*.tmp-*"))

    monkeypatch.setattr(BatchDirectory, "write_part", real_write)
    assert run(out) == 0  # the same command finishes the rest
    pd.testing.assert_frame_equal(pd.read_parquet(out / RUNS_PARQUET), undamaged[1])
    assert len(log.read_text().splitlines()) == 3 + 4


def test_the_batch_command_line_turns_a_full_disk_into_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import batch_entry

    def full(self: BatchDirectory, run: object, result: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(BatchDirectory, "write_part", full)
    status = batch_entry.main([*ARGV, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1


def test_run_on_a_full_disk_is_one_line_exit_1_and_leaves_no_empty_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import main
    import sim.outputs

    def no_space(handle_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sim.outputs.os, "fsync", no_space)
    out = tmp_path / "out"
    status = main.main(["run", "classroom", "--days", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # no 0-byte summary.json, no temporary file


def _descendants(pid: int) -> set[int]:
    """Live descendants of ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_a_pool_batch_leaves_no_worker_behind(tmp_path: Path) -> None:
    env = {**os.environ, "BATCH_FAKE_SLEEP": "30"}
    argv = ["alpha", "--replicates", "4", "--days", "3", "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        [sys.executable, str(ENTRY), *argv, "--out", str(tmp_path / "o")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so a leftover worker would not be in pytest's group
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = {
                pid
                for pid in _descendants(process.pid)
                if "resource_tracker"
                not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
            }
        assert len(workers) >= 2, "the pool did not start"
        time.sleep(2.0)  # the workers have run their initializer
        process.kill()
        process.wait(10)
        deadline = time.monotonic() + 15
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _alive(workers)
        for pid in left:  # clean up before failing
            os.kill(pid, signal.SIGKILL)
        assert not left, f"workers left running: {left}"
    finally:
        if process.poll() is None:
            process.kill()
