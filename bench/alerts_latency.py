"""Part (b) of the alert benchmark (bench/alerts.py): the latency from an SNMP trap, and from a
failed poll, to the webhook's arrival, through the pipeline composed as the server composes it.

Loaded by bench/alerts.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from alerts_world import CONFIG, World
from pydantic import SecretStr

from alerts.model import AlertStatus
from alerts.rules import DEFAULT_RULES_PATH
from collectors.snmp.trap_config import TrapReceiverConfig
from collectors.snmp.traps import TrapReceiver
from collectors.store_sink import StoreSink
from core.clock import SystemClock
from core.credentials import SnmpV2cCredential
from core.model import DeviceRole
from core.settings import AlertSettings

COMMUNITY = "bench-traps-4400"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
IF_INDEX, IF_NAME = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.31.1.1.1.1"


class Arrivals:
    """The webhook server's app: when each alert was first told, by what it is about."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, ...], float] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        arrived = time.perf_counter()
        payload = json.loads(body)
        with self.lock:
            for alert in payload["alerts"]:
                if alert["status"] == "firing":
                    self.first.setdefault(key_of(alert["labels"]), arrived)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def seen(self, key: tuple[str, ...]) -> float | None:
        with self.lock:
            return self.first.get(key)


def key_of(labels: Mapping[str, str]) -> tuple[str, ...]:
    if labels["alertname"] == "interface-down-trap":
        return ("trap", labels.get("device", ""), labels.get("if_index", ""))
    return ("down", labels.get("device", ""))


def serve_in_thread(app: Arrivals, host: str) -> tuple[str, Callable[[], None]]:
    """uvicorn serving ``app`` on its own loop in another thread; (base URL, stop)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join()
        sock.close()

    return f"http://{host}:{sock.getsockname()[1]}", stop


def encoded_traps(targets: list[tuple[str, int, str]], home: Path) -> list[bytes]:
    """One v2c linkDown datagram per (device, ifIndex, ifName), encoded by net-snmp's snmptrap."""
    tool = shutil.which("snmptrap")
    if tool is None:
        raise SystemExit("snmptrap is missing: apt-get install snmp")
    env = {"SNMPCONFPATH": str(home), "SNMP_PERSISTENT_DIR": str(home), "MIBS": ""}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as capture:
        capture.bind(("127.0.0.1", 0))
        capture.settimeout(5)
        port = capture.getsockname()[1]
        datagrams = []
        for _, if_index, if_name in targets:
            varbinds = [f"{IF_INDEX}.{if_index}", "i", str(if_index)]
            varbinds += [f"{IF_NAME}.{if_index}", "s", if_name]
            argv = [tool, "-v2c", "-c", COMMUNITY, f"127.0.0.1:{port}", "", LINK_DOWN, *varbinds]
            subprocess.run(argv, env=env, check=True, capture_output=True, timeout=10)
            datagrams.append(capture.recv(65535))
    return datagrams


def send_traps(
    targets: list[tuple[str, int, str]],
    datagrams: list[bytes],
    addresses: Mapping[str, str],
    receiver: tuple[str, int],
    sent: dict[tuple[str, ...], float],
) -> None:
    """Replay each datagram from its device's address at a random moment (about 5 a second)."""
    rng = random.Random(6)
    for (device, if_index, _), datagram in zip(targets, datagrams, strict=True):
        time.sleep(rng.uniform(0.05, 0.35))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((addresses[device], 0))
            sent[("trap", device, str(if_index))] = time.perf_counter()
            sock.sendto(datagram, receiver)


def fail_polls(
    world: World,
    sink: StoreSink,
    loop: asyncio.AbstractEventLoop,
    counties: list[str],
    arrivals: Arrivals,
    sent: dict[tuple[str, ...], float],
    cycle_s: float,
) -> None:
    """One county at a time stops answering, is told, and answers again; the pause between
    two is random over a whole alert cycle, so failures meet the cycle at every phase."""
    rng = random.Random(7)
    for device in counties:
        time.sleep(rng.uniform(0.05, 0.05 + cycle_s))
        key = ("down", device)
        sent[key] = time.perf_counter()
        asyncio.run_coroutine_threadsafe(sink.deliver([world.silence(device)], []), loop).result()
        deadline = time.monotonic() + 15
        while arrivals.seen(key) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        asyncio.run_coroutine_threadsafe(sink.deliver([world.answer(device)], []), loop).result()


