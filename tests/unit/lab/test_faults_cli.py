"""``ssnoc lab fail|recover|faults`` as a person meets them, with no lab: help, one-line errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ssnoc.cli import app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_fault_commands_are_listed_with_their_help() -> None:
    code, out, _ = run("lab", "--help")
    assert code == 0
    for command in ("fail", "recover", "faults"):
        assert command in out
    code, out, _ = run("lab", "fail", "--help")
    assert code == 0
    assert "link" in out
    assert "device" in out
    code, out, _ = run("lab", "recover", "--help")
    assert code == 0
    for command in ("all", "link", "device"):
        assert command in out


def test_without_a_lab_each_command_says_so_in_one_line(tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    for args in (
        ("fail", "link", "gz-core1", "gz-liwan-acc1"),
        ("fail", "device", "gz-core1"),
        ("recover",),
        ("recover", "all"),
        ("recover", "link", "gz-core1", "gz-liwan-acc1"),
        ("recover", "device", "gz-core1"),
        ("faults",),
    ):
        code, _, err = run("lab", *args, "--data-dir", data_dir)
        assert code == 2, args
        assert (
            err.strip() == f"ssnoc: no lab is running in {data_dir}: start one with `ssnoc lab up`"
        )
