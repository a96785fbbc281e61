"""``python -m lab.terminals``: the lab's card terminals beating into the NOC's API until stopped.

    python -m lab.terminals --api http://127.0.0.1:8080 --tokens tokens.json --lab-dir DATA/lab
    python -m lab.terminals --lab-dir DATA/lab --export-csv terminals.csv

The first form prints a progress line every few seconds and stops cleanly on SIGTERM or SIGINT
(the beats in flight finish). The second writes the fleet in the registry's CSV import format and
exits. The seed defaults to the lab's own (province.json), as the lab's enrollment uses it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from core.errors import LabError
from lab.terminals.behaviour import InstallPolicy
from lab.terminals.csv_export import write_fleet_csv
from lab.terminals.fleet import generate_fleet
from lab.terminals.inputs import load_lab_province
from lab.terminals.simulator import SimulatorConfig, run_simulator
from lab.terminals.stats import SimulatorStats


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    lab_dir: Path = args.lab_dir
    try:
        seed: int = args.seed if args.seed is not None else load_lab_province(lab_dir).seed
        if args.export_csv is not None:
            fleet = generate_fleet(load_lab_province(lab_dir), seed)
            path = write_fleet_csv(fleet, args.export_csv)
            print(f"{len(fleet)} terminals written to {path}")
            return 0
        if args.api is None or args.tokens is None:
            parser.error("--api and --tokens are needed to run the terminals")
        config = SimulatorConfig(
            interval_s=args.interval,
            max_in_flight=args.max_in_flight,
            honour_next_heartbeat=not args.fixed_interval,
            progress_every_s=args.progress_every,
            installs=InstallPolicy(bad_firmware_versions=frozenset(args.bad_firmware)),
        )
        stats = asyncio.run(_run(args.api, args.tokens, lab_dir, seed, config))
    except LabError as exc:
        print(f"terminal simulator: {exc}", file=sys.stderr)
        return 1
    print(f"stopped: {stats.line()}", flush=True)
    return 0


async def _run(
    api_url: str, tokens: Path, lab_dir: Path, seed: int, config: SimulatorConfig
) -> SimulatorStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return await run_simulator(
        api_url,
        tokens,
        lab_dir,
        seed=seed,
        stop=stop,
        config=config,
        progress=lambda stats: print(stats.line(), flush=True),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lab.terminals", description="The lab's card-terminal simulator."
    )
    parser.add_argument("--lab-dir", type=Path, required=True, help="the running lab's directory")
    parser.add_argument("--api", help="the NOC API's base URL, on loopback")
    parser.add_argument("--tokens", type=Path, help="JSON object: terminal id → its token")
    parser.add_argument("--seed", type=int, help="fleet seed (default: the lab's)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between beats")
    parser.add_argument(
        "--fixed-interval",
        action="store_true",
        help="keep --interval whatever the replies' next_heartbeat_s say (load tests)",
    )
    parser.add_argument("--max-in-flight", type=int, default=64, help="requests under way at once")
    parser.add_argument(
        "--bad-firmware",
        action="append",
        default=[],
        metavar="VERSION",
        help="a firmware some terminals never come back from (repeatable)",
    )
    parser.add_argument(
        "--progress-every", type=float, default=10.0, help="seconds between progress lines"
    )
    parser.add_argument(
        "--export-csv",
        type=Path,
        metavar="PATH",
        help="write the fleet as the registry's CSV import and exit",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
