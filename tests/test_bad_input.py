"""Bad input of every shape gets one line and exit status 2, never a traceback (issue 11).

A table of several hundred generated cases (bad files of every encoding and shape, used as
a scenario, a base and an experiment file; bad ``--set``, ``--sweep`` and numbers; names
too long; scheduler addresses; rules across tables) runs through ``main.main`` in this
process. Which thing a message names, and random text and bytes thrown at the loader,
are in ``test_error_messages.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import main
from sim import limits
from sim.loader import load_scenario

DEEP = 3000  # deeper than Python's recursion limit allows a naive parser


def random_bytes(seed: int, size: int, low: int = 0) -> bytes:
    """``size`` seeded random bytes from ``low`` to 255."""
    rng = random.Random(seed)
    return bytes(rng.randrange(low, 256) for _ in range(size))


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "latin1": ('description = "café"\n'.encode("latin-1"), "not UTF-8"),
    "latin1-key": ("[car_t]\ndosé = 3\n".encode("latin-1"), "not UTF-8"),
    "cp1252": ('description = "\u2013 \u201cq\u201d"\n'.encode("cp1252"), "not UTF-8"),
    "utf16": ('description = "x"\n'.encode("utf-16"), "UTF-16"),
    "utf16-be": (b"\xfe\xff" + 'description = "x"\n'.encode("utf-16-be"), "UTF-16"),
    "utf16-le-no-bom": ('description = "x"\n'.encode("utf-16-le"), "binary"),
    "binary": (random_bytes(1, 400), "binary|UTF-8"),
    "binary-high": (random_bytes(2, 400, low=128), "UTF-8"),
    "nul": (b"description = 'x'\x00\n", "binary"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary|UTF-8"),
    "deep-array": (("x = " + "[" * DEEP + "]" * DEEP + "\n").encode(), "nested deeper"),
    "deep-array-12": (("x = " + "[" * 12 + "]" * 12 + "\n").encode(), "nested deeper"),
    "deep-inline": (("x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n").encode(), "nested"),
    "deep-dotted": ((".".join(["k"] * DEEP) + " = 1\n").encode(), "nested deeper"),
    "deep-header": (("[" + ".".join(["t"] * 40) + "]\nx = 1\n").encode(), "nested deeper"),
    "too-big": (b"# " + b"x" * (limits.MAX_FILE_BYTES + 10) + b"\n", "larger than"),
    "nan": (b"[car_t]\nkill_rate_per_day = nan\n", "finite"),
    "inf": (b"[car_t]\nkill_rate_per_day = inf\n", "finite"),
    "bad-toml": (b"[car_t\n", "not valid TOML"),
}
"""Bad file contents: (bytes, a regular expression the message must match)."""

LONG = "n" * 300


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``main.main(argv)`` in this process: (exit status, stderr)."""
    try:
        status = main.main(argv)
    except SystemExit as stop:  # argparse's own errors
        status = int(stop.code or 0)
    return status, capsys.readouterr().err


def assert_one_line(status: int, err: str, *expected: str) -> None:
    import re

    assert status == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cartsim"), err
    for pattern in expected:
        assert re.search(pattern, lines[0]), (pattern, err)


# --------------------------------------------------------------------------------------
# the table of cases
# --------------------------------------------------------------------------------------


def _file_cases() -> list[tuple[str, str, str]]:
    """(case id, use, content key): every bad file as a scenario, base and experiment."""
    uses = ("run", "batch", "base", "experiment")
    return [(f"{use}-{name}", use, name) for name in BAD_FILES for use in uses]


@pytest.mark.parametrize(("case", "use", "name"), _file_cases(), ids=[c[0] for c in _file_cases()])
def test_bad_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, use: str, name: str
) -> None:
    data, expected = BAD_FILES[name]
    bad = tmp_path / "bad.toml"
    bad.write_bytes(data)
    out = str(tmp_path / "out")
    if use == "run":
        argv = ["run", str(bad), "--out", out, "--quiet"]
    elif use == "batch":
        argv = ["batch", str(bad), "--replicates", "1", "--out", out, "--serial"]
    elif use == "base":
        child = tmp_path / "child.toml"
        child.write_text('base = "bad"\n')
        argv = ["run", str(child), "--out", out, "--quiet"]
    else:
        argv = ["batch", "--experiment", str(bad), "--out", out, "--serial"]
    status, err = call(argv, capsys)
    assert_one_line(status, err, expected, "bad.toml")
    assert not (tmp_path / "out").exists()


