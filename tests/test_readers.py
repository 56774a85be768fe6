"""Reading request records: every format, every encoding, every kind of broken input.

Each record comes out as data or as an error with its position; a broken record never stops
the others, and a file that cannot be read at all raises :class:`ReadError`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizroute import readers
from bizroute.readers import ReadError, Record, detect_encoding, detect_format, read_records

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def read(data: bytes, fmt: str = "auto", encoding: str | None = None) -> list[Record]:
    return list(read_records("-", fmt, encoding, stdin=io.BytesIO(data)))  # type: ignore[arg-type]


def summary(records: list[Record]) -> list[tuple[int, int, int | None, Any]]:
    """(index, line, column, data or 'ERR: message') per record."""
    return [(r.index, r.line, r.column, r.data if r.error is None else f"ERR: {r.error}")
            for r in records]


class LazyStream(io.RawIOBase):
    """``head``, then ``size`` bytes of ``x`` made on demand, then ``tail``: a huge input that is
    never held anywhere, neither on disk nor in memory."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.parts: list[bytes | int] = [head, size, tail]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.parts:
            part = self.parts[0]
            if isinstance(part, int):
                if part <= 0:
                    self.parts.pop(0)
                    continue
                n = min(len(buffer), part)
                buffer[:n] = b"x" * n
                self.parts[0] = part - n
                return n
            if not part:
                self.parts.pop(0)
                continue
            n = min(len(buffer), len(part))
            buffer[:n] = part[:n]
            self.parts[0] = part[n:]
            return n
        return 0


# --- JSON Lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"a": 1}\n{"b": 2}\n', [(1, 1, 1, {"a": 1}), (2, 2, 1, {"b": 2})]),
    (b'{"a": 1}\n\n  \n{"b": 2}', [(1, 1, 1, {"a": 1}), (2, 4, 1, {"b": 2})]),
    (b'{"a": 1}\n{"b": "cut\n{"c": 3}\n',
     [(1, 1, 1, {"a": 1}), (2, 2, 7, "ERR: invalid JSON: Unterminated string starting at"),
      (3, 3, 1, {"c": 3})]),
    (b'{"a": 1}\n{"d": "\xff"}\n{"c": 3}\n',
     [(1, 1, 1, {"a": 1}), (2, 2, 8, "ERR: not valid utf-8 text (byte 0xff); try --encoding"),
      (3, 3, 1, {"c": 3})]),
    (b'{"a": 1}\n[1, 2]\n', [(1, 1, 1, {"a": 1}), (2, 2, 1, [1, 2])]),
], ids=["two", "blank lines are not records", "truncated line", "invalid utf-8", "not an object"])
def test_json_lines_give_one_record_per_line_with_errors_in_place(
        data: bytes, expected: list[Any]) -> None:
    assert summary(read(data, "jsonl")) == expected


def test_a_gb18030_line_in_a_utf8_file_is_an_error_for_that_line() -> None:
    data = '{"d": "停电"}\n'.encode() * 20 + '{"d": "没电"}\n'.encode("gb18030")
    records = read(data, "jsonl", "utf-8")
    assert [r.error is None for r in records] == [True] * 20 + [False]
    assert records[-1].line == 21 and "try --encoding" in (records[-1].error or "")


def test_an_empty_input_cannot_be_read_at_all() -> None:
    for fmt in ("jsonl", "json", "csv", "yaml", "auto"):
        with pytest.raises(ReadError, match="empty"):
            read(b"  \n", fmt)


def test_a_two_gigabyte_line_is_an_error_and_never_held_in_memory() -> None:
    stream = LazyStream(b'{"id": 1}\n{"description": "', 2 * 1024**3, b'"}\n{"id": 3}\n')
    records = list(read_records("-", "jsonl", stdin=stream))  # type: ignore[arg-type]
    assert [r.data for r in records] == [{"id": 1}, None, {"id": 3}]
    assert records[1].line == 2
    assert f"longer than {readers.MAX_RECORD_BYTES:,} bytes" in (records[1].error or "")


