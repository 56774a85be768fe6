"""Statistics over a case database, for the manager (``bizroute stats --db``).

At a moment ``at``, over every case received by then:

* **commitments kept**, by department, by category and by month: a commitment counts once it
  is decided, *kept* (its end step completed by the deadline) or *broken* (completed late, or
  still open past its deadline); the rate is kept / (kept + broken). By department, a
  commitment counts for every department with a step inside it (from its ``from`` step to
  its ``to`` step), and a broken one is also put down to the department it was waiting on
  when the deadline passed (the step in progress then, the latest against its plan; for one
  still open, the department to chase now). By month: the month of the deadline.
* **where cases wait longest**: per workflow step, how long cases waited there, from the
  moment the steps before it had all ended to its completion (paused time left out), in
  working time (on the wall clock when every commitment the step is part of runs on it);
  steps still waiting now count as open, with the longest.
* **cases overdue now**: every open commitment past its deadline, most overdue first, with
  the department to chase.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .model import steps_between
from .status import CaseStatus, Chase, CommitmentStatus, Span, StepStatus

TRACKING_STATS_SCHEMA = 1


@dataclass(slots=True)
class _Kept:
    name: str
    kept: int = 0
    broken: int = 0
    blamed: int = 0  # broken while waiting on it (departments only)

    @property
    def rate(self) -> float | None:
        total = self.kept + self.broken
        return None if total == 0 else self.kept / total

    def row(self, key: str, key_name: str) -> dict[str, Any]:
        return {key_name: key, "name": self.name, "commitments": self.kept + self.broken,
                "kept": self.kept, "broken": self.broken,
                "kept_rate": None if self.rate is None else round(self.rate, 4)}


@dataclass(slots=True)
class _Wait:
    workflow: str
    step: str
    name: str
    department: str
    department_name: str
    unit: str
    done: list[float] = field(default_factory=list)
    open: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OverdueNow:
    case: str
    category: str
    category_name: str
    commitment: CommitmentStatus

    def to_dict(self) -> dict[str, Any]:
        c = self.commitment
        return {"case": self.case, "category": self.category,
                "category_name": self.category_name, "commitment": c.id,
                "commitment_name": c.name, "deadline": None if c.deadline is None
                else c.deadline.isoformat(),
                "overdue_by": None if c.overdue_by is None else c.overdue_by.to_dict(),
                "chase": None if c.chase is None else c.chase.to_dict()}


@dataclass(frozen=True, slots=True)
class TrackingStats:
    """The tables; see the module docs."""

    at: dt.datetime
    cases: int
    open_cases: int
    by_department: tuple[dict[str, Any], ...]
    by_category: tuple[dict[str, Any], ...]
    by_month: tuple[dict[str, Any], ...]
    waits: tuple[dict[str, Any], ...]
    overdue: tuple[OverdueNow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": TRACKING_STATS_SCHEMA, "at": self.at.isoformat(),
                "cases": self.cases, "open_cases": self.open_cases,
                "kept_by_department": list(self.by_department),
                "kept_by_category": list(self.by_category),
                "kept_by_month": list(self.by_month), "step_waits": list(self.waits),
                "overdue_now": [o.to_dict() for o in self.overdue]}


def tracking_stats(statuses: Iterable[CaseStatus], at: dt.datetime) -> TrackingStats:
    """The tables over ``statuses`` (every case's status at ``at``)."""
    departments: dict[str, _Kept] = {}
    categories: dict[str, _Kept] = {}
    months: dict[str, _Kept] = {}
    waits: dict[tuple[str, str], _Wait] = {}
    overdue: list[OverdueNow] = []
    cases = open_cases = 0
    for s in statuses:
        cases += 1
        open_cases += s.state in ("open", "paused")
        steps = {x.id: x for x in s.steps}
        for c in s.commitments:
            if c.state not in ("kept", "overdue"):
                continue
            kept = c.state == "kept"
            window = _window(s, c)
            for dept in {(x.department.id, x.department.name) for x in window}:
                _count(departments, dept[0], dept[1], kept)
            _count(categories, s.category, s.category_name, kept)
            if c.deadline is not None:
                _count(months, c.deadline.strftime("%Y-%m"), "", kept)
            if not kept:
                blamed = _waiting_on(c, window, steps)
                if blamed is not None:
                    departments.setdefault(blamed.who, _Kept(blamed.who_name)).blamed += 1
            if c.state == "overdue" and c.finished_at is None and s.state in ("open",
                                                                               "paused"):
                overdue.append(OverdueNow(s.case, s.category, s.category_name, c))
        for x in s.steps:
            if x.waited is None:
                continue
            wait = waits.get((s.workflow, x.id))
            if wait is None:
                wait = waits[(s.workflow, x.id)] = _Wait(
                    s.workflow, x.id, x.name, x.department.id, x.department.name,
                    x.waited.unit)
            (wait.done if x.state == "done" else wait.open).append(x.waited.seconds)
    overdue.sort(key=lambda o: (-(o.commitment.overdue_by.seconds
                                  if o.commitment.overdue_by else 0.0), o.case))
    return TrackingStats(
        at, cases, open_cases,
        tuple(_department_row(k, v) for k, v in _ordered(departments)),
        tuple(v.row(k, "category") for k, v in _ordered(categories)),
        tuple({**v.row(k, "month"), "name": None} for k, v in sorted(months.items())),
        tuple(_wait_row(w) for w in sorted(waits.values(), key=_wait_key)),
        tuple(overdue))


def _count(table: dict[str, _Kept], key: str, name: str, kept: bool) -> None:
    entry = table.setdefault(key, _Kept(name))
    if kept:
        entry.kept += 1
    else:
        entry.broken += 1


def _ordered(table: dict[str, _Kept]) -> list[tuple[str, _Kept]]:
    """Lowest kept rate first: where promises break most."""
    return sorted(table.items(), key=lambda kv: (kv[1].rate if kv[1].rate is not None else 2.0,
                                                -(kv[1].kept + kv[1].broken), kv[0]))


def _department_row(key: str, v: _Kept) -> dict[str, Any]:
    return {**v.row(key, "department"), "broken_waiting_on": v.blamed}


def _window(s: CaseStatus, c: CommitmentStatus) -> list[StepStatus]:
    """The steps inside a commitment: from its from step to its to step, both included."""
    inside = steps_between({x.id: x.after for x in s.steps}, c.from_step, c.to_step)
    return [x for x in s.steps if x.id in inside]


def _waiting_on(c: CommitmentStatus, window: list[StepStatus],
                steps: dict[str, StepStatus]) -> Chase | None:
    """The department a broken commitment was waiting on when its deadline passed."""
    if c.finished_at is None:
        return c.chase
    deadline = c.deadline
    if deadline is None:
        return None
    busy = [x for x in window if x.started_at is not None and x.started_at <= deadline
            and (x.completed_at is None or x.completed_at > deadline)]
    if not busy:
        busy = [x for x in window if x.ready_at is not None and x.ready_at <= deadline
                and (x.completed_at is None or x.completed_at > deadline)]
    if not busy:
        return None
    x = max(busy, key=lambda y: (y.late_by.seconds if y.late_by else 0.0, y.id))
    return Chase(x.department, x.id, x.name, x.started_at or x.ready_at, "", c.id)


def _wait_key(w: _Wait) -> tuple[Any, ...]:
    values = w.done or w.open
    return (-(statistics.median(values) if values else 0.0), w.workflow, w.step)


def _wait_row(w: _Wait) -> dict[str, Any]:
    def span(seconds: float | None) -> dict[str, Any] | None:
        return None if seconds is None else Span(w.unit, seconds).to_dict()

    return {"workflow": w.workflow, "step": w.step, "name": w.name,
            "department": w.department, "department_name": w.department_name,
            "completed": len(w.done),
            "median": span(statistics.median(w.done) if w.done else None),
            "mean": span(statistics.fmean(w.done) if w.done else None),
            "longest": span(max(w.done) if w.done else None),
            "waiting_now": len(w.open), "longest_waiting_now": span(max(w.open) if w.open
                                                                    else None)}
