"""S (screenshot) and V (video) in the window: files go to one folder (``--out``, by
default ``captures/``), created on first use; the status line names each file."""

from __future__ import annotations

import time
from pathlib import Path

import pygame

from sim.errors import UserInputError
from viz.live.defaults import DEFAULT_CAPTURES
from viz.live.recording import (
    VideoWriter,
    capture_folder,
    save_screenshot,
    timestamped,
)


class Captures:
    """The window's screenshots and its one recording at a time, in ``folder``."""

    def __init__(self, folder: Path = DEFAULT_CAPTURES) -> None:
        self.folder = folder
        self.recorder: VideoWriter | None = None

    def new_path(self, stem: str, suffix: str) -> Path:
        """A new timestamped file name in the folder (created if need be).

        Raises:
            UserInputError: the folder cannot be created (one line)."""
        return timestamped(stem, suffix, capture_folder(self.folder))

    def screenshot(self, surface: pygame.Surface, path: Path | None = None) -> Path:
        """Save ``surface`` as a PNG (``path``, or a new name in the folder).

        Raises:
            UserInputError: the folder or the file cannot be written (one line)."""
        target = path or self.new_path("cartsim", ".png")
        return save_screenshot(surface, target)

    def toggle_recording(self) -> str:
        """Start or stop the MP4; the status line's message."""
        if self.recorder is not None:
            return self.stop() or ""
        try:
            path = self.new_path("cartsim", ".mp4")
        except UserInputError as error:
            return f"Not recording: {error}"
        self.recorder = VideoWriter(path)
        return f"Recording to {path} (V to stop)"

    def add(self, surface: pygame.Surface) -> None:
        """Give the recording (if any) this frame, timed in real seconds."""
        if self.recorder is not None:
            self.recorder.add_timed(surface, time.monotonic())

    def stop(self) -> str | None:
        """Finish the recording, if any: what was saved, or why not."""
        if self.recorder is None:
            return None
        recorder, self.recorder = self.recorder, None
        try:
            path = recorder.close()
        except UserInputError as error:
            return f"Not saved: {error}"
        seconds = recorder.frames / recorder.fps
        return f"Saved {path} ({seconds:.0f} s of video)"
