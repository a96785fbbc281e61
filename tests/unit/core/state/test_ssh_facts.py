"""SSH facts and host units: a success replaces, a failure keeps the last good facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.state.db import migrate_to_head, open_state_engine
from core.state.ssh_facts import SshFactsRepository
from core.state.ssh_views import HostUnitState, SshFacts, UnitState

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def test_success_then_failure_keeps_the_facts(engine: Engine) -> None:
    repo = SshFactsRepository(engine)
    facts = SshFacts(
        hostname="GZ-CORE1",
        vendor="Huawei",
        os_version="NE40E V800R011C00SPC200",
        model="NE40E-X2-M8A",
        uptime="161 days",
        details={"interfaces": [{"name": "GE0/0/1", "oper_status": "up"}]},
    )
    repo.record_success("gz-core1", facts, T0)
    later = T0 + timedelta(minutes=15)
    repo.record_failure("gz-core1", "authentication failed for user 'noc'", later)
    view = repo.facts("gz-core1")
    assert view is not None
    assert view.hostname == "GZ-CORE1"
    assert view.details == facts.details
    assert view.last_success_at == T0
    assert view.collected_at == later
    assert view.last_error == "authentication failed for user 'noc'"
    repo.record_success("gz-core1", facts, later)
    again = repo.facts("gz-core1")
    assert again is not None
    assert again.last_error is None


def test_a_device_that_never_answered_has_only_its_error(engine: Engine) -> None:
    repo = SshFactsRepository(engine)
    repo.record_failure("x", "connection refused", T0)
    (view,) = repo.all_facts()
    assert view.hostname is None
    assert view.last_success_at is None
    assert repo.facts("nobody") is None


def test_host_units_are_replaced_per_host(engine: Engine) -> None:
    repo = SshFactsRepository(engine)
    repo.replace_host_units(
        "app1",
        [
            HostUnitState(unit="sshd", state=UnitState.RUNNING, detail="pid 12"),
            HostUnitState(unit="pension-service", state=UnitState.ABSENT),
        ],
        T0,
    )
    repo.replace_host_units("app2", [HostUnitState(unit="sshd", state=UnitState.ACTIVE)], T0)
    repo.replace_host_units(
        "app1", [HostUnitState(unit="sshd", state=UnitState.FAILED, detail="failed")], T0
    )
    assert [(u.device_id, u.unit, u.state) for u in repo.host_units()] == [
        ("app1", "sshd", UnitState.FAILED),
        ("app2", "sshd", UnitState.ACTIVE),
    ]
    assert [u.unit for u in repo.host_units("app2")] == ["sshd"]
