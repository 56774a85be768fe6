"""The working-day calendar: Chinese public holidays, make-up working days (调休), pack extras.

National holidays and the weekend days made working days come from the maintained
``chinese-calendar`` package. A pack adds its own days in ``pack.calendar`` (``holidays`` and
``workdays``; a pack day wins over the national data). For a year the package has no data for,
the calendar falls back to Monday–Friday and records the year, so a decision can say that its
deadlines rest on an assumption.

Time is measured on a *working-time clock*: every working day contributes its 24 hours, every
other day none. Adding ``n`` working days moves ``n × 24`` hours along that clock and maps back
to the earliest wall-clock moment with that reading. So a request received on a working day at
09:30 with 15 working days is due at 09:30 on the 15th working day after it; a request received
on a holiday starts counting at 00:00 of the next working day. The map is monotone: a later
start never gives an earlier due moment.
"""

from __future__ import annotations

import calendar as _months
import datetime as dt
import math
from collections.abc import Iterable
from typing import Literal

import chinese_calendar

from . import models as m

Unit = Literal["months", "working_days", "days", "hours", "minutes"]
UNITS: tuple[Unit, ...] = ("months", "working_days", "days", "hours", "minutes")
#: Nominal length of one unit in minutes, for comparing durations of different units (graph
#: checks, critical paths at load time). A working day counts as a full day here, a month as
#: 30 days.
NOMINAL_MINUTES: dict[str, float] = {"months": 43200.0, "working_days": 1440.0,
                                     "days": 1440.0, "hours": 60.0, "minutes": 1.0}
_DAY = 86400
_UNIT_ZH = {"months": "个月", "working_days": "个工作日", "days": "天", "hours": "小时",
            "minutes": "分钟"}


def _national_years() -> tuple[int, int]:
    years = [d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays)]
    return min(years), max(years)


NATIONAL_YEARS: tuple[int, int] = _national_years()
_NATIONAL_HOLIDAYS = frozenset(chinese_calendar.holidays)
_NATIONAL_WORKDAYS = frozenset(chinese_calendar.workdays)
#: The years whose working days are tabulated for fast arithmetic (others are walked day by day).
TABLE_YEARS = (2000, 2060)


def split(duration: m.Duration) -> tuple[Unit, float]:
    """The one unit a :class:`~bizroute.models.Duration` is given in, and its amount."""
    for unit in UNITS:
        amount = getattr(duration, unit)
        if amount is not None:
            return unit, float(amount)
    raise ValueError("a duration without a unit")  # the model forbids it


def nominal_minutes(duration: m.Duration) -> float:
    unit, amount = split(duration)
    return amount * NOMINAL_MINUTES[unit]


def describe(duration: m.Duration) -> str:
    """``15个工作日``, ``45分钟``: the Chinese form of a duration."""
    unit, amount = split(duration)
    shown = str(int(amount)) if amount == int(amount) else f"{amount:g}"
    return f"{shown}{_UNIT_ZH[unit]}"


