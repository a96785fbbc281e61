"""Stopping a terminal simulator started beside the server (``ssnoc up``), from ``lab down``."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from lab.processes import command_line
from lab.terminals import SIMULATOR_PID_FILE


def stop_simulator(lab_dir: Path) -> bool:
    """SIGTERM the simulator whose pid ``lab_dir`` records, if it is still that simulator (a
    reused pid belongs to someone else); the pid file goes. True when one was stopped."""
    path = lab_dir / SIMULATOR_PID_FILE
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return False
    path.unlink(missing_ok=True)
    argv = command_line(pid)
    if argv is None or b"lab.terminals" not in argv:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        return True
    return False
