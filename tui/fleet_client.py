"""The console's calls to the card-terminal fleet's routes: terminals and their history, their
life changes, provisioning, fleet health, and rollouts.

Kept apart from :class:`tui.client.NocApiClient` so that neither module outgrows a reader.
:class:`FleetCalls` rides on the client's own transport — the same ``httpx`` client, the same
login session and its renewal, the same errors — so a screen makes one with ``FleetCalls(client)``
and it costs nothing. Answers are parsed into :mod:`tui.fleet_models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from tui.api_transport import ApiError, ApiTransport, path_segment
from tui.fleet_models import (
    CredentialInfo,
    FleetHealthInfo,
    ProvisionedInfo,
    RolloutChangeInfo,
    RolloutInfo,
    TerminalEventInfo,
    TerminalInfo,
)

_TERMINAL = TypeAdapter(TerminalInfo)
_TERMINALS = TypeAdapter(list[TerminalInfo])
_ROLLOUT = TypeAdapter(RolloutInfo)
# The ones the screens ask for on every refresh are built once.
_HISTORY = TypeAdapter(list[TerminalEventInfo])
_FLEET_HEALTH = TypeAdapter(FleetHealthInfo)
_ROLLOUTS = TypeAdapter(list[RolloutInfo])


class TerminalMove(StrEnum):
    """A life change a person makes, named as its route is (``POST /terminals/{id}/<move>``)."""

    SUSPEND = "suspend"
    RESUME = "resume"
    LOST = "lost"
    RETIRE = "retire"


class RolloutMove(StrEnum):
    """A rollout's changes, named as their routes are (``POST /rollouts/{id}/<move>``)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class RolloutDraft:
    """What ``n`` on the rollouts screen asks for: ``POST /rollouts``."""

    component: str
    target_version: str
    previous_version: str | None = None
    regions: tuple[str, ...] = ()
    pilot_size: int = 0
    pilot_terminal_ids: tuple[str, ...] = ()
    waves: tuple[float, ...] = (10.0, 50.0, 100.0)
    """Cumulative percentages."""
    gate: Mapping[str, float] = field(default_factory=dict)
    """Gate criteria to change from the server's defaults (``soak_s``, ``min_back_pct`` …)."""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "component": self.component,
            "target_version": self.target_version,
            "previous_version": self.previous_version,
            "regions": list(self.regions),
            "waves": list(self.waves),
        }
        if self.pilot_terminal_ids:
            body["pilot_terminal_ids"] = list(self.pilot_terminal_ids)
        else:
            body["pilot_size"] = self.pilot_size
        if self.gate:
            body["gate"] = dict(self.gate)
        return body


class FleetCalls:
    """Typed calls to ``/terminals``, ``/fleet`` and ``/rollouts`` over ``api`` (the console's
    :class:`~tui.client.NocApiClient`, whose session signs them)."""

    def __init__(self, api: ApiTransport) -> None:
        self._api = api

    # ------------------------------------------------------------------ terminals

    async def terminals(
        self,
        *,
        county: str | None = None,
        city: str | None = None,
        state: str | None = None,
        kind: str | None = None,
        text: str | None = None,
    ) -> list[TerminalInfo]:
        """Terminals in the caller's regions, narrowed by each criterion given."""
        params = {"county": county, "city": city, "state": state, "kind": kind, "q": text}
        return await self._api._get("/terminals", _TERMINALS, params)

    async def terminal(self, terminal_id: str) -> TerminalInfo:
        return await self._api._get(f"/terminals/{path_segment(terminal_id)}", _TERMINAL)

    async def terminal_history(self, terminal_id: str) -> list[TerminalEventInfo]:
        """Every change to the terminal, oldest first."""
        path = f"/terminals/{path_segment(terminal_id)}/history"
        return await self._api._get(path, _HISTORY)

    async def terminal_by_psam(self, psam_terminal_number: str) -> TerminalInfo | None:
        """The terminal bound to that PSAM terminal number, or None when none is."""
        path = f"/terminals/by-psam/{path_segment(psam_terminal_number)}"
        try:
            return await self._api._get(path, _TERMINAL)
        except ApiError as exc:
            if exc.not_found:  # only a 404 means "free"; any other failure is the caller's
                return None
            raise

    async def provision_terminal(
        self, terminal_id: str, psam_terminal_number: str, acceptance: Mapping[str, object]
    ) -> ProvisionedInfo:
        """Bind the PSAM, move the terminal to provisioned and issue its credential (in the
        answer, once). ``acceptance``: what the acceptance test found, without holder data."""
        body = {"psam_terminal_number": psam_terminal_number, "acceptance": dict(acceptance)}
        path = f"/terminals/{path_segment(terminal_id)}/provision"
        return await self._api._request("POST", path, TypeAdapter(ProvisionedInfo), json=body)

    async def reissue_credential(self, terminal_id: str) -> CredentialInfo:
        path = f"/terminals/{path_segment(terminal_id)}/credential"
        return await self._api._request("POST", path, TypeAdapter(CredentialInfo))

    async def move_terminal(
        self, terminal_id: str, move: TerminalMove, reason: str
    ) -> TerminalInfo:
        """Suspend, resume, mark lost or retire the terminal, saying why."""
        path = f"/terminals/{path_segment(terminal_id)}/{move.value}"
        return await self._api._request("POST", path, _TERMINAL, json={"reason": reason})

    async def release_psam(self, terminal_id: str, reason: str) -> TerminalInfo:
        """Free the PSAM of a lost terminal (security officers only)."""
        path = f"/terminals/{path_segment(terminal_id)}/release-psam"
        return await self._api._request("POST", path, _TERMINAL, json={"reason": reason})

    # ------------------------------------------------------------------ fleet health

    async def fleet_health(self, region: str | None = None, fresh: bool = False) -> FleetHealthInfo:
        """Every county, city and province in the caller's scope (at or below ``region``)."""
        params = {"region": region, "fresh": "true" if fresh else None}
        return await self._api._get("/fleet/health", _FLEET_HEALTH, params)

    # ------------------------------------------------------------------ rollouts

    async def rollouts(self) -> list[RolloutInfo]:
        return await self._api._get("/rollouts", _ROLLOUTS)

    async def rollout(self, rollout_id: str) -> RolloutInfo:
        return await self._api._get(f"/rollouts/{path_segment(rollout_id)}", _ROLLOUT)

    async def rollout_history(self, rollout_id: str) -> list[RolloutChangeInfo]:
        path = f"/rollouts/{path_segment(rollout_id)}/history"
        return await self._api._get(path, TypeAdapter(list[RolloutChangeInfo]))

    async def create_rollout(self, draft: RolloutDraft) -> RolloutInfo:
        """A new rollout, in draft: ``start`` sets it going."""
        return await self._api._request("POST", "/rollouts", _ROLLOUT, json=draft.body())

    async def move_rollout(
        self, rollout_id: str, move: RolloutMove, reason: str = ""
    ) -> RolloutInfo:
        """Start, pause, resume or roll back the rollout; the API wants a reason for all but
        start."""
        path = f"/rollouts/{path_segment(rollout_id)}/{move.value}"
        body = {"reason": reason or None} if move is RolloutMove.START else {"reason": reason}
        return await self._api._request("POST", path, _ROLLOUT, json=body)
