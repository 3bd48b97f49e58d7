"""The plan of a batch: every scenario and sweep cell loaded, every run laid out.

:func:`build_plan` loads each scenario and sweep cell (so every input error surfaces
before anything runs), gives each replicate ``k`` the seed
``SeedSequence(root_seed, spawn_key=(k,))`` in every scenario and cell (paired random
streams), and computes the batch's fingerprint (everything that decides the results).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sim.engine_choice import DEFAULT_ENGINE, STUDY_ENGINE
from sim.errors import UserInputError
from sim.loader import Override
from study.batch.spec import BatchSpec, counts, replicate_seed, value_key

MANIFEST_FORMAT = "cartsim-batch/1"
"""The format of a batch directory's manifest (part of the fingerprint)."""


class ScenarioLike(Protocol):
    """What the batch needs of a scenario: a name and a JSON dump (a pydantic model)."""

    name: str

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


LoadScenario = Callable[[str, Sequence[Override]], ScenarioLike]
"""``load(name_or_path, overrides) -> Scenario`` (see :func:`sim.loader.load_scenario`)."""


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


def value_at(dump: dict[str, Any], dotted_key: str) -> Any:
    value: Any = dump
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted_key)
        value = value[part]
    return value


def column_value(value: Any) -> Any:
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

    def check_manifest_engine(self, manifest: dict[str, Any], where: str) -> None:
        """Refuse to resume, in one line, a batch started with another engine than this
        plan's.

        The engines give the same numbers, but a batch is made with one (its manifest says
        which; a manifest from before the choice existed was made by the reference).
        """
        started_with = manifest_engine(manifest)
        if started_with != self.spec.engine:
            raise UserInputError(
                f"{where}: this batch was started with --engine {started_with}; resume it "
                f"with --engine {started_with} (one batch, one engine), or choose another --out"
            )

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


def fingerprint(
    replicates: int,
    root_seed: int,
    days: int | None,
    sweep_keys: Sequence[str],
    scenarios: Sequence[tuple[str, Sequence[tuple[Sequence[Sequence[Any]], dict[str, Any]]]]],
) -> str:
    """A hash of everything that decides a batch's results.

    ``scenarios`` holds, per scenario name, each sweep cell's (swept key, value) pairs and
    resolved parameters (without the description). Also recomputed from a manifest
    (:func:`manifest_fingerprint`), so a reader can tell a hand-edited manifest.
    """
    source = {
        "format": MANIFEST_FORMAT,
        "replicates": replicates,
        "root_seed": root_seed,
        "days": days,
        "sweep_keys": list(sweep_keys),
        "scenarios": [
            {
                "name": name,
                "cells": [
                    {"sweep": [list(item) for item in sweep], "parameters": parameters}
                    for sweep, parameters in cells
                ],
            }
            for name, cells in scenarios
        ],
    }
    return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()


def manifest_fingerprint(manifest: dict[str, Any]) -> str:
    """The fingerprint of the batch a manifest describes, recomputed from its contents.

    Raises:
        KeyError, TypeError, ValueError: the manifest lacks what it takes.
    """
    cells: dict[str, list[tuple[list[list[Any]], dict[str, Any]]]] = {
        str(name): [] for name in manifest["scenario_names"]
    }
    for entry in manifest["resolved_scenarios"]:
        parameters = dict(entry["parameters"])
        parameters.pop("description", None)
        cells[entry["scenario"]].append(
            ([list(item) for item in entry["sweep"].items()], parameters)
        )
    return fingerprint(
        int(manifest["replicates"]),
        int(manifest["root_seed"]),
        manifest["days"],
        [sweep["key"] for sweep in manifest["sweeps"]],
        list(cells.items()),
    )


def default_load_scenario() -> LoadScenario:
    """The project's scenario loader (imported late so tests can run without it)."""
    from sim.loader import load_scenario

    return load_scenario


def build_plan(spec: BatchSpec, load: LoadScenario | None = None) -> BatchPlan:
    """Load every scenario and sweep cell (all input errors surface here) and lay out runs.

    An engine not chosen (``spec.engine`` None) is :data:`STUDY_ENGINE` here; a command
    resolves it first against the batch it resumes (:func:`study.batch.execute.engine_for`)."""
    if spec.engine is None:
        spec = replace(spec, engine=STUDY_ENGINE)
    load = load or default_load_scenario()
    cells_given = list(itertools.product(*(sweep.values for sweep in spec.sweeps)))
    sweep_keys = tuple(sweep.key for sweep in spec.sweeps)
    scenarios: dict[tuple[int, int], Any] = {}
    names: list[str] = []
    cell_values: list[tuple[tuple[str, Any], ...]] = []
    for scenario_index, scenario_ref in enumerate(spec.scenarios):
        for cell_index, given_values in enumerate(cells_given):
            overrides = [
                *spec.sets,
                *(s.override(v) for s, v in zip(spec.sweeps, given_values, strict=True)),
            ]
            try:
                scenario = load(scenario_ref, overrides)
            except UserInputError as error:
                message = str(error)
                if spec.origin and message.startswith(f"{scenario_ref}:"):
                    raise UserInputError(f"{spec.origin}: scenarios: {message}") from None
                raise
            scenarios[(scenario_index, cell_index)] = scenario
            if scenario_index == 0:
                dump = scenario.model_dump(mode="json")
                cell_values.append(
                    tuple((key, column_value(value_at(dump, key))) for key in sweep_keys)
                )
        names.append(scenarios[(scenario_index, 0)].name)
    for name, count in counts(names).items():
        if count > 1:
            raise UserInputError(
                f"batch: two scenarios are both named {name!r}; give each file its own name"
            )
    for position, sweep in enumerate(spec.sweeps):
        seen: dict[str, Any] = {}
        for values, given_values in zip(cell_values, cells_given, strict=True):
            resolved, given = json.dumps(values[position][1]), given_values[position]
            if resolved in seen and value_key(seen[resolved]) != value_key(given):
                raise UserInputError(
                    f"{sweep.source} {sweep.key}: {value_key(seen[resolved])} and "
                    f"{value_key(given)} are the same value ({values[position][1]!r}); "
                    "give each value once"
                )
            seen.setdefault(resolved, given)
    digest = fingerprint(
        spec.replicates,
        spec.root_seed,
        spec.days,
        sweep_keys,
        [
            (
                name,
                [
                    (cell_values[cell_index], _parameters(scenarios[(scenario_index, cell_index)]))
                    for cell_index in range(len(cell_values))
                ],
            )
            for scenario_index, name in enumerate(names)
        ],
    )
    return BatchPlan(
        spec=spec,
        scenario_names=tuple(names),
        cell_values=tuple(cell_values),
        scenarios=scenarios,
        fingerprint=digest,
    )


def manifest_engine(manifest: dict[str, Any]) -> str:
    """The engine a batch's manifest records (the reference for a manifest from before
    the choice existed)."""
    return str(manifest.get("engine", DEFAULT_ENGINE))