# --- JSON Lines: orjson first, json where orjson refuses ---------------------------------------
# A UTF-8 line is parsed by orjson; every line it refuses takes the json path. Together they must
# give exactly the records that the json path alone gives (same data, types, errors, positions).


def json_path_only(data: bytes, enc: str) -> list[tuple[int, int, int | None, str]]:
    """What reading ``data`` as JSON Lines gives with the standard library alone."""
    out: list[tuple[int, int, int | None, str]] = []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    index = 0
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        index += 1
        try:
            text = raw.decode("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError as exc:
            out.append((index, lineno, exc.start + 1, f"ERR: not valid {enc} text "
                        f"(byte {raw[exc.start]:#04x}); try --encoding"))
            continue
        if enc == "utf-8-sig":
            text = text.removeprefix("\ufeff")
        try:
            value = json.loads(text.rstrip("\r"))
        except json.JSONDecodeError as exc:
            out.append((index, lineno, exc.colno, f"ERR: invalid JSON: {exc.msg}"))
            continue
        out.append((index, lineno, 1, repr(value)))  # repr: 1 and 1.0, nan, big ints differ
    return out


def as_read(data: bytes, enc: str) -> list[tuple[int, int, int | None, str]]:
    return [(r.index, r.line, r.column, repr(r.data) if r.error is None else f"ERR: {r.error}")
            for r in read(data, "jsonl", enc)]


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**62, max_value=2**70)
    | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=12)
_number_text = st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?\Z")
_lines = st.one_of(
    st.builds(lambda v, ascii_, sep: json.dumps(v, ensure_ascii=ascii_, separators=sep).encode(),
              _values, st.booleans(), st.sampled_from([(",", ":"), (", ", ": ")])),
    _number_text.map(lambda n: b'{"n": ' + n.encode() + b"}"),
    st.sampled_from([
        b'{"a": NaN}', b'{"a": -Infinity}', b'{"a": 1e400}', b'{"id": 123456789012345678901}',
        b'{"id": -9223372036854775809}', b'{"id": 18446744073709551615}', b'{"s": "\\ud800"}',
        b'{"s": "\\udc00\\ud83d\\ude00"}', b'{"a": 1, "a": 2}', b'{"s": "a\tb"}', b'{"a": 01}',
        b"\xef\xbb\xbf{}", b'{"s": "\xed\xa0\x80"}', b'{"s": "\xc0\xaf"}', b"[1,]", b"{}\x0c",
        b'{"s": "' + "停电".encode("gb18030") + b'"}', b"", b"  \t", b"\r", b"null", b"[]",
        b'{"phone": "1234567890123456789"}', b'{"a": 1}\x00']),
    st.binary(max_size=30))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_lines, st.sampled_from([b"\n", b"\r\n"])), min_size=1, max_size=12),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_json_lines_read_as_the_json_path_alone_reads_them(
        lines: list[tuple[bytes, bytes]], enc: str) -> None:
    data = b"".join(line + end for line, end in lines)
    expected = json_path_only(data, enc)
    if not expected:
        with pytest.raises(ReadError, match="empty"):
            read(data, "jsonl", enc)
        return
    assert as_read(data, enc) == expected


def test_a_record_made_fast_is_an_ordinary_frozen_record() -> None:
    import dataclasses

    made = readers.make_record(2, 5, 1, {"a": 1}, None, "f.jsonl")
    assert made == Record(2, 5, 1, data={"a": 1}, source="f.jsonl")
    assert type(made) is Record and made.position == "f.jsonl:5:1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 6  # type: ignore[misc]


@pytest.mark.parametrize(("line", "value"), [
    (b'{"a": NaN, "b": Infinity}', {"a": float("nan"), "b": float("inf")}),
    (b'{"id": 123456789012345678901234567890}', {"id": 123456789012345678901234567890}),
    (b'{"id": -9223372036854775809}', {"id": -9223372036854775809}),
    (b'{"s": "\\ud800"}', {"s": "\ud800"}),
    (b'{"a": 1e400}', {"a": float("inf")}),
    (b'{"a": 1, "a": 2}', {"a": 2}),
    (b'{"a": 1}\r', {"a": 1}),
], ids=["nan and infinity", "an integer beyond 64 bits", "below the smallest 64-bit integer",
        "a lone surrogate escape", "a number beyond the largest float", "a repeated key",
        "a carriage return"])
