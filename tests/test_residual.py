"""The residual compartment (sim/residual.py) on tiny hand-built models: each rule fails
its test when it is removed."""

from __future__ import annotations

import pytest
from model_builders import empty_model, run_steps

from agents.car_t_cell import CarTCell
from agents.kinds import ResidentKind
from agents.leukaemic_blast import LeukaemicBlast

ON = "residual.enabled=true"
STILL = ("leukaemia.division_rate_per_day=0.0", "leukaemia.death_rate_per_day=0.0")
NO_SEEDING = "residual.seeding_rate_per_day=0.0"
ONE_WAY = "residual.two_way_exchange=false"


def test_the_compartment_seeds_blasts_onto_the_grid_in_proportion_to_its_size() -> None:
    seeded = []
    for size in (2.0, 8.0):
        model = empty_model([ON, ONE_WAY, *STILL, "residual.seeding_rate_per_day=1.0"])
        model.residual.cd19_positive = size
        run_steps(model, 12)
        seeded.append(model.census.resident[ResidentKind.BLAST_CD19_POSITIVE])
        assert model.residual.seeded == seeded[-1]
        assert model.residual.cd19_positive == pytest.approx(size - seeded[-1])
    assert 0 < seeded[0] < seeded[1]


def test_seeding_keeps_the_phenotype() -> None:
    model = empty_model([ON, *STILL, "residual.seeding_rate_per_day=5.0"])
    model.residual.cd19_negative = 5.0
    run_steps(model, 24)
    assert model.census.resident[ResidentKind.BLAST_CD19_NEGATIVE] > 0
    assert model.census.resident[ResidentKind.BLAST_CD19_POSITIVE] == 0


def test_switched_off_the_compartment_is_empty_and_seeds_nothing() -> None:
    model = empty_model(
        ["leukaemia.initial_blast_fraction=0.3", "grid.width=20", "residual.enabled=false"]
    )
    assert model.residual.size == 0.0
    run_steps(model, 48)
    assert model.residual.seeded == 0


def test_it_starts_at_the_set_multiple_of_the_grid_blasts() -> None:
    model = empty_model(
        [
            ON,
            "grid.width=20",
            "leukaemia.initial_blast_fraction=0.3",
            "residual.outside_grid_multiple=2.0",
        ]
    )
    assert model.residual.size == pytest.approx(2.0 * model.census.blasts)
    assert model.residual.capacity == pytest.approx(2.0 * model.tissue.n_sites)


def test_it_grows_at_the_blast_rate() -> None:
    model = empty_model([ON, NO_SEEDING, "residual.outside_grid_multiple=100.0"])
    model.residual.cd19_positive = 10.0
    run_steps(model, 24 * 5)
    chances = model.chances
    occupancy = 10.0 / model.residual.capacity  # stays tiny: room almost everywhere
    per_step = (1.0 + chances.blast_division * (1 - occupancy**8)) * (1 - chances.blast_death)
    assert model.residual.cd19_positive == pytest.approx(10.0 * per_step**120, rel=0.01)
    assert model.residual.cd19_positive > 10.0


def test_car_t_effectors_on_the_grid_kill_cd19_positive_cells_only_outside_the_sanctuary() -> None:
    sizes = {}
    for sanctuary in (0.0, 0.5):  # share of the CD19+ cells in sanctuary sites
        model = empty_model(
            [
                ON,
                *STILL,
                NO_SEEDING,
                "residual.sanctuary_egress_rate_per_day=0.0",
                "car_t.kill_rate_per_day=50.0",
                "car_t.effector_half_life_days=1000.0",
            ]
        )
        for site in range(0, 49, 2):
            CarTCell(model, site)
        model.residual.cd19_positive = 100.0 * (1.0 - sanctuary)
        model.residual.sanctuary = 100.0 * sanctuary
        model.residual.cd19_negative = 100.0
        run_steps(model, 24)
        sizes[sanctuary] = model.residual.cd19_positive + model.residual.sanctuary
        assert model.residual.cd19_negative == pytest.approx(100.0)  # CAR T-cells miss it
    assert sizes[0.0] < 1.0  # killed
    assert sizes[0.5] > 50.0 - 1e-9  # the sanctuary half is out of reach


def test_chemotherapy_kills_the_same_share_in_the_compartment() -> None:
    model = empty_model([ON, *STILL, NO_SEEDING, "therapy.bridging_blast_kill_fraction=0.4"])
    model.residual.cd19_positive = 50.0
    model.therapy.bridging_chemotherapy()
    assert model.residual.cd19_positive == pytest.approx(30.0)


def test_below_one_cell_a_phenotype_is_extinct() -> None:
    model = empty_model([ON, *STILL, NO_SEEDING, "residual.cells_in_full_grid=4900.0"])
    assert model.residual.cells_per_agent == pytest.approx(100.0)  # 4,900 cells / 49 sites
    model.residual.cd19_negative = 0.5 / 100.0  # half a cell
    model.residual.cd19_positive = 2.0 / 100.0
    run_steps(model, 1)
    assert model.residual.cd19_negative == 0.0
    assert model.residual.cd19_positive > 0.0


