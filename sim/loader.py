"""Load scenario files: TOML, with inheritance (``base = "other"``) and ``--set`` overrides.

A scenario is a name from the ``scenarios/`` folder (``autologous``) or a path to a TOML
file. A file may name a ``base`` scenario; its keys override the base's, table by table.
Overrides (``--set``, ``--sweep``, an experiment file's values) are typed once, where they
enter, as :class:`Override` objects. Every mistake (a missing file, bad TOML, an unknown
key, a wrong type, a value out of range, a bad ``--set``) raises
:class:`~sim.errors.UserInputError` with one line that names the file (or option), the key
and what is allowed.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import UserInputError
from sim.limits import (
    MAX_NESTING_DEPTH,
    check_one_line,
    check_path,
    check_value,
    read_toml_file,
    shorten,
)
from sim.parameters import Scenario
from sim.patient import SUPERSEDED_BY
from sim.scenario_checks import check_scenario_rules

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""The shipped scenario files (TOML data only)."""
OVERRIDE_SOURCE = "--set"


def scenario_names() -> list[str]:
    """The names of the scenarios shipped in this folder, sorted."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def list_scenarios() -> list[tuple[str, str, str | None]]:
    """``(name, description, error)`` of every shipped scenario, sorted by name.

    A file that does not load is listed with its one-line error (and an empty
    description), so one bad file does not hide the others.
    """
    entries: list[tuple[str, str, str | None]] = []
    for name in scenario_names():
        try:
            entries.append((name, load_scenario(name).description, None))
        except UserInputError as error:
            entries.append((name, "", str(error)))
    return entries


@dataclass(frozen=True)
class Override:
    """One parameter override, typed once where it entered (an option or a file).

    Attributes:
        key: the key path, ``("car_t", "dose_cells")``.
        value: the typed value (an int, float, bool, string, list, table... as TOML
            reads it); it is used as it is and never turned back into text.
        source: where it came from, for error messages: ``"--set"``, ``"--sweep"`` or
            ``"experiment.toml: [set]"``. Not part of equality.
        text: the text as the user typed it (``"car_t.dose_cells=40"``), shown in error
            messages only; None for values read from a file. Not part of equality.
    """

    key: tuple[str, ...]
    value: Any
    source: str = field(default=OVERRIDE_SOURCE, compare=False)
    text: str | None = field(default=None, compare=False, repr=False)

    @property
    def dotted_key(self) -> str:
        """The key as written: ``"car_t.dose_cells"``."""
        return ".".join(self.key)

    @property
    def label(self) -> str:
        """How error messages name the override: ``--set 'car_t.dose_cells=40'``."""
        if self.text is not None:
            return f"{self.source} {self.text!r}"
        return f"{self.source} {self.dotted_key}={json.dumps(self.value, default=str)}"


def load_scenario(name_or_path: str | Path, overrides: Sequence[Override | str] = ()) -> Scenario:
    """Load, merge and validate a scenario, then apply ``overrides`` in order.

    An override given as a string (``"car_t.dose_cells=40"``) is parsed here, once, as a
    ``--set`` value (a convenience for tests and scripts).
    """
    path = _resolve(name_or_path)
    merged, sources = _read_with_bases(path, chain=())
    merged.setdefault("name", path.stem)
    sources.setdefault(("name",), str(path))
    for override in overrides:
        typed = parse_override(override) if isinstance(override, str) else override
        check_value(typed.value, typed.label, depth_used=len(typed.key))
        _set_key(merged, typed.key, typed.value, sources, typed.label)
    _drop_superseded(merged, sources)
    return _validate(merged, sources, path)


def _drop_superseded(merged: dict[str, Any], sources: dict[tuple[str, ...], str]) -> None:
    """Apply :data:`SUPERSEDED_BY`: the later of a parameter and its replacement wins."""
    order = {key: position for position, key in enumerate(sources)}
    for parameter_key, replacing_key in SUPERSEDED_BY.items():
        if parameter_key not in order or replacing_key not in order:
            continue
        if order[parameter_key] > order[replacing_key]:
            table = merged.get(replacing_key[0])
            if isinstance(table, dict):
                table.pop(replacing_key[1], None)


def _validate(merged: dict[str, Any], sources: dict[tuple[str, ...], str], path: Path) -> Scenario:
    """Validate the merged table and the rules across tables; errors name their source."""
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as error:
        raise UserInputError(_describe(error, sources, path)) from None
    problem = check_scenario_rules(scenario)
    if problem is not None:
        keys, message = problem
        source = _last_source(keys, sources, str(path))
        raise UserInputError(f"{source}: {message}")
    return scenario


def _last_source(
    keys: Sequence[tuple[str, ...]], sources: dict[tuple[str, ...], str], default: str
) -> str:
    """The source that set the last-applied of ``keys`` (overrides come after files)."""
    order = {key: position for position, key in enumerate(sources)}
    given = [key for key in keys if key in order]
    return sources[max(given, key=order.__getitem__)] if given else default


def parse_key(key: str, source: str = OVERRIDE_SOURCE, text: str | None = None) -> tuple[str, ...]:
    """Split ``"car_t . dose_cells"`` into ``("car_t", "dose_cells")`` (parts stripped).

    ``text`` is the whole option as given, for the error message (default: ``key``).
    """
    shown = key if text is None else text
    check_one_line(f"{source} {shown[:60]!r}", shown)
    key_path = tuple(part.strip() for part in key.strip().split("."))
    if any(not part for part in key_path):
        raise UserInputError(f"{source} {shown!r}: the key {key.strip()!r} has an empty part")
    if len(key_path) > MAX_NESTING_DEPTH:
        raise UserInputError(
            f"{source} {shown[:60]!r}: the key has more than {MAX_NESTING_DEPTH} parts"
        )
    return key_path


def parse_value(raw: str) -> Any:
    """Read the text of one value as TOML (``40``, ``0.1``, ``true``, ``[3, 5]``).

    A bare word that is not TOML is taken as a string, so ``donor`` needs no quotes.
    """
    raw = raw.strip()
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw
    except RecursionError:
        raise UserInputError(
            f"{raw[:40]!r}...: nested deeper than {MAX_NESTING_DEPTH} levels"
        ) from None


def parse_override(text: str, source: str = OVERRIDE_SOURCE) -> Override:
    """Parse ``"car_t.dose_cells=40"`` once into an :class:`Override` with a typed value.

    The value is read as a TOML value (``40`` is an integer, ``0.1`` a float, ``true`` a
    boolean, ``[3, 5]`` a list); a bare word that is not TOML is taken as a string, so
    ``therapy.arm=donor`` works without quotes.
    """
    check_one_line(f"{source} {text[:60]!r}", text)
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or not raw.strip():
        raise UserInputError(f"{source} {text!r}: expected KEY=VALUE such as car_t.dose_cells=40")
    key_path = parse_key(key, source, text)
    try:
        value = parse_value(raw)
    except UserInputError as error:
        raise UserInputError(f"{source} {text[:60]!r}: {error}") from None
    label = f"{source} {text!r}"
    check_value(value, label, depth_used=len(key_path))
    return Override(key_path, value, source, text)


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    candidate = check_path(f"SCENARIO {shorten(text)!r}", text)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if candidate.is_dir():
            raise UserInputError(f"{text}: a folder, not a scenario file (give a .toml file)")
        if not candidate.is_file():
            raise UserInputError(f"{text}: no such scenario file")
        return candidate
    shipped = SCENARIO_DIR / f"{text}.toml"
    if shipped.is_file():
        return shipped
    raise UserInputError(
        f"{text}: no such scenario; choose one of {', '.join(scenario_names())} "
        "or give the path to a .toml file"
    )


def _read_with_bases(
    path: Path, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """Read ``path`` and the chain of its bases; return the merged table and key sources."""
    if path.resolve() in chain:
        names = " -> ".join(p.stem for p in (*chain, path.resolve()))
        raise UserInputError(f"{path}: base: scenarios inherit in a circle ({names})")
    table = read_toml_file(path)
    base_name = table.pop("base", None)
    if base_name is None:
        merged: dict[str, Any] = {}
        sources: dict[tuple[str, ...], str] = {}
    else:
        if not isinstance(base_name, str):
            raise UserInputError(f"{path}: base: must be a scenario name or path (a string)")
        base_path = _resolve_base(base_name, path)
        try:
            merged, sources = _read_with_bases(base_path, (*chain, path.resolve()))
        except UserInputError as error:  # name the file the user gave, not only its base
            raise UserInputError(f"{path}: base {base_name!r}: {error}") from None
        sources = {key: f"{source} (the base of {path})" for key, source in sources.items()}
        merged.pop("name", None)
        merged.pop("description", None)
    for key_path, value in _flatten(table):
        _set_key(merged, key_path, value, sources, str(path))
    return merged, sources


def _resolve_base(base_name: str, child: Path) -> Path:
    check_path(f"{child}: base", base_name)
    beside = child.parent / f"{base_name}.toml"
    check_path(f"{child}: base", str(beside))
    if beside.is_file():
        return beside
    try:
        return _resolve(base_name)
    except UserInputError:
        raise UserInputError(
            f"{child}: base: no scenario named {base_name!r}; choose one of "
            f"{', '.join(scenario_names())}"
        ) from None


def _flatten(
    table: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key, value in table.items():
        if isinstance(value, dict) and "dist" not in value:  # a distribution is one value
            yield from _flatten(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _set_key(
    merged: dict[str, Any],
    key_path: tuple[str, ...],
    value: Any,
    sources: dict[tuple[str, ...], str],
    source: str,
) -> None:
    table = merged
    for depth, part in enumerate(key_path[:-1]):
        inner = table.setdefault(part, {})
        if not isinstance(inner, dict):
            where = ".".join(key_path[: depth + 1])
            raise UserInputError(f"{source}: {where} is a value, not a table")
        table = inner
    table[key_path[-1]] = value
    sources.pop(key_path, None)  # re-inserted: the order of sources is the order applied
    sources[key_path] = source


def _describe(error: ValidationError, sources: dict[tuple[str, ...], str], path: Path) -> str:
    """One line for the first problem: where it was set, the key, and what is allowed."""
    problem = error.errors()[0]
    location = tuple(str(part) for part in problem["loc"])
    key = ".".join(location) or "(top level)"
    source = _source_of(location, sources, str(path))
    if problem["type"] == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        return f"{source}: {key}: unknown key; allowed here: {', '.join(allowed)}"
    allowed_text = _field_text(location)
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    shown = "" if isinstance(given, dict) else f" (got {shorten(repr(given))})"
    return f"{source}: {key}: {message}{shown}{allowed_text}"


def _source_of(location: tuple[str, ...], sources: dict[tuple[str, ...], str], default: str) -> str:
    for length in range(len(location), 0, -1):
        if location[:length] in sources:
            return sources[location[:length]]
    prefix_hits = [src for key, src in sources.items() if key[: len(location)] == location]
    return prefix_hits[-1] if prefix_hits else default


def _model_at(location: tuple[str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in location:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _allowed_keys(location: tuple[str, ...]) -> list[str]:
    model = _model_at(location)
    if model is None:
        return []
    names = list(model.model_fields)
    return [*names, "base"] if not location else names


def _field_text(location: tuple[str, ...]) -> str:
    model = _model_at(location[:-1])
    if model is None or not location:
        return ""
    field = model.model_fields.get(location[-1])
    if field is None or _model_at(location) is not None:
        return ""  # a whole table: its validator's message says what is allowed
    bounds = [
        f"{symbol} {getattr(item, attr)}"
        for item in field.metadata
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
        if getattr(item, attr, None) is not None
    ]
    kind = getattr(field.annotation, "__name__", str(field.annotation))
    if field.annotation is bool:
        kind = "true or false (TOML's spelling, lower case)"
    allowed = f"; allowed: {kind}" + (f" {' and '.join(bounds)}" if bounds else "")
    if field.description:
        allowed += f" ({field.description})"
    return allowed