def test_json_lines_accept_what_json_accepts(line: bytes, value: dict[str, Any]) -> None:
    (record,) = read(line + b"\n", "jsonl", "utf-8")
    assert repr(record.data) == repr(value)


@pytest.mark.parametrize(("data", "enc", "expected"), [
    (b'\xef\xbb\xbf{"a": 1}\n\xef\xbb\xbf{"b": 2}\n', "utf-8-sig",
     [(1, 1, 1, {"a": 1}), (2, 2, 1, {"b": 2})]),
    (b'\xef\xbb\xbf{"a": 1}\n', "utf-8",
     [(1, 1, 1, "ERR: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)")]),
    (b'{"s": "a\tb"}\n', "utf-8", [(1, 1, 9, "ERR: invalid JSON: Invalid control character at")]),
    (b'{"s": "\xed\xa0\x80"}\n', "utf-8",
     [(1, 1, 8, "ERR: not valid utf-8 text (byte 0xed); try --encoding")]),
], ids=["a byte order mark", "a byte order mark read as utf-8", "a raw tab in a string",
        "an encoded surrogate"])
def test_json_lines_refuse_and_place_what_json_refuses(data: bytes, enc: str,
                                                       expected: list[Any]) -> None:
    assert summary(read(data, "jsonl", enc)) == expected


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (b'[\n  {"a": 1},\n  {"b": 2}\n]\n', [(1, 2, 3, {"a": 1}), (2, 3, 3, {"b": 2})]),
    (b'{"a": 1}', [(1, 1, 1, {"a": 1})]),
    (b"[]", []),
    (b'[{"a": 1}, {"b": 2, ], {"c": 3}]',
     [(1, 1, 2, {"a": 1}),
      (2, 1, 21, "ERR: invalid JSON: Expecting property name enclosed in double quotes"),
      (3, 1, 24, {"c": 3})]),
    (b'[\n{"id": 1},\n{"id": 2, "desc\n{"id": 3},\n{"id": 4,\n{"id": 5}\n]',
     [(1, 2, 1, {"id": 1}), (2, 3, 16, "ERR: invalid JSON: Invalid control character at"),
      (3, 4, 1, {"id": 3}),
      (4, 5, 10, "ERR: invalid JSON: Expecting property name enclosed in double quotes"),
      (5, 6, 1, {"id": 5})]),
    (b'[{"a": 1},\n{"b": 2}',
     [(1, 1, 2, {"a": 1}), (2, 2, 1, {"b": 2}),
      (3, 2, 9, "ERR: the array is not closed (missing ']'): the input may be cut short")]),
    (b'[{"a": 1},\n{"b": ', [(1, 1, 2, {"a": 1}),
                            (2, 2, 7, "ERR: invalid JSON: Expecting value")]),
    (b'{"a": 1} {"b": 2}',
     [(1, 1, 1, {"a": 1}), (2, 1, 10, "ERR: unexpected text after the JSON value (several "
                                        "JSON objects? use JSON Lines: one object per line)")]),
    (b'[{"a": 1} {"b": 2}, {"c": 3}]',
     [(1, 1, 2, {"a": 1}),
      (2, 1, 11, "ERR: invalid JSON: missing ',' between array elements (before this element)"),
      (3, 1, 21, {"c": 3})]),
], ids=["array", "one object", "empty array", "broken element", "truncated lines",
        "unclosed", "cut inside an element", "two values", "missing comma"])
def test_json_arrays_give_one_record_per_element_with_positions(
        data: bytes, expected: list[Any]) -> None:
    assert summary(read(data, "json")) == expected


def test_undecodable_bytes_in_a_json_array_spoil_only_their_element() -> None:
    data = '[{"d": "停电"}, {"d": "'.encode() + "没电".encode("gb18030") + b'"}, {"e": 5}]'
    records = read(data, "json", "utf-8")
    assert [r.data for r in records] == [{"d": "停电"}, None, {"e": 5}]
    assert records[1].error == "not valid utf-8 text (byte 0xb5); try --encoding"
    assert (records[1].line, records[1].column) == (1, 23)