SET_CASES: list[tuple[str, str]] = [
    ("car_t.dose_cells=40\nextra", "control character"),
    ("car_t.dose_cells=4\n0", "control character"),
    ("car_t.dose\n_cells=40", "control character"),
    ("car_t.dose_cells=40\r", "control character"),
    ("car_t.dose_cells=\t40\x00", "control character"),
    ("car_t.dose_cells=\x1b[31m40", "control character"),
    ("car_t.kill_rate_per_day=" + "[" * DEEP + "]" * DEEP, "nested deeper"),
    ("car_t.kill_rate_per_day=" + "[" * 9 + "]" * 9, "nested deeper"),
    ("car_t.kill_rate_per_day=" + "{a=" * DEEP + "1" + "}" * DEEP, "nested|longer than"),
    ("car_t.kill_rate_per_day=" + "{a=" * 900 + "1" + "}" * 900, "nested"),
    (".".join(["k"] * 50) + "=1", "more than"),
    ("car_t.kill_rate_per_day=nan", "finite"),
    ("car_t.kill_rate_per_day=inf", "finite"),
    ("car_t.kill_rate_per_day=-inf", "finite"),
    ("time.hours_per_step=1e-9", "hours_per_step.*0.1"),
    ("time.hours_per_step=0", "hours_per_step"),
    ("time.hours_per_step=0.05", "hours_per_step"),
    ("time.hours_per_step=0.7", "whole steps"),
    ("time.days=3651", "time.days.*3650"),
    ("time.days=0", "time.days"),
    ("car_t.dose_cells=99999", "do not fit"),
    ("car_t.dose_cells=100001", "dose_cells"),
    ("therapy.bridging_days=[-3]", "before enrolment"),
    ("therapy.bridging_days=[5, 5]", "twice"),
    ("therapy.bridging_days=[100000]", "not before"),
    ("grid.width=2", "grid.width"),
    ("car_t.dose_cells=x", "dose_cells"),
    ("car_t.dose_cells=1.5", "dose_cells"),
    ("car_t.dose_cells=true", "dose_cells"),
    ("car_t=3", "car_t"),
    ("car_t.dose_cells.x=3", "dose_cells"),
    ("nope.key=1", "unknown key"),
    ("car_t.nope=1", "unknown key"),
    ("=3", "KEY=VALUE"),
    ("car_t.dose_cells=", "KEY=VALUE"),
    ("car_t..dose_cells=3", "empty part"),
    ("x" * (limits.MAX_OPTION_CHARS + 1), "longer than"),
    ("therapy.arm=" + "a" * 5000, "therapy.arm"),
    ("therapy.manufacturing_min_days=300", "manufacturing days"),
    ("fields.crs_grade_thresholds=[1, 2]", "crs_grade_thresholds"),
]
"""Bad ``--set`` values (on classroom): (text, a pattern of the message)."""


@pytest.mark.parametrize("command", ["run", "batch"])
@pytest.mark.parametrize(("text", "expected"), SET_CASES)
def test_bad_set_values_are_one_line_naming_the_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    text: str,
    expected: str,
) -> None:
    out = str(tmp_path / "out")
    if command == "run":
        argv = ["run", "classroom", "--set", text, "--out", out, "--quiet"]
    else:
        argv = ["batch", "classroom", "--set", text, "--replicates", "1", "--out", out]
    status, err = call(argv, capsys)
    assert_one_line(status, err, "--set", expected)
    assert not (tmp_path / "out").exists()


SWEEP_CASES: list[tuple[str, str]] = [
    ("car_t.dose_cells=10,20\n,30", "control character"),
    ("car_t.dose_cells=" + "[" * DEEP + "]" * DEEP, "nested deeper"),
    ("car_t.dose_cells=" + "[" * 8 + "]" * 8, "nested deeper"),
    ("car_t.dose_cells=1," + "{a=" * DEEP + "1" + "}" * DEEP, "nested|longer than"),
    ("car_t.dose_cells=1," + "{a=" * 900 + "1" + "}" * 900, "nested"),
    (".".join(["k"] * 50) + "=1,2", "more than"),
    ("car_t.kill_rate_per_day=1,nan", "finite"),
    ("car_t.dose_cells=10,99999", "do not fit"),
    ("time.hours_per_step=1,1e-9", "hours_per_step"),
    ("time.days=10,4000", "time.days"),
    ("car_t.dose_cells=10,,20", "empty value"),
    ("car_t.dose_cells", "KEY=V1"),
    ("therapy.bridging_days=[],[-1]", "before enrolment"),
]


