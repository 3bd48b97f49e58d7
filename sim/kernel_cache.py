"""The compiled engine's kernels on this machine: numba's cache of their machine code.

Each kernel is compiled at its first call and its machine code kept beside its source
(``__pycache__``; numba's ``cache=True``), so later processes load it. Here: the list of
every module of kernels, the check that drops cached code gone stale when any kernel
source changed (:func:`drop_stale_kernel_caches`), and whether the cache holds the
kernels (:func:`kernels_cached`; :mod:`sim.engine_setup` compiles them before a
command's runs when it does not).

Imported only with the compiled engine (it imports numba).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba

from agents import (
    car_t_cell_division_kernels,
    car_t_cell_kernels,
    cell_kernels,
    healthy_b_cell_kernels,
    leukaemic_blast_kernels,
    native_t_cell_kernels,
    python_random,
)
from sim import (
    event_heap,
    kernel_empty_sites,
    kernel_fates,
    kernel_fields,
    kernel_generator,
    kernel_shuffle,
    kernel_t_cell_rows,
    kernels,
    resident_births,
    resident_rows,
    residual_kernels,
)
from sim.atomic_files import write_text_atomically

ROOT = Path(__file__).resolve().parent.parent
KERNEL_SOURCES = tuple(
    Path(module.__file__).relative_to(ROOT).as_posix()  # type: ignore[arg-type]
    for module in (
        python_random,
        cell_kernels,
        native_t_cell_kernels,
        car_t_cell_kernels,
        car_t_cell_division_kernels,
        leukaemic_blast_kernels,
        healthy_b_cell_kernels,
        event_heap,
        resident_rows,
        resident_births,
        residual_kernels,
        kernel_empty_sites,
        kernel_shuffle,
        kernel_fates,
        kernel_t_cell_rows,
        kernel_generator,
        kernel_fields,
        kernels,
    )
)
"""Every module of kernels, relative to the project's root."""


def drop_stale_kernel_caches(root: Path = ROOT) -> bool:
    """Delete the kernels' cached machine code if any kernel source changed since it was
    written; returns whether it did.

    numba checks only the file of a cached function, not the kernels it calls from
    other modules, so an edit to a rule kernel would leave its caller's cached code
    stale. A hash of all the kernel sources is kept beside the caches to catch that.
    """
    digest = hashlib.sha256()
    for source in KERNEL_SOURCES:
        digest.update((root / source).read_bytes())
    folders = [root / Path(source).parent / "__pycache__" for source in KERNEL_SOURCES]
    if numba.config.CACHE_DIR:
        folders.append(Path(numba.config.CACHE_DIR))
    stamp = root / "sim" / "__pycache__" / "kernel_sources.sha256"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return False
    stems = tuple(Path(source).stem + "." for source in KERNEL_SOURCES)
    for folder in dict.fromkeys(folders):
        for cached in folder.rglob("*.nb[ic]") if folder.is_dir() else ():
            if cached.name.startswith(stems):
                cached.unlink(missing_ok=True)
    try:
        stamp.parent.mkdir(exist_ok=True)
        write_text_atomically(stamp, digest.hexdigest())
    except OSError:  # a read-only install: numba keeps its caches elsewhere then
        return False
    return True


def kernels_cached() -> bool:
    """Whether numba's cache holds the step's kernels (their index beside the sources, or
    in ``NUMBA_CACHE_DIR``), so a run loads them rather than compiling them (20-45 s of
    CPU, measured on a 2-core machine, idle and busy)."""
    try:
        index = Path(kernels.settle_encounters._cache._cache_file._index_path)
    except AttributeError:  # another numba: say nothing, compile at first use
        return True
    return index.is_file()
