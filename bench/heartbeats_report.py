"""The table bench/heartbeats.py prints: ssnoc and the reference side by side, PASS/FAIL against
the issue's targets, then the checks (nothing lost, health agreement) and where the time went.

Loaded by bench/heartbeats.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import statistics
from typing import Any

from heartbeats_health import HealthFigures

HEARTBEAT_TARGET_PER_S = 2000.0
HEALTH_TARGET_S = 1.0
Run = dict[str, Any]
"""One server's figures as bench/heartbeats.py gathers them (closed, open, server, read-back)."""
Row = tuple[str, str, str, str, str, str]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _p50_p99(values: list[float], scale: float = 1.0) -> str:
    return f"{percentile(values, 0.5) * scale:,.1f} / {percentile(values, 0.99) * scale:,.1f}"


def _accepted_per_s(load: Run) -> float:
    return int(load["statuses"].get("200", 0)) / float(load["wall_s"])


def _errors(load: Run) -> int:
    refused = sum(int(n) for code, n in load["statuses"].items() if code != "200")
    return refused + int(load["dropped"])


def _cpu_us(load: Run, key: str) -> str:
    return f"{load[key] / max(1, len(load['latencies_ms'])) * 1e6:,.0f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _heartbeat_rows(ours: Run, naive: Run, rate: float) -> list[Row]:
    oc, nc, oo, no = ours["closed"], naive["closed"], ours["open"], naive["open"]
    accepted, reference = _accepted_per_s(oc), _accepted_per_s(nc)
    return [
        ("heartbeats accepted/s, closed loop", f"{accepted:,.0f}", f"{reference:,.0f}",
         f"{accepted / reference:.1f}x", "≥ 2,000", _verdict(accepted >= HEARTBEAT_TARGET_PER_S)),
        ("  latency p50 / p99, ms", _p50_p99(oc["latencies_ms"]), _p50_p99(nc["latencies_ms"]),
         "", "", ""),
        ("  errors (non-200, dropped)", f"{_errors(oc)}", f"{_errors(nc)}", "", "0",
         _verdict(_errors(oc) == 0)),
        ("  server CPU µs per heartbeat", _cpu_us(oc, "server_cpu_s"),
         _cpu_us(nc, "server_cpu_s"), "", "", ""),
        ("  client CPU µs per heartbeat", _cpu_us(oc, "client_cpu_s"),
         _cpu_us(nc, "client_cpu_s"), "", "", ""),
        (f"open loop {rate:,.0f}/s: accepted/s", f"{_accepted_per_s(oo):,.0f}",
         f"{_accepted_per_s(no):,.0f}", "", "", ""),
        ("  latency from due p50 / p99, ms", _p50_p99(oo["latencies_ms"]),
         _p50_p99(no["latencies_ms"]), "", "", ""),
        ("  errors (non-200, dropped)", f"{_errors(oo)}", f"{_errors(no)}", "", "0",
         _verdict(_errors(oo) == 0)),
    ]  # fmt: skip


def _health_rows(health: HealthFigures) -> list[Row]:
    p99 = percentile(health.product_s, 0.99)
    ratio = statistics.median(health.naive_s) / statistics.median(health.product_s)
    return [
        ("fleet health, 20,000 terminals, ms p50 / p99", _p50_p99(health.product_s, 1000),
         _p50_p99(health.naive_s, 1000), f"{ratio:.2f}x", "< 1,000",
         _verdict(p99 < HEALTH_TARGET_S)),
        ("  of which registry.placements(), ms p50", f"{statistics.median(health.list_s) * 1000:,.1f}",
         "", "", "", ""),
        ("  of which status snapshot, ms p50",
         f"{statistics.median(health.snapshot_s) * 1000:,.1f}", "", "", "", ""),
    ]  # fmt: skip


def _print_rows(rows: list[Row]) -> None:
    header: Row = ("figure", "ssnoc", "reference", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def _rates(load: Run) -> str:
    return " / ".join(f"{rate:,.0f}" for rate in load["rates"])


def _core_share(load: Run) -> str:
    return f"{load['client_cpu_s'] / float(load['wall_s']):.0%}"


def _read_back(label: str, run: Run) -> str:
    server = run["server"]
    whole = run["sent_ok"] == server["accepted"] == run["stored_beats"]
    return (
        f"{label}: answered 200 {run['sent_ok']:,} times (warm-ups included); the server counted "
        f"{server['accepted']:,}; terminal_status heartbeats grew by {run['stored_beats']:,}: "
        f"{'nothing lost' if whole else 'MISMATCH'}; pending after the stop: {server['pending']}"
    )


def print_report(ours: Run, naive: Run, health: HealthFigures, settings: dict[str, Any]) -> None:
    """The table and the lines under it; ``settings`` holds the run's options."""
    _print_rows(_heartbeat_rows(ours, naive, settings["rate"]) + _health_rows(health))
    print(
        "\nratio: ssnoc / reference for heartbeats (higher is better), reference / ssnoc for "
        "health (below 1: the SQL reference is faster)."
    )
    print(
        f"uvicorn's HTTP parser: {settings['http']}; {settings['rounds']} rounds per side "
        f"(ABBA), {settings['clients']} load process(es), {settings['connections']} "
        f"connections, {settings['warmup']:g} s warm-up, {settings['measure']:g} s windows; the "
        f"load used {_core_share(ours['closed'])} of a core in the closed loop "
        f"({_core_share(naive['closed'])} against the reference). Load average at the start: "
        f"{settings['load_average']:.1f} on 2 cores."
    )
    for mode in ("closed", "open"):
        print(
            f"{mode} loop accepted/s by round: ssnoc {_rates(ours[mode])}; "
            f"reference {_rates(naive[mode])}"
        )
    print(_read_back("ssnoc", ours))
    print(_read_back("reference", naive))
    flush_ms, flush_rows = ours["server"]["flush_ms"], ours["server"]["flush_rows"]
    if flush_ms:
        print(
            f"ssnoc write-behind: {len(flush_ms)} flushes of {statistics.median(flush_rows):,.0f} "
            f"rows (median), {statistics.median(flush_ms):,.0f} ms median, {max(flush_ms):,.0f} "
            f"ms longest; store errors: {ours['server']['flush_errors'] or 'none'}"
        )
    for label, run in (("ssnoc", ours), ("reference", naive)):
        took = run["server"]["health_ms"]
        if took:
            print(
                f"{label} server, under load: health computed {len(took)} times, "
                f"{statistics.median(took):,.0f} ms median"
                + (" (with publishing)" if label == "ssnoc" else " (SQL)")
            )
    disagreeing = {name: n for name, n in health.disagreements.items() if n}
    agreement = (
        f"DISAGREE (areas per figure): {disagreeing}"
        if disagreeing
        else "agree on every county, city and the province (online, silent, active, reads, "
        "failures, PSAM faults, outliers, version drift)"
    )
    print(
        f"fleet health: {health.active:,} active, {health.online:,} online, {health.silent:,} "
        f"silent, {health.outliers} read-failure outliers; statuses restored in "
        f"{health.restore_s * 1000:,.0f} ms (once, at start); ssnoc and the SQL reference "
        f"{agreement}."
    )
