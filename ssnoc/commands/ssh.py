"""``ssnoc ssh``: SSH tools for people — ``collect`` asks one device or host what it is.

A target is an inventory device id (address, platform and credential from the inventory and the
credentials file) or ``HOST[:PORT]`` with ``--platform`` and a login given here. Secrets never
appear on the command line: ``--password-env VAR`` names the environment variable that holds the
password. Host keys are pinned in the state DB of the settings' data directory, as the server
pins them, so the first use of this command trusts a device for the server too and a changed key
is refused here as well. What is printed never holds a secret (accounts say how a password is
kept, not what it is; the running configuration is counted, not shown). A device that refuses
the login, does not answer or shows another host key is reported in one line on stderr with exit
status 2.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import SecretStr, ValidationError

from core.credentials import SshCredential
from core.errors import ConfigError, CredentialError, NocError
from core.model import Platform
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from collectors.ssh.results import SshCollectResult
    from collectors.ssh.target import SshTarget

log = logging.getLogger(__name__)

EXIT_FAILED = 2
EXIT_UNEXPECTED = 3
DEFAULT_PORT = 22

ssh_app = typer.Typer(
    help="SSH tools: collect facts and accounts from one device or host.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@ssh_app.callback()
def _group() -> None:
    """SSH tools: collect facts and accounts from one device or host."""


@ssh_app.command("collect")
def collect_command(
    target: Annotated[
        str,
        typer.Argument(metavar="DEVICE|HOST[:PORT]", help="Inventory device id, or an address."),
    ],
    platform: Annotated[
        Platform | None,
        typer.Option(help="Platform of an address (not needed for an inventory device)."),
    ] = None,
    username: Annotated[
        str | None, typer.Option(envvar="SSNOC_SSH_USERNAME", help="Login name for an address.")
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(metavar="VAR", help="Environment variable that holds the password."),
    ] = None,
    key: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Private key file to log in with.")
    ] = None,
    enable_secret_env: Annotated[
        str | None,
        typer.Option(metavar="VAR", help="Environment variable holding the enable secret."),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds for the whole session.")
    ] = None,
    unit: Annotated[
        list[str] | None,
        typer.Option(help="Linux: a service to check (repeat; default: the settings' list)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was collected as JSON.")
    ] = False,
) -> None:
    """Collect facts and local accounts (and, from Linux hosts, health) over SSH."""
    # Imported here: netmiko and paramiko take most of a second to load, and only this command
    # of the CLI needs them.
    from collectors.ssh.results import FailureKind

    try:
        settings = load_settings()
        ssh_target = resolve_target(
            settings,
            target,
            platform=platform,
            username=username,
            password_env=password_env,
            key=key,
            enable_secret_env=enable_secret_env,
            timeout_s=timeout,
            units=tuple(unit) if unit else None,
        )
        result = asyncio.run(_collect(settings, ssh_target))
    except NocError as exc:
        typer.echo(f"ssnoc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:  # the command is a task boundary: no traceback for the user
        log.debug("collecting %s failed", target, exc_info=True)
        typer.echo(f"ssnoc: collecting {target} failed unexpectedly: {exc!r}", err=True)
        raise typer.Exit(EXIT_UNEXPECTED) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif result.logged_in:
        typer.echo(render_text(result))
    if not result.ok:
        typer.echo(f"ssnoc: {result.device_id}: {result.error}", err=True)
        internal = result.failure is FailureKind.INTERNAL
        raise typer.Exit(EXIT_UNEXPECTED if internal else EXIT_FAILED)


async def _collect(settings: Settings, target: SshTarget) -> SshCollectResult:
    from collectors.ssh.collect import collect_device
    from collectors.ssh.executor import SshExecutor
    from core.clock import SystemClock
    from core.state.db import migrate_to_head, open_state_engine
    from core.state.host_keys import HostKeyStore

    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        await asyncio.to_thread(migrate_to_head, engine)
        host_keys = HostKeyStore(engine, SystemClock())
        async with SshExecutor(max_workers=1) as executor:
            return await collect_device(executor, target, host_keys=host_keys)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------- targets


def resolve_target(
    settings: Settings,
    text: str,
    *,
    platform: Platform | None,
    username: str | None,
    password_env: str | None,
    key: Path | None,
    enable_secret_env: str | None,
    timeout_s: float | None,
    units: tuple[str, ...] | None,
) -> SshTarget:
    """The target ``text`` names: an address when it has a port or ``--platform`` is given, an
    inventory device id otherwise."""
    if platform is None and ":" not in text:
        from ssnoc.wiring import load_network, ssh_target

        loaded = load_network(settings)
        device = loaded.inventory.device_by_id().get(text)
        if device is None:
            raise ConfigError(
                f"no device {text!r} in the inventory; for an address give HOST:PORT and --platform"
            )
        return ssh_target(device, loaded.credentials, settings, timeout_s=timeout_s, units=units)
    if platform is None:
        raise ConfigError(f"{text}: give --platform for an address")
    from collectors.ssh.target import SshTarget

    host, port = host_and_port(text)
    credential = login(username, password_env, key, enable_secret_env)
    try:
        return SshTarget(
            device_id=f"{host}:{port}",
            host=host,
            port=port,
            platform=platform,
            credential=credential,
            timeout_s=timeout_s or settings.ssh.timeout_s,
            units=units if units is not None else settings.ssh.host_units,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def host_and_port(text: str) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` → (host, port); port 22 when none is given."""
    value = text.strip()
    port_text: str | None = None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ConfigError(f"cannot read address {text!r}: use [IPv6]:PORT")
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host = value
    if not host:
        raise ConfigError(f"cannot read address {text!r}: no host")
    if port_text is None:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"cannot read address {text!r}: bad port {port_text!r}")
    return host, int(port_text)