@pytest.mark.parametrize(("text", "expected"), SWEEP_CASES)
def test_bad_sweeps_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    out = str(tmp_path / "out")
    argv = ["batch", "classroom", "--sweep", text, "--replicates", "1", "--out", out]
    status, err = call(argv, capsys)
    assert_one_line(status, err, "--sweep", expected)
    assert not (tmp_path / "out").exists()


NUMBER_CASES: list[tuple[list[str], str]] = [
    *[
        (["run", "classroom", "--days", value], "--days")
        for value in ("0", "-1", "3651", str(10**30), "abc", "1e3", "9" * 5000, "", "1.5")
    ],
    *[
        (["run", "classroom", "--seed", value], "--seed")
        for value in ("-1", str(2**63), str(10**30), "x", "9" * 5000)
    ],
    *[
        (["batch", "classroom", "--out", "OUT", "--replicates", value], "--replicates")
        for value in ("0", "-5", str(10**30), str(limits.MAX_REPLICATES + 1), "x", "9" * 5000)
    ],
    *[
        (["batch", "classroom", "--out", "OUT", "--replicates", "1", "--days", value], "--days")
        for value in ("0", "3651", str(10**30))
    ],
    *[
        (["batch", "classroom", "--out", "OUT", "--replicates", "1", "--seed", value], "--seed")
        for value in ("-1", str(2**63))
    ],
    *[
        (["batch", "classroom", "--out", "OUT", "--replicates", "1", option, value], option)
        for option in ("--workers", "--dask-local")
        for value in ("0", "-2", str(10**9), "x")
    ],
    (
        [
            *("batch", "classroom", "--out", "OUT", "--replicates", str(limits.MAX_REPLICATES)),
            *("--sweep", "car_t.dose_cells=" + ",".join(str(d) for d in range(1, 12))),
        ],
        "at most",
    ),
]


@pytest.mark.parametrize(("argv", "expected"), NUMBER_CASES)
def test_numbers_out_of_range_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    out = str(tmp_path / "out")
    argv = [out if part == "OUT" else part for part in argv]
    if argv[0] == "run":
        argv += ["--out", out, "--quiet"]
    status, err = call(argv, capsys)
    assert_one_line(status, err, expected)
    assert not (tmp_path / "out").exists()


NAME_CASES: list[tuple[list[str], str]] = [
    (["run", "classroom", "--out", ""], "--out.*empty"),
    (["run", "classroom", "--out", "   "], "--out.*empty"),
    (["run", "classroom", "--out", LONG], "--out.*longer than 255"),
    (["run", "classroom", "--out", f"x/{LONG}/y"], "--out.*longer than 255"),
    (["run", "classroom", "--out", "x/" * 2100], "--out.*longer than 4096"),
    (["run", "classroom", "--out", "a\nb"], "--out.*control character"),
    (["run", LONG], "longer than 255"),
    (["run", LONG + ".toml"], "longer than 255"),
    (["run", f"{LONG}/x.toml"], "longer than 255"),
    (["run", "a\nb"], "control character"),
    (["run", ""], "empty"),
    (["batch", LONG, "--replicates", "1", "--out", "OUT"], "longer than 255"),
    (["batch", "classroom", "--replicates", "1", "--out", ""], "--out.*empty"),
    (["batch", "classroom", "--replicates", "1", "--out", LONG], "--out.*longer than 255"),
    (["batch", "--experiment", LONG], "--experiment.*longer than 255"),
    (["batch", "--experiment", ""], "--experiment.*empty"),
    (["batch", "--experiment", f"{LONG}.toml"], "--experiment.*longer than 255"),
]


@pytest.mark.parametrize(("argv", "expected"), NAME_CASES)
def test_bad_names_are_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [str(tmp_path / "out") if part == "OUT" else part for part in argv]
    if argv[0] == "run" and "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    status, err = call([*argv, "--quiet"] if argv[0] == "run" else argv, capsys)
    assert_one_line(status, err, expected)
    assert list(tmp_path.iterdir()) == []


SCHEDULERS = [
    ("tls://10.0.0.5:8786", "tls:// scheme is not supported"),
    ("ws://h:1", "ws:// scheme"),
    ("inproc://x", "inproc:// scheme"),
    ("h", "expected tcp://HOST:PORT"),
    ("tcp://h", "expected tcp://HOST:PORT"),
    ("tcp://h:99999", "expected tcp://HOST:PORT"),
    ("tcp://h:0", "expected tcp://HOST:PORT"),
    ("tcp://h:1/x", "expected tcp://HOST:PORT"),
    ("tcp://h:1\n", "control character"),
    ("", "expected tcp://HOST:PORT"),
    (" ", "expected tcp://HOST:PORT"),
]


