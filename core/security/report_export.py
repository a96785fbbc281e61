"""Security reports as files: account findings and the access review as CSV and JSON.

Writers stream to a text stream row by row (a province's findings never sit in memory twice);
readers give the findings back, so an export can be checked or compared later.

CSV has a header row. A value that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) — account names come from the devices, and an
attacker may choose one — is written with a leading ``'``, as OWASP advises; so is a value that
already starts with ``'``, so that reading strips exactly one and gives back what was written.
JSON is one array of objects, timestamps in ISO 8601.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from core.security.access_review import AccessReview, TokenReviewRow, UserReviewRow
from core.security.account_audit import AccountFinding, FindingKind, Severity

FINDING_COLUMNS = ("region_code", "device_id", "account", "kind", "severity", "privilege", "detail")
USER_COLUMNS = (
    "username",
    "display_name",
    "disabled",
    "grants",
    "last_login_at",
    "never_logged_in",
    "unused",
    "live_tokens",
    "flagged_tokens",
)
TOKEN_COLUMNS = (
    "user",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "age_days",
    "live",
    "never_used",
    "old",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


# ---------------------------------------------------------------------------------- findings


def finding_record(finding: AccountFinding) -> dict[str, Any]:
    """One finding as a flat JSON object."""
    return dict(finding.to_json())


def finding_from_record(record: dict[str, Any]) -> AccountFinding:
    """The finding :func:`finding_record` made (``ValueError``/``KeyError`` for anything else)."""
    privilege = record.get("privilege")
    return AccountFinding(
        kind=FindingKind(record["kind"]),
        device_id=str(record["device_id"]),
        region_code=str(record.get("region_code") or ""),
        account=str(record["account"]),
        privilege=str(privilege) if privilege not in (None, "") else None,
        detail=str(record.get("detail") or ""),
        severity=Severity(record["severity"]),
    )


def write_findings_csv(findings: Iterable[AccountFinding], out: TextIO) -> int:
    """Findings as CSV with a header row; returns how many rows were written."""
    return _write_csv(out, FINDING_COLUMNS, (finding_record(f) for f in findings))


def read_findings_csv(source: TextIO) -> list[AccountFinding]:
    return [finding_from_record(row) for row in _read_csv(source)]


def write_findings_json(findings: Iterable[AccountFinding], out: TextIO) -> int:
    """Findings as one JSON array, written as they come; returns how many."""
    return _write_json_array(out, (finding_record(f) for f in findings))


def read_findings_json(source: TextIO) -> list[AccountFinding]:
    document = json.load(source)
    if not isinstance(document, list):
        raise ValueError("a findings export is a JSON array")
    return [finding_from_record(item) for item in document]


# ---------------------------------------------------------------------------------- access review


def user_record(row: UserReviewRow) -> dict[str, Any]:
    """One user's review row as a flat object (grants joined by spaces in CSV)."""
    return {
        "username": row.username,
        "display_name": row.display_name,
        "disabled": row.disabled,
        "grants": list(row.grants),
        "last_login_at": _iso(row.last_login_at),
        "never_logged_in": row.never_logged_in,
        "unused": row.unused,
        "live_tokens": row.live_tokens,
        "flagged_tokens": sum(1 for t in row.tokens if t.flagged),
    }


def token_record(token: TokenReviewRow) -> dict[str, Any]:
    return {
        "user": token.user,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "last_used_at": _iso(token.last_used_at),
        "revoked_at": _iso(token.revoked_at),
        "age_days": token.age_days,
        "live": token.live,
        "never_used": token.never_used,
        "old": token.old,
    }


def write_review_csv(review: AccessReview, out: TextIO) -> int:
    """One CSV row per user; returns how many."""
    rows = ({**user_record(u), "grants": " ".join(u.grants)} for u in review.users)
    return _write_csv(out, USER_COLUMNS, rows)


def write_tokens_csv(tokens: Iterable[TokenReviewRow], out: TextIO) -> int:
    """One CSV row per token (the review's flagged tokens, or a user's); returns how many."""
    return _write_csv(out, TOKEN_COLUMNS, (token_record(t) for t in tokens))


def write_review_json(review: AccessReview, out: TextIO) -> None:
    """The whole review as one JSON object: users with their tokens, the holders, flagged tokens."""
    document = {
        "at": review.at.isoformat(),
        "unused_after_days": review.unused_after_days,
        "users": [
            {**user_record(u), "tokens": [token_record(t) for t in u.tokens]} for u in review.users
        ],
        "can_approve_runbooks": [
            {"username": h.username, "scopes": list(h.scopes)} for h in review.can_approve_runbooks
        ],
        "can_manage_users": [
            {"username": h.username, "scopes": list(h.scopes)} for h in review.can_manage_users
        ],
        "flagged_tokens": [token_record(t) for t in review.flagged_tokens],
    }
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


# ---------------------------------------------------------------------------------- formats


def _write_csv(out: TextIO, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
        count += 1
    return count


def _read_csv(source: TextIO) -> Iterator[dict[str, Any]]:
    for row in csv.DictReader(source):
        yield {name: _uncell(value or "") for name, value in row.items() if name is not None}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def _write_json_array(out: TextIO, items: Iterable[dict[str, Any]]) -> int:
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n " if count else "\n ")
        json.dump(item, out, ensure_ascii=False)
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None
