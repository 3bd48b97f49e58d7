"""Where the runs execute: in this process, on a local process pool, or on Dask.

:func:`open_executor` turns an :class:`ExecutionChoice` into a running
:class:`concurrent.futures.Executor` (and stops it afterwards). Every executor gives the
same outputs: a run's seed depends only on the root seed and its replicate.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.errors import UserInputError
from sim.limits import check_one_line

SCHEDULER_ADDRESS = re.compile(
    r"^(?:tcp://)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$"
)
"""``tcp://HOST:PORT`` (the ``tcp://`` may be left out)."""
PARENT_POLL_SECONDS = 1.0
"""How often a pool worker checks that the batch's main process is still alive."""
PR_SET_PDEATHSIG = 1

SCHEDULER_CONNECT_SECONDS = 20
"""How long a Dask client waits to connect, and to reconnect to a scheduler that went away."""
LOST_SCHEDULER_SECONDS = 30.0
"""A scheduler not answering this long (the client reconnecting) counts as lost."""
LOST_CLUSTER_BOUND_SECONDS = 60
"""A batch whose Dask scheduler is lost ends within this many seconds (exit status 1):
at most :data:`LOST_SCHEDULER_SECONDS` to call it lost, a poll of the runner, and
:data:`CLOSE_TIMEOUT_SECONDS` to close the client, with room to spare."""
CLOSE_TIMEOUT_SECONDS = 5
"""How long closing a Dask client or cluster may take when stopping a batch."""

DASK_PRELOAD_MODULE = "study.batch.executors"
"""The module Dask workers of our LocalCluster preload (its :func:`dask_setup` runs there)."""


class SerialExecutor(Executor):
    """An executor that runs each task at once, in this process (no pickling, easy debugging).

    It lets a serial batch take the same code path as a pool or a Dask cluster.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future with its outcome."""
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(result)
        return future


@dataclass(frozen=True)
class ExecutionChoice:
    """Where the runs execute: here, a local process pool, a new or an existing Dask cluster."""

    kind: Literal["serial", "pool", "dask-local", "scheduler"]
    workers: int | None = None
    address: str | None = None
    source: str | None = field(default=None, compare=False)
    """The experiment file the choice was read from; None for the command line."""

    def option(self, name: str) -> str:
        """How messages name the setting ``name`` where the user gave it: ``--dask-local``
        on the command line, ``FILE: dask_local`` in an experiment file."""
        if self.source is None:
            return f"--{name}"
        return f"{self.source}: {name.replace('-', '_')}"


def execution_choice(
    *,
    serial: bool,
    workers: int | None,
    dask_local: int | None,
    scheduler: str | None,
    source: str | None = None,
) -> ExecutionChoice | None:
    """The executor these options choose, or None when none is given.

    Used for the command line's options and for an experiment file's (both checked
    before, with at most one given); ``source`` is the experiment file they were read
    from (None: the command line), for messages.
    """
    if serial:
        return ExecutionChoice("serial", source=source)
    if workers is not None:
        return ExecutionChoice("pool", workers=workers, source=source)
    if dask_local is not None:
        return ExecutionChoice("dask-local", workers=dask_local, source=source)
    if scheduler is not None:
        return ExecutionChoice("scheduler", address=scheduler, source=source)
    return None


class ExecutorHandle:
    """An open executor, how many tasks to keep in flight, and how to stop it at once."""

    def __init__(
        self,
        executor: Executor,
        max_in_flight: int,
        description: str,
        abort: Callable[[], None] | None = None,
        lost: Callable[[], str | None] | None = None,
    ) -> None:
        self.executor = executor
        self.max_in_flight = max_in_flight
        self.description = description
        self._abort = abort
        self.lost = lost
        """Called while waiting for runs: why the executor is gone for good, else None."""

    def abort(self) -> None:
        """Stop now: used on Ctrl-C, so running tasks do not delay the exit."""
        if self._abort is not None:
            self._abort()


