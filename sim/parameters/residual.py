"""The leukaemia beyond the patch: the ``[residual]`` table (see :mod:`sim.residual`)."""

from __future__ import annotations

from sim.parameters.base import Section, parameter

NOT_CALIBRATED = "not yet calibrated: off by default (docs/model.md, Leukaemia beyond the patch)"


class ResidualParameters(Section):
    """The residual compartment: the rest of the marrow and sanctuary sites, mean-field.

    Sizes are in *agent equivalents* (one blast agent on the grid stands for
    ``cells_in_full_grid`` / sites leukaemic cells), so the compartment and the grid share a unit.
    """

    enabled: bool = parameter(
        False,
        description="keep a residual compartment of leukaemia beyond the grid",
        source=NOT_CALIBRATED,
    )
    cells_in_full_grid: float = parameter(
        1.0e12,
        ge=1.0,
        le=1.0e14,
        description="leukaemic cells a grid full of blasts stands for; one agent stands for "
        "this / the grid's sites (1e8 on 100 x 100), and the compartment dies out below one cell",
        source="model scale: a patient's marrow full of leukaemia holds about 10^12 cells "
        "(docs/model.md, Leukaemia beyond the patch)",
    )
    outside_grid_multiple: float = parameter(
        1.0,
        ge=0.0,
        le=100.0,
        description="leukaemia outside the patch, as a multiple of the grid's blasts at "
        "enrolment (and its room, as a multiple of the grid's sites)",
        source="assumption: an aspirate samples one marrow site of several that hold "
        "leukaemia alike (docs/model.md)",
    )
    sanctuary_fraction: float = parameter(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of the compartment in sanctuary sites CAR T-cells do not reach",
        source="assumption: CNS and testis are protected sites; CNS-directed therapy "
        "keeps them small in trial patients (docs/model.md)",
    )
    seeding_rate_per_day: float = parameter(
        0.02,
        ge=0.0,
        le=10.0,
        description="blasts seeded onto the grid per day, per agent equivalent in the "
        "compartment (circulating blasts homing to the sampled marrow)",
        source=NOT_CALIBRATED,
    )
    two_way_exchange: bool = parameter(
        False,
        description="blasts also leave the grid for the compartment, at seeding_rate_per_day "
        "x outside_grid_multiple each (balancing seeding at equal density)",
        source=NOT_CALIBRATED,
    )
