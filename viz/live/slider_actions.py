"""The parameter sliders' actions: a slider moved, a value typed in its box, defaults
restored. Values are remembered and apply on reset (validated like ``--set``)."""

from __future__ import annotations

from typing import Any

from sim.parameters import Scenario
from viz.live.controls import SLIDERS, SliderSpec


def assignment(key: str, value: float) -> str:
    """``key=value`` for a slider, whole numbers without a decimal point."""
    spec = spec_of(key)
    return f"{key}={round(value)}" if spec.integer else f"{key}={value!r}"


def spec_of(key: str) -> SliderSpec:
    """The slider of parameter ``key``."""
    return next(spec for spec in SLIDERS if spec.key == key)


class SliderActions:
    """Mixed into :class:`viz.live.app.LiveApp`."""

    wanted: dict[str, float]
    base: Scenario
    controls: Any

    def set_status(self, text: str) -> None:  # pragma: no cover - the app's
        raise NotImplementedError

    def restore_defaults(self) -> None:
        """Sliders back to the scenario's values (applied on reset)."""
        self.wanted = {}
        for spec in SLIDERS:
            self.controls.sliders[spec.key].set_current_value(spec.value_of(self.base))
        self.set_status("Sliders restored to the scenario's values: press R to apply")

    def slider_moved(self, key: str) -> None:
        """Remember a slider's new value; it applies on reset."""
        self._want(spec_of(key), self.controls.slider_value(spec_of(key)))

    def value_typed(self, key: str, text: str) -> None:
        """A value typed into a slider's box (Enter): within the slider's range, it moves
        the slider, applies on reset and gives the keyboard back (so R resets and Space
        plays, rather than typing into the box); otherwise the status says why not and
        the box keeps the keyboard for a correction."""
        spec = spec_of(key)
        slider = self.controls.sliders[key]
        low, high = slider.value_range
        name = spec.label_for(self.base)
        try:
            value = float(text.strip())
        except ValueError:
            self.set_status(f"{name}: {text!r} is not a number")
            return
        if not low <= value <= high:
            self.set_status(
                f"{name}: {text.strip()} is outside {spec.text(low)} to {spec.text(high)}"
            )
            return
        value = float(round(value)) if spec.integer else value
        slider.set_current_value(value)
        self._want(spec, value)
        self.manager.set_focus_set(None)  # the keys act again

    def _want(self, spec: SliderSpec, value: float) -> None:
        self.wanted[spec.key] = value
        name = spec.label_for(self.base)
        self.set_status(f"{name} = {spec.text(value)} {spec.unit}: applies on Reset (R)")
