"""``ssnoc lab up|down|status``: the simulated province on this machine's loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.errors import NocError
from core.settings import load_settings
from lab.control import lab_down, lab_status, lab_up
from lab.state import LabOptions

lab_app = typer.Typer(
    help="The simulated Guangdong province: SNMP agents on 127.x.y.z, one per device.",
    no_args_is_help=True,
)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def _data_dir(data_dir: Path | None) -> Path:
    return data_dir or load_settings().data_dir


def _fail(exc: NocError) -> typer.Exit:
    typer.echo(f"ssnoc: {exc}", err=True)
    return typer.Exit(2)


@lab_app.command("up")
def up(
    size: Annotated[str, typer.Option(help="small (tests), medium, or full (the province).")] = (
        "full"
    ),
    seed: Annotated[int, typer.Option(help="Same seed, same province.")] = 1,
    network: Annotated[
        str, typer.Option(help="Loopback prefix for device addresses (127.20 or 127.A.B).")
    ] = "127.20",
    port: Annotated[int, typer.Option(help="UDP port of every agent.")] = 1161,
    divisions: Annotated[
        Path | None, typer.Option(help="Divisions JSON; default ../shared/data/….")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")] = None,
) -> None:
    """Build the province and start its agents (a running lab is replaced)."""
    options = LabOptions(
        data_dir=_data_dir(data_dir),
        size=size,
        seed=seed,
        network=network,
        port=port,
        divisions_path=divisions,
    )
    try:
        state = lab_up(options, progress=_progress)
    except NocError as exc:
        raise _fail(exc) from None
    typer.echo(
        f"lab up: {state.devices} devices, {state.interfaces} interfaces, {state.links} links "
        f"on {len(state.shards)} simulator processes in {state.startup_s:.1f} s\n"
        f"inventory:   {state.inventory_path}\ncredentials: {state.credentials_path}"
    )


@lab_app.command("down")
def down(
    data_dir: Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")] = None,
) -> None:
    """Stop every agent of the lab."""
    try:
        report = lab_down(_data_dir(data_dir))
    except NocError as exc:
        raise _fail(exc) from None
    if not report.was_recorded:
        typer.echo("no lab is running here")
        return
    typer.echo(
        f"lab down: stopped {len(report.stopped_pids)} simulator processes"
        + (
            f" ({len(report.already_gone_pids)} were already gone)"
            if report.already_gone_pids
            else ""
        )
    )


@lab_app.command("status")
def status(
    data_dir: Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")] = None,
) -> None:
    """Whether each simulator process is alive and its agents answer; exit 1 if not all are."""
    try:
        report = lab_status(_data_dir(data_dir))
    except NocError as exc:
        raise _fail(exc) from None
    if report.state is None:
        typer.echo("no lab is running here")
        raise typer.Exit(1)
    state = report.state
    typer.echo(
        f"lab ({state.options.size}, seed {state.options.seed}) "
        f"started {state.started_at:%Y-%m-%d %H:%M:%S} UTC: "
        f"{state.devices} devices, {report.endpoints_bound}/{report.endpoints_total} agents bound, "
        f"{report.shards_alive}/{len(report.shards)} processes alive"
    )
    for shard in report.shards:
        mark = "ok  " if shard.healthy else "FAIL"
        line = (
            f"  {mark} shard {shard.index:2d} pid {shard.pid}: "
            f"{shard.endpoints_bound}/{shard.endpoints_total} agents"
        )
        if shard.log_tail:
            line += f" — {shard.log_tail}"
        typer.echo(line)
    if report.endpoints_bound != report.endpoints_total or report.shards_alive != len(
        report.shards
    ):
        raise typer.Exit(1)
