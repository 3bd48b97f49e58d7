"""Helpers for the live-view tests: open a view on the SDL dummy driver, press a key."""

from __future__ import annotations

import os

import pygame

from viz.live.app import LiveApp, LiveConfig


def open_view(config: LiveConfig) -> LiveApp:
    """A live view on the dummy driver (no window), with one frame drawn."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    live = LiveApp(config)
    live.frame()
    return live


def press(app: LiveApp, code: int, mod: int = 0, dt: float = 1 / 60) -> None:
    """Post a key press and draw one frame."""
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0))
    app.frame(dt)
