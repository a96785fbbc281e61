"""Linux hosts over paramiko: one session, one remote shell script, its output back.

Everything a host is asked is batched into one script (TRAPS: one exec is ~115 ms per host, one
exec per check ~460 ms). The script is fed to ``/bin/sh -s`` on stdin, so the login shell of the
account does not matter; the stdin file object is kept referenced until the write side is shut on
purpose (paramiko shuts it when the object is collected, and later writes then fail).
paramiko's exceptions are translated here, where they enter.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import paramiko

from collectors.ssh import auth
from collectors.ssh.connect import Deadline, SessionAborted, SessionSocket
from collectors.ssh.host_key_policy import HostKeyGate
from collectors.ssh.target import SshTarget
from core.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    MalformedResponse,
)
from core.state.host_keys import HostKeyStore, HostKeyVerdict

REMOTE_SHELL = "exec /bin/sh -s"


@dataclass(frozen=True, slots=True)
class ScriptOutput:
    stdout: str
    stderr: str
    exit_status: int
    host_key: HostKeyVerdict | None


class HostScriptJob:
    """A :class:`collectors.ssh.executor.SessionJob` that runs ``script`` on a Linux host."""

    def __init__(self, target: SshTarget, script: str, host_keys: HostKeyStore) -> None:
        self._target = target
        self._script = script
        self._host_keys = host_keys
        self._socket = SessionSocket(target.host, target.port, target.device_id)

    @property
    def target_label(self) -> str:
        return self._target.device_id

    def abort(self) -> None:
        self._socket.abort()

    def run(self) -> ScriptOutput:
        target = self._target
        deadline = Deadline(target.timeout_s)
        gate = HostKeyGate(
            self._host_keys,
            target.host,
            target.port,
            target=target.device_id,
            device_id=target.device_id,
        )
        client = paramiko.SSHClient()
        try:
            pkey = auth.private_key(target.credential)
            gate.install(client)
            sock = self._socket.open(deadline.remaining_s())
            client.connect(
                hostname=target.host,
                port=target.port,
                username=target.credential.username,
                password=auth.password(target.credential),
                pkey=pkey,
                sock=sock,
                timeout=deadline.remaining_s(),
                banner_timeout=deadline.remaining_s(),
                auth_timeout=deadline.remaining_s(),
                channel_timeout=deadline.remaining_s(),
                look_for_keys=False,
                allow_agent=False,
            )
            gate.confirm(client.get_transport())
            return self._execute(client, deadline, gate)
        except DeviceError:
            raise
        except Exception as exc:
            raise self._translate(exc, gate, deadline) from exc
        finally:
            client.close()
            self._socket.close()

    def _execute(
        self, client: paramiko.SSHClient, deadline: Deadline, gate: HostKeyGate
    ) -> ScriptOutput:
        # ``stdin`` stays a named local for the whole exchange (see the module docstring).
        stdin, stdout, stderr = client.exec_command(REMOTE_SHELL, timeout=deadline.remaining_s())
        stdin.write(self._script)
        stdin.flush()
        stdin.channel.shutdown_write()  # end of script: the shell runs it and exits
        out = stdout.read().decode("utf-8", errors="replace")
        err = stderr.read().decode("utf-8", errors="replace")
        status = stdout.channel.recv_exit_status()
        return ScriptOutput(out, err, status, gate.verdict)

    def _translate(self, exc: Exception, gate: HostKeyGate, deadline: Deadline) -> DeviceError:
        label = self._target.device_id
        where = self._target.endpoint
        refused = gate.refusal(exc)
        if refused is not None:
            return refused
        if self._socket.aborted or isinstance(exc, SessionAborted):
            return DeviceTimeout(label, f"{where}: aborted at the {deadline.budget_s:g} s deadline")
        if isinstance(exc, paramiko.AuthenticationException):
            user = self._target.credential.username
            return DeviceAuthError(label, f"{where}: authentication failed for user {user!r}")
        if isinstance(exc, TimeoutError | socket.timeout) or deadline.passed:
            return DeviceTimeout(
                label, f"{where}: no complete answer within {deadline.budget_s:g} s"
            )
        if isinstance(exc, EOFError | ConnectionError):
            return DeviceUnreachable(label, f"{where}: the server closed the connection")
        if isinstance(exc, paramiko.SSHException):
            text = str(exc)
            if "banner" in text.lower():
                return MalformedResponse(label, f"{where}: not an SSH server ({text})")
            return DeviceUnreachable(label, f"{where}: SSH failed: {text}")
        if isinstance(exc, OSError):
            return DeviceUnreachable(label, f"{where}: {exc.strerror or exc}")
        return MalformedResponse(label, f"{where}: {type(exc).__name__}: {exc}")
