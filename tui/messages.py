"""What screens ask the app for; the app alone decides where that leads (it only routes)."""

from __future__ import annotations

from textual.message import Message


class OpenDevice(Message):
    """Show one device."""

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id


class OpenRegion(Message):
    """Show one region on the province screen."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code


class OpenConfigs(Message):
    """Show one device's configuration history."""

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id


class OpenAccounts(Message):
    """Show one device's local accounts."""

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id
