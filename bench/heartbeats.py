"""How many terminal heartbeats the API accepts per second, and how long fleet health for 20,000
terminals takes — each side by side with a naive reference, in one run (issue 7).

Run: ``.venv/bin/python bench/heartbeats.py`` (about two minutes; ``--measure``, ``--rate``,
``--connections``, ``--clients`` change the load, ``--http`` uvicorn's HTTP parser). The servers
and the load share the machine's two cores, so single figures move by ±30 % between runs: trust
the ratios. uvicorn parses HTTP with httptools when it is installed, else with h11 (pure Python,
about 100 µs more per request): the table says which.

**World** (setup, not measured; ``heartbeats_world``): a migrated SQLite state DB with 20,000
terminals over the province's 122 counties (the shared divisions file): 19,200 active, 200 each
registered, provisioned and suspended, 100 each retired and lost; credentials made by
``issue_credential``; a stored status for 98 % of the active ones (4 % of those 20 minutes old:
silent), written by the product's own ``FleetStatus``/``SqlStatusStore``, with a few dirty
readers and PSAM faults.

**(1) Heartbeats through the real app** (``heartbeats_serve``, ``heartbeats_client``):
``ssnoc.server.build_api(noc, fleet=FleetService(…))`` under uvicorn in one server process, with
``FleetService.run`` beside it in the same loop (write-behind flush every 2 s, health every 10 s
— production: 30 s), as ``ssnoc serve`` runs them. The load comes from another process: raw
HTTP/1.1 keep-alive over asyncio, one request in flight per connection, each request another
terminal's credential and body; a closed loop (the most the server accepts) and an open loop at
the target rate (latency from when each beat was due), each after a warm-up; two rounds per
side, in the order ssnoc, reference, reference, ssnoc, so a drift in the machine's other work
falls on both sides (``--rounds``). The server's and the client's CPU time are read at the
window's edges. Then the server is stopped (its last flush runs) and ``terminal_status`` is read
back: the sum of its ``heartbeats`` counters must have grown by exactly the heartbeats answered
200, and the ingest's own counter must say the same.
*Reference*: the same app, route, credential check and validation, but one SQL transaction per
heartbeat (an UPSERT into ``terminal_status``) and health asked of the database, served and
measured the same way on its own copy of the DB: the ratio is what the write-behind buys.

**(2) Fleet health for 20,000 terminals** (``heartbeats_health``): ``FleetService.compute_health``
(registry placements + status snapshot + computation) on the seeded DB, 10 runs; *reference*: the same
figures by SQL GROUP BY county over ``terminals`` ⋈ ``terminal_status``, which must agree with
it on every county, city and the province.

Targets (issue 7): ≥ 2,000 heartbeats/s accepted on this 2-core machine; fleet health < 1 s.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and the scripts there named like
# the product's packages (api.py, alerts.py, topology.py) would hide them: take the folder off the
# path before anything imports them. This benchmark's own modules beside it are then loaded by
# file, each under its own name, in the order they import one another.
BENCH_FOLDER = Path(__file__).parent.resolve()
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_FOLDER]


def load_sibling(name: str) -> None:
    """Run ``bench/<name>.py`` as module ``name``; it finds siblings loaded before it."""
    spec = importlib.util.spec_from_file_location(name, BENCH_FOLDER / f"{name}.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {name}.py from {BENCH_FOLDER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


HOST = "127.0.0.1"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", type=float, default=6.0, help="Seconds per measurement.")
    parser.add_argument("--rounds", type=int, default=2, help="Server runs per side, alternated.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Warm-up seconds before each.")
    parser.add_argument("--rate", type=float, default=2000.0, help="Open-loop heartbeats/s.")
    parser.add_argument("--connections", type=int, default=64, help="Connections, in all.")
    parser.add_argument("--clients", type=int, default=1, help="Load-generator processes.")
    parser.add_argument(
        "--http",
        choices=("auto", "h11", "httptools"),
        default="auto",
        help="uvicorn's HTTP parser (auto: httptools when installed, else h11, as uvicorn does).",
    )
    args = parser.parse_args()
    args.load_average = os.getloadavg()[0]
    if args.http == "auto":
        args.http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    for sibling in ("heartbeats_world", "heartbeats_health", "heartbeats_report"):
        load_sibling(sibling)
    from heartbeats_health import measure_health
    from heartbeats_report import print_report
    from heartbeats_world import build_world, county_cities

    with tempfile.TemporaryDirectory(prefix="ssnoc-bench-heartbeats-") as tmp:
        folder = Path(tmp)
        seeded, product_dir, naive_dir = folder / "seed", folder / "product", folder / "naive"
        for directory in (seeded, product_dir, naive_dir):
            directory.mkdir()
        began = time.perf_counter()
        world = build_world(seeded)
        for directory in (product_dir, naive_dir):
            shutil.copy(seeded / "state.db", directory / "state.db")
        print(
            f"state DB: {world.terminals:,} terminals in {world.counties} counties "
            f"{world.by_state}; statuses for {world.status_rows:,} ({world.silent:,} silent, "
            f"{world.never_beat:,} active never beat); load over {world.beating:,} terminals; "
            f"built in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        print("measuring: fleet health (compute_health and the SQL reference) …", flush=True)
        health = measure_health(seeded, county_cities())
        runs: dict[str, list[dict[str, Any]]] = {"ssnoc": [], "naive": []}
        plan = [("ssnoc", product_dir), ("naive", naive_dir)]
        for round_number in range(args.rounds):
            # ABBA: whatever else loads the machine drifts over time; alternating the order
            # spreads it over both sides.
            for kind, directory in plan if round_number % 2 == 0 else plan[::-1]:
                print(f"round {round_number + 1}/{args.rounds}: {kind} …", flush=True)
                runs[kind].append(run_server(kind, directory, world.tokens_path, args))
    print()
    print_report(_combine_runs(runs["ssnoc"]), _combine_runs(runs["naive"]), health, vars(args))


# ----------------------------------------------------------------------------- server runs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, process: subprocess.Popen[bytes], data_dir: Path) -> None:
    """Until the fleet has restored its statuses and the API answers."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited at start:\n{_log_tail(data_dir)}")
        if (data_dir / "ready").exists():
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=2)
                connection.request("GET", "/api/v1/livez")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready within {READY_TIMEOUT_S:.0f} s")


