"""Batch classification: N records in give N results out, in order, whatever is broken.

Covers the ``classify`` command on every example file, every output format, atomic ``-o``,
the end-of-run summary, ``--stats`` and the progress bar (shown only on a terminal).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizroute import Pack
from bizroute.batch import ProgressReporter, classify_records
from bizroute.cli import main
from bizroute.output import CSV_COLUMNS
from bizroute.readers import read_records
from tests.conftest import PACKS
from tests.test_properties import requests as minimal_requests

MINIMAL = str(PACKS / "valid" / "minimal")
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- N in, N out ---------------------------------------------------------------------------

VALID = st.fixed_dictionaries({"description": st.sampled_from(["没电了", "新装", "销户", "你好"])},
                              optional={"customer": st.just({"type": "residential"}),
                                        "supply": st.just({"capacity_kva": 50})})
BROKEN_KINDS = ("truncated", "invalid_utf8", "gb18030", "enum_number", "not_object",
                "bad_number")


def _broken(kind: str) -> bytes:
    return {
        "truncated": b'{"description": "\xe6\xb2\xa1\xe7\x94\xb5',
        "invalid_utf8": b'{"description": "\xff\xfe"}',
        "gb18030": b'{"description": "' + "停电了".encode("gb18030") + b'"}',
        "enum_number": b'{"customer": {"type": 7}}',
        "not_object": b'"just text"',
        "bad_number": b'{"supply": {"capacity_kva": "lots"}}',
    }[kind]


records = st.lists(st.one_of(VALID.map(lambda d: ("ok", d)),
                             st.sampled_from(BROKEN_KINDS).map(lambda k: (k, None))),
                   min_size=1, max_size=30)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records)
def test_n_records_in_give_n_results_out_in_order(minimal_pack: Pack,
                                                  items: list[tuple[str, Any]]) -> None:
    lines = []
    for i, (kind, data) in enumerate(items):
        if kind == "ok":
            lines.append(json.dumps({"id": f"r{i}", **data}, ensure_ascii=False).encode())
        else:
            lines.append(_broken(kind))
    stream = io.BytesIO(b"\n".join(lines) + b"\n")
    results = list(classify_records(minimal_pack, read_records("-", "jsonl", "utf-8",
                                                               stdin=stream)))
    assert len(results) == len(items)
    assert [r.line for r, _ in results] == list(range(1, len(items) + 1))
    for i, ((kind, _), (_record, decision)) in enumerate(zip(items, results, strict=True)):
        if kind == "ok":
            assert decision.status != "error" and decision.request_id == f"r{i}"
        else:
            assert decision.status == "error", kind
            assert decision.error is not None
            assert decision.error["position"].split(":")[1] == str(i + 1)  # <stdin>:LINE:COL


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["没电了", "新装", "销户"]).map(lambda d: ("ok", d)),
                          st.sampled_from(["extra", "bad_bytes", "enum"]).map(lambda k: (k, ""))),
                min_size=1, max_size=25))
def test_csv_rows_in_give_as_many_results_out(minimal_pack: Pack,
                                              items: list[tuple[str, str]]) -> None:
    rows = [b"id,description,customer.type"]
    for i, (kind, text) in enumerate(items):
        rows.append({"ok": f"r{i},{text},residential".encode(),
                     "extra": f"r{i},x,residential,surplus".encode(),
                     "bad_bytes": f"r{i},".encode() + b"\xff\xfe,residential",
                     "enum": f"r{i},x,martian".encode()}[kind])
    stream = io.BytesIO(b"\n".join(rows) + b"\n")
    results = list(classify_records(minimal_pack, read_records("-", "csv", "utf-8",
                                                               stdin=stream)))
    assert [r.line for r, _ in results] == [i + 2 for i in range(len(items))]
    assert [d.status == "error" for _, d in results] == [k != "ok" for k, _ in items]


# --- the command ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count", "code"), [
    ("requests-gb18030.csv", 8, 0), ("requests-utf8-bom.csv", 4, 0), ("requests.json", 4, 0),
    ("broken.jsonl", 7, 1),
])
def test_classify_works_on_every_example_file(capsys: pytest.CaptureFixture[str], name: str,
                                              count: int, code: int) -> None:
    got, out, err = run(capsys, "classify", str(EXAMPLES / name), "--format", "jsonl")
    assert got == code
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == count
    assert [r["record"]["index"] for r in results] == list(range(1, count + 1))
    assert f"{count} record(s)" in err


def test_the_gb18030_example_is_read_as_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "classify", str(EXAMPLES / "requests-gb18030.csv"), "--format",
                    "jsonl")
    first = json.loads(out.splitlines()[0])
    assert first["request_id"] == "gb-001" and first["status"] == "decided"
    assert first["received_at"] == "2026-03-02T09:15:00"


def test_csv_output_has_one_row_per_record_with_flattened_columns(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", str(EXAMPLES / "broken.jsonl"), "--format", "csv")
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["record.line"] for r in rows] == [str(i) for i in range(1, 8)]
    assert rows[0]["category.id"] == "lv_residential_new"
    assert rows[0]["documents.missing"] == "id_card;property_proof"
    assert rows[2]["status"] == "error" and rows[2]["error.message"].startswith("customer.type")


def test_table_output_is_one_aligned_line_per_record(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", str(EXAMPLES / "requests.json"), "--format", "table")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 + 4
    assert "低压居民新装 (lv_residential_new)" in lines[2]
    assert "需补充信息" in lines[4] and "未判定" not in lines[4]


def test_the_summary_counts_statuses_and_categories_and_lists_errors(
        capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "classify", str(EXAMPLES / "broken.jsonl"), "--format", "jsonl")
    assert "7 record(s): decided 2, error 5" in err
    assert "categories: lv_residential_new 1, fault_repair 1" in err
    assert "broken.jsonl:4:37: not valid utf-8 text" in err


def test_stats_after_classify_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "classify", str(EXAMPLES / "requests-utf8-bom.csv"),
                         "--format", "jsonl", "--stats")
    assert code == 0 and len(out.splitlines()) == 4
    assert "业务类别 by category" in err and "受理趋势 trend by month" in err


def test_an_interrupted_run_leaves_no_file_under_the_output_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bizroute.batch

    target = tmp_path / "out.jsonl"
    calls = {"n": 0}
    real = bizroute.batch.classify_records

    def failing(*args: Any, **kwargs: Any) -> Any:
        for item in real(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(bizroute.batch, "classify_records", failing)
    code, _, _ = run(capsys, "classify", str(EXAMPLES / "requests-gb18030.csv"), "-o",
                     str(target), "--format", "jsonl")
    assert code == 130
    assert list(tmp_path.iterdir()) == []


def test_output_to_a_file_is_complete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    code, out, _ = run(capsys, "classify", str(EXAMPLES / "requests.json"), "-o", str(target),
                       "--format", "json")
    assert code == 0 and out == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 4


def test_the_encoding_can_be_forced(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "classify", str(EXAMPLES / "requests-gb18030.csv"),
                         "--encoding", "utf-8", "--format", "jsonl")
    assert code == 1  # GB18030 read as UTF-8: every row is an error of its own
    assert len(out.splitlines()) == 8
    assert "try --encoding" in err


def test_an_empty_file_is_an_error_for_the_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "classify", str(empty))
    assert code == 2 and out == ""
    assert "the file is empty" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_only_on_a_terminal() -> None:
    from rich.console import Console

    quiet = ProgressReporter(100, console=Console(file=io.StringIO()))
    assert not quiet.enabled
    screen = _Terminal()
    shown = ProgressReporter(1000, console=Console(file=screen, force_terminal=True, width=100))
    assert shown.enabled
    with shown:
        for _ in range(ProgressReporter.EVERY * 2):
            shown.read(1)
            shown.record()
    assert "records" in screen.getvalue() and "ETA" in screen.getvalue()


def test_no_progress_bar_reaches_a_redirected_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "classify", str(EXAMPLES / "requests.json"), "--format", "jsonl")
    assert "ETA" not in err and "\x1b[" not in err


def test_a_decision_without_its_plan_is_what_replace_gives() -> None:
    from bizroute import load_pack
    from bizroute.batch import without_plan

    pack = load_pack()
    decisions = [pack.classify(r.data) for r in read_records(EXAMPLES / "requests.json")]
    assert any(d.plan is not None for d in decisions)
    for d in decisions:
        bare = without_plan(d)
        assert bare == dataclasses.replace(d, plan=None) and type(bare) is type(d)
        assert bare.plan is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            bare.status = "error"  # type: ignore[misc]


# --- the fast JSON Lines encoder ------------------------------------------------------------


def _expected_line(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_APPEND_NEWLINE)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_fast_encoder_writes_exactly_what_orjson_dumps_writes(minimal_pack: Pack,
                                                                  data: st.DataObject) -> None:
    from bizroute.output import FastEncoder, JsonlWriter
    from bizroute.readers import Record

    request = data.draw(minimal_requests)
    explain = data.draw(st.booleans())
    decision = minimal_pack.classify(request, explain=explain)
    record = Record(3, 7, 1, data=request) if data.draw(st.booleans()) else None
    writer = JsonlWriter(io.BytesIO(), explain=explain)
    expected = _expected_line(writer.payload(record, decision))
    assert FastEncoder().line(record, decision, explain) == expected


class _Moment(dt.datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "moment " + super().isoformat(sep, timespec)


def test_the_fast_encoder_matches_on_plans_errors_and_the_default_pack() -> None:
    from bizroute import load_pack
    from bizroute.errors import InputError
    from bizroute.output import FastEncoder, JsonlWriter

    pack = load_pack()
    encoder = FastEncoder()
    assert encoder.enabled
    decisions = [pack.classify(r.data) for r in read_records(EXAMPLES / "requests.json")]
    decisions += [pack.classify(r.data) for r in read_records(EXAMPLES / "requests-gb18030.csv")]
    decisions += [pack.classify(r.data) for r in read_records(EXAMPLES / "requests.jsonl")]
    decisions.append(pack.error_decision(InputError("bad", position="f:1:2", field="x")))
    first = dict(next(iter(read_records(EXAMPLES / "requests.json"))).data)
    del first["received_at"]
    decisions.append(pack.classify(first))
    decisions.append(pack.classify({**first, "received_at": "2031-03-02T09:15"}))  # a notice
    # received_at as a library caller may give it: a date, with microseconds, a time zone
    # (orjson would shorten a seconds offset), a subclass
    decisions += [dataclasses.replace(decisions[0], received_at=when) for when in (
        dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 9, 15, 0, 5),
        dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=15))),
        _Moment(2026, 3, 2, 9, 15))]
    # every optional part of a decision is among them
    assert all(any(check(d) for d in decisions) for check in (
        lambda d: d.candidates, lambda d: d.questions, lambda d: d.plan is not None,
        lambda d: d.error is not None, lambda d: d.notices, lambda d: d.explanation.why_not,
        lambda d: d.documents_missing, lambda d: d.received_at is None))
    for explain in (False, True):
        writer = JsonlWriter(io.BytesIO(), explain=explain)
        for d in decisions:
            assert encoder.line(None, d, explain) == _expected_line(writer.payload(None, d))


def test_the_fast_encoder_keeps_one_text_per_distinct_part(minimal_pack: Pack) -> None:
    from bizroute.output import FastEncoder

    encoder = FastEncoder()
    for i in range(300):
        request = {"id": str(i), "description": "新装" if i % 2 else "没电了",
                   "customer": {"type": "residential"}}
        encoder.line(None, minimal_pack.classify(request), False)
    assert len(encoder._by_value) + len(encoder._by_id) < 20  # not one per decision


@pytest.mark.parametrize(("payload", "line"), [
    ({"a": "电", "n": 1.5, "x": None}, '{"a":"电","n":1.5,"x":null}\n'.encode()),
    ({"n": float("nan")}, b'{"n":null}\n'),
    ({"n": 10**30, "a": "电"}, '{"n":1000000000000000000000000000000,"a":"电"}\n'.encode()),
    ({"s": "\ud800", "a": "电"}, b'{"s":"\\ud800","a":"\\u7535"}\n'),
], ids=["orjson", "nan as orjson writes it", "an integer beyond 64 bits: json, compact",
        "a lone surrogate: json, escaped to ascii"])
def test_a_line_is_orjson_and_json_where_orjson_refuses(payload: dict[str, Any],
                                                        line: bytes) -> None:
    from bizroute.output import json_line

    assert json_line(payload) == line


def test_requests_only_json_can_read_still_give_one_valid_line_each(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "odd.jsonl"
    src.write_bytes(b'{"id": "\\ud800", "description": "\\u6ca1\\u7535\\u4e86"}\n'
                    b'{"id": 123456789012345678901234567890, "description": "x"}\n'
                    b'{"id": "n", "supply": {"capacity_kva": NaN}}\n')
    code, out, _ = run(capsys, "classify", str(src), "--rules", MINIMAL, "--format", "jsonl",
                       "--explain")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # the NaN capacity is refused
    assert [r["request_id"] for r in results] == ["\ud800", "123456789012345678901234567890",
                                                  "n"]
    assert [r["status"] for r in results][2] == "error"


def test_jsonl_output_is_orjson_of_each_decision(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "classify", str(EXAMPLES / "broken.jsonl"), "--format", "jsonl",
                    "--plan", "--explain")
    lines = out.encode().splitlines(keepends=True)
    assert len(lines) == 7
    assert all(line == _expected_line(json.loads(line)) for line in lines)


def test_jsonl_reaches_a_stdout_without_a_byte_stream(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    screen = io.StringIO()
    monkeypatch.setattr("sys.stdout", screen)
    print("before", end="\n")
    assert main(["classify", str(EXAMPLES / "requests.json"), "--format", "jsonl", "-q"]) == 0
    lines = screen.getvalue().splitlines()
    assert lines[0] == "before" and len(lines) == 5
    assert [json.loads(line)["record"]["index"] for line in lines[1:]] == [1, 2, 3, 4]


# A broken element ends where the next line starts an object ('{'): requests are objects.
ARRAY_BROKEN = {
    "truncated": b'{"description": "\xe6\xb2\xa1\xe7\x94\xb5',
    "cut_after_comma": b'{"description": "x",',
    "invalid_utf8": b'{"description": "\xff\xfe"}',
    "enum_number": b'{"customer": {"type": 7}}',
    "bad_number": b'{"supply": {"capacity_kva": "lots"}}',
}


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(VALID.map(lambda d: ("ok", d)),
                          st.sampled_from(sorted(ARRAY_BROKEN)).map(lambda k: (k, None))),
                min_size=1, max_size=25))
def test_json_array_elements_in_give_as_many_results_out(minimal_pack: Pack,
                                                         items: list[tuple[str, Any]]) -> None:
    elements = [json.dumps({"id": f"r{i}", **data}, ensure_ascii=False).encode()
                if kind == "ok" else ARRAY_BROKEN[kind] for i, (kind, data) in enumerate(items)]
    body = b"[\n" + b",\n".join(elements) + b"\n]\n"
    results = list(classify_records(minimal_pack, read_records("-", "json", "utf-8",
                                                               stdin=io.BytesIO(body))))
    assert [r.index for r, _ in results] == list(range(1, len(items) + 1))
    assert [r.line for r, _ in results] == [i + 2 for i in range(len(items))]
    assert [d.status == "error" for _, d in results] == [k != "ok" for k, _ in items]
