"""The widgets (pygame-gui), always in the same place: the top bar (play, step, reset,
new seed, speed, scenario chooser, overlay and help buttons), the event buttons (act on
the model now) and the parameter sliders (validated like ``--set``, applied on reset).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pygame
import pygame_gui
from pygame_gui.elements import (
    UIButton,
    UIDropDownMenu,
    UIHorizontalSlider,
    UILabel,
    UITextEntryLine,
)

from sim.errors import UserInputError
from sim.loader import load_scenario, scenario_names
from sim.parameters import Scenario
from study.analysis.vocabulary import scenario_words

SIDE_BY_SIDE = "autologous vs donor"
SIDE_BY_SIDE_KEY = "B"
SCENARIO_KEYS = "1234567890"
"""The keys that open the shipped scenarios, in the chooser's order (B: side by side)."""
SLIDER_CLICK_STEPS = 200  # a click on a slider's arrow moves it 1/200 of its range
PRODUCTS = {"autologous": "own cells", "donor": "donor cells", "none": "no CAR T"}


EVENT_METHODS = {
    "infuse": "infuse_now",
    "lymphodepletion": "lymphodepletion_now",
    "tocilizumab": "tocilizumab_now",
    "teaching": "set_teaching",
}
"""Each event button (and saved event) and the model method that gives it now."""


@dataclass(frozen=True)
class SliderSpec:
    """A slider for one scenario parameter: its key, label, unit, range and step.
    ``disease_label`` names the :class:`study.analysis.vocabulary.Vocabulary` word that
    replaces ``label`` for the disease on screen (the growth of blasts, or of a
    lymphoma's tumour)."""

    key: str
    label: str
    unit: str
    low: float
    high: float
    integer: bool = False
    disease_label: str | None = None

    def label_for(self, scenario: Scenario) -> str:
        """The slider's name for a run of ``scenario``."""
        if self.disease_label is None:
            return self.label
        return str(getattr(scenario_words(scenario), self.disease_label))

    def value_of(self, scenario: Scenario) -> float:
        """The parameter's value in ``scenario`` (an unset dose per 10,000 sites is the
        scenario's ``dose_cells`` scaled to 10,000 sites)."""
        table, name = self.key.split(".")
        value = getattr(getattr(scenario, table), name)
        if value is None and self.key == "car_t.dose_per_10k_sites":
            sites = scenario.grid.width * scenario.grid.height
            return round(scenario.car_t.dose_cells * 10_000 / sites, 1)
        return float(value)

    def text(self, value: float) -> str:
        """``value`` as the slider shows it."""
        if self.integer:
            return f"{round(value)}"
        return f"{value:.3g}" if value < 0.1 else f"{value:.2f}"


SLIDERS = (
    SliderSpec("car_t.dose_per_10k_sites", "Dose", "/10k sites", 0, 300, integer=True),
    SliderSpec("car_t.kill_rate_per_day", "Kill rate", "/day", 0.0, 10.0),
    SliderSpec("car_t.division_prob_per_kill", "Divide per kill", "", 0.0, 1.0),
    SliderSpec("car_t.memory_fraction", "Memory share", "", 0.0, 0.5),
    SliderSpec(
        "leukaemia.division_rate_per_day", "Blast growth", "/day", 0.0, 0.5, disease_label="growth"
    ),
    SliderSpec("leukaemia.cd19_loss_prob", "CD19 loss", "/division", 0.0, 0.02),
)

SHORT_NAMES = {"lymphodepletion": "Lympho-dep."}
EVENT_BUTTONS = (
    ("infuse", "Infuse now", "Put a dose of CAR T-cells in now"),
    ("lymphodepletion", "Lymphodepletion", "One dose of lymphodepleting chemotherapy now"),
    ("tocilizumab", "Tocilizumab", "Damp the cytokine release for a while (see Info)"),
    ("teaching", "Teaching: on", "Switch teaching of native T-cells on or off"),
)


