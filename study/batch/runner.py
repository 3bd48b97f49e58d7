"""Running a batch's unfinished runs on any executor, with retries and a progress bar.

:func:`run_batch` submits the runs of a plan to a :class:`concurrent.futures.Executor`
(a :class:`~study.batch.executors.SerialExecutor`, a process pool, or a Dask cluster's
``client.get_executor()``) with a bounded number in flight, writes each run as it
finishes, retries failing runs, and stops cleanly on Ctrl-C or a broken executor.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sim.engine_choice import DEFAULT_ENGINE
from study.batch.defaults import MAX_ATTEMPTS
from study.batch.executors import quiet_logger
from study.batch.plan import BatchPlan, PlannedRun
from study.batch.store import BatchDirectory, RunResultLike

WAIT_POLL_SECONDS = 1.0
"""While runs are in flight, how often the batch checks that its executor is still there."""

Simulate = Callable[[Any, int, int | None], RunResultLike]
"""``simulate(scenario, seed, days) -> RunResult``: a module-level function (pickled by name)."""


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run; pickled to the worker, so it holds no lambdas."""

    run: PlannedRun
    scenario: Any
    days: int | None
    simulate: Simulate


def execute_run(task: RunTask) -> RunResultLike:
    """Run one task on a worker (a module-level function, so executors can pickle it)."""
    return task.simulate(task.scenario, task.run.seed, task.days)


def default_simulate(engine: str = DEFAULT_ENGINE) -> Simulate:
    """The project's simulation function, stepping every model with ``engine``
    (a :func:`functools.partial` of a module-level function: executors pickle it)."""
    from sim.run import run_simulation

    return partial(run_simulation, engine=engine)


@dataclass(frozen=True)
class RunFailure:
    """A run that failed on every attempt."""

    run: PlannedRun
    attempts: int
    error: str
    traceback: str


@dataclass
class BatchOutcome:
    """What a call of :func:`run_batch` did."""

    planned: int
    already_finished: int
    completed: int = 0
    failures: list[RunFailure] = field(default_factory=list)
    retried: int = 0
    interrupted: bool = False
    executor_error: str | None = None
    write_error: OSError | None = None
    elapsed_seconds: float = 0.0

    @property
    def finished(self) -> int:
        """Runs with a part file now."""
        return self.already_finished + self.completed

    @property
    def runs_per_minute(self) -> float:
        """Runs completed by this call, per minute of wall time."""
        return 60.0 * self.completed / self.elapsed_seconds if self.elapsed_seconds else 0.0


def _describe_error(error: BaseException) -> tuple[str, str]:
    first_line = (str(error).strip().splitlines() or [""])[0]
    text = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return text, "".join(traceback.format_exception(error))


