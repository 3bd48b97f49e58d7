"""Recording from the window survives resizing and fullscreen (posted pygame events):
one fixed video size, a playable MP4, the file in the captures folder."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path

import numpy as np
import pygame
from live_helpers import press

from viz.live.app import LiveApp
from viz.live.recording import VideoWriter, fitted, video_size


def test_resizing_and_fullscreen_while_recording_leave_a_playable_video(
    view: LiveApp, tmp_path: Path
) -> None:
    import imageio.v2 as imageio

    press(view, pygame.K_v)
    recorder = view.captures.recorder
    assert recorder is not None and recorder.path.parent == tmp_path / "caps"
    assert str(recorder.path) in view.status
    press(view, pygame.K_SPACE)
    for _ in range(3):
        view.frame()
    pygame.display.set_mode((900, 640), pygame.RESIZABLE)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(900, 640), w=900, h=640))
    for _ in range(3):
        view.frame()
    assert view.layout.size == (900, 640)
    press(view, pygame.K_f)  # fullscreen while recording
    for _ in range(3):
        view.frame()
    press(view, pygame.K_v)
    assert view.captures.recorder is None
    assert view.status.startswith("Saved ") and str(recorder.path) in view.status
    frames = imageio.mimread(str(recorder.path), memtest=False)
    assert len(frames) >= 3
    assert {np.asarray(frame).shape for frame in frames} == {(720, 1280, 3)}
    assert np.asarray(frames[-1]).std() > 20


def test_a_frame_of_another_size_is_letterboxed_into_the_video_size() -> None:
    surface = pygame.Surface((400, 100))
    surface.fill((255, 0, 0))
    frame = fitted(surface, (200, 100))
    assert frame.get_size() == (200, 100)
    assert frame.get_at((100, 50))[:3] == (255, 0, 0)
    assert frame.get_at((100, 5))[:3] == (0, 0, 0)  # the band above the scaled frame
    assert video_size((1366, 768), gif=False) == (1360, 768)


def test_timed_frames_keep_real_time(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "t.mp4", fps=30)
    surface = pygame.Surface((64, 48))
    writer.add_timed(surface, 100.0)
    writer.add_timed(surface, 100.01)  # faster than the video: nothing due
    assert writer.frames == 1
    writer.add_timed(surface, 100.2)  # slower: the frames of 0.2 s are due
    assert writer.frames == 7
    writer.close()


def test_leaving_fullscreen_returns_to_the_resized_window(view: LiveApp) -> None:
    pygame.display.set_mode((900, 640), pygame.RESIZABLE)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(900, 640), w=900, h=640))
    view.frame()
    press(view, pygame.K_f)
    press(view, pygame.K_ESCAPE)
    assert not view.fullscreen and view.screen.get_size() == (900, 640)
