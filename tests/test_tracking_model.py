"""The parts of tracking that need no database: event records, cases from decisions, the
clock with pauses, and the output helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bizroute import TrackingError
from bizroute.calendar import WorkCalendar
from bizroute.tracking.clock import PAUSE_REASONS, Clock, Interval, parse_within
from bizroute.tracking.model import Case, Event, parse_time
from bizroute.tracking.render import cell, clean
from tests.tracking_cases import T, decision

CLOCK = Clock(WorkCalendar())
GOOD = {"case": "C-1", "event": "step_started", "step": "survey", "at": "2025-09-28T09:00"}


@pytest.mark.parametrize(("record", "words"), [
    ([1, 2], "must be a JSON object"),
    ({**GOOD, "stpe": "survey"}, "unknown key(s) 'stpe'"),
    ({k: v for k, v in GOOD.items() if k != "case"}, "no 'case'"),
    ({**GOOD, "event": "step_finished"}, "unknown event 'step_finished'"),
    ({k: v for k, v in GOOD.items() if k != "event"}, "no 'event'"),
    ({k: v for k, v in GOOD.items() if k != "at"}, "has no 'at'"),
    ({**GOOD, "at": "next Monday"}, "not an ISO 8601 date-time"),
    ({**GOOD, "at": 20250928}, "must be an ISO 8601 date-time string"),
    ({k: v for k, v in GOOD.items() if k != "step"}, "needs 'step'"),
    ({**GOOD, "event": "clock_resumed"}, "takes no 'step'"),
    ({"case": "C-1", "event": "clock_paused", "at": "2025-09-28"}, "needs 'reason'"),
    ({"case": "C-1", "event": "documents_received", "at": "2025-09-28"}, "needs 'documents'"),
    ({"case": "C-1", "event": "documents_received", "at": "2025-09-28", "documents": [1]},
     "list of document ids"),
    ({**GOOD, "department": ["counter"]}, "'department' must be a string"),
    ({**GOOD, "note": "x" * 2001}, "longer than 2000"),
])
def test_an_event_record_that_is_not_an_event_says_what_is_wrong(record: Any,
                                                                  words: str) -> None:
    with pytest.raises(TrackingError) as caught:
        Event.from_dict(record)
    assert caught.value.code == "bad-event" and words in str(caught.value)


def test_an_event_without_an_id_is_named_by_its_content() -> None:
    a, b = Event.from_dict(GOOD), Event.from_dict(dict(reversed(list(GOOD.items()))))
    assert a.id == b.id and a.id.startswith("auto-")
    assert Event.from_dict({**GOOD, "person": "王敏"}).id != a.id
    assert Event.from_dict({**GOOD, "id": 42}).id == "42"


def test_an_event_s_case_can_come_from_outside_but_must_agree() -> None:
    event = Event.from_dict({k: v for k, v in GOOD.items() if k != "case"}, case="C-9")
    assert event.case == "C-9"
    with pytest.raises(TrackingError):
        Event.from_dict(GOOD, case="C-9")


def test_documents_in_a_csv_cell_are_split_on_semicolons() -> None:
    event = Event.from_dict({"case": "C", "event": "documents_received", "at": "2025-10-09",
                             "documents": "project_approval; land_red_line_map"})
    assert event.documents == ("project_approval", "land_red_line_map")


@pytest.mark.parametrize(("given_", "expected"), [
    ("2025-10-09T09:30", T(2025, 10, 9, 9, 30)),
    ("2025-10-09", T(2025, 10, 9)),
    ("2025-10-09T01:30:00Z", T(2025, 10, 9, 9, 30)),  # UTC to China Standard Time
    ("2025-10-09T09:30:00+08:00", T(2025, 10, 9, 9, 30)),
    (dt.date(2025, 10, 9), T(2025, 10, 9)),
])
def test_times_are_china_standard_time_without_an_offset(given_: Any,
                                                         expected: dt.datetime) -> None:
    assert parse_time(given_) == expected


@pytest.mark.parametrize(("change", "code"), [
    ({"status": "needs_info"}, "not-decided"),
    ({"request_id": None}, "no-case-id"),
    ({"plan": None}, "no-plan"),
    ({"pack": None, "status": None}, "not-a-decision"),
])
def test_a_decision_that_cannot_open_a_case_says_why(change: dict[str, Any], code: str) -> None:
    d = {**decision("meter_test"), **change}
    d = {k: v for k, v in d.items() if v is not None or k in ("request_id", "plan")}
    with pytest.raises(TrackingError) as caught:
        Case.from_decision(d)
    assert caught.value.code == code


def test_a_plan_from_before_steps_carried_their_units_is_refused_with_advice() -> None:
    d = decision("meter_test")
    for s in d["plan"]["steps"]:
        del s["duration_unit"]
    with pytest.raises(TrackingError) as caught:
        Case.from_decision(d)
    assert caught.value.code == "bad-plan" and "--plan" in str(caught.value)


def test_a_case_reads_its_plan_from_the_decision_not_from_the_pack() -> None:
    d = decision("hv_single", "HV-1")
    d["plan"]["commitments"][0]["limit_amount"] = 99.0  # what was promised at intake counts
    case = Case.from_decision(d)
    assert case.plan.commitments[0].amount == 99.0
    assert [s.id for s in case.plan.steps][:3] == ["accept", "survey", "access_review"]
    assert case.plan.start_step.id == "accept"


# --- the clock


def test_advancing_past_a_pause_moves_the_moment_by_the_paused_working_time() -> None:
    start = T(2025, 9, 26, 9, 30)
    pause = [Interval(T(2025, 9, 30, 9, 30), T(2025, 10, 9, 9, 30))]  # a working day paused
    moment, left = CLOCK.advance("working_days", start, 15 * 86400, pause)
    assert (moment, left) == (T(2025, 10, 24, 9, 30), 0.0)
    # a pause still open: where it would end is unknown; what is left is known
    moment, left = CLOCK.advance("working_days", start, 15 * 86400,
                                 [Interval(T(2025, 9, 30, 9, 30), None)])
    assert moment is None and left == pytest.approx(12 * 86400)
    # a pause after the moment is reached changes nothing
    late = [Interval(T(2025, 11, 3), T(2025, 11, 10))]
    assert CLOCK.advance("working_days", start, 15 * 86400, late)[0] == T(2025, 10, 23, 9, 30)


def test_wall_clock_limits_count_holidays_and_pauses_in_full() -> None:
    start = T(2025, 10, 1, 20, 15)  # National Day evening: fault repair does not stop
    assert CLOCK.advance("minutes", start, 45 * 60, [])[0] == T(2025, 10, 1, 21, 0)
    pause = [Interval(T(2025, 10, 1, 20, 30), T(2025, 10, 1, 20, 40))]
    assert CLOCK.advance("minutes", start, 45 * 60, pause)[0] == T(2025, 10, 1, 21, 10)


moments = st.datetimes(min_value=T(2025, 1, 1), max_value=T(2026, 6, 1))


@given(moments, st.integers(0, 30 * 96), moments, st.integers(0, 20 * 96))
@example(T(2025, 2, 5, 0, 0, 0, 1), 60, T(2025, 2, 5, 13, 0), 0)  # a start off the second
def test_counted_time_to_the_advanced_moment_is_what_was_added(
        start: dt.datetime, quarters: int, pause_start: dt.datetime, length: int) -> None:
    seconds = quarters * 900
    pauses = [Interval(pause_start, pause_start + dt.timedelta(seconds=length * 900))]
    moment, _ = CLOCK.advance("working_days", start, seconds, pauses)
    assert moment is not None
    # to the second: the calendar adds whole seconds
    assert CLOCK.counted("working_days", start, moment, pauses) == pytest.approx(seconds,
                                                                                 abs=1.0)


@pytest.mark.parametrize(("text", "expected"), [
    ("1d", ("days", 86400.0)), ("12h", ("hours", 43200.0)), ("30m", ("minutes", 1800.0)),
    ("2wd", ("working_days", 172800.0)), ("1.5D", ("days", 129600.0)),
])
def test_a_span_reads_wall_clock_or_working_days(text: str,
                                                 expected: tuple[str, float]) -> None:
    assert parse_within(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "d", "-1d", "1w", "nand"])
def test_a_span_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a span"):
        parse_within(text)


def test_every_pause_reason_has_a_name_and_a_basis_marked_as_verified_or_practice() -> None:
    assert set(PAUSE_REASONS) == {"customer_documents", "customer_request", "customer_works"}
    for reason in PAUSE_REASONS.values():
        assert reason.name and reason.basis and reason.kind in ("verified", "practice")
    assert PAUSE_REASONS["customer_works"].kind == "verified"


# --- output helpers


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+2", "'=1+2"), ("+86 10", "'+86 10"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (3, 3), (-1.5, -1.5), (None, ""),
    (True, "true"),
])
def test_a_csv_cell_never_starts_a_formula(value: Any, expected: Any) -> None:
    assert cell(value) == expected


def test_terminal_text_loses_control_and_direction_characters() -> None:
    assert clean("a\x1b[31mb\u202ec\x07d\ne") == "a[31mbcd e"