def test_the_patients_rare_cd19_negative_variants_start_in_the_compartment() -> None:
    overrides = [ON, "grid.width=20", "leukaemia.initial_blast_fraction=0.3"]
    overrides.append(
        'patient.residual_cd19_negative_frequency={dist="uniform",low=0.001,high=0.001}'
    )
    model = empty_model(overrides)
    assert model.census.resident[ResidentKind.BLAST_CD19_NEGATIVE] == 0  # none on the grid
    assert model.residual.cd19_negative == pytest.approx(0.001 * model.residual.size)


def test_same_seed_same_compartment_bit_for_bit() -> None:
    def history(seed: int) -> list[tuple[float, float, int]]:
        model = empty_model(
            [ON, "grid.width=20", "leukaemia.initial_blast_fraction=0.2"], seed=seed
        )
        rows = []
        for _ in range(48):
            model.step()
            rows.append(
                (model.residual.cd19_positive, model.residual.cd19_negative, model.census.blasts)
            )
        return rows

    assert history(4) == history(4)
    assert history(4) != history(5)


def test_the_sanctuary_share_is_set_at_enrolment() -> None:
    model = empty_model(
        [
            ON,
            "grid.width=20",
            "leukaemia.initial_blast_fraction=0.3",
            "residual.sanctuary_fraction=0.25",
        ]
    )
    total = model.residual.cd19_positive + model.residual.sanctuary
    assert model.residual.sanctuary == pytest.approx(0.25 * total)


@pytest.mark.parametrize("loss", [0.0, 1.0])
def test_cd19_loss_makes_whole_cd19_negative_agents_as_on_the_grid(loss: float) -> None:
    model = empty_model(
        [ON, NO_SEEDING, "leukaemia.division_rate_per_day=2.0", f"leukaemia.cd19_loss_prob={loss}"]
    )
    model.residual.cd19_positive = 20.0
    run_steps(model, 24)
    assert (model.residual.cd19_negative >= 1.0) == (loss > 0)  # at least one whole agent


@pytest.mark.parametrize("two_way", [False, True])
def test_with_two_way_exchange_blasts_leave_the_grid_for_the_compartment(two_way: bool) -> None:
    model = empty_model(
        [
            ON,
            *STILL,
            "residual.seeding_rate_per_day=2.0",
            f"residual.two_way_exchange={str(two_way).lower()}",
        ]
    )
    for site in range(0, 49, 3):
        LeukaemicBlast(model, site)
    before = model.census.blasts
    run_steps(model, 12)
    assert (model.census.blasts < before) == two_way
    assert model.residual.size + model.census.blasts == pytest.approx(before)  # nothing lost


def test_the_sanctuary_sheds_into_the_reachable_marrow_not_onto_the_grid() -> None:
    model = empty_model([ON, *STILL, "residual.sanctuary_egress_rate_per_day=0.5"])
    model.residual.sanctuary = 10.0
    model.step()
    shed = 10.0 - model.residual.sanctuary
    assert shed > 0.0
    assert model.residual.cd19_positive == pytest.approx(shed)  # in the marrow
    assert model.residual.seeded == 0  # a fraction of an agent: nothing whole to seed yet
    assert model.census.resident[ResidentKind.BLAST_CD19_POSITIVE] == 0


@pytest.mark.parametrize(("room", "grows"), [(1.0, True), (0.001, False)])
def test_the_sanctuary_grows_only_within_its_own_room(room: float, grows: bool) -> None:
    model = empty_model(
        [
            ON,
            NO_SEEDING,
            "leukaemia.death_rate_per_day=0.0",
            f"residual.sanctuary_room_fraction={room}",
        ]
    )
    start = model.residual.capacity * 0.001  # fills a room of 0.001 of the compartment's
    model.residual.sanctuary = start
    run_steps(model, 48)
    assert (model.residual.sanctuary > start * 1.01) == grows


@pytest.mark.parametrize("mass", [True, False])
def test_a_lymphomas_other_lesions_lose_the_share_the_nodes_mass_loses(mass: bool) -> None:
    """A lymphoma's lesions are masses: the compartment loses, step by step, the share of
    the grid's CD19-positive cells the CAR T-cells killed there (no growth here, so the
    shares multiply to the grid's own); scattered blasts meet the well-mixed killers."""
    model = empty_model(
        [ON, *STILL, NO_SEEDING, f"leukaemia.dense_mass={str(mass).lower()}",
         "car_t.kill_rate_per_day=5.0", "car_t.effector_half_life_days=1000.0"]
    )  # fmt: skip
    for site in range(model.tissue.n_sites):
        if site not in (0, 1):
            LeukaemicBlast(model, site, cd19_positive=True)
    CarTCell(model, 0)
    model.residual.cd19_positive = 1000.0
    model.residual.start_measuring()
    before = model.census.resident[ResidentKind.BLAST_CD19_POSITIVE]
    run_steps(model, 12)
    after = model.census.resident[ResidentKind.BLAST_CD19_POSITIVE]
    assert after < before  # the effector killed at the mass's edge
    kept = model.residual.cd19_positive / 1000.0
    if mass:
        assert kept == pytest.approx(after / before)
    else:
        assert kept < 0.75 * after / before  # well mixed: every cell meets the killer