class WorkCalendar:
    """Which days are working days, and date arithmetic on them.

    Safe to share between threads: the only mutable state is a cache whose entries never
    change once written.

    >>> cal = WorkCalendar()
    >>> cal.is_workday(dt.date(2025, 10, 11))   # a Saturday made a working day (调休)
    True
    >>> cal.add(dt.datetime(2025, 9, 30, 10, 0), m.Duration(working_days=1))
    datetime.datetime(2025, 10, 9, 10, 0)
    """

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.years = NATIONAL_YEARS
        self._cache: dict[dt.date, bool] = {}
        # A table of the working days of TABLE_YEARS makes adding working days a lookup:
        # _rank[o - _base] counts the working days before ordinal o, _days[k] is the k-th.
        self._base = dt.date(TABLE_YEARS[0], 1, 1).toordinal()
        self._stop = dt.date(TABLE_YEARS[1] + 1, 1, 1).toordinal()
        self._rank: list[int] = []
        self._days: list[int] = []
        for ordinal in range(self._base, self._stop):
            self._rank.append(len(self._days))
            if self._decide(dt.date.fromordinal(ordinal)):
                self._days.append(ordinal)

    @classmethod
    def for_pack(cls, settings: m.CalendarSettings | None) -> WorkCalendar:
        if settings is None:
            return cls()
        return cls(settings.holidays, settings.workdays)

    def covers(self, year: int) -> bool:
        """Whether the national data knows the holidays of ``year``."""
        return self.years[0] <= year <= self.years[1]

    def is_workday(self, day: dt.date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._decide(day)
        return cached

    def _decide(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.covers(day.year):
            # the package's own tables (is_workday would re-validate the date every call)
            return day in _NATIONAL_WORKDAYS or (day.weekday() < 5
                                                 and day not in _NATIONAL_HOLIDAYS)
        return day.weekday() < 5  # no national data: Monday to Friday

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add(self, start: dt.datetime, duration: m.Duration,
            uncovered: set[int] | None = None) -> dt.datetime:
        """``start`` plus ``duration``; years met without national data go into ``uncovered``."""
        unit, amount = split(duration)
        return self.add_amount(start, unit, amount, uncovered)

    def add_amount(self, start: dt.datetime, unit: str, amount: float,
                   uncovered: set[int] | None = None) -> dt.datetime:
        """``start`` plus ``amount`` of ``unit`` (see :data:`UNITS`)."""
        if unit == "working_days":
            return self.add_working_days(start, amount, uncovered)
        if unit == "days":
            return start + dt.timedelta(days=amount)
        if unit == "months":
            return add_months(start, int(amount))
        if unit == "hours":
            return start + dt.timedelta(hours=amount)
        return start + dt.timedelta(minutes=amount)

    def add_working_days(self, start: dt.datetime, amount: float,
                         uncovered: set[int] | None = None) -> dt.datetime:
        """Move ``amount`` working days along the working-time clock (see the module docs)."""
        seconds = math.ceil(amount * _DAY - 1e-6)  # whole seconds; float noise must not add one
        if seconds <= 0:
            return start
        fast = self._add_by_table(start, seconds, uncovered)
        if fast is not None:
            return fast
        day = start.date()
        self._note(day, uncovered)
        if self.is_workday(day):
            offset = start.hour * 3600 + start.minute * 60 + start.second
            micro = start.microsecond
        else:  # the clock stands still until the next working day begins
            day, offset, micro = self.next_workday(day), 0, 0
            self._note(day, uncovered)
        whole, rest = divmod(offset + seconds, _DAY)
        if rest == 0 and micro == 0:
            # the earliest moment with this reading is the end of the previous working day
            whole -= 1
            rest = _DAY
        for _ in range(whole):
            day = self.next_workday(day)
            self._note(day, uncovered)
        base = dt.datetime.combine(day, dt.time(), tzinfo=start.tzinfo)
        return base + dt.timedelta(seconds=rest, microseconds=micro)

    def _add_by_table(self, start: dt.datetime, seconds: int,
                      uncovered: set[int] | None) -> dt.datetime | None:
        """The same walk as :meth:`add_working_days`, by lookup; ``None`` outside the table."""
        ordinal = start.toordinal()
        if not self._base <= ordinal < self._stop:
            return None
        days = self._days
        index = self._rank[ordinal - self._base]
        micro = start.microsecond
        if index < len(days) and days[index] == ordinal:  # a working day: its clock runs
            offset = start.hour * 3600 + start.minute * 60 + start.second
        else:
            offset = micro = 0
        whole, rest = divmod(offset + seconds, _DAY)
        if rest == 0 and micro == 0:
            whole -= 1
            rest = _DAY
        target = index + whole
        if target >= len(days):
            return None
        result = dt.datetime.fromordinal(days[target]) + dt.timedelta(seconds=rest,
                                                                      microseconds=micro)
        if start.tzinfo is not None:
            result = result.replace(tzinfo=start.tzinfo)
        if uncovered is not None:
            # the years of the working days counted, like the walk: a due moment at midnight
            # after the last one needs no data for the day it falls on
            end_year = dt.date.fromordinal(days[target]).year
            first, last = self.years
            if not (first <= start.year <= last and first <= end_year <= last):
                uncovered.update(y for y in range(start.year, end_year + 1)
                                 if not first <= y <= last)
        return result

    def working_time_between(self, start: dt.datetime, end: dt.datetime,
                             uncovered: set[int] | None = None) -> dt.timedelta:
        """The working time from ``start`` to ``end`` on the working-time clock (zero when
        ``end`` is not later): the inverse of :meth:`add_working_days`.

        >>> cal = WorkCalendar()
        >>> cal.working_time_between(dt.datetime(2025, 9, 30, 10), dt.datetime(2025, 10, 9, 10))
        datetime.timedelta(days=1)
        """
        if end <= start:
            return dt.timedelta()
        first, last = start.toordinal(), end.toordinal()
        if self._base <= first and last < self._stop:
            return self._reading(end) - self._reading(start)
        total, day = dt.timedelta(), start.date()
        while day <= end.date():
            self._note(day, uncovered)
            if self.is_workday(day):
                begin = dt.datetime.combine(day, dt.time(), tzinfo=start.tzinfo)
                total += min(end, begin + dt.timedelta(days=1)) - max(start, begin)
            day += dt.timedelta(days=1)
        return total

    def _reading(self, moment: dt.datetime) -> dt.timedelta:
        """The working-time clock at ``moment``, counted from the start of the table."""
        ordinal = moment.toordinal()
        index = self._rank[ordinal - self._base]
        elapsed = dt.timedelta(days=index)
        if index < len(self._days) and self._days[index] == ordinal:
            elapsed += moment - dt.datetime.combine(moment.date(), dt.time(),
                                                    tzinfo=moment.tzinfo)
        return elapsed

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in ``(start, end]``: how many ``end`` lies after ``start``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def _note(self, day: dt.date, uncovered: set[int] | None) -> None:
        if uncovered is not None and not self.covers(day.year):
            uncovered.add(day.year)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """``start`` plus whole calendar months: the same day of the month and time of day, or
    the last day of a shorter month (a month after 01-31 is 02-28 or 02-29), as periods
    counted in months end (民法典 第二百零二条)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, _months.monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day)


def fallback_notice(years: Iterable[int]) -> str:
    """The notice a decision carries when its deadlines fall in years without holiday data."""
    shown = "、".join(str(y) for y in sorted(years))
    return (f"{shown}年无法定节假日数据，工作日按周一至周五计算 (no holiday data for {shown}; "
            "working days assumed Monday–Friday)")
