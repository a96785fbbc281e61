"""How much the SNMP collector costs, against net-snmp's C tools, on a replica of the province.

Run as root: ``.venv/bin/python bench/snmp_poll.py`` (about 2–4 minutes).

How the figures are taken:

- **Agents**: one real net-snmp ``snmpd`` per device of the full simulated province (the lab's
  ``build_province(size="full")``: its device count and each device's interface count), each in
  its own network namespace holding that many real interfaces (veth pairs; this kernel has no
  ``dummy`` driver). Each namespace is joined to the host by a veth pair with 127.x addresses
  (``route_localnet``), so every packet stays on this machine's loopback range. snmpd answers at C
  speed; snmpsim, the lab's simulator, is ~20x slower and would measure itself, not the collector.
- **ssnoc**: the production poller (``SnmpPoller`` + ``ProfileDeviceReader``) over a transport,
  its results handed to a sink that drops them (the stores have their own benchmark). One
  discovery cycle (identity, names, everything), then regular cycles (statuses, counters,
  health: what runs every interval). Varbinds are counted at the transport seam. CPU is the
  benchmark process's own (``getrusage(RUSAGE_SELF)``: user + system), so the agents' CPU is not
  in it. The same cycles run over the gufo-snmp adapter (the default) and the pysnmp adapter.
- **net-snmp reference**: ``snmpbulkwalk`` (C, max-repetitions 25 as ssnoc uses) walking the
  whole of MIB-2 (interfaces, IP, host resources…) of the same agents, one process per agent,
  eight at a time: thousands of varbinds per process, so that start-up is a small share. Its CPU is ``RUSAGE_CHILDREN``. The per-varbind figure is also given net of process
  start-up (the CPU of a one-varbind ``snmpbulkwalk`` of each agent, measured the same way,
  subtracted per process):
  that net figure is net-snmp's in-process cost, and the one the ratio uses. ssnoc's figure, by
  contrast, is everything its poller does per varbind: decoding, joining columns, rates, records.
- **Province**: "fits in 60 s" is the wall time of one regular cycle of every device; "share of a
  core" is the collector's CPU per regular cycle divided by the 60 s interval.

Targets (issue 2): CPU per varbind at most 3x net-snmp's; the whole province every 60 s using at
most half a core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from collectors.snmp.device_reader import ProfileDeviceReader
from collectors.snmp.gufo_transport import GufoTransport
from collectors.snmp.poller import CycleReport, SnmpPoller
from collectors.snmp.pysnmp_transport import PysnmpTransport
from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, VarBind
from core.clock import SystemClock
from core.credentials import SnmpV2cCredential
from core.metrics.store import Sample
from core.model import Platform
from core.polling import DevicePollRecord
from core.settings import PollSettings
from lab.divisions import default_divisions_path, load_divisions
from lab.province import build_province

NS_PREFIX = "ssnoc-bench-"
COMMUNITY = "bench-public"
SNMPD = "/usr/sbin/snmpd"
SNMP_PORT = 161
INTERVAL_S = 60.0
# What net-snmp walks: the whole of MIB-2 of every agent, one process each, so that each process
# carries thousands of varbinds and its start-up (~5 ms) is a small, subtractable part of its CPU.
REFERENCE_TABLES = ("1.3.6.1.2.1",)


# --------------------------------------------------------------------------- agents


@dataclass(frozen=True)
class Agent:
    index: int
    namespace: str
    host: str
    interfaces: int


def run(argv: Sequence[str], *, stdin: str | None = None) -> None:
    subprocess.run(argv, input=stdin, text=True, check=True, capture_output=True)


def agent_addresses(index: int) -> tuple[str, str]:
    """(host side, namespace side) of agent ``index``'s /30 in 127.210.0.0/16."""
    base = 4 * index
    third, fourth = divmod(base, 256)
    return f"127.210.{third}.{fourth + 1}", f"127.210.{third}.{fourth + 2}"


def remove_stale_namespaces() -> None:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    for line in listed.stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(NS_PREFIX):
            subprocess.run(["ip", "netns", "pids", name], capture_output=True, check=False)
            for pid in subprocess.run(
                ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
            ).stdout.split():
                subprocess.run(["kill", pid], check=False)
            subprocess.run(["ip", "netns", "del", name], check=False)


