"""The status of a case at a moment: where it stands, which promises hold, whom to chase.

:func:`follow` replays a case's events up to the moment asked about and projects the rest of
the plan from there: a completed step ends when it was completed; a started step is expected
to end its planned duration after it started (and not before now, since it is not done); a
step not yet started starts when the last step it waits for ends (and not before now). Paused
time is left out everywhere. Each commitment is then

* ``kept``: its ``to`` step was completed by the deadline;
* ``overdue``: the deadline has passed (completed late, or still open), by how much;
* ``paused``: the clock is paused for the customer, with the time left when it resumes;
* ``at_risk``: still open and in time, but the steps left cannot end by the deadline;
* ``running``: open, in time, with the working time left;
* ``pending``: its ``from`` step has not started, so its clock has not either;
* ``undetermined``: the request did not say which limit applies (the plan's ``depends_on``);
* ``withdrawn`` / ``unrecorded``: the case was withdrawn, or closed without this step's
  completion recorded, before the deadline.

The deadline of a commitment is its limit after the start of its ``from`` step on the clock
of its unit (working days on the calendar with 调休, else the wall clock), moved on by every
paused stretch that falls before it. Docs: docs/tracking.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..decision import BasisRef, Named
from .clock import PAUSE_REASONS, Clock, Interval, describe_span, unit_seconds
from .model import Case, CommitmentPlan, Event, StepPlan, iso
from .timeline import Pause, Timeline, replay

StepState = Literal["done", "in_progress", "ready", "waiting", "not_done"]
CommitmentState = Literal["kept", "overdue", "paused", "at_risk", "running", "pending",
                          "undetermined", "withdrawn", "unrecorded"]
COMMITMENT_STATES: tuple[CommitmentState, ...] = (
    "kept", "overdue", "paused", "at_risk", "running", "pending", "undetermined", "withdrawn",
    "unrecorded")
STATE_ZH: dict[str, str] = {
    "kept": "按期完成", "overdue": "超期", "paused": "暂停计时", "at_risk": "超期风险",
    "running": "计时中", "pending": "未起算", "undetermined": "时限未定", "withdrawn": "已撤回",
    "unrecorded": "未记录完成", "done": "已完成", "in_progress": "办理中", "ready": "待办理",
    "waiting": "等待前序", "not_done": "未完成", "open": "办理中", "closed": "已办结"}
_AMOUNT_UNIT = {"working_days": 86400.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0}


@dataclass(frozen=True, slots=True)
class Span:
    """Counted time on a commitment's clock: ``unit`` and seconds."""

    unit: str
    seconds: float

    @property
    def text(self) -> str:
        return describe_span(self.unit, self.seconds)

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "amount": round(self.seconds / _AMOUNT_UNIT[self.unit], 4),
                "seconds": round(self.seconds), "text": self.text}


@dataclass(frozen=True, slots=True)
class Because:
    """One line of an explanation, with the event it rests on (None: the plan or intake)."""

    text: str
    event: Event | None = None

    def to_dict(self) -> dict[str, Any]:
        ref = None if self.event is None else {
            "seq": self.event.seq, "id": self.event.id, "event": self.event.kind,
            "at": self.event.at.isoformat()}
        return {"text": self.text, "event": ref}


