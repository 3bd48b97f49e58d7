"""Fixtures shared by the test files.

- ``repo_root``: the repository's root folder.
- ``classroom_scenario`` / ``autologous_scenario``: the shipped scenarios, loaded once per
  session (treat them as read-only; ``model_copy(deep=True)`` before changing one).
- ``empty_model``: a factory for the 7x7 hand-built tissue of tests/model_builders.py:
  ``empty_model(["car_t.kill_rate_per_day=0"], seed=3)``.
- ``out_dir``: a fresh output folder (``tmp_path / "out"``, not yet created).
- ``view``: the classroom live view on the SDL dummy driver (tests/live_helpers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from model_builders import empty_model as build_empty_model

from sim.loader import load_scenario
from sim.model import CarTModel
from sim.parameters import Scenario

ROOT = Path(__file__).resolve().parents[1]

EmptyModelFactory = Callable[..., CarTModel]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture(scope="session")
def classroom_scenario() -> Scenario:
    """The shipped ``classroom`` scenario (small and fast), loaded once."""
    return load_scenario("classroom")


@pytest.fixture(scope="session")
def autologous_scenario() -> Scenario:
    """The shipped ``autologous`` scenario (the reference arm), loaded once."""
    return load_scenario("autologous")


@pytest.fixture
def empty_model() -> EmptyModelFactory:
    """Build a 7x7 tissue with no cells and no therapy (tests/model_builders.py)."""

    def build(overrides: Sequence[str] = (), seed: int = 1) -> CarTModel:
        return build_empty_model(overrides, seed)

    return build


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A fresh output folder inside pytest's temporary folder (not yet created)."""
    return tmp_path / "out"


@pytest.fixture
def view(tmp_path: Path) -> Iterator[Any]:
    """The ``classroom`` live view (seed 3) on the SDL dummy driver, with its captures
    folder ``tmp_path / "caps"`` (tests/live_helpers.py)."""
    import pygame
    from live_helpers import open_view

    from viz.live.app import LiveConfig

    live = open_view(LiveConfig(scenarios=["classroom"], seed=3, out=tmp_path / "caps"))
    yield live
    pygame.quit()
