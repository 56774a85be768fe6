"""The clock rules: which pauses count, and time measured on a case's clock.

A commitment's limit is counted on the working-day calendar (``working_days``) or on the wall
clock (``days``, ``hours``, ``minutes``), exactly as the plan counted it at intake, and time
while the case's clock is paused is not counted. The clock may be paused only for a reason in
:data:`PAUSE_REASONS`, each with its basis (docs/tracking.md, "Clock rules").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..calendar import WorkCalendar

_UNIT_SECONDS = {"working_days": 86400.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0}


@dataclass(frozen=True, slots=True)
class PauseReason:
    """A reason the clock rules accept for stopping a case's clock."""

    id: str
    name: str
    name_en: str
    basis: str
    kind: str  # "verified" (the reference says so, with a source) or "practice"


PAUSE_REASONS: dict[str, PauseReason] = {r.id: r for r in (
    PauseReason(
        "customer_documents", "等待客户补充资料", "waiting for the customer's documents",
        "一次性告知缺件后，等待客户补齐资料的时间不计入供电企业办理时限；十项承诺的时限是供电企业"
        "各环节的时间（现行十项承诺第六项：供电企业各环节时间之和）", "practice"),
    PauseReason(
        "customer_request", "客户申请缓办", "the customer's own request to delay",
        "客户本人要求推迟（如约定的勘查、装表时间由客户改期）的时间不计入供电企业办理时限；"
        "依据同上：承诺只约束供电企业自身环节", "practice"),
    PauseReason(
        "customer_works", "客户受电工程施工", "the customer's own construction works",
        "现行十项承诺第六项：高压客户全过程办电时间为供电企业各环节时间之和，不含客户工程"
        "（设计、施工由客户自主选择的单位完成）", "verified"),
)}


@dataclass(frozen=True, slots=True)
class Interval:
    """A paused stretch of a case's clock; ``end`` None while the clock is still paused."""

    start: dt.datetime
    end: dt.datetime | None


class Clock:
    """Time arithmetic on the working-day calendar with paused stretches left out."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar

    def elapsed(self, unit: str, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds of ``unit``'s clock from ``start`` to ``end`` (0 if ``end`` is earlier)."""
        if end <= start:
            return 0.0
        if unit == "working_days":
            return self.calendar.working_time_between(start, end).total_seconds()
        return (end - start).total_seconds()

    def add(self, unit: str, start: dt.datetime, seconds: float) -> dt.datetime:
        """``start`` plus ``seconds`` of ``unit``'s clock."""
        if seconds <= 0:
            return start
        if unit == "working_days":
            # to the second, as the calendar counts (a fraction would round up a second)
            return self.calendar.add_working_days(start, round(seconds) / 86400)
        return start + dt.timedelta(seconds=seconds)

    def counted(self, unit: str, start: dt.datetime, end: dt.datetime,
                pauses: Sequence[Interval]) -> float:
        """Seconds from ``start`` to ``end`` that count: ``unit``'s clock less the pauses."""
        total = self.elapsed(unit, start, end)
        for p in pauses:
            a = max(p.start, start)
            b = min(p.end or end, end)
            if b > a:
                total -= self.elapsed(unit, a, b)
        return max(total, 0.0)

    def advance(self, unit: str, start: dt.datetime, seconds: float,
                pauses: Sequence[Interval]) -> tuple[dt.datetime | None, float]:
        """The moment ``seconds`` of counted time after ``start``, the pauses left out.

        Returns ``(moment, 0)``; or ``(None, left)`` when an open pause (``end`` None) comes
        first, ``left`` being the counted time still to run when the clock resumes.
        """
        moment, left = start, seconds
        for p in pauses:  # sorted by start, not overlapping
            if p.end is not None and p.end <= moment:
                continue
            if p.start > moment:
                candidate = self.add(unit, moment, left)
                if candidate <= p.start:
                    return candidate, 0.0
                left -= self.elapsed(unit, moment, p.start)
            if p.end is None:
                return None, left
            moment = max(moment, p.end)
        return self.add(unit, moment, left), 0.0


def unit_seconds(unit: str, amount: float) -> float:
    """A limit or duration in seconds of its unit's clock."""
    return amount * _UNIT_SECONDS[unit]


def describe_span(unit: str, seconds: float) -> str:
    """``2个工作日3小时``, ``1天2小时``, ``45分钟``: counted time, rounded to the minute."""
    minutes = round(seconds / 60)
    if minutes <= 0:
        return "0分钟"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}{'个工作日' if unit == 'working_days' else '天'}")
    if hours:
        parts.append(f"{hours}小时")
    if mins:
        parts.append(f"{mins}分钟")
    return "".join(parts)


_WITHIN_UNITS = {"wd": "working_days", "d": "days", "h": "hours", "m": "minutes"}


def parse_within(text: str) -> tuple[str, float]:
    """``1d``, ``12h``, ``30m`` (wall clock) or ``2wd`` (working days): unit and seconds."""
    value = text.strip().lower()
    for suffix in ("wd", "d", "h", "m"):
        if value.endswith(suffix):
            number = value[: -len(suffix)].strip()
            try:
                amount = float(number)
            except ValueError:
                break
            if amount < 0 or amount != amount or amount > 3660:
                break
            unit = _WITHIN_UNITS[suffix]
            return unit, unit_seconds(unit, amount)
    raise ValueError(f"{text!r} is not a span: a number and a unit, wd (working days), d (days),"
                     " h (hours) or m (minutes), e.g. 1d, 2wd, 4h")