def test_a_json_array_is_streamed_not_read_whole() -> None:
    element = json.dumps({"description": "家里没电了" * 10}, ensure_ascii=False).encode()
    body = b"[" + b",\n".join([element] * 50_000) + b"]"  # ~ 9 MB

    class Counting(io.BytesIO):
        def __init__(self, data: bytes) -> None:
            super().__init__(data)
            self.consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.consumed += len(chunk)
            return chunk

    stream = Counting(body)
    records = read_records("-", "json", stdin=stream)  # type: ignore[arg-type]
    first = next(records)
    assert first.data is not None and first.index == 1
    assert stream.consumed < 3 * 1024 * 1024 < len(body)
    assert sum(1 for _ in records) == 49_999


def test_a_json_array_keeps_counting_lines_across_chunks() -> None:
    body = "[\n" + ",\n".join(json.dumps({"n": i, "pad": "电" * 300}, ensure_ascii=False)
                              for i in range(10_000)) + "\n]"
    records = read(body.encode(), "json")
    assert len(records) == 10_000
    assert all(r.line == r.data["n"] + 2 and r.column == 1 for r in records)


def test_a_two_gigabyte_array_element_is_an_error_and_never_held_in_memory() -> None:
    stream = LazyStream(b'[{"id": 1},\n{"description": "', 2 * 1024**3, b'"},\n{"id": 3}]')
    records = list(read_records("-", "json", stdin=stream))  # type: ignore[arg-type]
    assert [r.data for r in records] == [{"id": 1}, None, {"id": 3}]
    assert (records[1].line, records[1].column) == (2, 1)
    assert "longer than" in (records[1].error or "")


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (b"id,customer.type,supply.capacity_kva\nq1,residential,8\n",
     [(1, 2, 1, {"id": "q1", "customer": {"type": "residential"}, "supply": {"capacity_kva": "8"}})]),
    (b"id,description\nq1,a\nq2,b,extra\nq3,c\n",
     [(1, 2, 1, {"id": "q1", "description": "a"}),
      (2, 3, 3, "ERR: row has 3 columns; the header has 2"), (3, 4, 1, {"id": "q3", "description": "c"})]),
    (b'id,description\nq1,"two\nlines"\nq2,b\n',
     [(1, 2, 1, {"id": "q1", "description": "two\nlines"}), (2, 4, 1, {"id": "q2", "description": "b"})]),
    (b"id,description\nq1,\xff\xfe\nq2,b\n",
     [(1, 2, 1, "ERR: not valid utf-8 text (byte 0xff); try --encoding"),
      (2, 3, 1, {"id": "q2", "description": "b"})]),
    (b"id,description\n", []),
    (b"id,description\nq1,\n,\n", [(1, 2, 1, {"id": "q1"})]),
    ('id,description\nc1,"停电了\nc2,过户\nc3,暂停\n'.encode(),
     [(1, 2, None, "ERR: invalid CSV: a quoted cell is not closed (it runs to the end of the "
                   "file); the lines after it are read as rows"),
      (2, 3, 1, {"id": "c2", "description": "过户"}), (3, 4, 1, {"id": "c3", "description": "暂停"})]),
    (b'id,description\nq1,"open\n' + b"".join(b"q%d,b\n" % i for i in range(2, 30))
     + b'q30,"closed"\n',
     [(1, 2, None, "ERR: invalid CSV: a quoted cell is not closed (it runs over more than 20 "
                   "lines); the lines after it are read as rows"),
      *[(i, i + 1, 1, {"id": f"q{i}", "description": "b"}) for i in range(2, 30)],
      (30, 31, 1, {"id": "q30", "description": "closed"})]),
], ids=["dotted columns nest", "too many columns", "quoted line break", "invalid bytes",
        "header only", "empty cells are absent", "quote open to the end",
        "quote open over many lines"])
def test_csv_rows_become_records_with_nested_fields(data: bytes, expected: list[Any]) -> None:
    assert summary(read(data, "csv", "utf-8")) == expected


