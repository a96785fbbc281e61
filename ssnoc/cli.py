"""The ``ssnoc`` command line.

Every command turns a :class:`core.errors.NocError` into one clear line on stderr and exit status
2; nobody sees a traceback for a mistake they can fix (a wrong path, a bad setting, a device that
does not answer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from core.settings import CONFIG_ENV, Settings, load_settings
from ssnoc import __version__
from ssnoc.commands.audit import audit_app
from ssnoc.commands.config import scrub_command
from ssnoc.commands.failures import clear_errors
from ssnoc.commands.lab import lab_app
from ssnoc.commands.security import security_app
from ssnoc.commands.snmp import snmp_app
from ssnoc.commands.ssh import ssh_app
from ssnoc.commands.terminals import terminals_app
from ssnoc.commands.topology import topology_app
from ssnoc.commands.traps import traps_app
from ssnoc.commands.users import users_app
from ssnoc.commands.vault import vault_app

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="ssnoc",
    help="Network and system operations centre of the provincial social-security network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(lab_app, name="lab")
app.add_typer(snmp_app, name="snmp")
app.add_typer(ssh_app, name="ssh")
app.add_typer(vault_app, name="vault")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(security_app, name="security")
app.add_typer(traps_app, name="traps")
app.add_typer(topology_app, name="topology")
app.add_typer(terminals_app, name="terminals")
inventory_app = typer.Typer(help="Check inventory files.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")
config_app = typer.Typer(
    help="Settings, and device configurations (scrub secrets before sharing one).",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")
config_app.command("scrub")(scrub_command)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"ssnoc {__version__}")
        raise typer.Exit


@app.callback()
def root(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Settings file (TOML); default ./ssnoc.toml."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


def settings() -> Settings:
    return load_settings()


def configure_logging(level: str, log_file: Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers = [logging.FileHandler(log_file, encoding="utf-8")]
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


@app.command()
@clear_errors
def serve(
    log_file: Annotated[
        Path | None, typer.Option(help="Write the log here instead of stderr.")
    ] = None,
) -> None:
    """Run the NOC server: the SNMP collectors and the API, until interrupted."""
    from ssnoc.server import run_server
    from ssnoc.wiring import load_network, open_noc

    current = settings()
    configure_logging(current.log_level, log_file)
    loaded = load_network(current)
    noc = open_noc(current)
    try:
        asyncio.run(run_server(noc, loaded))
    finally:
        noc.close()


@app.command()
@clear_errors
def up(
    keep_server: Annotated[
        bool, typer.Option(help="Leave the server running after the console closes.")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Fill in this user name on the login screen (a lab user is logged in with "
            "the lab's recorded password).",
        ),
    ] = None,
) -> None:
    """Start the NOC server (unless one is running) and open the console on it."""
    from ssnoc.launcher import open_console_on_server

    open_console_on_server(settings(), keep_server=keep_server, user=user)


@app.command()
@clear_errors
def console(
    url: Annotated[
        str | None,
        typer.Option(help="API of a running server; default: in-process on the local stores."),
    ] = None,
    read_only: Annotated[bool, typer.Option(help="Hide every state-changing action.")] = False,
    user: Annotated[
        str | None, typer.Option("--as", help="Fill in this user name on the login screen.")
    ] = None,
) -> None:
    """Open the console (set SSNOC_TOKEN to use a personal API token instead of logging in)."""
    from ssnoc.launcher import run_console

    run_console(settings(), url=url, read_only=read_only, user=user)


@app.command()
@clear_errors
def poll(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the cycle report as JSON.")
    ] = False,
) -> None:
    """Poll every device in the inventory once, store the results, and report."""
    from ssnoc.launcher import poll_once

    report = poll_once(settings())
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    typer.echo(
        f"polled {report['polled']} devices in {report['duration_s']:.1f} s: "
        f"{report['succeeded']} answered, {len(report['failed'])} failed, "
        f"{report['samples']} samples stored"
    )
    for device_id, reason in sorted(report["failed"].items()):
        typer.echo(f"  {device_id}: {reason}")


@inventory_app.command("check")
@clear_errors
def inventory_check(
    path: Annotated[Path | None, typer.Argument(help="Default: the configured inventory.")] = None,
) -> None:
    """Validate an inventory file (and the credentials it refers to)."""
    from ssnoc.wiring import load_network

    loaded = load_network(settings(), path)
    inv = loaded.inventory
    typer.echo(
        f"{path or settings().resolved_inventory_path}: {len(inv.regions)} regions, "
        f"{len(inv.sites)} sites, {len(inv.devices)} devices, {len(inv.links)} links; "
        f"{len(loaded.targets)} devices to poll"
    )
    for device_id, reason in sorted(loaded.skipped.items()):
        typer.echo(f"  not polled: {device_id}: {reason}", err=True)
    if loaded.skipped:
        raise typer.Exit(1)


@config_app.command("show")
@clear_errors
def config_show() -> None:
    """Print the effective settings (secrets masked)."""
    typer.echo(settings().model_dump_json(indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
