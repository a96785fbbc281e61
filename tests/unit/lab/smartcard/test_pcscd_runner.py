"""The private pcscd's configuration, namespace command and start-up failures (the real thing
runs in tests/integration/lab/test_smartcard_pcscd.py)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from core.errors import LabError
from lab.smartcard import pcscd_runner
from lab.smartcard.pcscd_runner import (
    PCSC_SOCKET_ENV,
    PcscdLayout,
    PcscdProcess,
    ReaderSlot,
    _listening_tcp_ports,
    namespace_argv,
    reader_slots,
    require_prerequisites,
)


@pytest.fixture
def fake_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pcscd and a vpcd driver that are only files, so the layout can be written anywhere."""
    driver = tmp_path / "install" / "libifdvpcd.so"
    driver.parent.mkdir()
    driver.write_bytes(b"\x7fELF driver")
    pcscd = tmp_path / "install" / "pcscd"
    pcscd.write_text("#!/bin/sh\nexec sleep 30\n")
    pcscd.chmod(pcscd.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pcscd_runner, "VPCD_DRIVER", driver)
    monkeypatch.setattr(pcscd_runner, "PCSCD", pcscd)
    return pcscd


def test_four_readers_are_two_entries_with_names_of_their_own() -> None:
    assert reader_slots(4) == (
        ReaderSlot(0, "Virtual PCD 0 00 00", 35963),
        ReaderSlot(1, "Virtual PCD 0 00 01", 35964),
        ReaderSlot(2, "Virtual PCD 1 00 00", 35965),
        ReaderSlot(3, "Virtual PCD 1 00 01", 35966),
    )
    assert len(reader_slots(3)) == 4
    assert len(reader_slots(16)) == 16


@pytest.mark.parametrize("readers", [0, 17])
def test_pcscd_takes_1_to_16_readers(readers: int) -> None:
    with pytest.raises(LabError, match="1 to 16"):
        reader_slots(readers)


def test_the_layout_writes_one_entry_and_one_driver_copy_per_two_readers(
    tmp_path: Path, fake_install: Path
) -> None:
    layout = PcscdLayout(tmp_path / "sc")
    layout.socket_dir.mkdir(parents=True)
    (layout.socket_dir / "pcscd.comm").write_text("stale")
    slots = layout.write(4)
    assert len(slots) == 4
    entries = sorted(layout.conf_dir.iterdir())
    assert [e.name for e in entries] == ["vpcd-00", "vpcd-01"]
    second = entries[1].read_text()
    assert 'FRIENDLYNAME "Virtual PCD 1"' in second
    assert "DEVICENAME /dev/null:0x8C7D" in second
    assert f"LIBPATH {layout.driver_dir / 'libifdvpcd-01.so'}" in second
    assert len(list(layout.driver_dir.iterdir())) == 2
    assert list(layout.socket_dir.iterdir()) == []  # a stale socket would stop pcscd
    assert not layout.log_path.is_relative_to(layout.conf_dir)
    assert layout.client_environment() == {PCSC_SOCKET_ENV: str(layout.socket_path)}


def test_a_socket_path_too_long_is_refused(tmp_path: Path, fake_install: Path) -> None:
    with pytest.raises(LabError, match="too long"):
        PcscdLayout(tmp_path / ("x" * 100)).write(2)


def test_missing_software_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcscd_runner, "PCSCD", tmp_path / "no-pcscd")
    with pytest.raises(LabError, match=r"apt install pcscd vsmartcard-vpcd.*no-pcscd"):
        require_prerequisites()


def test_the_namespaces_are_net_mount_and_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = namespace_argv(["station"])
    assert argv[0] == "unshare"
    assert {"--mount", "--net", "--pid", "--fork", "--kill-child"} <= set(argv)
    assert argv[-1] == "station"
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--map-root-user" in namespace_argv(["station"])


def test_listening_ports_are_read_from_proc() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert server.getsockname()[1] in _listening_tcp_ports()


def test_a_pcscd_that_exits_at_once_is_reported(tmp_path: Path, fake_install: Path) -> None:
    fake_install.write_text("#!/bin/sh\necho 'cannot start: test'\nexit 3\n")
    layout = PcscdLayout(tmp_path / "sc")
    process = PcscdProcess(layout, layout.write(2), log_apdus=True)
    with pytest.raises(LabError, match="exited with 3: cannot start: test"):
        process.start(timeout_s=5.0)


def test_a_pcscd_that_never_gets_ready_is_stopped(tmp_path: Path, fake_install: Path) -> None:
    layout = PcscdLayout(tmp_path / "sc")
    process = PcscdProcess(layout, layout.write(2), log_apdus=False)
    with pytest.raises(LabError, match=r"not ready in 0\.2 s"):
        process.start(timeout_s=0.2)
    assert process.pid is None