@dataclass(frozen=True, slots=True)
class Chase:
    """Whom to chase, and why: a department at a step, or the customer (clock paused)."""

    department: Named | None  # None: the customer
    step: str | None
    step_name: str | None
    since: dt.datetime | None
    reason: str
    commitment: str | None = None

    @property
    def who(self) -> str:
        return self.department.id if self.department is not None else "customer"

    @property
    def who_name(self) -> str:
        return self.department.name if self.department is not None else "客户"

    def to_dict(self) -> dict[str, Any]:
        return {"who": self.who, "department": None if self.department is None
                else self.department.to_dict(), "step": self.step, "step_name": self.step_name,
                "since": iso(self.since), "commitment": self.commitment, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class StepStatus:
    id: str
    name: str
    department: Named  # the one that took it on, when an event says so; else the plan's
    after: tuple[str, ...]  # the steps it waits for
    state: StepState
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    expected_start: dt.datetime | None
    expected_end: dt.datetime | None
    planned_due: dt.datetime
    since: dt.datetime | None  # in progress since (started), or ready since
    ready_at: dt.datetime | None  # when the steps it waits for had all ended (intake: start)
    waited: Span | None  # from ready_at to its end (or to now), paused time left out
    due: dt.datetime | None  # its planned duration after it started (or became ready)
    late_by: Span | None  # past ``due`` by this much (done: how much later it ended)
    person: str | None
    started_inferred: bool = False  # completed with no start recorded

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "department": self.department.to_dict(),
                "after": list(self.after), "state": self.state,
                "started_at": iso(self.started_at),
                "started_inferred": self.started_inferred,
                "completed_at": iso(self.completed_at),
                "expected_start": iso(self.expected_start),
                "expected_end": iso(self.expected_end), "planned_due": iso(self.planned_due),
                "since": iso(self.since), "ready_at": iso(self.ready_at),
                "waited": None if self.waited is None else self.waited.to_dict(),
                "due": iso(self.due),
                "late_by": None if self.late_by is None else self.late_by.to_dict(),
                "person": self.person}


@dataclass(frozen=True, slots=True)
class CommitmentStatus:
    id: str
    name: str
    from_step: str
    to_step: str
    limit: str | None
    unit: str | None
    state: CommitmentState
    counted_from: dt.datetime | None  # the start of the from step (expected, when pending)
    deadline: dt.datetime | None  # after paused time; None while paused or undetermined
    planned_deadline: dt.datetime | None  # as the plan had it at intake
    expected_end: dt.datetime | None  # when the to step ends (done, or projected)
    finished_at: dt.datetime | None
    left: Span | None  # running, at risk, paused: counted time left
    overdue_by: Span | None
    miss_by: Span | None  # at risk: how far past the deadline the projection ends
    paused: Span | None  # counted time left out for pauses
    chase: Chase | None
    because: tuple[Because, ...]
    basis: tuple[BasisRef, ...]
    binding: bool | None = True  # the plan's: the earliest deadline on these steps at intake
    same_steps: tuple[str, ...] = ()  # the other commitments on the same steps

    def to_dict(self) -> dict[str, Any]:
        def span(s: Span | None) -> dict[str, Any] | None:
            return None if s is None else s.to_dict()

        return {"id": self.id, "name": self.name, "from": self.from_step, "to": self.to_step,
                "limit": self.limit, "limit_unit": self.unit, "state": self.state,
                "counted_from": iso(self.counted_from), "deadline": iso(self.deadline),
                "planned_deadline": iso(self.planned_deadline),
                "expected_end": iso(self.expected_end), "finished_at": iso(self.finished_at),
                "left": span(self.left), "overdue_by": span(self.overdue_by),
                "miss_by": span(self.miss_by), "paused": span(self.paused),
                "chase": None if self.chase is None else self.chase.to_dict(),
                "because": [b.to_dict() for b in self.because],
                "basis": [b.to_dict() for b in self.basis], "binding": self.binding,
                "same_steps": list(self.same_steps)}


@dataclass(frozen=True, slots=True)
class PauseStatus:
    reason: str
    reason_name: str
    since: dt.datetime
    awaiting: tuple[str, ...]
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "reason_name": self.reason_name,
                "since": self.since.isoformat(), "awaiting": list(self.awaiting),
                "note": self.note}


