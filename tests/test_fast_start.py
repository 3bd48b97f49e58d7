"""What starting the program loads: ``main.py --help`` and the commands that do not
simulate load no heavy library, and only the compiled engine loads numba.

Each check runs in a fresh interpreter (``sys.modules`` of the test process is shared).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "dask", "SALib", "pygame", "numba", "mesa")


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The ``names`` among the modules loaded after running ``code`` in a new interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="."
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import contextlib, io, main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main.main(['--help'])"
    )
    assert _loaded_after(code, HEAVY) == []


@pytest.mark.parametrize("command", ["scenarios", "run --help", "compare --help"])
def test_commands_that_do_not_simulate_load_no_numba(command: str) -> None:
    code = (
        "import contextlib, io, main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main.main({command.split()!r})"
    )
    assert _loaded_after(code, ("numba",)) == []


def test_the_live_view_and_the_reference_engine_load_no_numba() -> None:
    code = (
        "import viz.live.app\n"
        "from sim.loader import load_scenario\n"
        "from sim.model import CarTModel\n"
        "model = CarTModel(load_scenario('classroom'), 1)\n"
        "model.step()"
    )
    assert _loaded_after(code, ("numba",)) == []
