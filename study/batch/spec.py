"""What a batch is: scenarios x sweep cells x replicates, with a root seed.

A :class:`BatchSpec` holds everything that decides a batch's results (and nothing about
where it runs). Overrides and sweep values are typed once where they enter (the command
line, an experiment file) and travel as typed values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine_choice import check_engine
from sim.errors import UserInputError
from sim.limits import MAX_DAYS, MAX_REPLICATES, MAX_RUNS, MAX_SEED, check_one_line, check_value
from sim.loader import Override, parse_key, parse_override, parse_value
from study.batch.defaults import DEFAULT_ROOT_SEED

SWEEP_SOURCE = "--sweep"


@dataclass(frozen=True)
class Sweep:
    """One swept key and its typed values (``car_t.dose_cells=20,40`` -> ``(20, 40)``).

    Attributes:
        key: the dotted key, normalised (``"car_t.dose_cells"``); the column name.
        values: the typed values, in the order given.
        source: where the sweep came from, for error messages (not part of equality).
    """

    key: str
    values: tuple[Any, ...]
    source: str = field(default=SWEEP_SOURCE, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", ".".join(parse_key(self.key, self.source)))
        object.__setattr__(self, "values", tuple(self.values))

    @property
    def key_path(self) -> tuple[str, ...]:
        """The key as a path: ``("car_t", "dose_cells")``."""
        return tuple(self.key.split("."))

    def override(self, value: Any) -> Override:
        """The override that sets this sweep's key to ``value`` (one of :attr:`values`)."""
        return Override(self.key_path, value, self.source)


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


def parse_sweep(text: str, source: str = SWEEP_SOURCE) -> Sweep:
    """Parse ``KEY=V1,V2,...`` once into a :class:`Sweep` of typed values.

    Each value is read as TOML like a ``--set`` value (lists too:
    ``therapy.bridging_days=[],[5]``).
    """
    check_one_line(f"{source} {text[:60]!r}", text)
    key, sep, raw_values = text.partition("=")
    if not sep or not key.strip() or not raw_values.strip():
        example = "car_t.dose_cells=20,40,80"
        raise UserInputError(f"{source} {text!r}: expected KEY=V1,V2,... such as {example}")
    key_path = parse_key(key, source, text)
    values = split_sweep_values(raw_values)
    if any(not value for value in values):
        raise UserInputError(
            f"{source} {text!r}: an empty value (two commas in a row, or a trailing comma)"
        )
    typed = []
    for value in values:
        try:
            typed.append(parse_value(value))
        except UserInputError as error:
            raise UserInputError(f"{source} {text[:60]!r}: {error}") from None
        check_value(typed[-1], f"{source} {text[:60]!r}", depth_used=len(key_path) + 1)
    return Sweep(".".join(key_path), tuple(typed), source)


def value_key(value: Any) -> str:
    """A typed value as comparable text (``20`` and ``20.0`` differ; ``true`` is not ``1``)."""
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class BatchSpec:
    """Everything that decides a batch's results (and nothing about where it runs).

    Attributes:
        scenarios: scenario names or paths, as given to the loader, in output order.
        replicates: runs per scenario and sweep cell.
        root_seed: the seed every replicate seed derives from.
        days: days per run, or None for each scenario's own ``time.days``.
        sets: overrides applied to every scenario (a string is parsed once, as ``--set``).
        sweeps: swept keys; the cells are their Cartesian product, first key outermost.
        engine: which engine steps every run (:mod:`sim.engine`). Both give the same
            numbers, so it is not in the fingerprint; the manifest records it and a batch
            is resumed only with the engine it was started with. None: not chosen, the
            batch's own when it is resumed, else :data:`sim.engine_choice.STUDY_ENGINE`
            (:func:`study.batch.execute.engine_for`).
        origin: the experiment file the batch was read from, or None for the command line;
            error messages name the file and its key (``dose.toml: replicates``) or the
            option (``--replicates``). Not part of equality.
    """

    scenarios: tuple[str, ...]
    replicates: int
    root_seed: int = DEFAULT_ROOT_SEED
    days: int | None = None
    sets: tuple[Override, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    engine: str | None = None
    origin: str | None = field(default=None, compare=False)

    def where(self, option: str) -> str:
        """How errors name a batch setting: ``--replicates``, or ``dose.toml: replicates``."""
        if self.origin is None:
            return option
        return f"{self.origin}: {option.removeprefix('--').replace('SCENARIO', 'scenarios')}"

    def __post_init__(self) -> None:
        sets = tuple(parse_override(o) if isinstance(o, str) else o for o in self.sets)
        object.__setattr__(self, "sets", sets)
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        object.__setattr__(self, "sweeps", tuple(self.sweeps))
        if not self.scenarios:
            raise UserInputError("batch: name at least one SCENARIO, or give --experiment FILE")
        check_int(self.where("--replicates"), self.replicates, minimum=1, maximum=MAX_REPLICATES)
        check_int(self.where("--seed"), self.root_seed, minimum=0, maximum=MAX_SEED)
        if self.engine is not None:
            check_engine(self.engine, self.where("--engine"))
        if self.days is not None:
            check_int(self.where("--days"), self.days, minimum=1, maximum=MAX_DAYS)
        for name, count in counts(self.scenarios).items():
            if count > 1:
                raise UserInputError(f"{self.where('SCENARIO')}: {name!r} is given twice")
        set_sources = {override.dotted_key: override.source for override in sets}
        swept = counts([sweep.key for sweep in self.sweeps])
        for sweep in self.sweeps:
            if swept[sweep.key] > 1:
                raise UserInputError(
                    f"{sweep.source} {sweep.key}: the key is swept twice; give it once"
                )
            if sweep.key in set_sources:
                raise UserInputError(
                    f"{sweep.source} {sweep.key}: the key is also given with "
                    f"{set_sources[sweep.key]}; drop one of them"
                )
            keys = [value_key(value) for value in sweep.values]
            if not keys:
                raise UserInputError(f"{sweep.source} {sweep.key}: give at least one value")
            if len(set(keys)) != len(keys):
                raise UserInputError(
                    f"{sweep.source} {sweep.key}: a value is given twice; give each once"
                )
        if self.n_runs > MAX_RUNS:
            raise UserInputError(
                f"{self.where('--replicates')}: {self.n_runs:,} runs in all (scenarios x sweep "
                f"cells x replicates); a batch holds at most {MAX_RUNS:,}"
            )

    @property
    def cells_per_scenario(self) -> int:
        """The number of sweep cells (1 without sweeps)."""
        return math.prod(len(sweep.values) for sweep in self.sweeps)

    @property
    def n_runs(self) -> int:
        """Runs in the whole batch."""
        return len(self.scenarios) * self.cells_per_scenario * self.replicates


def check_int(option: str, value: object, minimum: int, maximum: int | None = None) -> None:
    """Raise a one-line UserInputError unless ``value`` is a whole number in range."""
    in_range = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= minimum
        and (maximum is None or value <= maximum)
    )
    if not in_range:
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise UserInputError(f"{option}: must be a whole number {allowed} (got {value!r})")


def counts(items: Sequence[str]) -> dict[str, int]:
    """How often each item occurs, in first-seen order."""
    tally: dict[str, int] = {}
    for item in items:
        tally[item] = tally.get(item, 0) + 1
    return tally


def replicate_seed(root_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: the same in every scenario and sweep cell.

    ``SeedSequence(root_seed, spawn_key=(replicate,))`` gives 64 random bits; the top 63
    make a non-negative integer that fits in int64.
    """
    sequence = np.random.SeedSequence(root_seed, spawn_key=(replicate,))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
