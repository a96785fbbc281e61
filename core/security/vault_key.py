"""The credentials vault's key file: Fernet keys, newest first, kept outside the state DB.

The file holds one Fernet key per line (blank lines and ``#`` comments are ignored). The first key
encrypts; every key decrypts. That ordering is what makes rotation safe to interrupt: while the
file holds the new key *and* the old ones, every entry decrypts whichever of them encrypted it.

The file is refused, as ssh refuses a private key, when group or others may read or write it. A
key is never shown: it is named by its id, the first 8 hex digits of its SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.errors import VaultError

KEY_FILE_HEADER = (
    "# ssnoc credentials vault key: one Fernet key a line, newest first.\n"
    "# Back this file up separately from the state DB: either alone is useless, both together\n"
    "# reveal every device secret. Keep it mode 0600.\n"
)


def key_id(key: bytes) -> str:
    """A key's short, non-secret name: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    """Fernet keys, newest first: the newest encrypts, any of them decrypts.

    ``repr`` shows key ids only, never a key."""

    keys: tuple[bytes, ...] = field(repr=False)
    _fernet: MultiFernet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise VaultError("a vault key ring needs at least one key")
        try:
            fernets = [Fernet(key) for key in self.keys]
        except ValueError:
            raise VaultError("a vault key is not a valid Fernet key") from None
        object.__setattr__(self, "_fernet", MultiFernet(fernets))

    @classmethod
    def generate(cls) -> KeyRing:
        """A ring of one fresh random key."""
        return cls((Fernet.generate_key(),))

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of the keys, newest first."""
        return tuple(key_id(key) for key in self.keys)

    @property
    def current_key_id(self) -> str:
        """The id of the key that encrypts."""
        return key_id(self.keys[0])

    def encrypt(self, plaintext: bytes) -> str:
        """``plaintext`` encrypted with the newest key, as URL-safe base64 text."""
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, ciphertext: str, what: str) -> bytes:
        """Decrypt with whichever key fits; :class:`VaultError` naming ``what`` when none does."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise VaultError(
                f"vault entry {what} cannot be decrypted with any key in the key file "
                f"(key ids {', '.join(self.key_ids)}): wrong or lost key file?"
            ) from None

    def reencrypt(self, ciphertext: str, what: str) -> str:
        """The same plaintext encrypted again with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise VaultError(
                f"vault entry {what} cannot be decrypted with any key in the key file "
                f"(key ids {', '.join(self.key_ids)}): rotation stopped, nothing changed"
            ) from None

    def with_new_key(self, key: bytes) -> KeyRing:
        """This ring with ``key`` first (it will encrypt) and the existing keys after it."""
        return KeyRing((key, *(k for k in self.keys if k != key)))


def create_key_file(path: Path) -> KeyRing:
    """Write a new key file with one fresh key (mode 0600); refuses to overwrite one.

    The parent directory is created with mode 0700 if it does not exist."""
    ring = KeyRing.generate()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VaultError(
            f"vault key file {path} already exists: refusing to overwrite it "
            "(every secret in the vault is encrypted with it)"
        ) from None
    except OSError as exc:
        raise VaultError(f"cannot create vault key file {path}: {exc.strerror}") from None
    try:
        _write_keys(descriptor, ring.keys)
    except OSError as exc:
        path.unlink(missing_ok=True)  # a half-written key file must not be mistaken for a key
        raise VaultError(f"cannot write vault key file {path}: {exc.strerror}") from None
    return ring


def load_key_ring(path: Path) -> KeyRing:
    """The keys in ``path``; :class:`VaultError` if it is missing, malformed or not private."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise VaultError(f"vault key file {path} not found: run `ssnoc vault init`") from None
    except OSError as exc:
        raise VaultError(f"cannot read vault key file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise VaultError(f"vault key file {path} is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # As ssh does with a private key: a key others could read is refused, not just warned of.
        raise VaultError(
            f"vault key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(mode):04o}): refusing to use it; run `chmod 600 {path}`"
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
        raise VaultError(f"cannot read vault key file {path}: {reason}") from None
    keys: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key = stripped.encode("ascii")
        try:
            Fernet(key)
        except ValueError:
            # The line is not echoed: it may be a key with one character wrong.
            raise VaultError(
                f"vault key file {path}: line {number} is not a Fernet key "
                "(32 bytes, URL-safe base64)"
            ) from None
        keys.append(key)
    if not keys:
        raise VaultError(f"vault key file {path} holds no key")
    return KeyRing(tuple(keys))


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Replace ``path`` with ``ring``'s keys atomically: a private temporary file, then rename.

    A reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.unlink(missing_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        _write_keys(descriptor, ring.keys)
        os.replace(temporary, path)
        _sync_directory(path.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise VaultError(f"cannot write vault key file {path}: {exc.strerror}") from None


def _write_keys(descriptor: int, keys: tuple[bytes, ...]) -> None:
    # fchmod as well as the mode given to os.open: a umask may have narrowed 0600 (to 0400, say).
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(KEY_FILE_HEADER.encode("ascii"))
        handle.write(b"".join(key + b"\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
