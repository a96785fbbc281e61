"""An SSH simulator process: ``python -m lab.ssh.run CONFIG.json`` serves the devices it lists.

``lab up`` starts these detached; ``ssnoc lab ssh-device`` runs one in the foreground. SIGTERM or
SIGINT stop it; SIGHUP makes it present the host keys now on disk (after ``lab ssh-rekey``);
SIGUSR1 makes it show the lab's faults as faults.json now has them (``lab fail|recover``), and
write the generation it shows to its ack file once it does.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import asyncssh

from core.errors import LabError
from lab.ssh.fault_views import acknowledge
from lab.ssh.server import SshSimulator
from lab.ssh.spec import SimulatorConfig

READY_LINE = "ssh simulator listening"
"""Printed once every device listens (the log's first line when all went well)."""


async def serve(
    config: SimulatorConfig, on_ready: Callable[[SshSimulator], None] | None = None
) -> None:
    """Serve until SIGTERM or SIGINT."""
    # asyncssh logs every connection at INFO: the lab's simulators keep only warnings.
    asyncssh.set_log_level(logging.WARNING)
    simulator = SshSimulator(config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    started = asyncio.Event()
    reloads: set[asyncio.Task[int]] = set()
    fault_reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:
        task = loop.create_task(simulator.reload_host_keys())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    async def show_faults() -> None:
        await started.wait()
        try:
            generation = await simulator.reload_faults()
        except LabError as exc:
            # Left unacknowledged: `lab fail|recover` reports it with this log's end.
            print(f"ssh simulator: faults not applied: {exc}", file=sys.stderr, flush=True)
            return
        if generation is not None and config.faults_ack_path is not None:
            acknowledge(config.faults_ack_path, generation)

    def faults_changed() -> None:
        task = loop.create_task(show_faults())
        fault_reloads.add(task)
        task.add_done_callback(fault_reloads.discard)

    # Before listening: once a device listens, `lab fail` may signal, and SIGUSR1 would kill.
    loop.add_signal_handler(signal.SIGUSR1, faults_changed)
    await simulator.start()
    started.set()
    await show_faults()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload)
    if on_ready is not None:
        on_ready(simulator)
    else:
        print(f"{READY_LINE} on {len(config.devices)} endpoints", flush=True)
    try:
        await stop.wait()
    finally:
        await simulator.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m lab.ssh.run CONFIG.json", file=sys.stderr)
        return 2
    config = SimulatorConfig.model_validate_json(Path(args[0]).read_text(encoding="utf-8"))
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        print(f"ssh simulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
