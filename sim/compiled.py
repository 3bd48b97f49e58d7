"""The compiled engine: the step's array work done by the numba kernels of
:mod:`sim.kernels`, fed the same tables and random draws as the reference engine.

Imported only by :func:`sim.engine.make_engine` for ``engine="compiled"``, which makes
an :class:`sim.engine.Engine` of :func:`has_contact`, :data:`step_fields`,
:func:`encounters`, :func:`draw_empty_sites` and :func:`walk_and_screen`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from agents import (
    car_t_cell_kernels,
    microenvironment,
    native_t_cell_kernels,
)
from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import (
    BLASTS,
    CAR_T_KINDS,
    CD19_POSITIVE_RESIDENTS,
    DONOR_CAR_T_KINDS,
    MobileKind,
    ResidentKind,
)
from agents.leukaemic_blast import LeukaemicBlast
from agents.python_random import KernelRandom, python_state
from sim import (
    kernel_fates,
    kernel_fields,
    kernels,
)
from sim.contacts import N_MOBILE, N_RESIDENT, ContactScreen
from sim.events import KILL_EVENT, CellEvent
from sim.kernel_cache import drop_stale_kernel_caches
from sim.kernel_generator import held
from sim.residents import Residents
from sim.t_cell_agents import make_car_t_daughters
from sim.unmade_residents import UnmadeResidents

drop_stale_kernel_caches()  # before any kernel is called (numba loads caches then)

if TYPE_CHECKING:
    from sim.model import CarTModel
    from sim.tissue import Tissue

NO_EDGE = np.ones((1, 8), dtype=bool)  # a torus: every direction is on the grid


def has_contact(
    screen: ContactScreen, tissue: Tissue, sites: np.ndarray, kinds: np.ndarray
) -> np.ndarray:
    """:meth:`sim.contacts.ContactScreen.has_contact`, cell by cell in a kernel."""
    on_grid = tissue.neighbour_on_grid
    return kernels.has_contact(
        tissue.neighbours,
        NO_EDGE if on_grid is None else on_grid,
        on_grid is not None,
        tissue.resident_kind,
        tissue.mobile_kind,
        tissue.antigen,
        screen.table,
        screen.antigen_threshold,
        screen.any_antigen_trigger and tissue.fields_active,
        sites,
        kinds,
        N_MOBILE,
    )


def walk_and_screen(model: CarTModel, rows: np.ndarray) -> np.ndarray:
    """:meth:`sim.model.CarTModel.walk_and_screen` in one kernel call
    (:func:`sim.kernels.walk_and_screen`): the moves, the walk, the turn order and the
    contact screen, the same draws from the model's ``rng``. The well-mixed limit (a
    model check, no walk) runs the reference's code."""
    tissue = model.tissue
    if tissue.well_mixed:
        return model.walk_and_screen(rows)
    screen = model.contact_screen
    if not model.screen_contacts:
        screening = 0
    elif screen.nobody_can_act(model.census, tissue.fields_active):  # the walk changes neither
        screening = 1
    else:
        screening = 2
    on_grid = tissue.neighbour_on_grid
    return kernels.walk_and_screen(
        rows, tissue.t_cells.kind, model.moves_per_step, model.chemotaxis_bias,
        microenvironment.exclusion_chance(model), held(model.rng), tissue.neighbours,
        NO_EDGE if on_grid is None else on_grid, on_grid is not None, tissue.mobile_kind,
        tissue.mobile_row, tissue.resident_kind, tissue.antigen, tissue.t_cells.site,
        IS_TUMOUR, screening, screen.table, screen.antigen_threshold,
        screen.any_antigen_trigger and tissue.fields_active, N_MOBILE,
    )  # fmt: skip


