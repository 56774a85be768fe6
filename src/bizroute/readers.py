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
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from .decision import _maker
from .yamlsource import load_yaml_text

InputFormat = Literal["auto", "jsonl", "json", "yaml", "csv"]
FORMATS: tuple[str, ...] = ("auto", "jsonl", "json", "yaml", "csv")
_SNIFF_BYTES = 64 * 1024
#: A longer line is reported as an error without being parsed (and without being kept).
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: YAML is read whole (it has no record boundaries to stream by); larger YAML is refused.
MAX_YAML_BYTES = 64 * 1024 * 1024


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


#: ``Record(index, line, column, data, error, source)``, every field given, built without the
#: frozen ``__init__``'s per-field ``object.__setattr__`` (a reader makes one per record).
make_record = _maker(Record)


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
                 stdin: IO[bytes] | None = None,
                 on_read: Callable[[int], None] | None = None) -> Iterator[Record]:
    """Records of a file (or ``-`` for ``stdin``), streamed. ``on_read`` is told how many
    bytes each read of the input returned (for progress)."""
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
        if on_read is not None:
            stream = _Counting(stream, on_read)  # type: ignore[assignment]
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
        elif kind == "yaml":
            yield from _read_yaml_stream(buffered, enc, display)
        else:
            yield from _read_json_stream(buffered, enc, display)
    finally:
        if name != "-":
            stream.close()


class _Counting(io.RawIOBase):
    """A raw stream that reports how many bytes each read returned."""

    def __init__(self, inner: IO[bytes], report: Callable[[int], None]) -> None:
        self.inner = inner
        self.report = report

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.report(n)
        return n


def _decode(raw: bytes, enc: str) -> str:
    if enc == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    return raw.decode("utf-8" if enc == "utf-8-sig" else enc)


#: Maps each digit to ``0`` and every other byte to ``.``: a line whose map holds
#: :data:`_LONG_DIGITS` has a run of 19 digits, which may be an integer orjson cannot hold.
_DIGIT_MAP = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
_LONG_DIGITS = b"0" * 19  # 2**63 has 19 digits


