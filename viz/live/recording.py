"""Screenshots and videos (imageio with the ffmpeg binary of imageio-ffmpeg).

A video has one size, fixed by its first frame (MP4: rounded down to a multiple of 16 px;
GIF: at most 560 px wide, half size at most). Later frames of another size (the window
was resized, or went fullscreen) are scaled into it, letterboxed, so a recording survives
anything the user does. Frames are grabbed as RGB bytes (~1 ms) and written by a thread
from a bounded queue; the thread also starts ffmpeg, so starting a recording does not
stall the window. :meth:`VideoWriter.add_timed` keeps the video in real time (frames are
repeated or skipped to 30 a second), so it plays at the speed it was watched.

Screenshots and videos are written whole or not at all (:mod:`sim.atomic_files`): a video
grows under a temporary name and is renamed into place when it is closed; an interrupted
recording is discarded (:func:`discarding_on_interrupt`).
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
MP4_BLOCK_PX = 16  # MP4 sides are multiples of this (no codec padding, no warning)
MAX_REPEATS = 15  # frames repeated at most for one slow window frame (half a second)
MAX_MP4_FRAMES = 108_000  # `animate --record`: an hour at 30 frames a second
MAX_GIF_FRAMES = 900  # a minute at 15 a second: a GIF is held in memory until written


def grab(surface: pygame.Surface) -> np.ndarray:
    """The surface as an ``(height, width, 3)`` uint8 array."""
    w, h = surface.get_size()
    return np.frombuffer(pygame.image.tobytes(surface, "RGB"), dtype=np.uint8).reshape(h, w, 3)


def timestamped(stem: str, suffix: str, folder: Path = Path()) -> Path:
    """``folder/stem-YYYYmmdd-HHMMSS.suffix`` (``-2``, ``-3``... if that name is taken)."""
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    path = folder / f"{base}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{base}-{number}{suffix}"
        number += 1
    return path


def capture_folder(folder: Path) -> Path:
    """``folder``, created if needed; one line if it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(f"--out {folder}: cannot create the folder ({error})") from None
    if not folder.is_dir():
        raise UserInputError(f"--out {folder}: not a folder")
    return folder


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


def video_size(window: tuple[int, int], gif: bool) -> tuple[int, int]:
    """The fixed size of a video whose first frame is ``window`` px."""
    w, h = window
    if gif:
        scale = min(0.5, GIF_WIDTH_PX / w)
        return (max(2, round(w * scale)), max(2, round(h * scale)))
    block = MP4_BLOCK_PX
    return (max(block, w // block * block), max(block, h // block * block))


def fitted(surface: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    """``surface`` scaled to fit ``size`` (aspect kept, centred on black); itself if it
    already has that size."""
    if surface.get_size() == size:
        return surface
    w, h = surface.get_size()
    scale = min(size[0] / w, size[1] / h)
    inner = (max(1, round(w * scale)), max(1, round(h * scale)))
    frame = pygame.Surface(size)
    frame.fill((0, 0, 0))
    scaled = pygame.transform.smoothscale(surface, inner)
    frame.blit(scaled, ((size[0] - inner[0]) // 2, (size[1] - inner[1]) // 2))
    return frame


def check_frames(path: Path, frames: int) -> None:
    """``animate --record``: one line if ``frames`` is more than the format takes (an
    MP4 is streamed to disk, an hour at most; a GIF's frames stay in memory until it is
    written, a minute at most)."""
    gif = path.suffix.lower() == ".gif"
    most = MAX_GIF_FRAMES if gif else MAX_MP4_FRAMES
    if frames > most:
        advice = "; record an .mp4 for longer" if gif else ""
        raise UserInputError(
            f"--frames {frames}: a {'GIF' if gif else 'video'} takes at most {most} frames "
            f"({most // (GIF_FPS if gif else FPS)} s){advice}"
        )


class VideoWriter:
    """Writes frames to an MP4 or GIF from a thread (bounded queue: drops if it falls
    behind). Its size is fixed by the first frame; see the module docstring."""

    def __init__(self, path: Path, fps: int = FPS) -> None:
        check_video_path(path)
        self.path = path
        self._temporary = temporary_name(path, keep_suffix=True)  # renamed on close
        self.gif = path.suffix.lower() == ".gif"
        self.fps = min(fps, GIF_FPS) if self.gif else fps
        self.size: tuple[int, int] | None = None
        self.frames = 0
        self.dropped = 0
        self.error: str | None = None
        self._started: float | None = None
        self._discarding = False  # set by discard(): drop the frames, write nothing
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=32)
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def add(self, surface: pygame.Surface, block: bool = False, repeats: int = 1) -> None:
        """Queue ``repeats`` frames of ``surface`` (``block``: wait rather than drop)."""
        if self.size is None:
            self.size = video_size(surface.get_size(), self.gif)
        frame = grab(fitted(surface, self.size)).copy()
        for _ in range(repeats):
            try:
                self._queue.put(frame, block=block)
                self.frames += 1
            except queue.Full:
                self.dropped += 1

    def add_timed(self, surface: pygame.Surface, now: float) -> None:
        """Queue as many frames of ``surface`` as are due at ``now`` (seconds, monotonic)
        for the video to keep real time: none if the window is faster than the video,
        several if it is slower."""
        if self._started is None:
            self._started = now
        due = int((now - self._started) * self.fps) + 1 - self.frames - self.dropped
        if due > 0:
            self.add(surface, repeats=min(due, MAX_REPEATS))
            self.dropped += max(0, due - MAX_REPEATS)

    def _work(self) -> None:
        writer = None
        try:
            import imageio.v2 as imageio

            while (frame := self._queue.get()) is not None:
                if self._discarding:
                    continue
                if writer is None:
                    writer = self._open(imageio)
                writer.append_data(frame)
        except Exception as error:  # reported as one line by close()
            self.error = f"{type(error).__name__}: {error}"
            while self._queue.get() is not None:
                pass
        finally:
            # A GIF is written whole at close, which an interrupted recording skips
            # (else it could outlast discard() and leave a file); ffmpeg is always closed.
            if writer is not None and not (self._discarding and self.gif):
                writer.close()

    def _open(self, imageio: object) -> object:
        if self.gif:
            return imageio.get_writer(  # type: ignore[attr-defined]
                str(self._temporary), mode="I", duration=1000 / self.fps, loop=0
            )
        return imageio.get_writer(  # type: ignore[attr-defined]
            str(self._temporary),
            fps=self.fps,
            codec="libx264",
            macro_block_size=MP4_BLOCK_PX,
            quality=7,
            ffmpeg_log_level="error",
            output_params=["-preset", "veryfast"],
        )

    def close(self) -> Path:
        """Finish writing, then rename the video into place; returns the path. One line
        if the video could not be written (and no file is left)."""
        try:
            self._queue.put(None)
            self._thread.join()
            if self.error is not None:
                raise UserInputError(f"{self.path}: the video could not be written ({self.error})")
            try:
                os.replace(self._temporary, self.path)
            except OSError as error:
                raise UserInputError(
                    f"{self.path}: the video could not be saved ({error})"
                ) from None
        finally:
            self._temporary.unlink(missing_ok=True)
        return self.path

    def discard(self) -> None:
        """Stop without keeping anything (Ctrl-C, SIGTERM): the temporary file is removed."""
        self._discarding = True
        with contextlib.suppress(Exception):
            self._queue.put(None, timeout=5)
            self._thread.join(timeout=5)
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
