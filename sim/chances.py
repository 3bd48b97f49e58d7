"""Every rate of a scenario as a chance per step of the model."""

from __future__ import annotations

from dataclasses import dataclass

from sim.parameters import (
    Scenario,
    half_life_to_rate_per_day,
    hourly_to_step_probability,
    step_probability,
)


@dataclass(frozen=True)
class StepChances:
    """Every per-day rate and per-hour chance of the scenario, as a chance per step."""

    blast_division: float
    blast_death: float
    b_cell_death: float
    b_cell_maturation: float
    car_t_kill: float
    car_t_division_per_kill: float
    car_t_effector_death: float
    car_t_memory_death: float
    car_t_memory_budding: float
    car_t_exhausted_death: float
    car_t_homeostatic_division: float
    alemtuzumab_car_t_death: float
    alemtuzumab_native_t_death: float
    taught_kill: float
    taught_death: float
    teaching: float
    secondary_teaching: float
    rejection: float
    rejection_kill: float
    alloreactive_death: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StepChances:
        """Convert with p = 1 - exp(-rate x dt) (and 1 - (1 - p_hour)^hours)."""
        hours = scenario.time.hours_per_step
        car_t = scenario.car_t
        native = scenario.native_t
        fitness = scenario.therapy.product_fitness
        tme = scenario.microenvironment
        # The patient's myeloid suppression of expansion (agents/microenvironment.py; off by
        # default): 1.0 exactly in marrow (hostility 0) or with expansion_suppression 0.
        systemic = 1.0 - tme.expansion_suppression * tme.hostility

        def per_step(rate_per_day: float) -> float:
            return step_probability(rate_per_day, hours)

        def from_half_life(days: float) -> float:
            return per_step(half_life_to_rate_per_day(days))

        return cls(
            blast_division=per_step(scenario.leukaemia.division_rate_per_day),
            blast_death=per_step(scenario.leukaemia.death_rate_per_day),
            b_cell_death=per_step(1.0 / scenario.b_cells.lifespan_days),
            b_cell_maturation=per_step(1.0 / scenario.b_cells.maturation_days),
            car_t_kill=per_step(car_t.kill_rate_per_day * fitness),
            car_t_division_per_kill=min(1.0, car_t.division_prob_per_kill * fitness * systemic),
            car_t_effector_death=from_half_life(car_t.effector_half_life_days),
            car_t_memory_death=from_half_life(car_t.memory_half_life_days),
            car_t_memory_budding=per_step(car_t.memory_budding_rate_per_day * fitness),
            car_t_exhausted_death=from_half_life(car_t.exhausted_half_life_days),
            car_t_homeostatic_division=per_step(car_t.homeostatic_division_rate_per_day),
            alemtuzumab_car_t_death=per_step(
                scenario.lymphodepletion.alemtuzumab_car_t_death_rate_per_day
            ),
            alemtuzumab_native_t_death=per_step(
                scenario.lymphodepletion.alemtuzumab_native_t_death_rate_per_day
            ),
            taught_kill=per_step(native.taught_kill_rate_per_day),
            taught_death=from_half_life(native.taught_half_life_days),
            teaching=hourly_to_step_probability(scenario.teaching.prob_per_hour, hours),
            secondary_teaching=hourly_to_step_probability(
                scenario.teaching.secondary_prob_per_hour, hours
            ),
            rejection=hourly_to_step_probability(scenario.rejection.prob_per_hour, hours),
            rejection_kill=per_step(scenario.rejection.kill_rate_per_day),
            alloreactive_death=from_half_life(
                scenario.rejection.alloreactive_half_life_days or native.taught_half_life_days
            ),
        )
