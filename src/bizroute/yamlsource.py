"""Read YAML into plain Python data plus a map of source positions, constructing nothing.

The file is *composed* (parsed to a node graph) by ruamel.yaml's round-trip machinery and
turned into ``dict``/``list``/scalars here, so:

* no tag other than the plain YAML ones is ever honoured (``!!python/object`` is a finding);
* duplicate keys are reported at the second key;
* aliases are expanded against a node budget, so an alias bomb fails fast;
* every key and value keeps its 1-based line and column in a :class:`SourceMap`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .codes import make_finding
from .findings import Finding

try:  # the C parser ships in the ruamel.yaml.clib wheel
    from _ruamel_yaml import CParser  # noqa: F401

    _HAVE_CLIB = True
except ImportError:  # pragma: no cover - pure-Python fallback
    _HAVE_CLIB = False

#: The most nodes one file may expand to, aliases included (a billion-laughs file needs 10**9).
NODE_BUDGET = 1_000_000
#: The largest pack file read, in bytes.
MAX_FILE_BYTES = 16 * 1024 * 1024

_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {
    f"{_YAML_TAG}{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "omap")
}
_MERGE_TAG = f"{_YAML_TAG}merge"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based source span; ``file`` is set where spans of several files meet (overlays)."""

    line: int
    column: int
    end_line: int
    end_column: int
    file: str | None = None


@dataclass(slots=True)
class SourceMap:
    """Positions of the values (and mapping keys) of one YAML document, by path."""

    file: str
    values: dict[Path_, Span] = field(default_factory=dict)
    keys: dict[Path_, Span] = field(default_factory=dict)

    def value(self, path: Path_) -> Span | None:
        """Where the value at ``path`` is, or the nearest enclosing value that has a position."""
        while True:
            span = self.values.get(path)
            if span is not None or not path:
                return span
            path = path[:-1]

    def key(self, path: Path_) -> Span | None:
        """Where the key that leads to ``path`` is (the value's position for list items)."""
        return self.keys.get(path) or self.value(path)


class _BudgetExceeded(Exception):
    pass


