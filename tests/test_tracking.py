"""Cases followed to the end on both databases: every commitment of the default pack kept,
at risk, overdue and paused; the 2025 National Day holiday with its 调休 days; events out of
order; the high-voltage case of docs/tracking.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from bizroute import Tracker, TrackingError
from bizroute.calendar import WorkCalendar
from bizroute.tracking.clock import Clock, unit_seconds
from tests.tracking_cases import (
    MINUTE,
    REQUESTS,
    T,
    ancestors,
    as_planned,
    decision,
    pack,
    when,
)

CLOCK = Clock(WorkCalendar())
LATER = "2030-01-01T00:00:00"  # "now" for recording: every test event is in the past


@pytest.fixture
def tracker(tracking_db: str) -> Iterator[Tracker]:
    with Tracker.open(tracking_db, pack=pack()) as t:
        yield t


def follow(tracker: Tracker, d: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """Open the case of ``d`` and record ``events``; the case id."""
    tracker.open_case(d)
    for e in events:
        tracker.record(e, now=LATER)
    return str(d["request_id"])


def _commitments() -> list[tuple[str, str]]:
    out = []
    for name in REQUESTS:
        for c in decision(name)["plan"]["commitments"]:
            if c["deadline"] is not None:
                out.append((name, c["id"]))
    return out


COMMITMENTS = _commitments()


def test_the_table_covers_every_kind_of_limit_of_the_default_pack() -> None:
    units = {c["limit_unit"] for name in REQUESTS for c in decision(name)["plan"]["commitments"]}
    assert units == {"working_days", "days", "hours", "minutes", None}
    workflows = {decision(n)["plan"]["workflow"] for n in REQUESTS}
    with_commitments = {wid for wid, versions in pack().workflows.items()
                        if any(v.obj.commitments for v in versions)}
    # the workflows left out have commitments of kinds already in the table: 24 hours then one
    # working day (as arrears_reconnect), 5 days until 2024-06-01 (as temporary_removal), a
    # reply in working days from intake (as metering_fault)
    assert with_commitments - workflows == {"appliance_damage", "reinstallation",
                                            "account_data_update", "service_ticket",
                                            "bill_refund"}


def _parts(name: str, cid: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    d = decision(name, f"{name}.{cid}.{kind}")
    c = next(x for x in d["plan"]["commitments"] if x["id"] == cid)
    return d, c


def _from_started(d: dict[str, Any], c: dict[str, Any]) -> list[dict[str, Any]]:
    """Events up to the start of the commitment's from step, as planned; nothing after."""
    return as_planned(d, done=ancestors(d, c["from"]), started={c["from"]})


@pytest.mark.parametrize(("name", "cid"), COMMITMENTS)
def test_a_case_done_as_planned_keeps_the_commitments_its_plan_keeps(
        tracker: Tracker, name: str, cid: str) -> None:
    d, c = _parts(name, cid, "kept")
    case = follow(tracker, d, as_planned(d))
    status = tracker.status(case, when(d["plan"]["due"]) + dt.timedelta(days=1))
    got = status.commitment(cid)
    assert got.state == ("kept" if c["on_track"] else "overdue")
    assert got.finished_at == when(next(s["due"] for s in d["plan"]["steps"]
                                        if s["id"] == c["to"]))
    assert got.deadline == when(c["deadline"])
    assert status.state == "open" and not status.current  # every step done, not closed yet
    assert any(b.event is not None and b.event.step == c["to"] for b in got.because)


@pytest.mark.parametrize(("name", "cid"), COMMITMENTS)
def test_a_commitment_whose_end_step_is_not_done_is_overdue_a_minute_after_its_deadline(
        tracker: Tracker, name: str, cid: str) -> None:
    d, c = _parts(name, cid, "overdue")
    case = follow(tracker, d, _from_started(d, c))
    status = tracker.status(case, when(c["deadline"]) + MINUTE)
    got = status.commitment(cid)
    assert got.state == "overdue"
    assert got.overdue_by is not None and got.overdue_by.seconds <= 60
    assert got.chase is not None and got.chase.department is not None
    waiting_on = ancestors(d, c["to"]) | {c["to"]}
    assert got.chase.step in waiting_on
    assert status.step(got.chase.step).state in ("in_progress", "ready")
    assert got.chase.department.id == status.step(got.chase.step).department.id


