"""``--engine`` on the commands that run batches: it reaches the model, a batch keeps the
engine it was started with, and a seed gives the same runs on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

import main
import sim.kernel_cache
import sim.model
from study.batch import RUNS_CSV, RUNS_PARQUET, TIMESERIES_PARQUET

BATCH = ["batch", "classroom", "--replicates", "2", "--days", "6", "--seed", "3"]


class _Captured(Exception):
    """Raised by the stand-in batch runner once it has the spec."""


@pytest.mark.parametrize(
    "argv",
    [
        ["batch", "classroom", "--replicates", "1", "--out", "{out}"],
        ["compare", "autologous", "donor", "--replicates", "1", "--out", "{out}"],
        ["validate", "--quick", "--out", "{out}"],
        ["sensitivity", "classroom", "--samples", "2", "--out", "{out}"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_batch_command_hands_its_engine_to_the_batch(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import study.batch
    import study.batch.execute
    import study.validation.evaluation

    engines: list[str] = []

    def capture(spec: object, *args: object, **kwargs: object) -> int:
        engines.append(spec.engine)  # type: ignore[attr-defined]
        raise _Captured

    for module in (study.batch, study.batch.execute, study.validation.evaluation):
        monkeypatch.setattr(module, "execute_batch", capture)
    argv = [part.replace("{out}", str(tmp_path / "out")) for part in argv]
    for engine in ("reference", "compiled"):
        with pytest.raises(_Captured):
            main.main([*argv, "--engine", engine, "--no-progress"])
    with pytest.raises(_Captured):
        main.main([*argv, "--no-progress"])
    assert engines == ["reference", "compiled", None]  # None: the batch's own, or compiled


def test_a_batch_without_a_chosen_engine_is_compiled_unless_it_resumes_one(
    tmp_path: Path,
) -> None:
    """``--engine`` not given: a new batch runs on the compiled engine, a batch being
    resumed on the engine its manifest records (the reference for a manifest from before
    the choice existed), so resuming needs no option; a chosen engine is kept."""
    import json

    from study.batch.execute import engine_for

    assert engine_for(None, tmp_path / "new") == "compiled"
    assert engine_for("reference", tmp_path / "new") == "reference"
    for recorded, expected in (("reference", "reference"), ("compiled", "compiled")):
        out = tmp_path / recorded
        out.mkdir()
        manifest = {"format": "cartsim-batch/1", "engine": recorded}
        (out / "manifest.json").write_text(json.dumps(manifest))
        assert engine_for(None, out) == expected
        assert engine_for("compiled", out) == "compiled"  # chosen: checked on resume
    older = tmp_path / "older"
    older.mkdir()
    (older / "manifest.json").write_text(json.dumps({"format": "cartsim-batch/1"}))
    assert engine_for(None, older) == "reference"
    (older / "manifest.json").write_text("{not json")
    assert engine_for(None, older) == "compiled"  # left to the directory's own checks


def test_the_batch_engine_reaches_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real_make_engine = sim.model.make_engine

    def recording(name: str):  # type: ignore[no-untyped-def]
        made.append(name)
        return real_make_engine(name)

    monkeypatch.setattr(sim.model, "make_engine", recording)
    # only the runs' models: no compile before them (it steps a model of its own)
    monkeypatch.setattr(sim.kernel_cache, "kernels_cached", lambda: True)
    out = tmp_path / "out"
    argv = [*BATCH, "--serial", "--no-progress", "--out", str(out)]
    assert main.main([*argv, "--engine", "compiled"]) == 0
    assert made == ["compiled", "compiled"]
    manifest = (out / "manifest.json").read_text()
    assert '"engine": "compiled"' in manifest


def test_a_batch_is_resumed_only_with_the_engine_it_was_started_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = [*BATCH, "--replicates", "1", "--days", "1", "--serial", "--no-progress"]
    assert main.main([*argv, "--out", str(out), "--engine", "reference"]) == 0
    capsys.readouterr()
    assert main.main([*argv, "--out", str(out), "--engine", "compiled"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "started with --engine reference" in error and str(out) in error
    assert main.main([*argv, "--out", str(out), "--engine", "reference"]) == 0
    assert main.main([*argv, "--out", str(out)]) == 0  # no --engine: the batch's own
    assert '"engine": "reference"' in (out / "manifest.json").read_text()


def test_a_seed_gives_the_same_compiled_runs_serially_on_a_pool_and_on_dask(
    tmp_path: Path,
) -> None:
    backends = {
        "serial": ["--serial"],
        "pool": ["--workers", "2"],
        "dask": ["--dask-local", "1"],
    }
    for name, options in backends.items():
        argv = [*BATCH, *options, "--engine", "compiled", "--no-progress"]
        assert main.main([*argv, "--out", str(tmp_path / name)]) == 0
    reference_engine = [*BATCH, "--serial", "--no-progress", "--out", str(tmp_path / "ref")]
    assert main.main(reference_engine) == 0
    for name in ("pool", "dask", "ref"):
        for file in (RUNS_PARQUET, RUNS_CSV, TIMESERIES_PARQUET):
            assert (tmp_path / name / file).read_bytes() == (
                tmp_path / "serial" / file
            ).read_bytes(), (name, file)


def test_the_compiled_engine_is_compiled_once_before_the_runs_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``prepare_engine``: with the kernels not in numba's cache it says so and compiles
    them (before a batch starts its workers); with them cached, or on the reference
    engine, it does nothing."""
    import sim.engine_setup
    import sim.kernel_cache
    from sim.engine_setup import prepare_engine

    compiled: list[bool] = []
    said: list[str] = []
    monkeypatch.setattr(sim.engine_setup, "compile_kernels", lambda: compiled.append(True))
    for cached in (False, True):
        monkeypatch.setattr(sim.kernel_cache, "kernels_cached", lambda cached=cached: cached)
        prepare_engine("compiled", said.append)
        prepare_engine("reference", said.append)
    assert compiled == [True]
    assert len(said) == 1 and "once on this machine" in said[0]
