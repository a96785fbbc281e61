"""The variation modules the lab gives snmpsim: counters on the lab's epoch, and silence."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.snmpsim_runner import SnmpsimProcess, numeric_variation_module
from lab.snmpsim_variations import (
    NUMERIC_MODULE,
    SILENCE_MODULE,
    SILENCE_SOURCE,
    numeric_source,
    write_variation_modules,
)

# Stands in for snmpsim's numeric: caches its settings per record, as snmpsim's does.
FAKE_NUMERIC = """
BOOTED = 1.0


def variate(oid, tag, value, **context):
    if "settings" not in recordContext:
        recordContext["settings"] = value
    return oid, tag, (recordContext["settings"], BOOTED)
"""


def loaded(source: str, path: str) -> dict[str, Any]:
    """The module as snmpsim loads it: executed in a dict it then fills per request."""
    context: dict[str, Any] = {"recordContext": {}}
    exec(compile(source, path, "exec"), context)  # as snmpsim itself loads a module
    return context


def test_numeric_counts_from_the_labs_epoch_and_rereads_a_changed_record(tmp_path: Path) -> None:
    real = tmp_path / "snmpsim_numeric.py"
    real.write_text(FAKE_NUMERIC)
    module = loaded(numeric_source(real, 1_700_000_000.5), "numeric.py")
    variate = module["variate"]
    assert variate("1.1", "65", "rate=1") == ("1.1", "65", ("rate=1", 1_700_000_000.5))
    assert variate("1.1", "65", "rate=1")[2][0] == "rate=1"
    # The same record rewritten with another rate: parsed again, not served from the cache.
    assert variate("1.1", "65", "rate=9")[2][0] == "rate=9"


def test_silence_drops_every_request_without_asyncio_logging_it() -> None:
    snmpsim_error = pytest.importorskip("snmpsim.error")
    module = loaded(SILENCE_SOURCE, "silence.py")
    with pytest.raises(snmpsim_error.NoDataNotification):
        module["variate"]("1.3.6.1.2.1.1.5.0", "4", "", nextFlag=False)
    keep = module["_not_a_silenced_request"]
    try:
        raise snmpsim_error.NoDataNotification()
    except snmpsim_error.NoDataNotification:
        silenced = logging.LogRecord("asyncio", logging.ERROR, "", 0, "x", None, sys.exc_info())
    other = logging.LogRecord("asyncio", logging.ERROR, "", 0, "x", None, None)
    assert not keep(silenced)
    assert keep(other)


def test_a_shard_is_launched_with_both_modules_on_its_epoch(tmp_path: Path) -> None:
    snmpsim_numeric = numeric_variation_module()
    assert snmpsim_numeric is not None
    write_variation_modules(tmp_path / "variation", snmpsim_numeric, 42.0)
    written = tmp_path / "variation" / NUMERIC_MODULE
    assert "BOOTED = 42.0" in written.read_text()
    assert (tmp_path / "variation" / SILENCE_MODULE).read_text() == SILENCE_SOURCE
    process = SnmpsimProcess(tmp_path / "data", [("127.20.0.1", 1161)], tmp_path)
    assert f"--variation-modules-dir={process.variation_dir}" in process.argv()
