"""A batch on an external Dask cluster whose scheduler dies (kill -9) ends within the stated
bound with one line and exit status 1, keeps its finished runs, and a rerun resumes.

Slow (about a minute): a real ``dask scheduler`` and ``dask worker`` in subprocesses, and
the batch command with the fake model (tests/batch_entry.py) in a third.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from study.batch.executors import LOST_CLUSTER_BOUND_SECONDS

TESTS = Path(__file__).resolve().parent
ENTRY = TESTS / "batch_entry.py"
DASK = Path(sys.executable).parent / "dask"
REPLICATES = 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _workers_ready(address: str, count: int) -> bool:
    from dask.distributed import Client

    try:
        with Client(address, timeout="5s") as client:
            return sum(client.nthreads().values()) >= count
    except OSError:
        return False


@pytest.mark.slow
def test_a_lost_scheduler_ends_the_batch_with_one_line_and_it_resumes(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
        "BATCH_FAKE_SLEEP": "0.5",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    port = address.rsplit(":", 1)[1]
    scheduler = subprocess.Popen([DASK, "scheduler", "--port", port, "--no-dashboard"], **quiet)
    worker = subprocess.Popen(
        [DASK, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
        **quiet,
    )
    out = tmp_path / "batch"
    argv = [sys.executable, str(ENTRY), "alpha", "--replicates", str(REPLICATES),
            "--days", "5", "--out", str(out), "--no-progress"]  # fmt: skip
    try:
        _wait_for(lambda: _workers_ready(address, 2), 120, "the Dask workers")
        batch = subprocess.Popen(
            [*argv, "--scheduler", address], stderr=subprocess.PIPE, text=True, env=env
        )
        parts = out / "parts"
        _wait_for(lambda: parts.is_dir() and len(list(parts.glob("run-*"))) >= 3, 120, "runs")
        scheduler.kill()
        lost_at = time.monotonic()
        _, err = batch.communicate(timeout=LOST_CLUSTER_BOUND_SECONDS + 60)
        took = time.monotonic() - lost_at
    finally:
        for process in (scheduler, worker):
            process.terminate()
            process.wait(timeout=60)
    assert batch.returncode == 1, err
    assert took <= LOST_CLUSTER_BOUND_SECONDS, f"took {took:.0f} s"
    assert "Traceback" not in err and "ClosedClientError" not in err
    lost_lines = [line for line in err.splitlines() if "lost the Dask scheduler" in line]
    assert len(lost_lines) == 1 and "run the same command again" in lost_lines[0]
    saved = len(list((out / "parts").glob("run-*")))
    assert saved >= 3 and len(pd.read_parquet(out / "runs.parquet")) == saved

    rerun_env = {**env, "BATCH_FAKE_SLEEP": "0"}
    resumed = subprocess.run([*argv, "--serial"], capture_output=True, text=True, env=rerun_env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming, {saved} already finished" in resumed.stderr
    assert len(pd.read_parquet(out / "runs.parquet")) == REPLICATES
