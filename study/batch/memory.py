"""How much memory a run takes, and the check that a batch fits before it starts.

A run's memory grows with its grid: the occupancy layers, fields and per-cell arrays of
every site (one cell per site per layer, so the grid bounds the number of cells). Peak
resident memory of one ``main.py run donor --days 60`` (the donor arm expands hardest)
at five grid sizes, measured with ``uv run python benchmarks/memory.py`` (GNU
``/usr/bin/time -v`` gives the same numbers) on Linux, Python 3.12:

======  =========  =================
grid    sites      peak RSS (MiB)
======  =========  =================
40²     1,600      183
100²    10,000     200
300²    90,000     389
600²    360,000    1,029
1000²   1,000,000  2,485
======  =========  =================

A straight line through them, rounded up so that it lies above every measurement, is
:data:`RUN_FIXED_BYTES` (the interpreter, numpy, pandas, pyarrow, Mesa, the model's
code) plus :data:`RUN_BYTES_PER_SITE` per site. A batch holds one run per worker at a
time, plus its main process (:data:`MAIN_PROCESS_BYTES`), so it needs
``main + workers x run``; :func:`check_batch_memory` refuses, in one line with the
largest worker count that fits, a batch that needs more than the machine has available.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from sim.errors import UserInputError
from study.batch.executors import ExecutionChoice, available_cores

MIB = 1024 * 1024
RUN_FIXED_BYTES = 190 * MIB
"""Memory of a run apart from its grid (measured: 183 MiB on a 40 x 40 grid)."""
RUN_BYTES_PER_SITE = 2_510
"""Memory per grid site (measured: 2.4 KiB per site from 100 x 100 to 1000 x 1000)."""
MAIN_PROCESS_BYTES = 250 * MIB
"""The batch's main process: the libraries, the plan, a bounded number of results
(measured: 191 MiB peak for a process-pool batch of 8 runs; consolidation holds at most
256 runs' days at a time)."""
MEMINFO = Path("/proc/meminfo")


def run_memory_bytes(sites: int) -> int:
    """Estimated peak memory of one run on a grid of ``sites`` sites, in bytes."""
    return RUN_FIXED_BYTES + RUN_BYTES_PER_SITE * sites


def available_memory_bytes() -> int | None:
    """Memory the system can give without swapping (Linux ``MemAvailable``), or None."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 1024**3:.1f} GiB"


def check_batch_memory(
    grid_sites: Iterable[int],
    workers: int,
    option: str,
    available: int | None = None,
) -> None:
    """Refuse a batch whose ``workers`` runs at once would not fit in available memory.

    ``grid_sites`` are the sites of every scenario and sweep cell (the largest counts);
    ``option`` names where the worker count came from (``--workers 8``, ``--serial``).
    ``available`` defaults to :func:`available_memory_bytes`; the check is skipped when
    that is unknown.

    Raises:
        UserInputError: one line with the estimate and the largest worker count that fits.
    """
    available = available_memory_bytes() if available is None else available
    if available is None:
        return
    largest = max(grid_sites, default=0)
    per_run = run_memory_bytes(largest)
    needed = MAIN_PROCESS_BYTES + workers * per_run
    if needed <= available:
        return
    fits = math.floor((available - MAIN_PROCESS_BYTES) / per_run)
    side = math.isqrt(largest)
    grid = f"{side} x {side}" if side * side == largest else f"{largest:,}-site"
    estimate = (
        f"a run on the {grid} grid needs about {_gib(per_run)}, so {workers} at a time "
        f"with the main process need {_gib(needed)}, but only {_gib(available)} is available"
    )
    if fits >= 1:
        flag = "--dask-local" if "--dask-local" in option else "--workers"
        raise UserInputError(
            f"{option}: {estimate}; at most {fits} worker"
            f"{'' if fits == 1 else 's'} fit: give {flag} {fits} (or free memory)"
        )
    raise UserInputError(
        f"{option}: {estimate}; not even one run fits: choose a smaller grid or free memory"
    )


def grid_sites(scenario: object) -> int:
    """Sites of a scenario's grid (0 for a scenario without one, such as a test's fake)."""
    grid = getattr(scenario, "grid", None)
    return int(getattr(grid, "width", 0)) * int(getattr(grid, "height", 0))


def check_execution_memory(
    scenarios: Iterable[object], choice: ExecutionChoice, runs_left: int
) -> None:
    """:func:`check_batch_memory` for the runs of ``scenarios`` on the chosen executor.

    Runs on an existing Dask cluster use the memory of other machines: not checked here.
    """
    if choice.kind == "scheduler":
        return
    if choice.kind == "serial":
        workers, option = 1, choice.option("serial")
    elif choice.kind == "dask-local":
        workers = choice.workers or 1
        option = f"{choice.option('dask-local')} {workers}"
    elif choice.workers is not None:
        workers = min(choice.workers, runs_left)
        option = f"{choice.option('workers')} {choice.workers}"
    else:
        workers = min(available_cores(), runs_left)
        option = f"{workers} workers (the default: one per core)"
    check_batch_memory((grid_sites(scenario) for scenario in scenarios), workers, option)
