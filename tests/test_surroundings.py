"""The interface between the rules and the model (``agents/surroundings.py``) is real: the
model and its tissue provide every member a rule may use, and the rules use no other."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from model_builders import empty_model

from agents import surroundings

ROOT = Path(__file__).resolve().parents[1]


def members(protocol: type) -> set[str]:
    """The attributes and methods a Protocol declares."""
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))
    }
    return names


@pytest.mark.parametrize(
    ("protocol", "where"),
    [
        (surroundings.Surroundings, lambda model: model),
        (surroundings.TissueView, lambda model: model.tissue),
        (surroundings.Census, lambda model: model.census),
        (surroundings.EventBook, lambda model: model.resident_events),
        (surroundings.TherapyState, lambda model: model.therapy),
    ],
)
def test_the_model_provides_every_member_of_the_protocol(protocol: type, where: object) -> None:
    provider = where(empty_model())  # type: ignore[operator]
    missing = sorted(name for name in members(protocol) if not hasattr(provider, name))
    assert not missing, f"{type(provider).__name__} lacks {missing}"


def _named(node: ast.expr, name: str | None) -> bool:
    """``node`` is ``name`` or ``<...>.name``."""
    return (isinstance(node, ast.Attribute) and node.attr == name) or (
        isinstance(node, ast.Name) and node.id == name
    )


def _attributes_used_on(source: str, owner: str, parent: str | None = None) -> set[str]:
    """Names ``x`` in every ``<...>.{owner}.x`` of ``source`` (and ``{owner}.x`` for a local
    variable of that name); with ``parent``, only ``<...>.{parent}.{owner}.x`` (so
    ``model.therapy.x`` but not ``parameters.therapy.x``)."""
    used = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not _named(node.value, owner):
            continue
        under_parent = isinstance(node.value, ast.Attribute) and _named(node.value.value, parent)
        if parent is None or under_parent:
            used.add(node.attr)
    return used


@pytest.mark.parametrize(
    ("owner", "parent", "protocol"),
    [
        ("model", None, surroundings.Surroundings),
        ("tissue", None, surroundings.TissueView),
        ("therapy", "model", surroundings.TherapyState),
        ("census", "model", surroundings.Census),
        ("resident_events", "model", surroundings.EventBook),
    ],
)
def test_the_rules_ask_only_what_the_protocol_declares(
    owner: str, parent: str | None, protocol: type
) -> None:
    declared = members(protocol)
    for path in sorted((ROOT / "agents").glob("*.py")):
        if path.name == "surroundings.py":
            continue
        extra = _attributes_used_on(path.read_text(), owner, parent) - declared
        assert not extra, f"{path.name} uses {owner}.{sorted(extra)}, not in {protocol.__name__}"


def test_the_checker_sees_an_undeclared_use() -> None:
    source = "def f(self):\n    return self.model.tissue.residents[3]\n"
    assert _attributes_used_on(source, "tissue") == {"residents"}


def test_the_checker_sees_an_undeclared_therapy_use() -> None:
    source = "def f(self):\n    return self.model.therapy.native_t_recovering\n"
    assert _attributes_used_on(source, "therapy", "model") == {"native_t_recovering"}
    switch = "def f(model):\n    return model.parameters.therapy.cd52_knockout\n"
    assert _attributes_used_on(switch, "therapy", "model") == set()
