"""A case's events replayed in time order, and the checks an event must pass to be recorded.

Events are ordered by ``at`` (then by arrival), whatever order they arrive in: a completion
reported late is placed where it happened. :func:`replay` builds the facts the status is
computed from and raises :class:`~bizroute.errors.TrackingError` at the first event that does
not fit; :func:`check_event` runs the checks for one new event against those already recorded,
so an event that does not fit is refused with a message naming it, and nothing else is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import TrackingError
from .clock import PAUSE_REASONS, Interval
from .model import Case, Event


@dataclass(slots=True)
class StepFacts:
    """What the events say about one step."""

    started: Event | None = None
    completed: Event | None = None

    @property
    def department(self) -> str | None:
        for e in (self.started, self.completed):
            if e is not None and e.department:
                return e.department
        return None

    @property
    def person(self) -> str | None:
        for e in (self.completed, self.started):
            if e is not None and e.person:
                return e.person
        return None


@dataclass(slots=True)
class Pause:
    """A paused stretch of the clock, with the events that began and ended it."""

    began: Event
    ended: Event | None = None
    awaiting: tuple[str, ...] = ()  # documents the customer is to bring (customer_documents)

    @property
    def interval(self) -> Interval:
        return Interval(self.began.at, None if self.ended is None else self.ended.at)

    @property
    def reason(self) -> str:
        return self.began.reason or ""


@dataclass(slots=True)
class Timeline:
    """The facts of a case up to a moment."""

    events: list[Event] = field(default_factory=list)  # in time order
    steps: dict[str, StepFacts] = field(default_factory=dict)
    pauses: list[Pause] = field(default_factory=list)
    documents: dict[str, Event] = field(default_factory=dict)  # first receipt of each
    ended: Event | None = None  # case_closed or case_withdrawn

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].ended is None else None

    def intervals(self) -> list[Interval]:
        return [p.interval for p in self.pauses]


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in the order they happened (ties: the order they arrived)."""
    return sorted(events, key=lambda e: (e.at, e.seq))


def replay(case: Case, events: Iterable[Event], until: dt.datetime | None = None) -> Timeline:
    """The facts of ``case`` from its events up to ``until`` (all of them by default)."""
    timeline = Timeline(steps={s.id: StepFacts() for s in case.plan.steps})
    for event in ordered(events):
        if until is not None and event.at > until:
            break
        _apply(case, timeline, event)
        timeline.events.append(event)
    return timeline


def _apply(case: Case, t: Timeline, e: Event) -> None:
    if t.ended is not None:
        raise _refuse(e, "case-ended", f"the case was already {_ended_word(t.ended)} by "
                      f"{t.ended.describe()}")
    if e.kind in ("step_started", "step_completed"):
        facts = t.steps[e.step or ""]
        if e.kind == "step_started":
            if facts.started is not None:
                raise _refuse(e, "already-started", f"step {e.step!r} was already started by "
                              f"{facts.started.describe()}")
            if facts.completed is not None:
                raise _refuse(e, "completed-before-start", f"step {e.step!r} was completed "
                              f"({facts.completed.describe()}) before this start")
            facts.started = e
        else:
            if facts.completed is not None:
                raise _refuse(e, "already-completed", f"step {e.step!r} was already "
                              f"completed by {facts.completed.describe()}")
            facts.completed = e
    elif e.kind == "clock_paused":
        current = t.open_pause
        if current is not None:
            raise _refuse(e, "already-paused", "the clock was already paused by "
                          f"{current.began.describe()}")
        awaiting = e.documents if e.reason == "customer_documents" else ()
        t.pauses.append(Pause(e, awaiting=tuple(d for d in awaiting if d not in t.documents)))
    elif e.kind == "clock_resumed":
        current = t.open_pause
        if current is None:
            raise _refuse(e, "not-paused", "the clock is not paused at that time")
        current.ended = e
    elif e.kind == "documents_received":
        for doc in e.documents:
            t.documents.setdefault(doc, e)
        current = t.open_pause
        if current is not None and current.awaiting and all(d in t.documents
                                                            for d in current.awaiting):
            current.ended = e  # the documents awaited are all in: the clock runs again
    else:  # case_closed, case_withdrawn
        current = t.open_pause
        if current is not None:
            current.ended = e
        t.ended = e


def _ended_word(e: Event) -> str:
    return "closed" if e.kind == "case_closed" else "withdrawn"


def _refuse(e: Event, code: str, message: str) -> TrackingError:
    return TrackingError(code, f"{e.describe()}: {message}", case=e.case)


def check_event(case: Case, recorded: Sequence[Event], event: Event,
                now: dt.datetime | None = None) -> None:
    """Raise :class:`TrackingError` if ``event`` cannot be recorded for ``case``.

    The checks: the step and department are the plan's, the pause reason is one the clock
    rules accept, the event is not before intake nor after ``now``, and it fits the events
    already recorded (placed by its time among them).
    """
    plan = case.plan
    name = event.describe()
    if event.step is not None and plan.step(event.step) is None:
        raise TrackingError("unknown-step", f"{name}: the plan ({plan.workflow}) has no step "
                            f"{event.step!r}; its steps are "
                            f"{', '.join(s.id for s in plan.steps)}", case=case.id)
    if event.department is not None and plan.department(event.department) is None:
        raise TrackingError("unknown-department", f"{name}: department {event.department!r} "
                            "has no part in this case's plan; its departments are "
                            f"{', '.join(d.id for d in plan.departments)}", case=case.id)
    if event.kind == "clock_paused" and event.reason not in PAUSE_REASONS:
        raise TrackingError("unknown-reason", f"{name}: the clock rules accept no pause for "
                            f"{event.reason!r}; the reasons are {', '.join(PAUSE_REASONS)}",
                            case=case.id)
    if event.at < case.received_at:
        raise TrackingError("before-intake", f"{name}: before the case was received "
                            f"({case.received_at.isoformat()})", case=case.id)
    if now is not None and event.at > now:
        raise TrackingError("in-the-future", f"{name}: later than now ({now.isoformat()})",
                            case=case.id)
    same_step = [e for e in recorded if e.step is not None and e.step == event.step]
    for other in same_step:  # the commonest misfit, said the plainest way
        if any(e.kind == event.kind for e in same_step):
            break  # started or completed twice: the replay below says so
        if event.kind == "step_completed" and other.kind == "step_started" \
                and other.at > event.at:
            raise TrackingError("completed-before-start", f"{name}: completed before it "
                                f"started ({other.describe()})", case=case.id)
        if event.kind == "step_started" and other.kind == "step_completed" \
                and other.at < event.at:
            raise TrackingError("completed-before-start", f"{name}: started after it was "
                                f"completed ({other.describe()})", case=case.id)
    placed = Event(event.case, event.kind, event.at, event.step, event.department,
                   event.person, event.reason, event.documents, event.note, event.id,
                   seq=max((e.seq for e in recorded), default=0) + 1)
    try:
        replay(case, [*recorded, placed])
    except TrackingError as exc:
        # the new event is not recorded: name it without the number it would have had
        reason = exc.reason.replace(placed.describe(), name)
        if exc.reason.startswith(placed.describe()):
            raise TrackingError(exc.code, reason, case=case.id) from None
        raise TrackingError(exc.code, f"{name} does not fit the events already recorded: "
                            f"{reason}", case=case.id) from None
