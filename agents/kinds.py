"""The codes written into the two occupancy layers, one small integer per kind of cell.

The layers are numpy arrays, so that whole-grid questions (how many blasts, which
T-cells have a target next to them, the colour of every site) are array operations.
"""

from enum import IntEnum


class ResidentKind(IntEnum):
    """What sits in the resident layer of a site."""

    EMPTY = 0
    BLAST_CD19_POSITIVE = 1
    BLAST_CD19_NEGATIVE = 2
    B_CELL = 3


class MobileKind(IntEnum):
    """What sits in the mobile (T-cell) layer of a site."""

    EMPTY = 0
    CAR_T_EFFECTOR = 1
    CAR_T_MEMORY = 2
    CAR_T_EXHAUSTED = 3
    DONOR_CAR_T_EFFECTOR = 4
    DONOR_CAR_T_MEMORY = 5
    DONOR_CAR_T_EXHAUSTED = 6
    NATIVE_NAIVE = 7
    NATIVE_TAUGHT = 8
    NATIVE_ALLOREACTIVE = 9


# Sets of plain ints, for fast membership tests in the agents' rules.
CD19_POSITIVE_RESIDENTS = frozenset({ResidentKind.BLAST_CD19_POSITIVE, ResidentKind.B_CELL})
BLASTS = frozenset({ResidentKind.BLAST_CD19_POSITIVE, ResidentKind.BLAST_CD19_NEGATIVE})
CAR_T_KINDS = frozenset(range(MobileKind.CAR_T_EFFECTOR, MobileKind.DONOR_CAR_T_EXHAUSTED + 1))
DONOR_CAR_T_KINDS = frozenset(
    range(MobileKind.DONOR_CAR_T_EFFECTOR, MobileKind.DONOR_CAR_T_EXHAUSTED + 1)
)
