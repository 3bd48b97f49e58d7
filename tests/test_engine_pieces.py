"""The compiled engine's pieces: the random mirrors, the field and shuffle kernels, the
engine option and the kernels' cache stamp.

The compiled engine feeds its kernels the reference engine's own random draws; these
tests hold each piece to the exact numbers of the library it stands in for (CPython's
``random``, numpy's diffusion and permutations). ``test_engines.py`` holds the two
engines together on hand-built tissues and whole runs.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from sim.engine import ENGINES, make_engine
from sim.errors import UserInputError
from sim.geometry import diffuse_in_place


def test_the_mirror_of_python_random_draws_what_python_draws() -> None:
    from agents.python_random import mark, random_float, rewind

    generator = random.Random(12345)
    generator.random()
    _, words, _ = generator.getstate()
    mt = np.array(words[:-1], dtype=np.int64)
    cursor = np.array([words[-1], 0, 0], dtype=np.int64)
    backup = np.empty_like(mt)
    expected = [generator.random() for _ in range(1500)]  # crosses two regenerations
    assert [random_float(mt, cursor, backup) for _ in range(1500)] == expected
    # taking draws back, across a regeneration too
    mark(cursor)
    after = [random_float(mt, cursor, backup) for _ in range(400)]
    rewind(mt, cursor, backup)
    assert [random_float(mt, cursor, backup) for _ in range(400)] == after


def test_the_stand_in_generator_chooses_and_draws_what_python_does() -> None:
    from agents.python_random import MirroredRandom

    generator, twin = random.Random(7), random.Random(7)
    mirror = MirroredRandom(twin)
    options = [list(range(n)) for n in (1, 2, 3, 5, 8, 9, 17)]
    expected = [(generator.choice(o), generator.random()) for o in options * 300]
    assert [(mirror.choice(o), mirror.random()) for o in options * 300] == expected
    mirror.copy_to(twin)
    assert twin.getstate() == generator.getstate()
    with pytest.raises(AttributeError):
        mirror.shuffle(options)  # type: ignore[attr-defined]


def test_the_kernels_generator_is_one_stream_copied_once() -> None:
    """Python draws, two kernels' draws and Python draws again are the generator's own
    stream, its state copied into arrays once; anything else asked of it sees the
    state reached."""
    from agents.python_random import KernelRandom, python_state, random_float

    class Owner:
        random = random.Random(11)

    generator, expected = Owner.random, random.Random(11)
    options = [3, 1, 4, 1, 5]
    stand_in = Owner.random = KernelRandom(generator)  # type: ignore[assignment]
    assert stand_in.random() == expected.random()
    assert stand_in.mirror is None  # no kernel yet: the generator itself draws
    for _ in range(2):  # two kernels, one copy
        with python_state(Owner) as mirror:
            assert mirror is stand_in.arrays()
            kernel_draws = [random_float(mirror.mt, mirror.cursor, mirror.backup)]
        assert kernel_draws == [expected.random()]
    assert stand_in.choice(options) == expected.choice(options)  # from the arrays now
    assert stand_in.random() == expected.random()
    assert stand_in.mirror is not None  # kept in arrays
    assert stand_in.getstate() == expected.getstate()  # put back first
    assert stand_in.mirror is None and generator.getstate() == expected.getstate()
    with python_state(Owner):
        pass
    stand_in.shuffle(options)  # anything else: the generator's own
    expected.shuffle(shuffled := [3, 1, 4, 1, 5])
    assert options == shuffled and generator.getstate() == expected.getstate()
    Owner.random = generator
    with python_state(Owner) as mirror:  # a plain generator: copied in and out around it
        assert Owner.random is mirror
        mirror.random()
    expected.random()
    assert Owner.random is generator and generator.getstate() == expected.getstate()


@pytest.mark.parametrize("bounded", [False, True])
def test_the_diffusion_kernel_is_the_numpy_diffusion_to_the_last_bit(bounded: bool) -> None:
    from sim.kernel_fields import diffuse

    square = np.random.default_rng(3).random((13, 9)) ** 4
    expected = square.copy()
    diffuse_in_place(expected, 0.37, bounded)
    diffuse(square, 0.37, bounded)
    assert np.array_equal(square, expected)


@pytest.mark.parametrize(("bounded", "factor"), [(False, 1.0), (True, 1.0), (False, 0.3)])
def test_the_fields_kernel_is_the_numpy_step_to_the_last_bit(bounded: bool, factor: float) -> None:
    """``kernel_fields.step_fields`` is ``geometry.step_fields``: releases (several at one
    site, tocilizumab's factor), diffusion and decay give the same fields, bit for bit."""
    from sim.geometry import step_fields as numpy_step
    from sim.kernel_fields import step_fields as kernel_step

    rng = np.random.default_rng(5)
    cytokine, antigen = rng.random((13, 9)) ** 4, rng.random(13 * 9)
    released = np.column_stack([rng.integers(0, 13 * 9, 40), rng.random(40), rng.random(40)])
    released[5:9, 0] = 17  # one site released into four times, in order
    fields = (cytokine.copy(), antigen.copy())
    totals = numpy_step(*fields, released, factor, 0.37, 0.9, 0.8, bounded)
    assert kernel_step(cytokine, antigen, released, factor, 0.37, 0.9, 0.8, bounded) == totals
    assert np.array_equal(cytokine, fields[0]) and np.array_equal(antigen, fields[1])
    assert totals == (cytokine.sum(), antigen.sum())


def test_a_generator_let_go_of_is_held_again_at_its_own_state() -> None:
    """Only the latest generators' addresses are kept (sim.kernel_generator.KEPT): one
    asked for again after others is read again, and draws from its own state, not from
    a generator held since."""
    from sim import kernels
    from sim.kernel_generator import KEPT, held

    layer = np.zeros(100, dtype=np.int8)
    models = [np.random.default_rng(seed) for seed in range(KEPT + 2)]
    twins = [np.random.default_rng(seed) for seed in range(KEPT + 2)]
    for _ in range(3):
        for rng, twin in zip(models, twins, strict=True):
            got = kernels.empty_sites(layer, 7, held(rng))
            assert np.array_equal(got[0], kernels.empty_sites(layer, 7, twin)[0])
    assert all(rng.random() == twin.random() for rng, twin in zip(models, twins, strict=True))


def test_the_permutation_kernels_draw_what_numpy_draws() -> None:
    from sim.kernel_shuffle import permutation, shuffle_in_place

    ours, numpys = np.random.default_rng(11), np.random.default_rng(11)
    for count in (0, 1, 2, 3, 8, 257, 4000):
        assert np.array_equal(permutation(count, ours), numpys.permutation(count)), count
        values = np.arange(count, dtype=np.int64) * 3 + 1
        expected = numpys.permutation(values)
        shuffle_in_place(values, ours)
        assert np.array_equal(values, expected), count
        assert ours.random() == numpys.random()  # the generators stay in step


def test_an_unknown_engine_is_refused_and_the_command_offers_every_engine() -> None:
    import main

    with pytest.raises(UserInputError, match="'fast'"):
        make_engine("fast")
    _, commands = main.build_parser()
    run = commands.choices["run"]
    engine = next(action for action in run._actions if action.dest == "engine")
    assert tuple(engine.choices) == ENGINES


def test_every_module_of_kernels_is_in_the_cache_stamp() -> None:
    """A module with numba kernels (or intrinsics, numba code generated in Python) left
    out of KERNEL_SOURCES would, once edited, leave its callers' cached machine code
    stale."""
    from sim.kernel_cache import KERNEL_SOURCES, ROOT

    with_kernels = {
        path.relative_to(ROOT).as_posix()
        for folder in ("agents", "sim")
        for path in (ROOT / folder).glob("*.py")
        if "@njit" in (text := path.read_text(encoding="utf-8")) or "@intrinsic" in text
    }
    assert with_kernels == set(KERNEL_SOURCES)


def test_an_edited_kernel_source_drops_the_cached_machine_code(tmp_path: Path) -> None:
    from sim.kernel_cache import KERNEL_SOURCES, ROOT, drop_stale_kernel_caches

    for source in KERNEL_SOURCES:
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / source, tmp_path / source)
    cached = tmp_path / "agents" / "__pycache__" / "car_t_cell_kernels.interact-1.py312.nbi"
    cached.parent.mkdir()
    drop_stale_kernel_caches(tmp_path)
    cached.write_bytes(b"machine code")
    assert not drop_stale_kernel_caches(tmp_path)  # nothing changed: kept
    assert cached.exists()
    with (tmp_path / "agents" / "native_t_cell_kernels.py").open("a") as source:
        source.write("\n# an edit\n")
    assert drop_stale_kernel_caches(tmp_path)
    assert not cached.exists()