def keyed_scenarios() -> dict[str, str]:
    """Key -> scenario: the shipped scenarios on 1-9 and 0, side by side on B."""
    keyed = dict(zip(SCENARIO_KEYS, scenario_names(), strict=False))
    keyed[SIDE_BY_SIDE_KEY] = SIDE_BY_SIDE
    return keyed


@lru_cache(maxsize=64)
def scenario_facts(name: str) -> str:
    """A scenario's key numbers: product, mean burden at enrolment (blasts, or a
    lymphoma's tumour), days."""
    if name == SIDE_BY_SIDE:
        return "same patient"
    try:
        scenario = load_scenario(name)
    except UserInputError:
        return ""
    drawn = scenario.patient.blast_fraction_at_enrolment
    burden = drawn.central() if drawn is not None else scenario.leukaemia.initial_blast_fraction
    product = PRODUCTS.get(scenario.therapy.arm, scenario.therapy.arm)
    disease = scenario_words(scenario).burden_label.lower()
    return f"{product}, {100 * burden:.0f}% {disease}, {scenario.time.days} d"


def chooser_text(name: str, keyed: dict[str, str]) -> str:
    """A chooser entry: its key, the name and its key numbers."""
    key = next((k for k, n in keyed.items() if n == name), " ")
    facts = scenario_facts(name)
    return f"{key}  {name}" + (f": {facts}" if facts else "")


