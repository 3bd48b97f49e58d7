"""Scenario files: inheritance, overrides, and what counts as a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UserInputError
from sim.loader import Override, load_scenario, parse_override, scenario_names
from sim.parameters import Scenario


def test_every_shipped_scenario_loads_with_a_description() -> None:
    for name in scenario_names():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.description


def test_a_child_overrides_only_what_it_states(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").write_text(
        'description = "p"\n[car_t]\ndose_cells = 10\nkill_rate_per_day = 5.0\n'
    )
    (tmp_path / "child.toml").write_text('base = "parent"\n[car_t]\ndose_cells = 20\n')
    child = load_scenario(tmp_path / "child.toml")
    assert child.car_t.dose_cells == 20
    assert child.car_t.kill_rate_per_day == 5.0
    assert child.name == "child"
    assert child.description == ""  # descriptions are not inherited


def test_a_base_can_be_a_shipped_scenario(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('base = "classroom"\n[time]\ndays = 7\n')
    mine = load_scenario(tmp_path / "mine.toml")
    assert mine.grid.width == load_scenario("classroom").grid.width
    assert mine.time.days == 7


def test_inheritance_in_a_circle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('base = "b"\n')
    (tmp_path / "b.toml").write_text('base = "a"\n')
    with pytest.raises(UserInputError, match="circle"):
        load_scenario(tmp_path / "a.toml")


def test_the_error_names_the_file_that_set_the_bad_value(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").write_text("[car_t]\ndose_cells = -5\n")
    (tmp_path / "child.toml").write_text('base = "parent"\n[time]\ndays = 3\n')
    with pytest.raises(UserInputError) as caught:
        load_scenario(tmp_path / "child.toml")
    assert str(tmp_path / "parent.toml") in str(caught.value)
    assert "car_t.dose_cells" in str(caught.value)


def test_overrides_are_typed_like_toml() -> None:
    def typed(text: str) -> tuple[tuple[str, ...], object]:
        override = parse_override(text)
        return override.key, override.value

    assert typed("car_t.dose_cells=40") == (("car_t", "dose_cells"), 40)
    assert typed("a.b=0.5") == (("a", "b"), 0.5)
    assert typed("a.b=true") == (("a", "b"), True)
    assert typed("a.b=[3, 5]") == (("a", "b"), [3, 5])
    assert typed("therapy.arm=donor") == (("therapy", "arm"), "donor")
    assert typed(" therapy.arm = 'donor' ") == (("therapy", "arm"), "donor")
    assert isinstance(parse_override("car_t.dose_cells=40").value, int)


def test_an_override_keeps_its_source_for_messages_but_not_for_equality() -> None:
    given = parse_override("car_t.dose_cells=40", "--sweep")
    from_file = Override(("car_t", "dose_cells"), 40, "dose.toml: [set]")
    assert given == from_file and given.source == "--sweep"
    assert given.label == "--sweep 'car_t.dose_cells=40'"
    assert from_file.label == "dose.toml: [set] car_t.dose_cells=40"


def test_typed_overrides_and_strings_load_the_same_scenario() -> None:
    typed = Override(("car_t", "dose_cells"), 7)
    assert load_scenario("classroom", [typed]) == load_scenario("classroom", ["car_t.dose_cells=7"])


def test_a_bad_typed_override_is_reported_under_its_source() -> None:
    bad = Override(("car_t", "dose_cells"), -3, "dose.toml: [set]")
    with pytest.raises(UserInputError, match=r"^dose\.toml: \[set\] car_t\.dose_cells=-3: "):
        load_scenario("classroom", [bad])


@pytest.mark.parametrize("bad", ["novalue", "=3", "a..b=1", "a.b="])
def test_malformed_overrides_are_refused(bad: str) -> None:
    with pytest.raises(UserInputError, match="--set"):
        load_scenario("classroom", [bad])


def test_overrides_are_validated_like_files() -> None:
    with pytest.raises(UserInputError, match=r"teaching\.enabled"):
        load_scenario("classroom", ["teaching.enabled=3"])
    with pytest.raises(UserInputError, match="min <= median <= max"):
        load_scenario("classroom", ["therapy.manufacturing_median_days=200.0"])


def test_parameters_reject_unknown_fields_directly() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        Scenario.model_validate({"car_t": {"speed": 3}})


def test_a_set_parameter_wins_over_the_patient_draw_that_would_replace_it() -> None:
    drawn = load_scenario("classroom")
    assert drawn.patient.blast_fraction_at_enrolment is not None
    fixed = load_scenario("classroom", ["leukaemia.initial_blast_fraction=0.5"])
    assert fixed.patient.blast_fraction_at_enrolment is None
    assert fixed.leukaemia.initial_blast_fraction == 0.5


def test_a_set_dose_in_cells_wins_over_the_dose_per_area() -> None:
    assert load_scenario("classroom").car_t.dose_per_10k_sites is not None
    fixed = load_scenario("classroom", ["car_t.dose_cells=6"])
    assert fixed.car_t.dose_per_10k_sites is None
    assert fixed.car_t.dose_cells == 6


def test_a_later_patient_entry_wins_over_an_earlier_parameter() -> None:
    scenario = load_scenario(
        "classroom",
        [
            "leukaemia.initial_blast_fraction=0.5",
            'patient.blast_fraction_at_enrolment={dist="uniform", low=0.3, high=0.3}',
        ],
    )
    assert scenario.patient.blast_fraction_at_enrolment is not None


def test_a_distribution_is_replaced_whole_not_merged(tmp_path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        'base = "autologous"\ndescription = "x"\n[patient]\n'
        'product_fitness = {dist = "uniform", low = 0.5, high = 0.9}\n'
    )
    scenario = load_scenario(child)
    assert scenario.patient.product_fitness.dist == "uniform"
