from __future__ import annotations

import os
from pathlib import Path

from lab.snmpsim_runner import SnmpsimProcess, log_tail, numeric_variation_module, responder_alive


def test_the_log_tail_keeps_the_last_meaningful_lines(tmp_path: Path) -> None:
    (tmp_path / "snmpsim.stderr").write_text("Traceback (most recent call last):\n  boom\n")
    (tmp_path / "snmpsim.log").write_text(
        'ERROR Variation module "redis" from "x" load FAILED: Redis connect parameters\n'
        "\n"
        "SnmpsimError: Unknown hostname 300.1.1.1\n"
    )
    assert log_tail(tmp_path, lines=2) == "boom | SnmpsimError: Unknown hostname 300.1.1.1"
    assert log_tail(tmp_path / "nowhere") == "no output"


def test_only_an_snmpsim_responder_counts_as_alive() -> None:
    assert not responder_alive(os.getpid())  # a live process, but not a responder
    assert not responder_alive(2**22 + 12345)  # beyond any pid this kernel hands out


def test_the_responder_loads_only_the_numeric_variation_module(tmp_path: Path) -> None:
    module = numeric_variation_module()
    assert module is not None
    assert module.name == "numeric.py"
    process = SnmpsimProcess(tmp_path / "data", [("127.20.0.1", 1161)], tmp_path)
    assert not any(arg.startswith("--variation-modules-dir") for arg in process.argv())
    process.variation_dir.mkdir()
    (process.variation_dir / "numeric.py").symlink_to(module)
    argv = process.argv()
    assert f"--variation-modules-dir={process.variation_dir}" in argv
    assert "--agent-udpv4-endpoint=127.20.0.1:1161" in argv