def test_a_held_generator_is_the_generator_itself() -> None:
    """A kernel given the model's generator held (sim.kernel_generator, a cheap kernel
    argument) draws what it draws given the generator, from the same state."""
    from sim import kernels
    from sim.kernel_generator import held

    layer = np.zeros(400, dtype=np.int8)
    layer[np.random.default_rng(1).choice(400, size=300, replace=False)] = 1
    plain, wrapped = np.random.default_rng(7), np.random.default_rng(7)
    assert held(wrapped) is held(wrapped)
    for count in (1, 5, 40, 90):
        expected = kernels.empty_sites(layer, count, plain)
        got = kernels.empty_sites(layer, count, held(wrapped))
        assert got[1] == expected[1]
        assert np.array_equal(got[0], expected[0])
        assert wrapped.random() == plain.random()  # numpy's own draws go on from the same state


def test_the_choice_kernel_chooses_what_numpy_chooses() -> None:
    """``kernel_shuffle.choice`` is ``rng.choice(n, size, replace=False)``: the same
    numbers and the same generator state after, by Floyd's algorithm and by the tail
    shuffle numpy uses for large populations, after a draw that left half a 64-bit word."""
    from sim.kernel_shuffle import choice

    cases = [(0, 0), (1, 1), (2, 1), (7, 7), (100, 3), (9999, 400), (10_001, 200), (10_001, 201)]
    cases += [(30_000, 900), (30_000, 30_000), (4096, 4000), (70_000, 5)]
    for seed, (population, size) in enumerate(cases):
        numpy_rng, kernel_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        numpy_rng.integers(0, 5)  # 32 bits of the next word kept for the next 32-bit draw
        kernel_rng.integers(0, 5)
        expected = numpy_rng.choice(population, size=size, replace=False)
        assert choice(population, size, kernel_rng).tolist() == expected.tolist()
        assert numpy_rng.bit_generator.state == kernel_rng.bit_generator.state


