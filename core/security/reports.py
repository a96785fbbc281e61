"""The security officer's reports, gathered from the stores: the account audit, the NOC access
review, and a snapshot to sign and compare. One place, used by the API and the CLI alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import Clock
from core.security.access_review import AccessReview, access_review, review_snapshot
from core.security.account_audit import AccountFinding, audit_accounts
from core.security.account_policy import DeviceInfo, load_account_policy
from core.security.users import UserDirectory
from core.state.accounts import AccountRepository
from core.state.repository import StateRepository

DEFAULT_UNUSED_AFTER_DAYS = 90


class SecurityReports:
    """Reads only: nothing here changes a store."""

    def __init__(
        self,
        state: StateRepository,
        accounts: AccountRepository,
        users: UserDirectory,
        clock: Clock,
    ) -> None:
        self._state = state
        self._accounts = accounts
        self._users = users
        self._clock = clock

    def owner_scopes(self) -> dict[str, frozenset[str]]:
        """Enabled NOC users → the scopes of their roles (a disabled user holds none)."""
        return {
            user.username: frozenset(g.scope_code for g in user.grants)
            for user in self._users.list_users()
            if not user.disabled
        }

    def account_findings(self, policy_path: Path) -> list[AccountFinding]:
        """Every collected account held against the approved-accounts policy."""
        policy = load_account_policy(policy_path)
        devices = {
            d.id: DeviceInfo(region_code=d.region, platform=d.platform, name=d.name)
            for d in self._state.devices()
        }
        return audit_accounts(
            self._accounts.search(), devices, policy, self.owner_scopes(), self._clock.now()
        )

    def access_review(self, unused_after_days: int = DEFAULT_UNUSED_AFTER_DAYS) -> AccessReview:
        return access_review(
            self._users.list_users(),
            self._users.list_api_tokens(),
            self._clock.now(),
            unused_after_days,
        )

    def snapshot(
        self, policy_path: Path, unused_after_days: int = DEFAULT_UNUSED_AFTER_DAYS
    ) -> dict[str, Any]:
        """The review and the findings as plain data, to sign now and compare later."""
        return review_snapshot(
            self.access_review(unused_after_days), self.account_findings(policy_path)
        )
