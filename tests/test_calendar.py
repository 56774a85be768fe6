"""The working-day calendar: national holidays, make-up working days, pack extras, fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bizroute.calendar import WorkCalendar, describe, fallback_notice
from bizroute.models import Duration

D = dt.date
T = dt.datetime
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (D(2025, 9, 26), True, "an ordinary Friday"),
        (D(2025, 9, 27), False, "an ordinary Saturday"),
        (D(2025, 9, 28), True, "a Sunday made a working day (调休) for the National Day holiday"),
        (D(2025, 10, 1), False, "National Day"),
        (D(2025, 10, 6), False, "Mid-Autumn Festival, inside the joint holiday"),
        (D(2025, 10, 8), False, "the last day of the joint holiday, a Wednesday"),
        (D(2025, 10, 9), True, "the first working day after the holiday"),
        (D(2025, 10, 11), True, "a Saturday made a working day (调休)"),
        (D(2025, 10, 12), False, "an ordinary Sunday"),
    ],
)
def test_the_national_calendar_knows_holidays_and_make_up_days(day: dt.date, working: bool,
                                                                why: str) -> None:
    assert CAL.is_workday(day) is working, why


def test_adding_working_days_skips_the_national_day_holiday_and_counts_make_up_days() -> None:
    # Friday 2025-09-26 09:30 + 15 working days. Counted days: 09-28 (Sunday, 调休) 1,
    # 09-29 2, 09-30 3, [10-01..10-08 holiday], 10-09 4, 10-10 5, 10-11 (Saturday, 调休) 6,
    # 10-13..10-17 7..11, 10-20..10-23 12..15.
    due = CAL.add(T(2025, 9, 26, 9, 30), Duration(working_days=15))
    assert due == T(2025, 10, 23, 9, 30)


def test_without_the_make_up_days_the_same_count_would_end_later() -> None:
    no_make_up = WorkCalendar(holidays=[D(2025, 9, 28), D(2025, 10, 11)])
    assert no_make_up.add(T(2025, 9, 26, 9, 30), Duration(working_days=15)) == \
        T(2025, 10, 27, 9, 30)


def test_a_request_received_on_a_holiday_starts_counting_at_the_next_working_day() -> None:
    # received on National Day: the clock stands still until 10-09 00:00; one working day
    # later is the end of 10-09
    assert CAL.add(T(2025, 10, 1, 15, 0), Duration(working_days=1)) == T(2025, 10, 10, 0, 0)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (Duration(days=3), T(2025, 10, 3, 8, 0)),
        (Duration(hours=24), T(2025, 10, 1, 8, 0)),
        (Duration(minutes=45), T(2025, 9, 30, 8, 45)),
        (Duration(working_days=0.5), T(2025, 9, 30, 20, 0)),
        (Duration(working_days=1), T(2025, 10, 9, 8, 0)),
        (Duration(working_days=0), T(2025, 9, 30, 8, 0)),
    ],
)
def test_calendar_days_hours_and_minutes_are_wall_clock_time(duration: Duration,
                                                             expected: dt.datetime) -> None:
    assert CAL.add(T(2025, 9, 30, 8, 0), duration) == expected


def test_pack_holidays_and_workdays_override_the_national_data() -> None:
    cal = WorkCalendar(holidays=[D(2025, 9, 29)], workdays=[D(2025, 9, 27)])
    assert not cal.is_workday(D(2025, 9, 29))
    assert cal.is_workday(D(2025, 9, 27))
    assert cal.add(T(2025, 9, 26, 10, 0), Duration(working_days=1)) == T(2025, 9, 27, 10, 0)


def test_a_year_without_national_data_falls_back_to_monday_to_friday_and_says_so() -> None:
    year = CAL.years[1] + 2
    friday = next(D(year, 1, d) for d in range(1, 8) if D(year, 1, d).weekday() == 4)
    uncovered: set[int] = set()
    due = CAL.add(T(friday.year, friday.month, friday.day, 9), Duration(working_days=1),
                  uncovered)
    assert due == T(friday.year, friday.month, friday.day, 9) + dt.timedelta(days=3)
    assert uncovered == {year}
    assert str(year) in fallback_notice(uncovered)


def test_years_with_national_data_leave_no_notice() -> None:
    uncovered: set[int] = set()
    CAL.add(T(2025, 9, 26, 9), Duration(working_days=30), uncovered)
    assert uncovered == set()


def test_durations_read_in_chinese() -> None:
    assert describe(Duration(working_days=15)) == "15个工作日"
    assert describe(Duration(minutes=45)) == "45分钟"
    assert describe(Duration(hours=0.5)) == "0.5小时"


def test_working_days_between_counts_the_later_day_only() -> None:
    assert CAL.working_days_between(D(2025, 9, 26), D(2025, 10, 23)) == 15


moments = st.datetimes(min_value=T(2024, 1, 1), max_value=T(2026, 10, 1))
amounts = st.integers(min_value=0, max_value=40 * 24 * 4).map(lambda q: q / 96)


@given(moments, moments, amounts)
def test_a_later_start_is_never_due_earlier(a: dt.datetime, b: dt.datetime, n: float) -> None:
    early, late = min(a, b), max(a, b)
    d = Duration(working_days=n)
    assert CAL.add(early, d) <= CAL.add(late, d)


@given(moments, amounts, amounts)
def test_more_working_days_are_never_due_earlier(start: dt.datetime, a: float, b: float) -> None:
    small, big = min(a, b), max(a, b)
    assert CAL.add(start, Duration(working_days=small)) <= CAL.add(start,
                                                                   Duration(working_days=big))


@given(moments, st.integers(min_value=1, max_value=60))
def test_whole_working_days_land_on_a_working_day_or_at_its_end(start: dt.datetime,
                                                                n: int) -> None:
    due = CAL.add(start, Duration(working_days=n))
    on = due.date() if due.time() != dt.time() else due.date() - dt.timedelta(days=1)
    assert CAL.is_workday(on)


class _Walking(WorkCalendar):
    """The same calendar without its lookup table: the day-by-day walk it must agree with."""

    def _add_by_table(self, start: dt.datetime, seconds: int,
                      uncovered: set[int] | None) -> dt.datetime | None:
        return None


WALKING = _Walking()
anywhen = st.datetimes(min_value=T(2020, 1, 1), max_value=T(2030, 12, 31))


@given(anywhen, amounts)
@example(T(2026, 12, 5), 19.0)  # due at midnight after the year's last working day
def test_the_lookup_table_agrees_with_walking_day_by_day(start: dt.datetime, n: float) -> None:
    fast: set[int] = set()
    slow: set[int] = set()
    assert CAL.add(start, Duration(working_days=n), fast) == \
        WALKING.add(start, Duration(working_days=n), slow)
    assert fast == slow


def test_working_time_between_skips_the_holiday_and_counts_the_make_up_days() -> None:
    # 09-26 09:30 → 10-23 09:30 is the 15 working days of the example above
    assert CAL.working_time_between(T(2025, 9, 26, 9, 30), T(2025, 10, 23, 9, 30)) == \
        dt.timedelta(days=15)
    # a whole holiday counts nothing; the make-up Saturday 10-11 counts in full
    assert CAL.working_time_between(T(2025, 10, 1), T(2025, 10, 9)) == dt.timedelta()
    assert CAL.working_time_between(T(2025, 10, 10, 12), T(2025, 10, 12, 12)) == \
        dt.timedelta(hours=36)
    assert CAL.working_time_between(T(2025, 10, 9), T(2025, 10, 1)) == dt.timedelta()


class _WalkingBoth(_Walking):
    """Measuring without the table too (moments outside it take the walk)."""

    def __init__(self) -> None:
        super().__init__()
        self._base = self._stop = 0


WALKING_BOTH = _WalkingBoth()


@given(moments, amounts)
def test_measuring_working_time_undoes_adding_it(start: dt.datetime, n: float) -> None:
    due = CAL.add(start, Duration(working_days=n))
    assert CAL.working_time_between(start, due) == dt.timedelta(days=n)


@given(anywhen, anywhen)
def test_measuring_by_the_table_agrees_with_walking_day_by_day(a: dt.datetime,
                                                               b: dt.datetime) -> None:
    assert CAL.working_time_between(a, b) == WALKING_BOTH.working_time_between(a, b)
