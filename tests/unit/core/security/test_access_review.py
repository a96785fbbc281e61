"""The NOC access review: flags per user and token, who can approve and administer, snapshots,
what changed since, signed reviews in the state DB, and the review's exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.clock import FakeClock
from core.security.access_review import (
    AccessReviewStore,
    FindingRef,
    PermissionHolder,
    ReviewChanges,
    access_review,
    changes_since,
    review_snapshot,
)
from core.security.account_audit import AccountFinding, FindingKind, Severity
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.report_export import (
    USER_COLUMNS,
    write_review_csv,
    write_review_json,
    write_tokens_csv,
)
from core.state.db import migrate_to_head, open_state_engine

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class ReviewedUser:
    """A user as the caller hands it over (the user directory's UserView has these fields)."""

    username: str
    display_name: str
    disabled: bool
    last_login_at: datetime | None
    created_at: datetime
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class ReviewedToken:
    """A token as the caller hands it over (the user directory's ApiTokenView has these)."""

    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


USERS = [
    ReviewedUser(
        "liang.hua", "Liang Hua", False, NOW - DAY, NOW - 400 * DAY,
        (Grant(Role.ADMIN, "440000"),),
    ),
    ReviewedUser(
        "eng.guangzhou", "GZ engineer", False, NOW - 91 * DAY, NOW - 300 * DAY,
        (Grant(Role.NETWORK_ENGINEER, "440100"), Grant(Role.ONCALL, "440100")),
    ),
    ReviewedUser(
        "new.hire", "New Hire", False, None, NOW - 3 * DAY, (Grant(Role.VIEWER, "440103"),),
    ),
    ReviewedUser(
        "never.came", "Never Came", False, None, NOW - 120 * DAY,
        (Grant(Role.NETWORK_ENGINEER, "440300"),),
    ),
    ReviewedUser(
        "left.company", "Left", True, NOW - 500 * DAY, NOW - 900 * DAY,
        (Grant(Role.ADMIN, "440000"),),
    ),
]  # fmt: skip
TOKENS = [
    ReviewedToken("liang.hua", "backup-script", "ssn_ab12", NOW - 200 * DAY, NOW + 100 * DAY,
                  last_used_at=NOW - DAY),
    ReviewedToken("liang.hua", "report", "ssn_cd34", NOW - 2 * DAY, NOW + 88 * DAY),
    ReviewedToken("eng.guangzhou", "grafana", "ssn_ef56", NOW - 10 * DAY, NOW + 80 * DAY,
                  last_used_at=NOW - DAY),
    ReviewedToken("eng.guangzhou", "old", "ssn_gh78", NOW - 300 * DAY, NOW - DAY),
    ReviewedToken("left.company", "cron", "ssn_ij90", NOW - 400 * DAY, NOW + 10 * DAY,
                  revoked_at=NOW - 100 * DAY),
]  # fmt: skip
FINDINGS = [
    AccountFinding(
        FindingKind.UNKNOWN_ACCOUNT, "gz-core1", "440100", "h3c", "network-admin", "no entry",
        Severity.MEDIUM,
    ),
    AccountFinding(
        FindingKind.GENERIC_NAME, "gz-core1", "440100", "test", "3", "generic", Severity.MEDIUM
    ),
]  # fmt: skip


def test_one_row_per_user_with_grants_roles_scopes_and_flags() -> None:
    review = access_review(USERS, TOKENS, NOW)
    rows = {row.username: row for row in review.users}
    assert [row.username for row in review.users] == sorted(rows)
    gz = rows["eng.guangzhou"]
    assert gz.grants == ("network_engineer@440100", "oncall@440100")
    assert gz.roles == ("network_engineer", "oncall")
    assert gz.scopes == ("440100",)
    assert gz.unused  # last login 91 days ago
    assert not gz.never_logged_in
    assert not rows["liang.hua"].unused
    assert rows["new.hire"].never_logged_in
    assert not rows["new.hire"].unused  # created three days ago
    assert rows["never.came"].never_logged_in
    assert rows["never.came"].unused  # an account of 120 days nobody ever used
    assert rows["left.company"].disabled
    assert not rows["left.company"].unused  # disabled already: nothing to ask


def test_tokens_with_their_age_and_flags() -> None:
    review = access_review(USERS, TOKENS, NOW)
    rows = {row.username: row for row in review.users}
    backup, report = rows["liang.hua"].tokens
    assert (backup.name, backup.age_days, backup.old, backup.never_used) == (
        "backup-script",
        200,
        True,
        False,
    )
    assert (report.name, report.old, report.never_used, report.live) == (
        "report",
        False,
        True,
        True,
    )
    assert rows["liang.hua"].live_tokens == 2
    grafana, expired = rows["eng.guangzhou"].tokens
    assert not grafana.flagged
    assert not expired.live  # expired: it opens nothing any more
    assert not expired.flagged
    (revoked,) = rows["left.company"].tokens
    assert not revoked.live
    assert [(t.user, t.name) for t in review.flagged_tokens] == [
        ("liang.hua", "backup-script"),
        ("liang.hua", "report"),
    ]


def test_who_can_approve_runbooks_and_manage_users() -> None:
    review = access_review(USERS, TOKENS, NOW)
    assert review.can_approve_runbooks == (
        PermissionHolder("eng.guangzhou", ("440100",)),  # network engineer
        PermissionHolder("liang.hua", ("440000",)),  # admin
        PermissionHolder("never.came", ("440300",)),
    )
    # The disabled admin holds nothing they can use.
    assert review.can_manage_users == (PermissionHolder("liang.hua", ("440000",)),)


def test_the_unused_threshold_is_a_parameter() -> None:
    review = access_review(USERS, TOKENS, NOW, unused_after_days=365)
    assert not any(row.unused for row in review.users)
    assert [t.name for t in review.flagged_tokens] == ["report"]
    with pytest.raises(ValueError, match="timezone-aware"):
        access_review(USERS, TOKENS, datetime(2026, 6, 1))


def test_the_snapshot_is_plain_json() -> None:
    snapshot = review_snapshot(access_review(USERS, TOKENS, NOW), FINDINGS)
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["users"]["eng.guangzhou"]["grants"] == [
        "network_engineer@440100",
        "oncall@440100",
    ]
    assert snapshot["tokens"]["liang.hua/report/ssn_cd34"]["revoked_at"] is None
    assert snapshot["findings"][0]["kind"] == "unknown_account"


def test_nothing_changed_between_equal_snapshots() -> None:
    snapshot = review_snapshot(access_review(USERS, TOKENS, NOW), FINDINGS)
    changes = changes_since(snapshot, snapshot)
    assert changes == ReviewChanges()
    assert changes.empty


def test_changes_since_the_last_review() -> None:
    before = review_snapshot(access_review(USERS, TOKENS, NOW), FINDINGS)
    users = [u for u in USERS if u.username != "never.came"] + [
        ReviewedUser("li.na", "Li Na", False, None, NOW, (Grant(Role.VIEWER, "440100"),))
    ]
    gz = users[1]
    users[1] = ReviewedUser(
        gz.username, gz.display_name, True, gz.last_login_at, gz.created_at,
        (Grant(Role.NETWORK_ENGINEER, "440100"), Grant(Role.ADMIN, "440100")),
    )  # fmt: skip
    tokens = [t for t in TOKENS if t.name != "grafana"]
    tokens[1] = _revoked(tokens[1])  # report
    tokens.append(ReviewedToken("li.na", "notebook", "ssn_kl12", NOW, NOW + 90 * DAY))
    findings = [
        FINDINGS[1],
        AccountFinding(
            FindingKind.WEAK_PASSWORD_TYPE, "sz-core1", "440300", "cisco", "15", "md5",
            Severity.HIGH,
        ),
    ]  # fmt: skip
    after = review_snapshot(access_review(users, tokens, NOW + DAY), findings)
    assert changes_since(before, after) == ReviewChanges(
        users_added=("li.na",),
        users_removed=("never.came",),
        users_disabled=("eng.guangzhou",),
        grants_added=(("eng.guangzhou", "admin@440100"), ("li.na", "viewer@440100")),
        grants_removed=(
            ("eng.guangzhou", "oncall@440100"),
            ("never.came", "network_engineer@440300"),
        ),
        tokens_created=("li.na/notebook/ssn_kl12",),
        tokens_revoked=("eng.guangzhou/grafana/ssn_ef56", "liang.hua/report/ssn_cd34"),
        findings_new=(FindingRef("weak_password_type", "sz-core1", "cisco", "440300"),),
        findings_resolved=(FindingRef("unknown_account", "gz-core1", "h3c", "440100"),),
    )
    back = changes_since(after, before)
    assert back.users_enabled == ("eng.guangzhou",)
    assert back.tokens_revoked == ("li.na/notebook/ssn_kl12",)


def _revoked(token: ReviewedToken) -> ReviewedToken:
    return ReviewedToken(
        token.user, token.name, token.prefix, token.created_at, token.expires_at,
        token.last_used_at, revoked_at=NOW,
    )  # fmt: skip


def test_an_older_or_partial_snapshot_still_compares() -> None:
    current = review_snapshot(access_review(USERS[:1], [], NOW), FINDINGS[:1])
    changes = changes_since({"version": 0, "findings": "garbage"}, current)
    assert changes.users_added == ("liang.hua",)
    assert changes.grants_added == (("liang.hua", "admin@440000"),)
    assert changes.findings_new == (FindingRef("unknown_account", "gz-core1", "h3c", "440100"),)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def test_signed_reviews_are_kept_and_the_latest_is_found(engine: Engine) -> None:
    clock = FakeClock(NOW)
    store = AccessReviewStore(engine, clock)
    assert store.latest() is None
    first = review_snapshot(access_review(USERS, TOKENS, NOW), FINDINGS)
    first_id = store.save("chen.jing", first)
    clock.advance(86_400)
    second = review_snapshot(access_review(USERS[:2], [], clock.now()), [])
    second_id = store.save("chen.jing", second)
    assert second_id > first_id
    latest = store.latest()
    assert latest is not None
    review_id, at, reviewer, snapshot = latest
    assert (review_id, at, reviewer) == (second_id, NOW + DAY, "chen.jing")
    assert snapshot == second
    with pytest.raises(ValueError, match="reviewer"):
        store.save(" ", second)


def test_the_review_exports_as_csv_and_json() -> None:
    review = access_review(USERS, TOKENS, NOW)
    out = io.StringIO()
    assert write_review_csv(review, out) == len(USERS)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == USER_COLUMNS
    gz = next(r for r in rows if r["username"] == "eng.guangzhou")
    assert gz["grants"] == "network_engineer@440100 oncall@440100"
    assert gz["unused"] == "true"
    assert gz["last_login_at"] == (NOW - 91 * DAY).isoformat()
    tokens = io.StringIO()
    assert write_tokens_csv(review.flagged_tokens, tokens) == 2
    document_out = io.StringIO()
    write_review_json(review, document_out)
    document = json.loads(document_out.getvalue())
    assert document["can_manage_users"] == [{"username": "liang.hua", "scopes": ["440000"]}]
    assert [t["name"] for t in document["flagged_tokens"]] == ["backup-script", "report"]
    liang = next(u for u in document["users"] if u["username"] == "liang.hua")
    assert len(liang["tokens"]) == 2