CaseState = Literal["open", "paused", "closed", "withdrawn"]
STATUS_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """Where a case stands at ``at`` (docs/tracking.md, "Status")."""

    case: str
    category: str
    category_name: str
    workflow: str
    workflow_name: str
    received_at: dt.datetime
    at: dt.datetime
    state: CaseState
    ended_at: dt.datetime | None
    current: tuple[StepStatus, ...]  # in progress, or ready to be taken on
    next: tuple[StepStatus, ...]  # become ready once the current steps end
    steps: tuple[StepStatus, ...]
    commitments: tuple[CommitmentStatus, ...]
    chase: Chase | None
    pause: PauseStatus | None
    events: int  # events up to ``at``
    documents_received: tuple[str, ...] = ()
    _order: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def commitment(self, commitment_id: str) -> CommitmentStatus:
        return next(c for c in self.commitments if c.id == commitment_id)

    def step(self, step_id: str) -> StepStatus:
        return next(s for s in self.steps if s.id == step_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": STATUS_SCHEMA_VERSION, "case": self.case,
            "category": {"id": self.category, "name": self.category_name},
            "workflow": {"id": self.workflow, "name": self.workflow_name},
            "received_at": self.received_at.isoformat(), "at": self.at.isoformat(),
            "state": self.state, "ended_at": iso(self.ended_at),
            "current": [s.id for s in self.current], "next": [s.id for s in self.next],
            "chase": None if self.chase is None else self.chase.to_dict(),
            "pause": None if self.pause is None else self.pause.to_dict(),
            "commitments": [c.to_dict() for c in self.commitments],
            "steps": [s.to_dict() for s in self.steps],
            "documents_received": list(self.documents_received),
            "events": self.events,
        }


def follow(case: Case, events: Iterable[Event], at: dt.datetime, clock: Clock) -> CaseStatus:
    """The status of ``case`` at ``at``, from the events recorded for it."""
    return _Follower(case, replay(case, events, until=at), at, clock).status()


