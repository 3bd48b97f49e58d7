"""The kernels' random empty resident sites (sim/kernel_empty_sites.py) are the tissue's:
the listing of every empty site a word at a time is ``np.flatnonzero``, and the choice
over them draws what ``Tissue.random_empty_sites`` draws."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sim.kernel_empty_sites import empty_sites_in_order, random_empty_sites
from sim.kernel_generator import held
from sim.tissue import Tissue


@pytest.mark.parametrize("n_sites", [0, 1, 7, 8, 49, 1600, 10_003])
def test_the_empty_sites_listed_a_word_at_a_time_are_numpys(n_sites: int) -> None:
    layout = np.random.default_rng(n_sites)
    for occupied in (0.0, 0.3, 0.99, 1.0):
        kinds = layout.integers(1, 8, size=n_sites) * (layout.random(n_sites) < occupied)
        layer = kinds.astype(np.int8)
        assert empty_sites_in_order(layer).tolist() == np.flatnonzero(layer == 0).tolist()


@pytest.mark.parametrize("occupied", [0.3, 0.97])  # room: random draws; full: the listing
def test_the_resident_rows_empty_sites_kernel_is_the_tissues_choice(occupied: float) -> None:
    tissue = Tissue(30, 30, random.Random(0))
    layout = np.random.default_rng(12)
    fell_back = 0
    for trial in range(20):
        tissue.resident_kind[:] = layout.random(900) < occupied
        count = int(layout.integers(1, 60))
        numpy_rng, kernel_rng = np.random.default_rng(trial), np.random.default_rng(trial)
        fell_back += tissue.draw_empty_sites(tissue.resident_kind, count, numpy_rng) is None
        numpy_rng = np.random.default_rng(trial)
        expected = tissue.random_empty_sites(tissue.resident_kind, count, numpy_rng)
        sites = random_empty_sites(tissue.resident_kind, count, held(kernel_rng))
        assert sites.tolist() == expected.tolist()
        assert numpy_rng.bit_generator.state == kernel_rng.bit_generator.state
    assert fell_back > 0 or occupied < 0.9  # the full grids take the listing's way
