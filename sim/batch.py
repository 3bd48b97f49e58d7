"""Headless batches: replicates and sweeps of many runs, resumable, on any executor.

A batch is every combination of scenario x sweep cell x replicate. This module

- plans the runs (:func:`build_plan`): one root seed gives each replicate ``k`` the seed
  ``SeedSequence(root_seed, spawn_key=(k,))``, the same in every scenario and sweep cell,
  so scenarios and cells are compared on paired random streams;
- runs them on any :class:`concurrent.futures.Executor` (:func:`run_batch`): a
  :class:`SerialExecutor` in this process, a process pool or a Dask cluster
  (``client.get_executor()``), with a bounded number of tasks in flight, retries, a
  progress bar and a clean stop on Ctrl-C;
- streams every finished run to its own small file in ``DIR/parts/`` (written to a temporary
  name, then renamed, so a crash never leaves a half-written run), and gathers the parts
  into ``runs.parquet``, ``runs.csv`` and ``timeseries.parquet`` in plan order
  (:func:`consolidate`), so the outputs do not depend on which worker ran what, or when;
- refuses to mix batches: ``manifest.json`` holds a fingerprint of the batch (scenarios as
  resolved, sweeps, replicates, seed, days; not the executor, nor a scenario's free-text
  description), and a different batch on the same directory is a
  :class:`~sim.errors.UserInputError`.

The command line is in :mod:`sim.batch_cli`; experiment files in :mod:`sim.experiment`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import platform
import shlex
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sim.errors import UserInputError

MANIFEST_FORMAT = "cartsim-batch/1"
MANIFEST_FILE = "manifest.json"
PARTS_DIR = "parts"
RUNS_PARQUET = "runs.parquet"
RUNS_CSV = "runs.csv"
TIMESERIES_PARQUET = "timeseries.parquet"
FAILURES_FILE = "failures.json"
LOCK_FILE = ".lock"
PART_PREFIX = "run-"
PART_SUFFIX = ".parquet"
TEMP_MARKER = ".tmp-"
SUMMARY_METADATA_KEY = b"cartsim.summary"
RUN_METADATA_KEY = b"cartsim.run"

DEFAULT_ROOT_SEED = 0
MAX_SEED = 2**63 - 1
"""The largest root seed (as for ``main.py run --seed``)."""
MAX_ATTEMPTS = 3
"""A failing run is tried this many times in all (the first try and two retries)."""

CONSOLIDATION_CHUNK_RUNS = 256
"""Runs gathered per write while consolidating: bounds the memory of consolidation."""

OUTCOME_FIELD = "remission_day28"
"""The summary field whose share (with a Wilson interval) the end-of-batch table shows."""

PACKAGES_RECORDED = (
    "cartsim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "pydantic",
    "dask",
    "distributed",
)


class ScenarioLike(Protocol):
    """What the batch needs of a scenario: a name and a JSON dump (a pydantic model)."""

    name: str

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class RunResultLike(Protocol):
    """What the batch needs of one run's result (see :class:`sim.run.RunResult`)."""

    summary: dict[str, Any]
    timeseries: Any  # a pandas DataFrame, one row per day


Simulate = Callable[[Any, int, int | None], RunResultLike]
"""``simulate(scenario, seed, days) -> RunResult``: a module-level function (pickled by name)."""

LoadScenario = Callable[[str, Sequence[str | tuple[str, str]]], ScenarioLike]
"""``load(name_or_path, overrides) -> Scenario``."""


# --------------------------------------------------------------------------------------
# The batch specification
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """One swept key and its values, as given (``car_t.dose_cells=20,40`` -> 2 values)."""

    key: str
    values: tuple[str, ...]


def split_sweep_values(text: str) -> list[str]:
    """Split ``"20,40,[3, 5],\\"a,b\\""`` on the commas that are outside brackets and quotes."""
    values: list[str] = []
    current: list[str] = []
    depth = 0
    quote: str | None = None
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current.append(char)
        elif char in "[{":
            depth += 1
            current.append(char)
        elif char in "]}":
            depth -= 1
            current.append(char)
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    values.append("".join(current).strip())
    return values