class SchedulerWatch:
    """Tells when a Dask client has lost its scheduler for good.

    A client whose scheduler stops answering tries to reconnect (for its connection
    timeout), then closes; its pending futures never finish. The batch asks this watch
    while it waits: the client closed, or not running for :data:`LOST_SCHEDULER_SECONDS`,
    means the cluster is lost, so the batch ends (exit status 1, finished runs kept)
    within :data:`LOST_CLUSTER_BOUND_SECONDS` of the loss instead of waiting forever.
    """

    def __init__(
        self, client: Any, where: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.where = where
        self.clock = clock
        self.not_running_since: float | None = None

    def __call__(self) -> str | None:
        status = str(getattr(self.client, "status", "running"))
        if status == "running":
            self.not_running_since = None
            return None
        if status in ("closing", "closed", "failed"):
            return f"lost the Dask scheduler {self.where} (the client is {status})"
        now = self.clock()
        if self.not_running_since is None:
            self.not_running_since = now
        if now - self.not_running_since > LOST_SCHEDULER_SECONDS:
            return (
                f"lost the Dask scheduler {self.where} (no answer for "
                f"{LOST_SCHEDULER_SECONDS:.0f} s)"
            )
        return None


@contextlib.contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Silence the logger ``name`` for the block (the batch says what matters in one line).

    Used for the Dask client's own reconnect errors, and for the tracebacks
    ``concurrent.futures`` logs when a reconnecting client refuses to cancel a run.
    """
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _close_client(client: Any, cluster: Any = None) -> None:
    """Close a Dask client (and cluster) without a traceback, even when the scheduler is gone."""
    for closable in (client, cluster):
        if closable is not None:
            with contextlib.suppress(Exception):
                closable.close(timeout=CLOSE_TIMEOUT_SECONDS)


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def check_scheduler_address(label: str, address: str) -> str:
    """Check a Dask scheduler address (``tcp://HOST:PORT``) before connecting; return it.

    ``tls://`` needs certificates that cartsim does not configure, so it is refused here
    with one line instead of failing deep inside Dask.
    """
    check_one_line(label, address)
    text = address.strip()
    scheme = text.split("://", 1)[0] if "://" in text else None
    if scheme is not None and scheme != "tcp":
        raise UserInputError(
            f"{label} {text!r}: the {scheme}:// scheme is not supported; give "
            "tcp://HOST:PORT (for an encrypted link, tunnel tcp:// through SSH: docs/batch.md)"
        )
    match = SCHEDULER_ADDRESS.match(text)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise UserInputError(
            f"{label} {text!r}: expected tcp://HOST:PORT, such as tcp://10.0.0.5:8786"
        )
    return text


def ignore_sigint() -> None:
    """Ctrl-C is the main process's business (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_when_orphaned(parent_pid: int) -> None:
    """End this worker as soon as the process that started it is gone (even by SIGKILL)."""
    with contextlib.suppress(Exception):  # Linux: the kernel kills us when the parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:  # every system: poll the parent
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="cartsim-parent-watch", daemon=True).start()


def pool_worker_setup(parent_pid: int) -> None:
    """Pool worker initializer: leave Ctrl-C to the main process, and die with it."""
    ignore_sigint()
    _exit_when_orphaned(parent_pid)


def dask_setup(worker: object) -> None:
    """Dask preload hook of our LocalCluster's workers: leave Ctrl-C to the main process.

    A terminal sends Ctrl-C to every process of the job; the main process stops the batch
    and closes the cluster, so the workers need not print their own KeyboardInterrupt.
    """
    ignore_sigint()


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def open_executor(choice: ExecutionChoice, runs_left: int) -> Iterator[ExecutorHandle]:
    """Start the chosen executor (and stop it on leaving the block).

    The process pool uses the ``spawn`` start method: workers start from a fresh
    interpreter, so nothing of the parent (threads of tqdm, pyarrow or Dask, open files)
    is copied into them, which ``fork`` can deadlock on; it is also what macOS and Windows
    use, so the batch behaves the same everywhere. The cost, importing the model once per
    worker, is paid once per batch.
    """
    if choice.kind == "serial":
        yield ExecutorHandle(SerialExecutor(), 1, "serial (in this process)")
        return
    if choice.kind == "pool":
        workers = max(1, min(choice.workers or available_cores(), runs_left))
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=pool_worker_setup,
            initargs=(os.getpid(),),
        )
        try:
            yield ExecutorHandle(
                pool, 2 * workers, f"process pool, {workers} workers", lambda: _terminate_pool(pool)
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - dask is a dependency
        raise UserInputError(f"--dask-local/--scheduler: Dask is not installed ({error})") from None
    if choice.kind == "dask-local":
        workers = max(1, choice.workers or 1)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            preload=[DASK_PRELOAD_MODULE],  # its dask_setup runs in each worker
        )
        client = Client(cluster, timeout=f"{SCHEDULER_CONNECT_SECONDS}s")
        try:
            with quiet_logger("distributed.client"):
                yield ExecutorHandle(
                    client.get_executor(pure=False),
                    2 * workers,
                    f"Dask LocalCluster, {workers} worker processes",
                    lost=SchedulerWatch(client, "of the local cluster"),
                )
        finally:
            _close_client(client, cluster)
        return
    option = choice.option("scheduler")
    address = check_scheduler_address(option, choice.address or "")
    with quiet_logger("distributed.client"):
        yield from _scheduler_executor(Client, address, option)


def _scheduler_executor(client_class: Any, address: str, option: str) -> Iterator[ExecutorHandle]:
    """The executor of an existing Dask cluster (the body of :func:`open_executor`)."""
    try:
        client = client_class(address, timeout=f"{SCHEDULER_CONNECT_SECONDS}s")
    except Exception as error:
        first_line = (str(error).strip().splitlines() or [""])[0]
        raise UserInputError(
            f"{option} {address}: cannot connect ({type(error).__name__}: {first_line}); "
            "is `dask scheduler` running there, and the port open?"
        ) from None
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            print(
                f"batch: the scheduler at {address} has no workers yet; waiting for some",
                file=sys.stderr,
            )
        yield ExecutorHandle(
            client.get_executor(pure=False),
            max(2 * threads, 4),
            f"Dask cluster at {address}, {len(client.nthreads())} workers, {threads} threads",
            lost=SchedulerWatch(client, f"at {address}"),
        )
    finally:
        _close_client(client)
