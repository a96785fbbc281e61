"""What channels share: failure reasons without secrets, and per-recipient progress."""

from __future__ import annotations

import pytest

from alerts.notify.channel import DeliveryFailed, RecipientProgress, one_line, redact, safe_target
from core.errors import NocError


def test_delivery_failed_is_a_noc_error_that_says_if_a_retry_helps() -> None:
    failure = DeliveryFailed("hook", "HTTP 503", retryable=True, retry_after_s=30)
    assert isinstance(failure, NocError)
    assert str(failure) == "hook: HTTP 503 (retryable)"
    assert str(DeliveryFailed("hook", "HTTP 400", retryable=False)) == "hook: HTTP 400 (final)"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=abc123", "https://oapi.dingtalk.com"),
        ("http://user:pw@127.0.0.1:8080/hook/T0K3N", "http://127.0.0.1:8080"),
        ("http://[::1]:9000/x", "http://[::1]:9000"),
    ],
)
def test_safe_target_keeps_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert safe_target(url) == shown


def test_redact_and_one_line() -> None:
    assert redact("bad token s3cret here", ["s3cret", ""]) == "bad token *** here"
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 300, limit=10) == "x" * 9 + "…"


def test_progress_retries_only_the_recipients_still_outstanding() -> None:
    progress = RecipientProgress()
    everyone = ["a@x", "b@x", "c@x"]
    with pytest.raises(DeliveryFailed) as first:
        progress.settle("mail", "d1", accepted=["a@x"], retry={"b@x": "451 later"}, final={})
    assert first.value.retryable
    assert progress.outstanding("d1", everyone) == ["b@x", "c@x"]
    with pytest.raises(DeliveryFailed) as second:
        progress.settle("mail", "d1", accepted=["b@x"], retry={}, final={"c@x": "550 no user"})
    assert not second.value.retryable
    assert second.value.reason == "c@x: 550 no user"
    assert progress.outstanding("d1", everyone) == everyone  # finished: forgotten


def test_progress_names_final_refusals_while_others_are_retried() -> None:
    progress = RecipientProgress()
    with pytest.raises(DeliveryFailed) as failed:
        progress.settle(
            "sms",
            "d1",
            accepted=[],
            retry={"13800138000": "HTTP 503"},
            final={"13900139000": "HTTP 400"},
            shown=lambda phone: phone[-4:],
        )
    assert failed.value.retryable
    assert failed.value.reason == "8000: HTTP 503; 9000: HTTP 400"
    with pytest.raises(DeliveryFailed) as last:
        progress.settle("sms", "d1", accepted=["13800138000"], retry={}, final={})
    assert not last.value.retryable  # the refused number is still reported


def test_progress_memory_is_bounded() -> None:
    progress = RecipientProgress(max_deliveries=2)
    for delivery in ("d1", "d2", "d3"):
        with pytest.raises(DeliveryFailed):
            progress.settle("m", delivery, accepted=["a"], retry={"b": "451"}, final={})
    assert progress.outstanding("d1", ["a", "b"]) == ["a", "b"]  # forgotten: a duplicate at worst
    assert progress.outstanding("d3", ["a", "b"]) == ["b"]