@pytest.mark.parametrize(("name", "cid"), COMMITMENTS)
def test_a_minute_before_the_deadline_a_commitment_with_steps_left_is_at_risk(
        tracker: Tracker, name: str, cid: str) -> None:
    d, c = _parts(name, cid, "at_risk")
    case = follow(tracker, d, _from_started(d, c))
    got = tracker.status(case, when(c["deadline"]) - MINUTE).commitment(cid)
    to_step = next(s for s in d["plan"]["steps"] if s["id"] == c["to"])
    if c["from"] == c["to"]:
        # one step in progress: it can still end at any moment, so it is running, not at risk
        assert got.state == "running"
    else:
        assert to_step["duration_amount"], "every step of the default pack takes time"
        assert got.state == "at_risk"
        assert got.miss_by is not None and got.miss_by.seconds > 0
        assert got.chase is not None
    assert got.left is not None and got.left.seconds <= 60


@pytest.mark.parametrize(("name", "cid"), COMMITMENTS)
def test_time_paused_at_the_customer_s_request_is_not_counted(
        tracker: Tracker, name: str, cid: str) -> None:
    d, c = _parts(name, cid, "paused")
    events = _from_started(d, c)
    start = next(when(s["start"]) for s in d["plan"]["steps"] if s["id"] == c["from"])
    limit = unit_seconds(c["limit_unit"], c["limit_amount"])
    pause_at = start + MINUTE
    resume_at = pause_at + dt.timedelta(seconds=limit / 2)
    events += [{"case": d["request_id"], "event": "clock_paused", "reason": "customer_request",
                "at": pause_at.isoformat(), "note": "客户要求改期"},
               {"case": d["request_id"], "event": "clock_resumed", "at": resume_at.isoformat()}]
    case = follow(tracker, d, events)
    during = tracker.status(case, pause_at + MINUTE)
    got = during.commitment(cid)
    assert during.state == "paused"
    assert got.state == "paused" and got.deadline is None
    assert got.chase is not None and got.chase.who == "customer"
    counted_before = CLOCK.counted(c["limit_unit"], start, pause_at, [])
    assert got.left is not None and got.left.seconds == pytest.approx(limit - counted_before)
    after = tracker.status(case, when(c["deadline"]) + MINUTE).commitment(cid)
    paused = CLOCK.elapsed(c["limit_unit"], pause_at, resume_at)
    assert (after.paused.seconds if after.paused else 0.0) == pytest.approx(paused)
    assert after.deadline == CLOCK.add(c["limit_unit"], when(c["deadline"]), paused)
    # a minute after the planned deadline it is not yet overdue, unless the pause lay in
    # time that does not count (a holiday, for a limit in working days)
    if paused < 60:
        assert after.state == "overdue"
    else:
        assert after.state in ("running", "at_risk")


def test_a_commitment_whose_limit_the_request_does_not_decide_is_undetermined(
        tracker: Tracker) -> None:
    d = decision("fault_no_area")
    case = follow(tracker, d, [])
    status = tracker.status(case, "2025-10-01T21:00")
    assert {c.state for c in status.commitments} == {"undetermined"}
    assert "area" in status.commitment("arrival_sgcc_current").because[0].text


# --- the high-voltage case of docs/tracking.md


def _hv(tracker: Tracker, case: str = "HV-20250926-01",
        extra: tuple[dict[str, Any], ...] = ()) -> str:
    d = decision("hv_single", case)
    events = [
        {"case": case, "event": "step_completed", "step": "accept", "at": "2025-09-26T16:00",
         "department": "counter", "person": "王敏"},
        {"case": case, "event": "step_started", "step": "survey", "at": "2025-09-28T09:00",
         "department": "account_manager"},
        {"case": case, "event": "step_completed", "step": "survey", "at": "2025-09-30T11:00"},
        {"case": case, "event": "step_started", "step": "access_review",
         "at": "2025-09-30T14:00", "department": "planning"},
        *extra,
    ]
    return follow(tracker, d, events)