def create_agent(index: int, interfaces: int, work: Path) -> tuple[Agent, subprocess.Popen[bytes]]:
    namespace = f"{NS_PREFIX}{index}"
    outer, inner = agent_addresses(index)
    host_if, ns_if = f"sb{index}h", f"sb{index}n"
    run(["ip", "netns", "add", namespace])
    run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if])
    run(["ip", "link", "set", ns_if, "netns", namespace])
    run(["ip", "addr", "add", f"{outer}/30", "dev", host_if])
    run(["ip", "link", "set", host_if, "up"])
    run(["sysctl", "-qw", f"net.ipv4.conf.{host_if}.route_localnet=1"])
    # Inside: lo, the uplink, and veth pairs until the device's interface count is reached.
    pairs = max(0, (interfaces - 2 + 1) // 2)
    batch = [
        f"addr add {inner}/30 dev {ns_if}",
        f"link set {ns_if} up",
        "link set lo up",
    ]
    for pair in range(pairs):
        batch += [f"link add p{pair} type veth peer name q{pair}", f"link set p{pair} up"]
    run(["ip", "-n", namespace, "-batch", "-"], stdin="\n".join(batch) + "\n")
    run(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"])
    run(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            "sysctl",
            "-qw",
            f"net.ipv4.conf.{ns_if}.route_localnet=1",
        ]
    )
    conf = work / f"snmpd-{index}.conf"
    conf.write_text(f"rocommunity {COMMUNITY} 127.0.0.0/8\n")
    persist = work / f"persist-{index}"
    persist.mkdir()
    env = dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=str(persist))
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace, SNMPD, "-f", "-Lf", str(work / f"snmpd-{index}.log"),
         "-C", "-c", str(conf), "-p", str(work / f"snmpd-{index}.pid"), "-M", "/dev/null",
         f"udp:{inner}:{SNMP_PORT}"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return Agent(index, namespace, inner, 2 + 2 * pairs), process


def wait_until_answering(agents: Sequence[Agent], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(agents)
    while pending:
        agent = pending[0]
        result = subprocess.run(
            ["snmpget", "-v2c", "-c", COMMUNITY, "-t", "0.5", "-r", "0", "-Oqv",
             f"{agent.host}:{SNMP_PORT}", "1.3.6.1.2.1.1.3.0"],
            capture_output=True, check=False,
        )  # fmt: skip
        if result.returncode == 0:
            pending.pop(0)
        elif time.monotonic() > deadline:
            raise SystemExit(f"snmpd in {agent.namespace} did not answer")


def teardown(processes: Sequence[subprocess.Popen[bytes]], agents: Sequence[Agent]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for agent in agents:
        subprocess.run(["ip", "netns", "del", agent.namespace], check=False)


# --------------------------------------------------------------------------- ssnoc


class CountingTransport:
    """Counts varbinds crossing the seam."""

    def __init__(self, inner: SnmpTransport) -> None:
        self.inner = inner
        self.varbinds = 0

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        result = await self.inner.get(target, oids)
        self.varbinds += len(result)
        return result

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        result = await self.inner.walk(target, root, max_repetitions)
        self.varbinds += len(result)
        return result

    async def close(self) -> None:
        await self.inner.close()


class DroppingSink:
    async def deliver(self, records: Sequence[DevicePollRecord], samples: Sequence[Sample]) -> None:
        return None


@dataclass
class CycleFigures:
    wall_s: float
    cpu_s: float
    varbinds: int
    devices_ok: int
    devices: int

    @property
    def us_per_varbind(self) -> float:
        return 1e6 * self.cpu_s / max(self.varbinds, 1)


def cpu_self_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_children_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def ssnoc_cycles(
    agents: Sequence[Agent], transport: SnmpTransport, regular_cycles: int, concurrency: int
) -> tuple[CycleFigures, list[CycleFigures]]:
    counting = CountingTransport(transport)
    settings = PollSettings(concurrency=concurrency, timeout_s=2.0, retries=1)
    poller = SnmpPoller(
        counting, ProfileDeviceReader(), DroppingSink(), SystemClock(), settings,
        rediscover_every=1_000_000,
    )  # fmt: skip
    credential = SnmpV2cCredential(community=SecretStr(COMMUNITY))
    poller.set_targets(
        PollTarget(
            f"agent-{a.index}",
            "440000",
            Platform.LINUX,
            SnmpTarget(a.host, SNMP_PORT, credential, 2.0, 1, f"agent-{a.index}"),
            INTERVAL_S,
        )
        for a in agents
    )

    async def one() -> CycleFigures:
        counting.varbinds = 0
        cpu0, wall0 = cpu_self_s(), time.perf_counter()
        report: CycleReport = await poller.poll_once()
        return CycleFigures(
            time.perf_counter() - wall0, cpu_self_s() - cpu0, counting.varbinds,
            report.succeeded, report.polled,
        )  # fmt: skip

    try:
        discovery = await one()
        regular = [await one() for _ in range(regular_cycles)]
    finally:
        await poller.close()
    return discovery, regular


async def transport_walks(
    agents: Sequence[Agent], transport: SnmpTransport, concurrency: int
) -> tuple[float, int]:
    """CPU seconds and varbinds of walking MIB-2 of every agent through ``transport``: the same
    work as the net-snmp reference, for a like-for-like client figure."""
    credential = SnmpV2cCredential(community=SecretStr(COMMUNITY))
    semaphore = asyncio.Semaphore(concurrency)

    async def walk(agent: Agent) -> int:
        target = SnmpTarget(agent.host, SNMP_PORT, credential, 2.0, 1, agent.namespace)
        async with semaphore:
            return sum([len(await transport.walk(target, root)) for root in REFERENCE_TABLES])

    cpu0 = cpu_self_s()
    try:
        counts = await asyncio.gather(*(walk(a) for a in agents))
    finally:
        await transport.close()
    return cpu_self_s() - cpu0, sum(counts)


# --------------------------------------------------------------------------- net-snmp


@dataclass
class NetSnmpFigures:
    wall_s: float
    cpu_s: float
    varbinds: int
    processes: int
    startup_cpu_s: float

    @property
    def us_per_varbind_raw(self) -> float:
        return 1e6 * self.cpu_s / max(self.varbinds, 1)

    @property
    def us_per_varbind_net(self) -> float:
        net = self.cpu_s - self.processes * self.startup_cpu_s
        return 1e6 * max(net, 0.0) / max(self.varbinds, 1)


def net_snmp_startup_cpu_s(agents: Sequence[Agent]) -> float:
    """CPU of one ``snmpbulkwalk`` process that walks a single varbind (sysUpTime), averaged over
    every agent: the same binary, options and agents as the table walks, so that subtracting it
    leaves the per-varbind work."""
    before = cpu_children_s()
    for agent in agents:
        subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", COMMUNITY, "-Cr25", "-On",
             f"{agent.host}:{SNMP_PORT}", "1.3.6.1.2.1.1.3"],
            capture_output=True, check=True,
        )  # fmt: skip
    return (cpu_children_s() - before) / len(agents)


