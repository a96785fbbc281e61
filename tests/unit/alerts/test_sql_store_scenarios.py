"""Scenarios every alert store must pass, run on SQLite here and on PostgreSQL in integration.

No tests of its own: ``test_sql_store.py`` and the PostgreSQL test run these against real
databases, each with two stores opened on the same database, as before and after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.evaluation import AlertEngine, EngineSettings
from alerts.history import AlertStore
from alerts.maintenance import MaintenanceCalendar, MaintenanceWindow, OneOff, Recurrence
from alerts.matchers import Matcher, MatchType, parse_matchers
from alerts.model import AlertStatus, TransitionKind
from alerts.oncall import OnCallDirectory, Override, Rotation, RotationPeriod, Schedule
from alerts.silences import MuteCause, Silence, SilenceStore, SuppressionKind
from alerts.sql_suppression_store import SqlSuppressionStore
from tests.unit.alerts.timeline import T0, FakeMetrics, Timeline, rules_from_yaml

RULES = """
- name: device-unreachable
  fact: device
  state: down
  severity: critical
  annotations: {summary: "{device} does not answer"}
- name: cpu-high
  metric: device_cpu_percent
  op: ">"
  threshold: 90
  for: 1m
  severity: major
  annotations: {summary: "{device} CPU at {value:.0f}%"}
