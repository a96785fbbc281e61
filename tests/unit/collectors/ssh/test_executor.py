"""The SSH executor: bounded workers, a deadline that starts when a worker takes the job, aborts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from collectors.ssh.executor import SshExecutor, ThenJob
from core.errors import DeviceAuthError, DeviceTimeout, DeviceUnreachable

WAIT_S = 10.0
"""Deadline for conditions a test waits on; never reached when things work."""


class FakeJob:
    """A session that runs until released (or aborted), like a device that answers slowly."""

    def __init__(
        self, label: str = "dev1", *, result: str = "done", error: Exception | None = None
    ) -> None:
        self.target_label = label
        self.result = result
        self.error = error
        self.release = threading.Event()
        self.started = threading.Event()
        self.aborted = threading.Event()
        self.finished = threading.Event()

    def run(self) -> str:
        self.started.set()
        try:
            if not self.release.wait(WAIT_S):
                raise AssertionError("never released")
            if self.aborted.is_set():
                raise DeviceUnreachable(self.target_label, "socket closed under me")
            if self.error is not None:
                raise self.error
            return self.result
        finally:
            self.finished.set()

    def abort(self) -> None:
        self.aborted.set()
        self.release.set()


async def test_a_job_s_result_comes_back() -> None:
    async with SshExecutor(max_workers=2) as executor:
        job = FakeJob(result="facts")
        job.release.set()
        assert await executor.run(job, timeout_s=WAIT_S) == "facts"


async def test_a_job_s_device_error_comes_back_as_is() -> None:
    async with SshExecutor(max_workers=2) as executor:
        job = FakeJob(error=DeviceAuthError("dev1", "authentication failed"))
        job.release.set()
        with pytest.raises(DeviceAuthError, match="authentication failed"):
            await executor.run(job, timeout_s=WAIT_S)


async def test_an_overrun_is_aborted_at_its_deadline() -> None:
    async with SshExecutor(max_workers=2) as executor:
        job = FakeJob()
        started = time.monotonic()
        with pytest.raises(DeviceTimeout, match=r"no complete answer within 0\.2 s"):
            await executor.run(job, timeout_s=0.2)
        elapsed = time.monotonic() - started
        assert job.aborted.is_set()
        assert job.finished.wait(WAIT_S)  # the worker thread was freed, not left hanging
        assert elapsed < 2.0


async def test_the_deadline_starts_when_a_worker_takes_the_job() -> None:
    """With every worker busy, a queued job's timeout does not run down while it waits."""
    async with SshExecutor(max_workers=1) as executor:
        busy = FakeJob("busy")
        queued = FakeJob("queued")
        queued.release.set()
        first = asyncio.create_task(executor.run(busy, timeout_s=WAIT_S))
        second = asyncio.create_task(executor.run(queued, timeout_s=0.1))
        assert await asyncio.to_thread(busy.started.wait, WAIT_S)
        # Longer than the queued job's timeout passes while it waits for the one worker …
        done, _ = await asyncio.wait({second}, timeout=0.4)
        assert not done
        assert not queued.started.is_set()
        # … and once the worker is free it runs and succeeds.
        busy.release.set()
        assert await first == "done"
        assert await second == "done"


async def test_cancelling_the_caller_aborts_the_session() -> None:
    async with SshExecutor(max_workers=1) as executor:
        job = FakeJob()
        task = asyncio.create_task(executor.run(job, timeout_s=WAIT_S))
        assert await asyncio.to_thread(job.started.wait, WAIT_S)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert job.aborted.is_set()


async def test_then_runs_on_the_worker_after_the_job() -> None:
    async with SshExecutor(max_workers=1) as executor:
        job = FakeJob(result="raw")
        job.release.set()
        threads: list[str] = []

        def parse(raw: str) -> str:
            threads.append(threading.current_thread().name)
            return raw.upper()

        assert await executor.run(ThenJob(job, parse), timeout_s=WAIT_S) == "RAW"
        assert threads[0].startswith("ssnoc-ssh")


async def test_a_closed_executor_takes_no_jobs() -> None:
    executor = SshExecutor(max_workers=1)
    executor.close()
    with pytest.raises(RuntimeError, match="closed"):
        await executor.run(FakeJob(), timeout_s=1.0)


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SshExecutor(max_workers=0)