class _Reject(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def _tag_of(node: Node) -> str:
    """The node's full tag; resolved (implicit) tags are read without ruamel's costly str()."""
    ctag = getattr(node, "ctag", None)
    if ctag is not None and getattr(ctag, "handle", True) is None and isinstance(ctag.suffix, str):
        return str(ctag.suffix)
    tag = node.tag
    return tag if isinstance(tag, str) else str(tag)


def _span(node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


_INT_RE = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.smap = SourceMap(file)
        self.nodes = 0

    def reject(self, code: str, node: Node, message: str) -> _Reject:
        s = _span(node)
        return _Reject(make_finding(code, message, self.file, s.line, s.column))

    def build(self, node: Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            raise _BudgetExceeded
        self.smap.values.setdefault(path, _span(node))
        tag = _tag_of(node)
        if tag not in _PLAIN_TAGS and tag != _MERGE_TAG:
            raise self.reject(
                "BR003",
                node,
                f"tag {tag.replace(_YAML_TAG, '!!')!r} is not allowed; "
                "pack files hold plain data only (strings, numbers, booleans, dates, lists, maps)",
            )
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if getattr(key_node, "tag", None) == _MERGE_TAG or key_node.value == "<<":
                    raise self.reject("BR010", key_node, "merge keys ('<<') are not supported")
                if not isinstance(key_node, ScalarNode):
                    raise self.reject("BR103", key_node, "a mapping key must be a plain scalar")
                key = str(key_node.value)
                if key in out:
                    first = self.smap.keys.get((*path, key))
                    where = f" (first at line {first.line})" if first else ""
                    raise self.reject("BR002", key_node, f"duplicate key {key!r}{where}")
                self.smap.keys[(*path, key)] = _span(key_node)
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node, tag)

    def scalar(self, node: ScalarNode, tag: str) -> Any:
        text: str = node.value
        kind = tag[len(_YAML_TAG) :]
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() in ("true", "yes", "on")
        if kind == "int":
            cleaned = text.replace("_", "")
            try:
                if cleaned.lower().startswith(("0x", "-0x", "+0x")):
                    return int(cleaned, 16)
                if cleaned.lower().startswith(("0o", "-0o", "+0o")):
                    return int(cleaned, 8)
                return int(cleaned, 10)
            except ValueError:
                return text
        if kind == "float":
            lowered = text.lower().replace("_", "")
            if lowered in (".nan",):
                return math.nan
            if lowered in (".inf", "+.inf"):
                return math.inf
            if lowered == "-.inf":
                return -math.inf
            try:
                return float(lowered)
            except ValueError:
                return text
        if kind == "timestamp":
            try:
                if len(text) == 10:
                    return dt.date.fromisoformat(text)
                return dt.datetime.fromisoformat(text.replace(" ", "T").replace("t", "T"))
            except ValueError:
                return text
        return text


def _composer() -> YAML:
    """A fresh YAML instance for composing: libyaml's parser when ruamel.yaml.clib is installed
    (about four times faster on large packs), else the pure-Python round-trip parser. Both
    resolve plain scalars by YAML 1.2 and give nodes with marks; we never construct from them."""
    if _HAVE_CLIB:
        return YAML(typ="safe", pure=False)
    return YAML(typ="rt", pure=True)


def _expanded_size(node: Node, memo: dict[int, int], active: set[int]) -> int:
    """How many nodes ``node`` becomes once every alias is expanded (capped past the budget)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise RecursionError("a node contains itself")
    active.add(key)
    total = 1
    if isinstance(node, MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, active) + _expanded_size(v, memo, active)
            if total > NODE_BUDGET:
                break
    elif isinstance(node, SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, active)
            if total > NODE_BUDGET:
                break
    active.discard(key)
    memo[key] = total
    return total


MAX_YAML_DEPTH = 200
"""Brackets open at once, or columns of indentation, beyond which a YAML file is refused before
it is parsed: the parser recurses once per level, and some thousands of levels overflow the C
stack (a crash, not an error). No pack or request comes near it."""

_BRACKET = re.compile(r"[\[\]{}]")
_DEEP_INDENT = re.compile(rf"^[ \t-]{{{2 * MAX_YAML_DEPTH},}}", re.MULTILINE)


def _nesting_too_deep(text: str) -> tuple[int, int, str] | None:
    """Where the text nests deeper than :data:`MAX_YAML_DEPTH`: line, column and message.

    Brackets inside quoted strings are counted too: that overstates the depth of flow
    collections only for text no request or pack carries (hundreds of brackets in a row).
    """
    depth = 0
    for m in _BRACKET.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_YAML_DEPTH:
            return (*_line_col(text, m.start()), f"nested deeper than {MAX_YAML_DEPTH} levels "
                    "of brackets; refused before parsing")
    deep = _DEEP_INDENT.search(text)
    if deep is not None:
        return (*_line_col(text, deep.start()), f"indented more than {2 * MAX_YAML_DEPTH} "
                "columns (nested too deep); refused before parsing")
    return None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, pos) + 1
    return text.count("\n", 0, pos) + 1, pos - line_start + 1


def load_yaml_text(text: str, file: str) -> tuple[Any, SourceMap, list[Finding]]:
    """Parse one YAML document into plain data. Returns ``(data, source_map, findings)``.

    On a finding the data is ``None``; the findings say why, with positions.
    """
    builder = _Builder(file)
    too_deep = _nesting_too_deep(text)
    if too_deep is not None:
        line, col, what = too_deep
        return None, builder.smap, [make_finding("BR001", what, file, line, col)]
    yaml = _composer()
    try:
        node = yaml.compose(StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        context = ""
        if exc.context and exc.problem:
            context = f" ({exc.context}"
            cmark = exc.context_mark
            if cmark is not None and cmark is not mark:
                context += f" that starts at line {cmark.line + 1}, column {cmark.column + 1}"
            context += ")"
        return None, builder.smap, [make_finding("BR001", f"{problem}{context}", file, line, col)]
    except YAMLError as exc:
        return None, builder.smap, [make_finding("BR001", str(exc).strip(), file, 0, 0)]
    if node is None:
        return None, builder.smap, []
    try:
        # measured before building: aliases are shared nodes, so this is cheap even for a bomb;
        # a text without '&' has no anchors, hence no aliases, and cannot expand
        if "&" in text and _expanded_size(node, {}, set()) > NODE_BUDGET:
            raise _BudgetExceeded
        data = builder.build(node, ())
    except _Reject as rejected:
        return None, builder.smap, [rejected.finding]
    except _BudgetExceeded:
        return None, builder.smap, [
            make_finding(
                "BR004",
                f"the document expands to more than {NODE_BUDGET:,} nodes (alias abuse?)",
                file,
                1,
                1,
            )
        ]
    except RecursionError:
        return None, builder.smap, [
            make_finding("BR004", "the document nests too deeply or refers to itself", file, 1, 1)
        ]
    return data, builder.smap, []


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode text that may be UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    Returns ``(text, encoding)``; raises ``UnicodeDecodeError`` when none fits.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise utf8_error from None


def load_yaml_file(path: Path, display: str) -> tuple[Any, SourceMap, list[Finding]]:
    """Read and parse one pack file; unreadable or undecodable files become findings."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, SourceMap(display), [
                make_finding("BR005", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                             display, 0, 0)
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, SourceMap(display), [
            make_finding("BR005", f"cannot read file: {exc.strerror or exc}", display, 0, 0)
        ]
    try:
        text, _ = decode_bytes(raw)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, SourceMap(display), [
            make_finding("BR005", "file is neither UTF-8 nor GB18030 text", display, line, col)
        ]
    return load_yaml_text(text, display)


def iter_pack_files(root: Path) -> Iterator[Path]:
    """Every ``.yaml``/``.yml`` file under ``root`` in sorted order, skipping hidden ones."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file():
            yield path
