"""How fast ssnoc collects network devices over SSH, against a plain paramiko loop.

Run: ``.venv/bin/python bench/ssh_collect.py`` (about a minute).

How the figures are taken:

- **Devices**: 200 simulated network devices (the lab's SSH CLI simulator: Huawei VRP, H3C
  Comware, Cisco IOS with enable, ZTE ZXROS, in the proportions of the simulated province — the
  province's 145 switches and routers, plus clones of its county switches up to 200), each on its
  own 127.x address, served by 3 simulator processes.
- **ssnoc**: ``collect_fleet`` with an ``SshExecutor`` of 16 workers — netmiko's drivers (with
  ssnoc's small subclasses), host keys pinned on first use in a state DB, every command of the
  platform's command set (version, interfaces, LLDP neighbours, local users, running
  configuration) parsed (ntc-templates and ssnoc's parsers).
- **reference**: the same commands through a plain paramiko loop with 16 threads: connect
  (AutoAddPolicy — a benchmark, not the product), an interactive shell, send each command and
  read until the prompt comes back, no parsing.
- **figures**: devices per minute (wall time of the whole run), and the time per device
  (connect to disconnect) at the median and 95th percentile. The simulators share the machine's
  two cores with the collector, so both sides pay the same.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
from pydantic import SecretStr

from collectors.ssh.collect import collect_fleet
from collectors.ssh.command_sets import command_set
from collectors.ssh.executor import SshExecutor
from collectors.ssh.target import SshTarget
from core.clock import SystemClock
from core.credentials import SshCredential
from core.model import DeviceRole, Platform
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore
from lab.divisions import default_divisions_path, load_divisions
from lab.model import LabDevice
from lab.province import build_province
from lab.ssh.spec import SimulatorConfig, SshDeviceSpec, SshLogin

DEVICES = 200
WORKERS = 16
PROCESSES = 3
PORT = 2322
USERNAME, PASSWORD, ENABLE = "bench", "bench-pass", "bench-enable"
PROMPT = re.compile(rb"(<[\w.-]+>|\[[\w.~-]+\]|[\w.-]+[>#])\s*$")


def lab_devices() -> list[LabDevice]:
    province = build_province(load_divisions(default_divisions_path()), size="full")
    network = [d for d in province.devices if d.role is not DeviceRole.SERVER]
    counties = [d for d in network if d.role is DeviceRole.ACCESS]
    clones: list[LabDevice] = []
    while len(network) + len(clones) < DEVICES:
        base = counties[len(clones) % len(counties)]
        number = len(clones) + 2
        clones.append(
            base.model_copy(update={"id": f"{base.id}-{number}", "name": f"{base.name}-{number}"})
        )
    return (network + clones)[:DEVICES]


def address(index: int) -> str:
    third, fourth = divmod(index, 250)
    return f"127.211.{third}.{fourth + 1}"


def start_simulators(devices: list[LabDevice], work: Path) -> list[subprocess.Popen[bytes]]:
    specs = [
        SshDeviceSpec(
            platform=d.platform,
            host=address(i),
            port=PORT,
            hostname=d.name,
            logins=(SshLogin(username=USERNAME, password=PASSWORD),),
            enable_secret=ENABLE,
            device=d,
            host_key_path=work / "keys" / d.id,
        )
        for i, d in enumerate(devices)
    ]
    processes = []
    for n in range(PROCESSES):
        config = work / f"sim-{n}.json"
        config.write_text(SimulatorConfig(devices=tuple(specs[n::PROCESSES])).model_dump_json())
        log = (work / f"sim-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "lab.ssh.run", str(config)], stdout=log, stderr=log
            )
        )
    deadline = time.monotonic() + 120
    for n in range(PROCESSES):
        while "listening" not in (work / f"sim-{n}.log").read_text(errors="replace"):
            if time.monotonic() > deadline or processes[n].poll() is not None:
                raise SystemExit(
                    f"simulator {n} did not start: {(work / f'sim-{n}.log').read_text()}"
                )
            time.sleep(0.1)
    return processes


def targets(devices: list[LabDevice]) -> list[SshTarget]:
    credential = SshCredential(
        username=USERNAME, password=SecretStr(PASSWORD), enable_secret=SecretStr(ENABLE)
    )
    return [
        SshTarget(d.id, address(i), PORT, d.platform, credential, timeout_s=60.0)
        for i, d in enumerate(devices)
    ]


def run_ssnoc(devices: list[LabDevice], work: Path) -> tuple[float, list[float], int]:
    engine = open_state_engine(f"sqlite:///{work / 'state.db'}")
    migrate_to_head(engine)
    store = HostKeyStore(engine, SystemClock())

    async def go() -> tuple[float, list[float], int]:
        async with SshExecutor(max_workers=WORKERS) as executor:
            started = time.perf_counter()
            results = await collect_fleet(executor, targets(devices), host_keys=store)
            wall = time.perf_counter() - started
        failed = [r for r in results if not r.ok]
        for r in failed[:3]:
            print(f"  ssnoc failure: {r.device_id}: {r.error}")
        return wall, [r.duration_s for r in results], len(results) - len(failed)

    try:
        return asyncio.run(go())
    finally:
        engine.dispose()


def reference_device(target: SshTarget) -> float:
    started = time.perf_counter()
    commands = [spec.command for spec in command_set(target.platform).commands.values()]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        target.host, target.port, USERNAME, PASSWORD, look_for_keys=False, allow_agent=False,
        timeout=30,
    )  # fmt: skip
    shell = client.invoke_shell(width=511, height=1000)
    shell.settimeout(30)
    banner = read_until_prompt(shell)
    setup = {
        Platform.HUAWEI_VRP: ["screen-length 0 temporary"],
        Platform.HP_COMWARE: ["screen-length disable"],
        Platform.CISCO_IOS: ["terminal length 0"],
        Platform.ZTE_ZXROS: ["terminal length 0"],
    }[target.platform]
    if target.platform in (Platform.CISCO_IOS, Platform.ZTE_ZXROS) and banner.rstrip().endswith(
        b">"
    ):
        shell.send(b"enable\n")
        read_until(shell, re.compile(rb"[Pp]assword:\s*$"))
        shell.send(ENABLE.encode() + b"\n")
        read_until_prompt(shell)
    for command in [*setup, *commands]:
        shell.send(command.encode() + b"\n")
        try:
            read_until_prompt(shell)
        except TimeoutError as exc:
            raise TimeoutError(f"{target.platform.value}: no prompt after {command!r}") from exc
    client.close()
    return time.perf_counter() - started


def read_until_prompt(shell: paramiko.Channel) -> bytes:
    return read_until(shell, PROMPT)


def read_until(shell: paramiko.Channel, pattern: re.Pattern[bytes]) -> bytes:
    buffer = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        chunk: bytes = shell.recv(65536)
        if not chunk:
            break
        buffer += chunk
        if pattern.search(buffer[-200:]):
            return buffer
    raise TimeoutError(f"no prompt in {buffer[-120:]!r}")


def run_reference(devices: list[LabDevice]) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    durations: list[float] = []
    failures = 0
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(reference_device, t) for t in targets(devices)]:
            try:
                durations.append(future.result())
            except (OSError, paramiko.SSHException, TimeoutError) as exc:
                failures += 1
                print(f"  reference failure: {exc}")
    return time.perf_counter() - started, durations, len(devices) - failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    devices = lab_devices()
    platforms = statistics.multimode([d.platform for d in devices])
    work = Path(tempfile.mkdtemp(prefix="ssnoc-bench-ssh-"))
    (work / "keys").mkdir()
    processes = start_simulators(devices, work)
    try:
        mix = {p.value: sum(d.platform is p for d in devices) for p in Platform}
        print(f"{len(devices)} simulated devices ({mix}; most: {platforms[0].value}), "
              f"{WORKERS} workers, {PROCESSES} simulator processes")  # fmt: skip
        reference = run_reference(devices)
        ours = run_ssnoc(devices, work)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'figure':<32}{'ssnoc':>12}{'paramiko loop':>16}")
    rows = [
        ("devices collected", ours[2], reference[2]),
        ("devices per minute", 60 * len(devices) / ours[0], 60 * len(devices) / reference[0]),
        ("p50 s per device", statistics.median(ours[1]), statistics.median(reference[1])),
        ("p95 s per device", percentile(ours[1], 0.95), percentile(reference[1], 0.95)),
        ("wall s for all", ours[0], reference[0]),
    ]
    for name, a, b in rows:
        print(f"{name:<32}{a:>12,.2f}{b:>16,.2f}")
    print(
        f"ssnoc / paramiko loop, devices per minute: {reference[0] / ours[0]:.2f}x "
        "(ssnoc also parses every answer and pins host keys)"
    )


if __name__ == "__main__":
    main()
