"""Logging in, tokens and refusals, against the real user directory and audit trail.

Every route but the public ones answers 401 without a good token (generated from the route
table); tokens expire on the fake clock; logins lock out and are rate limited; every login, and
every refused state-changing request, is in the audit trail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from core.security.permissions import Role
from core.security.principal import Grant
from core.settings import AuthSettings
from tests.unit.api.security_scenario import SecurityWorld, open_world
from tests.unit.api.test_permission_matrix import api_routes, declared

PASSWORD = "Sturdy-Lantern-77"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path, logins_per_minute=5) as opened:
        opened.users.create_user(
            "li.na", PASSWORD, grants=(Grant(Role.NETWORK_ENGINEER, "440100"),), created_by="t"
        )
        yield opened


@pytest.fixture
async def http(world: SecurityWorld) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(world.services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def login(http: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": "li.na", "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_guarded_route_is_401_without_a_token(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    app = create_app(world.services)
    asked = 0
    for route in api_routes(app):
        what = declared(route)
        assert what is not None
        if what.kind == "public":
            continue
        path = route.path.replace("{device_id}", "gz-core1").replace("{version_id}", "3")
        for part, value in (("{code}", "440100"), ("{username}", "victim"), ("{token_id}", "1")):
            path = path.replace(part, value)
        path = path.replace("{role}", "viewer").replace("{scope}", "440103")
        for method in route.methods - {"HEAD"}:
            response = await http.request(method, path)
            asked += 1
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"]["code"] == "unauthorized"
    assert asked > 30


async def test_login_then_use_then_logout(http: httpx.AsyncClient) -> None:
    answer = await login(http)
    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"].startswith("ssnoc_at_")
    assert body["user"]["grants"] == [{"role": "network_engineer", "scope": "440100"}]
    token = body["access_token"]
    me = await http.get("/api/v1/auth/me", headers=bearer(token))
    assert me.json()["permissions"]["backup_devices"] == ["440100"]
    assert (await http.get("/api/v1/devices", headers=bearer(token))).status_code == 200
    assert (await http.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204
    after = await http.get("/api/v1/devices", headers=bearer(token))
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "token revoked"


@pytest.mark.parametrize(
    "header", ["Bearer ssnoc_at_guess", "Bearer s3cret", "Basic abc", "ssnoc_at_x", "Bearer "]
)
async def test_wrong_token_is_401_and_names_no_secret(http: httpx.AsyncClient, header: str) -> None:
    response = await http.get("/api/v1/devices", headers={"Authorization": header})
    assert response.status_code == 401
    assert "guess" not in response.text
    assert "s3cret" not in response.text


async def test_the_access_token_expires_and_the_refresh_token_renews_it(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    first = (await login(http)).json()
    world.clock.advance(AuthSettings().access_ttl_s + 1)
    expired = await http.get("/api/v1/devices", headers=bearer(first["access_token"]))
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "token expired"
    renewed = await http.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert renewed.status_code == 200
    token = renewed.json()["access_token"]
    assert (await http.get("/api/v1/devices", headers=bearer(token))).status_code == 200
    # The refresh token was rotated: the old one is refused, and its reuse ends the session.
    replay = await http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert (await http.get("/api/v1/devices", headers=bearer(token))).status_code == 401


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    world: SecurityWorld, tmp_path: Path
) -> None:
    settings = AuthSettings()
    app = create_app(world.services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        answers = []
        for _ in range(settings.lockout_after):
            answers.append(await login(http, "wrong-password-1"))
            world.clock.advance(13)  # under the rate limit (5 a minute here)
        assert [a.status_code for a in answers] == [401] * settings.lockout_after
        assert answers[0].json()["error"]["message"] == "wrong user name or password"
        assert answers[-1].json()["error"]["code"] == "account_locked"
        locked = await login(http)
        assert locked.status_code == 401
        assert locked.json()["error"]["code"] == "account_locked"
        world.clock.advance(settings.lockout_s)
        assert (await login(http)).status_code == 200


async def test_logins_are_rate_limited_per_client(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    answers = [await login(http, "nope") for _ in range(5)]
    assert all(a.status_code == 401 for a in answers)
    limited = await login(http)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    world.clock.advance(61)
    assert (await login(http)).status_code in (200, 401)


async def test_every_login_is_audited_with_its_outcome_and_client(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    await login(http, "not-it")
    await login(http)
    records = world.trail.search(action="login")
    assert [(r.actor, str(r.outcome), r.client) for r in records] == [
        ("li.na", "ok", "127.0.0.1"),
        ("li.na", "failed", "127.0.0.1"),
    ]
    assert all("not-it" not in (r.detail or "") for r in records)


async def test_refused_state_changes_are_audited(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    anonymous = await http.post("/api/v1/devices/gz-core1/backup")
    assert anonymous.status_code == 401
    token = (await login(http)).json()["access_token"]
    refused = await http.post("/api/v1/users/victim/disable", headers=bearer(token))
    assert refused.status_code == 403
    denied = [r for r in world.trail.search() if str(r.outcome) == "denied"]
    assert [(r.actor, r.action) for r in denied] == [
        ("li.na", "POST /api/v1/users/victim/disable"),
        ("anonymous", "POST /api/v1/devices/gz-core1/backup"),
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/devices/gz-core9/backup"),
        ("GET", "/api/v1/devices/gz-core9/backup"),
        ("GET", "/api/v1/devices/gz-core9/configs"),
        ("GET", "/api/v1/devices/gz-core9/accounts"),
        ("GET", "/api/v1/devices/gz-core9/ssh"),
    ],
)
async def test_who_asks_is_checked_before_the_device_is_looked_up(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    # 401, not 404: a stranger must not learn which devices exist.
    assert (await http.request(method, path)).status_code == 401


async def test_personal_api_tokens_act_as_their_user_until_revoked(
    world: SecurityWorld, http: httpx.AsyncClient
) -> None:
    session = (await login(http)).json()["access_token"]
    created = await http.post(
        "/api/v1/auth/tokens", json={"name": "nightly", "days": 7}, headers=bearer(session)
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("ssnoc_pat_")
    listed = await http.get("/api/v1/auth/tokens", headers=bearer(session))
    assert token not in listed.text
    devices = await http.get("/api/v1/devices", headers=bearer(token))
    assert {d["region"][:4] for d in devices.json()} == {"4401"}
    token_id = created.json()["info"]["id"]
    revoked = await http.delete(f"/api/v1/auth/tokens/{token_id}", headers=bearer(session))
    assert revoked.status_code == 204
    assert (await http.get("/api/v1/devices", headers=bearer(token))).status_code == 401
    world.clock.advance(8 * 86400)
    assert (await http.get("/api/v1/devices", headers=bearer(session))).status_code == 401