def _log_tail(data_dir: Path) -> str:
    log = data_dir / "server.log"
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop (a line on stdin), then insist."""
    if process.poll() is None and process.stdin is not None:
        try:
            process.stdin.write(b"stop\n")
            process.stdin.close()
        except OSError:
            pass
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_server(kind: str, data_dir: Path, tokens: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Serve ``kind`` (ssnoc or naive), load it closed then open loop, stop it, read back."""
    from heartbeats_world import stored_heartbeats

    _, beats_before = stored_heartbeats(data_dir / "state.db")
    # A marker left by the previous round would let the load in before this server has
    # restored its statuses, and beats taken before the restore lose the stored counters.
    for leftover in ("ready", "report.json"):
        (data_dir / leftover).unlink(missing_ok=True)
    port = _free_port()
    with (data_dir / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(data_dir), str(port), args.http],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(port, server, data_dir)
        closed = _measure(port, tokens, "closed", server.pid, args)
        opened = _measure(port, tokens, "open", server.pid, args)
    finally:
        _stop(server)
    report_path = data_dir / "report.json"
    if server.returncode != 0 or not report_path.exists():
        raise SystemExit(f"the {kind} server did not stop cleanly:\n{_log_tail(data_dir)}")
    rows, beats_after = stored_heartbeats(data_dir / "state.db")
    return {
        "closed": closed,
        "open": opened,
        "server": json.loads(report_path.read_text()),
        "stored_beats": beats_after - beats_before,
        "status_rows": rows,
        "sent_ok": closed["accepted_total"] + opened["accepted_total"],
    }


