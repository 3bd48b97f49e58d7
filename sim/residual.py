"""Leukaemia beyond the patch: a mean-field residual compartment beside the grid.

Biology. The grid is one patch of marrow, what an aspirate samples; a patient's
leukaemia also fills the rest of the marrow and sanctuary sites (the central nervous
system, the testes, protected niches). A marrow that is MRD-negative by flow cytometry
(< 10^-4) can still hold up to about 10^8 leukaemic cells, so "no blast on the grid" is
not "cured": CD19-positive relapse follows the loss of functional CAR T-cells (often
announced by B-cell recovery; Pulsipher et al. Blood Cancer Discov 2022; Mueller et al.
Clin Cancer Res 2018), and CD19-negative relapse grows from rare variants selected under
CAR pressure over months (Sotillo et al. Cancer Discov 2015; Orlando et al. Nat Med 2018).

Scale. Sizes are in *agent equivalents*: one blast agent stands for
``residual.cells_in_full_grid`` / sites leukaemic cells (10^8: some 10^12 cells at full
burden over the grid's 10^4 sites; a smaller grid's agent stands for more), so the
compartment can hold a fraction of an agent (a rare CD19-negative variant of 10^4 cells
is 10^-4 of an agent). At enrolment the compartment holds
``residual.outside_grid_multiple`` times the grid's blasts (so it follows the patient's
drawn burden) and has room for that multiple of the grid's sites; below one cell
(``1 / cells_per_agent``) a phenotype is extinct.

Rules, each step of ``time.hours_per_step`` hours, per CD19 phenotype:

- **growth at the blast rate**: each agent equivalent divides with the grid's chance per
  step (``leukaemia.division_rate_per_day``) when it has room (the chance that not all 8
  neighbours of a blast are taken, at the compartment's occupancy) and dies with the
  grid's chance (``leukaemia.death_rate_per_day``); as on the grid a daughter agent is
  CD19-negative with ``leukaemia.cd19_loss_prob``: a Poisson number of whole agents;
- **CAR T-cell killing measured on the grid**: a CD19-positive cell outside the sanctuary
  survives the step with chance ``(1 - e x p_kill)^8``, where ``e`` is the share of the
  grid's sites holding a functional (effector) CAR T-cell and ``p_kill`` an effector's
  kill chance per step: the chance it meets none of the killers a random marrow site
  would have around it. CD19-negative cells and sanctuary sites are not killed.
  That is right for scattered blasts (marrow), not for a lymphoma (``leukaemia.dense_mass``),
  whose other lesions are masses like the node's: there only the T-cells that have
  reached a mass's edge meet its cells, and the core waits its turn. So for a lymphoma a
  CD19-positive cell survives the step with the share of the grid's CD19-positive
  lymphoma cells that survived the CAR T-cells there (kills on the grid / its CD19-positive
  cells at the step's start): the node is the sample of how a mass responds, the other
  lesions respond alike (the microenvironment is then in the sample, not applied again).
  While the grid holds no CD19-positive cell the scattered rule applies (what is left is
  scattered cells). Without this the compartment, half a lymphoma's disease, was cleared
  within a week even where the node's mass barely shrank, and "half the disease gone"
  read as a partial response (docs/validation.md, T15);
- **the sanctuary** (the central nervous system, the testes: sites CAR T-cells reach
  poorly; ``sanctuary_fraction`` of the CD19-positive cells at enrolment) is a pool of its
  own with its own room (``sanctuary_room_fraction`` of the compartment's): it grows at
  the blast rate and meets chemotherapy, and its cells leave for the marrow (the
  reachable compartment) at ``sanctuary_egress_rate_per_day`` each (slower than it grows,
  or it would be no reservoir), where CAR T-cells meet them.
  So while CAR T-cells patrol, what the sanctuary sheds dies; once they are lost, it
  regrows the marrow: CD19-positive relapse follows the loss of CAR T-cells;
- **seeding**: circulating blasts home to the sampled marrow: a Poisson number with mean
  ``seeding_rate_per_day`` x size x step length of the marrow compartment lands on random
  free resident sites of the grid (and leaves the compartment);
- **chemotherapy** (bridging, lymphodepletion) kills the same share here as on the grid.

The deterministic parts are a mean field; the seeding and CD19-loss draws use the
model's seeded generator, so a run is repeatable bit for bit. With
``residual.enabled = false`` nothing here draws a random
number or changes a run.

With ``residual.two_way_exchange`` (on by default) blasts also leave the grid for the
compartment at the rate that balances seeding at equal density, so the patch follows
the rest of the marrow.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from agents import microenvironment
from agents.kinds import MobileKind, ResidentKind
from agents.surroundings import MOORE_NEIGHBOURS
from sim.parameters import step_probability

if TYPE_CHECKING:
    from sim.model import CarTModel

FUNCTIONAL_EFFECTORS = (MobileKind.CAR_T_EFFECTOR, MobileKind.DONOR_CAR_T_EFFECTOR)


class ResidualDisease:
    """The residual compartment of one run (sizes in agent equivalents).

    Attributes:
        enabled: the compartment exists (``residual.enabled``).
        cd19_positive, cd19_negative: its size by phenotype, agent equivalents (the
            CD19-positive cells CAR T-cells can reach; the CD19-negative ones anywhere).
        sanctuary: CD19-positive cells in sanctuary sites, out of CAR T-cells' reach.
        capacity: its room, agent equivalents.
        seeded: blasts it has seeded onto the grid so far.
        cells_per_agent: leukaemic cells one agent stands for on this grid.
    """

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        parameters = model.parameters.residual
        self.enabled = parameters.enabled
        self.cd19_positive = 0.0
        self.cd19_negative = 0.0
        self.sanctuary = 0.0
        self.seeded = 0
        self.capacity = parameters.outside_grid_multiple * model.tissue.n_sites
        self.sanctuary_capacity = parameters.sanctuary_room_fraction * self.capacity
        self.cells_per_agent = parameters.cells_in_full_grid / model.tissue.n_sites
        self.extinct_below = 1.0 / self.cells_per_agent
        self._seeding = step_probability(parameters.seeding_rate_per_day, model.hours_per_step)
        self._sanctuary_egress = step_probability(
            parameters.sanctuary_egress_rate_per_day, model.hours_per_step
        )
        self._egress_chance = step_probability(  # a grid blast's chance to leave, per step
            parameters.seeding_rate_per_day * parameters.outside_grid_multiple,
            model.hours_per_step,
        )
        self._grid_positive_before = 0  # the grid's CD19+ blasts at the last step's end
        self._car_t_blast_kills_before = 0

    def start(self) -> None:
        """Size at enrolment: ``outside_grid_multiple`` x the grid's blasts, with the grid's
        CD19-negative share or the patient's rare-variant frequency, whichever is larger."""
        if not self.enabled:
            return
        self._measure_grid()
        census = self.model.census
        blasts = census.blasts
        negative = census.resident[ResidentKind.BLAST_CD19_NEGATIVE]
        total = self.model.parameters.residual.outside_grid_multiple * blasts
        grid_share = negative / blasts if blasts else 0.0
        share = max(grid_share, self.model.patient.residual_cd19_negative_frequency)
        self.cd19_negative = total * share
        positive = total - self.cd19_negative
        self.sanctuary = positive * self.model.parameters.residual.sanctuary_fraction
        self.cd19_positive = positive - self.sanctuary
        self._extinction()

    @property
    def size(self) -> float:
        """Both phenotypes, agent equivalents."""
        return self.cd19_positive + self.sanctuary + self.cd19_negative

    @property
    def cells(self) -> float:
        """Both phenotypes, leukaemic cells."""
        return self.size * self.cells_per_agent

    def car_t_survival(self) -> float:
        """Chance a CD19-positive cell outside the sanctuary survives this step's CAR
        T-cells: ``(1 - e x p_kill)^8`` for scattered blasts, or the node's measured
        survival for lymphoma masses (see the module docstring)."""
        model = self.model
        if model.parameters.leukaemia.dense_mass:
            measured = self._mass_survival()
            if measured is not None:
                return measured
        effectors = sum(model.census.mobile[kind] for kind in FUNCTIONAL_EFFECTORS)
        density = effectors / model.tissue.n_sites
        # a lymphoma's other lesions are masses as hostile as the node's (surrounded by
        # tumour: suppression = hostility; agents.microenvironment); unchanged in marrow
        kill = microenvironment.kill_chance(
            model, model.chances.car_t_kill, microenvironment.hostility(model)
        )
        return (1.0 - density * kill) ** MOORE_NEIGHBOURS

    def _mass_survival(self) -> float | None:
        """A lymphoma's lesions are masses like the node's: the share of the grid's
        CD19-positive lymphoma cells that survived this step's CAR T-cells (None while the
        grid holds none, when the scattered-cell rule applies)."""
        before = self._grid_positive_before
        if before == 0:
            return None
        killed = self._car_t_blast_kills() - self._car_t_blast_kills_before
        return max(0.0, 1.0 - killed / before)

    def _car_t_blast_kills(self) -> int:
        """CD19-positive blasts (lymphoma cells) CAR T-cells have killed on the grid so far."""
        census = self.model.census
        return census.kills_by_car_t - census.b_cells_killed_by_car_t

    def start_measuring(self) -> None:
        """Measure the grid's kills from now on (as after a step)."""
        self._measure_grid()

    def _measure_grid(self) -> None:
        """Remember the grid's CD19-positive blasts and CAR T-cell kills at this step's end,
        against which the next step's kills are measured."""
        self._grid_positive_before = self.model.census.resident[ResidentKind.BLAST_CD19_POSITIVE]
        self._car_t_blast_kills_before = self._car_t_blast_kills()

    def step(self) -> None:
        """One step: growth and death, CAR T-cell killing, seeding onto the grid (and,
        with ``two_way_exchange``, blasts leaving it)."""
        if not self.enabled:
            return
        if self.size > 0.0:
            self._grow_and_meet_car_t()
            self._shed_from_sanctuary()
            self._seed()
        self._egress()
        self._extinction()
        self._measure_grid()

    def _grow_and_meet_car_t(self) -> None:
        """Growth and death at the blast rate, CD19 loss, killing by the grid's effectors."""
        model = self.model
        chances = model.chances
        occupancy = min(1.0, self.size / self.capacity) if self.capacity else 1.0
        divides = chances.blast_division * (1.0 - occupancy**MOORE_NEIGHBOURS)
        survives = 1.0 - chances.blast_death
        grows = (1.0 + divides) * survives
        self.cd19_positive *= grows * self.car_t_survival()  # in the CAR T-cells' reach
        self.cd19_negative *= grows
        self._lose_cd19(divides)
        self.sanctuary *= self._sanctuary_growth(survives)

    def _sanctuary_growth(self, survives: float) -> float:
        """The sanctuary's growth factor this step: the blast rate with its own room."""
        if self.sanctuary_capacity <= 0.0:
            return survives
        occupancy = min(1.0, self.sanctuary / self.sanctuary_capacity)
        divides = self.model.chances.blast_division * (1.0 - occupancy**MOORE_NEIGHBOURS)
        return (1.0 + divides) * survives

    def _shed_from_sanctuary(self) -> None:
        """Sanctuary cells leave for the marrow at ``sanctuary_egress_rate_per_day`` each
        (a mean field: the sanctuary holds no whole cells to draw)."""
        leaving = self.sanctuary * self._sanctuary_egress
        self.sanctuary -= leaving
        self.cd19_positive += leaving

    def _lose_cd19(self, divides: float) -> None:
        """CD19 loss as on the grid: a daughter agent is CD19-negative with
        ``leukaemia.cd19_loss_prob``; a Poisson number of such whole agents a step (a mean
        field here would let every patient breed CD19-negative cells)."""
        loss = self.model.parameters.leukaemia.cd19_loss_prob
        reachable = self.cd19_positive
        mean = (reachable + self.sanctuary) * divides * loss
        if mean <= 0.0:
            return
        events = int(self.model.rng.poisson(mean))
        if events == 0:
            return
        from_reachable = events * reachable / (reachable + self.sanctuary)
        self.cd19_positive = max(0.0, reachable - from_reachable)
        self.sanctuary = max(0.0, self.sanctuary - (events - from_reachable))
        self.cd19_negative += events

    def kill_share(self, share: float) -> None:
        """Chemotherapy: ``share`` of each phenotype dies (as on the grid)."""
        self.cd19_positive *= 1.0 - share
        self.sanctuary *= 1.0 - share
        self.cd19_negative *= 1.0 - share
        self._extinction()

    def _egress(self) -> None:
        """With ``residual.two_way_exchange``: blasts leave the grid for the compartment at
        ``seeding_rate_per_day`` x ``outside_grid_multiple`` each, the rate that balances
        seeding when the grid and the compartment hold the same density (a binomial
        number a step, chosen at random)."""
        model = self.model
        if not model.parameters.residual.two_way_exchange:
            return
        on_grid = model.census.blasts  # the blast agents, one per blast-holding site
        if on_grid == 0:
            return
        leaving = int(model.rng.binomial(on_grid, self._egress_chance))
        if leaving == 0:
            return
        for cd19_positive in model.residents.remove_random_blasts(leaving):
            if cd19_positive:
                self.cd19_positive += 1.0
            else:
                self.cd19_negative += 1.0

    def _seed(self) -> None:
        """Blasts home to the grid: a Poisson number per phenotype, onto free sites."""
        model = self.model
        for cd19_positive in (True, False):
            size = self.cd19_positive if cd19_positive else self.cd19_negative
            arrivals = int(model.rng.poisson(self._seeding * size))
            if arrivals == 0:
                continue
            arrivals = min(arrivals, math.ceil(size))  # never more than it holds
            placed = model.residents.seed_blasts(arrivals, cd19_positive)  # on free sites
            self.seeded += placed
            if cd19_positive:
                self.cd19_positive = max(0.0, self.cd19_positive - placed)
            else:
                self.cd19_negative = max(0.0, self.cd19_negative - placed)

    def _extinction(self) -> None:
        """A phenotype below one cell is gone."""
        if self.cd19_positive < self.extinct_below:
            self.cd19_positive = 0.0
        if self.sanctuary < self.extinct_below:
            self.sanctuary = 0.0
        if self.cd19_negative < self.extinct_below:
            self.cd19_negative = 0.0
