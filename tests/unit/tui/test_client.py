"""The console's API client: typed answers, and every failure as ApiError with a clear message."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.model import Status
from core.state.config_views import ConfigVersionSummary
from core.state.repository import StateRepository
from core.state.views import DeviceDetail
from tests.unit.api.auth_fakes import ADMIN, FakeAuthenticator
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import NOW, SshStores, services
from tests.unit.tui.conftest import client_for
from tui.client import BACKUP_TIMEOUT_S, ApiError, ApiUnavailable, NocApiClient


async def test_typed_answers_from_the_real_api(api: FastAPI) -> None:
    client = client_for(api)
    health = await client.health()
    assert health.time == NOW
    assert health.devices.down == 1
    (province,) = await client.region_tree()
    assert province.children[0].name == "广州市"
    assert (await client.region("440104")).status is Status.UP
    devices = await client.devices(region="440100", status=Status.DOWN)
    assert [d.id for d in devices] == ["gz-liwan-acc1"]
    assert [d.id for d in await client.devices(text="越秀")] == ["gz-yuexiu-acc1"]
    detail = await client.device("gz-core1")
    assert isinstance(detail, DeviceDetail)
    assert detail.interfaces[0].in_bps == 2.4e9
    assert len(await client.interfaces("gz-core1")) == 3


async def test_not_found_carries_the_apis_message(api: FastAPI) -> None:
    with pytest.raises(ApiError) as caught:
        await client_for(api).device("gz-core9")
    assert caught.value.not_found
    assert str(caught.value) == "no device 'gz-core9'"
    assert not isinstance(caught.value, ApiUnavailable)


async def test_wrong_token_says_so(state: StateRepository, stores: SshStores) -> None:
    app = create_app(
        services(state, FakeMetricStore(), stores, auth=FakeAuthenticator({"right": ADMIN}))
    )
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://ssnoc.test",
        headers={"Authorization": "Bearer wrong"},
    )
    with pytest.raises(ApiError) as caught:
        await NocApiClient(http).region_tree()
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert str(caught.value) == "unknown token"


def client_answering(handler: Callable[[httpx.Request], httpx.Response]) -> NocApiClient:
    return NocApiClient(
        httpx.AsyncClient(
            transport=httpx.MockTransport(handler), base_url="http://noc.example:8480"
        )
    )


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


async def test_unreachable_api_is_api_unavailable() -> None:
    with pytest.raises(ApiUnavailable, match=r"cannot reach the API at http://noc.example:8480"):
        await client_answering(refuse).health()


async def test_timeout_is_api_unavailable() -> None:
    with pytest.raises(ApiUnavailable, match="did not answer in time"):
        await client_answering(time_out).devices()


async def test_store_down_is_api_unavailable_with_the_apis_message() -> None:
    body = {"error": {"code": "store_unavailable", "message": "state DB: locked"}}
    client = client_answering(lambda _: httpx.Response(503, json=body))
    with pytest.raises(ApiUnavailable, match="state DB: locked") as caught:
        await client.region_tree()
    assert caught.value.code == "store_unavailable"


async def test_an_error_without_json_still_reads_well() -> None:
    client = client_answering(lambda _: httpx.Response(500, text="<html>oops</html>"))
    with pytest.raises(ApiError, match="HTTP 500 Internal Server Error"):
        await client.health()


async def test_an_unexpected_answer_is_an_api_error_not_a_validation_error() -> None:
    client = client_answering(lambda _: httpx.Response(200, json={"status": "ok"}))
    with pytest.raises(ApiError, match="something unexpected") as caught:
        await client.health()
    assert caught.value.code == "unexpected_answer"


async def test_filters_become_query_parameters() -> None:
    seen: list[httpx.URL] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=[])

    await client_answering(record).devices(region="440100", status=Status.DEGRADED, text="gz")
    await client_answering(record).devices()
    assert dict(seen[0].params) == {"region": "440100", "status": "degraded", "q": "gz"}
    assert dict(seen[1].params) == {}


async def test_configs_backups_accounts_and_ssh_are_typed(api: FastAPI) -> None:
    client = client_for(api)
    versions = await client.config_versions("gz-core1")
    assert [v.id for v in versions] == [3, 2, 1]
    assert isinstance(versions[0], ConfigVersionSummary)
    assert (await client.config_version(3)).text.startswith("#\n version 7.1.070")
    diff = await client.config_diff(2, 3)
    assert (diff.lines_added, diff.lines_removed) == (4, 1)
    status = await client.backup_status("gd-dc1-core1")
    assert status.failing
    stale = await client.backups(stale=True, older_than_h=24)
    assert [s.device_id for s in stale] == ["gz-liwan-acc1", "gd-dc1-core1", "gz-yuexiu-acc1"]
    assert len(await client.backups()) == 4
    accounts = await client.accounts("gz-core1")
    assert [a.privileged for a in accounts] == [True, False, False, True]
    found = await client.search_accounts(text="adm", privileged=True, device="gz-core1")
    assert [(a.device_id, a.name) for a in found] == [("gz-core1", "admin")]
    ssh = await client.device_ssh("gz-core1")
    assert ssh.facts is not None
    assert ssh.facts.hostname == "GZ-CORE1"
    assert ssh.host_keys[0].endpoint == "127.0.0.12:22"


async def test_backup_now_posts_and_answers_the_outcome(api: FastAPI) -> None:
    result = await client_for(api).backup_now("gz-core1")
    assert result.device_id == "gz-core1"
    assert result.error is None
    assert (result.changed, result.current_version_id) == (False, 3)


async def test_a_diff_across_devices_is_an_api_error_with_the_reason(api: FastAPI) -> None:
    with pytest.raises(ApiError, match="different devices") as caught:
        await client_for(api).config_diff(3, 4)
    assert (caught.value.status, caught.value.code) == (400, "bad_request")


async def test_backup_now_has_its_own_long_timeout() -> None:
    seen: list[tuple[str, httpx.URL, dict[str, float | None]]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url, request.extensions["timeout"]))
        return httpx.Response(200, json={"device_id": "a b", "error": "refused"})

    result = await client_answering(record).backup_now("a b")
    assert result.error == "refused"
    ((method, url, timeout),) = seen
    assert method == "POST"
    assert url.raw_path == b"/api/v1/devices/a%20b/backup"
    assert timeout["read"] == BACKUP_TIMEOUT_S


async def test_account_and_backup_filters_become_query_parameters() -> None:
    seen: list[httpx.URL] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=[])

    client = client_answering(record)
    await client.search_accounts(text="root", privileged=True, device="h1")
    await client.search_accounts()
    await client.backups(stale=True, older_than_h=48)
    await client.backups()
    assert [dict(url.params) for url in seen] == [
        {"q": "root", "privileged": "true", "device": "h1"},
        {},
        {"stale": "true", "older_than_h": "48"},
        {},
    ]
