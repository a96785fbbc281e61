"""The TCP half of an SSH session: opened by ssnoc, handed to paramiko (and netmiko), closable
from another thread.

Opening the socket ourselves gives clear errors (refused vs. silent vs. no route) before any SSH
library is involved, and a handle the event loop can close when a session overruns its deadline:
a closed socket makes every blocked paramiko read fail at once, so the worker thread is freed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from core.errors import DeviceTimeout, DeviceUnreachable
from core.state.host_keys import endpoint_of


class SessionAborted(Exception):
    """The session's deadline passed and the event loop closed its socket."""


class Deadline:
    """Seconds left of one session's budget, on the monotonic clock."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._end = time.monotonic() + budget_s

    def remaining_s(self, floor_s: float = 0.05) -> float:
        """Seconds left, never less than ``floor_s`` (libraries treat 0 as "wait forever")."""
        return max(self._end - time.monotonic(), floor_s)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._end


class SessionSocket:
    """One session's TCP connection; :meth:`abort` may be called from any thread."""

    def __init__(self, host: str, port: int, label: str) -> None:
        self._host = host
        self._port = port
        self._label = label
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._aborted = threading.Event()

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def open(self, timeout_s: float) -> socket.socket:
        """Connect within ``timeout_s``; :class:`DeviceUnreachable` / :class:`DeviceTimeout`."""
        where = endpoint_of(self._host, self._port)
        try:
            sock = socket.create_connection((self._host, self._port), timeout=timeout_s)
        except ConnectionRefusedError:
            raise DeviceUnreachable(self._label, f"{where}: connection refused") from None
        except TimeoutError:
            raise DeviceTimeout(
                self._label, f"{where}: no TCP answer within {timeout_s:g} s"
            ) from None
        except OSError as exc:
            raise DeviceUnreachable(self._label, f"{where}: {exc.strerror or exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._aborted.is_set():
                sock.close()
                raise SessionAborted(where)
            self._sock = sock
        return sock

    def abort(self) -> None:
        """The deadline passed: close the socket and say so (reads fail from now on)."""
        self._aborted.set()
        self.close()

    def close(self) -> None:
        """Close the socket (idempotent); a session that failed on its own closes it this way."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