async def measure_latency(
    folder: Path, traps: int, polls: int, evaluate_every_s: float
) -> dict[str, list[float]]:
    world = World(folder, SystemClock())
    arrivals = Arrivals()
    url, stop_server = serve_in_thread(arrivals, "127.0.0.1")
    try:
        rules = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
        for rule in rules["rules"]:
            rule.pop("for", None)  # the pipeline's latency, not the rules' patience
        rules_path = folder / "rules-b.yaml"
        rules_path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
        config = folder / "alerting-b.yaml"
        config.write_text(
            CONFIG.format(
                url=f"{url}/hook", group_by="[alertname, device, if_index]", group_wait="0s"
            )
        )
        settings = AlertSettings(
            rules_paths=(rules_path,),
            alerting_config_path=config,
            evaluate_every_s=evaluate_every_s,
            webhook_secret=SecretStr("bench-signing-key"),
        )
        service = world.service(settings)
        receiver = TrapReceiver(
            TrapReceiverConfig(
                listen_address="127.0.0.1",
                port=0,
                communities=(SnmpV2cCredential(community=SecretStr(COMMUNITY)),),
            ),
            world.bus.publish,
            {str(d.address): d.id for d in world.inventory.devices}.get,
        )
        await receiver.start()
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(world.monitor.run(stop, 1.0)),
            asyncio.create_task(service.run(stop)),
        ]
        for _ in range(200):  # the first cycle: the network is calm
            if service.last_cycle is not None:
                break
            await asyncio.sleep(0.05)
        assert service.alerts(status=AlertStatus.FIRING) == [], "the bench network is not calm"

        network = [d for d in world.province.devices if d.role is not DeviceRole.SERVER]
        targets = []  # (device, ifIndex, ifName): each trap about another interface
        for position in range(traps):
            device = network[position % len(network)]
            interface = device.interfaces[position // len(network)]
            targets.append((device.id, interface.if_index, interface.name))
        datagrams = await asyncio.to_thread(encoded_traps, targets, folder)
        addresses = {d.id: str(d.address) for d in world.inventory.devices}
        sent: dict[tuple[str, ...], float] = {}
        await asyncio.to_thread(
            send_traps, targets, datagrams, addresses, ("127.0.0.1", receiver.port), sent
        )
        trap_keys = list(sent)
        await wait_for_all(arrivals, trap_keys, 15.0)

        counties = [d.id for d in network if d.role is DeviceRole.ACCESS][:polls]
        sink = StoreSink(world.state, world.metrics, world.bus)
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(
            fail_polls, world, sink, loop, counties, arrivals, sent, evaluate_every_s
        )
        poll_keys = [("down", d) for d in counties]
        await wait_for_all(arrivals, poll_keys, 15.0)

        stop.set()
        await asyncio.gather(*tasks)
        await receiver.stop()
        return {
            "trap": latencies(arrivals, sent, trap_keys),
            "poll": latencies(arrivals, sent, poll_keys),
        }
    finally:
        stop_server()
        world.close()


async def wait_for_all(
    arrivals: Arrivals, keys: Sequence[tuple[str, ...]], timeout_s: float
) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if all(arrivals.seen(k) is not None for k in keys):
            return
        await asyncio.sleep(0.05)


def latencies(
    arrivals: Arrivals, sent: Mapping[tuple[str, ...], float], keys: Sequence[tuple[str, ...]]
) -> list[float]:
    """Seconds from sending to arrival; a notification that never came counts as infinite."""
    out = []
    for key in keys:
        arrived = arrivals.seen(key)
        out.append(float("inf") if arrived is None else arrived - sent[key])
    return out
