"""The mean-field check: the model's rules as ordinary differential equations.

In the well-mixed limit (``grid.well_mixed = true``: T-cells go to random free sites
every step, a dividing blast's 8 candidate sites are random sites) space acts only through
the total occupancy of each layer, so the expected counts of the agents follow an ODE
system built from the same rules and the same per-step chances (:mod:`sim.chances`).
:func:`solve_mean_field` solves it with ``scipy.integrate.solve_ivp``;
:mod:`study.validation.meanfield_check` compares it with the mean of many agent runs.

Units: counts of cells on the grid, time in days. A per-step chance ``p`` of
:class:`sim.chances.StepChances` becomes an ODE rate as the agents realise it:

- events a cell can repeat without changing (a kill, a division, a bud, the marrow's
  production): ``p / dt`` (expected events per step over the step length ``dt`` in days);
- events that end a state (a death, a maturation): the hazard ``-ln(1 - p) / dt``, which
  gives the same survival over n steps, ``(1 - p)^n``, as the agents (for a per-day rate
  this is the rate itself).

The difference matters for kills: 4 kills a day is a chance 1 - exp(-4/24) = 0.154 per
hour, so an engaged effector kills 24 x 0.154 = 3.69 times a day, not 4.

Contact in the well-mixed limit: a site's 8 neighbours are 8 distinct random sites, so the
chance that none of them holds one of ``n`` cells on ``N`` sites is
``prod_{i<8} (N - n - i) / (N - i)`` (:func:`none_of_eight`).

Left out of the ODE, so the check scenario (:func:`check_scenario`) turns them off:
native T-cells (``native_t.normal_fraction = 0``) and hence teaching and rejection,
alemtuzumab and the donor arm, the patient's spread (one fixed patient), the random
manufacturing time and its failure. The cytokine and antigen fields drive no rule of a
CAR T-cell, so they are not needed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from agents.healthy_b_cell import INFLUX_SCALE_SITES
from sim.chances import StepChances
from sim.parameters import Scenario, step_probability
from sim.patient import effective_scenario
from sim.therapy import per_dose
from sim.timeline import plan_therapy

NEIGHBOURS = 8
# state vector: CD19+ blasts, CD19- blasts, B precursors, mature B-cells, CAR T memory,
# CAR T exhausted, the residual compartment's CD19+ and CD19- cells (agent equivalents,
# sim.residual), then the effectors by stage of engaged time (0 .. stages - 1)
BP, BN, PRE, MAT, MEM, EXH, RP, RN, EFF = range(9)
OUTPUT_COLUMNS = ("blasts", "b_cells", "car_t", "car_t_effector", "car_t_memory")


def none_of_eight(occupied: float, sites: float) -> float:
    """Chance that 8 distinct random sites out of ``sites`` miss all ``occupied`` ones."""
    chance = 1.0
    for i in range(NEIGHBOURS):
        chance *= max(0.0, sites - occupied - i) / (sites - i)
    return chance


def repeat_rate(p: float, dt_days: float) -> float:
    """Expected events per day of a per-step chance ``p`` that leaves the cell as it is."""
    return p / dt_days


def hazard(p: float, dt_days: float) -> float:
    """Rate per day that gives the survival ``(1 - p)`` per step of a per-step chance."""
    return math.inf if p >= 1.0 else -math.log1p(-p) / dt_days


@dataclass(frozen=True)
class MeanFieldRates:
    """The per-day ODE rates of the check scenario (see the module docstring)."""

    sites: int
    dt_days: float
    blast_division: float  # attempts per blast per day (LeukaemicBlast.divide)
    blast_death: float  # LeukaemicBlast, booked death
    cd19_loss: float  # chance that a CD19+ blast's daughter is CD19-negative
    b_maturation: float  # HealthyBCell.mature (precursor -> mature)
    b_death: float  # HealthyBCell, booked death of a mature cell
    b_target: float  # b_cells.target_fraction x sites
    b_influx: float  # stem-cell influx per day on this grid
    b_feedback_gain: float
    b_maturation_days: float
    kill: float  # CarTCell.interact / strike: kills per engaged effector per day
    division_per_kill: float  # CarTCell.kill -> divide
    memory_fraction: float  # CarTCell.make_daughter
    budding: float  # CarTCell.bud: buds per memory cell per day next to a CD19+ cell
    homeostatic_division: float  # CarTModel.fates
    effector_death: float  # CarTCell.death_probability_of
    memory_death: float
    exhausted_death: float
    exhaustion_hours: float  # car_t.exhaustion_engaged_hours
    hours_per_day: float  # engaged hours per day of an effector whose 8 neighbours are CD19+
    residual_seeding: float  # ResidualDisease._seed: seeded blasts per agent equivalent a day
    residual_capacity: float  # ResidualDisease.capacity (agent equivalents)
    residual_egress: float  # ResidualDisease._egress: grid blasts leaving per blast a day

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> MeanFieldRates:
        """The rates of ``scenario`` (as the run's patient; see :func:`check_scenario`)."""
        chances = StepChances.from_scenario(scenario)
        dt = scenario.time.hours_per_step / 24.0
        sites = scenario.grid.width * scenario.grid.height
        b = scenario.b_cells
        return cls(
            sites=sites,
            dt_days=dt,
            blast_division=repeat_rate(chances.blast_division, dt),
            blast_death=hazard(chances.blast_death, dt),
            cd19_loss=scenario.leukaemia.cd19_loss_prob,
            b_maturation=hazard(chances.b_cell_maturation, dt),
            b_death=hazard(chances.b_cell_death, dt),
            b_target=b.target_fraction * sites,
            b_influx=b.precursor_influx_per_day * sites / INFLUX_SCALE_SITES,
            b_feedback_gain=b.precursor_feedback_gain,
            b_maturation_days=b.maturation_days,
            kill=repeat_rate(chances.car_t_kill, dt),
            division_per_kill=chances.car_t_division_per_kill,
            memory_fraction=scenario.car_t.memory_fraction,
            budding=repeat_rate(chances.car_t_memory_budding, dt),
            homeostatic_division=repeat_rate(chances.car_t_homeostatic_division, dt),
            effector_death=hazard(chances.car_t_effector_death, dt),
            memory_death=hazard(chances.car_t_memory_death, dt),
            exhausted_death=hazard(chances.car_t_exhausted_death, dt),
            exhaustion_hours=scenario.car_t.exhaustion_engaged_hours,
            hours_per_day=24.0,
            residual_seeding=repeat_rate(
                step_probability(scenario.residual.seeding_rate_per_day, 24.0 * dt), dt
            )
            if scenario.residual.enabled
            else 0.0,
            residual_capacity=scenario.residual.outside_grid_multiple * sites,
            residual_egress=repeat_rate(
                step_probability(
                    scenario.residual.seeding_rate_per_day
                    * scenario.residual.outside_grid_multiple,
                    24.0 * dt,
                ),
                dt,
            )
            if scenario.residual.enabled and scenario.residual.two_way_exchange
            else 0.0,
        )

    def scaled(self, **factors: float) -> MeanFieldRates:
        """A copy with some rates multiplied (``blast_division=1.2``): a deliberately
        wrong ODE, to show that the check can fail."""
        return replace(self, **{name: getattr(self, name) * f for name, f in factors.items()})


def b_cell_production(rates: MeanFieldRates, precursors: float, b_cells: float) -> float:
    """New precursors a day (HealthyBCell.production_per_day): the stem-cell influx plus
    each precursor's (1 + gain x missing share) divisions per maturation time."""
    if rates.b_target <= 0:
        return 0.0
    missing_share = 1.0 - b_cells / rates.b_target
    per_precursor = max(0.0, 1.0 + rates.b_feedback_gain * missing_share)
    return rates.b_influx + max(precursors, 0.0) * per_precursor / rates.b_maturation_days


def derivatives(y: np.ndarray, rates: MeanFieldRates, boost: bool) -> np.ndarray:
    """d/dt of the state (counts per day); ``boost``: the homeostatic boost is on."""
    n = rates.sites
    bp, bn, pre, mat, mem, exh, rp, rn = (max(v, 0.0) for v in y[:EFF])
    eff = np.maximum(y[EFF:], 0.0)
    stages = eff.size
    effectors = float(eff.sum())
    b_cells = pre + mat
    cd19 = bp + b_cells  # CD19+ residents: what a CAR T-cell kills or buds on
    empty = max(n - bp - bn - b_cells, 0.0)
    mobile = effectors + mem + exh  # no native T-cells in the check scenario
    dy = np.zeros_like(y)

    # LeukaemicBlast.divide: it divides if one of its 8 candidate sites (8 of the n - 1
    # sites other than its own) is empty; the daughter of a CD19+ blast loses CD19 with
    # cd19_loss_prob. LeukaemicBlast: booked death.
    divides = rates.blast_division * (1.0 - none_of_eight(empty, n - 1))
    dy[BP] = divides * bp * (1.0 - rates.cd19_loss) - rates.blast_death * bp
    dy[BN] = divides * (bn + rates.cd19_loss * bp) - rates.blast_death * bn

    # HealthyBCell.replenish: production_per_day, a Poisson number a step at random empty
    # sites (fewer if fewer are empty); HealthyBCell.mature; booked death of mature cells.
    production = b_cell_production(rates, pre, b_cells)
    per_step = production * rates.dt_days
    placed = production * min(1.0, empty / per_step) if per_step > 0 else 0.0
    dy[PRE] = placed - rates.b_maturation * pre
    dy[MAT] = rates.b_maturation * pre - rates.b_death * mat

    # CarTCell.interact (effector): next to >= 1 CD19+ cell (chance 1 - none_of_eight) it
    # strikes with the kill chance, on a CD19+ neighbour chosen at random (a blast, a
    # precursor or a mature B-cell in proportion to their numbers).
    contact = 1.0 - none_of_eight(cd19, n)
    kills = rates.kill * contact * effectors
    if cd19 > 0:
        dy[BP] -= kills * bp / cd19
        dy[PRE] -= kills * pre / cd19
        dy[MAT] -= kills * mat / cd19
    # CarTCell.kill -> TCell.divide (a free mobile neighbour among 8 of the other n - 1
    # sites, n - mobile of which are free) -> make_daughter: memory with memory_fraction, else an
    # effector with the mother's engaged hours (same stage); CarTModel.fates
    # (effectors, during the boost) divide the same way.
    room = 1.0 - none_of_eight(max(n - mobile, 0.0), n - 1)
    per_effector = rates.kill * contact * rates.division_per_kill
    if boost:
        per_effector += rates.homeostatic_division
    births = per_effector * room * eff
    dy[EFF:] = births * (1.0 - rates.memory_fraction)
    dy[MEM] = rates.memory_fraction * float(births.sum())
    # CarTCell.bud: a memory cell next to a CD19+ cell buds a fresh effector (engaged 0 h)
    # into a free neighbour; it stays a memory cell.
    dy[EFF] += rates.budding * contact * room * mem
    # Exhaustion (CarTCell.interact): an effector gains (CD19+ neighbours / 8) engaged hours
    # an hour, on average cd19 / n, and is exhausted at exhaustion_engaged_hours. The
    # threshold is a chain of `stages` steps (an Erlang time: the agents' own spread of
    # the engaged time at the threshold is small, see check_stages).
    progress = stages * rates.hours_per_day * (cd19 / n) / rates.exhaustion_hours
    flow = progress * eff
    dy[EFF:] -= flow
    dy[EFF + 1 :] += flow[:-1]
    dy[EXH] = flow[-1]
    # CarTCell.death_probability_of: contraction, memory and exhaustion deaths.
    dy[EFF:] -= rates.effector_death * eff
    dy[MEM] -= rates.memory_death * mem
    dy[EXH] -= rates.exhausted_death * exh
    residual(dy, rates, effectors, rp, rn)
    exchange(dy, rates, bp, bn)
    return dy


def residual(dy: np.ndarray, rates: MeanFieldRates, effectors: float, rp: float, rn: float) -> None:
    """The residual compartment (sim.residual.ResidualDisease.step), written from its
    docstring: per step each agent equivalent grows by ``1 + p_div x room`` (room: not all
    8 neighbours taken at its occupancy), survives ``1 - p_death``, a CD19+ one survives
    the grid's effectors ``(1 - e x p_kill)^8``; seeding moves ``p_seed`` of it a step onto
    the grid. As rates: the logarithms of these per-step factors over the step length."""
    if rp + rn <= 0.0 or rates.residual_capacity <= 0.0:
        return
    dt = rates.dt_days
    room = 1.0 - min(1.0, (rp + rn) / rates.residual_capacity) ** NEIGHBOURS
    p_divide = rates.blast_division * dt * room
    survive = -rates.blast_death  # log of the per-step survival, per day
    negative_growth = math.log1p(p_divide) / dt + survive
    positive_growth = math.log1p(p_divide * (1.0 - rates.cd19_loss)) / dt + survive
    killed = NEIGHBOURS * math.log1p(-min(1.0, effectors / rates.sites * rates.kill * dt)) / dt
    dy[RP] += rp * (positive_growth + killed - rates.residual_seeding)
    dy[RN] += rn * (negative_growth - rates.residual_seeding) + rp * p_divide * rates.cd19_loss / dt
    dy[BP] += rates.residual_seeding * rp
    dy[BN] += rates.residual_seeding * rn


def exchange(dy: np.ndarray, rates: MeanFieldRates, bp: float, bn: float) -> None:
    """ResidualDisease._egress (``residual.two_way_exchange``): grid blasts leave for the
    compartment at ``residual_egress`` each, keeping their phenotype."""
    for grid, compartment, blasts in ((BP, RP, bp), (BN, RN, bn)):
        dy[grid] -= rates.residual_egress * blasts
        dy[compartment] += rates.residual_egress * blasts


def check_stages(scenario: Scenario, engaged_share: float = 0.3) -> int:
    """Stages of the exhaustion chain whose spread (1 / sqrt(stages)) matches the agents'.

    An effector gains k/8 engaged hours an hour, k ~ Binomial(8, c): at the threshold X the
    relative spread of the time taken is about sqrt((1 - c) / (8 X)) (hours per step 1).
    """
    hours = scenario.car_t.exhaustion_engaged_hours
    per_step = scenario.time.hours_per_step
    variance = (1.0 - engaged_share) * per_step / (NEIGHBOURS * hours)
    return max(1, min(2000, round(1.0 / variance)))


def solve_mean_field(
    scenario: Scenario,
    days: int,
    seed: int = 1,
    rates: MeanFieldRates | None = None,
    stages: int | None = None,
) -> pd.DataFrame:
    """The ODE's counts at the end of each day 0..days, as the daily table of a run.

    Args:
        scenario: the check scenario (:func:`check_scenario`); its run with ``seed`` gives
            the patient and the therapy plan (both fixed in a check scenario).
        days: days to solve.
        rates: the rates (default: the scenario's; pass ``rates.scaled(...)`` to test).
        stages: steps of the exhaustion chain (default :func:`check_stages`).
    """
    scenario, _ = effective_scenario(scenario, seed)
    rates = rates or MeanFieldRates.from_scenario(scenario)
    stages = stages or check_stages(scenario)
    plan = plan_therapy(scenario.therapy, scenario.lymphodepletion, np.random.default_rng(seed))
    n = rates.sites
    y = np.zeros(EFF + stages)
    leukaemia, b = scenario.leukaemia, scenario.b_cells
    blasts = round(leukaemia.initial_blast_fraction * n)
    negative = round(leukaemia.initial_cd19_negative_fraction * blasts)
    y[BP], y[BN] = blasts - negative, negative
    if scenario.residual.enabled:  # ResidualDisease.start (no rare variants in a check)
        y[RP] = scenario.residual.outside_grid_multiple * y[BP]
        y[RN] = scenario.residual.outside_grid_multiple * y[BN]
    b_cells = min(round(b.target_fraction * n), n - blasts)
    y[PRE] = b_cells * b.maturation_days / (b.maturation_days + b.lifespan_days)
    y[MAT] = b_cells - y[PRE]
    ld, therapy = scenario.lymphodepletion, scenario.therapy
    boost_end = -math.inf
    if plan.lymphodepletion_days:
        boost_end = plan.lymphodepletion_days[-1] + 1 + scenario.car_t.homeostatic_boost_days
    dose = scenario.car_t.dose_cells
    rows = [_row(0, y)]
    for day in range(days):
        # Therapy.start_of_day: the day's events before its first step
        if day in plan.bridging_days:
            y[[BP, BN, RP, RN]] *= 1.0 - therapy.bridging_blast_kill_fraction
        if day in plan.lymphodepletion_days:
            doses = len(plan.lymphodepletion_days)
            y[PRE:MEM] *= 1.0 - per_dose(ld.b_cell_kill_fraction, doses)
            y[[BP, BN, RP, RN]] *= 1.0 - per_dose(ld.blast_kill_fraction, doses)
        if day == plan.infusion_day:
            y[EFF] += min(dose, n - float(y[MEM] + y[EXH] + y[EFF:].sum()))
        breaks = [day, day + 1.0]
        if day < boost_end < day + 1:
            breaks.insert(1, boost_end)
        for start, end in itertools.pairwise(breaks):
            boost = end <= boost_end + 1e-9
            solution = solve_ivp(
                lambda _t, state, boost=boost: derivatives(state, rates, boost),
                (start, end),
                y,
                method="RK45",
                rtol=1e-6,
                atol=1e-6,
            )
            y = solution.y[:, -1]
        rows.append(_row(day + 1, y))
    return pd.DataFrame(rows)


def _row(day: int, y: np.ndarray) -> dict[str, Any]:
    effectors = float(y[EFF:].sum())
    return {
        "day": day,
        "blasts": float(y[BP] + y[BN]),
        "blasts_cd19_negative": float(y[BN]),
        "b_cells": float(y[PRE] + y[MAT]),
        "car_t": float(effectors + y[MEM] + y[EXH]),
        "car_t_effector": effectors,
        "car_t_memory": float(y[MEM]),
        "car_t_exhausted": float(y[EXH]),
        "residual": float(y[RP] + y[RN]),
    }
