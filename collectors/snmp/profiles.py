"""Vendor profiles: what each OS family is called, how to recognise it, and where it keeps things.

A profile (``profiles/<os>.yaml``) is data: detection rules over ``sysObjectID`` and ``sysDescr``,
extraction rules for hardware, version and serial, CPU and memory sources, and the interface
columns. Files whose name starts with ``_`` are shared tables (the IF-MIB columns with their counter
kinds, product-name tables). Every file is validated by the models below; a mistake names the
file, line and field (:class:`core.errors.ConfigError`).

Profiles are only data here; :mod:`collectors.snmp.identify` evaluates them.

Extraction semantics, for one field (hardware, version or serial):

* a field's sources are tried in order and the first that yields non-empty text wins;
* a source with ``weak`` (a regex) still yields, but a value matching ``weak`` gives way to any
  later source that yields (a Cisco chassis row named ``C29xx Stacking`` gives way to the stack
  member's model);
* a ``fallback`` source is consulted only when nothing else yielded (a product-name table);
* an ``append`` source adds its text to a value that exists (a Huawei patch: `` [SPH025]``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from collectors.snmp.transport import is_under, normalise_oid, oid_key
from core.errors import ConfigError, NocError
from core.model import Platform
from core.yaml_source import load_located_yaml

PROFILE_DIR = Path(__file__).with_name("profiles")
M = TypeVar("M", bound=BaseModel)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def _oid(value: str) -> str:
    return normalise_oid(value)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


Oid = Annotated[str, AfterValidator(_oid)]
Regex = Annotated[str, AfterValidator(_regex)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- detection


class Detection(_Strict):
    """One way of recognising the family; every condition given must hold."""

    sys_object_id: list[Oid] = Field(default_factory=list)
    """sysObjectID lies in one of these subtrees (or equals one)."""
    sys_descr: list[Regex] = Field(default_factory=list)
    """sysDescr matches one of these."""
    sys_descr_except: list[Regex] = Field(default_factory=list)
    """sysDescr matches none of these."""

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.sys_object_id and not self.sys_descr:
            raise ValueError("give sys_object_id or sys_descr")
        return self

    def matches(self, sys_object_id: str, sys_descr: str) -> bool:
        if self.sys_object_id and not any(
            sys_object_id == root or is_under(sys_object_id, root) for root in self.sys_object_id
        ):
            return False
        if self.sys_descr and not any(re.search(p, sys_descr) for p in self.sys_descr):
            return False
        return not any(re.search(p, sys_descr) for p in self.sys_descr_except)


# ---------------------------------------------------------------- identity rules


class Condition(_Strict):
    oid: Oid
    equals: str | int
    """Compared as text: ``0`` and ``"0"`` are the same."""


class Source(_Strict):
    """Where one field's value may come from; exactly one of the kinds below is given."""

    oid: Oid | None = None
    """GET this instance."""
    first_under: Oid | None = None
    """Walk this column; the first non-empty value."""
    join: list[Oid] | None = None
    """GET these instances and join the non-empty ones with a space (maker + model)."""
    regex: Regex | None = None
    """Search ``text`` with this; its named groups (and ``value``) fill ``format``."""
    product_table: str | None = None
    """Look sysObjectID up in the shared table ``_<name>.yaml``."""

    text: Literal["sysDescr", "sysObjectID"] = "sysDescr"
    """What ``regex`` searches."""
    format: str = "{value}"
    """The result, from ``value`` (the whole value, or the regex's ``value`` group) and groups."""
    letters: list[str] = Field(default_factory=list)
    """Groups holding dotted numbers to spell as letters (``.22`` → ``V``; ZTE model suffixes)."""
    when: Condition | None = None
    """Use this source only when the condition holds."""
    weak: Regex | None = None
    """A value matching this gives way to any later source that yields."""
    fallback: bool = False
    """Consulted only when no other source yielded."""
    append: bool = False
    """Adds its text to the value the other sources found (format it with its leading blank)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [
            k for k in ("oid", "first_under", "join", "regex", "product_table") if getattr(self, k)
        ]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of oid, first_under, join, regex, product_table"
                + (f" (got {', '.join(kinds)})" if kinds else "")
            )
        groups = set(re.compile(self.regex).groupindex) if self.regex else set()
        for _, name, _, _ in string.Formatter().parse(self.format):
            if name is not None and name != "value" and name not in groups:
                raise ValueError(f"format names {{{name}}}, which the regex does not capture")
        for name in self.letters:
            if name not in groups:
                raise ValueError(f"letters names {name!r}, which the regex does not capture")
        return self

    def oids(self) -> list[str]:
        """Instances to GET before this source can be evaluated."""
        wanted = [self.oid] if self.oid else list(self.join or [])
        if self.when is not None:
            wanted.append(self.when.oid)
        return wanted


class IdentityRules(_Strict):
    """Each field's sources, in order (see the module docstring)."""

    hardware: list[Source] = Field(default_factory=list)
    version: list[Source] = Field(default_factory=list)
    serial: list[Source] = Field(default_factory=list)

    def _all(self) -> list[Source]:
        return [*self.hardware, *self.version, *self.serial]

    def oids(self) -> list[str]:
        """Instances to GET before the rules can be evaluated."""
        return sorted({oid for s in self._all() for oid in s.oids()}, key=oid_key)

    def walks(self) -> list[str]:
        """Columns to walk before the rules can be evaluated."""
        return sorted({s.first_under for s in self._all() if s.first_under}, key=oid_key)