def parse_sweep(text: str, source: str = "--sweep") -> Sweep:
    """Parse ``KEY=V1,V2,...`` (values may be TOML lists: ``therapy.bridging_days=[],[5]``)."""
    from sim.loader import parse_override  # imports the parameter models: late

    key, sep, raw_values = text.partition("=")
    if not sep or not key.strip() or not raw_values.strip():
        example = "car_t.dose_cells=20,40,80"
        raise UserInputError(f"{source} {text!r}: expected KEY=V1,V2,... such as {example}")
    key_path, _ = parse_override(text, source)  # checks and normalises the key
    values = split_sweep_values(raw_values)
    if any(not value for value in values):
        raise UserInputError(
            f"{source} {text!r}: an empty value (two commas in a row, or a trailing comma)"
        )
    return Sweep(key=".".join(key_path), values=tuple(values))


@dataclass(frozen=True)
class BatchSpec:
    """Everything that decides a batch's results (and nothing about where it runs).

    Attributes:
        scenarios: scenario names or paths, as given to the loader, in output order.
        replicates: runs per scenario and sweep cell.
        root_seed: the seed every replicate seed derives from.
        days: days per run, or None for each scenario's own ``time.days``.
        sets: ``"table.key=value"`` overrides applied to every scenario.
        sweeps: swept keys; the cells are their Cartesian product, first key outermost.
    """

    scenarios: tuple[str, ...]
    replicates: int
    root_seed: int = DEFAULT_ROOT_SEED
    days: int | None = None
    sets: tuple[str, ...] = ()
    sweeps: tuple[Sweep, ...] = ()

    def __post_init__(self) -> None:
        from sim.loader import parse_override  # imports the parameter models: late

        if not self.scenarios:
            raise UserInputError("batch: name at least one SCENARIO, or give --experiment FILE")
        _check_int("--replicates", self.replicates, minimum=1)
        _check_int("--seed", self.root_seed, minimum=0, maximum=MAX_SEED)
        if self.days is not None:
            _check_int("--days", self.days, minimum=1)
        for name, count in _counts(self.scenarios).items():
            if count > 1:
                raise UserInputError(f"batch: scenario {name!r} is given twice")
        set_keys = {".".join(parse_override(override, "--set")[0]) for override in self.sets}
        sweep_keys = [".".join(parse_override(f"{s.key}=0", "--sweep")[0]) for s in self.sweeps]
        for key, count in _counts(sweep_keys).items():
            if count > 1:
                raise UserInputError(f"--sweep {key}: the key is swept twice; give it once")
        for key in sweep_keys:
            if key in set_keys:
                raise UserInputError(
                    f"--sweep {key}: the key is also given with --set; drop one of them"
                )

    @property
    def cells_per_scenario(self) -> int:
        """The number of sweep cells (1 without sweeps)."""
        return math.prod(len(sweep.values) for sweep in self.sweeps)

    @property
    def n_runs(self) -> int:
        """Runs in the whole batch."""
        return len(self.scenarios) * self.cells_per_scenario * self.replicates


def _check_int(option: str, value: object, minimum: int, maximum: int | None = None) -> None:
    in_range = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= minimum
        and (maximum is None or value <= maximum)
    )
    if not in_range:
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise UserInputError(f"{option}: must be a whole number {allowed} (got {value!r})")