@pytest.mark.parametrize(("at", "state", "left", "over"), [
    ("2025-10-20T09:00", "running", "3个工作日30分钟", None),
    ("2025-10-21T09:00", "running", "2个工作日30分钟", None),  # scheme still fits: 10-23 09:00
    ("2025-10-21T12:00", "at_risk", "1个工作日21小时30分钟", None),
    ("2025-10-23T09:30", "at_risk", "0分钟", None),  # at the deadline itself, not yet past it
    ("2025-10-23T10:00", "overdue", None, "30分钟"),
    ("2025-10-24T00:00", "overdue", None, "14小时30分钟"),
    ("2025-10-27T09:00", "overdue", None, "1个工作日23小时30分钟"),  # the weekend counts nothing
])
def test_the_high_voltage_scheme_reply_runs_then_is_at_risk_then_overdue(
        tracker: Tracker, at: str, state: str, left: str | None, over: str | None) -> None:
    status = tracker.status(_hv(tracker), at)
    c = status.commitment("scheme_reply_2024")
    assert (c.state, c.deadline) == (state, T(2025, 10, 23, 9, 30))
    assert (c.left.text if c.left else None, c.overdue_by.text if c.overdue_by else None) == (
        left, over)
    assert [s.id for s in status.current] == ["access_review"]
    assert [s.id for s in status.next] == ["scheme"]
    assert c.chase is not None and c.chase.who == "planning" and c.chase.step == "access_review"
    assert "接入系统与电网方案审查" in c.chase.reason


def test_the_morning_list_names_the_overdue_case_and_the_department_to_chase(
        tracker: Tracker) -> None:
    case = _hv(tracker)
    other = follow(tracker, decision("meter_test", "MT-1"), [])  # due 10-13: long overdue
    items = tracker.due("2025-10-24T08:30", within="1d")
    assert [(i.case, i.commitment.id, i.commitment.state) for i in items] == [
        ("MT-1", "test_2024", "overdue"),  # the most overdue first
        (case, "scheme_reply_2024", "overdue"),
        (case, "whole_process_sgcc_current", "at_risk"),
    ]
    # the regulator's 20 working days on the same steps (at risk) are not listed apart
    assert "scheme_reply_regulator_2009" not in {i.commitment.id for i in items}
    planning = tracker.due("2025-10-24T08:30", within="1d", department="planning")
    assert {i.case for i in planning} == {case}
    # nothing was recorded for the meter test: its first step is still at the counter
    assert {i.case for i in tracker.due("2025-10-24T08:30", department="counter")} == {other}
    assert tracker.due("2025-10-24T08:30", department="dispatch") == []


def test_the_due_list_takes_a_running_commitment_when_its_deadline_falls_within_the_span(
        tracker: Tracker) -> None:
    case = _hv(tracker)
    # 10-20 09:00: scheme_reply is due 10-23 09:30, three working days and a half-hour away
    assert "scheme_reply_2024" not in {i.commitment.id for i in tracker.due(
        "2025-10-20T09:00", within="1d")}
    items = tracker.due("2025-10-20T09:00", within="3wd")  # 10-23 09:00: still short
    assert "scheme_reply_2024" not in {i.commitment.id for i in items}
    items = tracker.due("2025-10-20T09:00", within="4d")
    assert ("scheme_reply_2024", "running") in {(i.commitment.id, i.commitment.state)
                                                for i in items if i.case == case}


def test_the_scheme_completed_in_time_keeps_its_commitment_and_late_breaks_it(
        tracker: Tracker) -> None:
    on_time = _hv(tracker, "HV-A", (
        {"case": "HV-A", "event": "step_completed", "step": "access_review",
         "at": "2025-10-17T11:00"},
        {"case": "HV-A", "event": "step_completed", "step": "scheme", "at": "2025-10-22T15:00",
         "department": "account_manager"},
    ))
    late = _hv(tracker, "HV-B", (
        {"case": "HV-B", "event": "step_completed", "step": "access_review",
         "at": "2025-10-21T11:00"},
        {"case": "HV-B", "event": "step_completed", "step": "scheme", "at": "2025-10-23T10:00"},
    ))
    kept = tracker.status(on_time, "2025-10-28T09:00").commitment("scheme_reply_2024")
    assert kept.state == "kept" and kept.chase is None
    assert kept.because[-1].event is not None and kept.because[-1].event.step == "scheme"
    broken = tracker.status(late, "2025-10-28T09:00").commitment("scheme_reply_2024")
    assert broken.state == "overdue" and broken.overdue_by is not None
    assert broken.overdue_by.text == "30分钟" and broken.chase is None
    # completed late: broken, but there is nothing left to chase for it
    assert "scheme_reply_2024" not in {i.commitment.id for i in tracker.due("2025-10-28T09:00")}


