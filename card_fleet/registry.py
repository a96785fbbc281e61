"""The terminal registry in the state DB (tables of migration 0008, SQLite or PostgreSQL).

Each call is one short transaction that writes the change and its ``terminal_events`` row
together; SQLAlchemy's errors become :class:`~core.errors.StoreError` naming the step. A change
is written as "update this row if it is still as I read it", so two people (or processes)
changing one terminal at once cannot overwrite each other: the later one is refused. After each
commit this process's :class:`~card_fleet.credentials.CredentialIndex` is brought up to date.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from card_fleet import terminal_rows as rows
from card_fleet.credentials import CredentialIndex, issue_credential
from card_fleet.csv_import import (
    ImportResult,
    TerminalDraft,
    check_fields,
    parse_terminal_csv,
)
from card_fleet.errors import FleetError, PsamAlreadyBound, TransitionRefused
from card_fleet.model import Terminal, TerminalKind, TerminalState, can_move
from card_fleet.terminal_rows import TERMINALS, TerminalEvent, TerminalEventKind, Values

__all__ = ["SqlTerminalRegistry", "TerminalEvent", "TerminalEventKind"]

_S = TerminalState
_PSAM_NUMBER = re.compile(r"\d{12}")
_MOVE_KINDS = {
    _S.SUSPENDED: TerminalEventKind.SUSPENDED,
    _S.ACTIVE: TerminalEventKind.RESUMED,
    _S.LOST: TerminalEventKind.LOST,
    _S.RETIRED: TerminalEventKind.RETIRED,
}
"""What :meth:`SqlTerminalRegistry.move` may do, and the event each move writes."""
_ELSEWHERE = {
    (_S.REGISTERED, _S.PROVISIONED): "a terminal is provisioned by binding its PSAM",
    (_S.PROVISIONED, _S.ACTIVE): "a provisioned terminal becomes active on its first heartbeat",
}
"""Allowed transitions that :meth:`SqlTerminalRegistry.move` leaves to their own calls."""


class SqlTerminalRegistry:
    """Terminals, their life states, PSAM bindings and credentials, in the state DB.

    ``regions`` maps every known county code to its city's code; a terminal's county must be
    one of them. Every change takes ``by`` (who) and writes a terminal event with it.
    """

    def __init__(self, engine: Engine, regions: Mapping[str, str]) -> None:
        self._db = rows.RegistryTransactions(engine)
        self._cities = dict(regions)
        self._index: CredentialIndex | None = None
        # Held across "commit, then update the index", so the index follows the commits' order.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ registering

    def register(
        self,
        *,
        serial: str,
        model: str,
        kind: TerminalKind,
        site: str,
        county: str,
        by: str,
        now: datetime,
        terminal_id: str | None = None,
        firmware_version: str | None = None,
        parameter_version: str | None = None,
    ) -> Terminal:
        """Register one terminal (id ``T<county>-<seq>`` unless given). A bad field, an unknown
        county, or a serial or id already in use is refused with a :class:`FleetError`."""
        fields = {
            "serial": serial,
            "model": model,
            "kind": str(kind),
            "site": site,
            "county": county,
            "id": terminal_id,
            "firmware_version": firmware_version,
            "parameter_version": parameter_version,
        }
        draft, errors = check_fields(fields, line=0, known_counties=self._cities)
        if draft is None:
            raise FleetError("; ".join(f"{error.column}: {error.reason}" for error in errors))

        def work(session: Session) -> Terminal:
            good, conflicts = rows.without_conflicts(session, [draft])
            if conflicts:
                raise FleetError(f"{conflicts[0].column}: {conflicts[0].reason}")
            (added,) = rows.insert_drafts(session, good, self._cities, by=by, now=now, reason="")
            return added

        return self._db.run(
            f"registering terminal {terminal_id or serial}",
            work,
            lambda: self._registration_refusal([draft]),
        )

    def import_csv(self, text: str | bytes, *, by: str, now: datetime) -> ImportResult:
        """Register the good rows of a CSV file, in one transaction; the others come back as
        per-row errors. :class:`~card_fleet.errors.ImportRefused` when it cannot be read."""
        parsed = parse_terminal_csv(text, known_counties=self._cities)

        def work(session: Session) -> ImportResult:
            good, conflicts = rows.without_conflicts(session, parsed.drafts)
            added = rows.insert_drafts(
                session, good, self._cities, by=by, now=now, reason="CSV import"
            )
            errors = sorted((*parsed.errors, *conflicts), key=lambda error: error.line)
            return ImportResult(tuple(added), tuple(errors))

        return self._db.run(
            f"importing {len(parsed.drafts)} terminals",
            work,
            lambda: self._registration_refusal(parsed.drafts),
        )

    # ------------------------------------------------------------------ reading

    def get(self, terminal_id: str) -> Terminal:
        """The terminal; :class:`~core.errors.NotFound` when there is none."""
        return self._db.run(
            f"reading terminal {terminal_id}",
            lambda session: rows.terminal(rows.current(session, terminal_id)),
        )

    def list(
        self, *, counties: Collection[str] | None = None, state: TerminalState | None = None
    ) -> builtins.list[Terminal]:
        """Terminals (of these counties, in this state), ordered by id."""
        query = select(TERMINALS).order_by(TERMINALS.c.id)
        if counties is not None:
            query = query.where(TERMINALS.c.county.in_(sorted(set(counties))))
        if state is not None:
            query = query.where(TERMINALS.c.state == TerminalState(state).value)
        return self._db.run(
            "listing terminals",
            lambda session: [rows.terminal(row) for row in session.execute(query).mappings()],
        )

    def placements(self) -> builtins.list[tuple[str, str, str, TerminalState]]:
        """(id, county, city, state) of every terminal, by id: what fleet health needs, read
        as four plain columns (a fifth of the cost of :meth:`list` for 20,000 terminals)."""
        columns = TERMINALS.c
        query = select(columns.id, columns.county, columns.city, columns.state).order_by(columns.id)
        return self._db.run(
            "listing terminal placements",
            lambda session: [
                (row.id, row.county, row.city, TerminalState(row.state))
                for row in session.execute(query)
            ],
        )

    def find_by_psam(self, psam_terminal_number: str) -> Terminal | None:
        """The terminal still holding this PSAM's binding, if any."""
        query = select(TERMINALS).where(TERMINALS.c.psam_terminal_number == psam_terminal_number)

        def work(session: Session) -> Terminal | None:
            found = session.execute(query).mappings().one_or_none()
            return None if found is None else rows.terminal(found)

        return self._db.run(f"finding the terminal of PSAM {psam_terminal_number}", work)

    def history(self, terminal_id: str) -> builtins.list[TerminalEvent]:
        """Every change to the terminal, oldest first; NotFound for an unknown terminal."""
        events = rows.EVENTS
        query = select(events).where(events.c.terminal_id == terminal_id).order_by(events.c.id)

        def work(session: Session) -> builtins.list[TerminalEvent]:
            rows.current(session, terminal_id)
            return [rows.event(row) for row in session.execute(query).mappings()]

        return self._db.run(f"reading the history of terminal {terminal_id}", work)

    # ------------------------------------------------------------------ provisioning, credentials

    def bind_and_issue(
        self, terminal_id: str, psam_terminal_number: str, *, by: str, now: datetime
    ) -> str:
        """Bind the PSAM, move registered → provisioned and issue the credential, in one
        transaction. The plaintext token is returned this once and stored nowhere."""
        number = psam_terminal_number.strip()
        if not _PSAM_NUMBER.fullmatch(number):
            raise FleetError(f"PSAM terminal number '{number}' is not 12 decimal digits")
        credential = issue_credential(terminal_id)

        def work(session: Session) -> Values:
            current = rows.current(session, terminal_id)
            if current["state"] != _S.REGISTERED:
                raise TransitionRefused(
                    f"terminal {terminal_id} is {current['state']}: only a registered terminal "
                    f"can become {_S.PROVISIONED}"
                )
            holder = session.scalar(
                select(TERMINALS.c.id).where(TERMINALS.c.psam_terminal_number == number)
            )
            if holder is not None:
                raise PsamAlreadyBound(number, holder)
            changes = {
                "state": _S.PROVISIONED.value,
                "psam_terminal_number": number,
                "credential_hash": credential.secret_hash,
                "credential_issued_at": now,
            }
            return rows.change(
                session,
                current,
                changes,
                TerminalEventKind.PROVISIONED,
                by,
                now,
                detail=f"PSAM {number} bound; credential issued",
            )

        self._changing(
            f"binding PSAM {number} to terminal {terminal_id}",
            work,
            lambda: self._psam_refusal(number, terminal_id),
        )
        return credential.token

    def reissue_credential(self, terminal_id: str, *, by: str, now: datetime) -> str:
        """A new credential for a terminal that holds one (provisioned, active or suspended);
        the old one stops working at once. The plaintext token is returned this once."""
        credential = issue_credential(terminal_id)

        def work(session: Session) -> Values:
            current = rows.current(session, terminal_id)
            if current["credential_hash"] is None:
                raise FleetError(
                    f"terminal {terminal_id} is {current['state']} and holds no credential "
                    "to replace (the first one is issued by provisioning)"
                )
            changes = {"credential_hash": credential.secret_hash, "credential_issued_at": now}
            return rows.change(
                session,
                current,
                changes,
                TerminalEventKind.CREDENTIAL_REISSUED,
                by,
                now,
                detail="old credential revoked, new one issued",
            )

        self._changing(f"reissuing the credential of terminal {terminal_id}", work)
        return credential.token

    def credentials(self) -> CredentialIndex:
        """This process's credential index, loaded from the state DB on first use and kept
        current by this registry's own writes."""
        with self._lock:
            return self._index if self._index is not None else self.reload_credentials()

    def reload_credentials(self) -> CredentialIndex:
        """Reload the index from the state DB, to see what other processes changed."""
        with self._lock:
            entries = self._db.run("loading credentials", rows.credential_entries)
            if self._index is None:
                self._index = CredentialIndex(entries)
            else:
                self._index.replace_all(entries)
            return self._index

    # ------------------------------------------------------------------ life states

    def move(
        self, terminal_id: str, to: TerminalState, *, by: str, reason: str, now: datetime
    ) -> Terminal:
        """Suspend, resume, mark lost or retire, as ``model.ALLOWED_TRANSITIONS`` allows.

        Lost revokes the credential at once and keeps the PSAM binding; retired revokes the
        credential and releases the binding. Anything else is :class:`TransitionRefused`."""
        to = TerminalState(to)

        def work(session: Session) -> Values:
            current = rows.current(session, terminal_id)
            before = TerminalState(current["state"])
            elsewhere = _ELSEWHERE.get((before, to))
            if elsewhere is not None or not can_move(before, to):
                refusal = f"terminal {terminal_id} is {before}: it cannot become {to}"
                raise TransitionRefused(f"{refusal} ({elsewhere})" if elsewhere else refusal)
            changes: dict[str, Any] = {"state": to.value}
            details = []
            if to in (_S.LOST, _S.RETIRED) and current["credential_hash"] is not None:
                changes["credential_hash"] = None
                details.append("credential revoked")
            if to is _S.RETIRED and current["psam_terminal_number"] is not None:
                changes["psam_terminal_number"] = None
                details.append(f"PSAM {current['psam_terminal_number']} released")
            return rows.change(
                session,
                current,
                changes,
                _MOVE_KINDS[to],
                by,
                now,
                reason=reason,
                detail="; ".join(details) or None,
            )

        return self._changing(f"moving terminal {terminal_id} to {to}", work)

    def release_psam(self, terminal_id: str, *, by: str, reason: str, now: datetime) -> Terminal:
        """Release a lost terminal's PSAM binding, so the PSAM may be bound again (the API
        allows this to a security officer only; the registry records who)."""

        def work(session: Session) -> Values:
            current = rows.current(session, terminal_id)
            number = current["psam_terminal_number"]
            if number is None:
                raise FleetError(f"terminal {terminal_id} holds no PSAM binding")
            if current["state"] != _S.LOST:
                raise FleetError(
                    f"terminal {terminal_id} is {current['state']}: only a lost terminal's PSAM "
                    "is released on its own (retiring a terminal releases its PSAM)"
                )
            return rows.change(
                session,
                current,
                {"psam_terminal_number": None},
                TerminalEventKind.PSAM_RELEASED,
                by,
                now,
                reason=reason,
                detail=f"PSAM {number} released",
            )

        return self._changing(f"releasing the PSAM of terminal {terminal_id}", work)

    def activate_on_first_heartbeat(self, terminal_id: str, now: datetime) -> Terminal | None:
        """Provisioned → active on the terminal's first heartbeat; None when already active.

        Call it only when the index says ``provisioned``: an active fleet's heartbeats then
        never touch the database for this."""

        def work(session: Session) -> Values | None:
            current = rows.current(session, terminal_id)
            if current["state"] == _S.ACTIVE:
                return None
            if current["state"] != _S.PROVISIONED:
                raise TransitionRefused(
                    f"terminal {terminal_id} is {current['state']}: it cannot become {_S.ACTIVE}"
                )
            return rows.change(
                session,
                current,
                {"state": _S.ACTIVE.value},
                TerminalEventKind.ACTIVATED,
                f"terminal {terminal_id}",
                now,
                detail="first heartbeat",
            )

        with self._lock:
            row = self._db.run(f"activating terminal {terminal_id}", work)
            if row is None:
                return None
            self._remember(row)
        return rows.terminal(row)

    def record_versions(self, changes: Mapping[str, tuple[str, str]], now: datetime) -> None:
        """Keep the firmware and parameter versions heartbeats reported (terminal id →
        (firmware, parameters)), in one transaction, with an event where a version changed.
        Unknown terminals are left out; versions too long to store are skipped and logged."""
        if changes:
            self._db.run(
                f"recording the versions of {len(changes)} terminals",
                lambda session: rows.record_version_changes(session, changes, now),
            )

    # ------------------------------------------------------------------ internals

    def _changing(
        self,
        what: str,
        work: Callable[[Session], Values],
        on_conflict: Callable[[], FleetError | None] | None = None,
    ) -> Terminal:
        """Run a change of state or credential, then bring this process's index up to date."""
        with self._lock:
            row = self._db.run(what, work, on_conflict)
            self._remember(row)
        return rows.terminal(row)

    def _remember(self, row: Values) -> None:
        if self._index is not None:
            self._index.remember(rows.identity(row), row["credential_hash"])

    def _registration_refusal(self, drafts: Sequence[TerminalDraft]) -> FleetError | None:
        return self._db.run(
            "checking for conflicts", lambda session: rows.conflict_refusal(session, drafts)
        )

    def _psam_refusal(self, number: str, terminal_id: str) -> FleetError | None:
        holder = self.find_by_psam(number)
        if holder is None or holder.id == terminal_id:
            return None
        return PsamAlreadyBound(number, holder.id)
