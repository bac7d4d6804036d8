"""The declaration files as read: their data, and the line where each key was written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Source:
    """One declaration file: its data, and the YAML nodes that tell the line of each key."""

    path: Path
    data: Any
    root: Node | None

    @property
    def shown(self) -> str:
        return shown_path(self.path)

    def line(self, loc: tuple[Any, ...] = ()) -> int:
        """Return the line of the deepest key of a path through the document that was written."""
        node, line = self.root, 1 if self.root is None else self.root.start_mark.line + 1
        for part in loc:
            if isinstance(part, str) and (part.startswith("<") or part == "[key]"):
                continue  # a kind or a target's form, or pydantic's mark of a mapping key: not written
            if isinstance(node, MappingNode):
                found = next(
                    ((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)), None
                )
                if found is None:
                    break
                node, line = found[1], found[0].start_mark.line + 1
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def at(self, loc: tuple[Any, ...] = ()) -> str:
        return f"{self.shown}:{self.line(loc)}"


def shown_path(path: Path) -> str:
    """Return a path as a problem names it: relative to the working directory when it lies within."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path) -> tuple[Source, list[str]]:
    """Read a YAML file with the line of each node; return it with its syntax problems and repeated keys."""
    shown = shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return Source(path, None, None), [f"{shown}:1: cannot read: {error}"]
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return Source(path, None, None), [f"{shown}:{mark.line + 1 if mark else 1}: not YAML: {error.problem}"]
    except yaml.YAMLError as error:
        return Source(path, None, None), [f"{shown}:1: not YAML: {error}"]
    finally:
        loader.dispose()
    if root is None:
        return Source(path, None, None), [f"{shown}:1: empty: nothing is declared"]
    return Source(path, data, root), [f"{shown}:{line}: {why}" for line, why in repeated_keys(root)]


def repeated_keys(node: Node | None) -> Iterator[tuple[int, str]]:
    """Yield every key written twice in one mapping (YAML would keep the last one silently)."""
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first:
                    yield line, f"key {key.value!r} written twice (first on line {first[key.value]})"
                first.setdefault(key.value, line)
            yield from repeated_keys(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from repeated_keys(item)