@pytest.mark.parametrize(("raw", "encoding"), [
    ("id,description\nq1,家里没电了\n".encode("gb18030"), "gb18030"),
    (b"\xef\xbb\xbf" + "id,description\nq1,家里没电了\n".encode(), "utf-8-sig"),
    ("id,description\nq1,家里没电了\n".encode(), "utf-8"),
])
def test_csv_encodings_are_detected(raw: bytes, encoding: str) -> None:
    assert detect_encoding(raw) == encoding
    records = read(raw, "csv")
    assert [r.data for r in records] == [{"id": "q1", "description": "家里没电了"}]


def test_a_two_gigabyte_csv_row_is_an_error_and_the_rows_after_it_are_read() -> None:
    stream = LazyStream(b"id,d\n1,a\n2,", 2 * 1024**3, b"\n3,c\n")
    records = list(read_records("-", "csv", stdin=stream))  # type: ignore[arg-type]
    assert [r.data for r in records] == [{"id": "1", "d": "a"}, None, {"id": "3", "d": "c"}]
    assert records[1].line == 3


# --- YAML and detection --------------------------------------------------------------------


def test_yaml_lists_give_one_record_per_item() -> None:
    records = read("- {id: a, description: 没电}\n- {id: b}\n".encode(), "yaml")
    assert [(r.index, r.line, r.data) for r in records] == [
        (1, 1, {"id": "a", "description": "没电"}), (2, 2, {"id": "b"})]


def test_yaml_larger_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_YAML_BYTES", 100)
    with pytest.raises(ReadError, match="larger than 100 bytes"):
        read(b"- {id: a}\n" * 20, "yaml")


@pytest.mark.parametrize(("name", "head", "fmt"), [
    ("x.jsonl", b"{}", "jsonl"), ("x.ndjson", b"{}", "jsonl"), ("x.csv", b"a,b", "csv"),
    ("x.yaml", b"a: 1", "yaml"), ("<stdin>", b"[{}]", "json"), ("<stdin>", b'{"a": 1}', "json"),
    ("<stdin>", b'{"a": 1}\n{"b": 2}\n', "jsonl"), ("x.json", b"  [", "json"),
])
def test_the_format_follows_the_extension_then_the_content(name: str, head: bytes,
                                                           fmt: str) -> None:
    assert detect_format(name, head) == fmt


@pytest.mark.parametrize(("name", "count"), [
    ("requests-gb18030.csv", 8), ("requests-utf8-bom.csv", 4), ("requests.json", 4),
    ("broken.jsonl", 7),
])
def test_every_example_file_reads_one_record_per_request(name: str, count: int) -> None:
    records = list(read_records(EXAMPLES / name))
    assert [r.index for r in records] == list(range(1, count + 1))
    if name != "broken.jsonl":
        assert all(r.error is None for r in records)
        assert all(isinstance(r.data.get("description"), str) for r in records)


@pytest.mark.parametrize(("data", "fmt", "expected"), [
    (b"description: " + b"[" * 30000 + b"]" * 30000 + b"\n", "yaml",
     [(1, 1, 214, "ERR: nested deeper than 200 levels of brackets; refused before parsing")]),
    (b"a:\n" + b" " * 500 + b"b: 1\n", "yaml",
     [(1, 2, 1, "ERR: indented more than 400 columns (nested too deep); refused before parsing")]),
    (b"[" * 100000 + b"]" * 100000 + '\n{"description": "过户"}\n'.encode(), "jsonl",
     [(1, 1, 1, "ERR: invalid JSON: nested too deeply to be read"),
      (2, 2, 1, {"description": "过户"})]),
    (b"[" + b"[" * 100000 + b"]" * 100000 + b', {"id": 2}]', "json",
     [(1, 1, 2, "ERR: invalid JSON: nested too deeply to be read"), (2, 1, 200004, {"id": 2})]),
], ids=["yaml brackets", "yaml indentation", "json lines", "json array"])
def test_input_nested_too_deep_is_an_error_record_not_a_crash(
        data: bytes, fmt: str, expected: list[Any]) -> None:
    assert summary(read(data, fmt, "utf-8")) == expected
