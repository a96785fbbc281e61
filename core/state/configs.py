"""Configuration versions and backup status in the state DB.

One version per real change: a collected configuration (already scrubbed of secrets) is stored
only when its *normalised* form differs from the device's newest version. Normalising drops the
lines a device rewrites without anyone changing anything — timestamps, byte counts, software
version banners, NTP's clock-period — and trailing whitespace and blank lines at either end. The
text is stored as collected, volatile lines included: the diff shows what the device printed.
The volatile lines are data per platform (:data:`VOLATILE_LINES`); a caller may pass its own.

Every method opens its own short transaction, as :mod:`core.state.repository` does. Events are
not published here: callers get outcomes and decide (collectors/ssh/backup.py).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, Select, delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.errors import NocError, NotFound, StoreError
from core.model import Platform
from core.state.config_views import (
    BackupStatusView,
    ConfigDiff,
    ConfigVersion,
    ConfigVersionSummary,
    DiffLine,
    StoreOutcome,
)
from core.state.tables import BackupStatusRow, ConfigVersionRow, DeviceRow

VOLATILE_LINES: dict[Platform, tuple[str, ...]] = {
    Platform.CISCO_IOS: (
        r"^Building configuration\.\.\.",
        r"^Current configuration : \d+ bytes",
        r"^! Last configuration change at ",
        r"^! NVRAM config last updated at ",
        r"^! No configuration change since last restart",
        r"^ntp clock-period ",
    ),
    Platform.HUAWEI_VRP: (
        r"^!Software Version ",
        r"^!Last configuration was (?:updated|saved) at ",
        r"^!(?:grpc|kms_feature|md_tlm|telem) ",  # V8 feature versions, rewritten by patches
        # `display` may be preceded by the time it ran, unless `timestamp disable` is set.
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?[+-]\d{2}:\d{2}| DST)?$",
    ),
    Platform.HP_COMWARE: (
        # The `#`-framed header: the software release, rewritten by every upgrade.
        r"^ ?version \d+\.\d+\.\d+, (?:Release|ESS|Feature) \S+",
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?[+-]\d{2}:\d{2})?$",
    ),
    Platform.ZTE_ZXROS: (
        r"^Building configuration\.\.\.",
        r"^!\s*Time: ",
        r"^!\s*Last (?:configuration|config) ",
    ),
    Platform.LINUX: (),
}
"""Lines (regular expressions, matched at the start of a line) that do not make a change."""


class ConfigDiffRefused(NocError):
    """A diff between versions of two different devices was asked for."""


def normalised_lines(text: str, volatile: Sequence[re.Pattern[str]]) -> list[str]:
    """The lines that make a configuration what it is: volatile lines, trailing whitespace,
    line-ending style and blank lines at either end left out."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [line for line in lines if not any(p.match(line) for p in volatile)]
    start, end = 0, len(kept)
    while start < end and not kept[start]:
        start += 1
    while end > start and not kept[end - 1]:
        end -= 1
    return kept[start:end]


