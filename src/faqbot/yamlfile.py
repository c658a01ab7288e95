"""Reading YAML by hand-edited files with the line of every value kept, and checking their shape.

Curators edit the knowledge base in a text editor, so every complaint must name `file:line`. PyYAML's
node tree knows the lines; this module turns it into plain dicts and lists that remember them, and a
`Reader` that checks fields and collects problems instead of stopping at the first.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: large bases load fast
_constructor = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"


class LDict(dict):
    """A mapping from YAML that knows its own line and the line of each key."""

    line: int = 0
    lines: dict[str, int]


class LList(list):
    """A sequence from YAML that knows its own line and the line of each item."""

    line: int = 0
    lines: list[int]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed file: its data (None when unreadable) and the problems found while reading it."""

    data: Any
    problems: list[Problem]


def read_yaml(path: Path, rel: str) -> YamlDoc:
    """Parse `path`; syntax errors, bad encodings and duplicate keys become problems at their line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return YamlDoc(None, [Problem(rel, 1, f"cannot read file: {exc.strerror or exc}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return YamlDoc(None, [Problem(rel, line, message)])
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # At the end of the file the problem mark is past the last line; the context (e.g. "while
        # scanning a quoted scalar") points where the mistake starts.
        at_end = exc.problem_mark is not None and exc.problem_mark.index >= len(text) - 1
        mark = exc.context_mark if (at_end and exc.context_mark) else (exc.problem_mark or exc.context_mark)
        line = min(mark.line + 1, text.count("\n") + 1) if mark else 1
        what = exc.problem or "invalid YAML"
        if exc.context and at_end:
            what = f"{what} {exc.context} (is a quote left open?)"
        return YamlDoc(None, [Problem(rel, line, f"YAML syntax error: {what}")])
    except yaml.YAMLError as exc:
        return YamlDoc(None, [Problem(rel, 1, f"YAML error: {exc}")])
    problems: list[Problem] = []
    data = _convert(node, rel, problems) if node is not None else None
    return YamlDoc(data, problems)


def read_required(base: Path, rel: str, problems: list[Problem]) -> Any:
    """The data of a file the knowledge base cannot do without, or None; its problems join `problems`."""
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    if doc.data is None and not doc.problems:
        problems.append(Problem(rel, 1, "file is empty"))
    return doc.data


def _convert(node: yaml.Node, rel: str, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, rel, problems)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                problems.append(Problem(rel, line, f"keys must be text, not {_kind(key)}"))
                continue
            if key in out:
                problems.append(Problem(rel, line, f"duplicate key '{key}' (first at line {out.lines[key]})"))
                continue
            out[key] = _convert(value_node, rel, problems)
            out.lines[key] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line = node.start_mark.line + 1
        seq.lines = []
        for item in node.value:
            seq.append(_convert(item, rel, problems))
            seq.lines.append(item.start_mark.line + 1)
        return seq
    if node.tag == _STR_TAG:
        return node.value
    try:
        return _constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(Problem(rel, node.start_mark.line + 1, f"cannot read value: {exc}"))
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# Field kinds a Reader checks. Each maps to (test, description for messages).
_KINDS: dict[str, tuple[Any, str]] = {
    "text": (lambda v: isinstance(v, str) and v.strip() != "", "non-empty text"),
    "str": (lambda v: isinstance(v, str), "text"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "texts": (lambda v: isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v),
              "a list of non-empty texts"),
    "numbers": (lambda v: isinstance(v, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in v), "a list of numbers"),
    "mapping": (lambda v: isinstance(v, dict), "a mapping of keys to values"),
    "list": (lambda v: isinstance(v, list), "a list"),
}


class Reader:
    """Checks the fields of one file's mappings, collecting a located problem for each fault."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel, line, message))

    def fields(self, data: Any, where: str, required: dict[str, str], optional: dict[str, str] | None = None,
               line: int | None = None) -> dict[str, Any] | None:
        """Return the valid known fields of mapping `data`; report missing, mistyped and unknown keys.

        Fields that fail their check are left out of the result, so callers can go on checking the rest.
        """
        optional = optional or {}
        at = line if line is not None else getattr(data, "line", 1)
        if not isinstance(data, dict):
            self.error(at, f"{where}: expected a mapping with keys {', '.join(required)}, found {_kind(data)}")
            return None
        lines = getattr(data, "lines", {})
        out: dict[str, Any] = {}
        known = {**required, **optional}
        for key in data:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                tip = f" (did you mean '{hint[0]}'?)" if hint else f" (known keys: {', '.join(known)})"
                self.error(lines.get(key, at), f"{where}: unknown key '{key}'{tip}")
        for key, kind in known.items():
            if key not in data:
                if key in required:
                    self.error(at, f"{where}: missing '{key}' ({_KINDS[kind][1]})")
                continue
            value = data[key]
            test, description = _KINDS[kind]
            if kind == "texts" and isinstance(value, list) and not test(value):
                self._bad_item(value, lines.get(key, at), where, key)
                continue
            if not test(value):
                self.error(lines.get(key, at), f"{where}: '{key}' must be {description}, found {_kind(value)}")
                continue
            out[key] = value
        return out

    def _bad_item(self, items: list, line: int, where: str, key: str) -> None:
        """Name the first item of a text list that is not text, at its own line."""
        item_lines = getattr(items, "lines", [])
        for i, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                continue
            at = item_lines[i] if i < len(item_lines) else line
            hint = " (a ': ' in it makes YAML read a mapping: put the text in quotes)" if isinstance(item, dict) else ""
            self.error(at, f"{where}: '{key}' item {i + 1} must be non-empty text, found {_kind(item)}{hint}")
            return

    def top_list(self, data: Any, key: str) -> list[tuple[Any, int]]:
        """The items of the top-level list `key:` with their lines; reports a missing or wrong top level."""
        if data is None:
            self.error(1, f"file is empty: expected a top-level '{key}:' list")
            return []
        found = self.fields(data, "top level", {key: "list"})
        if not found:
            return []
        items = found[key]
        return list(zip(items, getattr(items, "lines", [getattr(items, "line", 1)] * len(items)), strict=False))


def line_of(data: Any, key: str, default: int = 1) -> int:
    """The line of `key` inside a mapping read by `read_yaml`, or `default`."""
    return getattr(data, "lines", {}).get(key, getattr(data, "line", default))
