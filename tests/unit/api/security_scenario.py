"""The API with real users, a real audit trail and real reports over the small scenario.

Used by the permission matrix and the user, audit and report route tests: the user directory
(argon2 with cheap parameters), the hash-chained trail and the review store all write to the same
tmp SQLite state DB as the inventory and the SSH stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.deps import ApiServices
from api.security_services import SecurityServices
from core.clock import FakeClock
from core.events import EventBus
from core.inventory import load_inventory
from core.metrics.sqlite_store import SqliteMetricStore
from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.passwords import cheap_hasher
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory
from core.settings import AuthSettings
from tests.unit.api.scenario import DATA, NOW, fill_metrics, open_state, open_stores
from tests.unit.api.ssh_scenario import fill_ssh_state
from topology.monitor import TopologyMonitor

VICTIM_PASSWORD = "Quiet-Harbour-42!"
POLICY = Path(__file__).parent.parent.parent / "data" / "account_policy_small.yaml"


@dataclass
class SecurityWorld:
    services: ApiServices
    users: UserDirectory
    trail: AuditTrail
    clock: FakeClock
    region_of: dict[str, str]
    victim_token_id: int


@contextmanager
def open_world(tmp_path: Path, *, logins_per_minute: int = 10_000) -> Iterator[SecurityWorld]:
    """Everything real but the clock; a user ``victim`` (viewer and on-call of Liwan) with an API
    token, for
    routes that act on another user."""
    engine, state = open_state(tmp_path)
    stores = fill_ssh_state(open_stores(engine))
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(metrics)
    clock = FakeClock(NOW)
    users = UserDirectory(engine, clock, AuthSettings(), hasher=cheap_hasher(), cache_ttl_s=0)
    trail = AuditTrail(engine, clock)
    users.create_user(
        "victim",
        VICTIM_PASSWORD,
        # Two grants: the matrix revokes the first, and the user must stay in Liwan's scope.
        grants=(Grant(Role.VIEWER, "440103"), Grant(Role.ONCALL, "440103")),
        created_by="test",
    )
    _, token = users.create_api_token("victim", "scripts", days=30, by="test")
    services = ApiServices(
        state=state,
        metrics=metrics,
        clock=clock,
        version="9.9.9-test",
        configs=stores.configs,
        accounts=stores.accounts,
        ssh_facts=stores.ssh_facts,
        host_keys=stores.host_keys,
        auth=users,
        audit=trail,
        security=SecurityServices(
            users=users,
            trail=trail,
            login_limiter=LoginRateLimiter(clock, logins_per_minute),
            reviews=AccessReviewStore(engine, clock),
            account_policy_path=POLICY if POLICY.exists() else None,
        ),
        # The small inventory's topology, over the same state DB (its polls put Liwan down).
        topology=TopologyMonitor(
            load_inventory(DATA / "small_inventory.yaml"), engine, state, clock, EventBus()
        ),
    )
    try:
        yield SecurityWorld(
            services=services,
            users=users,
            trail=trail,
            clock=clock,
            region_of=state.device_regions(),
            victim_token_id=token.id,
        )
    finally:
        metrics.close()
        engine.dispose()