# --- the 2025 National Day holiday and its make-up working days (调休)


def _residential(tracker: Tracker, case: str, extra: tuple[dict[str, Any], ...] = ()) -> str:
    d = decision("lv_residential", case)  # received Friday 2025-09-26 16:00
    return follow(tracker, d, [
        {"case": case, "event": "step_completed", "step": "accept", "at": "2025-09-28T10:00"},
        {"case": case, "event": "step_started", "step": "connect", "at": "2025-09-28T11:00",
         "department": "metering_install"},
        *extra])


def test_the_make_up_sunday_counts_and_the_holiday_does_not(tracker: Tracker) -> None:
    # 5 working days from Fri 09-26 16:00: Sun 09-28 (调休) 1, 09-29 2, 09-30 3,
    # [10-01..10-08 holiday], 10-09 4, 10-10 16:00 5
    status = tracker.status(_residential(tracker, "LV-1"), "2025-10-09T09:00")
    c = status.commitment("whole_process_sgcc_current")
    assert (c.state, c.deadline) == ("running", T(2025, 10, 10, 16, 0))
    assert c.left is not None and c.left.text == "1个工作日7小时"  # 15 h on 10-09, 16 h on 10-10
    # on the holiday itself the clock stands still: as much is left on 10-01 as on 10-08
    first = tracker.status("LV-1", "2025-10-01T08:00").commitment("whole_process_sgcc_current")
    last = tracker.status("LV-1", "2025-10-08T20:00").commitment("whole_process_sgcc_current")
    assert first.left == last.left and first.left is not None
    # 8 h of 09-26 and the whole of 09-28, 09-29 and 09-30 are gone: 120 h - 80 h
    assert first.left.text == "1个工作日16小时"


def test_a_pause_over_the_holiday_counts_only_its_working_hours(tracker: Tracker) -> None:
    case = _residential(tracker, "LV-2", (
        {"case": "LV-2", "event": "clock_paused", "reason": "customer_request",
         "at": "2025-09-30T17:00", "note": "客户节后再装"},
        {"case": "LV-2", "event": "clock_resumed", "at": "2025-10-09T09:00"},
    ))
    c = tracker.status(case, "2025-10-10T17:00").commitment("whole_process_sgcc_current")
    # 7 h of 09-30 and 9 h of 10-09 were paused; the holiday between was never counted.
    # 10-10 16:00 + 16 h = Saturday 10-11 08:00, itself a make-up working day
    assert c.paused is not None and c.paused.text == "16小时"
    assert (c.state, c.deadline) == ("running", T(2025, 10, 11, 8, 0))
    assert any("客户申请缓办" in b.text for b in c.because)


def test_waiting_for_the_customer_s_documents_resumes_when_they_all_arrive(
        tracker: Tracker) -> None:
    case = _hv(tracker, "HV-D", (
        {"case": "HV-D", "event": "clock_paused", "reason": "customer_documents",
         "at": "2025-10-09T10:00", "documents": ["project_approval", "land_red_line_map"]},
        {"case": "HV-D", "event": "documents_received", "at": "2025-10-13T10:00",
         "documents": ["project_approval"]},
        {"case": "HV-D", "event": "documents_received", "at": "2025-10-14T10:00",
         "documents": ["land_red_line_map"]},
    ))
    waiting = tracker.status(case, "2025-10-13T12:00")
    assert waiting.state == "paused" and waiting.pause is not None
    assert waiting.pause.awaiting == ("land_red_line_map",)
    assert waiting.chase is not None and waiting.chase.who == "customer"
    assert "land_red_line_map" in waiting.chase.reason
    resumed = tracker.status(case, "2025-10-20T09:00")
    assert resumed.state == "open"
    c = resumed.commitment("scheme_reply_2024")
    # 10-09 10:00 → 10-14 10:00 is four working days (10-09, 10-10, 10-11 调休, 10-13)
    assert c.paused is not None and c.paused.text == "4个工作日"
    assert c.deadline == T(2025, 10, 29, 9, 30)
    assert any("资料收齐" in b.text for b in c.because)


# --- events out of order, and events that do not fit


