"""The names of the engines a model can be stepped with, without importing either.

Commands and batch specs name an engine before any model exists; this module holds the
names and their check so that ``--help`` and a batch's plan import neither numpy's step
nor numba (:mod:`sim.engine` builds the engine itself).
"""

from __future__ import annotations

from sim.errors import UserInputError

ENGINES = ("reference", "compiled")
"""The engines a model can be stepped with (:mod:`sim.engine`)."""
DEFAULT_ENGINE = "reference"
"""A model's engine unless told (``CarTModel``, the live view): the readable rules;
``compiled`` gives the same run, bit for bit (``docs/engine.md``)."""
STUDY_ENGINE = "compiled"
"""The engine of the commands that run the model many times (``batch``, ``compare``,
``validate``, ``sensitivity``) unless told: the same runs as the reference, bit for bit,
in a fraction of the CPU (``docs/engine.md``); ``--engine reference`` runs the readable
rules. A batch being resumed keeps the engine it was started with. A single ``run`` and
the live view start without numba (:data:`DEFAULT_ENGINE`)."""


def check_engine(name: object, where: str = "--engine") -> str:
    """``name`` if it is one of :data:`ENGINES`; otherwise a one-line UserInputError."""
    if name not in ENGINES:
        raise UserInputError(f"{where} {name!r}: choose one of {', '.join(ENGINES)}")
    return str(name)
