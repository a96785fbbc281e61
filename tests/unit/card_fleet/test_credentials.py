"""Terminal credentials: the token's shape, the stored hash, and the in-memory index that
answers heartbeats — good, malformed, unknown, revoked, replaced and suspended, and fast."""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from card_fleet.credentials import (
    AuthenticatedTerminal,
    CredentialIndex,
    CredentialRefused,
    hash_secret,
    issue_credential,
    split_token,
)
from card_fleet.model import TerminalState
from core.errors import AuthenticationFailed

ACTIVE = AuthenticatedTerminal("T440103-0001", "440103", "440100", TerminalState.ACTIVE)


def indexed(terminal: AuthenticatedTerminal = ACTIVE) -> tuple[CredentialIndex, str]:
    credential = issue_credential(terminal.id)
    return CredentialIndex([(terminal, credential.secret_hash)]), credential.token


def test_a_token_names_its_terminal_and_carries_43_url_safe_characters() -> None:
    credential = issue_credential("T440103-0001")
    assert re.fullmatch(r"sst_T440103-0001_[A-Za-z0-9_-]{43}", credential.token)
    secret = credential.token[-43:]
    assert credential.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert credential.secret_hash == hash_secret(secret)
    assert issue_credential("T440103-0001").token != credential.token


def test_neither_token_nor_hash_shows_in_a_repr() -> None:
    credential = issue_credential("T440103-0001")
    index = CredentialIndex([(ACTIVE, credential.secret_hash)])
    for shown in (repr(credential), str(credential), repr(index)):
        assert credential.token[-43:] not in shown
        assert credential.secret_hash not in shown


@pytest.mark.parametrize("terminal_id", ["T440103-0001", "kiosk_7", "a", "x_-_y"])
def test_split_token_cuts_the_fixed_length_secret_from_the_end(terminal_id: str) -> None:
    token = issue_credential(terminal_id).token
    assert split_token(token) == (terminal_id, token[-43:])


@pytest.mark.parametrize(
    "token",
    [
        "",
        "sst_",
        "Bearer sst_T1_" + "a" * 43,
        "sst_T1_" + "a" * 42,
        "sst_T1-" + "a" * 43,
        "sst__" + "a" * 43,
        "sst_T1_" + "a" * 42 + "=",
        "sst_T1_" + "a" * 42 + "é",
        "sst_T1_" + "a" * 44,  # the id swallows a character: still well formed, but wrong
        None,
        42,
    ],
)
def test_malformed_tokens_are_refused_without_a_terminal(token: object) -> None:
    index, _ = indexed()
    parts = split_token(token)
    if parts is not None:  # the last string above: well formed, but an unknown id
        assert parts == ("T1_a", "a" * 43)
    with pytest.raises(CredentialRefused) as caught:
        index.authenticate(token)  # type: ignore[arg-type]
    assert caught.value.refusal in {"malformed token", "unknown terminal"}


def test_a_good_token_gives_the_terminal_and_its_scope() -> None:
    index, token = indexed()
    assert index.authenticate(token) == ACTIVE


@pytest.mark.parametrize(
    ("entry_state", "secret_hash", "refusal"),
    [
        (TerminalState.ACTIVE, "other", "wrong secret (an old or forged credential)"),
        (TerminalState.ACTIVE, None, "the terminal holds no credential (revoked)"),
        (TerminalState.SUSPENDED, "same", "the terminal is suspended"),
        (TerminalState.LOST, "same", "the terminal is lost"),
        (TerminalState.REGISTERED, "same", "the terminal is registered"),
    ],
)
def test_refusals_say_why_for_the_audit_but_not_to_the_caller(
    entry_state: TerminalState, secret_hash: str | None, refusal: str
) -> None:
    credential = issue_credential(ACTIVE.id)
    stored = {"same": credential.secret_hash, "other": issue_credential(ACTIVE.id).secret_hash}
    terminal = AuthenticatedTerminal(ACTIVE.id, ACTIVE.county, ACTIVE.city, entry_state)
    index = CredentialIndex([(terminal, None if secret_hash is None else stored[secret_hash])])
    with pytest.raises(AuthenticationFailed) as caught:
        index.authenticate(credential.token)
    assert isinstance(caught.value, CredentialRefused)
    assert caught.value.claimed_terminal_id == ACTIVE.id
    assert caught.value.refusal == refusal
    assert str(caught.value) == "terminal credential refused"
    assert credential.token not in repr(caught.value)


def test_an_unknown_terminal_is_refused() -> None:
    index, _ = indexed()
    token = issue_credential("T440103-0002").token
    with pytest.raises(CredentialRefused) as caught:
        index.authenticate(token)
    assert (caught.value.claimed_terminal_id, caught.value.refusal) == (
        "T440103-0002",
        "unknown terminal",
    )


def test_remember_replaces_one_terminal_and_replace_all_everything() -> None:
    index, token = indexed()
    new = issue_credential(ACTIVE.id)
    index.remember(ACTIVE, new.secret_hash)
    with pytest.raises(CredentialRefused):
        index.authenticate(token)
    assert index.authenticate(new.token) == ACTIVE
    suspended = AuthenticatedTerminal(ACTIVE.id, "440103", "440100", TerminalState.SUSPENDED)
    index.remember(suspended, new.secret_hash)
    with pytest.raises(CredentialRefused, match="refused"):
        index.authenticate(new.token)
    index.replace_all([])
    assert len(index) == 0
    with pytest.raises(CredentialRefused):
        index.authenticate(new.token)


def test_ten_thousand_checks_take_well_under_a_second() -> None:
    terminals = [
        AuthenticatedTerminal(f"T440103-{n:04d}", "440103", "440100", TerminalState.ACTIVE)
        for n in range(20_000)
    ]
    credentials = [issue_credential(terminal.id) for terminal in terminals]
    index = CredentialIndex(
        (terminal, credential.secret_hash)
        for terminal, credential in zip(terminals, credentials, strict=True)
    )
    tokens = [credential.token for credential in credentials[:10_000]]
    started = time.perf_counter()
    for token in tokens:
        index.authenticate(token)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.25, f"10,000 checks took {elapsed:.3f} s"