# ---------------------------------------------------------------- health


class HealthSource(_Strict):
    """One way of reading a percentage; exactly one kind is given."""

    column: Oid | None = None
    """Walk a column of percentages and reduce it (``reduce``)."""
    reduce: Literal["max", "average"] = "max"
    used: Oid | None = None
    """With ``free``: columns of bytes in use and free; the fullest row's percentage."""
    free: Oid | None = None
    total: Oid | None = None
    """With ``unused``: scalars; the percentage of ``total`` not in the ``unused`` ones (UCD)."""
    unused: list[Oid] = Field(default_factory=list)
    storage_type: Oid | None = None
    """hrStorage: the row whose type is this (hrStorageRam); used / size."""

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [
            self.column is not None,
            self.used is not None or self.free is not None,
            self.total is not None,
            self.storage_type is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of column, used+free, total+unused, storage_type")
        if (self.used is None) != (self.free is None):
            raise ValueError("used and free go together")
        if self.total is not None and not self.unused:
            raise ValueError("total needs unused")
        return self


class UptimeSource(_Strict):
    oid: Oid
    scale: float = 0.01
    """Seconds per unit (TimeTicks are hundredths)."""


class HealthRules(_Strict):
    cpu: list[HealthSource] = Field(default_factory=list)
    memory: list[HealthSource] = Field(default_factory=list)
    uptime: list[UptimeSource] = Field(default_factory=lambda: [UptimeSource(oid=SYS_UPTIME)])


# ---------------------------------------------------------------- profile and tables


class Profile(_Strict):
    os: str = Field(pattern=r"^[a-z0-9_]+$")
    vendor: str
    platform: Platform
    text: str
    priority: int = 50
    """Lower is tried first: specific families before general ones that also match them."""
    detect: list[Detection] = Field(min_length=1)
    identity: IdentityRules = IdentityRules()
    health: HealthRules = HealthRules()

    def matches(self, sys_object_id: str, sys_descr: str) -> bool:
        return any(d.matches(sys_object_id, sys_descr) for d in self.detect)


class ProductTable(_Strict):
    """sysObjectID → product name under one root (a vendor's products MIB)."""

    root: Oid
    products: dict[int, str]

    def name_of(self, sys_object_id: str) -> str | None:
        if not is_under(sys_object_id, self.root):
            return None
        rest = sys_object_id[len(self.root) + 1 :]
        return self.products.get(int(rest)) if rest.isdigit() else None


CounterKind = Literal["text", "integer", "enum", "gauge", "counter32", "counter64"]
CounterName = Literal[
    "in_octets",
    "out_octets",
    "in_ucast_pkts",
    "out_ucast_pkts",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
]


class InterfaceColumn(_Strict):
    oid: Oid
    kind: CounterKind
    scope: Literal["discovery", "counters", "probe"]
    """``counters`` columns are read on every poll, ``discovery`` ones on full reads, ``probe`` ones
    only when everything is asked for."""


class InterfaceTable(_Strict):
    """The IF-MIB columns, what kind of number each holds, and which columns feed which counter."""

    columns: dict[str, InterfaceColumn]
    counters: dict[CounterName, list[str]]
    """Each counter's columns, preferred first (the 64-bit HC column, then the 32-bit one)."""

    @model_validator(mode="after")
    def _known_columns(self) -> Self:
        for counter, names in self.counters.items():
            for name in names:
                column = self.columns.get(name)
                if column is None:
                    raise ValueError(f"counter {counter} names unknown column {name!r}")
                if column.kind not in ("counter32", "counter64"):
                    raise ValueError(f"counter {counter}: column {name!r} is a {column.kind}")
        return self


@dataclass(frozen=True)
class ProfileSet:
    """Every profile, in detection order, with the shared tables."""

    profiles: tuple[Profile, ...]
    products: Mapping[str, ProductTable]
    interfaces: InterfaceTable

    def detect(self, sys_object_id: str | None, sys_descr: str | None) -> Profile | None:
        """The first profile (by priority) that recognises the device; ``None`` for strangers."""
        oid = (sys_object_id or "").lstrip(".")
        descr = sys_descr or ""
        return next((p for p in self.profiles if p.matches(oid, descr)), None)

    def by_os(self, os: str) -> Profile:
        for profile in self.profiles:
            if profile.os == os:
                return profile
        raise ConfigError(f"no SNMP profile for OS {os!r}")

    def for_platform(self, platform: Platform) -> Profile:
        """The most general profile of ``platform`` (its health sources serve the whole family)."""
        candidates = [p for p in self.profiles if p.platform == platform]
        if not candidates:
            raise ConfigError(f"no SNMP profile for platform {platform.value!r}")
        return max(candidates, key=lambda p: p.priority)


def load_profile_set(directory: Path = PROFILE_DIR) -> ProfileSet:
    """Read and validate every file in ``directory``; :class:`ConfigError` names file and field."""
    profiles: list[Profile] = []
    products: dict[str, ProductTable] = {}
    interfaces: InterfaceTable | None = None
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "_interfaces.yaml":
            interfaces = _load(path, InterfaceTable)
        elif path.name.startswith("_"):
            products[path.stem.lstrip("_")] = _load(path, ProductTable)
        else:
            profile = _load(path, Profile)
            if profile.os != path.stem:
                raise ConfigError(
                    f"bad SNMP profile {path}: os {profile.os!r} must match file name"
                )
            profiles.append(profile)
    if interfaces is None:
        raise ConfigError(f"bad SNMP profiles in {directory}: _interfaces.yaml is missing")
    for profile in profiles:
        for rules in (profile.identity.hardware, profile.identity.version):
            for source in rules:
                if source.product_table and source.product_table not in products:
                    name = source.product_table
                    raise ConfigError(
                        f"bad SNMP profile {directory / (profile.os + '.yaml')}: "
                        f"product_table {name!r} has no _{name}.yaml"
                    )
    profiles.sort(key=lambda p: (p.priority, p.os))
    return ProfileSet(tuple(profiles), products, interfaces)


@cache
def default_profiles() -> ProfileSet:
    """The profiles shipped with ssnoc (read once per process)."""
    return load_profile_set()


def _load(path: Path, model: type[M]) -> M:
    try:
        return load_located_yaml(path).validate(model)
    except NocError as exc:
        raise ConfigError(f"bad SNMP profile {exc}") from None
