"""``ssnoc snmp``: SNMP tools for people — ``probe`` asks one agent who it is.

Secrets may come from the environment (``SSNOC_SNMP_COMMUNITY``, ``SSNOC_SNMP_AUTH_KEY``,
``SSNOC_SNMP_PRIV_KEY``, …) so they need not appear in ``ps``; they are never printed. A device that
does not answer, refuses the credentials or answers garbage is reported in one line on stderr with
exit status 2 — never a traceback. With ``--json`` stdout carries the report and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError

from collectors.snmp.probe import ProbeReport, probe
from collectors.snmp.transport import SnmpTarget, SnmpTransport
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError, NocError

log = logging.getLogger(__name__)

EXIT_FAILED = 2
EXIT_UNEXPECTED = 3
DEFAULT_PORT = 161

snmp_app = typer.Typer(
    help="SNMP tools: ask a device who it is and what interfaces it has.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class TransportKind(StrEnum):
    GUFO = "gufo"
    PYSNMP = "pysnmp"


@snmp_app.callback()
def _group() -> None:
    """SNMP tools: ask a device who it is and what interfaces it has."""


@snmp_app.command("probe")
def probe_command(
    address: Annotated[str, typer.Argument(metavar="HOST[:PORT]", help="The agent's address.")],
    community: Annotated[
        str | None,
        typer.Option(envvar="SSNOC_SNMP_COMMUNITY", help="SNMPv2c community.", show_default=False),
    ] = None,
    v3_user: Annotated[
        str | None, typer.Option(envvar="SSNOC_SNMP_V3_USER", help="SNMPv3 user (instead of v2c).")
    ] = None,
    auth_protocol: Annotated[
        AuthProtocol | None,
        typer.Option(envvar="SSNOC_SNMP_AUTH_PROTOCOL", help="SNMPv3 authentication protocol."),
    ] = None,
    auth_key: Annotated[
        str | None,
        typer.Option(
            envvar="SSNOC_SNMP_AUTH_KEY", help="SNMPv3 authentication key.", show_default=False
        ),
    ] = None,
    priv_protocol: Annotated[
        PrivProtocol | None,
        typer.Option(envvar="SSNOC_SNMP_PRIV_PROTOCOL", help="SNMPv3 privacy protocol."),
    ] = None,
    priv_key: Annotated[
        str | None,
        typer.Option(envvar="SSNOC_SNMP_PRIV_KEY", help="SNMPv3 privacy key.", show_default=False),
    ] = None,
    context: Annotated[
        str, typer.Option(envvar="SSNOC_SNMP_CONTEXT", help="SNMPv3 context name.")
    ] = "",
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help=f"UDP port (default {DEFAULT_PORT}).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.01, help="Seconds to wait per try.")] = 2.0,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Tries after the first.")] = 1,
    transport: Annotated[
        TransportKind, typer.Option(envvar="SSNOC_SNMP_TRANSPORT", help="SNMP library to use.")
    ] = TransportKind.GUFO,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Identify one SNMP agent and list its interfaces."""
    try:
        host, port = split_address(address, port)
        credential = make_credential(
            community, v3_user, auth_protocol, auth_key, priv_protocol, priv_key, context
        )
        target = SnmpTarget(host, port, credential, timeout_s=timeout, retries=retries)
        report = asyncio.run(_run(make_transport(transport), target))
    except NocError as exc:
        typer.echo(f"ssnoc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:  # the command is a task boundary: no traceback for the user
        log.debug("probe of %s failed", address, exc_info=True)
        typer.echo(f"ssnoc: probing {address} failed unexpectedly: {exc!r}", err=True)
        raise typer.Exit(EXIT_UNEXPECTED) from None
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.render_text())


async def _run(transport: SnmpTransport, target: SnmpTarget) -> ProbeReport:
    try:
        return await probe(transport, target)
    finally:
        await transport.close()


def split_address(address: str, port: int | None) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address → (host, port)."""
    text = address.strip()
    given: str | None = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            given = rest[1:]
        elif rest:
            raise ConfigError(f"cannot read address {address!r}: use [IPv6]:PORT")
    elif text.count(":") == 1:
        host, given = text.split(":")
    else:
        host = text
    if not host:
        raise ConfigError(f"cannot read address {address!r}: no host")
    if given is not None:
        if not given.isdigit() or not 0 < int(given) < 65536:
            raise ConfigError(f"cannot read address {address!r}: bad port {given!r}")
        if port is not None and port != int(given):
            raise ConfigError(f"{address} and --port {port} disagree: give the port once")
        return host, int(given)
    return host, port or DEFAULT_PORT


def make_credential(
    community: str | None,
    v3_user: str | None,
    auth_protocol: AuthProtocol | None,
    auth_key: str | None,
    priv_protocol: PrivProtocol | None,
    priv_key: str | None,
    context: str = "",
) -> SnmpV2cCredential | SnmpV3Credential:
    """The credential the options describe; v3 when a user is given. Messages never echo keys."""
    try:
        if v3_user:
            if (auth_protocol is None) != (auth_key is None):
                raise ConfigError("--auth-protocol and --auth-key go together")
            if (priv_protocol is None) != (priv_key is None):
                raise ConfigError("--priv-protocol and --priv-key go together")
            if priv_protocol is not None and auth_protocol is None:
                raise ConfigError("SNMPv3 privacy needs authentication (--auth-protocol)")
            return SnmpV3Credential(
                user=v3_user,
                auth_protocol=auth_protocol,
                auth_key=SecretStr(auth_key) if auth_key is not None else None,
                priv_protocol=priv_protocol,
                priv_key=SecretStr(priv_key) if priv_key is not None else None,
                context=context,
            )
        if community:
            return SnmpV2cCredential(community=SecretStr(community))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"bad SNMP credential: {where}: {first['msg']}") from None
    raise ConfigError("give --community (or SSNOC_SNMP_COMMUNITY), or --v3-user for SNMPv3")


def make_transport(kind: TransportKind) -> SnmpTransport:
    """The adapter named ``kind``; imported here so only the one in use is loaded."""
    if kind is TransportKind.PYSNMP:
        from collectors.snmp.pysnmp_transport import PysnmpTransport

        return PysnmpTransport()
    from collectors.snmp.gufo_transport import GufoTransport

    return GufoTransport()


if __name__ == "__main__":
    snmp_app(prog_name="ssnoc snmp")