@pytest.mark.parametrize(("address", "expected"), SCHEDULERS)
def test_bad_scheduler_addresses_are_refused_before_anything_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str, expected: str
) -> None:
    out = tmp_path / "out"
    argv = ["batch", "classroom", "--replicates", "1", "--out", str(out), "--scheduler", address]
    status, err = call(argv, capsys)
    assert_one_line(status, err, "--scheduler", expected)
    assert not out.exists()
    experiment = tmp_path / "e.toml"
    quoted = json.dumps(address)  # a TOML basic string: "\n" is a newline
    experiment.write_text(f'scenarios = ["classroom"]\nreplicates = 1\nscheduler = {quoted}\n')
    status, err = call(["batch", "--experiment", str(experiment), "--out", str(out)], capsys)
    assert_one_line(status, err, "e.toml: scheduler", expected)
    assert not out.exists()


EXPERIMENT_CASES: list[tuple[str, str]] = [
    ("replicates = 0", "replicates"),
    (f"replicates = {limits.MAX_REPLICATES + 1}", "replicates"),
    ("replicates = 9223372036854775807", "replicates"),
    ("replicates = 1\ndays = 0", "days"),
    ("replicates = 1\ndays = 3651", "days"),
    ("replicates = 1\nseed = -1", "seed"),
    ("replicates = 1\nout = ''", "out.*empty"),
    (f"replicates = 1\nout = '{LONG}'", "out.*longer than 255"),
    ('replicates = 1\nout = "a\\nb"', "out.*control character"),
    ("replicates = 1\nworkers = 0", "workers"),
    ("replicates = 1\nworkers = 100000", "workers"),
    ("replicates = 1\n[set]\ncar_t.dose_cells = 99999", r"\[set\].*do not fit"),
    ("replicates = 1\n[set]\ntime.hours_per_step = 1e-9", r"\[set\].*hours_per_step"),
    ("replicates = 1\n[set]\ntherapy.bridging_days = [-1]", r"\[set\].*before enrolment"),
    ("replicates = 1\n[set]\ncar_t.nope = 1", r"\[set\].*unknown key"),
    ("replicates = 1\n[sweep]\ncar_t.dose_cells = [10, 99999]", r"\[sweep\].*do not fit"),
    ("replicates = 1\n[sweep]\ncar_t.dose_cells = []", "sweep.car_t.dose_cells"),
    ("replicates = 1\n[sweep]\ncar_t.dose_cells = [[[[[[[1]]]]]]]", "nested deeper"),
    (
        "replicates = 100000\n[sweep]\ncar_t.dose_cells = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]",
        "at most",
    ),
]


@pytest.mark.parametrize(("body", "expected"), EXPERIMENT_CASES)
def test_experiment_file_errors_name_the_file_and_key_not_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    file = tmp_path / "exp.toml"
    file.write_text(f'scenarios = ["classroom"]\n{body}\n')
    status, err = call(["batch", "--experiment", str(file), "--out", str(tmp_path / "o")], capsys)
    assert_one_line(status, err, "exp.toml", expected)
    assert "--replicates" not in err and "--days" not in err and "--seed" not in err
    assert not (tmp_path / "o").exists()


def test_unknown_scenarios_in_an_experiment_name_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "exp.toml"
    for scenario, expected in (
        ("nope", "no such scenario"),
        ("mine.toml", "no such scenario file"),
    ):
        file.write_text(f'scenarios = ["{scenario}"]\nreplicates = 1\nout = "o"\n')
        status, err = call(["batch", "--experiment", str(file)], capsys)
        assert_one_line(status, err, "exp.toml: scenarios", expected)
    file.write_text('scenarios = ["classroom", "classroom"]\nreplicates = 1\nout = "o"\n')
    status, err = call(["batch", "--experiment", str(file)], capsys)
    assert_one_line(status, err, "exp.toml: scenarios", "given twice")


def test_scenario_paths_in_an_experiment_are_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from study.experiment import load_experiment

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "mine.toml").write_text('base = "classroom"\n')
    (folder / "exp.toml").write_text('scenarios = ["mine.toml", "classroom"]\nreplicates = 1\n')
    monkeypatch.chdir(tmp_path)  # not the file's folder
    experiment = load_experiment(Path("study") / "exp.toml")
    assert experiment.spec.scenarios == (str(Path("study") / "mine.toml"), "classroom")
    assert load_scenario(experiment.spec.scenarios[0]).name == "mine"
