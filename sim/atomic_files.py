"""Every file cartsim writes appears whole or not at all: a temporary name, then a rename.

A file is written under a temporary name in its own folder (so the rename stays on one
file system and is atomic), flushed to disk, and renamed onto its final name only once
complete. A full disk, a lost permission, Ctrl-C or SIGTERM while writing leaves the
previous file (or none) and removes the temporary one; never a truncated file.

Used by every writer of the project: a run's results (:mod:`sim.outputs`), a batch's
parts, tables and manifest (:mod:`study.batch`), the sensitivity design and tables, the
validation tables, every figure, the comparison report, screenshots and recordings.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

TEMP_MARKER = ".tmp-"
"""Written files first get a temporary name holding this marker, then are renamed."""


def temporary_name(path: Path, keep_suffix: bool = False) -> Path:
    """The temporary name ``path`` is written under, in the same folder.

    ``keep_suffix`` keeps the file's extension last (``report.tmp-123.png``), for writers
    that choose the format from the name (pygame, imageio); otherwise the marker is
    appended (``report.png.tmp-123``).
    """
    marker = f"{TEMP_MARKER}{os.getpid()}"
    if keep_suffix and path.suffix:
        return path.with_name(f"{path.stem}{marker}{path.suffix}")
    return path.with_name(f"{path.name}{marker}")


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` naming the final ``path`` (not the temporary one the user never gave)."""
    code = error.errno if error.errno is not None else errno.EIO
    return OSError(code, error.strerror or str(error), str(path))


@contextlib.contextmanager
def atomic_path(path: Path, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` only if the block succeeds.

    On any failure (an OSError, Ctrl-C, SIGTERM raised as KeyboardInterrupt) the
    temporary file is removed and ``path`` is left as it was. An OSError is re-raised
    naming ``path``, so a message says which file could not be written.
    """
    path = Path(path)
    temporary = temporary_name(path, keep_suffix)
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise _naming(error, path) from error
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and a rename: all or nothing."""
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path``, all or nothing (:func:`write_bytes_atomically`)."""
    write_bytes_atomically(path, text.encode("utf-8"))
