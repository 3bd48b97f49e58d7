"""The one set of limits on user input: the command line, scenario files and experiment files.

Every number, name and file a user gives is checked against these limits where it enters
(:mod:`commands`, :mod:`sim.loader`, :mod:`study.experiment`, :mod:`study.batch.spec`), so
a mistake is one line (:class:`~sim.errors.UserInputError`, exit status 2) before anything
runs, never a traceback, a command that never ends or memory filled with seeds. The
README's "Limits" section lists them; a test keeps it in step.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from sim.errors import UserInputError

MAX_DAYS = 3650
"""Longest run, days (``--days``, ``time.days``, an experiment's ``days``): ten years."""
MIN_HOURS_PER_STEP = 0.1
"""Shortest step, hours (``time.hours_per_step``): 240 steps a day."""
MAX_SEED = 2**63 - 1
"""Largest seed (``run --seed``, a batch's root seed): a non-negative int64."""
MAX_REPLICATES = 100_000
"""Most replicates per scenario and sweep cell (``--replicates``, ``replicates``)."""
MAX_RUNS = 1_000_000
"""Most runs in one batch (scenarios x sweep cells x replicates)."""
MAX_WORKERS = 1024
"""Most worker processes (``--workers``, ``--dask-local``)."""
MAX_NAME_BYTES = 255
"""Longest file or folder name, bytes of UTF-8 (what Linux and macOS file systems allow)."""
MAX_PATH_BYTES = 4096
"""Longest path, bytes of UTF-8."""
MAX_NESTING_DEPTH = 8
"""Deepest nesting of tables, arrays and dotted keys in a file, a ``--set`` or a ``--sweep``."""
MAX_FILE_BYTES = 1_000_000
"""Largest scenario or experiment file, bytes."""
MAX_OPTION_CHARS = 10_000
"""Longest ``--set`` or ``--sweep`` text, characters."""

LIMITS_TABLE = (
    ("days per run", f"1 to {MAX_DAYS}"),
    ("time.hours_per_step", f"{MIN_HOURS_PER_STEP} to 24, dividing a day into whole steps"),
    ("seed", f"0 to 2**63 - 1 ({MAX_SEED})"),
    ("replicates", f"1 to {MAX_REPLICATES:,}"),
    ("runs in one batch", f"at most {MAX_RUNS:,}"),
    ("workers", f"1 to {MAX_WORKERS}"),
    ("a file or folder name", f"at most {MAX_NAME_BYTES} bytes; a path at most {MAX_PATH_BYTES}"),
    ("nesting of tables, arrays, dotted keys", f"at most {MAX_NESTING_DEPTH} levels"),
    ("scenario or experiment file", f"UTF-8 text, at most {MAX_FILE_BYTES:,} bytes"),
    ("a --set or --sweep", f"one line, at most {MAX_OPTION_CHARS:,} characters"),
)
"""What the README's "Limits" section states (``what``, ``allowed``)."""


def shorten(text: str, length: int = 60) -> str:
    """``text`` cut to ``length`` characters (with "..." when cut), for one-line messages."""
    return text if len(text) <= length else text[: length - 3] + "..."


def check_one_line(label: str, text: str) -> None:
    """Refuse option text with a newline or another control character, or too long."""
    if len(text) > MAX_OPTION_CHARS:
        raise UserInputError(f"{label}: longer than {MAX_OPTION_CHARS} characters")
    bad = next((char for char in text if ord(char) < 32 or ord(char) == 127), None)
    if bad is not None:
        raise UserInputError(
            f"{label}: contains a control character ({bad!r}); give the value on one line"
        )


def check_path(label: str, text: str | Path) -> Path:
    """A path the user gave, checked before the file system sees it; returns it as a Path.

    Raises:
        UserInputError: empty, a control character, a name longer than
            :data:`MAX_NAME_BYTES` or a path longer than :data:`MAX_PATH_BYTES`.
    """
    shown = str(text)
    if not shown.strip():
        raise UserInputError(f"{label}: empty; give a file or folder name")
    check_one_line(label, shown)
    if len(shown.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise UserInputError(f"{label}: the path is longer than {MAX_PATH_BYTES} bytes")
    for part in Path(shown).parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise UserInputError(
                f"{label}: the name {part[:40]!r}... is longer than {MAX_NAME_BYTES} bytes, "
                "more than a file system allows"
            )
    return Path(shown)


def decode_text(path: Path, data: bytes) -> str:
    """The text of a TOML file: UTF-8 (a byte-order mark is dropped), else one clear line."""
    if len(data) > MAX_FILE_BYTES:
        raise UserInputError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; not a TOML file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserInputError(f"{path}: UTF-16 text; save the file as UTF-8")
    control = data.translate(None, b"\t\n\r" + bytes(range(32, 256)).replace(b"\x7f", b""))
    if control:
        raise UserInputError(
            f"{path}: a binary file (it holds control byte 0x{control[0]:02x}), not TOML text"
        )
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise UserInputError(
            f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {error.start}); "
            "save the file as UTF-8"
        ) from None


def read_toml_file(path: Path, label: str | None = None) -> dict[str, Any]:
    """Read a scenario or experiment file: checked encoding, size, nesting and numbers.

    Args:
        path: the file.
        label: how a read error names the file (default: its path).
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserInputError(f"{label or path}: cannot read the file ({error.strerror})") from None
    return parse_toml(decode_text(path, data), str(path))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML text; syntax, nesting and non-finite numbers are one-line errors."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserInputError(f"{where}: not valid TOML: {error}") from None
    except RecursionError:
        raise UserInputError(
            f"{where}: nested deeper than {MAX_NESTING_DEPTH} levels (tables, arrays)"
        ) from None
    check_value(table, where)
    return table


def check_value(value: Any, where: str, depth_used: int = 0) -> None:
    """Refuse values nested deeper than :data:`MAX_NESTING_DEPTH`, and NaN or infinity.

    Walks without recursion, so any depth is safe. ``depth_used`` is the nesting already
    spent above ``value`` (the parts of a ``--set`` key).
    """
    stack: list[tuple[Any, int, str]] = [(value, depth_used, "")]
    while stack:
        item, depth, key = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_NESTING_DEPTH:
                at = f" at {key}" if key else ""
                raise UserInputError(
                    f"{where}: nested deeper than {MAX_NESTING_DEPTH} levels{at} "
                    "(tables, arrays, dotted keys)"
                )
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for name, child in children:
                child_key = f"{key}.{name}" if isinstance(item, dict) and key else str(name)
                if isinstance(item, list):
                    child_key = f"{key}[{name}]"
                stack.append((child, depth + 1, child_key))
        elif isinstance(item, float) and not math.isfinite(item):
            at = f"{key}: " if key else ""
            raise UserInputError(f"{where}: {at}{item} is not allowed; give a finite number")
