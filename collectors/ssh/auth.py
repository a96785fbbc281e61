"""Turning an :class:`core.credentials.SshCredential` into what paramiko logs in with."""

from __future__ import annotations

import io

import paramiko

from core.credentials import SshCredential
from core.errors import CredentialError

_KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (
    paramiko.Ed25519Key,
    paramiko.ECDSAKey,
    paramiko.RSAKey,
)


def private_key(credential: SshCredential) -> paramiko.PKey | None:
    """The credential's private key, loaded; None when it logs in by password only.

    Errors say which file or that the inline key is unreadable — never the key itself.
    """
    if credential.private_key_path is not None:
        path = credential.private_key_path.expanduser()
        try:
            return paramiko.PKey.from_path(path)
        except FileNotFoundError:
            raise CredentialError(f"SSH private key {path} does not exist") from None
        except (paramiko.SSHException, ValueError, OSError) as exc:
            raise CredentialError(f"SSH private key {path} is unusable: {exc}") from None
    if credential.private_key is not None:
        text = credential.private_key.get_secret_value()
        for key_class in _KEY_CLASSES:
            try:
                return key_class.from_private_key(io.StringIO(text))
            except (paramiko.SSHException, ValueError):
                continue
        raise CredentialError(
            f"the inline SSH private key of {credential.username!r} is not an unencrypted "
            "Ed25519, ECDSA or RSA key"
        )
    return None


def password(credential: SshCredential) -> str | None:
    return credential.password.get_secret_value() if credential.password is not None else None
