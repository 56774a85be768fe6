"""``bizroute stats --db``: commitments kept by department, category and month, where cases
wait longest, and the cases overdue now."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bizroute import Tracker
from bizroute.cli import main
from bizroute.tracking.stats import tracking_stats
from tests.tracking_cases import as_planned, decision, pack

LATER = "2030-01-01T00:00:00"


def _fill(tracker: Tracker) -> None:
    """Three cases: a meter test done on time, one done late, one still open and overdue."""
    on_time = decision("meter_test", "MT-ON-TIME")
    tracker.open_case(on_time)
    for e in as_planned(on_time):
        tracker.record(e, now=LATER)
    late = decision("meter_test", "MT-LATE")
    tracker.open_case(late)
    events = as_planned(late, done={"accept"}, started={"test"})
    events += [  # the test took until 10-20; the deadline was 10-13 09:00
        {"case": "MT-LATE", "event": "step_completed", "step": "test", "at": "2025-10-20T10:00"},
        {"case": "MT-LATE", "event": "step_completed", "step": "adjust",
         "at": "2025-10-20T11:00"},
        {"case": "MT-LATE", "event": "step_completed", "step": "reply", "at": "2025-10-20T15:00"},
    ]
    for e in events:
        tracker.record(e, now=LATER)
    tracker.open_case(decision("complaint", "CP-OPEN"))  # received 10-11, 7 working days


def test_kept_rates_waits_and_overdue_cases_over_a_database(tracking_db: str) -> None:
    at = dt.datetime(2025, 10, 25, 9, 0)
    with Tracker.open(tracking_db, pack=pack()) as tracker:
        _fill(tracker)
        stats = tracking_stats(tracker.statuses(at, open_only=False), at)
    assert (stats.cases, stats.open_cases) == (3, 3)
    # the meter test has two commitments on the same steps: the 2024 rules' 7 days (wall
    # clock, broken by both: the National Day holiday lies inside) and the current 十项承诺's
    # 5 working days (kept on time, broken late); the open complaint has broken all three
    by_category = {r["category"]: (r["kept"], r["broken"], r["kept_rate"])
                   for r in stats.by_category}
    assert by_category == {"meter_test_request": (1, 3, 0.25), "complaint": (0, 3, 0.0)}
    assert [r["category"] for r in stats.by_category] == ["complaint", "meter_test_request"]
    assert {r["month"]: (r["kept"], r["broken"]) for r in stats.by_month} == {
        "2025-10": (1, 6)}
    departments = {r["department"]: (r["kept"], r["broken"], r["broken_waiting_on"])
                   for r in stats.by_department}
    assert departments == {
        "counter": (1, 6, 3),  # in every commitment; the open complaint waits at the counter
        "metering_centre": (1, 3, 3),  # the test steps were in its hands at the deadlines
        "billing": (1, 3, 0),
        "call_centre": (0, 3, 0), "marketing": (0, 2, 0),  # marketing: not in the contact
    }
    # completed late is broken but not overdue *now*; the most overdue first
    assert [(o.case, o.commitment.id) for o in stats.overdue] == [
        ("CP-OPEN", "contact_sgcc_current"), ("CP-OPEN", "reply_sgcc_current"),
        ("CP-OPEN", "reply_regulator_2009")]
    waits = {(w["workflow"], w["step"]): w for w in stats.waits}
    test_step = waits[("meter_test", "test")]
    assert test_step["completed"] == 2
    # on time: ready 09-29 10:00, done 10-10 10:00, three working days (the holiday between);
    # late: until 10-20 10:00, three more (10-10, 10-11 调休, 10-13) and five (10-14..10-20)
    assert test_step["median"]["text"] == "6个工作日12小时"
    assert test_step["longest"]["text"] == "10个工作日"
    # the complaint has waited at the counter since Saturday 10-11 10:00 (调休): 14 h of it,
    # then 10-13..10-17 and 10-20..10-24; the longest wait of all, then the meter test's
    # test step
    first, second = stats.waits[:2]
    assert (first["workflow"], first["step"], first["waiting_now"]) == (
        "complaint_ticket", "accept", 1)
    assert first["longest_waiting_now"]["text"] == "10个工作日14小时"
    assert (second["workflow"], second["step"]) == ("meter_test", "test")
    data = stats.to_dict()
    assert set(data) == {"schema", "at", "cases", "open_cases", "kept_by_department",
                         "kept_by_category", "kept_by_month", "step_waits", "overdue_now"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(tmp_path: Path) -> str:
    db = str(tmp_path / "cases.sqlite")
    with Tracker.open(db, pack=pack()) as tracker:
        _fill(tracker)
    return db


def test_stats_reads_a_case_database_in_every_format(
        filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", "--db", filled, "--at", "2025-10-25T09:00")
    assert code == 0
    assert "承诺按期率 commitments kept by department" in out and "CP-OPEN" in out
    code, out, _ = run(capsys, "stats", "--db", filled, "--at", "2025-10-25T09:00",
                       "--format", "json")
    data = json.loads(out)
    assert data["tracking"]["cases"] == 3 and "records" not in data
    code, out, _ = run(capsys, "stats", "--db", filled, "--at", "2025-10-25T09:00",
                       "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["table"] for r in rows} >= {"kept_department", "kept_category", "kept_month",
                                          "step_wait", "overdue_now"}
    overdue = [r for r in rows if r["table"] == "overdue_now"]
    assert [r["key"] for r in overdue] == ["CP-OPEN/contact_sgcc_current",
                                           "CP-OPEN/reply_sgcc_current",
                                           "CP-OPEN/reply_regulator_2009"]
    assert {r["chase"] for r in overdue} == {"counter"}


def test_stats_of_decisions_and_a_database_together(
        filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(json.dumps(decision("meter_test", "X"), ensure_ascii=False) + "\n",
                         encoding="utf-8")
    code, out, _ = run(capsys, "stats", str(decisions), "--db", filled, "--at",
                       "2025-10-25T09:00", "--format", "json")
    data: dict[str, Any] = json.loads(out)
    assert code == 0 and data["records"] == 1 and data["tracking"]["cases"] == 3
    code, out, _ = run(capsys, "stats", str(decisions), "--format", "csv")
    header = out.splitlines()[0]
    assert header == ("table,key,name,count,share,requests,steps,expected_days,at_risk,"
                      "on_track,undetermined")  # unchanged without --db


def test_stats_needs_decisions_or_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "stats")
    assert code == 2 and "--db" in err
