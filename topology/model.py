"""The vocabulary of the topology package: observed link state in, element references and paths out.

Inputs are small and typed: a :class:`LinkState` per inventory link (anything shaped like it will
do — :class:`LinkStateLike` — so the state DB's own rows need no conversion) and a device status
per device (:class:`core.model.Status`). Results are frozen pydantic models that serialise to plain
JSON: region codes, site ids, device ids, link ids and a human ``explanation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class LinkStatus(StrEnum):
    """Whether a link carries traffic, as last observed."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"
    """Never observed: counted as working, because nothing says it has failed."""


class LinkStateLike(Protocol):
    """Anything that says how one link is: :class:`LinkState`, or the state DB's own reading."""

    @property
    def link_id(self) -> str: ...

    @property
    def status(self) -> str:
        """``up``, ``down`` or ``unknown``."""
        ...

    @property
    def in_bps(self) -> float | None: ...

    @property
    def out_bps(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class LinkState:
    """One link as observed; rates are as seen from the link's end ``a`` (in = arriving at a)."""

    link_id: str
    status: LinkStatus = LinkStatus.UNKNOWN
    in_bps: float | None = None
    out_bps: float | None = None


class ElementKind(StrEnum):
    DEVICE = "device"
    LINK = "link"


class Result(BaseModel):
    """Base of every result: frozen, and strict about its fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ElementRef(Result):
    """A device or a link of the inventory, by id: what fails, what is a single point of failure."""

    kind: ElementKind
    id: str

    @classmethod
    def device(cls, device_id: str) -> ElementRef:
        return cls(kind=ElementKind.DEVICE, id=device_id)

    @classmethod
    def link(cls, link_id: str) -> ElementRef:
        return cls(kind=ElementKind.LINK, id=link_id)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


class FailoverState(StrEnum):
    """How a city or county node reaches the province core right now."""

    ON_PRIMARY = "on_primary"
    ON_BACKUP = "on_backup"
    """Reaches the core, but not over its primary path."""
    ISOLATED = "isolated"
    """No working path to any core."""


class NetworkPath(Result):
    """A path from a province core (first device) to a device (last), with the links between."""

    device_ids: tuple[str, ...] = Field(description="Core first, the destination last")
    link_ids: tuple[str, ...] = Field(description="One fewer than devices, in the same order")
    cost: int = Field(description="Sum of link costs: 1 a primary link, 1000+ a backup link")
