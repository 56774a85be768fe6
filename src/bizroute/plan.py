"""The routing plan of a decided request: who does what, in what order, and by when.

:class:`Planner` is built once per pack from the compiled workflows. Per request it only picks
the duration variants that hold and does date arithmetic on the working-day calendar: each
step starts when the last step it waits for is due (the start step at ``received_at``) and is
due its expected duration later; each commitment's deadline is its limit after the start of its
``from`` step. The JSON form is documented in docs/workflows.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .calendar import WorkCalendar, fallback_notice, nominal_minutes
from .conditions import MISSING, Facts
from .decision import BasisRef, Named
from .workflow import CompiledWorkflow


@dataclass(frozen=True, slots=True)
class PlannedStep:
    id: str
    name: str
    department: Named
    start: dt.datetime
    due: dt.datetime
    duration: str | None  # "3个工作日"; None for a step without a duration
    duration_assumed: bool  # no variant held for this request: the longest was assumed
    after: tuple[str, ...]
    customer_facing: bool
    critical: bool
    duration_unit: str | None = None  # working_days, days, hours or minutes, as for limits
    duration_amount: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "department": self.department.to_dict(),
                "start": self.start.isoformat(), "due": self.due.isoformat(),
                "duration": self.duration, "duration_unit": self.duration_unit,
                "duration_amount": self.duration_amount,
                "duration_assumed": self.duration_assumed,
                "after": list(self.after), "customer_facing": self.customer_facing,
                "critical": self.critical}


@dataclass(frozen=True, slots=True)
class PlannedCommitment:
    id: str
    name: str
    from_step: str
    to_step: str
    limit: str | None  # "15个工作日"; None when the request does not say which limit applies
    limit_unit: str | None
    limit_amount: float | None
    deadline: dt.datetime | None
    expected: dt.datetime  # when the ``to`` step is due in this plan
    on_track: bool | None  # expected no later than the deadline
    depends_on: tuple[str, ...]  # request fields that would decide the limit, when undecided
    basis: tuple[BasisRef, ...]
    #: the earliest deadline of the commitments on the same steps (``from`` and ``to``): the
    #: one that binds; None when one of them has no deadline for this request
    binding: bool | None = True
    #: the other commitments of the plan on the same steps (a regulation and a stricter
    #: company promise on the same span), in plan order
    same_steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "from": self.from_step, "to": self.to_step,
                "limit": self.limit, "limit_unit": self.limit_unit,
                "limit_amount": self.limit_amount,
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "expected": self.expected.isoformat(), "on_track": self.on_track,
                "depends_on": list(self.depends_on),
                "basis": [b.to_dict() for b in self.basis],
                "binding": self.binding, "same_steps": list(self.same_steps)}


@dataclass(frozen=True, slots=True)
class PlannedNotice:
    """A customer notice of the workflow in force for this request (告知事项)."""

    id: str
    text: str
    text_en: str | None
    basis: tuple[BasisRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "text_en": self.text_en,
                "basis": [b.to_dict() for b in self.basis]}


@dataclass(frozen=True, slots=True)
class Handoff:
    """Work passing from one department to another along a dependency."""

    from_step: str
    to_step: str
    from_department: Named
    to_department: Named

    def to_dict(self) -> dict[str, Any]:
        return {"from_step": self.from_step, "to_step": self.to_step,
                "from_department": self.from_department.id,
                "to_department": self.to_department.id}


@dataclass(frozen=True, slots=True)
class Plan:
    """A workflow laid out on the calendar for one request."""

    workflow: str
    name: str
    received_at: dt.datetime
    received_at_assumed: bool  # the request had no received_at: the as-of day 00:00 was used
    steps: tuple[PlannedStep, ...]  # in a topological order
    commitments: tuple[PlannedCommitment, ...]
    critical_path: tuple[str, ...]
    handoffs: tuple[Handoff, ...]
    departments: tuple[Named, ...]  # in order of first involvement
    notices: tuple[str, ...] = ()
    customer_notices: tuple[PlannedNotice, ...] = ()

    @property
    def due(self) -> dt.datetime:
        """When the last step is due: the end of the whole process."""
        return max(s.due for s in self.steps)

    def step(self, step_id: str) -> PlannedStep:
        return next(s for s in self.steps if s.id == step_id)

    def commitment(self, commitment_id: str) -> PlannedCommitment:
        return next(c for c in self.commitments if c.id == commitment_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow, "name": self.name,
            "received_at": self.received_at.isoformat(),
            "received_at_assumed": self.received_at_assumed,
            "due": self.due.isoformat(),
            "steps": [s.to_dict() for s in self.steps],
            "commitments": [c.to_dict() for c in self.commitments],
            "critical_path": list(self.critical_path),
            "handoff_count": len(self.handoffs),
            "handoffs": [h.to_dict() for h in self.handoffs],
            "departments": [d.to_dict() for d in self.departments],
            "notices": list(self.notices),
            "customer_notices": [n.to_dict() for n in self.customer_notices],
        }

    def render_text(self) -> str:
        """The plan as a timeline, one line per step, then commitments and hand-offs."""
        assumed = " (受理时间缺失，按判定日计 assumed)" if self.received_at_assumed else ""
        lines = [f"流程计划 plan: {self.name} ({self.workflow})  受理 received "
                 f"{_when(self.received_at)}{assumed}  办结 due {_when(self.due)}"]
        width = max(len(s.name) for s in self.steps)
        for s in self.steps:
            mark = "*" if s.critical else " "
            span = f"{_when(s.start)} → {_when(s.due)}"
            took = f"  {s.duration}" + ("?" if s.duration_assumed else "") if s.duration else ""
            lines.append(f"  {mark} {span}  {s.name.ljust(width, '　')} {s.id}  "
                         f"[{s.department.name} {s.department.id}]{took}")
        for group in _by_steps(self.commitments):
            for k, c in enumerate(group):
                head = "承诺 commitment" if k == 0 else "  同环节 same steps"
                binds = "  约束 binding" if len(group) > 1 and c.binding else ""
                if c.deadline is None:
                    lines.append(f"  {head}: {c.name} ({c.id}): 时限取决于 depends on "
                                 f"{', '.join(c.depends_on)}")
                else:
                    state = "按期 on track" if c.on_track else "超期风险 at risk"
                    lines.append(f"  {head}: {c.name} ({c.id}) {c.limit}: 截止 deadline "
                                 f"{_when(c.deadline)}  预计 expected {_when(c.expected)}  "
                                 f"{state}{binds}")
                lines.extend(_basis_lines(c.basis))
        for n in self.customer_notices:
            lines.append(f"  告知 tell the customer: {n.text} ({n.id})")
            lines.extend(_basis_lines(n.basis))
        lines.append("  关键路径 critical path (*): " + " → ".join(self.critical_path))
        lines.append(f"  部门交接 hand-offs: {len(self.handoffs)}" + (": " + "; ".join(
            f"{h.from_department.name}→{h.to_department.name} ({h.from_step}→{h.to_step})"
            for h in self.handoffs) if self.handoffs else ""))
        return "\n".join(lines) + "\n"


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _basis_lines(basis: tuple[BasisRef, ...]) -> list[str]:
    if not basis:
        return []
    return ["      依据 basis: " + "; ".join(b.describe(status=True) for b in basis)]


def _by_steps(commitments: tuple[PlannedCommitment, ...]) -> list[list[PlannedCommitment]]:
    """The commitments grouped by the steps they bind, groups in plan order; in each group
    the binding ones first, then the others by deadline."""
    groups: dict[tuple[str, str], list[PlannedCommitment]] = {}
    for c in commitments:
        groups.setdefault((c.from_step, c.to_step), []).append(c)
    return [sorted(g, key=lambda c: (not c.binding, c.deadline or dt.datetime.max))
            for g in groups.values()]


@dataclass(frozen=True, slots=True)
class _Static:
    """The parts of a plan that do not depend on the request, prepared once per workflow."""

    after: tuple[tuple[str, ...], ...]  # per step (declaration order), the ids it waits for
    handoffs: tuple[Handoff, ...]
    departments: tuple[Named, ...]
    #: calendar days a plan can reach beyond received_at, at most (every step and the longest
    #: limit at their longest; a working day counted 1.5 days, plus 20 days of holidays)
    span_days: float

    @classmethod
    def of(cls, wf: CompiledWorkflow) -> _Static:
        after = tuple(tuple(wf.steps[p].id for p in s.preds) for s in wf.steps)
        handoffs = tuple(
            Handoff(wf.steps[p].id, s.id, wf.steps[p].department, s.department)
            for s in (wf.steps[i] for i in wf.order) for p in s.preds
            if wf.steps[p].department.id != s.department.id)
        departments: dict[str, Named] = {}
        for i in wf.order:
            departments.setdefault(wf.steps[i].department.id, wf.steps[i].department)
        minutes = sum(nominal_minutes(s.duration.longest) for s in wf.steps if s.duration)
        minutes += max((nominal_minutes(c.limit.longest) for c in wf.commitments), default=0.0)
        return cls(after, handoffs, tuple(departments.values()), minutes / 1440 * 1.5 + 20)


class Planner:
    """Builds plans from compiled workflows; one per pack, shared by every request."""

    def __init__(self, workflows: Mapping[str, list[CompiledWorkflow]],
                 calendar: WorkCalendar) -> None:
        self._workflows = {k: list(v) for k, v in workflows.items()}
        self._static = {id(wf): _Static.of(wf) for v in workflows.values() for wf in v}
        self.calendar = calendar

    def ids(self) -> list[str]:
        return list(self._workflows)

    def compiled(self, workflow_id: str, day: dt.date | None = None,
                 ) -> CompiledWorkflow | None:
        """The version of a workflow in force on ``day`` (default today)."""
        day = day or dt.date.today()
        for wf in self._workflows.get(workflow_id, ()):
            if wf.effective.contains(day):
                return wf
        return None

    def graph(self, workflow_id: str, day: dt.date | None = None) -> Any:
        wf = self.compiled(workflow_id, day)
        if wf is None:
            raise KeyError(workflow_id)
        return wf.graph

    def plan(self, workflow_id: str, facts: Facts, day: dt.date) -> Plan | None:
        """The plan for a request (``None`` if no version of the workflow is in force)."""
        wf = self.compiled(workflow_id, day)
        if wf is None:
            return None
        return build_plan(wf, facts, day, self.calendar, self._static[id(wf)])

    def lazy_plan(self, workflow_id: str, facts: Facts, day: dt.date) -> LazyPlan | None:
        """Like :meth:`plan`, but laid out on first use; its notices are known at once."""
        wf = self.compiled(workflow_id, day)
        if wf is None:
            return None
        static = self._static[id(wf)]
        received, assumed = received_moment(facts, day)
        last = received + dt.timedelta(days=static.span_days)
        if not (self.calendar.covers(received.year) and self.calendar.covers(last.year)):
            # the plan may reach a year without holiday data: lay it out now for exact notices
            plan = build_plan(wf, facts, day, self.calendar, static)
            return LazyPlan(wf.id, plan.notices, lambda: plan)
        notices = (_missing_notice(day),) if assumed else ()
        return LazyPlan(wf.id, notices,
                        lambda: build_plan(wf, facts, day, self.calendar, static))


class LazyPlan:
    """A :class:`Plan` laid out the first time anything but its notices is read.

    Classifying stays cheap for callers that never look at the plan; reading any attribute
    (``steps``, ``to_dict()``, ``render_text()`` ...) lays it out once. :meth:`resolve`
    returns the :class:`Plan` itself.
    """

    __slots__ = ("_build", "_plan", "notices", "workflow")

    def __init__(self, workflow: str, notices: tuple[str, ...], build: Callable[[], Plan]) -> None:
        self.workflow = workflow
        self.notices = notices
        self._build = build
        self._plan: Plan | None = None

    def resolve(self) -> Plan:
        plan = self._plan
        if plan is None:  # two threads may both build it; the results are equal
            plan = self._plan = self._build()
        return plan

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)

    def __repr__(self) -> str:
        return f"LazyPlan({self.workflow!r})"


_MISSING_PREFIX = "请求无受理时间"


def _missing_notice(day: dt.date) -> str:
    return (f"{_MISSING_PREFIX}，计划按 {day.isoformat()} 00:00 推算 (no received_at; the plan "
            "starts at the as-of day)")


def is_plan_only_notice(notice: str) -> bool:
    """Whether a notice only concerns the plan's start (and so is shown with the plan)."""
    return notice.startswith(_MISSING_PREFIX)