def login(
    username: str | None,
    password_env: str | None,
    key: Path | None,
    enable_secret_env: str | None,
) -> SshCredential:
    """The login the options describe; errors name variables and files, never their contents."""
    if not username:
        raise CredentialError("give --username (or SSNOC_SSH_USERNAME) for an address")
    password = _from_env(password_env, "--password-env") if password_env else None
    if password is None and key is None:
        raise CredentialError("give --password-env VAR or --key FILE")
    if key is not None and not key.is_file():
        raise CredentialError(f"--key {key}: no such file")
    enable = _from_env(enable_secret_env, "--enable-secret-env") if enable_secret_env else None
    try:
        return SshCredential(
            username=username,
            password=SecretStr(password) if password is not None else None,
            private_key_path=key,
            enable_secret=SecretStr(enable) if enable is not None else None,
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise CredentialError(f"bad SSH login: {first['loc'][0]}: {first['msg']}") from None


def _from_env(name: str, option: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise CredentialError(f"{option} {name}: that environment variable is not set")
    return value


# ---------------------------------------------------------------------------------- output


def render_text(result: SshCollectResult) -> str:
    """A readable summary of one collection (no secret in it)."""
    facts = result.facts
    key_state = f", host key {result.host_key.value}" if result.host_key else ""
    lines = [
        f"{result.device_id} ({result.endpoint}, {result.platform.value}) "
        f"in {result.duration_s:.2f} s{key_state}"
    ]
    if facts is not None:
        for label, value in (
            ("hostname", facts.hostname),
            ("vendor", facts.vendor),
            ("os", facts.os_version),
            ("model", facts.model),
            ("serial", facts.serial),
            ("uptime", facts.uptime),
        ):
            if value:
                lines.append(f"  {label:<9} {value}")
        lines += _details(facts.details)
    if result.units:
        states = ", ".join(f"{u.unit} {u.state.value}" for u in result.units)
        lines.append(f"  services  {states}")
    lines.append(f"  accounts ({len(result.accounts)}):")
    for account in result.accounts:
        lines.append("    " + _account_line(account.model_dump()))
    if result.running_config is not None:
        lines.append(f"  running configuration: {len(result.running_config.splitlines())} lines")
    for key, reason in sorted(result.command_errors.items()):
        lines.append(f"  ! {key}: {reason}")
    return "\n".join(lines)


def _details(details: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    interfaces = details.get("interfaces")
    if isinstance(interfaces, list):
        up = sum(1 for i in interfaces if str(i.get("oper_status", "")).lower() == "up")
        lines.append(f"  interfaces {len(interfaces)} ({up} up)")
    neighbours = details.get("lldp_neighbors")
    if isinstance(neighbours, list):
        lines.append(f"  lldp neighbours ({len(neighbours)}):")
        lines += [
            f"    {n.get('local_interface')} -> {n.get('neighbor_name')} "
            f"{n.get('neighbor_interface')}"
            for n in neighbours
        ]
    if "load" in details:
        load = ", ".join("?" if v is None else f"{v:.2f}" for v in details["load"])
        memory = details.get("memory_percent")
        lines.append(f"  load      {load}")
        if memory is not None:
            lines.append(f"  memory    {memory:.1f} % used")
        for fs in details.get("filesystems", []):
            lines.append(f"  disk      {fs['mount']} {fs['used_percent']:.1f} % used")
    return lines


def _account_line(account: dict[str, Any]) -> str:
    parts = [f"{account['name']:<16}", f"privilege {account.get('privilege') or '-'}"]
    if account.get("service_types"):
        parts.append(",".join(account["service_types"]))
    if account.get("groups"):
        parts.append("groups " + ",".join(account["groups"]))
    if account.get("password_type"):
        parts.append(f"password {account['password_type']}")
    if account.get("authorized_keys"):
        parts.append(f"{len(account['authorized_keys'])} keys")
    if account.get("sudo"):
        parts.append(f"{len(account['sudo'])} sudo rules")
    if account.get("state"):
        parts.append(account["state"])
    return "  ".join(parts)


if __name__ == "__main__":
    ssh_app(prog_name="ssnoc ssh")