class _Follower:
    """One status computation: the projection of the steps, then the commitments."""

    def __init__(self, case: Case, timeline: Timeline, at: dt.datetime, clock: Clock) -> None:
        self.case, self.t, self.at, self.clock = case, timeline, at, clock
        self.ended = timeline.ended
        #: the moment the clocks are read at: now, or when the case ended
        self.now = at if self.ended is None else min(at, self.ended.at)
        self.pauses = timeline.intervals()
        # the projection assumes an open pause ends now
        self.projected = [Interval(p.start, p.end or self.now) for p in self.pauses]
        self.start: dict[str, dt.datetime] = {}
        self.end: dict[str, dt.datetime] = {}
        self.ready: dict[str, dt.datetime] = {}
        self.via: dict[str, str | None] = {}
        self.steps: dict[str, StepStatus] = {}

    # --- steps

    def _seconds(self, step: StepPlan) -> float:
        return unit_seconds(step.unit, step.amount or 0.0) if step.unit else 0.0

    def _own_end(self, step: StepPlan, start: dt.datetime) -> dt.datetime:
        if not step.unit:
            return start
        moment, _ = self.clock.advance(step.unit, start, self._seconds(step), self.projected)
        assert moment is not None  # the projected pauses are all closed
        return moment

    def _project(self) -> None:
        plan, received = self.case.plan, self.case.received_at
        for s in plan.steps:
            facts = self.t.steps[s.id]
            ready, via = received, None
            for p in s.after:
                if via is None or self.end[p] > ready:
                    ready, via = self.end[p], p
            self.ready[s.id], self.via[s.id] = ready, via
            preds_done = all(self.steps[p].state == "done" for p in s.after)
            started = facts.started.at if facts.started else (None if s.after else received)
            inferred = False
            late: Span | None = None
            since: dt.datetime | None = None
            own: dt.datetime | None = None
            if facts.completed is not None:
                done = facts.completed.at
                if started is None:
                    started, inferred = min(ready, done), True
                start, end, state = started, done, "done"
                own = self._own_end(s, start)
                if s.unit and own < done:
                    late = Span(s.unit, self.clock.counted(s.unit, own, done, self.pauses))
            elif started is not None:
                start, state, since = started, "in_progress", started
                own = self._own_end(s, start)
                end = max(own, self.now)
                if s.unit and own < self.now:
                    late = Span(s.unit, self.clock.counted(s.unit, own, self.now, self.pauses))
            else:
                start = max(ready, self.now)
                end = self._own_end(s, start)
                state = "ready" if preds_done else "waiting"
                if preds_done:
                    since = ready
                    own = self._own_end(s, ready)
                    if s.unit and own < self.now:
                        late = Span(s.unit, self.clock.counted(s.unit, own, self.now,
                                                               self.pauses))
            if self.ended is not None and state != "done":
                state, since, late, own = "not_done", None, None, None
            ready_at: dt.datetime | None = ready if preds_done else None
            waited = None
            if ready_at is not None and state != "not_done":
                unit = plan.wait_unit(s.id)
                waited = Span(unit, self.clock.counted(unit, ready_at, min(end, self.now)
                                                       if state != "done" else end,
                                                       self.pauses))
            self.start[s.id], self.end[s.id] = start, end
            department = plan.department(facts.department or "") or s.department
            shown = self.ended is None or state == "done"  # an ended case projects nothing
            self.steps[s.id] = StepStatus(
                s.id, s.name, department, s.after, state,  # type: ignore[arg-type]
                started if state in ("done", "in_progress") else None,
                facts.completed.at if facts.completed else None,
                start if shown else None, end if shown else None,
                s.planned_due, since, ready_at, waited, own, late, facts.person, inferred)

    # --- commitments

    def _commitment(self, c: CommitmentPlan) -> CommitmentStatus:
        to_facts = self.t.steps[c.to_step]
        finished = to_facts.completed.at if to_facts.completed else None
        fs = self.start[c.from_step]
        expected = self.end[c.to_step]
        to_name = f"{self._step(c.to_step).name} ({c.to_step})"
        out = _Outcome(counted_from=fs, expected_end=expected, finished_at=finished)
        if c.unit is None or c.amount is None:
            out.note("时限取决于 the limit depends on " + ", ".join(c.depends_on or ("?",)))
            return out.make(c, "undetermined", counted_from=None)
        unit = c.unit
        limit = unit_seconds(unit, c.amount)
        started = self.steps[c.from_step].state in ("done", "in_progress") or finished
        if not started and self.ended is None:
            out.deadline, _ = self.clock.advance(unit, fs, limit, self.projected)
            out.note(f"{self._step(c.from_step).name} ({c.from_step}) 尚未开始 not started; "
                     f"expected to start {_when(fs)}")
            return out.make(c, "pending")
        out.because.append(self._start_reason(c.from_step, fs))
        upto = finished or self.now
        # a pause after the end step was completed moves nothing
        pauses = [p for p in self.pauses if p.start < upto]
        out.deadline, left_paused = self.clock.advance(unit, fs, limit, pauses)
        deadline = out.deadline
        paused = self.clock.elapsed(unit, fs, upto) - self.clock.counted(unit, fs, upto,
                                                                          self.pauses)
        out.paused = Span(unit, paused) if paused > 0 else None
        out.because.extend(self._pause_reasons(unit, fs, upto))

        def span(a: dt.datetime, b: dt.datetime, pauses: list[Interval] = self.pauses) -> Span:
            return Span(unit, self.clock.counted(unit, a, b, pauses))

        if finished is not None:
            if deadline is None or finished <= deadline:
                out.note(f"{to_name} 完成 completed {_when(finished)}, 用时 took "
                         f"{span(fs, finished).text}", to_facts.completed)
                return out.make(c, "kept")
            out.overdue_by = span(deadline, finished)
            out.note(f"{to_name} 完成 completed {_when(finished)}, after the deadline "
                     f"{_when(deadline)}", to_facts.completed)
            return out.make(c, "overdue")
        if self.ended is not None:
            end = self.ended
            if deadline is not None and end.at > deadline:
                out.overdue_by = span(deadline, end.at)
                out.note(f"{to_name} 未完成 not completed by the deadline {_when(deadline)}")
                out.note(f"{_ENDED[end.kind]} {_when(end.at)}", end)
                return out.make(c, "overdue")
            out.note(f"{_ENDED[end.kind]} {_when(end.at)} before {to_name} was recorded as "
                     "completed", end)
            return out.make(c, "withdrawn" if end.kind == "case_withdrawn" else "unrecorded")
        if deadline is not None and self.now > deadline:
            out.overdue_by = span(deadline, self.now)
            out.note(f"{to_name} 未完成 not completed; deadline {_when(deadline)} passed")
            out.chase = self._chase(c, "overdue")
            out.because.extend(self._waiting_because(out.chase))
            return out.make(c, "overdue")
        if deadline is None:
            pause = self.t.open_pause
            assert pause is not None  # only an open pause leaves the deadline unknown
            out.left = Span(unit, left_paused)
            out.chase = self._customer_chase(pause, c.id)
            out.note(f"暂停计时 clock paused since {_when(pause.began.at)}: "
                     f"{_reason_name(pause.reason)}; {out.left.text} left when it resumes",
                     pause.began)
            return out.make(c, "paused")
        out.left = span(self.now, deadline)
        if expected > deadline:
            out.miss_by = span(deadline, expected, self.projected)
            out.chase = self._chase(c, "at_risk")
            out.because.extend(self._waiting_because(out.chase))
            out.note(f"{to_name} 预计 expected {_when(expected)}, after the deadline "
                     f"{_when(deadline)}: {self._path_text(c.to_step)}")
            return out.make(c, "at_risk")
        out.chase = self._chase(c, "running")
        out.because.extend(self._waiting_because(out.chase))
        out.note(f"{to_name} 预计 expected {_when(expected)}, by the deadline {_when(deadline)}")
        return out.make(c, "running")

    def _step(self, step_id: str) -> StepPlan:
        step = self.case.plan.step(step_id)
        assert step is not None  # plans are checked when a case is opened
        return step

    def _start_reason(self, step_id: str, start: dt.datetime) -> Because:
        facts = self.t.steps[step_id]
        name = f"{self._step(step_id).name} ({step_id})"
        if facts.started is not None:
            return Because(f"起算 counted from {_when(start)}: {name} started", facts.started)
        if not self._step(step_id).after:
            return Because(f"起算 counted from {_when(start)}: 受理 the case was received")
        return Because(f"起算 counted from {_when(start)}: {name} 未记录开始 had no start "
                       "recorded; taken as when the steps it waits for ended", facts.completed)

    def _pause_reasons(self, unit: str, start: dt.datetime, end: dt.datetime) -> list[Because]:
        out = []
        for p in self.t.pauses:
            stop = p.ended.at if p.ended is not None else self.now
            if stop <= start or p.began.at >= end:
                continue
            counted = self.clock.elapsed(unit, max(start, p.began.at), min(stop, end))
            until = _when(stop) if p.ended is not None else "now"
            resumed = ""
            if p.ended is not None and p.ended.kind == "documents_received":
                resumed = "; 资料收齐恢复计时 resumed when the documents came in"
            out.append(Because(f"暂停 paused {_when(p.began.at)} → {until} "
                               f"({_reason_name(p.reason)}): {describe_span(unit, counted)} "
                               f"不计 not counted{resumed}", p.began))
        return out

    def _blocking(self, step_id: str) -> str:
        """The step the chain to ``step_id`` waits on now: in progress, or ready."""
        node = step_id
        while self.steps[node].state == "waiting":
            open_preds = [p for p in self._step(node).after if self.steps[p].state != "done"]
            node = max(open_preds, key=lambda p: (self.end[p], p))
        return node

    def _chase(self, c: Any, state: str) -> Chase:
        pause = self.t.open_pause
        if pause is not None:
            return self._customer_chase(pause, c.id)
        node = self._blocking(c.to_step)
        s = self.steps[node]
        if s.state == "in_progress":
            where = f"办理中 in progress since {_when(s.since)}"
        else:
            where = f"待办理 ready since {_when(s.since)}, not started"
        if s.late_by is not None:
            when = f"应于 due {_when(s.due)}, 已超 late by {s.late_by.text}"
        else:
            when = f"预计 expected done {_when(s.expected_end)}"
        reason = (f"{c.name} {STATE_ZH[state]} {state}: 等待 waiting on {s.name} ({s.id}) at "
                  f"{s.department.name} ({s.department.id}), {where}; {when}")
        return Chase(s.department, s.id, s.name, s.since, reason, c.id)

    def _waiting_because(self, chase: Chase) -> list[Because]:
        """The event that put the case where it waits: the blocking step's start, or the
        completion that made it ready."""
        if chase.step is None:
            return []
        facts = self.t.steps[chase.step]
        if facts.started is not None:
            return [Because(f"{chase.step_name} ({chase.step}) 开始 started "
                            f"{_when(facts.started.at)}, 未完成 not completed", facts.started)]
        via = self.via[chase.step]
        if via is not None and self.t.steps[via].completed is not None:
            done = self.t.steps[via].completed
            return [Because(f"{self._step(via).name} ({via}) 完成 completed {_when(done.at)}; "  # type: ignore[union-attr]
                            f"{chase.step_name} ({chase.step}) 未开始 not started", done)]
        return []

    def _customer_chase(self, pause: Pause, commitment: str | None) -> Chase:
        awaiting = [d for d in pause.awaiting if d not in self.t.documents]
        docs = f"; 待补资料 awaiting {', '.join(awaiting)}" if awaiting else ""
        reason = (f"暂停计时 clock paused since {_when(pause.began.at)}: "
                  f"{_reason_name(pause.reason)}{docs}")
        return Chase(None, None, None, pause.began.at, reason, commitment)

    def _path_text(self, step_id: str) -> str:
        """The chain of open steps that decides when ``step_id`` ends, with durations."""
        chain = []
        node: str | None = step_id
        while node is not None and self.steps[node].state != "done":
            chain.append(node)
            node = self.via[node] if self.steps[node].state == "waiting" else None
        parts = []
        for n in reversed(chain):
            took = self._step(n).duration
            shown = f"{n} {took}" if took and self.steps[n].state != "in_progress" else n
            parts.append(f"{shown} →{_when(self.steps[n].expected_end)}")
        return ", ".join(parts) if parts else "-"

    # --- the whole

    def status(self) -> CaseStatus:
        self._project()
        plan = self.case.plan
        commitments = tuple(self._commitment(c) for c in plan.commitments)
        steps = tuple(self.steps[s.id] for s in plan.steps)
        current = tuple(s for s in steps if s.state in ("in_progress", "ready"))
        current_ids = {s.id for s in current}
        following = tuple(
            s for s in steps if s.state == "waiting"
            and all(self.steps[p].state == "done" or p in current_ids
                    for p in self._step(s.id).after))
        pause = self.t.open_pause
        if self.ended is not None:
            state: CaseState = "closed" if self.ended.kind == "case_closed" else "withdrawn"
        else:
            state = "paused" if pause is not None else "open"
        return CaseStatus(
            self.case.id, self.case.category_id, self.case.category_name, plan.workflow,
            plan.name, self.case.received_at, self.at, state,
            None if self.ended is None else self.ended.at, current, following, steps,
            commitments, self._case_chase(commitments, current),
            None if pause is None else PauseStatus(
                pause.reason, _reason_name(pause.reason), pause.began.at,
                tuple(d for d in pause.awaiting if d not in self.t.documents),
                pause.began.note),
            len(self.t.events), tuple(self.t.documents))

    def _case_chase(self, commitments: tuple[CommitmentStatus, ...],
                    current: tuple[StepStatus, ...]) -> Chase | None:
        """The most urgent reason to chase: the most overdue commitment, else the one at risk
        with the nearest deadline, else the paused clock, else the latest step."""
        if self.ended is not None:
            return None
        overdue = [c for c in commitments if c.state == "overdue" and c.chase is not None]
        if overdue:
            return max(overdue, key=lambda c: c.overdue_by.seconds if c.overdue_by else 0).chase
        at_risk = [c for c in commitments if c.state == "at_risk" and c.chase is not None]
        if at_risk:
            return min(at_risk, key=lambda c: c.deadline or self.now).chase
        pause = self.t.open_pause
        if pause is not None:
            return self._customer_chase(pause, None)
        late = [s for s in current if s.late_by is not None]
        if late:
            s = max(late, key=lambda x: x.late_by.seconds if x.late_by else 0)
            return Chase(s.department, s.id, s.name, s.since,
                         f"{s.name} ({s.id}) 已超计划 {s.late_by.text} late against the "  # type: ignore[union-attr]
                         f"plan at {s.department.name}", None)
        return None


