"""Network devices over netmiko: one session, the command set's commands, raw answers back.

netmiko's exceptions are translated here, where they enter. A command that never gives the prompt
back ends the session (the device is still busy with it, so nothing else can be asked), but the
answers already read are kept: the result says which command hung and still carries the rest.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

import paramiko
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from collectors.ssh import auth
from collectors.ssh.command_sets import CommandSet
from collectors.ssh.connect import Deadline, SessionAborted, SessionSocket
from collectors.ssh.drivers import DRIVERS, SessionControl, SsnocSession
from collectors.ssh.host_key_policy import HostKeyGate
from collectors.ssh.target import SshTarget
from core.errors import (
    ConfigError,
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    MalformedResponse,
)
from core.state.host_keys import HostKeyStore, HostKeyVerdict

log = logging.getLogger(__name__)

_SESSION_ERRORS = (
    ReadException,
    paramiko.SSHException,
    OSError,
    EOFError,
    ValueError,
    SessionAborted,
)
"""What netmiko and paramiko raise when a session goes wrong after login (anything else is a bug
in ssnoc, left to the collection's task boundary)."""


@dataclass
class DeviceSessionOutput:
    prompt_hostname: str | None
    outputs: dict[str, str] = field(default_factory=dict)
    """Command key → the device's answer (prompt and echo stripped)."""
    command_errors: dict[str, str] = field(default_factory=dict)
    failure: DeviceError | None = None
    """Set when the session broke after login (the commands after it were not sent)."""
    host_key: HostKeyVerdict | None = None


class DeviceCommandsJob:
    """A :class:`collectors.ssh.executor.SessionJob` running command-set commands on a device."""

    def __init__(
        self,
        target: SshTarget,
        command_set: CommandSet,
        keys: Sequence[str],
        host_keys: HostKeyStore,
    ) -> None:
        if command_set.netmiko_device_type not in DRIVERS:
            raise ConfigError(f"no netmiko driver for {command_set.netmiko_device_type!r}")
        self._target = target
        self._command_set = command_set
        self._keys = tuple(keys)
        self._host_keys = host_keys
        self._socket = SessionSocket(target.host, target.port, target.device_id)

    @property
    def target_label(self) -> str:
        return self._target.device_id

    def abort(self) -> None:
        self._socket.abort()

    def run(self) -> DeviceSessionOutput:
        target = self._target
        deadline = Deadline(target.timeout_s)
        gate = HostKeyGate(
            self._host_keys,
            target.host,
            target.port,
            target=target.device_id,
            device_id=target.device_id,
        )
        control = SessionControl(self._socket, deadline, gate)
        connection = self._connect(control)
        result = DeviceSessionOutput(prompt_hostname=connection.base_prompt or None)
        try:
            gate.confirm(_transport(connection))
            result.host_key = gate.verdict
            self._privileged(connection)
            for key in self._keys:
                spec = self._command_set.commands[key]
                try:
                    answer = connection.send_command(
                        spec.command,
                        read_timeout=deadline.remaining_s(),
                        strip_prompt=True,
                        strip_command=True,
                        # The prompt cannot change between read-only commands: no round trip to
                        # find it again before each one (fast_cli's find_prompt sleeps too).
                        auto_find_prompt=False,
                    )
                    result.outputs[key] = answer if isinstance(answer, str) else str(answer)
                except ReadTimeout:
                    reason = (
                        f"{spec.command!r} gave no prompt back within the session's "
                        f"{target.timeout_s:g} s"
                    )
                    result.command_errors[key] = reason
                    result.failure = DeviceTimeout(target.device_id, reason)
                    break
                except _SESSION_ERRORS as exc:
                    result.failure = self._translate(exc, gate, deadline)
                    result.command_errors[key] = result.failure.reason
                    break
        except DeviceError as exc:
            result.failure = exc
        except _SESSION_ERRORS as exc:
            result.failure = self._translate(exc, gate, deadline)
        finally:
            control.broken = result.failure is not None
            _close(connection)
            self._socket.close()
        return result

    def _connect(self, control: SessionControl) -> SsnocSession:
        target = self._target
        deadline, gate = control.deadline, control.gate
        driver = DRIVERS[self._command_set.netmiko_device_type]
        credential = target.credential
        secret = credential.enable_secret.get_secret_value() if credential.enable_secret else ""
        try:
            pkey = auth.private_key(credential)
            sock = self._socket.open(deadline.remaining_s())
            budget = deadline.remaining_s()
            return driver(
                ssnoc=control,
                device_type=self._command_set.netmiko_device_type,
                host=target.host,
                port=target.port,
                username=credential.username,
                password=auth.password(credential),
                secret=secret,
                pkey=pkey,
                use_keys=False,  # True would make paramiko try ~/.ssh keys as well
                allow_agent=False,
                sock=sock,
                conn_timeout=budget,
                banner_timeout=budget,
                auth_timeout=budget,
                blocking_timeout=budget,
                timeout=budget,
                session_timeout=budget,
                fast_cli=True,
            )
        except DeviceError:
            self._socket.close()
            raise
        except Exception as exc:
            self._socket.close()
            if isinstance(exc, ReadTimeout) and not control.prompt_found:
                platform = self._command_set.platform.value
                raise MalformedResponse(
                    target.device_id,
                    f"{target.endpoint}: logged in, but no {platform} prompt came; the device "
                    f"last printed {control.tail[-80:]!r} (wrong platform?)",
                ) from exc
            raise self._translate(exc, gate, deadline) from exc

    def _privileged(self, connection: SsnocSession) -> None:
        if not self._command_set.enable or connection.check_enable_mode():
            return
        if self._target.credential.enable_secret is None:
            log.info("%s: no enable secret: staying unprivileged", self._target.device_id)
            return
        try:
            connection.enable()  # its reads are bounded by the session's deadline
        except (ReadTimeout, ValueError) as exc:
            raise DeviceAuthError(
                self._target.device_id, f"{self._target.endpoint}: enable refused: {exc}"
            ) from exc

    def _translate(self, exc: BaseException, gate: HostKeyGate, deadline: Deadline) -> DeviceError:
        label = self._target.device_id
        where = self._target.endpoint
        refused = gate.refusal(exc)
        if refused is not None:
            return refused
        if isinstance(exc, DeviceError):
            return exc
        if self._socket.aborted or isinstance(exc, SessionAborted):
            return DeviceTimeout(label, f"{where}: aborted at the {deadline.budget_s:g} s deadline")
        if isinstance(exc, NetmikoAuthenticationException | paramiko.AuthenticationException):
            user = self._target.credential.username
            return DeviceAuthError(label, f"{where}: authentication failed for user {user!r}")
        if isinstance(exc, ReadTimeout | TimeoutError | socket.timeout) or deadline.passed:
            return DeviceTimeout(
                label, f"{where}: no complete answer within {deadline.budget_s:g} s"
            )
        if isinstance(exc, ValueError) and "prompt" in str(exc).lower():
            return MalformedResponse(label, f"{where}: unexpected prompt: {exc}")
        if isinstance(exc, NetmikoTimeoutException):
            first = str(exc).strip().splitlines()
            text = next((line for line in first if line.strip()), "SSH failed")
            if "banner" in str(exc).lower():
                return MalformedResponse(label, f"{where}: not an SSH server ({text.strip()})")
            return DeviceUnreachable(label, f"{where}: {text.strip()}")
        if isinstance(exc, EOFError | ConnectionError | ReadException):
            return DeviceUnreachable(label, f"{where}: the device closed the connection")
        if isinstance(exc, OSError):
            return DeviceUnreachable(label, f"{where}: {exc.strerror or exc}")
        return MalformedResponse(label, f"{where}: {type(exc).__name__}: {exc}")


def _transport(connection: SsnocSession) -> paramiko.Transport | None:
    client = connection.ssh_client
    return client.get_transport() if client is not None else None


def _close(connection: SsnocSession) -> None:
    # Logging out is a courtesy: a session that already broke cannot say goodbye.
    with contextlib.suppress(Exception):
        connection.disconnect()
