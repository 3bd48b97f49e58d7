"""Screenshots and videos (imageio with the ffmpeg binary of imageio-ffmpeg).

Frames are grabbed as RGB bytes (~1 ms) and written by a thread from a bounded queue, so
recording from the window costs the loop little. GIFs are written at most 560 px wide,
15 frames a second.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pygame

from sim.atomic_files import atomic_path, temporary_name
from sim.errors import UserInputError

VIDEO_SUFFIXES = (".mp4", ".gif")
FPS = 30
GIF_FPS = 15
GIF_WIDTH_PX = 560  # GIFs are written at most this wide (and at most half size)


def grab(surface: pygame.Surface) -> np.ndarray:
    """The surface as an ``(height, width, 3)`` uint8 array."""
    w, h = surface.get_size()
    return np.frombuffer(pygame.image.tobytes(surface, "RGB"), dtype=np.uint8).reshape(h, w, 3)


def timestamped(stem: str, suffix: str) -> Path:
    """``stem-YYYYmmdd-HHMMSS.suffix`` in the current folder."""
    return Path(f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}")


def save_screenshot(surface: pygame.Surface, path: Path) -> Path:
    """Save the surface as a PNG; one line on failure."""
    try:  # pygame picks the format from the name: the temporary one keeps ".png" last
        with atomic_path(path, keep_suffix=True) as temporary:
            pygame.image.save(surface, str(temporary))
    except (pygame.error, OSError) as error:
        raise UserInputError(f"{path}: cannot save the screenshot: {error}") from None
    return path


def check_video_path(path: Path) -> None:
    """Refuse a video name that is not .mp4 or .gif, or a folder that does not exist."""
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise UserInputError(f"--record {path}: the file must end in .mp4 or .gif")
    if not path.parent.exists():
        raise UserInputError(f"--record {path}: the folder {path.parent} does not exist")


class VideoWriter:
    """Writes frames to an MP4 or GIF from a thread (bounded queue: drops if it falls behind)."""

    def __init__(self, path: Path, fps: int = FPS) -> None:
        import imageio.v2 as imageio

        check_video_path(path)
        self.path = path
        self._temporary = temporary_name(path, keep_suffix=True)  # renamed on close
        self.gif = path.suffix.lower() == ".gif"
        if self.gif:
            self._writer = imageio.get_writer(
                str(self._temporary), mode="I", duration=1000 / min(fps, GIF_FPS), loop=0
            )
        else:
            self._writer = imageio.get_writer(
                str(self._temporary),
                fps=fps,
                codec="libx264",
                macro_block_size=8,
                quality=7,
                ffmpeg_log_level="error",
            )
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=32)
        self.frames = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def add(self, surface: pygame.Surface, block: bool = False) -> None:
        """Queue one frame of ``surface`` (``block``: wait rather than drop)."""
        if self.gif:
            w, h = surface.get_size()
            scale = min(0.5, GIF_WIDTH_PX / w)
            surface = pygame.transform.smoothscale(surface, (round(w * scale), round(h * scale)))
        frame = grab(surface).copy()
        try:
            self._queue.put(frame, block=block)
            self.frames += 1
        except queue.Full:
            self.dropped += 1

    def _work(self) -> None:
        while (frame := self._queue.get()) is not None:
            self._writer.append_data(frame)

    def close(self) -> Path:
        """Finish writing, then rename the video into place; returns the path.

        Until then the video is under a temporary name, so an interrupted recording
        leaves no half-written file (the temporary one is removed).
        """
        try:
            self._queue.put(None)
            self._thread.join()
            self._writer.close()
            os.replace(self._temporary, self.path)
        finally:
            self._temporary.unlink(missing_ok=True)
        return self.path

    def discard(self) -> None:
        """Stop without keeping anything (Ctrl-C, SIGTERM): the temporary file is removed."""
        with contextlib.suppress(Exception):
            self._writer.close()
        self._temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def discarding_on_interrupt(current: Callable[[], VideoWriter | None]) -> Iterator[None]:
    """Around a loop that may be recording: on Ctrl-C or SIGTERM (KeyboardInterrupt) or
    an error, the unfinished video of ``current()`` is removed, not left half-written."""
    try:
        yield
    except BaseException:
        writer = current()
        if writer is not None:
            writer.discard()
        raise
