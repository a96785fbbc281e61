"""Collecting over SSH: one device or host, or a fleet — one result per target, never an abort.

Network devices run their platform's command set through netmiko; Linux hosts run one batched
script through paramiko. Either way the session is a job on the :class:`SshExecutor`, bounded by
the target's timeout, and whatever goes wrong (authentication, timeout, an unexpected prompt, a
refused host key) becomes that target's result with a clear reason. A refused host key is also a
security event: :class:`core.events.HostKeyChanged` is published on the bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from collectors.ssh.command_sets import RUNNING_CONFIG, command_set
from collectors.ssh.device_facts import DeviceReading, interpret
from collectors.ssh.executor import SshExecutor, ThenJob
from collectors.ssh.host_key_policy import HostKeyRefused
from collectors.ssh.host_reading import HostReading, interpret_host
from collectors.ssh.host_script import build_host_script
from collectors.ssh.netmiko_session import DeviceCommandsJob, DeviceSessionOutput
from collectors.ssh.paramiko_session import HostScriptJob, ScriptOutput
from collectors.ssh.results import SshCollectResult
from collectors.ssh.target import SshTarget
from core.clock import Clock, SystemClock
from core.errors import ConfigError, MalformedResponse, NocError
from core.events import EventBus, HostKeyChanged
from core.model import Platform
from core.state.host_keys import HostKeyStore

log = logging.getLogger(__name__)

OVERRUN_GRACE_S = 1.0
"""The executor's deadline is the target's timeout plus this: the session's own deadline fires
first and keeps the answers already read; the executor's is the backstop for a stuck library."""


async def collect_device(
    executor: SshExecutor,
    target: SshTarget,
    *,
    host_keys: HostKeyStore,
    events: EventBus | None = None,
    commands: Sequence[str] | None = None,
    clock: Clock | None = None,
) -> SshCollectResult:
    """Collect one device or host. ``commands`` limits a network device to those command keys
    (of its command set); Linux hosts always run their whole script."""
    clock = clock or SystemClock()
    result = await _collect(executor, target, host_keys, commands, clock)
    if isinstance(result.exception, HostKeyRefused):
        _publish_refusal(events, clock, target, result.exception)
    return result


async def _collect(
    executor: SshExecutor,
    target: SshTarget,
    host_keys: HostKeyStore,
    commands: Sequence[str] | None,
    clock: Clock,
) -> SshCollectResult:
    started = clock.monotonic()
    at = clock.now()
    try:
        if target.platform is Platform.LINUX:
            host = await executor.run(_host_job(target, host_keys), timeout_s=_budget(target))
            return SshCollectResult.from_host(target, at, clock.monotonic() - started, host)
        keys = command_set(target.platform).keys(tuple(commands) if commands else None)
        output, reading = await executor.run(
            _device_job(target, keys, host_keys), timeout_s=_budget(target)
        )
        return SshCollectResult.from_device(
            target, at, clock.monotonic() - started, output, reading
        )
    except NocError as exc:
        return SshCollectResult.failed(target, at, clock.monotonic() - started, exc)
    except Exception as exc:  # task boundary: one target, one result
        log.exception("SSH collection of %s failed unexpectedly", target.device_id)
        return SshCollectResult.failed(
            target,
            at,
            clock.monotonic() - started,
            exc,
            reason=f"internal error: {type(exc).__name__}: {exc}",
        )


async def collect_fleet(
    executor: SshExecutor,
    targets: Sequence[SshTarget],
    *,
    host_keys: HostKeyStore,
    events: EventBus | None = None,
    concurrency: int | None = None,
    clock: Clock | None = None,
) -> list[SshCollectResult]:
    """Collect every target, at most ``concurrency`` at once (default: the executor's workers);
    results in the order of ``targets``. A dead target holds one slot for its timeout only."""
    limit = asyncio.Semaphore(concurrency or executor.max_workers)

    async def one(target: SshTarget) -> SshCollectResult:
        async with limit:
            return await collect_device(
                executor, target, host_keys=host_keys, events=events, clock=clock
            )

    return list(await asyncio.gather(*(one(t) for t in targets)))


async def fetch_running_config(
    executor: SshExecutor,
    target: SshTarget,
    *,
    host_keys: HostKeyStore,
    events: EventBus | None = None,
    clock: Clock | None = None,
) -> str:
    """The device's running configuration, as it printed it (not scrubbed).

    Raises :class:`core.errors.DeviceError` (auth, timeout, refused host key, a refused or empty
    answer) — the caller records the failure; Linux hosts have no running configuration.
    """
    if target.platform is Platform.LINUX:
        raise ConfigError(f"{target.device_id}: Linux hosts have no running configuration")
    clock = clock or SystemClock()
    result = await collect_device(
        executor,
        target,
        host_keys=host_keys,
        events=events,
        commands=(RUNNING_CONFIG,),
        clock=clock,
    )
    if result.running_config is not None and result.running_config.strip():
        return result.running_config
    if result.exception is not None:
        raise result.exception
    reason = result.command_errors.get(RUNNING_CONFIG) or result.error or "empty answer"
    raise MalformedResponse(target.device_id, f"no running configuration: {reason}")


def _budget(target: SshTarget) -> float:
    return target.timeout_s + OVERRUN_GRACE_S


def _device_job(
    target: SshTarget, keys: tuple[str, ...], host_keys: HostKeyStore
) -> ThenJob[DeviceSessionOutput, tuple[DeviceSessionOutput, DeviceReading]]:
    commands = command_set(target.platform)

    def parse(output: DeviceSessionOutput) -> tuple[DeviceSessionOutput, DeviceReading]:
        reading = interpret(
            commands,
            output.outputs,
            prompt_hostname=output.prompt_hostname,
            command_errors=output.command_errors,
            device_id=target.device_id,
        )
        return output, reading

    return ThenJob(DeviceCommandsJob(target, commands, keys, host_keys), parse)


def _host_job(target: SshTarget, host_keys: HostKeyStore) -> ThenJob[ScriptOutput, HostReading]:
    script = build_host_script(target.units)

    def parse(output: ScriptOutput) -> HostReading:
        return interpret_host(target.device_id, script, output)

    return ThenJob(HostScriptJob(target, script.text, host_keys), parse)


def _publish_refusal(
    events: EventBus | None, clock: Clock, target: SshTarget, refusal: HostKeyRefused
) -> None:
    log.warning("SSH host key refused: %s", refusal)
    if events is None:
        return
    events.publish(
        HostKeyChanged(
            at=clock.now(),
            endpoint=refusal.endpoint,
            device_id=target.device_id,
            pinned_fingerprint=refusal.pinned_fingerprint,
            presented_fingerprint=refusal.presented_fingerprint,
        )
    )
