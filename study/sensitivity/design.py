"""The sampling design of a sensitivity analysis, and its sample points as scenario files.

SALib draws the points in the unit hypercube (Morris trajectories or Saltelli's Sobol'
sequence); :class:`~study.sensitivity.ranges.ParameterRange` maps each coordinate to a
parameter value (linear or log, whole numbers rounded). Each point is written as its own
scenario file, ``DIR/samples/sample-0001.toml`` (``base`` = the analysed scenario, plus
the point's values), so the ordinary batch runner runs "a list of parameter points" as a
batch of scenarios, unchanged: it resumes, runs on Dask and records every run.

``DIR/design.json`` keeps the design (method, scenario, ranges, seed, every point in unit
and parameter coordinates); the analysis reads it back, and running the same command
again finds the same design and resumes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.atomic_files import write_text_atomically
from sim.errors import FaultError, UserInputError, describe_os_error
from sim.loader import Override
from study.sensitivity.ranges import ParameterRange

Method = Literal["morris", "sobol"]
METHODS: tuple[Method, ...] = ("morris", "sobol")
DESIGN_FORMAT = "cartsim-sensitivity/1"
DESIGN_FILE = "design.json"
SAMPLES_DIR = "samples"
RUNS_DIR = "runs"
MORRIS_LEVELS = 4
"""Levels of the Morris grid (SALib's default; the step is 2/3 of each range)."""
DEFAULT_SAMPLES: dict[str, int] = {"morris": 10, "sobol": 64}
"""Morris trajectories, or Sobol' base samples (a power of 2), when --samples is not given."""


@dataclass(frozen=True)
class Design:
    """A sensitivity design: which points to run.

    Attributes:
        method: ``"morris"`` (elementary effects) or ``"sobol"`` (variance shares).
        scenario: the analysed scenario's name or path (each sample's ``base``).
        ranges: the sampled parameters, in problem order.
        samples: Morris trajectories, or Sobol' base samples N.
        seed: the seed of the sampling and of the bootstrap intervals.
        unit: the points in the unit hypercube, one row per point (SALib's ``X``).
    """

    method: Method
    scenario: str
    ranges: tuple[ParameterRange, ...]
    samples: int
    seed: int
    unit: np.ndarray

    @property
    def keys(self) -> tuple[str, ...]:
        """The sampled keys, in problem order."""
        return tuple(item.key for item in self.ranges)

    @property
    def n_points(self) -> int:
        """Points (scenario files) in the design."""
        return int(self.unit.shape[0])

    @property
    def group_size(self) -> int:
        """Rows per Morris trajectory (D + 1) or per Sobol' base sample (D + 2)."""
        extra = 1 if self.method == "morris" else 2
        return len(self.ranges) + extra

    def problem(self) -> dict[str, Any]:
        """SALib's problem: the keys over the unit hypercube (values are mapped by us)."""
        return {
            "num_vars": len(self.ranges),
            "names": list(self.keys),
            "bounds": [[0.0, 1.0]] * len(self.ranges),
        }

    def points(self) -> list[dict[str, int | float]]:
        """Each point's parameter values, ``{"car_t.kill_rate_per_day": 3.2, ...}``."""
        return [
            {item.key: item.value_at(u) for item, u in zip(self.ranges, row, strict=True)}
            for row in self.unit
        ]

    def sample_names(self) -> list[str]:
        """The scenario name of each point: ``sample-0001`` ... (width grows past 9999)."""
        width = max(4, len(str(self.n_points)))
        return [f"sample-{index + 1:0{width}d}" for index in range(self.n_points)]


def salib_seed(seed: int) -> int:
    """A 32-bit seed for SALib derived from the analysis seed (any 63-bit integer)."""
    return int(np.random.SeedSequence([seed, 12]).generate_state(1)[0])


def make_design(
    method: str, scenario: str, ranges: Sequence[ParameterRange], samples: int | None, seed: int
) -> Design:
    """Draw the points with SALib (Morris trajectories or Saltelli-Sobol' sequence).

    Raises:
        UserInputError: an unknown method, too few samples, or a Sobol' N that is not a
            power of 2.
    """
    if method not in METHODS:
        raise UserInputError(f"--method {method}: choose morris or sobol")
    count = DEFAULT_SAMPLES[method] if samples is None else samples
    problem = {
        "num_vars": len(ranges),
        "names": [item.key for item in ranges],
        "bounds": [[0.0, 1.0]] * len(ranges),
    }
    if method == "morris":
        if count < 2:
            raise UserInputError(f"--samples {count}: Morris needs at least 2 trajectories")
        from SALib.sample import morris

        unit = morris.sample(problem, count, num_levels=MORRIS_LEVELS, seed=salib_seed(seed))
    else:
        if count < 2 or count & (count - 1):
            raise UserInputError(
                f"--samples {count}: Sobol' needs a power of 2 of at least 2 (e.g. 64, 128)"
            )
        from SALib.sample import sobol

        unit = sobol.sample(problem, count, calc_second_order=False, seed=salib_seed(seed))
    return Design(
        "morris" if method == "morris" else "sobol",
        scenario,
        tuple(ranges),
        count,
        seed,
        np.asarray(unit, dtype=float),
    )


def _toml_value(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _base_reference(scenario: str) -> str:
    """How a sample file names its base: a shipped name as it is, a file by absolute path."""
    path = Path(scenario)
    if path.suffix == ".toml" or path.parent != Path("."):
        return str(path.resolve())
    return scenario


def sample_file_text(design: Design, index: int, values: dict[str, int | float]) -> str:
    """The TOML of one point: ``base`` = the scenario, then the point's values by table."""
    lines = [
        f"# Point {index + 1} of {design.n_points} of a {design.method} sensitivity analysis",
        "# (written by `main.py sensitivity`; see design.json beside this folder).",
        f"base = {json.dumps(_base_reference(design.scenario))}",
        f"description = {json.dumps(f'{design.scenario}, {design.method} point {index + 1}')}",
    ]
    tables: dict[str, list[str]] = {}
    for key, value in values.items():
        table, name = key.split(".", 1)
        tables.setdefault(table, []).append(f"{name} = {_toml_value(value)}")
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries]
    return "\n".join(lines) + "\n"


def design_record(design: Design, days: int | None, sets: Sequence[Override]) -> dict[str, Any]:
    """What ``design.json`` holds (everything that decides the points and runs)."""
    from importlib.metadata import version

    return {
        "format": DESIGN_FORMAT,
        "method": design.method,
        "scenario": design.scenario,
        "samples": design.samples,
        "seed": design.seed,
        "days": days,
        "sets": [[override.dotted_key, override.value] for override in sets],
        "levels": MORRIS_LEVELS if design.method == "morris" else None,
        "salib": version("SALib"),
        "ranges": [asdict(item) for item in design.ranges],
        "sample_names": design.sample_names(),
        "unit": design.unit.tolist(),
        "points": design.points(),
    }


def design_from_record(record: dict[str, Any]) -> Design:
    """The :class:`Design` stored in a ``design.json`` record."""
    return Design(
        method=record["method"],
        scenario=record["scenario"],
        ranges=tuple(ParameterRange(**item) for item in record["ranges"]),
        samples=int(record["samples"]),
        seed=int(record["seed"]),
        unit=np.asarray(record["unit"], dtype=float),
    )


def write_design(out_dir: Path, design: Design, record: dict[str, Any]) -> list[Path]:
    """Create (or reopen) ``out_dir``: ``design.json`` and one scenario file per point.

    Returns the sample files' paths, in design order.

    Raises:
        UserInputError: ``out_dir`` is a file, holds another analysis, or is a non-empty
            folder without ``design.json``.
    """
    where = f"--out {out_dir}"
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"{where}: exists and is not a directory")
    design_path = out_dir / DESIGN_FILE
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    if design_path.is_file():
        try:
            stored = json.loads(design_path.read_text())
        except (OSError, ValueError):
            raise UserInputError(
                f"{where}: {DESIGN_FILE} is unreadable; choose another --out"
            ) from None
        if stored != json.loads(text):
            changed = sorted(key for key in record if stored.get(key) != json.loads(text).get(key))
            raise UserInputError(
                f"{where}: holds a different sensitivity analysis (it differs in "
                f"{', '.join(changed)}); choose another --out"
            )
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        raise UserInputError(f"{where}: not empty and holds no {DESIGN_FILE}; choose a new folder")
    samples_dir = out_dir / SAMPLES_DIR
    try:
        samples_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(f"{where}: cannot write there: {error.strerror}") from None
    paths = []
    try:
        for index, (name, values) in enumerate(
            zip(design.sample_names(), design.points(), strict=True)
        ):
            path = samples_dir / f"{name}.toml"
            content = sample_file_text(design, index, values)
            if not path.is_file() or path.read_bytes() != content.encode():
                write_text_atomically(path, content)
            paths.append(path)
        if not design_path.is_file():
            write_text_atomically(design_path, text)
    except OSError as error:
        raise FaultError(
            f"{where}: cannot write {describe_os_error(error)}; the files written so far "
            "are kept, run the command again to finish"
        ) from None
    return paths


def read_design(out_dir: Path) -> tuple[Design, dict[str, Any]]:
    """The design and record of an analysis folder."""
    record = json.loads((out_dir / DESIGN_FILE).read_text())
    return design_from_record(record), record
