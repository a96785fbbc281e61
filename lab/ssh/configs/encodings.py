"""How each platform writes a secret into its configuration: hashes, ciphers and Cisco's type 7.

The shapes are the real ones — prefixes, lengths and alphabets — so a scrubber tested here meets
what it meets in the field. The lab does not need to verify these (the simulator checks logins
against the clear password it knows), so apart from Cisco type 7, which is a reversible obfuscation
and implemented exactly, the bodies are derived from the secret with SHA-256: stable for one seed,
different for every secret and every device.
"""

from __future__ import annotations

import base64
import hashlib
import string

_CISCO_ALPHABET = "./" + string.digits + string.ascii_uppercase + string.ascii_lowercase
_B64 = string.ascii_letters + string.digits + "+/"
# VRP's ciphers use printable ASCII but never a space, '?' (the CLI's help key) or '$'/'"'.
_VRP_ALPHABET = "".join(chr(c) for c in range(33, 127) if chr(c) not in '$?"\\')
_TYPE7_KEY = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"


def _stream(*parts: str) -> bytes:
    """Enough deterministic bytes for any encoding below (SHA-256 in counter mode)."""
    seed = "\0".join(parts).encode()
    return b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(8))


def _text(alphabet: str, length: int, *parts: str) -> str:
    data = _stream(*parts)
    return "".join(alphabet[b % len(alphabet)] for b in data[:length])


def cisco_type7(secret: str, context: str) -> str:
    """Cisco's type 7 ('service password-encryption'), exactly: a Vigenère over a fixed key."""
    salt = _stream("type7", context)[0] % 16
    body = "".join(
        f"{ord(char) ^ ord(_TYPE7_KEY[(salt + i) % len(_TYPE7_KEY)]):02X}"
        for i, char in enumerate(secret)
    )
    return f"{salt:02d}{body}"


def cisco_type9(secret: str, context: str) -> str:
    """``$9$`` + 14-character salt + ``$`` + 43-character scrypt digest, Cisco's alphabet."""
    salt = _text(_CISCO_ALPHABET, 14, "salt9", context)
    return f"$9${salt}${_text(_CISCO_ALPHABET, 43, 'type9', secret, salt)}"


def cisco_type5(secret: str, context: str) -> str:
    """``$1$`` + 4-character salt + ``$`` + 22-character MD5-crypt digest."""
    salt = _text(_CISCO_ALPHABET, 4, "salt5", context)
    return f"$1${salt}${_text(_CISCO_ALPHABET, 22, 'type5', secret, salt)}"


def vrp_irreversible(secret: str, context: str) -> str:
    """VRP's ``irreversible-cipher``: ``$1a$`` salt ``$`` digest ``$``."""
    salt = _text(_VRP_ALPHABET, 10, "vrp-salt", context)
    return f"$1a${salt}${_text(_VRP_ALPHABET, 44, 'vrp-hash', secret, salt)}$"


def vrp_cipher(secret: str, context: str) -> str:
    """VRP's reversible ``cipher``: ``%^%#`` … ``%^%#``, longer with a longer secret."""
    length = 24 + 2 * len(secret)
    return f"%^%#{_text(_VRP_ALPHABET.replace('%', ''), length, 'vrp-cipher', secret, context)}%^%#"


def comware_hash(secret: str, context: str) -> str:
    """Comware's ``password hash``: ``$h$6$`` salt ``$`` SHA-512 digest, base64."""
    salt = _text(_B64, 16, "h3c-salt", context)
    digest = base64.b64encode(_stream("h3c-hash", secret, salt)[:64]).decode()
    return f"$h$6${salt}${digest}"


def comware_cipher(secret: str, context: str) -> str:
    """Comware's reversible ``cipher``: ``$c$3$`` + base64, longer with a longer secret."""
    body = base64.b64encode(_stream("h3c-cipher", secret, context)[: 16 + len(secret)]).decode()
    return f"$c$3${body}"


def zte_encrypted(secret: str, context: str) -> str:
    """ZXROS's ``encrypted`` form: base64 of a 16-byte block per 16 bytes of secret."""
    blocks = 1 + len(secret) // 16
    return base64.b64encode(_stream("zte", secret, context)[: 16 * blocks]).decode()
