"""``ssnoc config scrub``: a configuration with its secrets removed, for sending to a vendor.

stdout carries the scrubbed text and nothing else: every line no rule touches comes out
byte-for-byte as it went in (line endings, trailing spaces, and bytes that are not UTF-8 — a GBK
description, say — included), so the output can be diffed against the input. What was removed is
summarised on stderr. A mistake (no such file, unknown platform) is one line on stderr and exit
status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from core.errors import ConfigError, NocError
from core.model import Platform

EXIT_FAILED = 2

config_scrub_app = typer.Typer(
    help="Device configurations: remove secrets before a configuration leaves the NOC.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@config_scrub_app.callback()
def _group() -> None:
    """Device configurations: remove secrets before a configuration leaves the NOC."""


@config_scrub_app.command("scrub")
def scrub_command(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="The configuration, or - for standard input.")
    ],
    platform: Annotated[
        str,
        typer.Option(
            "--platform",
            "-p",
            metavar="PLATFORM",
            help="huawei_vrp, hp_comware, cisco_ios or zte_zxros.",
        ),
    ],
) -> None:
    """Print FILE with every password, key and community replaced by <removed>."""
    from collectors.ssh.scrubber import scrub, scrub_platforms

    try:
        chosen = _platform(platform, scrub_platforms())
        data = _read(file)
        # surrogateescape: bytes that are not UTF-8 pass through unchanged, both ways.
        result = scrub(data.decode("utf-8", "surrogateescape"), chosen)
    except NocError as exc:
        typer.echo(f"ssnoc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    out: BinaryIO = sys.stdout.buffer
    out.write(result.text.encode("utf-8", "surrogateescape"))
    out.flush()
    if result.replaced:
        parts = ", ".join(f"{name} {count}" for name, count in result.by_rule.items())
        typer.echo(f"removed {result.replaced} secret(s): {parts}", err=True)
    else:
        typer.echo("no secrets found", err=True)


def _platform(name: str, known: tuple[Platform, ...]) -> Platform:
    names = ", ".join(p.value for p in known)
    try:
        chosen = Platform(name.strip().lower())
    except ValueError:
        raise ConfigError(f"unknown platform {name!r} (known: {names})") from None
    if chosen not in known:
        raise ConfigError(f"no scrub rules for platform {chosen.value} (known: {names})")
    return chosen


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None


if __name__ == "__main__":
    config_scrub_app(prog_name="ssnoc config")
