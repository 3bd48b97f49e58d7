"""numpy's ``Generator`` handed to the compiled engine's kernels at a small cost.

numba types and unboxes a ``numpy.random.Generator`` argument in Python at every call
(``typeof`` falls back to Python for it, and the unboxing imports ``ctypes`` and casts
three function pointers): about 10-15 µs a call, against about 0.1 µs for an array. A
kernel called a few times a step with the model's ``rng`` paid that each time.
:func:`held` wraps the generator once in a numba structure (a ``StructRef``, built by a
cached kernel) that kernels take instead; :func:`generator_of` gives them the
generator inside, or the generator itself when they are called with one (the tests
do). The draws are the generator's own: the structure points at the same generator
and bit generator, so numpy and the kernels share one state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, types
from numba.core.extending import overload
from numba.experimental import structref


@structref.register
class HeldGeneratorType(types.StructRef):
    """numba's type of :class:`HeldGenerator`: one field, ``rng``."""

    def preprocess_fields(self, fields: tuple) -> tuple:
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class HeldGenerator(structref.StructRefProxy):
    """A numpy ``Generator`` as a kernel argument (made by :func:`held`)."""


structref.define_boxing(HeldGeneratorType, HeldGenerator)
HELD_GENERATOR = HeldGeneratorType(
    [("rng", types.NumPyRandomGeneratorType("NumPyRandomGeneratorType"))]
)


@njit(cache=True)
def _hold(rng: np.random.Generator) -> HeldGenerator:
    holder = structref.new(HELD_GENERATOR)
    holder.rng = rng
    return holder


_LATEST: list[tuple[np.random.Generator, HeldGenerator]] = []
KEPT = 2
"""Generators whose structures are kept (two models stepped in turn: the live view's
side by side, the benchmark's engines)."""


def held(rng: np.random.Generator) -> HeldGenerator:
    """``rng`` as a kernel argument (the same structure for the same generator, while
    it is among the :data:`KEPT` latest asked for)."""
    for source, holder in _LATEST:
        if source is rng:
            return holder
    holder = _hold(rng)
    _LATEST.insert(0, (rng, holder))
    del _LATEST[KEPT:]
    return holder


def generator_of(source: np.random.Generator | HeldGenerator) -> np.random.Generator:
    """In a kernel: the generator of a :class:`HeldGenerator`, or ``source`` itself."""
    return source  # type: ignore[return-value]  # Python callers pass a Generator


@overload(generator_of)
def _generator_of(source) -> Callable[[object], object]:
    # numba's typing of an overload (its argument, a numba type) and its implementation
    # (the lambdas) must have the same parameters, annotations included: none here
    if isinstance(source, HeldGeneratorType):
        return lambda source: source.rng
    return lambda source: source