def fates(model: CarTModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`sim.model.CarTModel.fates` in one kernel call
    (:func:`sim.kernel_fates.fates`): the same draws from the model's ``rng``."""
    return kernel_fates.fates(
        rows, model.tissue.t_cells.kind, model.divides_homeostatically,
        model.homeostatic_boost_on(), model.chances.car_t_homeostatic_division,
        model.death_chances(), held(model.rng),
    )  # fmt: skip


def draw_empty_sites(
    kind_layer: np.ndarray, count: int, rng: np.random.Generator
) -> np.ndarray | None:
    """:func:`sim.tissue.draw_empty_sites` and, where it finds too few, the listing of
    every empty site that :meth:`sim.tissue.Tissue.random_empty_sites` falls back on, in
    one kernel call (:func:`sim.kernels.random_empty_sites`): the same draws from
    ``rng``. Never None: the kernel has fallen back itself."""
    return kernels.random_empty_sites(kind_layer, count, held(rng))


step_fields = kernel_fields.step_fields
"""A step of both fields in place: :func:`sim.geometry.step_fields` in a kernel."""


def residents_for(model: CarTModel) -> Residents:
    """The compiled engine's residents: :class:`sim.unmade_residents.UnmadeResidents`,
    except with ``leukaemia.division_pushes`` (a lymphoma's mass,
    :mod:`agents.mass_growth`), whose pushes move residents from site to site, which the
    heap's events (keyed by site) do not follow: there every resident is an agent from
    birth, as on the reference."""
    if model.parameters.leukaemia.division_pushes:
        return Residents(model)
    return UnmadeResidents(model)


def adopt_random(model: CarTModel) -> None:
    """The model's Python generator once it is set up: a
    :class:`agents.python_random.KernelRandom` over it, so the kernels that draw from it
    (the due events, the encounters, the blasts' placement) and the rules run in Python
    share one copy of its state as arrays, kept from step to step. In the well-mixed
    limit (a model check) the tissue draws from the generator itself
    (``Tissue.empty_resident_neighbours``), so it stays as it is and each kernel copies
    the state in and out."""
    if not model.tissue.well_mixed and not isinstance(model.random, KernelRandom):
        model.random = KernelRandom(model.random)  # type: ignore[assignment]


# --- the encounters -------------------------------------------------------------------

ACTION = np.full(N_MOBILE, kernels.RUN_IN_PYTHON, dtype=np.int64)
"""By mobile kind: which kernel settles its quiet rule calls (the others run in Python)."""
ACTION[MobileKind.NATIVE_NAIVE] = kernels.NAIVE_LEARNS
ACTION[MobileKind.NATIVE_TAUGHT] = kernels.TAUGHT_KILLS
ACTION[sorted(CAR_T_KINDS)] = kernels.CAR_T_INTERACTS
CAR_T_STATE = np.zeros(N_MOBILE, dtype=np.int64)
"""By mobile kind: the CAR T-cell's state, as :mod:`agents.car_t_cell_kernels` codes."""
for _kind in CAR_T_KINDS:
    CAR_T_STATE[_kind] = ("effector", "memory", "exhausted").index(CarTCell.state_of(_kind))
KINDS_OF = np.zeros((5, max(N_MOBILE, N_RESIDENT)), dtype=bool)
"""Rows: blasts (by resident kind), CAR T-cells, donor CAR T-cells, taught cells (by
mobile kind), CD19-positive cells (by resident kind)."""
KINDS_OF[0, sorted(BLASTS)] = True
KINDS_OF[1, sorted(CAR_T_KINDS)] = True
KINDS_OF[2, sorted(DONOR_CAR_T_KINDS)] = True
KINDS_OF[3, MobileKind.NATIVE_TAUGHT] = True
KINDS_OF[4, sorted(CD19_POSITIVE_RESIDENTS)] = True
LINE_KINDS = np.zeros((N_MOBILE, 3), dtype=np.int64)
"""By a CAR T-cell's mobile kind: the kinds of its effector and memory daughters (its
origin's), :meth:`agents.car_t_cell.CarTCell.make_daughter`, and its own once
exhausted."""
for _kind in CAR_T_KINDS:
    LINE_KINDS[_kind] = (
        (
            MobileKind.DONOR_CAR_T_EFFECTOR,
            MobileKind.DONOR_CAR_T_MEMORY,
            MobileKind.DONOR_CAR_T_EXHAUSTED,
        )
        if _kind in DONOR_CAR_T_KINDS
        else (MobileKind.CAR_T_EFFECTOR, MobileKind.CAR_T_MEMORY, MobileKind.CAR_T_EXHAUSTED)
    )
KILLERS = {
    car_t_cell_kernels.CAR_T_KILLER: "car_t",
    native_t_cell_kernels.TAUGHT_KILLER: "taught",
}
"""By the code a kernel logs a kill with: the killer, as ``model.record_kill`` names it."""
KILL_EVENT_BY_CODE = {code: KILL_EVENT[killer] for code, killer in KILLERS.items()}
"""By the code a kernel logs a kill with: the kind of its :class:`sim.events.CellEvent`."""
CAR_T = KINDS_OF[1, :N_MOBILE].copy()
IS_TUMOUR = KINDS_OF[0, :N_RESIDENT].copy()
"""By resident kind: a tumour cell, the sites dense tumour keeps T-cells out of
(:data:`sim.movement.TUMOUR_CODES`, :data:`agents.kinds.BLASTS`)."""


_RULES: dict[tuple[int, int, bool], tuple[object, object, np.ndarray, np.ndarray]] = {}
"""The rule arrays by the ids of the parameters and chances they were read from (kept
alive beside them, so an id is not reused) and whether rejection is possible."""


def rule_arrays(model: CarTModel) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_native_rule` and :func:`_car_t_rule`, read again only when what they read
    changes: the model's ``parameters`` or ``chances`` (replaced, never changed in place:
    :meth:`sim.model.CarTModel.set_teaching`) or whether rejection is possible."""
    parameters, chances, rejection = model.parameters, model.chances, model.rejection_possible
    key = (id(parameters), id(chances), rejection)
    known = _RULES.get(key)
    if known is None:
        if len(_RULES) >= 16:
            _RULES.clear()
        known = _RULES[key] = (parameters, chances, _native_rule(model), _car_t_rule(model))
    return known[2], known[3]


def _native_rule(model: CarTModel) -> np.ndarray:
    """The numbers the native T-cell's kernels read, from the model now."""
    chances, teaching = model.chances, model.parameters.teaching
    native_t = model.parameters.native_t
    return np.array(
        [
            chances.taught_kill,
            float(teaching.enabled),
            teaching.fresh_debris_threshold,
            float(model.recent_kill_steps),
            chances.teaching,
            chances.secondary_teaching,
            float(model.rejection_possible),
            chances.rejection,
            native_t.taught_division_prob_per_kill,
            native_t.taught_cytokine_per_kill,
            model.parameters.car_t.antigen_per_kill,
        ]
    )


def _car_t_rule(model: CarTModel) -> np.ndarray:
    """The numbers the CAR T-cell's kernel reads, from the model now."""
    car_t = model.parameters.car_t
    tumour = model.parameters.microenvironment
    limit = car_t.memory_exhaustion_engaged_hours
    replicative = car_t.replicative_limit
    return np.array(
        [
            model.hours_per_step,
            model.chances.car_t_kill,
            float(car_t.budding_min_cd19_neighbours),
            model.chances.car_t_memory_budding,
            np.inf if limit is None else float(limit),
            car_t.exhaustion_engaged_hours,
            np.inf if replicative is None else float(replicative),
            microenvironment.hostility(model),
            tumour.kill_suppression,
            tumour.exhaustion_gain,
            car_t.cytokine_per_engaged_hour,
            model.chances.car_t_division_per_kill,
            car_t.cytokine_per_kill,
            car_t.antigen_per_kill,
            car_t.memory_fraction,
            *_inflammation_when_killed(model),
        ]
    )


def _inflammation_when_killed(model: CarTModel) -> list[float]:
    """By resident kind, the share of ``cytokine_per_kill`` a kill releases: the class's
    own ``inflammation_when_killed``, asked as :class:`sim.unmade_victims.UnmadeVictim`
    asks it (the kernels' kills are of residents without agents)."""
    shares = []
    for kind in range(len(ResidentKind)):
        cls = HealthyBCell if kind == ResidentKind.B_CELL else LeukaemicBlast
        victim = SimpleNamespace(model=model, kind=kind, site=-1)
        shares.append(float(cls.inflammation_when_killed(victim)))  # type: ignore[arg-type]
    return shares


def encounters(model: CarTModel, ordered: np.ndarray) -> None:
    """:func:`sim.engine.reference_encounters`, with the quiet calls of the rules that
    have kernels settled in numba; every other call runs the readable rule in Python.

    The kernels and the rules run in Python both draw from the generator's state held
    in arrays (:func:`agents.python_random.python_state`: the model's copy, see
    :func:`adopt_random`), so the run is the reference run.
    """
    if ordered.size == 0:
        return
    tissue = model.tissue
    table = tissue.t_cells
    cells = table.cells
    table.fresh[:] = False  # no T-cell has changed in these encounters yet
    on_grid = tissue.neighbour_on_grid
    edges = NO_EDGE if on_grid is None else on_grid
    native_rule, car_t_rule = rule_arrays(model)
    released_site = np.empty(2 * ordered.size, dtype=np.int64)  # at most two per call
    released_amount = np.empty((2 * ordered.size, 2))  # cytokine, antigen
    killed = np.empty((ordered.size, 3), dtype=np.int64)  # site, kind, killer: one per call
    born = np.empty((ordered.size, 2), dtype=np.int64)  # mother's, daughter's rows: at most one
    exhausted = np.empty(ordered.size, dtype=np.int64)  # rows of cells that tired: at most one
    counts = np.zeros(4, dtype=np.int64)  # releases, kills, daughters, tired cells logged
    with python_state(model) as mirror:
        index = 0
        while index < ordered.size:
            index = kernels.settle_encounters(
                ordered, index, ordered.size, model.step_count, ACTION, CAR_T_STATE,
                table.kind, table.site, table.fresh, table.last_kill, table.engaged,
                table.generation, table.kills, table.stimulations, table.free_rows,
                table.free_count, tissue.neighbours, edges, on_grid is not None,
                tissue.resident_kind, tissue.resident_serial, tissue.resident_has_agent,
                tissue.mobile_kind, tissue.mobile_row, tissue.antigen, KINDS_OF, native_rule,
                car_t_rule, LINE_KINDS, released_site, released_amount, killed, born,
                exhausted, counts, mirror.mt, mirror.cursor, mirror.backup,
            )  # fmt: skip
            _record_kills(model, killed, counts)
            make_daughters(model, born, counts)
            _tire(model, exhausted, counts)
            _release(tissue, released_site, released_amount, counts)
            if index >= ordered.size:
                break
            cells[ordered[index]].interact()  # type: ignore[union-attr]  # in Python
            index += 1


def _release(tissue: Tissue, sites: np.ndarray, amounts: np.ndarray, counts: np.ndarray) -> None:
    """Release what the kernels logged (engaged effectors' secretions, as
    :meth:`agents.car_t_cell.CarTCell.signal` does, and their kills', as
    :meth:`agents.car_t_cell.CarTCell.kill` does: cytokine and antigen units), in call
    order, and empty the log."""
    logged = int(counts[0])
    if logged:
        tissue.releases.add_many(sites[:logged], amounts[:logged, 0], amounts[:logged, 1])
        counts[0] = 0


def make_daughters(model: CarTModel, born: np.ndarray, counts: np.ndarray) -> None:
    """The Mesa agents of the daughters the kernel made as rows of the T-cell table
    (:func:`agents.car_t_cell_division_kernels.divide_after_kill`), in call order, before
    any rule runs in Python: each bound to its row as :meth:`CarTCell.bound_to` binds
    it, with its mother's origin and TCR, as :meth:`agents.car_t_cell.CarTCell.make_daughter`
    makes it (``unique_id``, ``agents_by_type``, the census), in one loop
    (:func:`sim.t_cell_agents.make_car_t_daughters`); then empty the log."""
    logged = int(counts[2])
    if not logged:
        return
    make_car_t_daughters(model, born[:logged].tolist())
    counts[2] = 0


def _tire(model: CarTModel, exhausted: np.ndarray, counts: np.ndarray) -> None:
    """The CAR T-cells the kernel found tired (:func:`agents.car_t_cell_division_kernels.tire`:
    their kind in the table and the mobile layer already exhausted), in call order:
    :meth:`agents.cell.TCell.change_kind` to that kind (the census, the agent's kind and
    phase; the layer and table written again, to the same values); then empty the log."""
    logged = int(counts[3])
    if not logged:
        return
    cells, kinds = model.tissue.t_cells.cells, model.tissue.t_cells.kind
    for row in exhausted[:logged].tolist():
        cells[row].change_kind(int(kinds[row]))  # type: ignore[union-attr]
    counts[3] = 0


def _record_kills(model: CarTModel, killed: np.ndarray, counts: np.ndarray) -> None:
    """The kills of residents without agents the kernel settled
    (:func:`agents.car_t_cell_kernels.kill_unmade`,
    :func:`agents.native_t_cell_kernels.settle_kill_blast`), in call order: what
    :meth:`agents.car_t_cell.CarTCell.kill` and
    :meth:`agents.native_t_cell.NativeTCell.kill_blast` leave to ``model.record_kill``
    (the census's kill counts by killer, the event) and to the victim's death
    (:meth:`sim.unmade_residents.UnmadeResidents.remove_unmade`: the census, a precursor's
    count, the site's entry in ``tissue.residents``; the kernel emptied its layer and
    serial); then empty the log."""
    logged = int(counts[1])
    if not logged:
        return
    census, step = model.census, model.step_count
    count_kill, resident = census.count_kill, census.resident
    cells = model.tissue.residents
    kills = killed[:logged].tolist()
    model.recent_events.extend(
        [CellEvent(step, KILL_EVENT_BY_CODE[code], site) for site, _, code in kills]
    )
    for site, kind, code in kills:
        count_kill(kind, KILLERS[code])
        resident[kind] -= 1
        cells[site] = None
        if kind == ResidentKind.B_CELL and model.residents.precursor[site]:  # type: ignore[attr-defined]
            census.b_cell_precursors -= 1
    counts[1] = 0
