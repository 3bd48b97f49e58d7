"""Experiment files: a batch written down as TOML, like NetLogo's BehaviorSpace experiments.

``uv run main.py batch --experiment FILE`` runs the same batch as the equivalent command
line, and the two share an output directory (the batch fingerprint does not depend on how
the batch was given). The format::

    description = "CAR T dose against arm"   # optional, free text
    scenarios = ["autologous", "donor"]      # names or paths, as on the command line
    replicates = 20
    seed = 1                                 # optional, default 0
    days = 120                               # optional, default: each scenario's own
    out = "runs/dose"                        # optional; --out on the command line wins
    workers = 2      # optional, at most one of: workers = W, dask_local = W,
                     # scheduler = "tcp://HOST:8786", serial = true; the command line wins

    [set]                                    # optional: --set KEY=VALUE, for every run
    car_t.kill_rate_per_day = 10

    [sweep]                                  # optional: --sweep KEY=V1,V2,...
    car_t.dose_cells = [20, 40, 80]          # first key outermost, in file order
    therapy.arm = ["autologous", "donor"]

As in any TOML file, the top-level keys come before the first table (``[set]``,
``[sweep]``): a key written below ``[sweep]`` belongs to ``[sweep]``.
Keys under ``[set]`` and ``[sweep]`` may be written as dotted keys (``car_t.dose_cells``),
as quoted keys (``"car_t.dose_cells"``) or as sub-tables (``[sweep.car_t]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import UserInputError
from sim.limits import (
    MAX_DAYS,
    MAX_REPLICATES,
    MAX_SEED,
    MAX_WORKERS,
    check_path,
    decode_text,
    parse_toml,
    shorten,
)
from sim.loader import Override, parse_key
from study.batch.executors import check_scheduler_address
from study.batch.spec import DEFAULT_ROOT_SEED, BatchSpec, Sweep

TOP_LEVEL_ONLY_KEYS = frozenset(
    {
        "scenarios",
        "replicates",
        "seed",
        "days",
        "out",
        "workers",
        "dask_local",
        "scheduler",
        "serial",
    }
)
"""Experiment keys that are no scenario key: found under [set] or [sweep], they are misplaced."""


class ExperimentFile(BaseModel):
    """The contents of an experiment file; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)

    description: str = Field("", description="free text: what the experiment asks")
    scenarios: list[str] = Field(min_length=1, description="scenario names or paths")
    replicates: int = Field(ge=1, le=MAX_REPLICATES, description="runs per scenario and sweep cell")
    seed: int = Field(DEFAULT_ROOT_SEED, ge=0, le=MAX_SEED, description="the root seed")
    days: int | None = Field(
        None, ge=1, le=MAX_DAYS, description="days per run (default: the scenario's)"
    )
    out: str | None = Field(None, description="output directory (relative to the current one)")
    set: dict[str, Any] = Field(default_factory=dict, description="overrides for every run")
    sweep: dict[str, Any] = Field(default_factory=dict, description="swept keys and values")
    workers: int | None = Field(None, ge=1, le=MAX_WORKERS, description="local process pool size")
    dask_local: int | None = Field(
        None, ge=1, le=MAX_WORKERS, description="Dask LocalCluster worker processes"
    )
    scheduler: str | None = Field(None, description="address of a running Dask scheduler")
    serial: bool = Field(False, description="run in this process")

    @model_validator(mode="after")
    def _one_executor(self) -> ExperimentFile:
        chosen = [
            name
            for name, value in (
                ("workers", self.workers),
                ("dask_local", self.dask_local),
                ("scheduler", self.scheduler),
                ("serial", self.serial or None),
            )
            if value is not None
        ]
        if len(chosen) > 1:
            raise ValueError(
                f"give at most one of workers, dask_local, scheduler, serial "
                f"(got {', '.join(chosen)})"
            )
        return self


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            items.extend(_flatten(value, dotted))
        else:
            items.append((dotted, value))
    return items