"""
RETENTION = EngineSettings(resolved_retention_s=3600)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CPU = "device_cpu_percent"


def run_restart_scenario(before: AlertStore, after: AlertStore) -> None:
    """An alert fires and is acknowledged, another resolves, a third never fires; a new engine
    on ``after`` (the same database, reopened) carries on with exactly what should survive."""
    tl = Timeline(RULES, every="1m", store=before, settings=RETENTION)
    tl.at("0s").metric(CPU, {"device": "gz-core1"}, 95)
    tl.at("0s").device("sz-core1", "down")
    tl.at("2m").ack("cpu-high", "张伟", "换风扇 — on it", expires_in="8h", device="gz-core1")
    tl.at("3m").device("sz-core1", "up")
    tl.at("4m").metric(CPU, {"device": "fs-core1"}, 97)
    tl.at("4m30s").metric(CPU, {"device": "fs-core1"}, 20)  # pending, then forgotten
    tl.run(until="5m")
    acked = tl.alert("cpu-high", device="gz-core1")
    resolved = tl.alert("device-unreachable", device="sz-core1")
    assert acked.acknowledged
    assert resolved.status is AlertStatus.RESOLVED
    forgotten = tl.seen("pending_cancelled", device="fs-core1")[0].transition.fingerprint

    within = AlertEngine(rules_from_yaml(RULES), store=after, settings=RETENTION)
    assert within.restore(tl.time("30m")) == 2
    assert within.get(resolved.fingerprint) == resolved  # resolved 27 minutes ago: kept

    engine = AlertEngine(rules_from_yaml(RULES), store=after, settings=RETENTION)
    now = tl.time("3m") + timedelta(seconds=RETENTION.resolved_retention_s + 60)
    assert engine.restore(now) == 1  # resolved more than an hour ago: not restored
    assert engine.alerts() == [acked]  # with its acknowledgement, whole
    assert acked.acknowledgement is not None
    assert acked.acknowledgement.note == "换风扇 — on it"
    assert acked.acknowledgement.expires_at == tl.time("2m") + timedelta(hours=8)
    assert [(h.kind, h.by, h.note) for h in engine.history(acked.fingerprint)] == [
        (TransitionKind.PENDING, "system", None),
        (TransitionKind.FIRED, "system", None),
        (TransitionKind.ACKNOWLEDGED, "张伟", "换风扇 — on it"),
    ]
    assert [h.kind for h in engine.history(resolved.fingerprint)] == [
        TransitionKind.FIRED,
        TransitionKind.RESOLVED,
    ]
    assert engine.history(forgotten) == []
    assert after.history(forgotten) == []

    # The restarted engine carries on: still firing is no news, then it resolves.
    metrics = FakeMetrics(tl.clock)
    tl.clock.set(now)
    metrics.set(CPU, {"device": "gz-core1"}, 96)
    assert engine.evaluate(now, metrics).transitions == ()
    metrics.set(CPU, {"device": "gz-core1"}, 30)
    later = now + timedelta(minutes=1)
    tl.clock.set(later)
    result = engine.evaluate(later, metrics)
    assert [(t.kind, t.fingerprint) for t in result.transitions] == [
        (TransitionKind.RESOLVED, acked.fingerprint)
    ]
    assert [h.kind.value for h in engine.history(acked.fingerprint)] == [
        "pending",
        "fired",
        "acknowledged",
        "resolved",
    ]
    assert [a["status"] for a in after.load_alerts(later)] == ["resolved"]


TRICKY = (
    Matcher("alertname", MatchType.EQUAL, 'say "hi", then }'),
    Matcher("region", MatchType.REGEX, r"4401\d{2}|440000"),
    Matcher("device", MatchType.NOT_REGEX, r"lab-.*\\test"),
    Matcher("site", MatchType.NOT_EQUAL, "越秀区\n社保中心"),
)


@dataclass
class Suppressions:
    """What :func:`saved_suppressions` put in the store, as the process held it."""

    silences: list[Silence] = field(default_factory=list)
    windows: list[MaintenanceWindow] = field(default_factory=list)


def saved_suppressions(store: SqlSuppressionStore) -> Suppressions:
    """Silences (timed, until-resolved, expired by hand) and windows (one-off in Shanghai time,
    weekly and daily recurring), each saved as the composition root would on every change."""
    ids = iter(f"s{n}" for n in range(1, 10))
    silences = SilenceStore(id_factory=lambda: next(ids))
    created = [
        silences.create(
            TRICKY,
            starts_at=T0,
            ends_at=T0 + timedelta(hours=2),
            created_by="李娜",
            comment="cutover, 割接",
        ),
        silences.create(
            parse_matchers('{alertname="LinkDown", region=~"4401.*"}'),
            starts_at=T0 - timedelta(minutes=5),
            ends_at=None,
            created_by="wang",
            comment="until the city link is back",
            until_resolved=True,
        ),
        silences.create(
            parse_matchers("device=gz-core1"),
            starts_at=datetime(2026, 3, 2, 17, 0, tzinfo=SHANGHAI),
            ends_at=datetime(2026, 3, 2, 19, 0, tzinfo=SHANGHAI),
            created_by="wang",
            comment="",
        ),
    ]
    for silence in created:
        store.save_silence(silence)
    store.save_silence(silences.expire("s3", T0 + timedelta(minutes=1), by="wang"))

    windows = [
        MaintenanceWindow(
            id="mw-weekly",
            schedule=Recurrence.parse(
                "weekly Sun 02:00-04:00 Asia/Shanghai", until=T0 + timedelta(days=90)
            ),
            regions=frozenset({"440100", "440300"}),
            created_by="duty",
            comment="周日例行维护",
        ),
        MaintenanceWindow(
            id="mw-once",
            schedule=OneOff(
                datetime(2026, 3, 5, 22, 0, tzinfo=SHANGHAI),
                datetime(2026, 3, 6, 1, 30, tzinfo=SHANGHAI),
            ),
            device_ids=frozenset({"gz-core1", "gz-core2"}),
            pause_collection=True,
            created_by="li",
        ),
        MaintenanceWindow(
            id="mw-nightly",
            schedule=Recurrence.parse("daily 22:30-01:15 Asia/Shanghai"),
            regions=frozenset({"440103"}),
        ),
        MaintenanceWindow(
            id="mw-cancelled",
            schedule=Recurrence.parse("daily 01:00-02:00 UTC"),
            regions=frozenset({"440000"}),
        ),
    ]
    for window in windows:
        store.save_maintenance_window(window)
    store.remove_maintenance_window("mw-cancelled", T0)
    return Suppressions(silences.all(), windows[:3])


def run_suppression_scenario(before: SqlSuppressionStore, after: SqlSuppressionStore) -> None:
    """Silences, maintenance windows and on-call overrides saved through ``before`` come back
    equal through ``after`` and mute, open and hand over exactly as they did."""
    saved = saved_suppressions(before)

    loaded = after.load_silences()
    assert sorted(loaded, key=lambda s: s.id) == saved.silences
    assert [s.id for s in loaded] == ["s2", "s1", "s3"]  # by start time
    expired = next(s for s in loaded if s.id == "s3")
    assert (expired.ends_at, expired.end_reason) == (T0 + timedelta(minutes=1), "expired by wang")
    restored = SilenceStore()
    for silence in loaded:
        restored.add(silence)
    alert = _FakeAlert(
        "f1",
        {"alertname": 'say "hi", then }', "region": "440103", "site": "天河", "device": "gz-x"},
    )
    assert restored.muted_by(alert, T0 + timedelta(minutes=30)) == (
        MuteCause(SuppressionKind.SILENCE, "s1"),
    )

    windows = after.load_maintenance_windows()
    assert sorted(windows, key=lambda w: w.id) == sorted(saved.windows, key=lambda w: w.id)
    calendar = MaintenanceCalendar(windows)
    sunday_0230_shanghai = datetime(2026, 3, 7, 18, 30, tzinfo=UTC)
    assert [w.id for w, _ in calendar.open_at(sunday_0230_shanghai)] == ["mw-weekly"]
    assert calendar.open_at(datetime(2026, 3, 7, 20, 0, tzinfo=UTC)) == []  # 04:00 there
    assert calendar.open_at(datetime(2026, 6, 6, 18, 30, tzinfo=UTC)) == []  # past 'until'
    once = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert calendar.collection_paused("gz-core2", None, once)
    assert [w.id for w in calendar.covering(None, "440103", once)] == ["mw-nightly"]

    _run_override_scenario(before, after)


def _run_override_scenario(before: SqlSuppressionStore, after: SqlSuppressionStore) -> None:
    rotation = Rotation(("wang", "li"), date(2026, 3, 2), time(9), RotationPeriod.DAILY, "UTC")
    long_ago = Override("zhao", T0 - timedelta(days=30), T0 - timedelta(days=29))
    sick = Override("zhang", T0, T0 + timedelta(days=2))
    swap = Override("chen", T0 + timedelta(hours=4), T0 + timedelta(hours=8))
    before.add_override("net-440100", long_ago, created_by="wang")
    before.add_override("net-440100", sick, created_by="wang")
    before.add_override("net-440100", swap, created_by="li")
    before.add_override("sys-440000", sick)

    assert len(after.load_overrides()) == 4
    overrides = after.load_overrides(ending_after=T0)
    assert overrides == [("net-440100", sick), ("net-440100", swap), ("sys-440000", sick)]
    directory = OnCallDirectory([Schedule("net-440100", "network", "440100", rotation)])
    for name, override in overrides:
        if name == "net-440100":
            directory.add_override(name, override)
    assert directory.who_is_on_call("net-440100", T0 + timedelta(hours=1)) == "zhang"
    assert directory.who_is_on_call("net-440100", T0 + timedelta(hours=5)) == "chen"  # later wins
    assert directory.who_is_on_call("net-440100", T0 + timedelta(days=3)) == "wang"


@dataclass(frozen=True)
class _FakeAlert:
    fingerprint: str
    labels: dict[str, str]
    status: str = "firing"
    starts_at: datetime | None = T0
    ends_at: datetime | None = None
    acknowledged: bool = False
    caused_by: str | None = None
