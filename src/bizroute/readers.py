"""Read request records from files: errors as values, one result per record, in order.

Each reader yields :class:`Record` objects: the record's data, or the error that stopped it
from being read, with its position (line, and column where known). A broken record never stops
the others; nothing is skipped silently.

Formats: JSON Lines, a JSON array or single object, YAML (one document, a list, or several
documents) and CSV (dotted column names become nested fields). Text may be UTF-8 (with or
without BOM) or GB18030; ``encoding`` forces one.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from .yamlsource import load_yaml_text

InputFormat = Literal["auto", "jsonl", "json", "yaml", "csv"]
FORMATS: tuple[str, ...] = ("auto", "jsonl", "json", "yaml", "csv")
_SNIFF_BYTES = 64 * 1024
#: A longer line is reported as an error without being parsed (and without being kept).
MAX_RECORD_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Record:
    """One input record: ``data`` or ``error``, never both."""

    index: int  # 1-based record number
    line: int  # 1-based line where the record starts (0 if unknown)
    column: int | None
    data: Any = None
    error: str | None = None
    source: str = "-"

    @property
    def position(self) -> str:
        if self.line:
            col = f":{self.column}" if self.column else ""
            return f"{self.source}:{self.line}{col}"
        return f"{self.source}: record {self.index}"


class ReadError(Exception):
    """The input as a whole cannot be read (no such file, not text in any known encoding)."""


def detect_format(name: str, head: bytes) -> InputFormat:
    lower = name.lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"),
                        (".yaml", "yaml"), (".yml", "yaml")):
        if lower.endswith(suffix):
            return fmt  # type: ignore[return-value]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        # several lines that each start an object: JSON Lines; otherwise one JSON object
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.startswith(b"{") for ln in lines[:3]) and lines[0].endswith(
                b"}"):
            return "jsonl"
        return "json"
    if lower.endswith(".json"):
        return "json"
    return "yaml"


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` for a BOM, ``utf-8`` when the head decodes, else ``gb18030``."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the sniff boundary
            return "utf-8"
        try:
            head.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            return "utf-8"


def read_records(path: str | Path, fmt: InputFormat = "auto", encoding: str | None = None,
                 stdin: IO[bytes] | None = None) -> Iterator[Record]:
    """Records of a file (or ``-`` for ``stdin``), streamed."""
    name = str(path)
    if name == "-":
        if stdin is None:
            raise ReadError("no standard input")
        stream: IO[bytes] = stdin
        display = "<stdin>"
    else:
        try:
            stream = open(name, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ReadError(f"{name}: {exc.strerror or exc}") from None
        display = name
    try:
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(
            stream)  # type: ignore[type-var]
        head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        enc = encoding or detect_encoding(head)
        kind = detect_format(display if fmt == "auto" else f".{fmt}", head) \
            if fmt == "auto" else fmt
        if kind == "jsonl":
            yield from _read_jsonl(buffered, enc, display)
        elif kind == "csv":
            yield from _read_csv(buffered, enc, display)
        else:
            yield from _read_whole(buffered, enc, display, kind)
    finally:
        if name != "-":
            stream.close()


def _decode(raw: bytes, enc: str) -> str:
    if enc == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    return raw.decode("utf-8" if enc == "utf-8-sig" else enc)


def _read_jsonl(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    index = 0
    for lineno, raw in enumerate(_lines(stream), start=1):
        if isinstance(raw, int):  # an over-long line, skipped by length only
            index += 1
            yield Record(index, lineno, 1, error=f"line is longer than {MAX_RECORD_BYTES:,} "
                         f"bytes ({raw:,})", source=display)
            continue
        if not raw.strip():
            continue
        index += 1
        try:
            text = _decode(raw, enc)
        except UnicodeDecodeError as exc:
            yield Record(index, lineno, exc.start + 1, error=f"not valid {enc} text "
                         f"(byte {raw[exc.start]:#04x}); try --encoding", source=display)
            continue
        try:
            data = json.loads(text.rstrip("\r\n"))  # a column past the end, not on the next line
        except json.JSONDecodeError as exc:
            yield Record(index, lineno, exc.colno, error=f"invalid JSON: {exc.msg}",
                         source=display)
            continue
        yield Record(index, lineno, 1, data=data, source=display)


def _lines(stream: IO[bytes]) -> Iterator[bytes | int]:
    """Lines as bytes; a line over the limit becomes its length, never held in memory."""
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            size = len(line)
            while True:
                more = stream.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield size
            continue
        yield line


def _read_whole(stream: IO[bytes], enc: str, display: str, kind: str) -> Iterator[Record]:
    raw = stream.read()
    try:
        text = _decode(raw, enc)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReadError(f"{display}:{line}: not valid {enc} text; try --encoding") from None
    if kind == "yaml":
        yield from _read_yaml(text, display)
    else:
        yield from _read_json(text, display)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _read_json(text: str, display: str) -> Iterator[Record]:
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text):
        raise ReadError(f"{display}: the file is empty")
    if text[pos] != "[":
        try:
            data, _end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield Record(1, exc.lineno, exc.colno, error=f"invalid JSON: {exc.msg}",
                         source=display)
            return
        line, col = _line_col(text, pos)
        yield Record(1, line, col, data=data, source=display)
        return
    # an array: decode element by element so each keeps its position and one bad element
    # costs only itself (we resynchronise at the next top-level comma)
    pos += 1
    index = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            index += 1
            line, col = _line_col(text, pos)
            yield Record(index, line, col, error="the array is not closed (missing ']')",
                         source=display)
            return
        if text[pos] == "]":
            return
        index += 1
        line, col = _line_col(text, pos)
        try:
            data, pos = decoder.raw_decode(text, pos)
            yield Record(index, line, col, data=data, source=display)
        except json.JSONDecodeError as exc:
            yield Record(index, exc.lineno, exc.colno, error=f"invalid JSON: {exc.msg}",
                         source=display)
            pos = _next_element(text, pos)
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] not in "]":
            pos = _next_element(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _next_element(text: str, pos: int) -> int:
    """Position of the next comma or closing bracket at depth 0, skipping strings."""
    depth = 0
    in_string = False
    i = pos
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "," and depth == 0:
            return i
        i += 1
    return i


def _read_yaml(text: str, display: str) -> Iterator[Record]:
    data, smap, findings = load_yaml_text(text, display)
    if findings:
        f = findings[0]
        yield Record(1, f.line, f.column, error=f.message, source=display)
        return
    if data is None:
        raise ReadError(f"{display}: the file is empty")
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, start=1):
        span = smap.value((i - 1,) if isinstance(data, list) else ())
        line, col = (span.line, span.column) if span else (0, None)
        yield Record(i, line, col, data=item, source=display)


_BAD_LINE = "\x00bizroute-unreadable-line\x00"


def _read_csv(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    problems: dict[int, str] = {}

    def decoded() -> Iterator[str]:
        # decode line by line so that one undecodable line costs only its own record
        for lineno, raw in enumerate(_lines(stream), start=1):
            if isinstance(raw, int):
                problems[lineno] = f"line is longer than {MAX_RECORD_BYTES:,} bytes ({raw:,})"
                yield _BAD_LINE + "\n"
                continue
            try:
                yield _decode(raw, enc)
            except UnicodeDecodeError as exc:
                problems[lineno] = (f"not valid {enc} text (byte {raw[exc.start]:#04x}); "
                                    "try --encoding")
                yield _BAD_LINE + "\n"

    reader = csv.reader(decoded())
    try:
        header = next(reader)
    except StopIteration:
        raise ReadError(f"{display}: the file is empty") from None
    if header == [_BAD_LINE]:
        raise ReadError(f"{display}:1: {problems.get(1, 'unreadable header')}")
    header = [h.strip() for h in header]
    index = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            index += 1
            yield Record(index, reader.line_num, None, error=f"invalid CSV: {exc}",
                         source=display)
            continue
        line = reader.line_num
        if row == [_BAD_LINE]:
            index += 1
            yield Record(index, line, 1, error=problems.get(line, "unreadable line"),
                         source=display)
            continue
        if not any(cell.strip() for cell in row):
            continue
        index += 1
        if len(row) > len(header):
            yield Record(index, line, len(header) + 1,
                         error=f"row has {len(row)} columns; the header has {len(header)}",
                         source=display)
            continue
        yield Record(index, line, 1, data=nest({h: v for h, v in zip(header, row, strict=False)
                                                 if h and v != ""}), source=display)


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"customer.type": "x"}`` → ``{"customer": {"type": "x"}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    return out
