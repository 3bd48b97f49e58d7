"""Whatever reads a batch verifies it; tables have one schema; a batch that cannot fit in
memory, or whose Dask scheduler is lost, ends with one line.

Batches here run in this process on the fake model (tests/batch_fakes.py): fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import batch_fakes
import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_helpers import TWO_BY_TWO, batch_command, batch_parser
from test_compare import _arms, write_fake_batch

import main
import study.batch.memory as memory
import study.batch.runner as runner
from commands import batch as batch_command_line
from sim.errors import UserInputError
from study.batch import build_plan, run_batch
from study.batch.executors import (
    LOST_SCHEDULER_SECONDS,
    ExecutionChoice,
    SchedulerWatch,
    _scheduler_executor,
)
from study.batch.memory import check_batch_memory, run_memory_bytes
from study.batch.schema import SCHEMA_METADATA_KEY, TABLE_SCHEMA_VERSION
from study.batch.store import BatchDirectory
from study.batch.verify import verify_batch_dir

GIB = 1024**3


def _batch(out: Path, dose: int = 20, *extra: str) -> Path:
    argv = ["alpha", "beta", "--replicates", "3", "--days", "12", "--seed", "7",
            "--set", f"car_t.dose_cells={dose}", "--serial", "--no-progress", "--out", str(out),
            *extra]  # fmt: skip
    assert batch_command(argv) == 0
    return out


def _refused(out: Path) -> str:
    with pytest.raises(UserInputError) as caught:
        verify_batch_dir(out, "compare --from")
    message = str(caught.value)
    assert "\n" not in message and "run the batch's command again" in message
    return message


def _edit_manifest(out: Path, **changes: Any) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.update(changes)
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_a_batch_as_written_passes_and_records_its_checksums(tmp_path: Path) -> None:
    out = _batch(tmp_path / "b")
    manifest = verify_batch_dir(out, "compare --from")
    assert manifest["table_schema"] == TABLE_SCHEMA_VERSION
    assert set(manifest["table_checksums"]) == {"runs.parquet", "timeseries.parquet"}


def test_a_hand_edited_or_deleted_row_is_refused(tmp_path: Path) -> None:
    out = _batch(tmp_path / "b")
    runs = pd.read_parquet(out / "runs.parquet")
    edited = runs.assign(remission_day28=True)
    edited.to_parquet(out / "runs.parquet")
    assert "runs.parquet changed after the batch wrote it" in _refused(out)
    runs.iloc[:-1].to_parquet(out / "runs.parquet")
    assert "runs.parquet changed" in _refused(out)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"root_seed": 8}, "fingerprint"),
        ({"replicate_seeds": {"0": 1, "1": 2, "2": 3}}, "replicate_seeds"),
        ({"runs_planned": 5}, "runs_planned"),
        ({"fingerprint": "0" * 64}, "fingerprint"),
        ({"runs_finished": 5}, "runs_finished"),
    ],
)
def test_an_edited_manifest_is_refused(tmp_path: Path, changes: dict, says: str) -> None:
    out = _batch(tmp_path / "b")
    _edit_manifest(out, **changes)
    assert says in _refused(out)


def test_a_deleted_part_or_a_table_without_checksum_is_refused(tmp_path: Path) -> None:
    out = _batch(tmp_path / "b")
    next((out / "parts").glob("run-*.parquet")).unlink()
    assert "in it but not saved: 1" in _refused(out)
    _edit_manifest(out, table_checksums={})
    assert "without a checksum" in _refused(out)


def test_compare_from_an_edited_batch_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(6, 4, 2))
    runs = pd.read_parquet(batch / "runs.parquet")
    runs.assign(remission_day28=True).to_parquet(batch / "runs.parquet")
    status = main.main(["compare", "--from", str(batch), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "runs.parquet changed" in err
    assert not (tmp_path / "r" / "report.md").exists()


def test_resume_puts_an_edited_manifest_right_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _batch(tmp_path / "b")
    _edit_manifest(out, runs_planned=99, replicate_seeds={"0": 1})
    capsys.readouterr()
    _batch(out)
    assert "runs_planned, replicate_seeds did not match" in capsys.readouterr().err
    verify_batch_dir(out, "compare --from")


def test_resume_puts_right_an_edited_days_so_the_batch_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _batch(tmp_path / "b")
    _edit_manifest(out, days=99)
    assert "fingerprint" in _refused(out)
    capsys.readouterr()
    _batch(out)
    assert "days did not match" in capsys.readouterr().err
    assert verify_batch_dir(out, "compare --from")["days"] == 12


def test_the_tables_have_one_schema_whatever_the_runs_hold(tmp_path: Path) -> None:
    # dose 100: every fake run is in remission, so relapse_day is null in every run
    all_null, some = _batch(tmp_path / "a", 100), _batch(tmp_path / "b", 20)
    assert pd.read_parquet(all_null / "runs.parquet")["relapse_day"].isna().all()
    assert pd.read_parquet(some / "runs.parquet")["relapse_day"].notna().any()
    for table in ("runs.parquet", "timeseries.parquet"):
        schemas = [pq.read_schema(out / table) for out in (all_null, some)]
        assert schemas[0].equals(schemas[1], check_metadata=True)
        assert schemas[0].metadata[SCHEMA_METADATA_KEY] == str(TABLE_SCHEMA_VERSION).encode()
    runs_schema = pq.read_schema(all_null / "runs.parquet")
    assert str(runs_schema.field("relapse_day").type) == "int64"
    assert str(runs_schema.field("remission_day28").type) == "bool"
    series_schema = pq.read_schema(all_null / "timeseries.parquet")
    assert str(series_schema.field("cytokine_systemic").type) == "double"


def test_the_memory_estimate_refuses_a_batch_that_cannot_fit() -> None:
    big = 1000 * 1000
    assert 2.4 * GIB < run_memory_bytes(big) < 2.7 * GIB  # measured: 2.43 GiB
    check_batch_memory([big], 2, "--workers 2", available=16 * GIB)
    with pytest.raises(UserInputError, match=r"--workers 8: .* at most 2 workers fit: give"):
        check_batch_memory([big, 40 * 40], 8, "--workers 8", available=6 * GIB)
    with pytest.raises(UserInputError, match=r"--dask-local 8: .* fit: give --dask-local 2 "):
        check_batch_memory([big], 8, "--dask-local 8", available=6 * GIB)
    with pytest.raises(UserInputError, match="not even one run fits"):
        check_batch_memory([big], 1, "--serial", available=GIB)


def test_batch_is_refused_before_anything_when_memory_is_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2 * GIB)
    out = tmp_path / "big"
    argv = ["batch", "classroom", "--replicates", "4", "--workers", "4", "--out", str(out),
            "--set", "grid.width=1000", "--set", "grid.height=1000"]  # fmt: skip
    assert main.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1000 x 1000" in err and "not even one run fits" in err
    assert not out.exists()


def test_an_experiment_files_workers_are_named_when_memory_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 6 * GIB)
    big = SimpleNamespace(grid=SimpleNamespace(width=1000, height=1000))
    choice = ExecutionChoice("pool", workers=8, source="runs/dose.toml")
    with pytest.raises(UserInputError, match=r"^runs/dose\.toml: workers 8: .* at most 2"):
        memory.check_execution_memory([big], choice, runs_left=100)


class _Client:
    def __init__(self, status: str) -> None:
        self.status = status


def test_the_scheduler_watch_tells_a_lost_scheduler() -> None:
    now = [0.0]
    client = _Client("running")
    watch = SchedulerWatch(client, "at tcp://h:1", clock=lambda: now[0])
    assert watch() is None
    client.status = "connecting"  # reconnecting: not lost yet
    assert watch() is None
    now[0] = LOST_SCHEDULER_SECONDS + 1
    assert "no answer" in (watch() or "")
    client.status = "closed"
    assert "lost the Dask scheduler at tcp://h:1" in (watch() or "")


class _NeverExecutor(Executor):
    """Futures that never finish: a cluster whose scheduler is gone."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return Future()