def net_snmp_cycle(
    agents: Sequence[Agent], startup_cpu_s: float, parallel: int = 8
) -> NetSnmpFigures:
    jobs = [(a, table) for a in agents for table in REFERENCE_TABLES]
    varbinds = 0
    cpu0, wall0 = cpu_children_s(), time.perf_counter()
    running: list[subprocess.Popen[str]] = []

    def reap(process: subprocess.Popen[str]) -> int:
        out, _ = process.communicate()
        return sum(1 for line in out.splitlines() if " = " in line)

    for agent, column in jobs:
        if len(running) >= parallel:
            varbinds += reap(running.pop(0))
        running.append(
            subprocess.Popen(
                [
                    "snmpbulkwalk",
                    "-v2c",
                    "-c",
                    COMMUNITY,
                    "-Cr25",
                    "-On",
                    f"{agent.host}:{SNMP_PORT}",
                    column,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        )
    for process in running:
        varbinds += reap(process)
    return NetSnmpFigures(
        time.perf_counter() - wall0, cpu_children_s() - cpu0, varbinds, len(jobs), startup_cpu_s
    )


# --------------------------------------------------------------------------- report


def median(cycles: Sequence[CycleFigures], attribute: str) -> float:
    return float(statistics.median(getattr(c, attribute) for c in cycles))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=0, help="Fewer agents (0: the province).")
    parser.add_argument("--cycles", type=int, default=3, help="Regular cycles per transport.")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/snmp_poll.py needs root: it creates network namespaces")
    for tool in ("ip", "snmpget", "snmpbulkwalk", SNMPD):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} is missing: make system (apt-get install snmpd snmp iproute2)"
            )

    province = build_province(load_divisions(default_divisions_path()), size="full")
    counts = [len(d.interfaces) for d in province.devices]
    if args.devices:
        counts = counts[: args.devices]
    remove_stale_namespaces()
    subprocess.run(["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"], check=True)
    work = Path(tempfile.mkdtemp(prefix="ssnoc-bench-"))
    agents: list[Agent] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        for index, count in enumerate(counts):
            agent, process = create_agent(index, count, work)
            agents.append(agent)
            processes.append(process)
        wait_until_answering(agents)
        interfaces = sum(a.interfaces for a in agents)
        print(
            f"agents: {len(agents)} snmpd in their own namespaces, {interfaces} interfaces "
            f"(province: {len(province.devices)} devices, {province.interface_count()} "
            f"interfaces); set up in {time.perf_counter() - started:.1f} s"
        )
        startup = net_snmp_startup_cpu_s(agents)
        reference = net_snmp_cycle(agents, startup)
        gufo_discovery, gufo = asyncio.run(
            ssnoc_cycles(agents, GufoTransport(), args.cycles, args.concurrency)
        )
        pysnmp_discovery, pysnmp = asyncio.run(
            ssnoc_cycles(agents, PysnmpTransport(), 1, args.concurrency)
        )
        gufo_walk = asyncio.run(transport_walks(agents, GufoTransport(), args.concurrency))
        pysnmp_walk = asyncio.run(transport_walks(agents[:8], PysnmpTransport(), args.concurrency))
    finally:
        teardown(processes, agents)
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("regular cycle = what runs every interval; net-snmp column = its MIB-2 walks")
    print(f"{'figure':<46}{'ssnoc gufo':>12}{'ssnoc pysnmp':>14}{'net-snmp':>11}")
    rows = [
        ("regular cycle: wall s", median(gufo, "wall_s"), median(pysnmp, "wall_s"), reference.wall_s),
        ("regular cycle: collector CPU s", median(gufo, "cpu_s"), median(pysnmp, "cpu_s"), reference.cpu_s),
        ("regular cycle: varbinds", median(gufo, "varbinds"), median(pysnmp, "varbinds"), reference.varbinds),
        ("devices per second (wall)", len(agents) / median(gufo, "wall_s"), len(agents) / median(pysnmp, "wall_s"), len(agents) / reference.wall_s),
        ("varbinds per second (wall)", median(gufo, "varbinds") / median(gufo, "wall_s"), median(pysnmp, "varbinds") / median(pysnmp, "wall_s"), reference.varbinds / reference.wall_s),
        ("CPU µs per varbind", median(gufo, "us_per_varbind"), median(pysnmp, "us_per_varbind"), reference.us_per_varbind_net),
        ("CPU s per 1,000 varbinds", median(gufo, "us_per_varbind") / 1000, median(pysnmp, "us_per_varbind") / 1000, reference.us_per_varbind_net / 1000),
        ("discovery cycle: wall s", gufo_discovery.wall_s, pysnmp_discovery.wall_s, float("nan")),
        ("discovery cycle: varbinds", gufo_discovery.varbinds, pysnmp_discovery.varbinds, float("nan")),
    ]  # fmt: skip
    for name, a, b, c in rows:
        print(f"{name:<46}{a:>12,.3f}{b:>14,.3f}{c:>11,.3f}")
    print(
        f"net-snmp: {reference.processes} snmpbulkwalk processes, "
        f"{reference.us_per_varbind_raw:.1f} µs CPU per varbind with process start-up, "
        f"{reference.us_per_varbind_net:.1f} µs without ({1e3 * startup:.2f} ms CPU per start)"
    )
    print(
        "same MIB-2 walks as net-snmp, CPU µs per varbind: "
        f"gufo transport {1e6 * gufo_walk[0] / gufo_walk[1]:.1f} ({gufo_walk[1]:,} varbinds), "
        f"pysnmp transport {1e6 * pysnmp_walk[0] / pysnmp_walk[1]:.1f} "
        f"({pysnmp_walk[1]:,} varbinds, 8 agents), net-snmp {reference.us_per_varbind_net:.1f}"
    )
    ok_devices = min(c.devices_ok for c in gufo)
    print(f"devices answering every regular cycle (gufo): {ok_devices}/{len(agents)}")
    print()
    ratio = median(gufo, "us_per_varbind") / max(reference.us_per_varbind_net, 1e-9)
    pysnmp_ratio = median(pysnmp, "us_per_varbind") / max(reference.us_per_varbind_net, 1e-9)
    cycle_wall = median(gufo, "wall_s")
    core_share = median(gufo, "cpu_s") / INTERVAL_S
    whole = len(agents) == len(province.devices)
    scope = "whole province" if whole else f"{len(agents)} of {len(province.devices)} devices"
    print(
        f"ssnoc/net-snmp CPU per varbind: {ratio:.2f}x (target <= 3x)       {verdict(ratio <= 3)}"
    )
    print(f"pysnmp adapter/net-snmp CPU per varbind: {pysnmp_ratio:.1f}x (for comparison)")
    print(
        f"{scope}: one regular cycle takes {cycle_wall:.2f} s (target <= 60 s)  {verdict(cycle_wall <= 60)}"
    )
    print(
        f"{scope}: collector uses {100 * core_share:.1f}% of a core at a 60 s interval (target <= 50%)  {verdict(core_share <= 0.5)}"
    )


if __name__ == "__main__":
    main()
