"""Ready an engine before a command's runs: the compiled engine's kernels compiled once
on a machine, in the command's own process, saying so.

numba compiles a kernel at its first call and keeps its machine code
(:mod:`sim.kernel_cache`). Left to the runs, a batch's first workers would each compile
every kernel at once; :func:`prepare_engine` compiles them first, with a line saying why
the command pauses, and only when numba's cache does not hold them.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.engine_choice import check_engine

COMPILE_RUN = (
    "grid.width=20",
    "grid.height=20",
    "car_t.dose_per_10k_sites=500.0",
    "native_t.normal_fraction=0.1",
    "therapy.manufacturing_median_days=2.0",
    "therapy.manufacturing_min_days=1.0",
    "therapy.manufacturing_max_days=3.0",
    "therapy.bridging_days=[]",
    "car_t.chemotaxis_bias=0.5",
)
"""Overrides of ``autologous`` for a tiny run that calls every kernel (infused on day 2,
with chemotaxis): :func:`compile_kernels`."""


def prepare_engine(name: str, say: Callable[[str], None]) -> None:
    """Ready the engine ``name`` for the runs of this process and the workers it starts:
    for the compiled engine, compile its kernels now if this machine's cache does not hold
    them, saying so first with ``say`` (once per machine: the workers then load them
    rather than each compiling them at once)."""
    if check_engine(name, "engine") != "compiled":
        return
    from sim import compiled  # noqa: F401  # drops stale cached kernels first
    from sim.kernel_cache import kernels_cached

    if not kernels_cached():
        say(
            "compiling the compiled engine's kernels: once on this machine, under a minute "
            "(--engine reference runs the same numbers without them)"
        )
        compile_kernels()


def compile_kernels(days: int = 6) -> None:
    """Compile every kernel now (or load it from numba's cache) by stepping a tiny
    compiled model (:data:`COMPILE_RUN`) for ``days`` days."""
    from sim.loader import load_scenario
    from sim.model import CarTModel

    model = CarTModel(load_scenario("autologous", COMPILE_RUN), 1, engine="compiled")
    for _ in range(days):
        model.run_day()
