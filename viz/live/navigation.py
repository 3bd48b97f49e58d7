"""Moving through a run in the live view: one step, the end of the run, and the rewind
(stored frames: nothing is simulated again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viz.live.session import Arm, Frame


class Navigation:
    """The live view's moves in time (mixed into :class:`viz.live.app.LiveApp`)."""

    arms: list[Arm]
    grids: list[Any]
    scrub_index: int | None
    playing: bool
    inspected: tuple[int, int, int] | None

    def set_status(self, text: str) -> None:  # pragma: no cover - the app's
        raise NotImplementedError

    def _advance(self, steps: int) -> None:  # pragma: no cover - the app's
        raise NotImplementedError

    def at_end(self) -> bool:
        """Whether the run has reached its last day (the scenario's ``time.days``)."""
        arm = self.arms[0]
        return arm.model.day >= arm.run_days()

    def end_message(self) -> str:
        """The status at the end of the run."""
        return (
            f"End of the run ({self.arms[0].run_days()} days): R to reset, "
            "or drag the scrubber back"
        )

    def step_once(self) -> None:
        """One model step of every arm (returns to the present first); none at the end."""
        self.go_live()
        self.playing = False
        if self.at_end():
            self.set_status(self.end_message())
            return
        self._advance(1)

    def step_forward(self) -> None:
        """Right: rewound, the next stored frame (up to the present, never past it);
        at the present, one model step (never past the end of the run)."""
        if self.scrub_index is not None:
            self.scrub_by(-1)
        else:
            self.step_once()

    def go_live(self) -> None:
        """Leave a rewound moment for the present."""
        if self.scrub_index is not None:
            self.scrub_index = None
            for grid in self.grids:
                grid.clear_marks()

    def scrub_to(self, fraction: float) -> None:
        """Show the stored frame at ``fraction`` (0-1) of the run so far; pauses."""
        frames = self.arms[0].store.frames
        index = round(max(0.0, min(1.0, fraction)) * (len(frames) - 1))
        self.playing = False
        self.inspected = None
        for grid in self.grids:
            grid.clear_marks()
        self.scrub_index = None if index >= len(frames) - 1 else index

    def scrub_by(self, frames_back: int) -> None:
        """Step the rewind by ``frames_back`` stored frames (positive: earlier)."""
        frames = self.arms[0].store.frames
        current = len(frames) - 1 if self.scrub_index is None else self.scrub_index
        index = max(0, min(len(frames) - 1, current - frames_back))
        self.playing = False
        self.scrub_index = None if index >= len(frames) - 1 else index

    def shown(self, arm_index: int) -> Frame | Any:
        """What arm ``arm_index`` shows: its latest snapshot, or a stored frame."""
        arm = self.arms[arm_index]
        if self.scrub_index is None:
            return arm.latest
        step = self.arms[0].store.frames[self.scrub_index].step
        frames = arm.store.frames
        best = frames[0]
        for frame in frames:
            if frame.step > step:
                break
            best = frame
        return best
