"""What each key, click, drag, wheel and widget event does (see the help overlay)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame
import pygame_gui

from viz.live.controls import SLIDERS, keyed_scenarios
from viz.live.overlays import inspector_lines
from viz.live.readout import export_view
from viz.live.state import load_view, save_view

if TYPE_CHECKING:
    from viz.live.app import LiveApp

DRAG_PX = 5  # a press that moves farther than this is a drag (pan), not a click


def handle_events(app: LiveApp) -> None:
    """Process every pending event."""
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            app.running = False
            continue
        if event.type == pygame.USEREVENT:  # pygame-gui's deprecated duplicates
            continue
        if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            app.resized(pygame.display.get_surface().get_size())
            continue
        if _mouse(app, event):
            continue
        consumed = app.manager.process_events(event)
        if event.type == pygame.KEYDOWN:
            _key(app, event)
        elif event.type == pygame_gui.UI_BUTTON_PRESSED:
            _button(app, event.ui_element)
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED:
            for key, slider in app.controls.sliders.items():
                if event.ui_element is slider:
                    app.slider_moved(key)
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED:
            name = app.controls.choices.get(getattr(event, "selected_option_id", ""))
            if name is not None:
                app.open_scenario(name)
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED:
            for key, entry in app.controls.entries.items():
                if event.ui_element is entry:
                    app.value_typed(key, entry.get_text())
        elif not consumed and event.type == pygame.MOUSEBUTTONUP:
            _grid_release(app, event)


def _key(app: LiveApp, event: pygame.event.Event) -> None:
    if app.controls.typing():
        return  # the keys go into the value box
    key = event.key
    shift = bool(event.mod & pygame.KMOD_SHIFT)
    ctrl = bool(event.mod & pygame.KMOD_CTRL)
    if key != pygame.K_ESCAPE:
        app.quit_asked = False
    if ctrl and key == pygame.K_s:
        save_view(app)
    elif ctrl and key == pygame.K_o:
        load_view(app)
    elif key == pygame.K_ESCAPE:
        _escape(app)
    elif key == pygame.K_SPACE:
        app.toggle_play()
    elif key == pygame.K_RIGHT:
        app.step_forward()
    elif key == pygame.K_LEFT:
        app.scrub_by(1)
    elif key == pygame.K_END:
        app.go_live()
    elif key == pygame.K_r:
        app.reset(new_seed=shift)
    elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
        app.change_speed(+1)
    elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
        app.change_speed(-1)
    elif pygame.key.name(key).upper() in keyed_scenarios():
        app.open_scenario(keyed_scenarios()[pygame.key.name(key).upper()])
    elif key == pygame.K_f:
        app.toggle_fullscreen()
    elif key == pygame.K_p:
        app.toggle_theme()
    elif key == pygame.K_s:
        app.screenshot()
    elif key == pygame.K_v:
        app.toggle_recording()
    elif key == pygame.K_h:
        app.overlay = None if app.overlay == "help" else "help"
    elif key == pygame.K_i:
        app.overlay = None if app.overlay == "info" else "info"
    elif key == pygame.K_c:
        _toggle_cytokine(app)
    elif key == pygame.K_l:
        app.plot.log_scale = not app.plot.log_scale
    elif key == pygame.K_g:
        app.toggle_guided()
    elif key == pygame.K_e:
        export_view(app)


def _escape(app: LiveApp) -> None:
    """Esc: close an overlay or the inspector; else leave fullscreen; else ask, then quit."""
    if app.overlay or app.inspected:
        app.overlay = None
        app.inspected = None
        app.inspector = None
        for grid in app.grids:
            grid.selected = None
    elif app.fullscreen:
        app.toggle_fullscreen()
    elif app.quit_asked:
        app.running = False
    else:
        app.quit_asked = True
        app.set_status("Quit? Esc again to quit, any other key to stay")


def _toggle_cytokine(app: LiveApp) -> None:
    shown = not app.grids[0].show_cytokine
    for grid in app.grids:
        grid.show_cytokine = shown


def _button(app: LiveApp, element: object) -> None:
    controls = app.controls
    actions = {
        "play": app.toggle_play,
        "step": app.step_once,
        "reset": app.reset,
        "new_seed": lambda: app.reset(new_seed=True),
        "slower": lambda: app.change_speed(-1),
        "faster": lambda: app.change_speed(+1),
        "cytokine": lambda: _toggle_cytokine(app),
        "log": lambda: setattr(app.plot, "log_scale", not app.plot.log_scale),
        "help": lambda: setattr(app, "overlay", None if app.overlay == "help" else "help"),
        "info": lambda: setattr(app, "overlay", None if app.overlay == "info" else "info"),
    }
    for name, button in controls.buttons.items():
        if element is button:
            actions[name]()
            return
    for name, button in controls.events.items():
        if element is button:
            app.live_event(name)
            return
    if element is controls.restore:
        app.restore_defaults()


def _mouse(app: LiveApp, event: pygame.event.Event) -> bool:
    """Scrubber, grid presses, drags and the wheel; ``True`` if the event was used."""
    lay = app.layout
    if app.overlay and event.type == pygame.MOUSEBUTTONDOWN:
        app.overlay = None
        return True
    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
        if lay.scrubber.collidepoint(event.pos):
            app.scrubbing = True
            app.scrub_to((event.pos[0] - lay.scrubber.x) / lay.scrubber.w)
            return True
        if lay.live_button.collidepoint(event.pos):
            app.go_live()
            return True
        for index, grid in enumerate(app.grids):
            if grid.site_at(event.pos) is not None:
                app.press = (index, event.pos, event.pos)
                return True
    elif event.type == pygame.MOUSEMOTION:
        if app.scrubbing:
            app.scrub_to((event.pos[0] - lay.scrubber.x) / lay.scrubber.w)
            return True
        if app.press is not None:
            index, start, last = app.press
            moved = abs(event.pos[0] - start[0]) + abs(event.pos[1] - start[1])
            if moved > DRAG_PX and app.grids[index].zoomed:
                for grid in app.grids:
                    grid.pan(event.pos[0] - last[0], event.pos[1] - last[1])
                app.press = (index, start, event.pos)
                app.dragged = True
            return True
    elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
        if app.scrubbing:
            app.scrubbing = False
            return True
        return _grid_release(app, event)
    elif event.type == pygame.MOUSEWHEEL:
        pos = pygame.mouse.get_pos()
        if any(grid.site_at(pos) is not None for grid in app.grids):
            for grid in app.grids:
                grid.zoom(1 if event.y > 0 else -1)
            return True
    return False


def _grid_release(app: LiveApp, event: pygame.event.Event) -> bool:
    if app.press is None:
        return False
    index = app.press[0]
    app.press = None
    if app.dragged:
        app.dragged = False
        return True
    site = app.grids[index].site_at(event.pos)
    if site is not None:
        app.inspector = (event.pos, inspector_lines(app.inspect(index, site)))
    return True


__all__ = ["SLIDERS", "handle_events"]
