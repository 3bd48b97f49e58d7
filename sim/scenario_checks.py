"""Rules across the tables of a scenario, checked once it is loaded (sim/loader.py).

Each table validates its own fields (:mod:`sim.parameters`); the rules here join keys of
different tables, so that nothing the user asked for is silently cut or dropped by the
run: a dose that cannot fit on the grid, bridging days that fall after the infusion or
outside the run. :func:`check_scenario_rules` returns the keys involved, so the loader can
name the file or ``--set`` that set the last of them.
"""

from __future__ import annotations

import math

from sim.parameters import Scenario

Problem = tuple[tuple[tuple[str, ...], ...], str]
"""``(keys involved, "key: what is wrong and what is allowed")``."""


def _dose_problem(scenario: Scenario) -> Problem | None:
    """The CAR T dose must fit where the cells enter (one cell per site of the T-cell layer)."""
    if scenario.therapy.arm == "none":
        return None
    width, height = scenario.grid.width, scenario.grid.height
    dose = scenario.car_t.dose_cells
    keys = (("car_t", "dose_cells"), ("grid", "width"), ("grid", "height"), ("therapy", "entry"))
    if scenario.therapy.entry == "border":
        room = 2 * (width + height) - 4
        where = f"the {room} border sites of a {width} x {height} grid (therapy.entry = border)"
    else:
        room = width * height
        where = f"the {room} sites of a {width} x {height} grid"
    if dose > room:
        return keys, (
            f"car_t.dose_cells: {dose} cells do not fit on {where}; give at most {room} "
            "(the infusion would silently place fewer)"
        )
    return None


def _bridging_problem(scenario: Scenario) -> Problem | None:
    """Bridging days: distinct, from day 0, and before the latest possible infusion.

    The timeline keeps only the bridging days before the infusion, so a day on or after
    the latest possible infusion could never happen (a run shorter than a bridging day
    simply ends first, like any run cut short with ``--days``).
    """
    therapy = scenario.therapy
    days = therapy.bridging_days
    if not days:
        return None
    keys = (
        ("therapy", "bridging_days"),
        ("therapy", "arm"),
        ("therapy", "manufacturing_max_days"),
        ("therapy", "donor_delay_days"),
    )
    if therapy.arm == "none":
        return keys, "therapy.bridging_days: the arm 'none' gives no bridging; leave it empty"
    if therapy.arm == "autologous":
        latest = max(1, math.ceil(therapy.manufacturing_max_days))
        before = f"the latest possible infusion (day {latest}, therapy.manufacturing_max_days)"
    else:
        latest = max(1, math.ceil(therapy.donor_delay_days))
        before = f"the infusion (day {latest}, therapy.donor_delay_days)"
    for day in days:
        if day < 0:
            return keys, f"therapy.bridging_days: day {day} is before enrolment (day 0)"
        if day >= latest:
            return keys, (
                f"therapy.bridging_days: day {day} is not before {before}; "
                f"allowed: 0 to {latest - 1}"
            )
    if len(set(days)) != len(days):
        return keys, "therapy.bridging_days: a day is given twice; give each day once"
    return None


def check_scenario_rules(scenario: Scenario) -> Problem | None:
    """The first rule across tables that ``scenario`` breaks, or None."""
    for rule in (_dose_problem, _bridging_problem):
        problem = rule(scenario)
        if problem is not None:
            return problem
    return None
