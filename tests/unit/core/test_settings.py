"""Settings precedence: defaults < TOML file < SSNOC_* environment; secrets stay masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./ssnoc.toml unless a test writes one


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings()
    assert settings.poll.interval_s == 60.0
    assert settings.poll.transport == "gufo"
    assert settings.resolved_state_db_url == "sqlite:///var/state.db"
    assert settings.resolved_metric_db_path == Path("var/metrics.db")
    assert settings.api.host == "127.0.0.1"


def test_file_overrides_defaults_and_environment_overrides_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "ssnoc.toml").write_text(
        'data_dir = "/srv/ssnoc"\n[poll]\ninterval_s = 30\ntimeout_s = 5\n[api]\nport = 9000\n'
    )
    monkeypatch.setenv("SSNOC_POLL__INTERVAL_S", "15")

    settings = load_settings()

    assert settings.poll.interval_s == 15.0  # environment beats the file
    assert settings.poll.timeout_s == 5.0  # the file beats the default
    assert settings.api.port == 9000
    assert settings.data_dir == Path("/srv/ssnoc")
    assert settings.resolved_metric_db_path == Path("/srv/ssnoc/metrics.db")


def test_ssnoc_config_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    named = tmp_path / "elsewhere.toml"
    named.write_text("[poll]\nconcurrency = 8\n")
    monkeypatch.setenv("SSNOC_CONFIG", str(named))
    assert load_settings().poll.concurrency == 8


def test_missing_named_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSNOC_CONFIG", "/nonexistent/ssnoc.toml")
    with pytest.raises(ConfigError, match="no such file"):
        load_settings()


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSNOC_POLL__INTERVAL_S", "-5")
    with pytest.raises(ConfigError, match=r"poll\.interval_s"):
        load_settings()


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ssnoc.toml").write_text("[poll]\nintervall_s = 30\n")
    with pytest.raises(ConfigError, match="intervall_s"):
        load_settings()


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ssnoc.toml").write_text("[poll\n")
    with pytest.raises(ConfigError, match="settings file"):
        load_settings()


def test_the_db_password_is_masked_in_repr_and_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://noc:pg-very-secret@127.0.0.1:5432/ssnoc"
    monkeypatch.setenv("SSNOC_STATE_DB_URL", url)
    settings = load_settings()
    assert settings.resolved_state_db_url == url
    assert "pg-very-secret" not in repr(settings)
    dumped = settings.model_dump_json()
    assert "pg-very-secret" not in dumped
    assert "postgresql+psycopg://noc:***@127.0.0.1:5432/ssnoc" in dumped
