"""Messages that name the right thing, and random text and bytes at the loader (issue 11).

The one-line messages for bad input say *where* the bad value came from (``--set``, the
file, a base file) and the README states every limit; property-based tests (hypothesis)
throw random ``--set`` text, file bytes and nested values at the loader and require a
load or a one-line error, never a traceback. The table of generated cases is in
``test_bad_input.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from sim import limits
from sim.errors import UserInputError
from sim.loader import load_scenario, parse_override


def test_a_cross_field_error_names_the_set_not_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=r"^--set 'therapy.manufacturing_max_days=20'"):
        load_scenario("autologous", ["therapy.manufacturing_max_days=20"])
    with pytest.raises(UserInputError, match=r"^--set 'grid.height=10'.*do not fit"):
        load_scenario("classroom", ["car_t.dose_cells=150", "grid.width=10", "grid.height=10"])
    own = tmp_path / "own.toml"
    own.write_text('base = "classroom"\n[therapy]\nmanufacturing_max_days = 9.0\n')
    with pytest.raises(UserInputError, match=r"own\.toml: therapy"):
        load_scenario(own)
    with pytest.raises(UserInputError, match=r"own\.toml: car_t.dose_cells: .*do not fit"):
        load_scenario(_write(tmp_path, "[car_t]\ndose_cells = 5000\n"))


def _write(folder: Path, text: str) -> Path:
    path = folder / "own.toml"
    path.write_text('base = "classroom"\n' + text)
    return path


def test_an_error_of_the_file_itself_still_names_the_file(tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    own.write_text('base = "classroom"\n[car_t]\ndose_cells = -1\n')
    with pytest.raises(UserInputError, match=r"own\.toml: car_t\.dose_cells"):
        load_scenario(own, ["grid.width=30"])


def test_one_bad_scenario_file_does_not_break_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.loader

    (tmp_path / "good.toml").write_text('description = "fine"\n')
    (tmp_path / "broken.toml").write_bytes('description = "café"\n'.encode("latin-1"))
    (tmp_path / "wrong.toml").write_text("[car_t]\nnope = 1\n")
    monkeypatch.setattr(sim.loader, "SCENARIO_DIR", tmp_path)
    assert main.main(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    listing = {line.split()[0]: line for line in out}
    assert "fine" in listing["good"]
    assert "cannot load" in listing["broken"] and "not UTF-8" in listing["broken"]
    assert "cannot load" in listing["wrong"] and "unknown key" in listing["wrong"]


def test_the_readme_states_every_limit() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for what, allowed in limits.LIMITS_TABLE:
        assert f"| {what} | {allowed} |" in readme


# --------------------------------------------------------------------------------------
# property-based: random text and bytes
# --------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(["car_t.dose_cells", "therapy.arm", "time.days", "x.y"]),
    value=st.text(max_size=40),
)
def test_any_set_text_loads_or_is_one_line(key: str, value: str) -> None:
    try:
        load_scenario("classroom", [parse_override(f"{key}={value}")])
    except UserInputError as error:
        assert "\n" not in str(error) and str(error).startswith("--set")


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_any_file_bytes_load_or_are_one_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except UserInputError as error:
        assert "\n" not in str(error) and "random.toml" in str(error)


@settings(max_examples=100, deadline=None)
@given(
    nesting=st.recursive(
        st.integers(0, 3) | st.floats(allow_nan=True) | st.text(max_size=3),
        lambda inner: (
            st.lists(inner, max_size=2)
            | st.dictionaries(st.text("ab", min_size=1, max_size=2), inner, max_size=2)
        ),
        max_leaves=30,
    )
)
def test_any_nested_value_is_checked_without_recursion_errors(nesting: object) -> None:
    try:
        limits.check_value(nesting, "--set x")
    except UserInputError as error:
        assert "\n" not in str(error)
