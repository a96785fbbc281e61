"""Every error answers in one JSON shape; the unexpected ones never show a traceback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.exceptions import RequestValidationError

from api.app import create_app
from api.errors import describe_validation
from core.errors import ConfigError, NocError
from core.state.repository import StateRepository
from core.state.views import RegionNode
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import SshStores, services


class BrokenRepository(StateRepository):
    """Raises whatever it was given from every region read."""

    def __init__(self, error: Exception) -> None:  # no engine: nothing here touches it
        self.error = error

    def region_tree(self) -> list[RegionNode]:
        raise self.error


async def answer(error: Exception, stores: SshStores) -> httpx.Response:
    app = create_app(services(BrokenRepository(error), FakeMetricStore(), stores))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        return await http.get("/api/v1/regions")


async def test_unexpected_exception_is_a_bare_500_logged_with_the_path(
    caplog: pytest.LogCaptureFixture, stores: SshStores
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = await answer(ZeroDivisionError("secret internals"), stores)
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    (record,) = caplog.records
    assert "GET /api/v1/regions" in record.getMessage()
    assert record.exc_info is not None


async def test_a_noc_error_is_500_with_its_message(stores: SshStores) -> None:
    response = await answer(NocError("topology not computed yet"), stores)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "topology not computed yet"}
    }


async def test_config_error_is_400(stores: SshStores) -> None:
    response = await answer(ConfigError("setting 'x': bad"), stores)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_request", "message": "setting 'x': bad"}


@pytest.fixture
async def plain(state: StateRepository, stores: SshStores) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services(state, FakeMetricStore(), stores))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        yield http


async def test_unknown_path_is_404_in_the_same_shape(plain: httpx.AsyncClient) -> None:
    response = await plain.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_405_in_the_same_shape(plain: httpx.AsyncClient) -> None:
    response = await plain.delete("/api/v1/devices")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_validation_error_names_the_body_field_and_the_parameter() -> None:
    error = RequestValidationError(
        [
            {"loc": ("body", "ends_at"), "msg": "Input should be a valid datetime"},
            {"loc": ("query", "status"), "msg": "Input should be 'firing'"},
            {"loc": ("body",), "msg": "Field required"},
        ]
    )
    assert describe_validation(error) == (
        "body field 'ends_at': Input should be a valid datetime; "
        "query parameter 'status': Input should be 'firing'; body: Field required"
    )
