"""``ssnoc lab up|down|status|fail|recover|faults|ssh-device|ssh-rekey``: the simulated province
on loopback, and faults injected into it."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from core.errors import LabError, NocError
from core.model import Platform
from core.settings import load_settings
from lab.control import lab_down, lab_status, lab_up
from lab.fault_control import (
    FaultChange,
    fail_device,
    fail_link,
    lab_faults,
    recover_all,
    recover_device,
    recover_link,
)
from lab.fault_store import LabFaults
from lab.ssh.lifecycle import rekey_device
from lab.ssh.run import serve
from lab.ssh.sample import single_device_spec
from lab.ssh.server import SshSimulator
from lab.ssh.spec import SimulatorConfig, SshBehaviour
from lab.state import LabOptions
from ssnoc.commands.lab_card import card_app
from ssnoc.lab_enrollment import enroll_lab
from ssnoc.lab_fleet import enroll_lab_terminals

lab_app = typer.Typer(
    help="The simulated Guangdong province: SNMP agents and SSH devices on 127.x.y.z, one per "
    "device; OpenSSH for the Linux hosts.",
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
    ssh: Annotated[
        bool, typer.Option(help="SSH on every router and switch (and, as root, the hosts).")
    ] = True,
    ssh_port: Annotated[int, typer.Option(help="TCP port of every SSH server.")] = 2222,
) -> None:
    """Build the province and start its agents (a running lab is replaced)."""
    options = LabOptions(
        data_dir=_data_dir(data_dir),
        size=size,
        seed=seed,
        network=network,
        port=port,
        divisions_path=divisions,
        ssh=ssh,
        ssh_port=ssh_port,
    )
    try:
        state = lab_up(options, progress=_progress)
        _progress("enrolling the lab: device secrets into the vault, NOC users")
        lab_settings = load_settings(data_dir=options.data_dir)
        enrolled = enroll_lab(lab_settings, state)
        _progress("enrolling the lab's card terminals: registry, PSAM bindings, credentials")
        terminals = enroll_lab_terminals(lab_settings, state)
    except NocError as exc:
        raise _fail(exc) from None
    typer.echo(
        f"lab up: {state.devices} devices, {state.interfaces} interfaces, {state.links} links "
        f"on {len(state.shards)} simulator processes in {state.startup_s:.1f} s\n"
        f"inventory:   {state.inventory_path}\ncredentials: {state.credentials_path} "
        f"({enrolled.secrets_imported} secrets in the NOC's vault)\n"
        f"NOC users:   {enrolled.users_file} (user names and passwords; "
        f"{enrolled.users_created} new)\n"
        f"terminals:   {terminals.registered} new in the registry, {terminals.provisioned} "
        f"provisioned now, {terminals.left_registered} left for the provisioning station; "
        f"credentials in {terminals.tokens_file}"
    )
    for problem in terminals.import_errors[:5]:
        typer.echo(f"  terminal import: {problem}", err=True)
    if state.ssh_port is not None:
        hosts = f"{len(state.sshd)} sshd" if state.sshd else f"no sshd ({state.linux_ssh_note})"
        typer.echo(
            f"ssh:         port {state.ssh_port}, {len(state.ssh_simulators)} device simulators, "
            + hosts
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
    stopped = len(report.stopped_pids) + len(report.ssh_stopped_pids)
    gone = len(report.already_gone_pids) + len(report.ssh_already_gone_pids)
    typer.echo(
        f"lab down: stopped {stopped} simulator processes"
        + (f" ({gone} were already gone)" if gone else "")
        + (f"; {report.faults_cleared} faults cleared" if report.faults_cleared else "")
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
    for responder in report.ssh:
        mark = "ok  " if responder.healthy else "FAIL"
        line = (
            f"  {mark} {responder.kind} {responder.index:2d} pid {responder.pid}: "
            f"{responder.listening}/{responder.endpoints_total} SSH endpoints"
            + (f" ({responder.silenced} silenced by faults)" if responder.silenced else "")
        )
        if responder.log_tail:
            line += f" — {responder.log_tail}"
        typer.echo(line)
    if state.ssh_port is not None and not state.sshd:
        typer.echo(f"  Linux hosts: no SSH — {state.linux_ssh_note}")
    if report.faults.faults.count:
        _echo_faults(report.faults)
    if not report.all_up:
        raise typer.Exit(1)


fail_app = typer.Typer(
    help="Inject a fault into the running lab; the NOC sees it through its collectors.",
    no_args_is_help=True,
)
recover_app = typer.Typer(
    help="Take back faults: every one (`recover` or `recover all`), a link, or a device."
)
lab_app.add_typer(fail_app, name="fail")
lab_app.add_typer(recover_app, name="recover")
lab_app.add_typer(card_app, name="card")

DeviceName = Annotated[str, typer.Argument(help="A device's id or hostname, e.g. gz-core1.")]
DataDir = Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")]


def _apply(change: Callable[[], FaultChange]) -> None:
    try:
        done = change()
    except NocError as exc:
        raise _fail(exc) from None
    typer.echo(f"{done.describe()} ({done.elapsed_s:.2f} s)")


@fail_app.command("link")
def fail_link_command(a: DeviceName, b: DeviceName, data_dir: DataDir = None) -> None:
    """Fail the link between A and B: both ends go down, its traffic moves to the backup path,
    its LLDP neighbours go; devices left without a path to the cores fall silent."""
    _apply(lambda: fail_link(_data_dir(data_dir), a, b))


@fail_app.command("device")
def fail_device_command(device: DeviceName, data_dir: DataDir = None) -> None:
    """Fail a device: it answers nothing (SNMP, SSH); its neighbours' ports to it go down; the
    devices behind it fall silent."""
    _apply(lambda: fail_device(_data_dir(data_dir), device))


@recover_app.callback(invoke_without_command=True)
def recover(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Without a subcommand: take back every fault."""
    if ctx.invoked_subcommand is None:
        _apply(lambda: recover_all(_data_dir(data_dir)))