@dataclass(slots=True)
class _Outcome:
    """A commitment's status while it is being worked out."""

    counted_from: dt.datetime | None
    expected_end: dt.datetime | None
    finished_at: dt.datetime | None
    deadline: dt.datetime | None = None
    left: Span | None = None
    overdue_by: Span | None = None
    miss_by: Span | None = None
    paused: Span | None = None
    chase: Chase | None = None
    because: list[Because] = field(default_factory=list)

    def note(self, text: str, event: Event | None = None) -> None:
        self.because.append(Because(text, event))

    def make(self, c: CommitmentPlan, state: CommitmentState, **override: Any) -> CommitmentStatus:
        values = {"counted_from": self.counted_from, **override}
        return CommitmentStatus(
            c.id, c.name, c.from_step, c.to_step, c.limit, c.unit, state,
            values["counted_from"], self.deadline, c.planned_deadline, self.expected_end,
            self.finished_at, self.left, self.overdue_by, self.miss_by, self.paused,
            self.chase, tuple(self.because), c.basis, c.binding, c.same_steps)


_ENDED = {"case_closed": "办结 closed", "case_withdrawn": "撤回 withdrawn"}


def _reason_name(reason: str) -> str:
    r = PAUSE_REASONS.get(reason)
    return f"{r.name} ({reason})" if r is not None else reason


