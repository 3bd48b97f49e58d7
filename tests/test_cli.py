"""The command line: the process boundary where it is the point, in-process elsewhere.

A handful of tests start ``python main.py`` as a user does (exit status, files, one line on
stderr, bit-identical files from two processes); the rest call :func:`main.main` in this
process, which parses and dispatches exactly as the console does, without the interpreter
start. The wider table of bad inputs is in ``test_bad_input.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import commands
import main
from sim.metrics import DAILY_REPORTERS, SUMMARY_FIELDS
from viz.live.launch import NO_DISPLAY

ROOT = Path(__file__).resolve().parents[1]


def cartsim_process(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py ARGS`` in a new process and capture what it prints."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env=env,
    )


def cartsim(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``main.main(ARGS)`` in this process: (exit status, stdout, stderr)."""
    try:
        status = main.main(list(args))
    except SystemExit as stop:  # --help and argparse's own errors
        status = int(stop.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------------------
# in a new process: what only a process shows
# --------------------------------------------------------------------------------------


def test_two_processes_write_the_same_files_for_the_same_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        done = cartsim_process("run", "classroom", "--seed", "3", "--days", "20", "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert "remission_day28" in done.stdout
    for name in ("summary.json", "timeseries.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    summary = json.loads((first / "summary.json").read_text())
    assert list(summary)[: len(SUMMARY_FIELDS)] == list(SUMMARY_FIELDS)
    assert summary["seed"] == 3 and summary["scenario"] == "classroom"
    table = pd.read_csv(first / "timeseries.csv")
    assert list(table.columns) == ["day", *DAILY_REPORTERS]
    assert table["day"].tolist() == list(range(21))


def test_help_in_a_new_process_lists_every_command() -> None:
    done = cartsim_process("--help")
    assert done.returncode == 0 and "usage:" in done.stdout
    for command in ("run", "scenarios", "batch", "compare", "validate", "sensitivity", "animate"):
        assert command in done.stdout


def test_bad_input_in_a_new_process_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = cartsim_process("run", "no_such_scenario", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "no_such_scenario" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_readmes_first_command_without_a_display_is_one_line_and_status_2() -> None:
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    done = cartsim_process(env=env)  # `uv run main.py` on a machine with no screen
    assert done.returncode == 2
    assert done.stderr.strip() == NO_DISPLAY and "Traceback" not in done.stderr


# --------------------------------------------------------------------------------------
# in this process
# --------------------------------------------------------------------------------------


def test_set_overrides_change_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cartsim(
        capsys,
        *("run", "classroom", "--days", "5", "--quiet", "--out", str(tmp_path)),
        *("--set", "grid.width=20", "--set", "leukaemia.initial_blast_fraction=0.5"),
    )
    assert status == 0, err
    assert out == ""
    table = pd.read_csv(tmp_path / "timeseries.csv")
    assert table["blasts"].iloc[0] == round(0.5 * 20 * 40)


def test_a_scenario_file_path_works_and_inherits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('base = "classroom"\ndescription = "mine"\n[time]\ndays = 3\n')
    status, _, err = cartsim(capsys, "run", str(path), "--quiet", "--out", str(tmp_path / "out"))
    assert status == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "mine" and summary["days_simulated"] == 3


def test_scenarios_lists_each_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cartsim(capsys, "scenarios")
    assert status == 0
    lines = dict(line.split(maxsplit=1) for line in out.strip().splitlines())
    for name in ("autologous", "no_treatment", "classroom"):
        assert lines[name].strip()


def _command_names() -> list[str]:
    _, subcommands = main.build_parser()
    return sorted(subcommands.choices)


def test_every_command_module_is_registered_once() -> None:
    modules = sorted(
        path.stem
        for path in (ROOT / "commands").glob("*.py")
        if path.stem not in ("__init__", "options")
    )
    assert sorted(module.__name__.split(".")[-1] for module in commands.COMMANDS) == modules
    assert _command_names() == modules


@pytest.mark.parametrize("command", [[], *([name] for name in _command_names())])
def test_help_is_there_for_every_command(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = cartsim(capsys, *command, "--help")
    assert status == 0
    assert "usage:" in out


def test_without_a_command_main_runs_animate_if_registered_else_prints_the_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []

    def register(subparsers: argparse._SubParsersAction) -> None:
        animate = subparsers.add_parser(main.DEFAULT_COMMAND)
        animate.add_argument("scenario", nargs="?", default="classroom")
        animate.set_defaults(func=lambda args: calls.append(args.scenario) or 7)

    fake_animate = argparse.Namespace(register=register)
    others = tuple(module for module in commands.COMMANDS if module is not commands.animate)
    monkeypatch.setattr(commands, "COMMANDS", (*others, fake_animate))
    assert main.main([]) == 7 and calls == ["classroom"]
    assert main.main(["animate", "donor"]) == 7 and calls == ["classroom", "donor"]

    monkeypatch.setattr(commands, "COMMANDS", others)
    assert main.main([]) == 0
    assert "usage:" in capsys.readouterr().out


BAD_TOML_CASES = {
    "unknown key": (
        "[car_t]\nkill_rate = 3.0\n",
        ["car_t.kill_rate", "unknown key", "kill_rate_per_day"],
    ),
    "unknown table": ("[cart]\ndose_cells = 3\n", ["cart", "unknown key", "car_t"]),
    "wrong type": ('[car_t]\ndose_cells = "many"\n', ["car_t.dose_cells", "integer"]),
    "out of range": ("[leukaemia]\ncd19_loss_prob = 1.5\n", ["leukaemia.cd19_loss_prob", "<= 1.0"]),
    "bad base": ('base = "nowhere"\n', ["base", "nowhere"]),
}
"""Scenario files whose keys or values are wrong (bad bytes and encodings: test_bad_input)."""


@pytest.mark.parametrize("case", sorted(BAD_TOML_CASES))
def test_bad_scenario_files_get_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    text, must_mention = BAD_TOML_CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    status, _, err = cartsim(capsys, "run", str(path), "--out", str(tmp_path / "out"))
    assert status == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err
    for word in must_mention:
        assert word in err
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_the_scenario_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "scenarios_here"
    folder.mkdir()
    status, _, err = cartsim(capsys, "run", str(folder), "--out", str(tmp_path / "out"))
    assert status == 2
    assert err == f"cartsim: error: {folder}: a folder, not a scenario file (give a .toml file)\n"


def test_an_output_folder_that_cannot_be_made_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (blocker, blocker / "below"):
        status, _, err = cartsim(capsys, "run", "classroom", "--out", str(out))
        assert status == 2
        assert "Traceback" not in err
        assert err.count("\n") == 1 and "--out" in err
    status, _, err = cartsim(capsys, "validate", "--quick", "--out", str(blocker))
    assert status == 2
    assert err == f"cartsim: error: --out {blocker}: exists and is not a directory\n"


@pytest.mark.parametrize(
    ("args", "must_mention"),
    [
        (["run", "/nowhere/x.toml"], ["/nowhere/x.toml", "no such"]),
        (["run", "classroom", "--set", "car_t.dose_cells"], ["--set", "KEY=VALUE"]),
        (["run", "classroom", "--set", "car_t.dose=3"], ["--set", "car_t.dose", "dose_cells"]),
        (
            ["run", "classroom", "--set", "car_t.dose_cells=-1"],
            ["--set", "car_t.dose_cells", ">= 0"],
        ),
        (["run", "classroom", "--set", "therapy.arm=sideways"], ["therapy.arm", "donor"]),
        (["run", "classroom", "--set", "teaching.enabled=True"], ["True", "true or false"]),
        (["batch", "classroom", "--workers", "1", "--serial"], ["not allowed with"]),
        (["fly"], ["invalid choice"]),
    ],
)
def test_bad_command_lines_get_one_line_and_status_2(
    args: list[str], must_mention: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*args, "--out", str(tmp_path)] if args[0] == "run" else args
    status, _, err = cartsim(capsys, *argv)
    assert status == 2
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if "error" in line]
    assert len(error_lines) == 1, err
    for word in must_mention:
        assert word in err


def test_a_response_the_run_was_too_short_to_see_is_null_with_a_reason() -> None:
    from sim.loader import load_scenario
    from sim.run import run_simulation

    short = run_simulation(load_scenario("classroom"), 1, 20).summary
    assert short["infusion_day"] is not None and short["infusion_day"] + 28 > 20
    assert short["remission_day28"] is None and short["mrd_negative_day28"] is None
    assert short["relapse"] is None
    assert short["unobserved_reason"] == "run ended before day 28 after infusion"
    if short["remission_within_3_months"] is not True:  # true as soon as seen
        assert short["remission_within_3_months"] is None
    assert short["remission_sustained_within_3_months"] is None  # 28 days not yet seen
    full = run_simulation(load_scenario("classroom"), 1, short["infusion_day"] + 28).summary
    assert isinstance(full["remission_day28"], bool)
    assert isinstance(full["mrd_negative_day28"], bool)