@pytest.mark.parametrize("engine", ENGINES)
def test_a_car_t_cells_own_numbers_are_the_t_cell_tables(engine: str) -> None:
    """A CAR T-cell's engaged hours, generation and last kill live in the tissue's table
    of T-cells (where the kernels change them), on both engines: what the cell is given
    is in its row, what its row is given the cell reads, and a reused row starts fresh."""
    from model_builders import empty_model

    from agents.car_t_cell import CarTCell
    from sim.t_cell_table import NEVER

    model = empty_model(engine=engine)
    table = model.tissue.t_cells
    cell = CarTCell(model, 3, engaged_hours=2.5)
    assert (table.engaged[cell.row], table.generation[cell.row]) == (2.5, 0)
    assert cell.last_kill_step is None and table.last_kill[cell.row] == NEVER
    cell.generation, cell.last_kill_step = 4, 17
    assert (table.generation[cell.row], table.last_kill[cell.row]) == (4, 17)
    table.engaged[cell.row] += 0.125  # as a kernel adds a quiet call's hours
    assert cell.engaged_hours == 2.625 and type(cell.engaged_hours) is float
    row = cell.row
    cell.die()
    table.recycle()
    daughter = CarTCell(model, 5)
    assert daughter.row == row
    assert (daughter.engaged_hours, daughter.generation, daughter.last_kill_step) == (0, 0, None)


@pytest.mark.parametrize("boost", [True, False])
def test_the_fates_kernel_draws_the_divisions_and_deaths_the_model_draws(boost: bool) -> None:
    """``kernel_fates.fates`` (compiled) is ``CarTModel.fates`` (reference): on a 7x7
    tissue of effectors, memory and naive cells, the same rows divide (in the boost) and
    die, and the model's generator ends in the same state; with short lives and a fast
    boost, some cells do each, so the test fails if either rule goes missing."""
    from model_builders import empty_model

    from agents.car_t_cell import CarTCell
    from agents.native_t_cell import NativeTCell
    from sim import compiled

    model = empty_model(
        [
            "car_t.effector_half_life_days=0.05",
            "car_t.memory_half_life_days=0.05",
            "car_t.homeostatic_division_rate_per_day=10.0",
        ]
    )
    for site in range(0, 49, 2):
        if site % 3 == 0:
            NativeTCell(model, site)
        else:
            CarTCell(model, site, state="memory" if site % 5 == 0 else "effector")
    model.therapy.homeostatic_boost_until_step = model.step_count + (1 if boost else -1)
    table = model.tissue.t_cells
    table.kind[table.live_rows()[3]] = 0  # a cell that died in this step's encounters
    rows = table.live_rows()
    state = model.rng.bit_generator.state
    dividing, dying = model.fates(rows)
    after = model.rng.bit_generator.state
    model.rng.bit_generator.state = state
    compiled_dividing, compiled_dying = compiled.fates(model, rows)
    assert compiled_dividing.tolist() == dividing.tolist()
    assert compiled_dying.tolist() == dying.tolist()
    assert model.rng.bit_generator.state == after
    assert dying.size > 0 and (dividing.size > 0) == boost


def test_the_encounter_kernels_rule_numbers_follow_a_change_of_parameters() -> None:
    """The numbers the encounter kernels read (``sim.compiled.rule_arrays``) are read once
    while nothing they read changes, and again when the parameters are replaced (the
    live view's teaching switch), so a compiled run follows the change."""
    from model_builders import empty_model

    from sim import compiled

    model = empty_model([], 1, "compiled")
    native, car_t = compiled.rule_arrays(model)
    assert compiled.rule_arrays(model)[0] is native
    enabled = model.parameters.teaching.enabled
    assert native[1] == float(enabled)
    model.set_teaching(not enabled)
    changed, car_t_now = compiled.rule_arrays(model)
    assert changed[1] == float(not enabled)
    np.testing.assert_array_equal(changed, compiled._native_rule(model))
    np.testing.assert_array_equal(car_t_now, car_t)
