"""The console's copies of what the API answers about alerts, silences, maintenance windows,
on-call schedules, escalations and the notification log.

The console reads the API's JSON, not the alerts package (as every other screen does): these
mirror the contract's shapes. Like :mod:`tui.topology_models` they ignore fields they do not
know, so a newer server does not break an older console; transition kinds stay text for the
same reason. What the API does not say — whether a silence or an open maintenance window mutes an
alert — is worked out here from the silences' matchers, read in the one form the API writes them
(``{name="value", name=~"regex"}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Severity(StrEnum):
    """How bad a fault is, worst first."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """5 for critical down to 1 for info: larger is worse."""
        return len(Severity) - list(Severity).index(self)


class AlertStatus(StrEnum):
    PENDING = "pending"
    """The condition holds, not yet for the rule's ``for``: nobody is told."""
    FIRING = "firing"
    RESOLVED = "resolved"


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


# --- alerts ----------------------------------------------------------------------------------


class Acknowledgement(_Answer):
    """Someone took the alert: who, when, what they said, until when (None: until resolved)."""

    by: str
    at: datetime
    note: str = ""
    expires_at: datetime | None = None


class AlertInfo(_Answer):
    """``GET /alerts``: one alert. ``caused_by`` names the root cause it is folded under;
    ``consequences`` the alerts folded under it."""

    fingerprint: str
    rule: str
    severity: Severity
    status: AlertStatus
    region: str | None = None
    """Its region code; None: province-wide."""
    summary: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    value: float | None = None
    pending_since: datetime | None = None
    starts_at: datetime | None = None
    """When it (last) started firing."""
    ends_at: datetime | None = None
    last_transition: str = ""
    last_transition_at: datetime | None = None
    acknowledgement: Acknowledgement | None = None
    flapping: bool = False
    caused_by: str | None = None
    consequences: list[str] = Field(default_factory=list)
    times_fired: int = 0
    muted_by: list[str] = Field(default_factory=list)
    """What mutes it now (``silence <id>``, ``maintenance <id>``), as the server's dispatcher
    sees it."""

    @property
    def device(self) -> str | None:
        return self.labels.get("device")

    @property
    def since(self) -> datetime | None:
        """Since when it is in its status: firing since, pending since, resolved at."""
        if self.status is AlertStatus.FIRING:
            return self.starts_at
        if self.status is AlertStatus.PENDING:
            return self.pending_since
        return self.ends_at


class Transition(_Answer):
    """One entry of an alert's history: what changed, who did it (a user, or ``system``), why."""

    at: datetime
    kind: str
    before: AlertStatus | None = None
    after: AlertStatus | None = None
    by: str = "system"
    reason: str = ""
    note: str | None = None


class AlertDetail(AlertInfo):
    """``GET /alerts/{fingerprint}``: the alert with its whole history, oldest first."""

    history: list[Transition] = Field(default_factory=list)


# --- silences and maintenance ----------------------------------------------------------------


class SilenceInfo(_Answer):
    id: str
    matchers: str
    """As Alertmanager writes them: ``{region="440103", alertname="site-isolated"}``."""
    region: str | None = None
    """Where its matchers pin it; None: province-wide."""
    state: SilenceState
    starts_at: datetime
    ends_at: datetime | None = None
    """None: until its alerts resolve."""
    until_resolved: bool = False
    created_by: str = ""
    comment: str = ""
    end_reason: str | None = None
    manageable: bool = False
    """Whether the caller may expire it."""


class Opening(_Answer):
    starts_at: datetime
    ends_at: datetime


class MaintenanceInfo(_Answer):
    id: str
    kind: str
    """``one_off`` or ``recurring``."""
    regions: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    recurrence: str | None = None
    """Recurring windows: ``weekly Sun 02:00-04:00 Asia/Shanghai``."""
    until: datetime | None = None
    pause_collection: bool = False
    created_by: str = ""
    comment: str = ""
    open_now: bool = False
    next_opening: Opening | None = None
    manageable: bool = False


# --- on call, escalations, notifications -----------------------------------------------------


class Rotation(_Answer):
    users: list[str] = Field(default_factory=list)
    period: str = ""
    timezone: str = ""


class Override(_Answer):
    user: str
    starts_at: datetime
    ends_at: datetime


class ScheduleInfo(_Answer):
    """``GET /oncall``: one schedule with who is on call at ``at``."""

    name: str
    team: str = ""
    region: str
    on_call: str | None = None
    at: datetime
    rotation: Rotation = Field(default_factory=Rotation)
    overrides: list[Override] = Field(default_factory=list)
    manageable: bool = False


class PageInfo(_Answer):
    due_at: datetime
    user: str | None = None
    step: int
    round: int = 1
    target: str = ""
    problem: str | None = None


class EscalationInfo(_Answer):
    group_key: str
    policy: str
    started_at: datetime
    acknowledged: bool = False
    next_step: int | None = None
    next_page_at: datetime | None = None
    fingerprints: list[str] = Field(default_factory=list)
    pages: list[PageInfo] = Field(default_factory=list)


class DeliveryInfo(_Answer):
    id: str
    channel: str
    receiver: str = ""
    group_key: str = ""
    reason: str = ""
    status: str = ""
    headline: str = ""
    fingerprints: list[str] = Field(default_factory=list)
    state: str
    attempts: int = 0
    created_at: datetime
    updated_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None


# --- matchers --------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


@dataclass(frozen=True)
class Matcher:
    """``name op "value"`` with Alertmanager's meaning: a missing label reads as ``""`` and a
    regular expression must match the whole value."""

    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (actual == self.value) == (self.op == "=")
        try:
            found = re.fullmatch(f"(?:{self.value})", actual) is not None
        except re.error:
            return False  # the server accepted it, so this console's re dialect differs
        return found == (self.op == "=~")

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """The matchers of ``{a="b", c=~"d.*"}`` as the API writes them (quoted values); empty
    when the text is in another form."""
    body = text.strip().removeprefix("{").removesuffix("}")
    found: list[Matcher] = []
    position = 0
    while position < len(body):
        match = _MATCHER.match(body, position)
        if match is None:
            return ()
        name, op, raw = match.groups()
        value = re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), raw)
        found.append(Matcher(name, op, value))
        position = match.end()
    return tuple(found)


def format_matchers(labels: Mapping[str, str], names: Sequence[str]) -> str:
    """``{alertname="…", region="…"}``: equality matchers on the ``names`` ``labels`` carry."""
    return "{" + ", ".join(str(Matcher(n, "=", labels[n])) for n in names if n in labels) + "}"


IDENTIFYING_LABELS = (
    "alertname",
    "region",
    "device",
    "if_name",
    "link",
    "site",
    "mount",
    "unit",
    "service",
)
"""Labels that say which fault an alert is (and where): a silence's first draft matches them.
The region pins the silence in the caller's scope, as a scoped user's silence must be."""


def silence_draft(alert: AlertInfo) -> str:
    """Matchers for a silence of just this alert (and of the same fault when it comes back)."""
    names = list(IDENTIFYING_LABELS)
    if "device" not in alert.labels:
        names.append("source_address")  # a trap from a device the inventory lacks
    return format_matchers(alert.labels, names)