def _read_jsonl(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    """One record per non-blank line.

    A UTF-8 line goes straight to ``orjson.loads``, which checks the UTF-8 as it parses.
    Every line it refuses, and every line of another encoding, takes the precise path
    (:func:`_jsonl_record`), which decodes, parses with :mod:`json` and gives the error's
    position; so the records, the messages and what is accepted (``NaN``, ``Infinity``,
    integers of any size) are those of that path alone. orjson reads an integer beyond 64
    bits as a float instead of refusing it: a line with a run of 19 digits (a string of
    digits, or a large number) takes the precise path too.
    """
    fast = enc in ("utf-8", "utf-8-sig")
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    digit_map, long_digits = _DIGIT_MAP, _LONG_DIGITS
    readline = stream.readline
    index = lineno = 0
    while True:
        raw = readline(MAX_RECORD_BYTES + 1)
        if not raw:
            break
        lineno += 1
        if fast and len(raw) <= MAX_RECORD_BYTES and long_digits not in raw.translate(
                digit_map):
            try:
                data = loads(raw)
            except decode_error:
                pass
            else:
                index += 1
                yield make_record(index, lineno, 1, data, None, display)
                continue
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            index += 1  # an over-long line, skipped by length only
            size = _skip_line(stream, len(raw))
            yield make_record(index, lineno, 1, None, f"line is longer than "
                              f"{MAX_RECORD_BYTES:,} bytes ({size:,})", display)
            continue
        if not raw.strip():
            continue
        index += 1
        yield _jsonl_record(raw, enc, index, lineno, display)
    if index == 0:
        raise ReadError(f"{display}: the file is empty")


def _jsonl_record(raw: bytes, enc: str, index: int, lineno: int, display: str) -> Record:
    """The record of one line, read with :mod:`json`: its data, or its error and where."""
    try:
        text = _decode(raw, enc)
    except UnicodeDecodeError as exc:
        return Record(index, lineno, exc.start + 1, error=f"not valid {enc} text "
                      f"(byte {raw[exc.start]:#04x}); try --encoding", source=display)
    try:
        data = json.loads(text.rstrip("\r\n"))  # a column past the end, not on the next line
    except json.JSONDecodeError as exc:
        return Record(index, lineno, exc.colno, error=f"invalid JSON: {exc.msg}",
                      source=display)
    except RecursionError:
        return Record(index, lineno, 1, error=TOO_DEEP, source=display)
    return Record(index, lineno, 1, data=data, source=display)


TOO_DEEP = "invalid JSON: nested too deeply to be read"


def _lines(stream: IO[bytes]) -> Iterator[bytes | int]:
    """Lines as bytes; a line over the limit becomes its length, never held in memory."""
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            yield _skip_line(stream, len(line))
            continue
        yield line


def _skip_line(stream: IO[bytes], size: int) -> int:
    """Read past the rest of an over-long line (``size`` bytes of it read so far), a
    megabyte at a time; return the line's whole length."""
    while True:
        more = stream.readline(1 << 20)
        size += len(more)
        if not more or more.endswith(b"\n"):
            return size


def _read_yaml_stream(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    # YAML has no record boundaries a stream could cut at; it is read whole, within a limit
    raw = stream.read(MAX_YAML_BYTES + 1)
    if len(raw) > MAX_YAML_BYTES:
        raise ReadError(f"{display}: YAML input larger than {MAX_YAML_BYTES:,} bytes; "
                        "use JSON Lines or CSV for large inputs")
    if not raw.strip():
        raise ReadError(f"{display}: the file is empty")
    try:
        text = _decode(raw, enc)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReadError(f"{display}:{line}: not valid {enc} text; try --encoding") from None
    yield from _read_yaml(text, display)


# --- JSON: one value or an array, streamed element by element ---------------------------------

_CHUNK = 1 << 20
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes the decoder could not decode
_OUTSIDE = re.compile(r'["\[\]{},\n]')
_INSIDE = re.compile(r'["\\\n]')
_SPACE = " \t\r\n"


class _Extent:
    """Finds where one JSON array element ends (the ``,`` or ``]`` at depth 0), resuming where
    it stopped when more text arrives. A raw line break inside a string (invalid JSON) ends
    the string, so that one broken element does not swallow the elements after it."""

    def __init__(self, start: int, column: int = 1) -> None:
        self.at = start
        self.column = column  # where the element starts: a line starting '{' there is the next
        self.depth = 0
        self.in_string = False

    def shift(self, removed: int) -> None:
        self.at -= removed

    def find(self, buf: str) -> int | None:
        i = self.at
        n = len(buf)
        while i < n:
            if self.in_string:
                m = _INSIDE.search(buf, i)
                if m is None:
                    i = n
                    break
                ch = m.group()
                if ch == "\\":
                    if m.end() >= n:
                        i = m.start()
                        break  # the escaped character has not arrived yet
                    i = m.end() + 1
                    continue
                if ch == "\n":  # broken: the element ends with its line
                    self.in_string = False
                    self.depth = 0
                    self.at = m.start()
                    return m.start()
                self.in_string = False
                i = m.end()
                continue
            m = _OUTSIDE.search(buf, i)
            if m is None:
                i = n
                break
            ch = m.group()
            i = m.end()
            if ch == "\n":
                j = i
                while j < n and buf[j] in " \t\r":
                    j += 1
                if j >= n:
                    i = m.start()
                    break  # the next line has not arrived yet
                if buf[j] == "{" and j - m.start() <= self.column:
                    self.at = m.start()  # the next element begins: this one was cut short
                    return m.start()
            elif ch == '"':
                self.in_string = True
            elif ch in "[{":
                self.depth += 1
            elif self.depth == 0:
                self.at = m.start()
                return m.start()
            elif ch in "]}":
                self.depth -= 1
        self.at = i
        return None


class _JsonText:
    """Decoded text of a byte stream, read in chunks, with positions kept across chunks."""

    def __init__(self, stream: IO[bytes], enc: str) -> None:
        self.stream = stream
        codec = "utf-8" if enc in ("utf-8", "utf-8-sig") else enc
        self.decoder = codecs.getincrementaldecoder(codec)(errors="surrogateescape")
        self.buf = ""
        self.eof = False
        self.first = True
        self.undecodable = False
        # line and column (1-based) of buf[self.mark]
        self.mark = 0
        self.mark_line = 1
        self.mark_col = 1

    def more(self) -> bool:
        """Append the next chunk; ``False`` at the end of the input."""
        if self.eof:
            return False
        raw = self.stream.read(_CHUNK)
        if raw:
            text = self.decoder.decode(raw)
        else:
            self.eof = True
            text = self.decoder.decode(b"", final=True)
        if self.first and text:
            self.first = False
            text = text.removeprefix("\ufeff")
        if not self.undecodable and not text.isascii() and _SURROGATE.search(text):
            self.undecodable = True
        self.buf += text
        return True

    def skip_space(self, pos: int) -> int:
        """The next position that is not white space (reading on as needed); ``len(buf)``
        at the end of the input."""
        while True:
            n = len(self.buf)
            while pos < n and self.buf[pos] in _SPACE:
                pos += 1
            if pos < n or not self.more():
                return pos

    def where(self, pos: int) -> tuple[int, int]:
        """Line and column of ``buf[pos]`` (``pos`` at or after the mark)."""
        newlines = self.buf.count("\n", self.mark, pos)
        if not newlines:
            return self.mark_line, self.mark_col + pos - self.mark
        return self.mark_line + newlines, pos - self.buf.rfind("\n", self.mark, pos)

    def set_mark(self, pos: int) -> None:
        self.mark_line, self.mark_col = self.where(pos)
        self.mark = pos

    def drop(self, pos: int) -> int:
        """Forget the text before ``pos`` (which becomes the mark); return how much went."""
        self.set_mark(pos)
        self.buf = self.buf[pos:]
        self.mark = 0
        return pos


def _read_json_stream(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    """A JSON value (one record) or a JSON array (one record per element), streamed."""
    text = _JsonText(stream, enc)
    pos = text.skip_space(0)
    if pos >= len(text.buf):
        raise ReadError(f"{display}: the file is empty")
    if text.buf[pos] != "[":
        text.set_mark(pos)
        record, pos = _element(text, pos, 1, enc, display, top=True)
        yield record
        pos = text.skip_space(pos)
        if pos < len(text.buf):
            line, col = text.where(pos)
            yield Record(2, line, col, error="unexpected text after the JSON value "
                         "(several JSON objects? use JSON Lines: one object per line)",
                         source=display)
        return
    pos += 1
    index = 0
    cut_short = False  # the last element was broken off by the end of the input
    no_comma_before = False  # the next element follows the last one with no comma between
    while True:
        pos = text.skip_space(pos)
        if pos > _CHUNK:
            pos -= text.drop(pos)
        if pos >= len(text.buf):
            if cut_short:
                return  # that element's error already says the input ends there
            line, col = text.where(pos)
            yield Record(index + 1, line, col, error="the array is not closed (missing ']'): "
                         "the input may be cut short", source=display)
            return
        ch = text.buf[pos]
        if ch == "]":
            return
        if ch == "," and index:  # an empty element (",,"): report it, go on
            index += 1
            line, col = text.where(pos)
            yield Record(index, line, col, error="invalid JSON: an array element is missing",
                         source=display)
            pos += 1
            continue
        index += 1
        text.set_mark(pos)
        line, col = text.mark_line, text.mark_col
        record, pos = _element(text, pos, index, enc, display)
        broken = record.error is not None
        if no_comma_before:
            # the element is not trusted, but read past so that the rest of the array is not lost
            record = Record(index, line, col, error="invalid JSON: missing ',' between array "
                            "elements (before this element)", source=display)
        yield record
        pos = text.skip_space(pos)
        cut_short = broken and pos >= len(text.buf)
        # after a broken element the next one may well start without a comma: it was cut short
        no_comma_before = (not broken and pos < len(text.buf)
                           and text.buf[pos] not in ",]")
        if pos < len(text.buf) and text.buf[pos] == ",":
            pos += 1


def _element(text: _JsonText, pos: int, index: int, enc: str, display: str,
             top: bool = False) -> tuple[Record, int]:
    """Decode the value at ``pos``: the record and the position after it."""
    line, col = text.where(pos)
    extent = _Extent(pos, col)
    while True:
        buf = text.buf
        try:
            data, end = _DECODER.raw_decode(buf, pos)
        except RecursionError:
            stop = extent.find(buf)
            while stop is None and text.more():
                stop = extent.find(text.buf)
            return Record(index, line, col, error=TOO_DEEP, source=display), (
                len(text.buf) if stop is None else stop)
        except json.JSONDecodeError as exc:
            stop = extent.find(buf)
            if stop is None and not text.eof:
                if len(buf) - pos > MAX_RECORD_BYTES:
                    return _skip_long(text, pos, extent, index, line, col, display)
                text.more()
                continue
            if stop is None:
                stop = len(buf)
            err_line, err_col = text.where(max(pos, min(exc.pos, stop)))
            if err_line == line:
                return Record(index, line, err_col, error=f"invalid JSON: {exc.msg}",
                              source=display), stop
            # the record keeps the line it starts on; the message says where it broke
            return Record(index, line, col, error=f"invalid JSON at line {err_line}, column "
                          f"{err_col}: {exc.msg}", source=display), stop
        if end >= len(buf) and not text.eof and not isinstance(data, dict | list):
            text.more()  # a number or literal cut by the chunk boundary: read on and retry
            continue
        if text.undecodable and _SURROGATE.search(buf, pos, end):
            bad = _SURROGATE.search(buf, pos, end)
            assert bad is not None
            b_line, b_col = text.where(bad.start())
            where = "" if b_line == line else f" at line {b_line}, column {b_col}"
            return Record(index, line, b_col if b_line == line else col,
                          error=f"not valid {enc} text{where} (byte "
                          f"{ord(bad.group()) - 0xDC00:#04x}); try --encoding",
                          source=display), end
        if end - pos > MAX_RECORD_BYTES:
            return Record(index, line, col, error=f"record is longer than "
                          f"{MAX_RECORD_BYTES:,} characters ({end - pos:,})",
                          source=display), end
        return Record(index, line, col, data=data, source=display), end


def _skip_long(text: _JsonText, pos: int, extent: _Extent, index: int, line: int, col: int,
               display: str) -> tuple[Record, int]:
    """Pass over an over-long element without keeping it."""
    size = 0
    while True:
        stop = extent.find(text.buf)
        if stop is not None:
            size += stop - pos
            return Record(index, line, col, error=f"record is longer than "
                          f"{MAX_RECORD_BYTES:,} characters ({size:,})", source=display), stop
        cut = extent.at
        size += cut - pos
        removed = text.drop(cut)
        extent.shift(removed)
        pos = 0
        if not text.more():
            return Record(index, line, col, error=f"record is longer than "
                          f"{MAX_RECORD_BYTES:,} characters ({size:,}) and not closed",
                          source=display), len(text.buf)


_DECODER = json.JSONDecoder()


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


MAX_CSV_ROW_LINES = 20
"""A quoted CSV cell may hold line breaks, but a row spanning more lines than this, or a quote
still open at the end of the file, is an unclosed quote: reported at its first line, and the
lines after that line read again as rows."""


def _read_csv(stream: IO[bytes], enc: str, display: str) -> Iterator[Record]:
    problems: dict[int, str] = {}

    def decoded() -> Iterator[tuple[int, str]]:
        # decode line by line so that one undecodable line costs only its own record
        for lineno, raw in enumerate(_lines(stream), start=1):
            if isinstance(raw, int):
                problems[lineno] = f"line is longer than {MAX_RECORD_BYTES:,} bytes ({raw:,})"
                yield lineno, _BAD_LINE + "\n"
                continue
            try:
                yield lineno, _decode(raw, enc)
            except UnicodeDecodeError as exc:
                problems[lineno] = (f"not valid {enc} text (byte {raw[exc.start]:#04x}); "
                                    "try --encoding")
                yield lineno, _BAD_LINE + "\n"

    source = decoded()
    pushed_back: deque[tuple[int, str]] = deque()
    row_lines: list[tuple[int, str]] = []  # the lines the current row was read from

    class Feed:
        """The lines for csv.reader; unlike a generator it can go on after an end of input,
        once an unclosed quote has pushed lines back."""

        def __iter__(self) -> Feed:
            return self

        def __next__(self) -> str:
            item = pushed_back.popleft() if pushed_back else next(source, None)
            if item is None:
                raise StopIteration
            row_lines.append(item)
            return item[1]

    reader = csv.reader(Feed())
    header: list[str] = []
    while not any(h.strip() for h in header):  # blank lines before the header are not rows
        try:
            header = next(reader)
        except StopIteration:
            raise ReadError(f"{display}: the file is empty") from None
        except csv.Error as exc:
            raise ReadError(f"{display}:{reader.line_num}: invalid CSV header: {exc}") from None
        if header == [_BAD_LINE]:
            line = reader.line_num
            raise ReadError(f"{display}:{line}: {problems.get(line, 'unreadable header')}")
    header = [h.strip() for h in header]
    index = 0
    while True:
        row_lines.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            index += 1
            line = row_lines[0][0] if row_lines else reader.line_num
            yield Record(index, line, None, error=f"invalid CSV: {exc}", source=display)
            continue
        line = row_lines[0][0]  # where the row starts (a quoted cell may span lines)
        if len(row_lines) > 1 and _unclosed_quote(row_lines):
            index += 1
            runs = ("to the end of the file" if len(row_lines) <= MAX_CSV_ROW_LINES
                    else f"over more than {MAX_CSV_ROW_LINES} lines")
            yield Record(index, line, None, error=f"invalid CSV: a quoted cell is not closed "
                         f"(it runs {runs}); the lines after it are read as rows",
                         source=display)
            pushed_back.extendleft(reversed(row_lines[1:]))
            continue
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


def _unclosed_quote(lines: list[tuple[int, str]]) -> bool:
    """Whether a row read from several lines is a quote left open, not a cell with breaks."""
    if len(lines) > MAX_CSV_ROW_LINES:
        return True
    try:
        for _ in csv.reader((text for _, text in lines), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


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
