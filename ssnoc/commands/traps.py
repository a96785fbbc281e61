"""``ssnoc traps``: SNMP notifications for people — ``listen`` prints each trap as it arrives.

One line per notification on stdout (``--json``: one JSON object per line); the listening address
first and the counters at the end go to stderr, so stdout can be piped. Communities and SNMPv3
keys may come from the environment (``SSNOC_TRAP_COMMUNITY``, ``SSNOC_SNMP_AUTH_KEY``, …) so they
need not appear in ``ps``; they are never printed. ``--count N`` stops after N notifications and
prints the rate and CPU time per notification: a quick benchmark against a trap generator.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr, ValidationError

from collectors.snmp.trap_config import DEFAULT_TRAP_PORT
from collectors.snmp.trap_mapping import SNMP_TRAP_OID, SYS_UPTIME
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError, NocError
from core.events import Event, TrapReceived
from ssnoc.commands.snmp import make_credential

if TYPE_CHECKING:
    from collectors.snmp.trap_config import TrapReceiverConfig, TrapStats

EXIT_FAILED = 2

traps_app = typer.Typer(
    help="SNMP traps: listen and print what arrives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@traps_app.callback()
def _group() -> None:
    """SNMP traps: listen and print what arrives."""


@traps_app.command("listen")
def listen_command(
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="UDP port (0: any free one).")
    ] = DEFAULT_TRAP_PORT,
    address: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    community: Annotated[
        list[str] | None,
        typer.Option(
            envvar="SSNOC_TRAP_COMMUNITY",
            help="v1/v2c community to accept (repeat for more).",
            show_default=False,
        ),
    ] = None,
    v3_user: Annotated[
        str | None, typer.Option(envvar="SSNOC_SNMP_V3_USER", help="SNMPv3 user to accept.")
    ] = None,
    auth_protocol: Annotated[
        AuthProtocol | None,
        typer.Option(envvar="SSNOC_SNMP_AUTH_PROTOCOL", help="SNMPv3 authentication protocol."),
    ] = None,
    auth_key: Annotated[
        str | None,
        typer.Option(envvar="SSNOC_SNMP_AUTH_KEY", help="SNMPv3 auth key.", show_default=False),
    ] = None,
    priv_protocol: Annotated[
        PrivProtocol | None,
        typer.Option(envvar="SSNOC_SNMP_PRIV_PROTOCOL", help="SNMPv3 privacy protocol."),
    ] = None,
    priv_key: Annotated[
        str | None,
        typer.Option(envvar="SSNOC_SNMP_PRIV_KEY", help="SNMPv3 priv key.", show_default=False),
    ] = None,
    engine_id: Annotated[
        list[str] | None,
        typer.Option(help="Engine ID of an agent sending v3 traps as --v3-user (repeatable)."),
    ] = None,
    inventory: Annotated[
        Path | None, typer.Option(help="Inventory YAML: name the device behind each address.")
    ] = None,
    count: Annotated[
        int, typer.Option(min=0, help="Stop after this many notifications (0: never).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Receive SNMP traps and informs, and print one line for each."""
    try:
        settings = receiver_config(
            address=address,
            port=port,
            communities=community or [],
            v3_user=v3_user,
            auth_protocol=auth_protocol,
            auth_key=auth_key,
            priv_protocol=priv_protocol,
            priv_key=priv_key,
            engine_ids=engine_id or [],
        )
        devices = _devices_by_address(inventory)
        asyncio.run(_listen(settings, devices, count, as_json))
    except NocError as exc:
        typer.echo(f"ssnoc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def receiver_config(
    *,
    address: str,
    port: int,
    communities: list[str],
    v3_user: str | None,
    auth_protocol: AuthProtocol | None,
    auth_key: str | None,
    priv_protocol: PrivProtocol | None,
    priv_key: str | None,
    engine_ids: list[str],
) -> TrapReceiverConfig:
    """The receiver the options describe; messages never echo a community or key."""
    # pysnmp loads in a third of a second: only for the command that needs it.
    from collectors.snmp.trap_config import TrapReceiverConfig, TrapV3User

    users: list[TrapV3User] = []
    try:
        if v3_user:
            credential = make_credential(
                None, v3_user, auth_protocol, auth_key, priv_protocol, priv_key
            )
            if not isinstance(credential, SnmpV3Credential):
                raise ConfigError("--v3-user needs an SNMPv3 credential")
            users.append(TrapV3User(credential=credential, engine_ids=tuple(engine_ids)))
        elif engine_ids:
            raise ConfigError("--engine-id needs --v3-user")
        return TrapReceiverConfig(
            listen_address=address,
            port=port,
            communities=tuple(SnmpV2cCredential(community=SecretStr(c)) for c in communities),
            v3_users=tuple(users),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        hint = " (give --community or --v3-user)" if not communities and not v3_user else ""
        reason = str(first["msg"]).removeprefix("Value error, ")
        message = f"bad trap receiver settings: {where or 'options'}: {reason}{hint}"
        raise ConfigError(message) from None


async def _listen(
    settings: TrapReceiverConfig, devices: dict[str, str], count: int, as_json: bool
) -> None:
    from collectors.snmp.traps import TrapReceiver

    enough = asyncio.Event()
    printed = 0

    def show(event: Event) -> None:
        nonlocal printed
        if not isinstance(event, TrapReceived):
            return
        typer.echo(json.dumps(event_json(event), ensure_ascii=False) if as_json else line(event))
        printed += 1
        if count and printed >= count:
            enough.set()

    receiver = TrapReceiver(settings, show, devices.get)
    await receiver.start()
    typer.echo(f"ssnoc: listening for traps on {settings.listen_address}:{receiver.port}", err=True)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    try:
        await enough.wait()
    finally:
        # Also on Ctrl-C (the task is cancelled): the counters are the point of a test run.
        await receiver.stop()
        cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
        if printed:
            typer.echo(
                f"ssnoc: {printed} notifications in {wall:.2f} s ({printed / wall:.0f}/s), "
                f"{1000 * cpu / printed:.3f} ms CPU each",
                err=True,
            )
        typer.echo(_stats_line(receiver.stats()), err=True)


def line(event: TrapReceived) -> str:
    """One notification as one line: time, source, device, version, kind, interface, varbinds."""
    where = ""
    if event.if_index is not None or event.if_name:
        where = f" if={event.if_index if event.if_index is not None else '?'}"
        where += f"({event.if_name})" if event.if_name else ""
    rest = " ".join(f"{oid}={value!r}" for oid, value in _payload(event))
    return (
        f"{event.at.isoformat(timespec='milliseconds')} {event.source_address} "
        f"{event.device_id or '-'} {event.version} {event.kind}{where} {event.trap_oid}"
        + (f" {rest}" if rest else "")
    )


def event_json(event: TrapReceived) -> dict[str, object]:
    return {
        "at": event.at.isoformat(),
        "source_address": event.source_address,
        "device_id": event.device_id,
        "version": event.version,
        "kind": event.kind,
        "trap_oid": event.trap_oid,
        "if_index": event.if_index,
        "if_name": event.if_name,
        "varbinds": [list(pair) for pair in event.varbinds],
    }


def _payload(event: TrapReceived) -> list[tuple[str, str]]:
    return [(oid, value) for oid, value in event.varbinds if oid not in (SYS_UPTIME, SNMP_TRAP_OID)]


def _stats_line(stats: TrapStats) -> str:
    return "ssnoc: " + ", ".join(f"{name} {value}" for name, value in stats.as_dict().items())


def _devices_by_address(inventory: Path | None) -> dict[str, str]:
    if inventory is None:
        return {}
    from core.inventory import load_inventory

    return {str(device.address): device.id for device in load_inventory(inventory).devices}


if __name__ == "__main__":
    traps_app(prog_name="ssnoc traps")