@recover_app.command("all")
def recover_all_command(data_dir: DataDir = None) -> None:
    """Take back every fault."""
    _apply(lambda: recover_all(_data_dir(data_dir)))


@recover_app.command("link")
def recover_link_command(a: DeviceName, b: DeviceName, data_dir: DataDir = None) -> None:
    """Bring the link between A and B back up."""
    _apply(lambda: recover_link(_data_dir(data_dir), a, b))


@recover_app.command("device")
def recover_device_command(device: DeviceName, data_dir: DataDir = None) -> None:
    """Bring a failed device back."""
    _apply(lambda: recover_device(_data_dir(data_dir), device))


@lab_app.command("faults")
def faults(data_dir: DataDir = None) -> None:
    """The faults in force in the running lab, and the devices they silence."""
    try:
        recorded = lab_faults(_data_dir(data_dir))
    except NocError as exc:
        raise _fail(exc) from None
    if not recorded.faults.count:
        typer.echo("no faults: every agent answers")
        return
    _echo_faults(recorded)


def _echo_faults(recorded: LabFaults) -> None:
    typer.echo(f"{recorded.faults.count} faults in force:")
    for link in recorded.faults.links:
        typer.echo(f"  link   {link.link} down since {link.since:%Y-%m-%d %H:%M:%S} UTC")
    for device in recorded.faults.devices:
        typer.echo(f"  device {device.device} failed since {device.since:%Y-%m-%d %H:%M:%S} UTC")
    typer.echo(
        f"  {len(recorded.down_links)} links down; {len(recorded.silent_devices)} devices silent"
        + (f": {', '.join(recorded.silent_devices)}" if recorded.silent_devices else "")
    )


def _listen_address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise typer.BadParameter("give HOST:PORT, e.g. 127.0.0.1:2222", param_hint="--listen")
    return host, int(port)


@lab_app.command("ssh-device")
def ssh_device(
    platform: Annotated[
        Platform, typer.Option(help="huawei_vrp, hp_comware, cisco_ios or zte_zxros.")
    ],
    listen: Annotated[str, typer.Option(help="HOST:PORT to listen on, e.g. 127.0.0.1:2222.")],
    outputs: Annotated[
        Path | None,
        typer.Option(
            help="Recorded outputs, one file (or directory of .raw files) per command, spaces "
            "as _: display_version.raw. Without it a sample switch answers.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    username: Annotated[str, typer.Option(help="Login accepted.")] = "noc",
    password: Annotated[str, typer.Option(help="Its password.")] = "noc-pass",  # noqa: S107
    hostname: Annotated[str, typer.Option(help="The prompt's hostname.")] = "LAB-DEV1",
    enable_secret: Annotated[
        str | None, typer.Option(help="IOS/ZXROS: log in unprivileged; enable with this.")
    ] = None,
    host_key: Annotated[
        Path | None, typer.Option(help="Host key file (made if missing); default: a new key.")
    ] = None,
    delay: Annotated[float, typer.Option(help="Seconds before every answer.")] = 0.0,
    hang: Annotated[
        list[str] | None, typer.Option(help="A command that never answers (repeatable).")
    ] = None,
) -> None:
    """Run one simulated SSH device in the foreground until Ctrl-C."""
    if platform is Platform.LINUX:
        raise typer.BadParameter("Linux hosts are real: use OpenSSH", param_hint="--platform")
    host, port = _listen_address(listen)
    with tempfile.TemporaryDirectory(prefix="ssnoc-ssh-device-") as scratch:
        spec = single_device_spec(
            platform,
            host,
            port,
            host_key or Path(scratch) / "host_key",
            hostname=hostname,
            username=username,
            password=password,
            enable_secret=enable_secret,
            outputs_dir=outputs.resolve() if outputs else None,
            behaviour=SshBehaviour(command_delay_s=delay, hanging_commands=tuple(hang or ())),
        )

        def ready(simulator: SshSimulator) -> None:
            fingerprint = simulator.fingerprints[(host, port)]
            typer.echo(
                f"{platform} {hostname} listening on {host}:{port} (host key {fingerprint}); "
                "Ctrl-C stops it",
                err=True,
            )

        try:
            asyncio.run(serve(SimulatorConfig(devices=(spec,)), on_ready=ready))
        except OSError as exc:
            raise _fail(LabError(f"cannot listen on {host}:{port}: {exc}")) from None


@lab_app.command("ssh-rekey")
def ssh_rekey(
    device: Annotated[str, typer.Argument(help="Device id, e.g. gz-core1.")],
    data_dir: Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")] = None,
) -> None:
    """Give a simulated device a new SSH host key (as a replaced device — or an attacker — would
    present); the NOC must refuse it until the change is approved."""
    try:
        fingerprint = rekey_device(_data_dir(data_dir), device)
    except NocError as exc:
        raise _fail(exc) from None
    typer.echo(f"{device}: new host key {fingerprint}")