class Experiment:
    """A loaded experiment file: its batch, its output directory and its executor choice.

    The ``[set]`` and ``[sweep]`` values become typed overrides and sweeps directly, as
    TOML read them (never turned into text and parsed again); error messages name the
    file and its table.
    """

    def __init__(self, path: Path, contents: ExperimentFile, text: str) -> None:
        self.path = path
        self.contents = contents
        self.text = text
        for table_name, table in (("set", contents.set), ("sweep", contents.sweep)):
            misplaced = [key for key in table if key in TOP_LEVEL_ONLY_KEYS]
            if misplaced:
                raise UserInputError(
                    f"{path}: {table_name}.{misplaced[0]}: {misplaced[0]!r} is a top-level "
                    f"key; move it above the first table ([set] or [sweep])"
                )
        if contents.out is not None:
            check_path(f"{path}: out", contents.out)
        if contents.scheduler is not None:
            check_scheduler_address(f"{path}: scheduler", contents.scheduler)
        set_source, sweep_source = f"{path}: [set]", f"{path}: [sweep]"
        sets = tuple(
            Override(parse_key(key, set_source), value, set_source)
            for key, value in _flatten(contents.set)
        )
        sweeps = []
        for key, values in _flatten(contents.sweep):
            if not isinstance(values, list) or not values:
                raise UserInputError(
                    f"{path}: sweep.{key}: must be a non-empty list of values, such as [20, 40]"
                )
            sweeps.append(Sweep(key=key, values=tuple(values), source=sweep_source))
        self.spec = BatchSpec(
            scenarios=tuple(self._scenario_ref(ref) for ref in contents.scenarios),
            replicates=contents.replicates,
            root_seed=contents.seed,
            days=contents.days,
            sets=sets,
            sweeps=tuple(sweeps),
            origin=str(path),
        )

    def _scenario_ref(self, ref: str) -> str:
        """A scenario of the file: a name as it is; a path resolved against the file's folder.

        (``base`` in a scenario file is resolved the same way, against its own file.)
        """
        check_path(f"{self.path}: scenarios", ref)
        if not (ref.endswith(".toml") or "/" in ref or "\\" in ref):
            return ref
        resolved = Path(ref) if Path(ref).is_absolute() else self.path.parent / ref
        if not resolved.is_file():
            raise UserInputError(
                f"{self.path}: scenarios: {ref!r}: no such scenario file (looked for {resolved}, "
                "relative to the experiment file's folder)"
            )
        return str(resolved)

    @property
    def out(self) -> str | None:
        """The output directory the file names, if any."""
        return self.contents.out

    def for_manifest(self) -> dict[str, Any]:
        """The file's path and text, to record in the batch manifest."""
        return {"path": str(self.path), "text": self.text}


def _describe(path: Path, error: ValidationError) -> str:
    problem = error.errors()[0]
    key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    if problem["type"] == "extra_forbidden":
        allowed = ", ".join(ExperimentFile.model_fields)
        return f"{path}: {key}: unknown key; allowed: {allowed}"
    if problem["type"] == "missing":
        return f"{path}: {key}: missing; an experiment needs scenarios and replicates"
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    shown = "" if isinstance(given, dict) else f" (got {shorten(repr(given))})"
    return f"{path}: {key}: {message}{shown}"


def load_experiment(path: Path | str) -> Experiment:
    """Read and validate an experiment file; every mistake is one-line UserInputError."""
    path = check_path("--experiment", path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserInputError(
            f"--experiment {path}: cannot read the file ({error.strerror})"
        ) from None
    text = decode_text(path, data)
    table = parse_toml(text, str(path))
    try:
        contents = ExperimentFile.model_validate(table)
    except ValidationError as error:
        raise UserInputError(_describe(path, error)) from None
    return Experiment(path, contents, text)
