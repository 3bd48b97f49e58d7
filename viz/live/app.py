"""The live view's state and loop: what is shown, and what each key, click and button does.

Drawing is in :mod:`viz.live.render`; input handling in :mod:`viz.live.inputs`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pygame
import pygame_gui

from sim.engine_choice import DEFAULT_ENGINE
from sim.errors import UserInputError
from sim.loader import Override, load_scenario, parse_override, scenario_names
from sim.parameters import Scenario
from sim.snapshot import describe_site
from viz.live import palette, panels, text
from viz.live.capturing import Captures
from viz.live.controls import (
    EVENT_METHODS,
    SIDE_BY_SIDE,
    Controls,
)
from viz.live.defaults import BASE_SIZE, DEFAULT_CAPTURES
from viz.live.gridview import GridView
from viz.live.guide import Guide
from viz.live.inputs import handle_events
from viz.live.layout import Layout, make_layout
from viz.live.navigation import Navigation
from viz.live.palette import DARK, PROJECTOR, Theme, gui_theme
from viz.live.plots import TimeSeriesPlot
from viz.live.recording import discarding_on_interrupt
from viz.live.render import render
from viz.live.session import Arm, load_arms
from viz.live.slider_actions import SliderActions, assignment
from viz.live.speeds import DEFAULT_SPEED_INDEX, SPEEDS_HOURS_PER_SECOND
from viz.live.state import load_view
from viz.live.text import HINT

STEP_BUDGET_SECONDS = 0.012  # model time per frame at most: the sim slows, not the redraw
STATUS_SECONDS = 6.0
EVENT_DONE = {
    "infuse": "Infused a dose of CAR T-cells now",
    "lymphodepletion": "Gave one dose of lymphodepletion now",
    "tocilizumab": "Gave tocilizumab now: cytokine release damped for a while",
}


@dataclass
class LiveConfig:
    """What the command line asked for."""

    scenarios: list[str] = field(default_factory=lambda: ["classroom"])
    seed: int = 1
    overrides: list[Override] = field(default_factory=list)
    projector: bool = False
    fullscreen: bool = False
    size: tuple[int, int] = BASE_SIZE
    out: Path = DEFAULT_CAPTURES
    own_patients: bool = False
    guided: bool = False
    resume: Path | None = None
    engine: str = DEFAULT_ENGINE  # what steps the runs (sim.engine); the same runs either way


def clear_caches() -> None:
    """Forget cached fonts, texts and legend tiles."""
    palette.font.cache_clear()
    text.rendered.cache_clear()
    panels._TILE_CACHE.clear()


def scenario_options() -> list[str]:
    """The chooser's entries: every shipped scenario, then the side-by-side pair."""
    return [*scenario_names(), SIDE_BY_SIDE]


