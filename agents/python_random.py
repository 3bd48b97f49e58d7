"""Python's own random numbers (``random.Random.random``), drawn in compiled code.

The rules draw from the model's Python generator (``self.random``, a Mersenne Twister,
MT19937). The compiled engine settles some of the rules' quiet calls in numba; to keep
the run the reference run, number for number, it draws from the *same* generator: it
copies the generator's state in (``random.Random.getstate``), draws here exactly as
CPython does (``genrand_uint32`` and ``random_random`` of ``Modules/_randommodule.c``),
and copies it back (``setstate``). ``tests/test_engines.py`` checks these draws
against ``random.Random`` itself.

On the compiled engine the model's generator is a :class:`KernelRandom`: once a kernel
has needed the state as arrays (:func:`python_state`), a rule that runs in Python draws
from a :class:`MirroredRandom` over those arrays too (``random`` and ``choice``, the only
draws the rules make), and the state goes back into the generator only when something
else is asked of it.

The state is three arrays: ``mt`` (624 words, as int64), ``cursor`` (``[position,
position at the start of the present cell, 1 if mt was regenerated since]``) and
``backup`` (``mt`` before that regeneration), so a cell's draws can be taken back
(:func:`rewind`) when its rule must run in Python after all.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np
from numba import njit

WORDS = 624
SHIFT = 397
MATRIX_A = 0x9908B0DF
UPPER_MASK = 0x80000000
LOWER_MASK = 0x7FFFFFFF


@njit(cache=True)
def _twist(mt: np.ndarray, kk: int, other: int, following: int) -> None:
    y = (mt[kk] & UPPER_MASK) | (mt[following] & LOWER_MASK)
    mt[kk] = mt[other] ^ (y >> 1) ^ (MATRIX_A if y & 1 else 0)


@njit(cache=True)
def _regenerate(mt: np.ndarray) -> None:
    """The next 624 words (CPython's ``genrand_uint32`` when its index reaches N)."""
    for kk in range(WORDS - SHIFT):
        _twist(mt, kk, kk + SHIFT, kk + 1)
    for kk in range(WORDS - SHIFT, WORDS - 1):
        _twist(mt, kk, kk + SHIFT - WORDS, kk + 1)
    _twist(mt, WORDS - 1, SHIFT - 1, 0)


@njit(cache=True)
def next_word(mt: np.ndarray, cursor: np.ndarray, backup: np.ndarray) -> int:
    """One 32-bit word, tempered (CPython's ``genrand_uint32``)."""
    if cursor[0] >= WORDS:
        if cursor[2] == 0:
            backup[:] = mt
            cursor[2] = 1
        _regenerate(mt)
        cursor[0] = 0
    y = mt[cursor[0]]
    cursor[0] += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    return y


@njit(cache=True)
def random_float(mt: np.ndarray, cursor: np.ndarray, backup: np.ndarray) -> float:
    """``random.Random.random()``: a float in [0, 1) from two words (53 bits)."""
    a = next_word(mt, cursor, backup) >> 5
    b = next_word(mt, cursor, backup) >> 6
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def mark(cursor: np.ndarray) -> None:
    """A cell's draws start here (what :func:`rewind` goes back to)."""
    cursor[1] = cursor[0]
    cursor[2] = 0


@njit(cache=True)
def rewind(mt: np.ndarray, cursor: np.ndarray, backup: np.ndarray) -> None:
    """Take back the draws made since :func:`mark`."""
    if cursor[2] == 1:
        mt[:] = backup
        cursor[2] = 0
    cursor[0] = cursor[1]


@njit(cache=True)
def below(n: int, mt: np.ndarray, cursor: np.ndarray, backup: np.ndarray) -> int:
    """A whole number in [0, n) (CPython's ``_randbelow_with_getrandbits``, for n below
    2**32): ``getrandbits(k)`` with k the bit length of n, drawn again until below n."""
    k = 0
    while (n >> k) > 0:
        k += 1
    r = next_word(mt, cursor, backup) >> (32 - k)
    while r >= n:
        r = next_word(mt, cursor, backup) >> (32 - k)
    return r


Item = TypeVar("Item")


class MirroredRandom:
    """Stands in for a ``random.Random`` (the model's ``random``) and draws exactly what
    it would, from the state arrays ``mt``, ``cursor`` and ``backup``; the rules'
    draws made in Python and in the kernels are then one stream.

    Only :meth:`random` and :meth:`choice` exist: any other method fails loudly.
    """

    def __init__(self, generator: random.Random) -> None:
        self.version, words, self.gauss = generator.getstate()
        self.mt = np.array(words[:-1], dtype=np.int64)
        self.cursor = np.array([words[-1], 0, 0], dtype=np.int64)
        self.backup = np.empty_like(self.mt)

    def random(self) -> float:
        """``random.Random.random``."""
        return random_float(self.mt, self.cursor, self.backup)

    def choice(self, seq: Sequence[Item]) -> Item:
        """``random.Random.choice``."""
        if not len(seq):  # as CPython (seq may be a numpy array)
            raise IndexError("Cannot choose from an empty sequence")
        return seq[below(len(seq), self.mt, self.cursor, self.backup)]

    def copy_to(self, generator: random.Random) -> None:
        """Put the state reached here into ``generator``."""
        words = (*self.mt.tolist(), int(self.cursor[0]))
        generator.setstate((self.version, words, self.gauss))


class KernelRandom:
    """The model's Python generator on the compiled engine: it draws from ``generator``
    itself until a kernel first needs the state as arrays (:meth:`arrays`), then from
    those arrays (a :class:`MirroredRandom`), for the rest of the step and the steps
    after, the rules run in Python included, so the state is not copied in and out
    (``getstate``/``setstate``, 625 words each) around every kernel call, nor every
    step. Anything else asked of it (``getstate``, ``shuffle``, ...) first puts the state
    back into ``generator`` (:meth:`settle`) and is then asked of ``generator``: every
    reader sees the one stream.
    """

    def __init__(self, generator: random.Random) -> None:
        self.generator = generator
        self.mirror: MirroredRandom | None = None

    def arrays(self) -> MirroredRandom:
        """The state as arrays, for a kernel (copied in if Python's generator has it)."""
        if self.mirror is None:
            self.mirror = MirroredRandom(self.generator)
        return self.mirror

    def random(self) -> float:
        """``random.Random.random``."""
        mirror = self.mirror
        return self.generator.random() if mirror is None else mirror.random()

    def choice(self, seq: Sequence[Item]) -> Item:
        """``random.Random.choice``."""
        mirror = self.mirror
        return self.generator.choice(seq) if mirror is None else mirror.choice(seq)

    def settle(self) -> random.Random:
        """Put the state reached into ``generator`` (copied out if it is in arrays) and
        return it."""
        if self.mirror is not None:
            self.mirror.copy_to(self.generator)
            self.mirror = None
        return self.generator

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") or name in ("generator", "mirror"):
            raise AttributeError(name)  # pickling and copying look for these
        return getattr(self.settle(), name)


class DrawsPython(Protocol):
    """Anything holding a Python generator in ``random`` (the model)."""

    random: random.Random


class python_state:  # lower case: used like a function, in a with statement
    """The state of ``owner.random`` as arrays, for a kernel and for the rules run in
    Python while it works: on the compiled engine, the model's :class:`KernelRandom`'s
    (no copy if a kernel had it last); otherwise copied into a :class:`MirroredRandom`,
    which stands in for ``owner.random`` inside the block, and back at its end.

    ``with python_state(model) as mirror:``. A class rather than a generator under
    ``contextlib.contextmanager``, whose every entry and exit cost about 2 µs: the
    compiled engine enters it a few times a step."""

    __slots__ = ("_generator", "_mirror", "_owner")

    def __init__(self, owner: DrawsPython) -> None:
        self._owner = owner
        self._generator = owner.random
        self._mirror: MirroredRandom | None = None

    def __enter__(self) -> MirroredRandom:
        generator = self._generator
        if isinstance(generator, KernelRandom):
            return generator.arrays()
        self._mirror = MirroredRandom(generator)
        self._owner.random = self._mirror  # type: ignore[assignment]
        return self._mirror

    def __exit__(self, *exc_info: object) -> None:
        if self._mirror is not None:
            self._owner.random = self._generator
            self._mirror.copy_to(self._generator)