def test_a_batch_whose_executor_is_lost_stops_instead_of_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "WAIT_POLL_SECONDS", 0.01)
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    directory = BatchDirectory(tmp_path / "b")
    directory.open(plan, ["test"])
    try:
        outcome = run_batch(
            plan, directory, _NeverExecutor(), max_in_flight=2, progress=False,
            simulate=batch_fakes.fake_simulate, executor_lost=lambda: "lost the scheduler",
        )  # fmt: skip
    finally:
        directory.close()
    assert outcome.executor_error is not None and "lost the scheduler" in outcome.executor_error


def test_an_experiment_files_unreachable_scheduler_names_its_key(tmp_path: Path) -> None:
    file = tmp_path / "e.toml"
    file.write_text('scenarios = ["alpha"]\nreplicates = 2\nout = "o"\nscheduler = "tcp://h:1"\n')
    args = batch_parser().parse_args(["batch", "--experiment", str(file)])
    choice = batch_command_line.request_from_args(args).execution
    assert choice.option("scheduler") == f"{file}: scheduler"

    def refused(address: str, timeout: str) -> None:
        raise OSError("Timed out trying to connect")

    source = "runs/dose.toml: scheduler"
    with pytest.raises(UserInputError, match=r"^runs/dose\.toml: scheduler tcp://h:1: cannot"):
        next(_scheduler_executor(refused, "tcp://h:1", source))


def test_every_summary_field_and_daily_column_has_a_declared_type() -> None:
    from sim.lymphoma import LYMPHOMA_SUMMARY_FIELDS
    from sim.metrics import DAILY_REPORTERS, EXTRA_SUMMARY_FIELDS, SUMMARY_FIELDS
    from sim.patient import PATIENT_SUMMARY_FIELDS
    from study.batch.schema import DAILY_COLUMN_TYPES, SUMMARY_COLUMN_TYPES

    fields = (
        *SUMMARY_FIELDS,
        *EXTRA_SUMMARY_FIELDS,
        *LYMPHOMA_SUMMARY_FIELDS,
        *PATIENT_SUMMARY_FIELDS,
    )
    assert list(SUMMARY_COLUMN_TYPES) == list(fields)
    assert set(DAILY_COLUMN_TYPES) == {"day", *DAILY_REPORTERS}
