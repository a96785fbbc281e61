"""A real PostgreSQL server for a test, on a loopback address, in a temporary directory.

PostgreSQL refuses to run as root, so the cluster is created and run as the ``postgres`` user
(``runuser``) in a directory that user owns. Readiness is ``pg_isready`` with a deadline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def running_postgres(host: str, port: int = 5432) -> Iterator[str]:
    """Yields a SQLAlchemy URL of a fresh database on a server that is stopped afterwards."""
    if not (BIN / "postgres").exists():
        pytest.fail("PostgreSQL 15 is not installed (apt-get install postgresql-15)")
    base = Path(tempfile.mkdtemp(prefix="ssnoc-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        _as_postgres([str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "ssnoc"]),
        check=True,
        capture_output=True,
    )
    log = (base / "postgres.log").open("wb")
    server = subprocess.Popen(
        _as_postgres(
            [
                str(BIN / "postgres"),
                "-D",
                str(data),
                "-h",
                host,
                "-p",
                str(port),
                "-k",
                str(base),
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [str(BIN / "pg_isready"), "-h", host, "-p", str(port), "-U", "ssnoc"],
                check=False,
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (base / "postgres.log").read_text(errors="replace")[-500:]
                pytest.fail(f"PostgreSQL did not start: {tail}")
            time.sleep(0.05)
        subprocess.run(
            [str(BIN / "createdb"), "-h", host, "-p", str(port), "-U", "ssnoc", "ssnoc"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://ssnoc@{host}:{port}/ssnoc"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(base, ignore_errors=True)