def _measure(
    port: int, tokens: Path, mode: str, server_pid: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One measurement from ``args.clients`` load processes at once, merged."""
    per_client = max(1, args.connections // args.clients)
    warmup = args.warmup if mode == "closed" else min(args.warmup, 2.0)
    loads = [
        subprocess.Popen(
            [
                *(sys.executable, __file__, "--load", str(port), str(tokens), str(share)),
                *(str(args.clients), mode, str(per_client), str(warmup), str(args.measure)),
                *(str(args.rate / args.clients), str(server_pid)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for share in range(args.clients)
    ]
    results = []
    try:
        for load in loads:
            out, err = load.communicate(timeout=args.warmup + args.measure * 3 + 60)
            if load.returncode != 0:
                raise SystemExit(f"a load process failed ({mode}):\n{err.decode()[-3000:]}")
            results.append(json.loads(out))
    finally:
        for load in loads:
            if load.poll() is None:
                load.kill()
                load.wait()
    return _combine_loads(results, at_once=True)


def _combine_loads(loads: list[dict[str, Any]], *, at_once: bool) -> dict[str, Any]:
    """Loads run side by side (``at_once``: the window is the longest) or one after another."""
    statuses: dict[str, int] = {}
    for load in loads:
        for code, count in load["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    server_cpu = [load["server_cpu_s"] for load in loads]
    walls = [load["wall_s"] for load in loads]
    return {
        "wall_s": max(walls) if at_once else sum(walls),
        "latencies_ms": [v for load in loads for v in load["latencies_ms"]],
        "statuses": statuses,
        "accepted_total": sum(load["accepted_total"] for load in loads),
        "dropped": sum(load["dropped"] for load in loads),
        "client_cpu_s": sum(load["client_cpu_s"] for load in loads),
        # Every load process of one window reads the same server: one reading, not a sum.
        "server_cpu_s": statistics.mean(server_cpu) if at_once else sum(server_cpu),
        "rates": (
            [sum(load["statuses"].get("200", 0) for load in loads) / max(walls)]
            if at_once
            else [rate for load in loads for rate in load["rates"]]
        ),
    }


def _combine_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's rounds as one run: counts summed, latencies pooled, per-round rates kept."""
    reports = [run["server"] for run in runs]
    return {
        "closed": _combine_loads([run["closed"] for run in runs], at_once=False),
        "open": _combine_loads([run["open"] for run in runs], at_once=False),
        "server": {
            "accepted": sum(report["accepted"] for report in reports),
            "pending": reports[-1]["pending"],
            **{
                key: [value for report in reports for value in report[key]]
                for key in ("flush_ms", "flush_rows", "flush_errors", "health_ms")
            },
        },
        "stored_beats": sum(run["stored_beats"] for run in runs),
        "sent_ok": sum(run["sent_ok"] for run in runs),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        for sibling in ("heartbeats_world", "heartbeats_health", "heartbeats_serve"):
            load_sibling(sibling)
        from heartbeats_serve import serve

        serve(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--load":
        load_sibling("heartbeats_client")
        import asyncio

        from heartbeats_client import requests_for, run_load

        port, tokens, share, shares = int(sys.argv[2]), Path(sys.argv[3]), *map(int, sys.argv[4:6])
        result = asyncio.run(
            run_load(
                HOST,
                port,
                requests_for(tokens, HOST, port, share, shares),
                mode=sys.argv[6],
                connections=int(sys.argv[7]),
                warmup_s=float(sys.argv[8]),
                measure_s=float(sys.argv[9]),
                rate=float(sys.argv[10]),
                server_pid=int(sys.argv[11]),
            )
        )
        print(json.dumps(result))
    else:
        try:
            main()
        except KeyboardInterrupt:
            raise SystemExit(
                "interrupted: every process this benchmark started was stopped"
            ) from None