def _counts(items: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def replicate_seed(root_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: the same in every scenario and sweep cell.

    ``SeedSequence(root_seed, spawn_key=(replicate,))`` gives 64 random bits; the top 63
    make a non-negative integer that fits in int64.
    """
    sequence = np.random.SeedSequence(root_seed, spawn_key=(replicate,))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# --------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    """One run of the batch; ``index`` is its row in the outputs."""

    index: int
    run_id: str
    scenario: str
    scenario_index: int
    cell_index: int
    sweep_values: tuple[tuple[str, Any], ...]
    replicate: int
    seed: int

    @property
    def label(self) -> str:
        """A human label: ``autologous car_t.dose_cells=40 replicate 3``."""
        cell = " ".join(f"{key}={value}" for key, value in self.sweep_values)
        return " ".join(
            part for part in (self.scenario, cell, f"replicate {self.replicate}") if part
        )


def make_run_id(scenario: str, sweep_values: Sequence[tuple[str, Any]], replicate: int) -> str:
    """A stable id of a run: a hash of its scenario name, sweep values and replicate."""
    key = json.dumps([scenario, [list(item) for item in sweep_values], replicate], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _value_at(dump: dict[str, Any], dotted_key: str) -> Any:
    value: Any = dump
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted_key)
        value = value[part]
    return value


def _column_value(value: Any) -> Any:
    """A value as a table cell: scalars stay, anything else becomes its JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


@dataclass(frozen=True)
class BatchPlan:
    """A batch with its scenarios loaded and every run laid out.

    Attributes:
        spec: what was asked.
        scenario_names: the loaded scenarios' names, in ``spec.scenarios`` order.
        cell_values: per sweep cell, the resolved (typed) value of every swept key.
        scenarios: the resolved scenario of each (scenario index, cell index).
        fingerprint: a hash of everything that decides the results.
    """

    spec: BatchSpec
    scenario_names: tuple[str, ...]
    cell_values: tuple[tuple[tuple[str, Any], ...], ...]
    scenarios: dict[tuple[int, int], Any]
    fingerprint: str

    @property
    def n_runs(self) -> int:
        """Runs in the whole batch."""
        return self.spec.n_runs

    @functools.cached_property
    def runs(self) -> tuple[PlannedRun, ...]:
        """Every run, in output order: scenario, then sweep cell, then replicate.

        Computed once per plan (run ids are hashes, seeds come from a SeedSequence).
        """
        seeds = [replicate_seed(self.spec.root_seed, k) for k in range(self.spec.replicates)]
        runs: list[PlannedRun] = []
        for scenario_index, name in enumerate(self.scenario_names):
            for cell_index, values in enumerate(self.cell_values):
                for replicate, seed in enumerate(seeds):
                    runs.append(
                        PlannedRun(
                            index=len(runs),
                            run_id=make_run_id(name, values, replicate),
                            scenario=name,
                            scenario_index=scenario_index,
                            cell_index=cell_index,
                            sweep_values=values,
                            replicate=replicate,
                            seed=seed,
                        )
                    )
        return tuple(runs)

    def scenario_for(self, run: PlannedRun) -> Any:
        """The resolved scenario a run uses."""
        return self.scenarios[(run.scenario_index, run.cell_index)]

    def resolved_scenarios(self) -> list[dict[str, Any]]:
        """For the manifest: each scenario and sweep cell with its full parameter dump."""
        return [
            {
                "scenario": self.scenario_names[scenario_index],
                "sweep": dict(self.cell_values[cell_index]),
                "parameters": scenario.model_dump(mode="json"),
            }
            for (scenario_index, cell_index), scenario in sorted(self.scenarios.items())
        ]


def _parameters(scenario: ScenarioLike) -> dict[str, Any]:
    """A scenario's dump without its free-text description (which changes no result)."""
    dump = scenario.model_dump(mode="json")
    dump.pop("description", None)
    return dump


def default_load_scenario() -> LoadScenario:
    """The project's scenario loader (imported late so tests can run without it)."""
    from sim.loader import load_scenario

    return load_scenario


def build_plan(spec: BatchSpec, load: LoadScenario | None = None) -> BatchPlan:
    """Load every scenario and sweep cell (all input errors surface here) and lay out runs."""
    load = load or default_load_scenario()
    cells_raw = list(itertools.product(*(sweep.values for sweep in spec.sweeps)))
    sweep_keys = tuple(sweep.key for sweep in spec.sweeps)
    scenarios: dict[tuple[int, int], Any] = {}
    names: list[str] = []
    cell_values: list[tuple[tuple[str, Any], ...]] = []
    for scenario_index, scenario_ref in enumerate(spec.scenarios):
        for cell_index, raw_values in enumerate(cells_raw):
            overrides = [
                *spec.sets,
                *(("--sweep", f"{k}={v}") for k, v in zip(sweep_keys, raw_values, strict=True)),
            ]
            scenario = load(scenario_ref, overrides)
            scenarios[(scenario_index, cell_index)] = scenario
            if scenario_index == 0:
                dump = scenario.model_dump(mode="json")
                cell_values.append(
                    tuple((key, _column_value(_value_at(dump, key))) for key in sweep_keys)
                )
        names.append(scenarios[(scenario_index, 0)].name)
    for name, count in _counts(names).items():
        if count > 1:
            raise UserInputError(
                f"batch: two scenarios are both named {name!r}; give each file its own name"
            )
    for position, sweep in enumerate(spec.sweeps):
        seen: dict[Any, str] = {}
        for values, raw_values in zip(cell_values, cells_raw, strict=True):
            value, raw = values[position][1], raw_values[position]
            if json.dumps(value) in seen and seen[json.dumps(value)] != raw:
                raise UserInputError(
                    f"--sweep {sweep.key}: {seen[json.dumps(value)]!r} and {raw!r} are the "
                    f"same value ({value!r}); give each value once"
                )
            seen.setdefault(json.dumps(value), raw)
        if len(set(sweep.values)) != len(sweep.values):
            raise UserInputError(f"--sweep {sweep.key}: a value is given twice; give each once")
    fingerprint_source = {
        "format": MANIFEST_FORMAT,
        "replicates": spec.replicates,
        "root_seed": spec.root_seed,
        "days": spec.days,
        "sweep_keys": list(sweep_keys),
        "scenarios": [
            {
                "name": name,
                "cells": [
                    {
                        "sweep": [list(item) for item in cell_values[cell_index]],
                        "parameters": _parameters(scenarios[(scenario_index, cell_index)]),
                    }
                    for cell_index in range(len(cell_values))
                ],
            }
            for scenario_index, name in enumerate(names)
        ],
    }
    digest = hashlib.sha256(json.dumps(fingerprint_source, sort_keys=True).encode()).hexdigest()
    return BatchPlan(
        spec=spec,
        scenario_names=tuple(names),
        cell_values=tuple(cell_values),
        scenarios=scenarios,
        fingerprint=digest,
    )


# --------------------------------------------------------------------------------------
# Work done on a worker
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run; pickled to the worker, so it holds no lambdas."""

    run: PlannedRun
    scenario: Any
    days: int | None
    simulate: Simulate


def execute_run(task: RunTask) -> RunResultLike:
    """Run one task on a worker (a module-level function, so executors can pickle it)."""
    return task.simulate(task.scenario, task.run.seed, task.days)


def default_simulate() -> Simulate:
    """The project's simulation function."""
    from sim.run import run_simulation

    return run_simulation


class SerialExecutor(Executor):
    """An executor that runs each task at once, in this process (no pickling, easy debugging).

    It lets a serial batch take the same code path as a pool or a Dask cluster.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future with its outcome."""
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(result)
        return future


# --------------------------------------------------------------------------------------
# The batch directory
# --------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a batch's results."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES_RECORDED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


@contextlib.contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` only if the block succeeds."""
    temporary = path.with_name(f"{path.name}{TEMP_MARKER}{os.getpid()}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: all or nothing."""
    with _atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class BatchDirectory:
    """The output directory of a batch: manifest, one part file per run, consolidated tables."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.parts = self.path / PARTS_DIR
        self._lock_handle: TextIO | None = None

    # -- opening ------------------------------------------------------------------------

    def open(
        self,
        plan: BatchPlan,
        command: Sequence[str],
        experiment: dict[str, Any] | None = None,
    ) -> bool:
        """Create or reopen the directory for ``plan``; return True when resuming.

        Raises:
            UserInputError: the directory holds a different batch, or other files, or is
                in use by another batch right now.
        """
        from sim.outputs import prepare_output_dir  # imports pandas: late

        prepare_output_dir(self.path, "--out")
        self._lock()
        manifest_path = self.path / MANIFEST_FILE
        if manifest_path.exists():
            manifest = self.read_manifest()
            if manifest.get("fingerprint") != plan.fingerprint:
                started_by = manifest.get("command_line", "another command")
                raise UserInputError(
                    f"--out {self.path}: holds a different batch (started by: {started_by}); "
                    "re-run that command to resume it, or choose another --out"
                )
            resuming = True
        else:
            others = [p.name for p in self.path.iterdir() if p.name != LOCK_FILE]
            if others:
                raise UserInputError(
                    f"--out {self.path}: the directory is not empty and holds no "
                    f"{MANIFEST_FILE} (found {others[0]}); choose a new or empty directory"
                )
            manifest = {
                "format": MANIFEST_FORMAT,
                "fingerprint": plan.fingerprint,
                "command": list(command),
                "command_line": shlex.join(command),
                "experiment": experiment,
                "created": _now(),
                "root_seed": plan.spec.root_seed,
                "replicates": plan.spec.replicates,
                "days": plan.spec.days,
                "scenarios": list(plan.spec.scenarios),
                "scenario_names": list(plan.scenario_names),
                "sets": list(plan.spec.sets),
                "sweeps": [
                    {"key": sweep.key, "values": list(sweep.values)} for sweep in plan.spec.sweeps
                ],
                "runs_planned": plan.n_runs,
                "replicate_seeds": {
                    str(k): replicate_seed(plan.spec.root_seed, k)
                    for k in range(plan.spec.replicates)
                },
                "versions": package_versions(),
                "resolved_scenarios": plan.resolved_scenarios(),
                "invocations": [],
            }
            self.write_manifest(manifest)
            resuming = False
        self.parts.mkdir(exist_ok=True)
        self._remove_temporaries()
        return resuming

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the user keeps one batch per directory
            return
        handle = (self.path / LOCK_FILE).open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise UserInputError(
                f"--out {self.path}: another batch is running in this directory right now"
            ) from None
        self._lock_handle = handle

    def close(self) -> None:
        """Release the directory's lock."""
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def _remove_temporaries(self) -> None:
        """Delete temporary files left by a batch that was killed while writing."""
        for folder in (self.path, self.parts):
            for entry in os.scandir(folder):
                if TEMP_MARKER in entry.name and entry.is_file():
                    os.unlink(entry.path)

    # -- manifest -----------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any]:
        """The manifest as a dict (UserInputError if it is not a batch manifest)."""
        manifest_path = self.path / MANIFEST_FILE
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise UserInputError(
                f"{manifest_path}: not a readable batch manifest ({error})"
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise UserInputError(f"{manifest_path}: not a {MANIFEST_FORMAT} manifest")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write the manifest atomically."""
        text = json.dumps(manifest, indent=2, default=_json_default) + "\n"
        atomic_write_bytes(self.path / MANIFEST_FILE, text.encode())

    # -- parts --------------------------------------------------------------------------

    def part_path(self, run_id: str) -> Path:
        """Where the part file of run ``run_id`` lives."""
        return self.parts / f"{PART_PREFIX}{run_id}{PART_SUFFIX}"

    def finished_run_ids(self) -> set[str]:
        """Ids of the runs whose part file exists (listed, not opened: fast)."""
        if not self.parts.is_dir():
            return set()
        finished = set()
        for entry in os.scandir(self.parts):
            name = entry.name
            if name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX):
                finished.add(name[len(PART_PREFIX) : -len(PART_SUFFIX)])
        return finished

    def write_part(self, run: PlannedRun, result: RunResultLike) -> None:
        """Store one finished run: its time series as a table, its summary as metadata.

        The file appears under its final name only once complete (temp file + rename).
        """
        summary_text = json.dumps(result.summary, default=_json_default, allow_nan=True)
        run_text = json.dumps(
            {
                "run_id": run.run_id,
                "scenario": run.scenario,
                "sweep": [list(item) for item in run.sweep_values],
                "replicate": run.replicate,
                "seed": run.seed,
            }
        )
        table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
        table = table.replace_schema_metadata(
            {SUMMARY_METADATA_KEY: summary_text.encode(), RUN_METADATA_KEY: run_text.encode()}
        )
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        atomic_write_bytes(self.part_path(run.run_id), buffer.getvalue().to_pybytes())


def _part_summary(schema: pa.Schema) -> dict[str, Any]:
    """The summary record stored in a part file's schema (KeyError or ValueError if none)."""
    return json.loads((schema.metadata or {})[SUMMARY_METADATA_KEY])


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFailure:
    """A run that failed on every attempt."""

    run: PlannedRun
    attempts: int
    error: str
    traceback: str


@dataclass
class BatchOutcome:
    """What a call of :func:`run_batch` did."""

    planned: int
    already_finished: int
    completed: int = 0
    failures: list[RunFailure] = field(default_factory=list)
    retried: int = 0
    interrupted: bool = False
    executor_error: str | None = None
    elapsed_seconds: float = 0.0

    @property
    def finished(self) -> int:
        """Runs with a part file now."""
        return self.already_finished + self.completed

    @property
    def runs_per_minute(self) -> float:
        """Runs completed by this call, per minute of wall time."""
        return 60.0 * self.completed / self.elapsed_seconds if self.elapsed_seconds else 0.0


def _describe_error(error: BaseException) -> tuple[str, str]:
    first_line = (str(error).strip().splitlines() or [""])[0]
    text = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return text, "".join(traceback.format_exception(error))


class _Progress:
    """A tqdm bar: runs done of all, runs per minute (this session) and time left."""

    def __init__(self, total: int, initial: int, enabled: bool) -> None:
        self.started = time.monotonic()
        self.completed = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=initial,
                unit="run",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
                smoothing=0.05,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} runs "
                "[{elapsed}<{remaining}{postfix}]",
            )
            self.bar.set_postfix_str("0.0 runs/min", refresh=False)

    def advance(self) -> None:
        self.completed += 1
        if self.bar is not None:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{60.0 * self.completed / elapsed:.1f} runs/min", False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _ExecutorLost(Exception):
    """The executor cannot run anything more (a broken process pool, a lost cluster)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def run_batch(
    plan: BatchPlan,
    directory: BatchDirectory,
    executor: Executor,
    *,
    max_in_flight: int,
    simulate: Simulate | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    progress: bool = True,
    finished_ids: set[str] | None = None,
) -> BatchOutcome:
    """Run every unfinished run of ``plan`` on ``executor``, writing each as it finishes.

    At most ``max_in_flight`` tasks are submitted at a time, so memory does not grow with
    the number of runs. A failing run is resubmitted until it has been tried
    ``max_attempts`` times, then reported in :attr:`BatchOutcome.failures`; the others go
    on. Ctrl-C (KeyboardInterrupt) stops submitting, cancels what has not started and
    returns with ``interrupted=True``; an executor that breaks (a pool whose worker
    process died, a lost cluster) stops the batch with ``executor_error`` set. Either way
    every finished run is already on disk.

    ``finished_ids`` are the ids of the runs already saved, if the caller has listed them
    (:meth:`BatchDirectory.finished_run_ids`); by default the directory is listed here.
    """
    if max_in_flight < 1:
        raise ValueError("max_in_flight must be >= 1")
    simulate = simulate or default_simulate()
    started = time.monotonic()
    if finished_ids is None:
        finished_ids = directory.finished_run_ids()
    unfinished = [run for run in plan.runs if run.run_id not in finished_ids]
    already = plan.n_runs - len(unfinished)
    todo = iter(unfinished)
    outcome = BatchOutcome(planned=plan.n_runs, already_finished=already)
    bar = _Progress(total=plan.n_runs, initial=already, enabled=progress)
    retry_queue: deque[tuple[PlannedRun, int]] = deque()
    in_flight: dict[Future[Any], tuple[PlannedRun, int]] = {}

    def submit(run: PlannedRun, attempt: int) -> None:
        task = RunTask(
            run=run, scenario=plan.scenario_for(run), days=plan.spec.days, simulate=simulate
        )
        try:
            future = executor.submit(execute_run, task)
        except Exception as error:  # a broken pool, a lost cluster: no run can go on
            raise _ExecutorLost(error) from error
        in_flight[future] = (run, attempt)

    lost: list[BaseException] = []

    def handle(future: Future[Any]) -> None:
        run, attempt = in_flight.pop(future)
        try:
            directory.write_part(run, future.result())
        except BrokenExecutor as error:  # a worker process died and took the pool with it
            lost.append(error)
        except Exception as error:  # the run failed on the worker, or its result is unusable
            if attempt < max_attempts:
                outcome.retried += 1
                retry_queue.append((run, attempt + 1))
            else:
                message, trace = _describe_error(error)
                outcome.failures.append(RunFailure(run, attempt, message, trace))
        else:
            outcome.completed += 1
            bar.advance()

    try:
        exhausted = False
        while True:
            while len(in_flight) < max_in_flight:
                if retry_queue:
                    submit(*retry_queue.popleft())
                    continue
                next_run = None if exhausted else next(todo, None)
                if next_run is None:
                    exhausted = True
                    break
                submit(next_run, 1)
            if not in_flight:
                break
            done = wait(list(in_flight), return_when=FIRST_COMPLETED).done
            while done:  # popping drops each result as soon as it is written
                handle(done.pop())
            if lost:  # the finished runs of this round are saved; nothing more can run
                raise _ExecutorLost(lost[0])
    except KeyboardInterrupt:
        outcome.interrupted = True
    except _ExecutorLost as executor_lost:
        outcome.executor_error = _describe_error(executor_lost.error)[0]
    finally:
        for future in in_flight:
            future.cancel()
        in_flight.clear()
        bar.close()
        outcome.elapsed_seconds = time.monotonic() - started
    outcome.failures.sort(key=lambda failure: failure.run.index)
    return outcome


# --------------------------------------------------------------------------------------
# Consolidation
# --------------------------------------------------------------------------------------


def _run_row(run: PlannedRun, summary: dict[str, Any]) -> dict[str, Any]:
    """One row of ``runs``: scenario, sweep values, replicate, seed, run id, summary fields."""
    row: dict[str, Any] = {"scenario": run.scenario}
    row.update(run.sweep_values)
    row.update(replicate=run.replicate, seed=run.seed, run_id=run.run_id)
    for key, value in summary.items():
        if key not in row:
            row[key] = _column_value(value)
    return row


def _run_key_table(run: PlannedRun, rows: int) -> dict[str, pa.Array]:
    columns: dict[str, pa.Array] = {"scenario": pa.array([run.scenario] * rows, pa.string())}
    for key, value in run.sweep_values:
        columns[key] = pa.array([value] * rows, pa.scalar(value).type)
    columns["replicate"] = pa.array([run.replicate] * rows, pa.int64())
    columns["seed"] = pa.array([run.seed] * rows, pa.int64())
    columns["run_id"] = pa.array([run.run_id] * rows, pa.string())
    return columns


def _timeseries_with_keys(run: PlannedRun, table: pa.Table) -> pa.Table:
    keys = _run_key_table(run, table.num_rows)
    columns = dict(keys)
    for name in table.column_names:
        if name not in columns:
            columns[name] = table.column(name)
    return pa.table(columns)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns, in order (missing ones as nulls)."""
    columns = []
    for schema_field in schema:
        if schema_field.name in table.column_names:
            columns.append(table.column(schema_field.name).cast(schema_field.type))
        else:
            columns.append(pa.nulls(table.num_rows, schema_field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _unify(current: pa.Schema | None, new: pa.Schema) -> pa.Schema:
    new = new.remove_metadata()
    if current is None:
        return new
    return pa.unify_schemas([current, new], promote_options="permissive")


def _csv_safe(schema: pa.Schema) -> pa.Schema:
    """Columns with no value at all (type null) are written as strings."""
    return pa.schema(
        [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema]
    )


@dataclass(frozen=True)
class ConsolidationReport:
    """What :func:`consolidate` wrote."""

    runs: int
    corrupt_parts: tuple[str, ...]


def consolidate(plan: BatchPlan, directory: BatchDirectory) -> ConsolidationReport:
    """Gather the part files into ``runs.parquet``, ``runs.csv`` and ``timeseries.parquet``.

    Rows are in plan order whatever the order the runs finished in. Two passes over the
    parts (schemas first, then data, a chunk of runs at a time) keep memory flat. A part
    that cannot be read (a disk that lost it in a power cut) is renamed ``*.corrupt`` and
    reported, so the next invocation computes that run again.
    """
    finished_ids = directory.finished_run_ids()
    runs_schema: pa.Schema | None = None
    timeseries_schema: pa.Schema | None = None
    corrupt: list[str] = []
    good_ids: set[str] = set()
    for run in plan.runs:
        if run.run_id not in finished_ids:
            continue
        path = directory.part_path(run.run_id)
        try:
            part_schema = pq.read_schema(path)
            summary = _part_summary(part_schema)
        except (OSError, KeyError, ValueError, pa.ArrowException):
            os.replace(path, path.with_name(path.name + ".corrupt"))
            corrupt.append(run.run_id)
            continue
        good_ids.add(run.run_id)
        row_schema = pa.Table.from_pylist([_run_row(run, summary)]).schema
        runs_schema = _unify(runs_schema, row_schema)
        key_schema = pa.table(_run_key_table(run, 0)).schema
        timeseries_schema = _unify(
            timeseries_schema, _unify(key_schema, part_schema.remove_metadata())
        )
    if runs_schema is None or timeseries_schema is None:
        return ConsolidationReport(runs=0, corrupt_parts=tuple(corrupt))

    runs_schema = _csv_safe(runs_schema)
    rows: list[dict[str, Any]] = []
    series: list[pa.Table] = []
    # Contexts close in reverse: the writers first, then each file is renamed into place.
    with (
        _atomic_path(directory.path / RUNS_PARQUET) as runs_parquet_path,
        _atomic_path(directory.path / RUNS_CSV) as runs_csv_path,
        _atomic_path(directory.path / TIMESERIES_PARQUET) as timeseries_path,
        pq.ParquetWriter(runs_parquet_path, runs_schema) as runs_writer,
        pa_csv.CSVWriter(runs_csv_path, runs_schema) as csv_writer,
        pq.ParquetWriter(timeseries_path, timeseries_schema) as timeseries_writer,
    ):

        def flush() -> None:
            if rows:
                chunk = pa.Table.from_pylist(rows, schema=runs_schema)
                runs_writer.write_table(chunk)
                csv_writer.write_table(chunk)
                rows.clear()
            if series:
                timeseries_writer.write_table(pa.concat_tables(series))
                series.clear()

        for run in plan.runs:
            if run.run_id not in good_ids:
                continue
            part = pq.read_table(directory.part_path(run.run_id))
            rows.append(_run_row(run, _part_summary(part.schema)))
            series.append(_conform(_timeseries_with_keys(run, part), timeseries_schema))
            if len(rows) >= CONSOLIDATION_CHUNK_RUNS:
                flush()
        flush()
    return ConsolidationReport(runs=len(good_ids), corrupt_parts=tuple(corrupt))


# --------------------------------------------------------------------------------------
# The end-of-batch table
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellSummary:
    """The outcome share of one scenario and sweep cell, with its Wilson interval."""

    scenario: str
    sweep_values: tuple[tuple[str, Any], ...]
    runs: int
    successes: int
    low: float
    high: float

    @property
    def share(self) -> float:
        """successes / runs (nan without runs)."""
        return self.successes / self.runs if self.runs else math.nan


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (nan, nan without trials)."""
    if trials == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest

    interval = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def summarise_cells(plan: BatchPlan, directory: BatchDirectory) -> list[CellSummary] | None:
    """Per scenario and sweep cell: runs, how many had :data:`OUTCOME_FIELD` true, Wilson CI.

    Reads two columns of ``runs.parquet``; None when that file or field is missing. Runs
    where the field is null do not count.
    """
    path = directory.path / RUNS_PARQUET
    if not path.exists() or OUTCOME_FIELD not in pq.read_schema(path).names:
        return None
    table = pq.read_table(path, columns=["run_id", OUTCOME_FIELD])
    outcomes = dict(
        zip(
            table.column("run_id").to_pylist(), table.column(OUTCOME_FIELD).to_pylist(), strict=True
        )
    )
    counts: dict[tuple[int, int], list[int]] = {}
    for run in plan.runs:
        value = outcomes.get(run.run_id)
        tally = counts.setdefault((run.scenario_index, run.cell_index), [0, 0])
        if value is not None:
            tally[0] += 1
            tally[1] += int(bool(value))
    cells = []
    for (scenario_index, cell_index), (runs, successes) in counts.items():
        low, high = wilson_interval(successes, runs)
        cells.append(
            CellSummary(
                scenario=plan.scenario_names[scenario_index],
                sweep_values=plan.cell_values[cell_index],
                runs=runs,
                successes=successes,
                low=low,
                high=high,
            )
        )
    return cells


def format_cell_table(cells: Sequence[CellSummary]) -> str:
    """A plain-text table: scenario, sweep values, runs, outcome count, share, 95% Wilson CI."""
    sweep_keys = [key for key, _ in cells[0].sweep_values] if cells else []
    header = ["scenario", *sweep_keys, "runs", OUTCOME_FIELD, "share", "95% CI (Wilson)"]
    body = []
    for cell in cells:
        share = "-" if not cell.runs else f"{cell.share:.2f}"
        interval = "-" if not cell.runs else f"{cell.low:.2f} - {cell.high:.2f}"
        body.append(
            [
                cell.scenario,
                *(str(value) for _, value in cell.sweep_values),
                str(cell.runs),
                str(cell.successes),
                share,
                interval,
            ]
        )
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
        for row in [header, *body]
    ]
    return "\n".join(line.rstrip() for line in lines)
