"""CRS means the same on any grid: the systemic cytokine is per 10,000 sites and the dose
is given per 10,000 sites, so the same scenario on a small and a large grid gives the
same CRS grades within sampling error."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from sim.loader import load_scenario
from sim.metrics import crs_grade
from sim.run import run_simulation
from sim.tissue import Tissue

# classroom: infusion after about 10 days; 12 cells on its 40 x 40 grid = 75 per 10^4 sites
PER_10K = ["car_t.dose_per_10k_sites=75.0", "therapy.manufacturing_failure_prob=0.0"]


def _runs(side: int, seeds: range, days: int) -> list[dict]:
    scenario = load_scenario("classroom", [*PER_10K, f"grid.width={side}", f"grid.height={side}"])
    return [run_simulation(scenario, seed, days).summary for seed in seeds]


def test_systemic_cytokine_is_per_10k_sites() -> None:
    import random

    small, large = Tissue(20, 20, random.Random(0)), Tissue(80, 80, random.Random(0))
    for tissue in (small, large):
        tissue.cytokine[:] = 0.5  # the same cytokine per site
        tissue.fields_active = True
    assert small.systemic_cytokine() == pytest.approx(large.systemic_cytokine())
    assert crs_grade(small.systemic_cytokine(), [40, 100, 250, 450]) == 4


def test_peak_cytokine_is_close_on_two_grids() -> None:
    def peaks(side: int) -> float:
        scenario = load_scenario(
            "classroom", [*PER_10K, f"grid.width={side}", f"grid.height={side}"]
        )
        result = [run_simulation(scenario, seed, 25).timeseries for seed in range(3)]
        return float(np.median([series["cytokine_peak"].max() for series in result]))

    small, large = peaks(25), peaks(50)
    assert 0.6 < small / large < 1.6


@pytest.mark.slow
def test_crs_grade_distribution_is_the_same_on_two_grids() -> None:
    small = [r["crs_grade"] for r in _runs(40, range(40), 45) if r["infused"]]
    large = [r["crs_grade"] for r in _runs(80, range(40), 45) if r["infused"]]
    assert mannwhitneyu(small, large).pvalue > 0.01
    any_small, any_large = np.mean(np.array(small) > 0), np.mean(np.array(large) > 0)
    assert abs(any_small - any_large) < 0.25
