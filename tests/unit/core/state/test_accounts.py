"""Accounts per device: replaced as a whole by each collection, read back for the audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.state.accounts import AccountRepository, is_privileged
from core.state.db import migrate_to_head, open_state_engine
from core.state.ssh_views import AccountOrigin, LocalAccount

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def admin(name: str = "admin", **fields: object) -> LocalAccount:
    values: dict[str, object] = {
        "name": name,
        "origin": AccountOrigin.LOCAL_USER,
        "privilege": "15",
        "password_type": "irreversible-cipher",
        "service_types": ("ssh", "terminal"),
        "state": "active",
    }
    values.update(fields)
    return LocalAccount.model_validate(values)


def test_replace_stores_and_reads_back_everything(engine: Engine) -> None:
    repo = AccountRepository(engine)
    host_user = LocalAccount(
        name="alice",
        origin=AccountOrigin.LINUX,
        privilege="sudo",
        uid=1000,
        groups=("alice", "wheel"),
        shell="/bin/bash",
        sudo=("%wheel ALL=(ALL) ALL",),
        authorized_keys=("SHA256:abc (ssh-ed25519 alice@laptop)",),
        password_type="yescrypt",
        password_changed_at=T0 - timedelta(days=30),
        password_max_age_days=90,
        state="active",
    )
    assert repo.replace("app1", [host_user], T0) == 1
    (stored,) = repo.for_device("app1")
    assert stored.device_id == "app1"
    assert stored.collected_at == T0
    assert (
        LocalAccount.model_validate(stored.model_dump(exclude={"device_id", "collected_at"}))
        == host_user
    )


def test_a_new_collection_replaces_the_old_one(engine: Engine) -> None:
    repo = AccountRepository(engine)
    repo.replace("gz-core1", [admin(), admin("test", privilege="3")], T0)
    repo.replace("gz-core1", [admin()], T0 + timedelta(hours=1))
    stored = repo.for_device("gz-core1")
    assert [a.name for a in stored] == ["admin"]
    assert stored[0].collected_at == T0 + timedelta(hours=1)


def test_devices_are_kept_apart_and_searchable(engine: Engine) -> None:
    repo = AccountRepository(engine)
    repo.replace("a", [admin(), admin("noc", privilege="1")], T0)
    repo.replace("b", [admin("admin", origin=AccountOrigin.USERNAME, privilege="15")], T0)
    assert repo.device_ids() == ["a", "b"]
    assert [(x.device_id, x.name) for x in repo.search(name="admin")] == [
        ("a", "admin"),
        ("b", "admin"),
    ]
    assert [x.device_id for x in repo.search(origin=AccountOrigin.USERNAME)] == ["b"]
    assert [(x.device_id, x.name) for x in repo.search(privileged_only=True)] == [
        ("a", "admin"),
        ("b", "admin"),
    ]


def test_a_name_listed_twice_keeps_the_later_entry(engine: Engine) -> None:
    repo = AccountRepository(engine)
    repo.replace("a", [admin(privilege="1"), admin(privilege="15")], T0)
    (stored,) = repo.for_device("a")
    assert stored.privilege == "15"


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        AccountRepository(engine).replace("a", [admin()], datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("account", "privileged"),
    [
        (admin(privilege="15"), True),
        (admin(privilege="1"), False),
        (admin(privilege="network-admin"), True),
        (admin(privilege="user", sudo=("bob ALL=(ALL) ALL",)), True),
        (admin(privilege="root"), True),
    ],
)
def test_what_counts_as_privileged(account: LocalAccount, privileged: bool) -> None:
    assert is_privileged(account) is privileged
