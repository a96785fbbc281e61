"""``ssnoc topology``: the network as a graph, from the state DB, for people and scripts.

- ``failover``: city and county nodes on backup or isolated (``--all``: every node);
- ``spof``: single points of failure of the network as built;
- ``paths REGION``: primary and backup path of every node at or below a region;
- ``impact --device D | --link L``: what one failure costs (or costs now, when it is down);
- ``root-causes``: what is down now, grouped by cause.

Each reads the inventory the settings name and the state the server's collectors stored in the
state DB of the settings' data directory, once, and prints a table (``--json``: the API's JSON).
Nothing here writes to the audit trail or publishes an event: a look is not an observation. When
a node failed over is known to the running server only (its API's failover board); here a node's
``since`` is the moment of the look. A mistake (no inventory, an unknown region or element, a DB
that cannot be read) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from core.errors import ConfigError
from core.security.scope import is_region_code
from core.settings import load_settings
from ssnoc.commands.failures import clear_errors

# networkx and the state DB's modules take a moment to load: imported where a command runs.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from topology.impact import ImpactReport
    from topology.model import NetworkPath
    from topology.monitor import TopologyMonitor

P = ParamSpec("P")
R = TypeVar("R")


topology_app = typer.Typer(
    help="The topology: failover state, single points of failure, paths, impact, root causes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead.")]
RegionOption = Annotated[
    str | None, typer.Option(metavar="CODE", help="Only this region and below it.")
]


@topology_app.callback()
def _group() -> None:
    """The topology: failover state, single points of failure, paths, impact, root causes."""


@contextmanager
def open_monitor() -> Iterator[TopologyMonitor]:
    """A monitor of the configured inventory over the configured state DB, on a bus of its own
    (nobody listens: the server's audit trail hears only the server's observations)."""
    from core.events import EventBus
    from ssnoc.wiring import build_topology_monitor, open_noc, read_inventory

    settings = load_settings()
    inventory = read_inventory(settings)
    noc = open_noc(settings)
    try:
        yield build_topology_monitor(noc, inventory, EventBus())
    finally:
        noc.close()


def _region(code: str | None, option: str = "--region") -> str | None:
    if code is not None and not is_region_code(code):
        raise ConfigError(f"{option}: not a six-digit region code: {code!r}")
    return code


@topology_app.command("failover")
@clear_errors
def failover_command(
    region: RegionOption = None,
    every: Annotated[
        bool, typer.Option("--all", help="Also the nodes on their primary path.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """City and county nodes on backup or isolated, worst first."""
    with open_monitor() as monitor:
        board = monitor.failover_board(_region(region), every)
        names = {c: r.name for c, r in monitor.inventory.region_by_code().items()}
    if as_json:
        _echo_json(board)
        return
    counts = board.counts
    total = counts.on_primary + counts.on_backup + counts.isolated
    if board.sites:
        _table(
            ("STATE", "REGION", "NODE", "DOWN", "NOW OVER"),
            [
                (
                    site.state.value,
                    f"{site.region} {names.get(site.region, '')}".rstrip(),
                    site.device_id,
                    ", ".join(site.failed_link_ids) or "-",
                    _path(site.current_path) if site.current_path else "-",
                )
                for site in board.sites
            ],
        )
        typer.echo("")
    typer.echo(
        f"{total} nodes: {counts.on_primary} on primary, {counts.on_backup} on backup, "
        f"{counts.isolated} isolated"
    )


@topology_app.command("spof")
@clear_errors
def spof_command(region: RegionOption = None, as_json: JsonOption = False) -> None:
    """Single points of failure of the network as built, the largest cut-offs first."""
    with open_monitor() as monitor:
        findings = monitor.spof(_region(region))
    if as_json:
        _echo_json(list(findings))
        return
    if not findings:
        typer.echo("no single point of failure")
        return
    _table(
        ("KIND", "ELEMENT", "REGION", "AFFECTED", "EXPLANATION"),
        [
            (f.kind.value, str(f.element), f.region or "-", len(f.affected_device_ids),
             f.explanation)
            for f in findings
        ],
    )  # fmt: skip
    typer.echo(f"\n{len(findings)} findings")


@topology_app.command("paths")
@clear_errors
def paths_command(
    region: Annotated[str, typer.Argument(metavar="REGION", help="Region code, e.g. 440100.")],
    as_json: JsonOption = False,
) -> None:
    """Primary and backup path of every city and county node at or below REGION."""
    with open_monitor() as monitor:
        paths = monitor.paths(_region(region, "REGION"))
    if as_json:
        _echo_json(list(paths))
        return
    if not paths:
        typer.echo(f"no city or county node at or below {region}")
        return
    _table(
        ("NODE", "REGION", "PRIMARY", "BACKUP", "SHARED"),
        [
            (
                p.device_id,
                p.region,
                _path(p.primary) if p.primary else "none",
                _path(p.backup) if p.backup else "none",
                ", ".join((*p.shared_device_ids, *p.shared_link_ids)) or "-",
            )
            for p in paths
        ],
    )


@topology_app.command("impact")
@clear_errors
def impact_command(
    device: Annotated[str | None, typer.Option(metavar="ID", help="A device id.")] = None,
    link: Annotated[str | None, typer.Option(metavar="ID", help="A link id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """What one device or link failing costs: who is cut off, who is left on one path."""
    from topology.model import ElementRef

    if (device is None) == (link is None):
        raise ConfigError("give exactly one of --device and --link")
    element = ElementRef.device(device) if device is not None else ElementRef.link(link or "")
    with open_monitor() as monitor:
        report = monitor.impact(element)
    if as_json:
        _echo_json(report)
        return
    _print_impact(report)


@topology_app.command("root-causes")
@clear_errors
def root_causes_command(as_json: JsonOption = False) -> None:
    """What is down now, grouped by root cause, topmost first."""
    with open_monitor() as monitor:
        causes = monitor.root_causes()
    if as_json:
        _echo_json(list(causes))
        return
    if not causes:
        typer.echo("nothing is down")
        return
    _table(
        ("CAUSE", "REGION", "ALSO DOWN", "EXPLANATION"),
        [
            (str(c.element), c.region or "-", len(c.consequence_device_ids), c.explanation)
            for c in causes
        ],
    )


# ---------------------------------------------------------------------------------- printing


def _echo_json(value: BaseModel | Sequence[BaseModel]) -> None:
    document: Any
    if isinstance(value, Sequence):
        document = [item.model_dump(mode="json") for item in value]
    else:
        document = value.model_dump(mode="json")
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _path(path: NetworkPath) -> str:
    """``gd-dc1-core1 > gz-core1 > gz-liwan-acc1``."""
    return " > ".join(path.device_ids)


def _print_impact(report: ImpactReport) -> None:
    typer.echo(report.explanation)
    cut, exposed = report.cut_off, report.loses_redundancy
    for label, items in (
        ("cut off", cut.device_ids),
        ("regions cut off", cut.region_codes),
        ("card terminals cut off", (str(cut.terminals),) if cut.terminals else ()),
        ("on one path", exposed.device_ids),
        ("services unavailable", report.services_unavailable),
        ("services losing hosts", report.services_degraded),
    ):
        if items:
            typer.echo(f"  {label + ':':<24}{', '.join(items)}")


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([_width(h), *(_width(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for line in (list(headers), *cells):
        padded = (v + " " * (w - _width(v)) for v, w in zip(line, widths, strict=True))
        typer.echo("  ".join(padded).rstrip())


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