class Controls:
    """Builds the widgets into ``manager`` at the rectangles of a layout."""

    def __init__(
        self,
        manager: pygame_gui.UIManager,
        layout: object,
        scenario_options: list[str],
        chosen: str,
        scenario: Scenario,
        pending: dict[str, float],
    ) -> None:
        self.manager = manager
        lay = layout
        bar = lay.top_bar  # type: ignore[attr-defined]
        h = bar.h - 10
        x = bar.x
        y = bar.y + 5
        self.buttons: dict[str, UIButton] = {}

        def button(key: str, text: str, width: int, tip: str) -> None:
            nonlocal x
            self.buttons[key] = UIButton(
                pygame.Rect(x, y, width, h), text, manager, tool_tip_text=tip
            )
            x += width + 6

        u = lay.unit  # type: ignore[attr-defined]
        button("play", "Play", round(78 * u), "Play or pause (Space)")
        button("step", "Step", round(62 * u), "One step (Right arrow)")
        button("reset", "Reset", round(66 * u), "Back to the start, same seed (R)")
        button("new_seed", "New seed", round(92 * u), "Back to the start with a new seed (Shift+R)")
        button("slower", "-", round(32 * u), "Slower (-)")
        self.speed_label = UILabel(pygame.Rect(x, y, round(84 * u), h), "", manager)
        x += round(84 * u) + 6
        button("faster", "+", round(32 * u), "Faster (+)")
        x += 6
        entries = [
            (chooser_text(name, keyed_scenarios()), f"#choice_{i}")
            for i, name in enumerate(scenario_options)
        ]
        self.choices = {
            entry[1]: name for entry, name in zip(entries, scenario_options, strict=True)
        }
        self.chooser = UIDropDownMenu(
            entries,
            entries[scenario_options.index(chosen)],
            pygame.Rect(x, y, round(380 * u), h),
            manager,
            expansion_height_limit=round(420 * u),
        )
        x += round(380 * u) + 12
        button("cytokine", "Cytokine", round(86 * u), "Cytokine overlay on the grid (C)")
        button("log", "Log", round(50 * u), "Log scale for the plot (L)")
        button("help", "Help", round(58 * u), "Every key (H)")
        button("info", "Info", round(54 * u), "What this is and what to try (I)")

        self.events: dict[str, UIButton] = {}
        row = lay.events  # type: ignore[attr-defined]
        width = (row.w - 3 * 6) // 4
        for index, (key, text, tip) in enumerate(EVENT_BUTTONS):
            if width < 130 * u:
                text = SHORT_NAMES.get(key, text)
            rect = pygame.Rect(row.x + index * (width + 6), row.y, width, row.h)
            self.events[key] = UIButton(rect, text, manager, tool_tip_text=tip)

        self.sliders: dict[str, UIHorizontalSlider] = {}
        self.slider_labels: dict[str, UILabel] = {}
        area = lay.sliders  # type: ignore[attr-defined]
        note_h = round(max(22 * u, 1.7 * lay.text_px))  # labels >= ~1.8x the font
        self.note = UILabel(
            pygame.Rect(area.x, area.y, area.w, note_h), "Sliders apply on Reset (R)", manager
        )
        slot = (area.h - 2 * note_h - 6) // len(SLIDERS)
        stacked = slot >= round(40 * u)  # room for the label above its slider
        # beside its slider a label needs room for "Tumour growth /day" in the projector
        # theme's larger text; the value box for "1e-06"
        label_w = round(area.w * 0.66) if stacked else round(area.w * 0.5)
        entry_w = area.w - label_w if stacked else round(area.w * 0.17)
        self.entries: dict[str, UITextEntryLine] = {}
        for index, spec in enumerate(SLIDERS):
            top = area.y + note_h + index * slot
            default = spec.value_of(scenario)
            value = pending.get(spec.key, default)
            low, high = min(spec.low, default), max(spec.high, default)
            label_h = slot // 2 if stacked else slot - 2
            self.slider_labels[spec.key] = UILabel(
                pygame.Rect(area.x, top, label_w, label_h), "", manager
            )
            self.entries[spec.key] = UITextEntryLine(
                pygame.Rect(area.x + label_w, top + 1, entry_w, label_h - 2),
                manager,
                initial_text=spec.text(value),
            )
            increment = 1 if spec.integer else (high - low) / SLIDER_CLICK_STEPS
            bounds = (
                pygame.Rect(area.x, top + label_h, area.w, slot - label_h - 4)
                if stacked
                else pygame.Rect(
                    area.x + label_w + entry_w + 4,
                    top + 2,
                    area.w - label_w - entry_w - 4,
                    slot - 6,
                )
            )
            slider = UIHorizontalSlider(
                bounds, value, (low, high), manager, click_increment=increment
            )
            self.sliders[spec.key] = slider
        self.restore = UIButton(
            pygame.Rect(area.x, area.bottom - note_h - 2, area.w, note_h),
            "Restore defaults",
            manager,
            tool_tip_text="Set every slider back to the scenario's value",
        )
        self._label_cache: dict[str, str] = {}

    def set_text(self, label: UILabel | UIButton, text: str) -> None:
        """Change a label's text only when it differs (each change costs ~0.1 ms)."""
        key = str(id(label))
        if self._label_cache.get(key) != text:
            self._label_cache[key] = text
            label.set_text(text)

    def typing(self) -> bool:
        """Whether a value box has the keyboard (keys then type, not act)."""
        return any(entry.is_focused for entry in self.entries.values())

    def slider_value(self, spec: SliderSpec) -> float:
        """The slider's value, whole for whole-number parameters."""
        value = float(self.sliders[spec.key].get_current_value())
        return float(round(value)) if spec.integer else value

    def refresh(
        self,
        playing: bool,
        speed: int,
        scenario: Scenario,
        wanted: dict[str, float],
        applied: dict[str, float],
        teaching: bool,
    ) -> None:
        """Bring the labels in line with the state (``*``: changed, applies on reset)."""
        self.set_text(self.buttons["play"], "Pause" if playing else "Play")
        self.set_text(self.speed_label, f"{speed} h/s")
        changed = False
        for spec in SLIDERS:
            default = spec.value_of(scenario)
            value = wanted.get(spec.key, default)
            pending = value != applied.get(spec.key, default)
            changed |= pending
            self.set_text(
                self.slider_labels[spec.key],
                f"{spec.label_for(scenario)} {spec.unit}".rstrip() + (" *" if pending else ""),
            )
            entry = self.entries[spec.key]
            shown = spec.text(value)
            if not entry.is_focused and entry.get_text() != shown:
                entry.set_text(shown)  # also after bad text typed, or a click away
        self.set_text(
            self.note,
            "* changed: applies on Reset (R)" if changed else "Sliders apply on Reset (R)",
        )
        self.set_text(self.events["teaching"], f"Teaching: {'on' if teaching else 'off'}")
