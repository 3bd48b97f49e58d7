"""Running counts of the model, kept up to date by the cells themselves as they change."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.kinds import CAR_T_KINDS, MobileKind, ResidentKind


@dataclass
class Census:
    """Cells by kind in each layer, and the kills and teachings so far."""

    resident: list[int] = field(default_factory=lambda: [0] * len(ResidentKind))
    mobile: list[int] = field(default_factory=lambda: [0] * len(MobileKind))
    tcr_intact_donor_cells: int = 0
    b_cell_precursors: int = 0
    kills_by_car_t: int = 0
    kills_by_taught: int = 0
    b_cells_killed_by_car_t: int = 0
    cd19_negative_blasts_killed: int = 0
    rejection_kills: int = 0
    teaching_events: int = 0

    @property
    def blasts(self) -> int:
        """Blasts of either CD19 status."""
        return (
            self.resident[ResidentKind.BLAST_CD19_POSITIVE]
            + self.resident[ResidentKind.BLAST_CD19_NEGATIVE]
        )

    @property
    def car_t(self) -> int:
        """CAR T-cells of every state and origin."""
        return sum(self.mobile[kind] for kind in CAR_T_KINDS)

    def count_kill(self, target_kind: int, killer: str) -> None:
        """A kill of a cell of ``target_kind`` by ``killer`` (``car_t``, ``taught`` or
        ``alloreactive``)."""
        if killer == "alloreactive":
            self.rejection_kills += 1
            return
        if killer == "car_t":
            self.kills_by_car_t += 1
            if target_kind == ResidentKind.B_CELL:
                self.b_cells_killed_by_car_t += 1
        else:
            self.kills_by_taught += 1
        if target_kind == ResidentKind.BLAST_CD19_NEGATIVE:
            self.cd19_negative_blasts_killed += 1
