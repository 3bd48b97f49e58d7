"""Save and reload the live view's state (Ctrl+S, Ctrl+O, ``animate --resume FILE``), so
a class continues tomorrow at the same moment.

A state file is JSON: the scenarios, seed, ``--set`` overrides and whose patients, the
slider values in force, the event buttons pressed (with the step of each), the step
reached, the moment shown (when rewound), speed, theme, overlay and guided mode. Runs are
deterministic, so reloading simulates the run again from its seed to the same step,
pressing the same buttons at the same steps: the same numbers, bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.atomic_files import write_text_atomically
from sim.errors import UserInputError
from sim.loader import Override

if TYPE_CHECKING:
    from viz.live.app import LiveApp

STATE_FORMAT = "cartsim-live-state/1"
STATE_STEM = "cartsim-state"


def state_of(app: LiveApp) -> dict[str, Any]:
    """The view's state as JSON-able data."""
    rewound = app.scrub_index
    return {
        "format": STATE_FORMAT,
        "scenarios": list(app.names),
        "seed": app.seed,
        "sets": [
            {"key": override.dotted_key, "value": override.value}
            for override in app.config.overrides
        ],
        "own_patients": app.config.own_patients,
        "sliders": dict(app.applied),
        "events": [[step, name] for step, name in app.given],
        "step": app.arms[0].step_count,
        "shown_step": None if rewound is None else app.arms[0].store.frames[rewound].step,
        "speed_index": app.speed_index,
        "theme": app.theme.name,
        "guided": app.guide.enabled,
        "cytokine": app.grids[0].show_cytokine,
        "log_scale": app.plot.log_scale,
    }


def save_state(app: LiveApp, path: Path) -> Path:
    """Write the state to ``path`` (whole or not at all)."""
    text = json.dumps(state_of(app), indent=1) + "\n"
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise UserInputError(f"{path}: cannot save the state ({error})") from None
    return path


def read_state(path: Path) -> dict[str, Any]:
    """A state file's data; one line (UserInputError) if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(f"--resume {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserInputError(f"--resume {path}: not a saved live-view state ({error})") from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise UserInputError(
            f"--resume {path}: not a saved live-view state (expected format {STATE_FORMAT})"
        )
    expected = {"scenarios": list, "seed": int, "step": int, "events": list, "sliders": dict}
    for key, kind in expected.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise UserInputError(f"--resume {path}: '{key}' is missing or not a {kind.__name__}")
    _check_values(path, data)
    return data


def _check_values(path: Path, data: dict[str, Any]) -> None:
    """Refuse (one line) a speed, event or slider the view does not have."""
    from viz.live.controls import EVENT_METHODS, SLIDERS
    from viz.live.speeds import SPEEDS_HOURS_PER_SECOND

    speed = data.get("speed_index", 0)
    if not isinstance(speed, int) or isinstance(speed, bool):
        raise UserInputError(f"--resume {path}: 'speed_index' is not a whole number")
    if not 0 <= speed < len(SPEEDS_HOURS_PER_SECOND):
        raise UserInputError(
            f"--resume {path}: 'speed_index' {speed} is not 0 to {len(SPEEDS_HOURS_PER_SECOND) - 1}"
        )
    for event in data["events"]:
        if (
            not isinstance(event, list)
            or len(event) != 2
            or not isinstance(event[0], int)
            or event[1] not in EVENT_METHODS
        ):
            raise UserInputError(
                f"--resume {path}: event {event!r} is not [step, one of {', '.join(EVENT_METHODS)}]"
            )
    keys = {spec.key for spec in SLIDERS}
    for key, value in data["sliders"].items():
        if key not in keys:
            raise UserInputError(f"--resume {path}: no slider '{key}'")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise UserInputError(f"--resume {path}: slider '{key}' value {value!r} is not a number")
    sets = data.get("sets", [])
    if not isinstance(sets, list) or not all(
        isinstance(entry, dict) and "key" in entry and "value" in entry for entry in sets
    ):
        raise UserInputError(f"--resume {path}: 'sets' is not a list of {{key, value}}")


def overrides_of(data: dict[str, Any]) -> list[Override]:
    """The ``--set`` overrides a state file records."""
    return [
        Override(tuple(str(entry["key"]).split(".")), entry["value"], "state file")
        for entry in data.get("sets", [])
    ]


def newest_state(folder: Path) -> Path | None:
    """The most recently saved state file in ``folder``, if any."""
    found = sorted(folder.glob(f"{STATE_STEM}-*.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def restore(app: LiveApp, data: dict[str, Any], progress: bool = True) -> bool:
    """Bring ``app`` to the saved state: reset with its scenarios, seed and sliders, then
    simulate to its step, pressing its event buttons at their steps. ``False`` (and the
    status says why) if the saved scenarios or values are no longer valid."""
    from tqdm import tqdm

    saved = (app.config.overrides, app.config.own_patients, app.seed, dict(app.wanted))
    app.config.overrides = overrides_of(data)
    app.config.own_patients = bool(data.get("own_patients", False))
    app.seed = int(data["seed"])
    app.wanted = {str(k): float(v) for k, v in data["sliders"].items()}
    if not app.reset(names=[str(name) for name in data["scenarios"]]):
        app.config.overrides, app.config.own_patients, app.seed, app.wanted = saved
        return False
    events = sorted((int(step), str(name)) for step, name in data["events"])
    target = int(data["step"])
    start = app.arms[0].step_count
    for _ in tqdm(range(start, target), desc="restoring", unit="step", disable=not progress):
        while events and events[0][0] <= app.arms[0].step_count:
            app.live_event(events.pop(0)[1])
        for arm in app.arms:
            arm.step()
    for _, name in events:
        app.live_event(name)
    for arm in app.arms:
        arm.refresh()
    app.guide.reset(app.arms)
    app.guide.enabled = bool(data.get("guided", False))
    app.speed_index = int(data.get("speed_index", app.speed_index))
    shown = data.get("shown_step")
    if isinstance(shown, int):
        frames = app.arms[0].store.frames
        index = min(range(len(frames)), key=lambda i: abs(frames[i].step - shown))
        app.scrub_index = None if index >= len(frames) - 1 else index
    return True


def save_view(app: LiveApp) -> Path | None:
    """Ctrl+S: save the state in the captures folder; the status names the file."""
    try:
        path = save_state(app, app.captures.new_path(STATE_STEM, ".json"))
    except UserInputError as error:
        app.set_status(f"Not saved: {error}")
        return None
    app.set_status(f"Saved the view to {path}: Ctrl+O reloads it (or animate --resume FILE)")
    return path


def load_view(app: LiveApp, path: Path | None = None) -> bool:
    """Ctrl+O (the newest state in the captures folder) or ``--resume FILE``."""
    from viz.live.palette import DARK, PROJECTOR

    path = path or newest_state(app.captures.folder)
    if path is None:
        app.set_status(f"No saved view in {app.captures.folder} (Ctrl+S saves one)")
        return False
    try:
        data = read_state(path)
    except UserInputError as error:
        app.set_status(str(error))
        return False
    if not restore(app, data):
        return False
    app.theme = PROJECTOR if data.get("theme") == PROJECTOR.name else DARK
    app.build_ui()
    for grid in app.grids:
        grid.show_cytokine = bool(data.get("cytokine", False))
    app.plot.log_scale = bool(data.get("log_scale", False))
    app.set_status(f"Restored {path}: day {app.arms[0].latest.day:.1f}")
    return True