def test_events_sent_out_of_order_give_the_same_status(tracker: Tracker) -> None:
    in_order = _hv(tracker, "HV-IN")
    d = decision("hv_single", "HV-OUT")
    shuffled = [
        {"case": "HV-OUT", "event": "step_started", "step": "access_review",
         "at": "2025-09-30T14:00", "department": "planning"},
        {"case": "HV-OUT", "event": "step_completed", "step": "survey", "at": "2025-09-30T11:00"},
        {"case": "HV-OUT", "event": "step_completed", "step": "accept", "at": "2025-09-26T16:00",
         "department": "counter", "person": "王敏"},
        {"case": "HV-OUT", "event": "step_started", "step": "survey", "at": "2025-09-28T09:00",
         "department": "account_manager"},
    ]
    follow(tracker, d, shuffled)
    a = tracker.status(in_order, "2025-10-21T12:00").to_dict()
    b = tracker.status("HV-OUT", "2025-10-21T12:00").to_dict()

    def strip(x: Any) -> Any:  # the case id and arrival numbers differ, nothing else may
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("case", "seq", "id")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    assert strip(a) == strip(b)


@pytest.mark.parametrize(("event", "code", "words"), [
    ({"event": "step_completed", "step": "access_review", "at": "2025-09-30T12:00"},
     "completed-before-start", "access_review"),  # it was started at 14:00
    ({"event": "step_started", "step": "survey", "at": "2025-10-01T09:00"},
     "already-started", "already started"),
    ({"event": "step_started", "step": "design", "at": "2025-10-09T09:00"},
     "unknown-step", "no step 'design'"),
    ({"event": "step_completed", "step": "accept", "at": "2025-09-25T09:00"},
     "before-intake", "before the case was received"),
    ({"event": "step_started", "step": "scheme", "at": "2025-10-09T09:00",
      "department": "finance"}, "unknown-department", "finance"),
    ({"event": "clock_paused", "reason": "staff_on_leave", "at": "2025-10-09T09:00"},
     "unknown-reason", "staff_on_leave"),
    ({"event": "clock_resumed", "at": "2025-10-09T09:00"}, "not-paused", "not paused"),
    ({"event": "step_started", "step": "scheme", "at": "2031-01-01T09:00"},
     "in-the-future", "later than now"),
])
def test_an_event_that_does_not_fit_is_refused_naming_it_and_nothing_else_is_lost(
        tracker: Tracker, event: dict[str, Any], code: str, words: str) -> None:
    case = _hv(tracker)
    before = tracker.events(case)
    with pytest.raises(TrackingError) as caught:
        tracker.record({"case": case, **event}, now=LATER)
    assert caught.value.code == code
    assert words in str(caught.value)
    assert event["event"] in str(caught.value)  # the event is named
    assert tracker.events(case) == before
    good = tracker.record({"case": case, "event": "step_completed", "step": "access_review",
                           "at": "2025-10-17T11:00"}, now=LATER)
    assert good.outcome == "recorded" and good.seq == len(before) + 1


def test_a_late_start_that_would_follow_its_completion_is_refused(tracker: Tracker) -> None:
    case = _hv(tracker)
    tracker.record({"case": case, "event": "step_completed", "step": "access_review",
                    "at": "2025-10-17T11:00"}, now=LATER)
    tracker.record({"case": case, "event": "step_completed", "step": "scheme",
                    "at": "2025-10-20T09:00"}, now=LATER)
    with pytest.raises(TrackingError) as caught:
        tracker.record({"case": case, "event": "step_started", "step": "scheme",
                        "at": "2025-10-21T09:00"}, now=LATER)
    assert caught.value.code == "completed-before-start"
    assert "step_started scheme at 2025-10-21T09:00:00" in str(caught.value)


def test_a_completion_without_a_recorded_start_is_taken_to_start_when_it_could(
        tracker: Tracker) -> None:
    case = _hv(tracker, "HV-C", (
        {"case": "HV-C", "event": "step_completed", "step": "access_review",
         "at": "2025-10-17T11:00"},
        {"case": "HV-C", "event": "step_completed", "step": "scheme", "at": "2025-10-21T16:00"},
    ))
    status = tracker.status(case, "2025-10-22T09:00")
    scheme = status.step("scheme")
    assert scheme.started_inferred and scheme.started_at == T(2025, 10, 17, 11, 0)
    assert status.commitment("scheme_reply_2024").state == "kept"


