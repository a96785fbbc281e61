"""CLI tests run commands in-process: a command that configures logging (``serve``) points the
root logger at CliRunner's captured stderr, which is closed afterwards. Restore the root logger
after every test, so later tests' log lines do not land in a closed stream."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