def _when(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


#: The order of the morning list: broken promises first, then those about to break.
_DUE_ORDER = {"overdue": 0, "at_risk": 1, "running": 2}


@dataclass(frozen=True, slots=True)
class DueItem:
    """One line of the morning list: a commitment of an open case that needs attention."""

    case: str
    category: str
    category_name: str
    received_at: dt.datetime
    commitment: CommitmentStatus

    @property
    def sort_key(self) -> tuple[Any, ...]:
        c = self.commitment
        over = -(c.overdue_by.seconds if c.overdue_by else 0.0)
        return (_DUE_ORDER[c.state], over, c.deadline or dt.datetime.max, self.case, c.id)

    def to_dict(self) -> dict[str, Any]:
        c = self.commitment

        def span(s: Span | None) -> dict[str, Any] | None:
            return None if s is None else s.to_dict()

        return {"case": self.case, "category": {"id": self.category, "name": self.category_name},
                "received_at": self.received_at.isoformat(),
                "commitment": {"id": c.id, "name": c.name, "limit": c.limit},
                "state": c.state, "deadline": iso(c.deadline), "left": span(c.left),
                "overdue_by": span(c.overdue_by), "miss_by": span(c.miss_by),
                "expected_end": iso(c.expected_end),
                "chase": None if c.chase is None else c.chase.to_dict()}


def due_items(status: CaseStatus, horizon: dt.datetime,
              department: str | None = None) -> list[DueItem]:
    """The commitments of ``status`` that are overdue, at risk, or due by ``horizon``
    (running ones; a paused clock waits on the customer, and a clock not started on nobody),
    the most urgent of those on the same steps; with ``department``: only those whose chase
    is that department."""
    out: dict[tuple[str, str], DueItem] = {}
    for c in status.commitments:
        if c.state in ("overdue", "at_risk") or (c.state == "running" and c.deadline is not None
                                                 and c.deadline <= horizon):
            if c.state == "overdue" and c.finished_at is not None:
                continue  # completed late: nothing to chase any more
            if department is not None and (c.chase is None or c.chase.who != department):
                continue
            item = DueItem(status.case, status.category, status.category_name,
                           status.received_at, c)
            # a regulation and a stricter promise on the same steps are one thing to chase:
            # the more urgent of them is listed (it names the other)
            span = (c.from_step, c.to_step)
            if span not in out or item.sort_key < out[span].sort_key:
                out[span] = item
    return list(out.values())
