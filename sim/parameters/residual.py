"""The leukaemia beyond the patch: the ``[residual]`` table (see :mod:`sim.residual`)."""

from __future__ import annotations

from sim.parameters.base import Section, parameter


class ResidualParameters(Section):
    """The residual compartment: the rest of the marrow and sanctuary sites, mean-field.

    Sizes are in *agent equivalents* (one blast agent on the grid stands for
    ``cells_in_full_grid`` / sites leukaemic cells), so the compartment and the grid share a unit.
    """

    enabled: bool = parameter(
        True,
        description="keep a residual compartment of leukaemia beyond the grid",
        source="model scale: a patch of 10^4 sites cannot hold a patient's leukaemia "
        "(docs/model.md, Leukaemia beyond the patch)",
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
        1.0e-3,
        ge=0.0,
        le=1.0,
        description="share of the compartment in sanctuary sites CAR T-cells do not reach",
        source="assumption: in a patient with occult sanctuary disease "
        "(patient.sanctuary_disease_probability) about 10^8-10^9 cells, below the 10^10 "
        "of overt CNS disease; CAR T-cells reach the CNS poorly (docs/model.md)",
    )
    sanctuary_room_fraction: float = parameter(
        0.01,
        ge=0.0,
        le=1.0,
        description="room of the sanctuary sites, as a share of the compartment's room",
        source="assumption: the leptomeninges and testes hold about 10^10 leukaemic cells in "
        "overt disease, 1% of a full marrow's 10^12 (docs/model.md)",
    )
    sanctuary_egress_rate_per_day: float = parameter(
        0.01,
        ge=0.0,
        le=10.0,
        description="sanctuary cells leaving for the marrow per day, per cell",
        source="assumption: slower than the sanctuary's growth (net +6.9%/day), so a "
        "sanctuary is a reservoir; CNS disease reseeds the marrow (docs/model.md)",
    )
    seeding_rate_per_day: float = parameter(
        0.2,
        ge=0.0,
        le=10.0,
        description="blasts seeded onto the grid per day, per agent equivalent in the "
        "compartment (circulating blasts homing to the sampled marrow)",
        source="assumption: a blast stays about 5 days in the sampled patch (with the "
        "two-way exchange), so the patch follows the marrow (docs/validation.md, Relapse)",
    )
    two_way_exchange: bool = parameter(
        True,
        description="blasts also leave the grid for the compartment, at seeding_rate_per_day "
        "x outside_grid_multiple each (balancing seeding at equal density)",
        source="leukaemic cells circulate between marrow sites both ways (docs/model.md)",
    )
