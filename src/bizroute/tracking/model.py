"""Cases and events: what the tracker keeps, read from decisions and from event records.

A :class:`Case` is a decided decision with its plan, as ``bizroute classify --plan`` writes it
(or a :class:`~bizroute.decision.Decision` object): the plan's steps, their expected
durations and the commitments in force are read from the plan the engine made at intake, so
a later change to the pack never moves a promise already made to a customer. An
:class:`Event` is one thing that happened to a case (docs/tracking.md, "Events").

Times are wall-clock times of China Standard Time (UTC+8), the zone of the working-day
calendar: a time without an offset is taken as such, one with an offset is converted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..decision import BasisRef, Named
from ..errors import TrackingError

#: The time zone of the calendar and of every stored time.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")

EventKind = Literal["step_started", "step_completed", "documents_received", "clock_paused",
                    "clock_resumed", "case_closed", "case_withdrawn"]
EVENT_KINDS: tuple[EventKind, ...] = ("step_started", "step_completed", "documents_received",
                                      "clock_paused", "clock_resumed", "case_closed",
                                      "case_withdrawn")
STEP_KINDS = frozenset({"step_started", "step_completed"})
#: The keys an event record may have.
EVENT_KEYS = ("id", "case", "event", "at", "step", "department", "person", "reason",
              "documents", "note")
_MAX_TEXT = 2000  # characters of a free-text field (note, person)
_MAX_ID = 200


def now() -> dt.datetime:
    """The current time, China Standard Time, without an offset (like every stored time)."""
    return dt.datetime.now(CHINA_TIME).replace(tzinfo=None, microsecond=0)


def parse_time(value: Any, what: str = "time") -> dt.datetime:
    """A moment from an ISO 8601 string, a date (00:00) or a datetime, as naive CST.

    Raises :class:`ValueError` with a readable message for anything else.
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{what} {value!r} is not an ISO 8601 date-time "
                             "(YYYY-MM-DDTHH:MM[:SS], or YYYY-MM-DD for 00:00)") from None
    else:
        raise ValueError(f"{what} must be an ISO 8601 date-time string, "
                         f"got {type(value).__name__}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
    return moment


def iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One step of a case's plan, as laid out at intake."""

    id: str
    name: str
    department: Named
    after: tuple[str, ...]
    unit: str | None  # of the expected duration; None: the step takes no time of its own
    amount: float | None
    duration: str | None  # "2个工作日"
    planned_start: dt.datetime
    planned_due: dt.datetime
    critical: bool


@dataclass(frozen=True, slots=True)
class CommitmentPlan:
    """One commitment in force for the case: its limit runs from the start of ``from_step``
    to the end of ``to_step``."""

    id: str
    name: str
    from_step: str
    to_step: str
    unit: str | None  # None: the request did not say which limit applies
    amount: float | None
    limit: str | None  # "15个工作日"
    planned_deadline: dt.datetime | None
    depends_on: tuple[str, ...]
    basis: tuple[BasisRef, ...]
    #: the plan's word on which of the commitments on the same steps binds (the earliest
    #: deadline at intake; None: undecided), and the others on those steps
    binding: bool | None = True
    same_steps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CasePlan:
    """The plan of a case: steps in a topological order and the commitments in force."""

    workflow: str
    name: str
    received_at: dt.datetime
    steps: tuple[StepPlan, ...]
    commitments: tuple[CommitmentPlan, ...]
    departments: tuple[Named, ...]
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _wait_units: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({s.id: i for i, s in enumerate(self.steps)})

    @property
    def start_step(self) -> StepPlan:
        return next(s for s in self.steps if not s.after)

    def step(self, step_id: str) -> StepPlan | None:
        i = self._index.get(step_id)
        return None if i is None else self.steps[i]

    def department(self, department_id: str) -> Named | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def wait_unit(self, step_id: str) -> str:
        """The clock a wait at ``step_id`` is measured on: working days, unless every
        commitment the step is part of runs on the wall clock (fault repair, reconnection):
        then that clock."""
        if not self._wait_units:  # worked out once per plan
            after = {s.id: s.after for s in self.steps}
            covering: dict[str, list[str]] = {s: [] for s in after}
            for c in self.commitments:
                if c.unit is not None:
                    for inside in steps_between(after, c.from_step, c.to_step):
                        covering[inside].append(c.unit)
            self._wait_units.update({
                s: units[0] if units and "working_days" not in units else "working_days"
                for s, units in covering.items()})
        return self._wait_units.get(step_id, "working_days")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CasePlan:
        """Read the ``plan`` of a decision's JSON form (docs/workflows.md)."""
        try:
            steps = tuple(StepPlan(
                id=str(s["id"]), name=str(s["name"]), department=_named(s["department"]),
                after=tuple(str(a) for a in s.get("after", ())),
                unit=s.get("duration_unit"), amount=_number(s.get("duration_amount")),
                duration=s.get("duration"), planned_start=parse_time(s["start"]),
                planned_due=parse_time(s["due"]), critical=bool(s.get("critical")))
                for s in data["steps"])
            commitments = tuple(CommitmentPlan(
                id=str(c["id"]), name=str(c["name"]), from_step=str(c["from"]),
                to_step=str(c["to"]), unit=c.get("limit_unit"),
                amount=_number(c.get("limit_amount")), limit=c.get("limit"),
                planned_deadline=parse_time(c["deadline"]) if c.get("deadline") else None,
                depends_on=tuple(c.get("depends_on", ())),
                basis=tuple(BasisRef(str(b.get("source", "")), str(b.get("title", "")),
                                     b.get("article"), b.get("note"), b.get("status"))
                            for b in c.get("basis", ())),
                binding=c.get("binding", True),
                same_steps=tuple(str(x) for x in c.get("same_steps", ())))
                for c in data.get("commitments", ()))
            departments = tuple(_named(d) for d in data.get("departments", ()))
            plan = cls(str(data["workflow"]), str(data.get("name", data["workflow"])),
                       parse_time(data["received_at"]), steps, commitments, departments)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TrackingError("bad-plan", f"the decision's plan cannot be read ({exc})") \
                from None
        missing = [s.id for s in steps if s.duration and s.unit is None]
        if missing:
            raise TrackingError(
                "bad-plan", "the plan's steps carry no duration_unit (made by an older "
                "bizroute): classify the request again with --plan")
        known = set(plan._index)
        for s in steps:
            unknown = [a for a in s.after if a not in known]
            if unknown:
                raise TrackingError("bad-plan", f"plan step {s.id!r} waits for unknown "
                                    f"step(s) {', '.join(unknown)}")
        if sum(1 for s in steps if not s.after) != 1:
            raise TrackingError("bad-plan", "the plan must have exactly one start step")
        return plan


def steps_between(after: Mapping[str, Sequence[str]], from_step: str, to_step: str,
                  ) -> set[str]:
    """The steps from ``from_step`` to ``to_step``, both included: those ``to_step`` waits
    for (directly or not) that wait for ``from_step``. ``after`` maps a step to the steps it
    waits for."""
    def upstream(step: str) -> set[str]:
        out: set[str] = set()
        todo = list(after.get(step, ()))
        while todo:
            x = todo.pop()
            if x not in out:
                out.add(x)
                todo.extend(after.get(x, ()))
        return out

    inside = upstream(to_step) | {to_step}
    return {x for x in inside if x == from_step or from_step in upstream(x)}


def _named(data: Any) -> Named:
    if isinstance(data, str):
        return Named(data, data)
    return Named(str(data["id"]), str(data.get("name") or data["id"]), data.get("name_en"))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Case:
    """A decided request followed from intake to close: its decision and plan."""

    id: str
    received_at: dt.datetime
    category_id: str
    category_name: str
    group: str | None
    workflow: str
    plan: CasePlan
    decision: Mapping[str, Any]  # the decision's JSON form, as stored

    @classmethod
    def from_decision(cls, decision: Any) -> Case:
        """A case from a :class:`~bizroute.decision.Decision` or its JSON form.

        Raises :class:`~bizroute.errors.TrackingError` when the decision cannot open a case:
        not decided, no request id, no plan.
        """
        data = decision.to_dict() if hasattr(decision, "to_dict") else decision
        if not isinstance(data, Mapping):
            raise TrackingError("not-a-decision", "a case is opened from a decision "
                                f"(a JSON object), got {type(data).__name__}")
        data = {k: v for k, v in data.items() if k != "record"}
        status = data.get("status")
        if status is None or "pack" not in data:
            raise TrackingError("not-a-decision", "not a decision (no 'status' and 'pack'): "
                                "classify the request first, or give the request to "
                                "`track add` with its pack")
        if status != "decided":
            raise TrackingError("not-decided", f"the decision is {status!r}, not 'decided': "
                                "a case needs a decided category (answer its questions and "
                                "classify again)")
        case_id = data.get("request_id")
        if not isinstance(case_id, str) or not case_id.strip():
            raise TrackingError("no-case-id", "the decision has no request_id: give the "
                                "request an 'id' (the counter's work-order number)")
        if len(case_id) > _MAX_ID:
            raise TrackingError("no-case-id", f"the request id is longer than {_MAX_ID} "
                                "characters")
        if data.get("plan") is None:
            raise TrackingError("no-plan", "the decision has no plan: classify with --plan "
                                "(and check that its category has a workflow)")
        plan = CasePlan.from_dict(data["plan"])
        category = data.get("category") or {}
        return cls(case_id, plan.received_at, str(category.get("id", "")),
                   str(category.get("name", "")), category.get("group"), plan.workflow, plan,
                   data)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to a case (docs/tracking.md, "Events")."""

    case: str
    kind: EventKind
    at: dt.datetime
    step: str | None = None
    department: str | None = None
    person: str | None = None
    reason: str | None = None
    documents: tuple[str, ...] = ()
    note: str | None = None
    id: str = ""  # given by the sender, or a digest of the content (re-sending is harmless)
    seq: int = 0  # the order of arrival within the case (1-based, 0 before it is stored)
    recorded_at: dt.datetime | None = None

    @classmethod
    def from_dict(cls, data: Any, case: str | None = None) -> Event:
        """An event from its JSON form; ``case`` fills in a missing ``case`` (as an HTTP
        path would). Raises :class:`TrackingError` (``bad-event``) naming what is wrong."""
        if not isinstance(data, Mapping):
            raise TrackingError("bad-event", "an event must be a JSON object, got "
                                f"{type(data).__name__}")
        unknown = [k for k in data if k not in EVENT_KEYS]
        if unknown:
            raise TrackingError("bad-event", f"unknown key(s) {', '.join(map(repr, unknown))};"
                                f" an event has {', '.join(EVENT_KEYS)}")
        case_id = data.get("case", case)
        if case is not None and case_id != case:
            raise TrackingError("bad-event", f"the event names case {case_id!r}, not {case!r}")
        if not isinstance(case_id, str) or not case_id.strip():
            raise TrackingError("bad-event", "the event has no 'case' (the case id)")
        kind = data.get("event")
        if kind not in EVENT_KINDS:
            shown = "no 'event'" if kind is None else f"unknown event {kind!r}"
            raise TrackingError("bad-event", f"{shown}; events are {', '.join(EVENT_KINDS)}",
                                case=case_id)
        if "at" not in data:
            raise TrackingError("bad-event", f"{kind} has no 'at' (when it happened)",
                                case=case_id)
        try:
            at = parse_time(data["at"], "'at'").replace(microsecond=0)
        except ValueError as exc:
            raise TrackingError("bad-event", f"{kind}: {exc}", case=case_id) from None
        text = {k: _text(data, k, kind, case_id) for k in ("step", "department", "person",
                                                           "reason", "note", "id")}
        documents = data.get("documents", ())
        if isinstance(documents, str):  # a CSV cell: "a;b"
            documents = [d for d in (p.strip() for p in documents.split(";")) if d]
        if not isinstance(documents, Sequence) or not all(isinstance(d, str)
                                                          for d in documents):
            raise TrackingError("bad-event", f"{kind}: 'documents' must be a list of "
                                "document ids", case=case_id)
        if kind in STEP_KINDS and not text["step"]:
            raise TrackingError("bad-event", f"{kind} needs 'step' (a step id of the plan)",
                                case=case_id)
        if kind not in STEP_KINDS and text["step"]:
            raise TrackingError("bad-event", f"{kind} takes no 'step'", case=case_id)
        if kind == "clock_paused" and not text["reason"]:
            raise TrackingError("bad-event", "clock_paused needs 'reason' (see docs/"
                                "tracking.md for the reasons the clock rules accept)",
                                case=case_id)
        if kind == "documents_received" and not documents:
            raise TrackingError("bad-event", "documents_received needs 'documents' (the "
                                "document ids received)", case=case_id)
        event = cls(case_id, kind, at, text["step"], text["department"], text["person"],
                    text["reason"], tuple(documents), text["note"], text["id"] or "")
        return event if event.id else _with_digest(event)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "case": self.case, "event": self.kind,
                               "at": self.at.isoformat()}
        for key in ("step", "department", "person", "reason", "note"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.documents:
            out["documents"] = list(self.documents)
        if self.seq:
            out["seq"] = self.seq
        if self.recorded_at is not None:
            out["recorded_at"] = self.recorded_at.isoformat()
        return out

    def same_content(self, other: Event) -> bool:
        return _content(self) == _content(other)

    def describe(self) -> str:
        """``step_completed scheme at 2025-10-17T11:00:00`` (how messages name an event)."""
        what = f"{self.kind} {self.step}" if self.step else self.kind
        if self.kind == "clock_paused" and self.reason:
            what += f" ({self.reason})"
        number = f"#{self.seq} " if self.seq else ""
        return f"{number}{what} at {self.at.isoformat()}"


def _text(data: Mapping[str, Any], key: str, kind: str, case: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and key in ("id",
                                                                                  "person"):
        value = str(value)
    if not isinstance(value, str):
        raise TrackingError("bad-event", f"{kind}: {key!r} must be a string", case=case)
    value = value.strip()
    limit = _MAX_ID if key in ("id", "step", "department", "reason") else _MAX_TEXT
    if len(value) > limit:
        raise TrackingError("bad-event", f"{kind}: {key!r} is longer than {limit} characters",
                            case=case)
    return value or None


def _content(e: Event) -> tuple[Any, ...]:
    return (e.case, e.kind, e.at, e.step, e.department, e.person, e.reason, e.documents,
            e.note)


def _with_digest(event: Event) -> Event:
    body = json.dumps([str(v) if isinstance(v, dt.datetime) else v for v in _content(event)],
                      ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return Event(event.case, event.kind, event.at, event.step, event.department, event.person,
                 event.reason, event.documents, event.note, f"auto-{digest}")
