"""The bounded thread pool that netmiko and paramiko run in, behind ``async`` functions.

Both libraries block, so each SSH session is one job on a worker thread: one connection per job,
created and closed inside it, never shared between threads. The pool is bounded
(``max_workers``), and so is the number of jobs handed to it at once: a job's deadline starts when
a worker takes it, not while it queues, so sixteen slow devices cannot eat the timeout of the
seventeenth.

A job that overruns its deadline is *aborted*: it closes its own socket, so the blocked library
call returns at once and the worker is free again; the caller gets :class:`DeviceTimeout` at the
deadline, whatever the thread is still doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

from core.errors import DeviceTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")
T_co = TypeVar("T_co", covariant=True)

ABORT_GRACE_S = 2.0
"""How long an aborted job may take to unwind before its worker slot is given up on."""


class SessionJob(Protocol[T_co]):
    """One SSH session's work, run on a worker thread."""

    @property
    def target_label(self) -> str:
        """Which device or host, for error messages."""
        ...

    def run(self) -> T_co:
        """Connect, do the work, disconnect; raise only :class:`core.errors.NocError`."""
        ...

    def abort(self) -> None:
        """Called from the event loop's thread when the deadline passed: make :meth:`run` return
        (or raise) promptly, e.g. by closing the socket. Must be thread-safe and idempotent."""
        ...


class ThenJob(Generic[T, U]):
    """``job``, then ``then`` on its result, on the same worker thread — parsing belongs there,
    off the event loop (TextFSM takes milliseconds per answer)."""

    def __init__(self, job: SessionJob[T], then: Callable[[T], U]) -> None:
        self._job = job
        self._then = then

    @property
    def target_label(self) -> str:
        return self._job.target_label

    def run(self) -> U:
        return self._then(self._job.run())

    def abort(self) -> None:
        self._job.abort()


class SshExecutor:
    """``max_workers`` threads for SSH sessions; ``await executor.run(job, timeout_s=…)``."""

    def __init__(self, max_workers: int = 16) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssnoc-ssh")
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def max_workers(self) -> int:
        return self._max_workers

    async def run(self, job: SessionJob[T], *, timeout_s: float) -> T:
        """Run ``job`` on a worker; :class:`DeviceTimeout` when it takes more than ``timeout_s``
        once started."""
        if self._closed:
            raise RuntimeError("the SSH executor is closed")
        loop = asyncio.get_running_loop()
        async with self._slots_for(loop):
            future = loop.run_in_executor(self._pool, job.run)
            try:
                # shield: on timeout the thread's future must stay alive so we can wait for it.
                return await asyncio.wait_for(asyncio.shield(future), timeout=timeout_s)
            except TimeoutError:
                job.abort()
                await _unwind(future, job.target_label)
                raise DeviceTimeout(
                    job.target_label, f"no complete answer within {timeout_s:g} s"
                ) from None
            except asyncio.CancelledError:
                job.abort()
                await _unwind(future, job.target_label)
                raise

    def _slots_for(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        # A semaphore belongs to one event loop; a CLI run or a test may bring a new one.
        if self._slots is None or self._slots_loop is not loop:
            self._slots = asyncio.Semaphore(self._max_workers)
            self._slots_loop = loop
        return self._slots

    def close(self) -> None:
        """Stop taking jobs; running ones finish (they are bounded by their own deadlines)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> SshExecutor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()


async def _unwind(future: asyncio.Future[T], label: str) -> None:
    """Wait (a little) for an aborted job's thread, so its slot is really free when released."""
    # The job's own error no longer matters: the caller is told about the deadline instead.
    future.add_done_callback(_consume)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.shield(future), timeout=ABORT_GRACE_S)
    if not future.done():
        log.warning("SSH session to %s did not stop within %g s of its abort", label, ABORT_GRACE_S)


def _consume(future: asyncio.Future[T]) -> None:
    if not future.cancelled():
        future.exception()