def test_sending_the_same_event_twice_records_it_once(tracker: Tracker) -> None:
    case = _hv(tracker)
    again = tracker.record({"case": case, "event": "step_completed", "step": "survey",
                            "at": "2025-09-30T11:00"}, now=LATER)
    assert (again.outcome, again.seq) == ("duplicate", 3)
    tracker.record({"id": "e-1", "case": case, "event": "documents_received",
                    "at": "2025-10-09T09:00", "documents": ["equipment_list"]}, now=LATER)
    with pytest.raises(TrackingError) as caught:
        tracker.record({"id": "e-1", "case": case, "event": "documents_received",
                        "at": "2025-10-10T09:00", "documents": ["equipment_list"]}, now=LATER)
    assert caught.value.code == "event-id-reused"


def test_an_event_for_a_case_never_opened_is_refused(tracker: Tracker) -> None:
    with pytest.raises(TrackingError) as caught:
        tracker.record({"case": "NOPE", "event": "step_started", "step": "accept",
                        "at": "2025-10-09T09:00"}, now=LATER)
    assert caught.value.code == "unknown-case"


# --- the end of a case


def test_a_closed_case_keeps_its_outcomes_and_takes_no_more_events(tracker: Tracker) -> None:
    d = decision("meter_test", "MT-CLOSED")
    case = follow(tracker, d, [*as_planned(d), {
        "case": "MT-CLOSED", "event": "case_closed", "at": d["plan"]["due"]}])
    status = tracker.status(case, "2025-12-01T09:00")
    assert status.state == "closed" and status.chase is None and not status.current
    assert status.commitment("test_result_sgcc_current").state == "kept"
    # the 7 days of the 2024 rules, on the wall clock, ran through the National Day holiday
    assert status.commitment("test_2024").state == "overdue"
    with pytest.raises(TrackingError) as caught:
        tracker.record({"case": case, "event": "clock_paused", "reason": "customer_request",
                        "at": "2025-11-01T09:00"}, now=LATER)
    assert caught.value.code == "case-ended"
    assert tracker.due("2025-12-01T09:00") == []
    # before it was closed it was an open case like any other
    assert tracker.status(case, "2025-09-29T10:00").state == "open"


def test_a_withdrawn_case_leaves_its_open_commitments_withdrawn(tracker: Tracker) -> None:
    case = _hv(tracker, "HV-W", ({"case": "HV-W", "event": "case_withdrawn",
                                  "at": "2025-10-10T10:00", "note": "客户取消项目"},))
    status = tracker.status(case, "2025-11-30T09:00")
    assert status.state == "withdrawn"
    assert {c.id: c.state for c in status.commitments}["scheme_reply_2024"] == "withdrawn"
    assert all(s.state in ("done", "not_done") for s in status.steps)


def test_the_same_decision_opens_a_case_once_and_another_one_is_refused(
        tracker: Tracker) -> None:
    d = decision("meter_test", "MT-TWICE")
    assert tracker.open_case(d).outcome == "opened"
    assert tracker.open_case(d).outcome == "unchanged"
    other = decision("meter_test", "MT-TWICE", received_at="2025-09-30T09:00:00")
    with pytest.raises(TrackingError) as caught:
        tracker.open_case(other)
    assert caught.value.code == "case-exists"


def test_status_before_the_case_was_received_is_an_error(tracker: Tracker) -> None:
    case = follow(tracker, decision("meter_test", "MT-EARLY"), [])
    with pytest.raises(TrackingError) as caught:
        tracker.status(case, "2025-09-01")
    assert caught.value.code == "before-intake"


def test_status_of_every_open_case_skips_those_not_received_or_already_ended(
        tracker: Tracker) -> None:
    follow(tracker, decision("meter_test", "A"), [])  # received 09-29
    follow(tracker, decision("complaint", "B"), [])  # received 10-11
    d = decision("reading_check", "C")  # received 10-09, closed 10-10
    follow(tracker, d, [{"case": "C", "event": "case_closed", "at": "2025-10-10T09:00"}])
    assert [s.case for s in tracker.statuses("2025-10-09T12:00")] == ["A", "C"]
    assert [s.case for s in tracker.statuses("2025-10-12T12:00")] == ["A", "B"]
    assert [s.case for s in tracker.statuses("2025-10-12T12:00", open_only=False)] == [
        "A", "B", "C"]
