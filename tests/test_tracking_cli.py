"""``bizroute track``: the commands a counter runs, their formats, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bizroute.cli import main
from tests.tracking_cases import HV, decision

LATER = "2030-01-01T00:00"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def lines(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "cases.sqlite")
    monkeypatch.setenv("BIZROUTE_DB", path)
    return path


EVENTS = [
    {"case": "HV-20250926-01", "event": "step_completed", "step": "accept",
     "at": "2025-09-26T16:00", "department": "counter", "person": "王敏"},
    {"case": "HV-20250926-01", "event": "step_started", "step": "survey",
     "at": "2025-09-28T09:00", "department": "account_manager"},
    {"case": "HV-20250926-01", "event": "step_completed", "step": "survey",
     "at": "2025-09-30T11:00"},
    {"case": "HV-20250926-01", "event": "step_started", "step": "access_review",
     "at": "2025-09-30T14:00", "department": "planning"},
]


def _hv_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests = lines(tmp_path / "requests.jsonl", [{**HV, "id": "HV-20250926-01"}])
    code, _, err = run(capsys, "track", "add", requests, "--at", "2025-09-26T10:00")
    assert code == 0, err
    code, _, err = run(capsys, "track", "event", lines(tmp_path / "events.jsonl", EVENTS),
                       "--at", "2025-10-20T09:00")
    assert code == 0, err


def test_a_new_user_follows_the_high_voltage_case_to_overdue(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _hv_case(tmp_path, capsys)
    code, out, _ = run(capsys, "track", "status", "HV-20250926-01", "--at", "2025-10-20T09:00")
    assert code == 0
    assert ("供电方案答复（高压，2024年规则） (scheme_reply_2024) 15个工作日: 计时中 running "
            "(剩余 3个工作日30分钟)") in out
    assert "当前环节 current: 接入系统与电网方案审查 (access_review) [发展策划部 planning]" in out
    code, out, _ = run(capsys, "track", "status", "HV-20250926-01", "--at", "2025-10-21T12:00")
    assert "(scheme_reply_2024) 15个工作日: 超期风险 at_risk" in out
    code, out, _ = run(capsys, "track", "status", "HV-20250926-01", "--at", "2025-10-24")
    assert "(scheme_reply_2024) 15个工作日: 超期 overdue 14小时30分钟 截止 deadline 2025-10-23 09:30" in out
    assert "催办 chase: 发展策划部 (planning)" in out
    code, out, _ = run(capsys, "track", "due", "--within", "1d", "--department", "planning",
                       "--at", "2025-10-24T08:30")
    assert code == 0
    assert out.splitlines()[0] == ("待办 due at 2025-10-24 08:30 within 1d, department planning:"
                                   " 2")
    assert ("HV-20250926-01  高压新装  供电方案答复（高压，2024年规则） (scheme_reply_2024): "
            "超期 overdue") in out
    assert "催办 chase 发展策划部 (planning)" in out


def test_add_takes_decisions_and_requests_and_reports_each_record(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    undecided = {"id": "Q-1", "description": "想给老家的房子拉根电"}
    records = [decision("meter_test", "MT-1"), {**HV, "id": "HV-1"}, undecided,
               {k: v for k, v in decision("meter_test", "MT-2").items() if k != "plan"},
               {**decision("meter_test", "MT-1"), "received_at": "2025-09-30T09:00:00",
                "plan": {**decision("meter_test", "MT-1")["plan"],
                         "received_at": "2025-09-30T09:00:00"}},
               decision("meter_test", "MT-1")]
    path = lines(tmp_path / "mixed.jsonl", records)
    (tmp_path / "mixed.jsonl").write_text((tmp_path / "mixed.jsonl").read_text() + "{oops\n",
                                          encoding="utf-8")
    code, out, err = run(capsys, "track", "add", path, "--at", LATER, "--format", "jsonl")
    assert code == 1
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["case"], r["outcome"], r["code"]) for r in rows] == [
        ("MT-1", "opened", None), ("HV-1", "opened", None), (None, "error", "not-decided"),
        (None, "error", "no-plan"), ("MT-1", "error", "case-exists"),
        ("MT-1", "unchanged", None), (None, "error", "unreadable")]
    assert rows[2]["position"].endswith("mixed.jsonl:3:1")
    assert "7 record(s): opened 2, unchanged 1, error 4" in err


def test_event_records_what_fits_and_names_what_does_not(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _hv_case(tmp_path, capsys)
    events = [
        {"case": "HV-20250926-01", "event": "step_completed", "step": "access_review",
         "at": "2025-09-30T12:00"},  # before it started
        {"case": "HV-20250926-01", "event": "step_started", "step": "scheme",
         "at": "2025-10-17T11:00"},
        {"case": "HV-20250926-01", "event": "step_completed", "step": "nonsense",
         "at": "2025-10-17T11:00"},
        {"case": "HV-20250926-01", "event": "step_completed", "stpe": "scheme",
         "at": "2025-10-17T11:00"},
        EVENTS[0],  # sent again
    ]
    path = lines(tmp_path / "more.jsonl", events)
    code, out, err = run(capsys, "track", "event", path, "--at", "2025-10-20T09:00")
    assert code == 1
    got = out.splitlines()
    assert got[0].startswith(f"{path}:1:1  HV-20250926-01: [completed-before-start] "
                             "step_completed access_review at 2025-09-30T12:00:00")
    assert got[1] == f"{path}:2:1  HV-20250926-01: 已记录 recorded #5"
    assert "[unknown-step]" in got[2] and "no step 'nonsense'" in got[2]
    assert "[bad-event] unknown key(s) 'stpe'" in got[3]
    assert got[4] == f"{path}:5:1  HV-20250926-01: 重复 duplicate #1"
    assert "5 event(s): recorded 1, duplicate 1, error 3" in err


@pytest.mark.parametrize("fmt", ["text", "table", "json", "jsonl", "csv"])
def test_status_and_due_write_every_format(tmp_path: Path, db: str, fmt: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _hv_case(tmp_path, capsys)
    code, out, _ = run(capsys, "track", "status", "--at", "2025-10-24", "--format", fmt)
    assert code == 0 and "HV-20250926-01" in out
    if fmt == "json":
        (status,) = json.loads(out)  # all open cases: an array
        assert status["commitments"][1]["state"] == "overdue"
        code, one, _ = run(capsys, "track", "status", "HV-20250926-01", "--at", "2025-10-24",
                           "--format", "json")
        assert json.loads(one)["case"] == "HV-20250926-01"  # one case: an object
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["commitment"] for r in rows][:3] == [
            "scheme_reply_regulator_2009", "scheme_reply_2024", "whole_process_sgcc_current"]
        assert rows[1]["state"] == "overdue" and rows[1]["chase"] == "planning"
    code, out, _ = run(capsys, "track", "due", "--at", "2025-10-24", "--format", fmt)
    assert code == 0 and ("scheme_reply_2024" in out or "供电方案答复" in out)
    if fmt == "jsonl":
        items = [json.loads(x) for x in out.splitlines()]
        assert items[0]["chase"]["who"] == "planning"


def test_text_from_input_cannot_become_a_formula_or_move_the_terminal(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "=HYPERLINK(\"x\")\x1b[2J\u202e"
    requests = lines(tmp_path / "r.jsonl", [{**HV, "id": hostile}])
    assert run(capsys, "track", "add", requests, "--at", LATER)[0] == 0
    code, out, _ = run(capsys, "track", "status", "--at", "2025-10-24", "--format", "csv")
    (first, *_) = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and first["case"].startswith("'=HYPERLINK")
    code, out, _ = run(capsys, "track", "status", "--at", "2025-10-24")
    assert code == 0 and "\x1b" not in out and "\u202e" not in out and "=HYPERLINK" in out
    code, out, _ = run(capsys, "track", "due", "--at", "2025-10-24", "--format", "table")
    assert code == 0 and "\x1b" not in out


def test_messages_do_not_echo_identity_numbers(tmp_path: Path, db: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    events = lines(tmp_path / "e.jsonl", [{"case": "110101199003071234", "event": "step_started",
                                          "step": "accept", "at": "2025-10-09T09:00"}])
    code, out, err = run(capsys, "track", "event", events, "--at", LATER)
    assert code == 1 and "[unknown-case]" in out
    assert "110101199003071234" not in out + err and "**************1234" in out
    code, out, err = run(capsys, "track", "status", "13812345678", "--at", LATER)
    assert code == 2 and "13812345678" not in err and "138****5678" in err


def test_usage_errors_exit_2(tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "track", "status", "--at", "yesterday")[0] == 2
    code, _, err = run(capsys, "track", "due", "--within", "soon", "--at", LATER)
    assert code == 2 and "not a span" in err
    code, _, err = run(capsys, "track", "status", "--db", "mysql://x@y/z")
    assert code == 2 and "only SQLite and PostgreSQL" in err
    code, _, err = run(capsys, "track", "event", str(tmp_path / "missing.jsonl"))
    assert code == 2


def test_the_database_is_named_by_db_or_the_environment(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    other = str(tmp_path / "other.sqlite")
    requests = lines(tmp_path / "r.jsonl", [{**HV, "id": "HV-X"}])
    assert run(capsys, "track", "add", requests, "--db", other, "--at", LATER)[0] == 0
    code, _, err = run(capsys, "track", "status", "HV-X", "--at", LATER)  # $BIZROUTE_DB
    assert code == 2 and "no case 'HV-X'" in err
    code, out, _ = run(capsys, "track", "status", "HV-X", "--db", other, "--at", LATER)
    assert code == 0 and "HV-X" in out


def test_status_without_open_cases_says_so(tmp_path: Path, db: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "track", "status", "--at", LATER)
    assert code == 0 and out == "" and "no open cases" in err
    code, out, _ = run(capsys, "track", "due", "--at", LATER)
    assert code == 0 and "(无 nothing due)" in out
