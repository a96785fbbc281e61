"""YAML files that remember where each value came from, so errors can name the line.

PyYAML's composer keeps a mark on every node; we build plain Python data from the node tree and a
map from each value's path (``("devices", 3, "platform")``) to its 1-based line. A validation error
at a path that is missing (a required field left out) is reported at the line of its parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.errors import InventoryError

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class LocatedYaml:
    """Plain data loaded from a YAML file, with the line of every value."""

    def __init__(self, path: Path, data: Any, lines: dict[PathKey, int]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    def line_of(self, key: Sequence[str | int]) -> int | None:
        """The line of the value at ``key``, or of its nearest ancestor that exists."""
        probe = tuple(key)
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return self._lines.get((), None)

    def error(self, key: Sequence[str | int], reason: str) -> InventoryError:
        """An :class:`InventoryError` pointing at ``key``."""
        return InventoryError(str(self.path), self.line_of(key), format_path(key) or None, reason)

    def validate(self, model: type[M], *, echo_input: bool = True) -> M:
        """Validate the whole document as ``model``; the first error names file, line and field.

        ``echo_input=False`` keeps the offending value out of the message (credentials files).
        """
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = _data_path(self.data, first["loc"])
            given = first.get("input") if echo_input else None
            raise self.error(loc, _reason(first["msg"], given)) from None


def _data_path(data: Any, loc: Sequence[Any]) -> list[str | int]:
    """The part of a pydantic error location that names real places in the document.

    Locations inside unions carry the member's tag (``lax-or-strict[…]``, a discriminator value),
    which is skipped; a missing field, always last, is named although absent.
    """
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        if isinstance(current, dict) and isinstance(part, str):
            if part in current:
                path.append(part)
                current = current[part]
            elif position == len(loc) - 1:
                path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        else:
            break
    return path


def _reason(message: str, given: object) -> str:
    if isinstance(given, str | int | float):
        return f"{message} (got {given!r})"
    return message


def format_path(key: Sequence[str | int]) -> str:
    """``("devices", 3, "platform")`` → ``devices[3].platform``."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def load_located_yaml(path: Path) -> LocatedYaml:
    """Read ``path``; a missing file or bad YAML raises :class:`InventoryError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(str(path), None, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(str(path), None, None, f"cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InventoryError(str(path), line, None, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(str(path), None, None, f"not valid YAML: {exc}") from None
    builder = _Builder(path)
    data = {} if node is None else builder.build(node, ())
    return LocatedYaml(path, data, builder.lines)


class _Builder:
    """Turns a composed node tree into plain data, recording each value's line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[PathKey, int] = {}
        self._constructor = yaml.SafeLoader(stream="")

    def build(self, node: yaml.Node, key: PathKey) -> Any:
        self.lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                name = self._scalar(key_node)
                child = (*key, str(name))
                if name in result:
                    line = key_node.start_mark.line + 1
                    raise InventoryError(str(self.path), line, format_path(child), "given twice")
                result[name] = self.build(value_node, child)
                self.lines[child] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*key, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            line = node.start_mark.line + 1
            raise InventoryError(str(self.path), line, None, "a key must be a plain value")
        return self._constructor.construct_object(node, deep=True)


def as_mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (for optional sections)."""
    return value if isinstance(value, Mapping) else {}