def received_moment(facts: Facts, day: dt.date) -> tuple[dt.datetime, bool]:
    value = facts.values.get("received_at", MISSING)
    if isinstance(value, dt.datetime):
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), False
    return dt.datetime.combine(day, dt.time()), True


def build_plan(wf: CompiledWorkflow, facts: Facts, day: dt.date, calendar: WorkCalendar,
               static: _Static | None = None) -> Plan:
    """Lay ``wf`` out for one request. Only variant picks and date arithmetic happen here."""
    static = static or _Static.of(wf)
    received, assumed = received_moment(facts, day)
    uncovered: set[int] = set()
    n = len(wf.steps)
    starts: list[dt.datetime] = [received] * n
    dues: list[dt.datetime] = [received] * n
    via: list[int] = [-1] * n  # the predecessor that decides each step's start
    # per step: the duration's label, whether it was assumed, its unit and amount
    chosen: list[tuple[str | None, bool, str | None, float | None]] = [(None, False, None,
                                                                         None)] * n
    for i in wf.order:
        step = wf.steps[i]
        start = received
        for p in step.preds:
            if via[i] == -1 or dues[p] > start:
                start, via[i] = dues[p], p
        due = start
        timed = step.duration
        if timed is not None:
            index = timed.pick_index(facts)
            unit, amount, label = timed.parts[timed.longest_index if index is None else index]
            due = calendar.add_amount(start, unit, amount, uncovered)
            chosen[i] = (label, index is None, unit, amount)
        starts[i], dues[i] = start, due
    path, node = [], wf.end
    while node != -1:
        path.append(node)
        node = via[node]
    critical = {wf.steps[i].id for i in path}
    steps = tuple(
        PlannedStep(s.id, s.name, s.department, starts[i], dues[i], chosen[i][0], chosen[i][1],
                    static.after[i], s.customer_facing, s.id in critical, chosen[i][2],
                    chosen[i][3])
        for i, s in ((i, wf.steps[i]) for i in wf.order))
    commitments = []
    for c in wf.commitments:
        if not c.effective.contains(day):
            continue
        if c.when is not None and c.when.evaluate(facts) is False:
            continue
        index = c.limit.pick_index(facts)
        expected = dues[c.to_index]
        if index is None or (c.when is not None and c.when.evaluate(facts) is None):
            fields = c.limit.fields() + [leaf.field_name for leaf in
                                         (c.when.leaves() if c.when else ()) ]
            commitments.append(PlannedCommitment(
                c.id, c.name, wf.steps[c.from_index].id, wf.steps[c.to_index].id, None, None,
                None, None, expected, None, tuple(dict.fromkeys(fields)), c.basis))
            continue
        unit, amount, label = c.limit.parts[index]
        deadline = calendar.add_amount(starts[c.from_index], unit, amount, uncovered)
        commitments.append(PlannedCommitment(
            c.id, c.name, wf.steps[c.from_index].id, wf.steps[c.to_index].id, label,
            unit, amount, deadline, expected, expected <= deadline, (), c.basis))
    told = tuple(PlannedNotice(n.id, n.text, n.text_en, n.basis) for n in wf.notices
                 if n.effective.contains(day)
                 and (n.when is None or n.when.evaluate(facts) is not False))
    notices = []
    if assumed:
        notices.append(_missing_notice(day))
    if uncovered:
        notices.append(fallback_notice(uncovered))
    return Plan(wf.id, wf.name, received, assumed, steps, _binding(commitments),
                tuple(wf.steps[i].id for i in reversed(path)), static.handoffs,
                static.departments, tuple(notices), told)


def _binding(commitments: list[PlannedCommitment]) -> tuple[PlannedCommitment, ...]:
    """Mark which commitment binds on each span of steps: where a regulation and a stricter
    promise (or two versions) limit the same steps, the earliest deadline is the one to keep,
    and each names the others. Ties all bind; a span with an undecided limit binds none."""
    spans: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(commitments):
        spans.setdefault((c.from_step, c.to_step), []).append(i)
    out = list(commitments)
    for members in spans.values():
        if len(members) == 1:
            continue
        deadlines = [commitments[i].deadline for i in members]
        earliest = None if None in deadlines else min(d for d in deadlines if d is not None)
        for i in members:
            c = commitments[i]
            others = tuple(commitments[j].id for j in members if j != i)
            binding = None if earliest is None else c.deadline == earliest
            out[i] = replace(c, binding=binding, same_steps=others)
    return tuple(out)