class LiveApp(Navigation, SliderActions):
    """The live teaching view. Create it after ``pygame.display`` can open a window."""

    def __init__(self, config: LiveConfig) -> None:
        clear_caches()  # fonts and surfaces do not outlive a pygame.quit()
        self.config = config
        self.names = list(config.scenarios)
        self.seed = config.seed
        self.theme: Theme = PROJECTOR if config.projector else DARK
        self.wanted: dict[str, float] = {}
        self.applied: dict[str, float] = {}
        self.base: Scenario = load_scenario(self.names[0], config.overrides)
        self.arms: list[Arm] = load_arms(
            self.names, config.overrides, self.seed, config.own_patients, config.engine
        )
        self.playing = False
        self.speed_index = DEFAULT_SPEED_INDEX
        self.steps_due = 0.0
        # model time per frame at most (the sim slows, not the redraw); None for a
        # recording, which plays at its own clock however long a frame takes to make
        self.step_budget_seconds: float | None = STEP_BUDGET_SECONDS
        self.scrub_index: int | None = None
        self.overlay: str | None = None
        self.inspected: tuple[int, int, int] | None = None  # arm, x, y
        self.inspector: tuple[tuple[int, int], list[str]] | None = None  # where, lines
        self.scrubbing = False
        self.press: tuple[int, tuple[int, int], tuple[int, int]] | None = None
        self.dragged = False
        self.status = HINT
        self.status_until = float("inf")
        self.captures = Captures(config.out)
        self.guide = Guide(enabled=config.guided)
        self.guide.reset(self.arms)
        self.given: list[tuple[int, str]] = []  # (step, event button) given this run
        self.running = True
        self.quit_asked = False  # Esc once asks; Esc again quits
        self.now = 0.0
        self.fullscreen = config.fullscreen
        self.window_size = config.size  # the window's size out of fullscreen
        flags = pygame.FULLSCREEN if config.fullscreen else pygame.RESIZABLE
        self.screen = pygame.display.set_mode((0, 0) if config.fullscreen else config.size, flags)
        pygame.display.set_caption("cartsim: CAR T-cells against leukaemia")
        self.build_ui()
        if config.resume is not None:
            load_view(self, config.resume)

    # --- building --------------------------------------------------------------------
    @property
    def chosen(self) -> str:
        """The chooser's entry for what is shown."""
        if self.names == ["autologous", "donor"]:
            return SIDE_BY_SIDE
        return self.names[0]

    def build_ui(self) -> None:
        """(Re)build the layout, widgets, grids and plot for the window size and theme."""
        size = self.screen.get_size()
        self.layout: Layout = make_layout(size, len(self.arms), self.theme.text_scale)
        self.manager = pygame_gui.UIManager(size, gui_theme(self.theme, self.layout.unit))
        options = scenario_options()
        chosen = self.chosen if self.chosen in options else options[0]
        if self.chosen not in options:
            options = [self.chosen, *options]
            chosen = self.chosen
        self.controls = Controls(self.manager, self.layout, options, chosen, self.base, self.wanted)
        self.grids = [
            GridView(area.grid, arm.scenario.grid.width, arm.scenario.grid.height, self.theme)
            for area, arm in zip(self.layout.arms, self.arms, strict=True)
        ]
        old_log = getattr(self, "plot", None) and self.plot.log_scale
        self.plot = TimeSeriesPlot(self.layout.plot, self.theme, self.layout.text_px)
        self.plot.log_scale = bool(old_log)

    def set_status(self, text: str) -> None:
        """Show a message in the status line for a few seconds."""
        self.status = text
        self.status_until = time.monotonic() + STATUS_SECONDS

    # --- actions ---------------------------------------------------------------------
    @property
    def speed(self) -> int:
        """Simulated hours per second."""
        return SPEEDS_HOURS_PER_SECOND[self.speed_index]

    def change_speed(self, direction: int) -> None:
        """Faster (+1) or slower (-1)."""
        self.speed_index = max(
            0, min(len(SPEEDS_HOURS_PER_SECOND) - 1, self.speed_index + direction)
        )
        self.set_status(f"Speed: {self.speed} simulated hours per second")

    def toggle_play(self) -> None:
        """Play or pause; playing from a rewound moment returns to the present first."""
        if self.scrub_index is not None:
            self.go_live()
        self.playing = not self.playing
        self.guide.caption = None
        if self.status == HINT:
            self.status_until = 0.0

    def _advance(self, steps: int) -> None:
        for _ in range(steps):
            for arm in self.arms:
                arm.step()
        self._mark_recent()
        if self.guide.check(self.arms):
            self.playing = False

    def _mark_recent(self) -> None:
        """Marks for the events of the last few simulated hours (not a whole batch)."""
        for arm, grid in zip(self.arms, self.grids, strict=True):
            snapshot = arm.refresh()
            recent = max(1, arm.model.steps_per_day // 8)
            grid.add_marks(
                tuple(e for e in snapshot.events if e.step > snapshot.step - recent), self.now
            )

    def reset(self, new_seed: bool = False, names: list[str] | None = None) -> bool:
        """Back to the start (same seed, or a new one); slider values apply now."""
        names = names or self.names
        seed = random.randrange(1, 1_000_000) if new_seed else self.seed
        try:
            sliders = [
                parse_override(assignment(key, value), "slider")
                for key, value in self.wanted.items()
            ]
            base = load_scenario(names[0], self.config.overrides)
            arms = load_arms(
                names,
                [*self.config.overrides, *sliders],
                seed,
                self.config.own_patients,
                self.config.engine,
            )
        except UserInputError as error:
            self.set_status(f"Not applied: {error}")
            return False
        self.base, self.arms, self.names, self.seed = base, arms, list(names), seed
        self.applied = dict(self.wanted)
        self.scrub_index = None
        self.inspected = None
        self.inspector = None
        self.playing = False
        self.steps_due = 0.0
        self.guide.reset(self.arms)
        self.given = []
        self.build_ui()
        self.set_status(f"Reset: {' vs '.join(self.names)}, seed {seed}")
        return True

    def open_scenario(self, option: str) -> None:
        """Switch to a scenario of the chooser (slider changes are dropped)."""
        names = ["autologous", "donor"] if option == SIDE_BY_SIDE else [option]
        saved = dict(self.wanted)
        self.wanted = {}
        if not self.reset(names=names):
            self.wanted = saved

    def live_event(self, name: str) -> None:
        """An event button: acts on every arm's model now."""
        self.go_live()
        for arm in self.arms:
            method = getattr(arm.model, EVENT_METHODS[name], None)
            if method is None:
                self.set_status(f"'{name}' is not available in this version of the model")
                return
            if name == "teaching":
                method(not arm.latest.teaching_enabled)
            else:
                method()
        for arm in self.arms:
            arm.refresh()
        self.given.append((self.arms[0].step_count, name))
        if name == "teaching":
            state = "on" if self.arms[0].latest.teaching_enabled else "off"
            self.set_status(f"Teaching switched {state} (acts now)")
        else:
            self.set_status(EVENT_DONE[name] + " (acts now)")

    def inspect(self, arm_index: int, site: tuple[int, int]) -> dict | None:
        """Select a site and describe what is there now (``None`` while rewound)."""
        self.inspected = (arm_index, *site)
        for index, grid in enumerate(self.grids):
            grid.selected = site if index == arm_index else None
        if self.scrub_index is not None:
            return None
        return describe_site(self.arms[arm_index].model, *site)

    def screenshot(self, path: Path | None = None) -> Path | None:
        """Save the window as a PNG (``path``, or a new name in the captures folder)."""
        try:
            saved = self.captures.screenshot(self.screen, path)
        except UserInputError as error:
            self.set_status(f"Not saved: {error}")
            return None
        self.set_status(f"Saved {saved}")
        return saved

    def toggle_recording(self) -> None:
        """Start or stop writing the window to an MP4 in the captures folder."""
        self.set_status(self.captures.toggle_recording())

    def toggle_guided(self) -> None:
        """Guided mode on or off (G): pauses at the moments a lesson turns on."""
        self.guide.enabled = not self.guide.enabled
        self.guide.caption = None
        state = "on: the run pauses at each moment of the lesson" if self.guide.enabled else "off"
        self.set_status(f"Guided mode {state}")

    def toggle_theme(self) -> None:
        """Dark default or the light projector theme (larger text)."""
        self.theme = DARK if self.theme is PROJECTOR else PROJECTOR
        self.build_ui()

    def toggle_fullscreen(self) -> None:
        """Fullscreen, or back to the window's size before it."""
        self.fullscreen = not self.fullscreen
        if self.fullscreen:
            self.window_size = self.screen.get_size()  # to return to
            self.screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            self.screen = pygame.display.set_mode(self.window_size, pygame.RESIZABLE)
        self.build_ui()

    def resized(self, size: tuple[int, int]) -> None:
        """The window changed size."""
        if size != tuple(self.layout.size) and not self.fullscreen:
            self.screen = pygame.display.get_surface()
            self.build_ui()

    # --- the loop --------------------------------------------------------------------
    def update(self, dt: float) -> None:
        """Advance the simulation by ``dt`` real seconds at the chosen speed (capped)."""
        self.now += dt
        if time.monotonic() > self.status_until:
            self.status = ""
            self.status_until = float("inf")
        if not self.playing or self.scrub_index is not None:
            return
        if self.at_end():
            self.playing = False
            self.set_status(self.end_message())
            return
        hours = self.arms[0].scenario.time.hours_per_step
        arm = self.arms[0]
        left = max(0, arm.run_days() * arm.model.steps_per_day - arm.step_count)
        self.steps_due = min(self.steps_due + dt * self.speed / hours, 64.0, float(left))
        started = time.perf_counter()
        done = 0
        while self.steps_due >= 1.0:
            for arm in self.arms:
                arm.step()
            self.steps_due -= 1.0
            done += 1
            budget = self.step_budget_seconds
            if budget is not None and time.perf_counter() - started > budget:
                self.steps_due = 0.0
                break
        if done:
            self._mark_recent()
            if self.guide.check(self.arms):
                self.playing = False

    def frame(self, dt: float = 1 / 60) -> None:
        """One frame: input, simulation, drawing (and the recorder)."""
        handle_events(self)
        self.update(dt)
        self.controls.refresh(
            self.playing and self.scrub_index is None,
            self.speed,
            self.base,
            self.wanted,
            self.applied,
            self.arms[0].latest.teaching_enabled,
        )
        self.manager.update(dt)
        render(self)
        self.captures.add(self.screen)
        pygame.display.flip()

    def run(self) -> int:
        """The window's loop until closed; returns the exit status."""
        clock = pygame.time.Clock()
        with discarding_on_interrupt(lambda: self.captures.recorder):
            while self.running:
                self.frame(min(clock.tick(60) / 1000.0, 0.1))
        message = self.captures.stop()
        if message:
            print(message)
        return 0