class _Progress:
    """A tqdm bar: runs done of all, runs per minute (this session) and time left."""

    def __init__(self, total: int, initial: int, enabled: bool) -> None:
        self.started = time.monotonic()
        self.completed = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=initial,
                unit="run",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
                smoothing=0.05,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} runs "
                "[{elapsed}<{remaining}{postfix}]",
            )
            self.bar.set_postfix_str("0.0 runs/min", refresh=False)

    def advance(self) -> None:
        self.completed += 1
        if self.bar is not None:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{60.0 * self.completed / elapsed:.1f} runs/min", False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _WriteFailed(Exception):
    """A finished run could not be saved (a full disk, a permission): not the run's fault."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _ExecutorLost(Exception):
    """The executor cannot run anything more (a broken process pool, a lost cluster)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def run_batch(
    plan: BatchPlan,
    directory: BatchDirectory,
    executor: Executor,
    *,
    max_in_flight: int,
    simulate: Simulate | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    progress: bool = True,
    finished_ids: set[str] | None = None,
    executor_lost: Callable[[], str | None] | None = None,
) -> BatchOutcome:
    """Run every unfinished run of ``plan`` on ``executor``, writing each as it finishes.

    At most ``max_in_flight`` tasks are submitted at a time, so memory does not grow with
    the number of runs. A failing run is resubmitted until it has been tried
    ``max_attempts`` times, then reported in :attr:`BatchOutcome.failures`; the others go
    on. Ctrl-C (KeyboardInterrupt) stops submitting, cancels what has not started and
    returns with ``interrupted=True``; an executor that breaks (a pool whose worker
    process died, a lost cluster) stops the batch with ``executor_error`` set. Either way
    every finished run is already on disk.

    ``finished_ids`` are the ids of the runs already saved, if the caller has listed them
    (:meth:`BatchDirectory.finished_run_ids`); by default the directory is listed here.
    ``executor_lost`` is asked every :data:`WAIT_POLL_SECONDS` while runs are in flight
    (:class:`~study.batch.executors.SchedulerWatch`): a message means the executor is gone
    for good (a lost Dask scheduler, whose futures would never finish), and the batch
    stops as for a broken executor.
    """
    if max_in_flight < 1:
        raise ValueError("max_in_flight must be >= 1")
    simulate = simulate or default_simulate(plan.spec.engine)
    started = time.monotonic()
    if finished_ids is None:
        finished_ids = directory.finished_run_ids()
    unfinished = [run for run in plan.runs if run.run_id not in finished_ids]
    already = plan.n_runs - len(unfinished)
    todo = iter(unfinished)
    outcome = BatchOutcome(planned=plan.n_runs, already_finished=already)
    bar = _Progress(total=plan.n_runs, initial=already, enabled=progress)
    retry_queue: deque[tuple[PlannedRun, int]] = deque()
    in_flight: dict[Future[Any], tuple[PlannedRun, int]] = {}

    def submit(run: PlannedRun, attempt: int) -> None:
        task = RunTask(
            run=run, scenario=plan.scenario_for(run), days=plan.spec.days, simulate=simulate
        )
        try:
            future = executor.submit(execute_run, task)
        except Exception as error:  # a broken pool, a lost cluster: no run can go on
            raise _ExecutorLost(error) from error
        in_flight[future] = (run, attempt)

    lost: list[BaseException] = []

    def retry_or_fail(run: PlannedRun, attempt: int, error: Exception) -> None:
        if attempt < max_attempts:
            outcome.retried += 1
            retry_queue.append((run, attempt + 1))
        else:
            message, trace = _describe_error(error)
            outcome.failures.append(RunFailure(run, attempt, message, trace))

    def handle(future: Future[Any]) -> None:
        run, attempt = in_flight.pop(future)
        try:
            result = future.result()
        except BrokenExecutor as error:  # a worker process died and took the pool with it
            lost.append(error)
            return
        except Exception as error:  # the run failed on the worker
            retry_or_fail(run, attempt, error)
            return
        try:
            directory.write_part(run, result)
        except OSError as error:  # the disk is full or not writable: not the run's fault,
            raise _WriteFailed(error) from error  # and computing it again would not help
        except Exception as error:  # the result is unusable (cannot be stored)
            retry_or_fail(run, attempt, error)
        else:
            outcome.completed += 1
            bar.advance()

    try:
        exhausted = False
        while True:
            while len(in_flight) < max_in_flight:
                if retry_queue:
                    submit(*retry_queue.popleft())
                    continue
                next_run = None if exhausted else next(todo, None)
                if next_run is None:
                    exhausted = True
                    break
                submit(next_run, 1)
            if not in_flight:
                break
            done = wait(list(in_flight), WAIT_POLL_SECONDS, FIRST_COMPLETED).done
            if not done and executor_lost is not None and (reason := executor_lost()):
                raise _ExecutorLost(ConnectionError(reason))
            while done:  # popping drops each result as soon as it is written
                handle(done.pop())
            if lost:  # the finished runs of this round are saved; nothing more can run
                raise _ExecutorLost(lost[0])
    except KeyboardInterrupt:
        outcome.interrupted = True
    except _ExecutorLost as gone:
        outcome.executor_error = _describe_error(gone.error)[0]
    except _WriteFailed as write_failed:
        outcome.write_error = write_failed.error
    finally:
        if executor_lost is None or not executor_lost():  # a lost cluster cannot cancel
            with quiet_logger("concurrent.futures"):  # a reconnecting client refuses
                for future in in_flight:
                    future.cancel()
        in_flight.clear()
        bar.close()
        outcome.elapsed_seconds = time.monotonic() - started
    outcome.failures.sort(key=lambda failure: failure.run.index)
    return outcome
