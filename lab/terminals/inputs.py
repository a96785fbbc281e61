"""What the simulator is given: the API's address (loopback only), the terminals' tokens, the lab.

The tokens file is the lab's enrollment's output — a JSON object of terminal id → token — and
holds secrets: nothing here puts a token, or any of the file's text, into a message.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import httpx
from pydantic import ValidationError

from core.errors import LabError
from lab.files import PROVINCE_FILE, read_province
from lab.model import Province


def check_loopback(api_url: str) -> None:
    """LabError unless ``api_url`` is http(s) on a loopback address: the lab stays on this host."""
    try:
        url = httpx.URL(api_url)
    except httpx.InvalidURL as exc:
        raise LabError(f"API address {api_url!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise LabError(f"API address {api_url!r} is not an http(s) URL")
    if url.host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LabError(f"API address {api_url!r} is not on loopback: the lab talks to this host")


def load_tokens(path: Path) -> dict[str, str]:
    """Terminal id → its credential, from the JSON object in ``path`` (never logged)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"terminal tokens file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabError(f"terminal tokens file {path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        # The message names the position only: the document holds secrets.
        raise LabError(f"terminal tokens file {path} is not JSON (line {exc.lineno})") from None
    if not isinstance(document, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in document.items()
    ):
        raise LabError(f"terminal tokens file {path}: expected an object of terminal id → token")
    return document


def load_lab_province(lab_dir: Path) -> Province:
    """The running lab's province (its province.json); LabError when there is none."""
    path = lab_dir / PROVINCE_FILE
    try:
        return read_province(path)
    except FileNotFoundError:
        raise LabError(f"{path} not found: is the lab up (`ssnoc lab up`)?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise LabError(f"{path} is not a lab province: {exc}") from None