def digest(lines: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def count_changes(before: Sequence[str], after: Sequence[str]) -> tuple[int, int]:
    """(lines added, lines removed) going from ``before`` to ``after``."""
    added = removed = 0
    for line in difflib.unified_diff(list(before), list(after), n=0, lineterm=""):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


class ConfigRepository:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        volatile: Mapping[Platform, Iterable[str]] | None = None,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        source = VOLATILE_LINES if volatile is None else volatile
        self._volatile = {p: tuple(re.compile(x) for x in source.get(p, ())) for p in Platform}
        # A device the inventory does not know yet: every platform's rules (all are anchored
        # and specific, so none mistakes another platform's real configuration line).
        self._volatile_any = tuple(dict.fromkeys(p for ps in self._volatile.values() for p in ps))

    # ------------------------------------------------------------------ writes

    def store(
        self,
        device_id: str,
        text: str,
        *,
        collected_at: datetime,
        changed_by: str | None = None,
        changed_at: datetime | None = None,
        platform: Platform | None = None,
    ) -> StoreOutcome:
        """Record a successful collection; store ``text`` as a new version only if it changed.

        ``text`` must already be scrubbed of secrets. ``platform`` picks the volatile lines to
        ignore; without it the device's platform in the inventory is used."""
        try:
            with self._sessions.begin() as session:
                volatile = self._volatile_for(session, device_id, platform)
                newest = session.scalars(
                    select(ConfigVersionRow)
                    .where(ConfigVersionRow.device_id == device_id)
                    .order_by(ConfigVersionRow.id.desc())
                    .limit(1)
                ).first()
                new_lines = normalised_lines(text, volatile)
                status = session.get(BackupStatusRow, device_id) or BackupStatusRow(
                    device_id=device_id
                )
                session.add(status)
                status.last_attempt_at = collected_at
                status.last_success_at = collected_at
                old_lines = normalised_lines(newest.text, volatile) if newest else []
                if newest is not None and old_lines == new_lines:
                    status.last_version_id = newest.id
                    return StoreOutcome(
                        device_id=device_id,
                        version_id=None,
                        current_version_id=newest.id,
                        changed=False,
                    )
                added, removed = count_changes(old_lines, new_lines)
                row = ConfigVersionRow(
                    device_id=device_id,
                    collected_at=collected_at,
                    sha256=digest(new_lines),
                    text=text,
                    lines=len(text.splitlines()),
                    lines_added=added,
                    lines_removed=removed,
                    changed_by=changed_by,
                    changed_at=changed_at,
                )
                session.add(row)
                session.flush()
                status.last_version_id = row.id
                status.last_changed_at = collected_at
                return StoreOutcome(
                    device_id=device_id,
                    version_id=row.id,
                    current_version_id=row.id,
                    changed=newest is not None,
                    baseline=newest is None,
                    lines_added=added,
                    lines_removed=removed,
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the configuration of {device_id}") from exc

    def record_failure(self, device_id: str, at: datetime, reason: str) -> None:
        """A failed backup attempt; the last success and the newest version stay as they were."""
        try:
            with self._sessions.begin() as session:
                status = session.get(BackupStatusRow, device_id) or BackupStatusRow(
                    device_id=device_id
                )
                session.add(status)
                status.last_attempt_at = at
                status.last_failure_at = at
                status.last_error = reason
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot record the backup failure of {device_id}") from exc

    def prune(self, keep_last: int) -> int:
        """Delete all but the newest ``keep_last`` versions of every device; returns how many."""
        if keep_last < 1:
            raise ValueError("keep_last must be at least 1: the newest version is the backup")
        deleted = 0
        try:
            with self._sessions.begin() as session:
                crowded = session.scalars(
                    select(ConfigVersionRow.device_id)
                    .group_by(ConfigVersionRow.device_id)
                    .having(func.count() > keep_last)
                ).all()
                for device_id in crowded:
                    old = session.scalars(
                        select(ConfigVersionRow.id)
                        .where(ConfigVersionRow.device_id == device_id)
                        .order_by(ConfigVersionRow.id.desc())
                        .offset(keep_last)
                    ).all()
                    session.execute(delete(ConfigVersionRow).where(ConfigVersionRow.id.in_(old)))
                    deleted += len(old)
        except SQLAlchemyError as exc:
            raise StoreError("state DB: cannot prune configuration versions") from exc
        return deleted

    # ------------------------------------------------------------------ reads

    def versions(self, device_id: str) -> list[ConfigVersionSummary]:
        """The device's versions, newest first (empty for a device never backed up)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ConfigVersionRow)
                .where(ConfigVersionRow.device_id == device_id)
                .order_by(ConfigVersionRow.id.desc())
            )
            return [_summary(row) for row in rows]

    def version(self, version_id: int) -> ConfigVersion:
        with self._sessions() as session:
            row = session.get(ConfigVersionRow, version_id)
            if row is None:
                raise NotFound(f"no configuration version {version_id}")
            return ConfigVersion(**_summary(row).model_dump(), text=row.text)

    def latest(self, device_id: str) -> ConfigVersion | None:
        """The device's newest version, or None if it has never been backed up."""
        with self._sessions() as session:
            newest = session.scalars(
                select(ConfigVersionRow.id)
                .where(ConfigVersionRow.device_id == device_id)
                .order_by(ConfigVersionRow.id.desc())
                .limit(1)
            ).first()
        return None if newest is None else self.version(newest)

    def diff(self, from_id: int, to_id: int, context: int = 3) -> ConfigDiff:
        """A unified diff from version ``from_id`` to ``to_id`` (either order) of one device."""
        before, after = self.version(from_id), self.version(to_id)
        if before.device_id != after.device_id:
            raise ConfigDiffRefused(
                f"versions {from_id} ({before.device_id}) and {to_id} ({after.device_id}) "
                "belong to different devices: a diff compares one device's versions"
            )
        lines: list[DiffLine] = []
        added = removed = 0
        raw = difflib.unified_diff(
            before.text.splitlines(), after.text.splitlines(), n=context, lineterm=""
        )
        for line in raw:
            if line.startswith(("---", "+++")) and not lines:
                continue  # the two file headers come first; ConfigDiff carries the ids instead
            if line.startswith("@@"):
                lines.append(DiffLine(kind="hunk", text=line))
            elif line.startswith("+"):
                lines.append(DiffLine(kind="added", text=line[1:]))
                added += 1
            elif line.startswith("-"):
                lines.append(DiffLine(kind="removed", text=line[1:]))
                removed += 1
            else:
                lines.append(DiffLine(kind="context", text=line[1:]))
        return ConfigDiff(
            device_id=before.device_id,
            from_id=from_id,
            to_id=to_id,
            from_collected_at=before.collected_at,
            to_collected_at=after.collected_at,
            lines=lines,
            lines_added=added,
            lines_removed=removed,
        )

    def backup_status(self, device_id: str) -> BackupStatusView:
        """The device's backup record (empty for an inventory device never tried)."""
        with self._sessions() as session:
            device = session.get(DeviceRow, device_id)
            status = session.get(BackupStatusRow, device_id)
        if device is None and status is None:
            raise NotFound(f"no device {device_id!r}")
        return _status_view(device_id, device, status)

    def backup_statuses(self) -> list[BackupStatusView]:
        """Every inventory device's backup record, by device id."""
        with self._sessions() as session:
            rows = session.execute(_devices_with_status().order_by(DeviceRow.id)).all()
        return [_status_view(d.id, d, s) for d, s in rows]

    def stale(
        self,
        now: datetime | None = None,
        older_than: timedelta = timedelta(hours=24),
        exclude: Iterable[Platform] = (Platform.LINUX,),
    ) -> list[BackupStatusView]:
        """Inventory devices whose last successful backup is older than ``older_than``, or that
        never had one (whether or not they were tried): never-backed-up first, then oldest.
        Linux hosts have no configuration to back up and are left out unless asked for."""
        cutoff = (now or self._clock.now()) - older_than
        skipped = [p.value for p in exclude]
        query = _devices_with_status().where(
            or_(BackupStatusRow.last_success_at.is_(None), BackupStatusRow.last_success_at < cutoff)
        )
        if skipped:
            query = query.where(DeviceRow.platform.not_in(skipped))
        with self._sessions() as session:
            rows = session.execute(query).all()
        views = [_status_view(d.id, d, s) for d, s in rows]
        return sorted(
            views,
            key=lambda v: (v.last_success_at is not None, v.last_success_at or cutoff, v.device_id),
        )

    # ------------------------------------------------------------------ helpers

    def _volatile_for(
        self, session: Session, device_id: str, platform: Platform | None
    ) -> tuple[re.Pattern[str], ...]:
        if platform is None:
            known = session.scalar(select(DeviceRow.platform).where(DeviceRow.id == device_id))
            if known is None or known not in {p.value for p in Platform}:
                return self._volatile_any
            platform = Platform(known)
        return self._volatile[platform]


def _devices_with_status() -> Select[DeviceRow, BackupStatusRow]:
    return select(DeviceRow, BackupStatusRow).join(
        BackupStatusRow, BackupStatusRow.device_id == DeviceRow.id, isouter=True
    )


def _summary(row: ConfigVersionRow) -> ConfigVersionSummary:
    return ConfigVersionSummary(
        id=row.id,
        device_id=row.device_id,
        collected_at=row.collected_at,
        sha256=row.sha256,
        lines=row.lines,
        lines_added=row.lines_added,
        lines_removed=row.lines_removed,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


def _status_view(
    device_id: str, device: DeviceRow | None, status: BackupStatusRow | None
) -> BackupStatusView:
    return BackupStatusView(
        device_id=device_id,
        device_name=device.name if device else None,
        platform=Platform(device.platform) if device else None,
        region=device.region_code if device else None,
        last_attempt_at=status.last_attempt_at if status else None,
        last_success_at=status.last_success_at if status else None,
        last_failure_at=status.last_failure_at if status else None,
        last_error=status.last_error if status else None,
        last_version_id=status.last_version_id if status else None,
        last_changed_at=status.last_changed_at if status else None,
    )
