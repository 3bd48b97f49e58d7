"""The clinical targets ship as data: 15 targets, each tolerance holds its target."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UserInputError
from study.validation import MEASURE_KINDS, TARGETS_FILE, load_targets


def test_the_fifteen_targets_load_in_order() -> None:
    targets = load_targets()
    assert [target.id for target in targets] == [f"T{n}" for n in range(1, 16)]
    assert all(target.source and target.quantity for target in targets)
    assert {target.measure_kind for target in targets} <= set(MEASURE_KINDS)


def test_every_tolerance_contains_its_target() -> None:
    for target in load_targets():
        assert (
            target.tolerance_low is not None or target.tolerance_high is not None or (target.rule)
        ), target.id
        for value in target.target:
            assert target.within_tolerance(value), (target.id, value)


def test_the_trial_endpoints_are_as_published() -> None:
    by_id = {target.id: target for target in load_targets()}
    assert by_id["T1"].target == [81.0] and by_id["T1"].unit == "%"
    assert (by_id["T1"].tolerance_low, by_id["T1"].tolerance_high) == (71.0, 89.0)
    assert by_id["T1"].measure == "share_infused:remission_sustained_within_3_months"
    assert by_id["T10"].measure == "share_infused:remission_day28_or_42"
    assert by_id["T13"].scenarios == ["high_burden", "autologous"]
    assert not by_id["T1"].within_tolerance(70.9)
    assert by_id["T15"].target == [52.0] and by_id["T15"].scenarios == ["lymphoma"]
    assert (by_id["T15"].tolerance_low, by_id["T15"].tolerance_high) == (40.0, 65.0)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[T1]
id = "T1"
quantity = "remission"
scenarios = ["autologous"]
measure = "share_infused:remission_within_3_months"
unit = "%"
target = [81.0]
tolerance_low = 71.0
tolerance_high = 89.0
source = "a paper"
"""


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("source = ", 'colour = "red"\nsource = '), "T1.colour"),  # unknown key
        (("target = [81.0]", "target = [95.0]"), "T1"),  # target outside its tolerance
        (('id = "T1"', 'id = "T2"'), "T1.id"),  # id differs from the table
        (('unit = "%"', 'unit = "percent"'), "T1.unit"),
        (("target = [81.0]", 'target = ["81"]'), "T1.target"),  # strict: no strings
    ],
)
def test_a_bad_targets_file_names_the_file_and_key(
    tmp_path: Path, change: tuple[str, str], key: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(UserInputError) as raised:
        load_targets(path)
    message = str(raised.value)
    assert str(path) in message and key in message and "\n" not in message


def test_a_good_file_loads_and_a_missing_one_is_a_user_error(tmp_path: Path) -> None:
    assert [target.id for target in load_targets(_write(tmp_path, GOOD))] == ["T1"]
    with pytest.raises(UserInputError, match="cannot read"):
        load_targets(tmp_path / "absent.toml")
    assert TARGETS_FILE.name == "targets.toml"
