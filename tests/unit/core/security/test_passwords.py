"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import pytest

from core.errors import NocError
from core.security.passwords import (
    PasswordRejected,
    character_classes,
    cheap_hasher,
    check_password_policy,
    hash_password,
    needs_rehash,
    server_hasher,
    temporary_password,
    verify_password,
)

CHEAP = cheap_hasher()


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("Correct-Horse-9", CHEAP)
    assert stored.startswith("$argon2id$")
    assert "Correct-Horse-9" not in stored
    assert verify_password(stored, "Correct-Horse-9", CHEAP)
    assert not verify_password(stored, "correct-horse-9", CHEAP)
    assert hash_password("Correct-Horse-9", CHEAP) != stored  # salted


def test_a_damaged_hash_is_a_no_not_an_exception() -> None:
    assert not verify_password("not a hash", "x", CHEAP)
    assert not verify_password("$argon2id$v=19$m=8,t=1,p=1$broken", "x", CHEAP)


def test_a_hash_made_with_other_parameters_needs_rehash() -> None:
    cheap = hash_password("Correct-Horse-9", CHEAP)
    assert not needs_rehash(cheap, CHEAP)
    assert needs_rehash(cheap, server_hasher())
    assert needs_rehash("garbage", CHEAP)


def test_the_server_hasher_uses_argon2_defaults() -> None:
    hasher = server_hasher()
    assert (hasher.time_cost, hasher.memory_cost) == (3, 65536)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1-Ab1-Ab1", "too short: it needs at least 12 characters"),
        ("ZhangWei-2026", "must not be or contain the user name"),
        ("zhangwei-2026", "must not be or contain the user name"),
        ("ZHANGWEI", "too short"),
        ("alllowercase-only", "too simple"),
        ("lowercase123456", "too simple"),
        ("x" * 1025, "too long"),
    ],
)
def test_the_policy_names_the_rule_broken(password: str, reason: str) -> None:
    with pytest.raises(PasswordRejected, match=reason):
        check_password_policy(password, 12, "zhangwei")


@pytest.mark.parametrize(
    "password", ["Correct-Horse-9", "lowercase-12345", "UPPER-lower-xx", "密码Password12"]
)
def test_three_classes_of_four_are_enough(password: str) -> None:
    check_password_policy(password, 12, "zhangwei")


def test_characters_outside_ascii_count_as_other() -> None:
    assert character_classes("abcABC") == 2
    assert character_classes("abc密") == 2
    assert character_classes("aA1!") == 4


def test_a_rejection_is_a_clear_noc_error_and_a_value_error() -> None:
    with pytest.raises(ValueError, match="too short"):
        check_password_policy("short", 12, "u")
    assert issubclass(PasswordRejected, NocError)


def test_temporary_passwords_meet_the_policy() -> None:
    seen = {temporary_password(12, "alice") for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        assert len(password) == 20
        check_password_policy(password, 12, "alice")
    assert len(temporary_password(32, "alice")) == 32
