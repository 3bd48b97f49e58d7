"""numpy's ``Generator`` handed to the compiled engine's kernels at a small cost.

numba types and unboxes a ``numpy.random.Generator`` argument in Python at every call
(``typeof`` falls back to Python for it, and the unboxing imports ``ctypes`` and casts
three function pointers): about 10-15 µs a call, against about 0.1 µs for an array. A
kernel called a few times a step with the model's ``rng`` paid that each time.

:func:`held` reads, once per generator, what numba's unboxing reads at every call: the
addresses of the bit generator's state and of its three ``next_*`` functions
(``bit_generator.ctypes``). It hands them to kernels as a small ``uint64`` array (a
:data:`HeldGenerator`), which numba passes like any array; :func:`generator_of` turns
them back into numba's generator inside the kernel (:func:`_generator_at`, the struct
numba's unboxing builds, without the Python object), or gives the generator itself when
a kernel is called with one (the tests do). The draws are the generator's own: the
addresses are its state's and its functions', so numpy and the kernels share one state.

(The first version wrapped the generator in a numba ``StructRef``: about 2 µs a call
to unbox, against about 0.15 µs for the array, at five to seven calls a step.)
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic, overload

HeldGenerator = np.ndarray
"""A generator as a kernel argument (made by :func:`held`): ``uint64`` addresses of its
bit generator's state address, state, ``next_uint64``, ``next_uint32``, ``next_double``
and bit generator, in the order of numba's bit generator structure."""

_GENERATOR = types.NumPyRandomGeneratorType("NumPyRandomGeneratorType")
_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")
_ADDRESSES = types.Array(types.uint64, 1, "C")
_FIELDS = (
    "state_address",
    "state",
    "fnptr_next_uint64",
    "fnptr_next_uint32",
    "fnptr_next_double",
    "bit_generator",
)


def addresses_of(rng: np.random.Generator) -> HeldGenerator:
    """What numba's unboxing reads from ``rng`` (``bit_generator.ctypes``), as the
    ``uint64`` array :func:`_generator_at` reads, in :data:`_FIELDS` order."""
    binding = rng.bit_generator.ctypes

    def address(pointer: object) -> int:
        return ctypes.cast(pointer, ctypes.c_void_p).value or 0  # type: ignore[arg-type]

    return np.array(
        [
            binding.state_address,
            address(binding.state),
            address(binding.next_uint64),
            address(binding.next_uint32),
            address(binding.next_double),
            address(binding.bit_generator),
        ],
        dtype=np.uint64,
    )


@intrinsic
def _generator_at(typingctx: object, addresses: types.Type) -> tuple | None:
    """In a kernel: numba's generator at ``addresses`` (:func:`addresses_of`). Its
    Python object and memory record are null: the kernel's draws need only the state
    and the functions; the caller's ``rng`` keeps them alive."""
    if addresses != _ADDRESSES:
        return None

    def codegen(context, builder, signature, arguments):  # type: ignore[no-untyped-def]
        array = context.make_array(signature.args[0])(context, builder, arguments[0])
        bit_generator = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        for index, name in enumerate(_FIELDS):  # uint64 words: uintp on a 64-bit machine
            word = builder.load(cgutils.gep_inbounds(builder, array.data, index))
            setattr(bit_generator, name, word)
        generator = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
        generator.bit_generator = bit_generator._getvalue()
        return generator._getvalue()

    return _GENERATOR(addresses), codegen


_LATEST: list[tuple[np.random.Generator, HeldGenerator]] = []
KEPT = 2
"""Generators whose addresses are kept (two models stepped in turn: the live view's
side by side, the benchmark's engines)."""


def held(rng: np.random.Generator) -> HeldGenerator:
    """``rng`` as a kernel argument (the same array for the same generator, while it is
    among the :data:`KEPT` latest asked for). Hand it to a kernel while ``rng`` lives."""
    for source, holder in _LATEST:
        if source is rng:
            return holder
    holder = addresses_of(rng)
    _LATEST.insert(0, (rng, holder))
    del _LATEST[KEPT:]
    return holder


def generator_of(source: np.random.Generator | HeldGenerator) -> np.random.Generator:
    """In a kernel: the generator a :data:`HeldGenerator` points at, or ``source``
    itself."""
    return source  # type: ignore[return-value]  # Python callers pass a Generator


@overload(generator_of)
def _generator_of(source) -> Callable[[object], object]:
    # numba's typing of an overload (its argument, a numba type) and its implementation
    # (the lambdas) must have the same parameters, annotations included: none here
    if source == _ADDRESSES:
        return lambda source: _generator_at(source)
    return lambda source: source
