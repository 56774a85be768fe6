"""The compiled pack and classification.

:func:`compile_pack` turns what :mod:`bizroute.loader` read into an immutable :class:`Pack`.
:meth:`Pack.classify` flattens a request to its declared fields, evaluates the rules in force
with three-valued logic, and builds a :class:`~bizroute.decision.Decision`. Nothing on that path
re-validates the pack; category payloads are prepared once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from . import models as m
from .conditions import (
    MISSING,
    All,
    AnyOf,
    Evaluator,
    Facts,
    LeafResult,
    Node,
    Not,
    Test,
    Truth,
    compile_node,
)
from .decision import (
    Answer,
    BasisRef,
    Candidate,
    CategoryRef,
    Check,
    Decision,
    DecisionWarning,
    Explanation,
    Named,
    PackRef,
    Question,
    RuleExplanation,
    RuleRef,
    Status,
    WhyNot,
    make_answer,
    make_check,
    make_decision,
    make_explanation,
    make_rule_explanation,
    make_why_not,
)
from .errors import InputError
from .findings import Finding
from .flatten import FieldPlan, compile_flattener
from .index import RuleIndex, TermScanner, collect_terms, leaf_numbers
from .index import held_first as count_held_first
from .intake import DocumentCodes, Request, as_mapping, parse_when
from .loader import Compiler, Located, PackSource, without_gc
from .overlay import StackSource
from .plan import is_plan_only_notice
from .textnorm import normaliser
from .workflow import CompiledWorkflow, compile_workflow

#: How many near alternatives an explanation names.
WHY_NOT_LIMIT = 3

_NO_EXPLANATION = Explanation()
_BASE_VALUES = "rule values"  # Facts.memo key: rule values shared by a request's probes
_UNSET: Any = object()


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    id: str
    category: str
    priority: int
    node: Node
    effective: m.Effective
    ref: RuleRef
    order: int
    file: str
    line: int
    own_basis: bool = True  # False: the basis is its category's, which depends on the date
    # node.evaluate as one function (conditions.compile_node); set from node when not given
    evaluate: Evaluator = None  # type: ignore[assignment]

    fields: frozenset[str] = frozenset()  # the fields its tests read (set from node)

    def __post_init__(self) -> None:
        if self.evaluate is None:
            object.__setattr__(self, "evaluate", compile_node(self.node))
        object.__setattr__(self, "fields", frozenset(t.field_name for t in self.node.leaves()))


@dataclass(frozen=True, slots=True, eq=False)
class CompiledCategory:
    model: m.Category
    ref: CategoryRef
    documents: tuple[tuple[Named, Node | None], ...]
    departments: tuple[Named, ...]
    # the documents when none has a condition (then every decision shares this tuple)
    unconditional: tuple[Named, ...] | None = None
    # the tuples of required and missing documents made so far, shared by the decisions that
    # need the same ones (a few per category; see Pack._documents)
    shared: dict[tuple[int, ...], tuple[Named, ...]] = field(default_factory=dict)

    # each document's condition as one function (conditions.compile_node), None: always
    checks: tuple[Evaluator | None, ...] = ()

    def __post_init__(self) -> None:
        if all(cond is None for _, cond in self.documents):
            object.__setattr__(self, "unconditional", tuple(n for n, _ in self.documents))
        object.__setattr__(self, "checks", tuple(None if cond is None else compile_node(cond)
                                                 for _, cond in self.documents))


@dataclass(frozen=True, slots=True)
class _Epoch:
    rules: tuple[CompiledRule, ...]  # in force, highest priority first
    categories: dict[str, CompiledCategory]
    index: RuleIndex | None = None  # None: evaluate every rule (the plain reference engine)
    rule_refs: dict[str, RuleRef] = field(default_factory=dict)  # filled by Pack._rule_ref


class _Outcome(NamedTuple):  # a tuple: made for every request and every probe
    status: Status
    top: tuple[CompiledRule, ...]
    unknown: tuple[CompiledRule, ...]


class Pack:
    """A loaded, compiled rule pack. Immutable and safe to share between threads.

    Build it with :func:`bizroute.load_pack`.
    """

    def __init__(self, *, source: PackSource, info: m.PackInfo, rules: list[CompiledRule],
                 categories: dict[str, list[tuple[m.Effective, CompiledCategory]]],
                 compiler: Compiler, findings: list[Finding],
                 workflows: Mapping[str, list[CompiledWorkflow]] | None = None) -> None:
        from .calendar import WorkCalendar
        from .plan import Planner

        self.source = source
        self.info = info
        self.id = info.id
        self.name = info.name
        self.version = info.version
        self.digest = source.digest
        self.path: Path = source.root
        self.fields: Mapping[str, m.FieldSpec] = MappingProxyType(dict(info.fields))
        self.warnings: tuple[Finding, ...] = tuple(f for f in findings if f.severity != "error")
        self.rules: tuple[CompiledRule, ...] = tuple(rules)
        self._categories = categories
        #: the packs this one is stacked on and itself (base first); empty for a plain pack
        self.stack: tuple[PackRef, ...] = (source.stack_refs() if isinstance(source, StackSource)
                                           else ())
        self._ref = PackRef(info.id, info.version, source.digest, self.stack)
        self._allowed = {p: frozenset(compiler.allowed_values(s)) for p, s in self.fields.items()}
        self._traditional = info.text.traditional_to_simplified
        self._norm = normaliser(traditional_to_simplified=self._traditional)
        # read-only views: a pack is shared between threads and never changes after loading
        self.documents = MappingProxyType({d.obj.id: _named(d.obj)
                                           for d in source.entries["documents"]})
        self.departments = MappingProxyType({d.obj.id: d.obj
                                             for d in source.entries["departments"]})
        self.vocabularies = MappingProxyType({v.obj.id: v.obj
                                              for v in source.entries["vocabularies"]})
        self.sources = MappingProxyType({s.obj.id: s.obj for s in source.entries["sources"]})
        self.groups = MappingProxyType({g.obj.id: g.obj for g in source.entries["groups"]})
        self.workflows: dict[str, list[Located]] = {}
        for w in source.entries["workflows"]:
            self.workflows.setdefault(w.obj.id, []).append(w)
        dates: set[dt.date] = set()
        for eff in [r.effective for r in rules] + [e for v in categories.values() for e, _ in v]:
            dates.update(d for d in (eff.from_, eff.until) if d is not None)
        self._breaks = sorted(dates)
        self._epochs: dict[int, _Epoch] = {}
        self._thresholds = _numeric_thresholds(rules)
        self._points: dict[str, list[tuple[float, _Interval]]] = {}  # filled on first use
        # every vocabulary term of the pack, matched in one pass over each text field
        self._scanner = TermScanner(collect_terms(
            [r.node for r in rules] + [cond for v in categories.values() for _, c in v
                                       for _, cond in c.documents if cond is not None]))
        self._indexed = True
        self._labels = {path: spec.label for path, spec in self.fields.items()}
        # document codes: catalogue ids, their aliases, and unknown codes kept for a warning
        codes = DocumentCodes({d.obj.id: d.obj.aliases for d in source.entries["documents"]},
                              self._norm)
        self._document_fields = tuple(p for p, spec in self.fields.items()
                                      if spec.values_from == "documents")
        self._field_plan = tuple(
            FieldPlan(path, tuple(path.split(".")), spec, self._allowed[path], spec.type)
            if spec.values_from != "documents" else
            FieldPlan(path, tuple(path.split(".")), spec, self._allowed[path], "documents", codes)
            for path, spec in self.fields.items())
        # the field plan as one generated function (flatten_fields is its reference)
        self._flatten = compile_flattener(self._field_plan, self._norm)
        # graphs, topological orders and critical paths are built once here; a plan per
        # request is only variant picks and date arithmetic
        self._planner = Planner(workflows or {}, WorkCalendar.for_pack(info.calendar))
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        # public attributes are fixed once built; private ones hold the per-date caches
        if not name.startswith("_") and getattr(self, "_sealed", False):
            raise AttributeError(f"a Pack is immutable; {name!r} cannot be set")
        object.__setattr__(self, name, value)

    # --- public API

    def classify(self, request: Request | Mapping[str, Any], as_of: dt.date | None = None,
                 *, explain: bool = True) -> Decision:
        """Classify one request.

        ``as_of`` picks the rules in force; by default the request's ``received_at``, else
        today. ``explain=False`` leaves the explanation (why and why not) empty, for callers
        that do not show it; everything else is the same. Raises
        :class:`~bizroute.errors.InputError` when the request does not fit the pack's fields.

        >>> pack = load_pack()
        >>> d = pack.classify({"description": "家里没电了", "area": "urban"})
        >>> d.status, d.category_id
        ('decided', 'fault_repair')
        """
        data = request if type(request) is dict else as_mapping(request)
        facts = self.facts(data)
        day = self._as_of(data, facts, as_of)
        epoch = self._epoch(day)
        outcome = self._evaluate(facts, epoch)
        return self._decide(data, facts, day, epoch, outcome, explain)

    def classify_many(self, requests: Iterable[Request | Mapping[str, Any]],
                      as_of: dt.date | None = None, *, explain: bool = True,
                      ) -> Iterator[Decision]:
        """Classify each request in turn. A request that does not fit gives an ``error``
        decision in its place (``Decision.error`` says why), so N requests give N decisions."""
        for index, request in enumerate(requests, start=1):
            try:
                yield self.classify(request, as_of, explain=explain)
            except InputError as exc:
                yield self.error_decision(exc, position=f"record {index}",
                                          request_id=_request_id(request))

    def error_decision(self, exc: InputError, *, position: str | None = None,
                       request_id: str | None = None, as_of: dt.date | None = None) -> Decision:
        """The placeholder decision for a record that could not be classified."""
        return Decision(
            status="error", pack=self._ref, as_of=as_of or dt.date.today(),
            request_id=request_id,
            error={"message": exc.reason, "position": exc.position or position,
                   "field": exc.field},
        )

    def category(self, category_id: str, as_of: dt.date | None = None) -> m.Category | None:
        """The version of a category in force on ``as_of`` (default today)."""
        found = self._category_at(category_id, as_of or dt.date.today())
        return found.model if found else None

    def category_ids(self) -> list[str]:
        return list(self._categories)

    def workflow(self, workflow_id: str, as_of: dt.date | None = None) -> Any:
        """The workflow in force on ``as_of`` (default today) as a frozen ``networkx.DiGraph``.

        Nodes are step ids with their attributes (name, department, department_name,
        front_office, customer_facing, duration, nominal_minutes); an edge ``a → b`` means
        ``b`` comes after ``a``. Raises ``KeyError`` for an unknown workflow.
        """
        return self._planner.graph(workflow_id, as_of)

    # --- request → facts

    def facts(self, data: Mapping[str, Any]) -> Facts:
        """Flatten and check a request against the declared fields."""
        values = self._flatten(data)
        self._scanner.scan(values)
        return Facts(values)

    def _as_of(self, data: Mapping[str, Any], facts: Facts, as_of: dt.date | None) -> dt.date:
        if as_of is not None:
            return as_of.date() if isinstance(as_of, dt.datetime) else as_of
        received = facts.values.get("received_at", MISSING)
        if received is MISSING:
            received = parse_when(data.get("received_at")) if "received_at" in data else None
            if received is None and data.get("received_at"):
                raise InputError(f"received_at: expected a date-time, got "
                                 f"{data.get('received_at')!r}", field="received_at")
        if isinstance(received, dt.datetime):
            return received.date()
        if isinstance(received, dt.date):
            return received
        return dt.date.today()

    # --- effective dates

    def _epoch(self, day: dt.date) -> _Epoch:
        index = bisect.bisect_right(self._breaks, day)
        epoch = self._epochs.get(index)
        if epoch is None:
            rules = tuple(sorted((r for r in self.rules if r.effective.contains(day)),
                                 key=lambda r: (-r.priority, r.order)))
            cats = {}
            for cid in self._categories:
                found = self._category_at(cid, day)
                if found is not None:
                    cats[cid] = found
            epoch = _Epoch(rules, cats,
                           RuleIndex(rules, self.fields) if self._indexed else None)
            self._epochs[index] = epoch  # idempotent; a race only computes it twice
        return epoch

    def _category_at(self, cid: str, day: dt.date) -> CompiledCategory | None:
        for effective, compiled in self._categories.get(cid, ()):
            if effective.contains(day):
                return compiled
        return None

    # --- evaluation

    def _evaluate(self, facts: Facts, epoch: _Epoch, base: Facts | None = None,
                  probed: str = "") -> _Outcome:
        """The outcome for ``facts``. For a probe (``base`` with one more field, ``probed``),
        rules that do not read that field have the value they have for ``base``, computed
        once for all the probes of a request."""
        top_priority: int | None = None
        top: list[CompiledRule] = []
        unknown: list[CompiledRule] = []
        # the index leaves out only rules that are certainly false, which change nothing
        rules = epoch.rules if epoch.index is None else epoch.index.candidates(facts)
        known: dict[str, Truth] | None = None
        if base is not None:
            known = base.memo.get(_BASE_VALUES)
            if known is None:
                known = base.memo[_BASE_VALUES] = {}
        for rule in rules:
            if top_priority is not None and rule.priority < top_priority:
                break  # lower priorities can no longer change anything
            if known is None or probed in rule.fields:
                value = rule.evaluate(facts)
            else:
                value = known.get(rule.id, _UNSET)
                if value is _UNSET:
                    value = known[rule.id] = rule.evaluate(base)  # type: ignore[arg-type]
            if value is True:
                top_priority = rule.priority
                top.append(rule)
            elif value is None:
                unknown.append(rule)
        cats = {top[0].category} if len(top) == 1 else {r.category for r in top}
        relevant = tuple(u for u in unknown if _could_change(u, top_priority, cats)
                         ) if unknown else ()
        if relevant:
            status: Status = "needs_info"
        elif not top:
            status = "unmatched"
        else:
            status = "decided" if len(cats) == 1 else "ambiguous"
        return _Outcome(status, tuple(top), relevant)

    # --- building the decision

    def _decide(self, data: Mapping[str, Any], facts: Facts, day: dt.date, epoch: _Epoch,
                outcome: _Outcome, explain: bool = True) -> Decision:
        if type(data) is dict:  # _request_id, inlined for the common case
            rid = data.get("id")
            request_id = None if rid is None else str(rid)
        else:
            request_id = _request_id(data)
        candidates = self._candidates(outcome, epoch) if outcome.status != "decided" else ()
        questions: tuple[Question, ...] = ()
        if outcome.status == "needs_info":
            questions = self._questions(facts, epoch, outcome)
        category = None
        docs_required: tuple[Named, ...] = ()
        docs_missing: tuple[Named, ...] = ()
        departments: tuple[Named, ...] = ()
        workflow = None
        because: list[RuleExplanation] = []
        if outcome.status == "decided":
            compiled = epoch.categories.get(outcome.top[0].category)
            if compiled is not None:
                category = compiled.ref
                docs_required, docs_missing = self._documents(compiled, facts)
                departments = compiled.departments
                workflow = compiled.model.workflow
        # outputs are sorted by id so that the order of files and rules never shows
        explained = (outcome.top if outcome.status != "needs_info" else outcome.unknown
                     ) if explain else ()
        top = outcome.top
        if explain:
            for rule in sorted(explained, key=_by_id) if len(explained) > 1 else explained:
                because.append(self._explain_rule(rule, facts))
            chosen = {r.category for r in top} | {r.category for r in outcome.unknown}
            explanation = make_explanation(tuple(because), self._why_not(
                facts, epoch, chosen, category.group if category else None))
        else:
            explanation = _NO_EXPLANATION
        rules: tuple[RuleRef, ...]
        if len(top) == 1:  # the common case, without the sort and (mostly) the call
            rules = (top[0].ref if top[0].own_basis else self._rule_ref(top[0], epoch),)
        else:
            rules = tuple(self._rule_ref(r, epoch) for r in sorted(top, key=_by_id))
        # laid out on first use: callers that never read the plan pay only for its notices
        plan = self._planner.lazy_plan(workflow, facts, day) if workflow else None
        # the plan's own 'no received_at' note belongs with the plan; the calendar fallback
        # note concerns every deadline of the decision, so it is repeated here
        notices = tuple(n for n in plan.notices if not is_plan_only_notice(n)
                        ) if plan is not None else ()
        warnings = self._warnings(facts) if self._document_fields else ()
        # positional, in Decision's field order (the keywords cost more than the rest here)
        return make_decision(outcome.status, self._ref, day, request_id, category, rules, candidates,
                        questions, docs_required, docs_missing, departments, workflow,
                        explanation, plan, notices, None, _received_at(data, facts), warnings)

    def _warnings(self, facts: Facts) -> tuple[DecisionWarning, ...]:
        """What the request held that classification went past: document codes that name no
        document of the catalogue. Messages never quote a code that could be personal data."""
        out: list[DecisionWarning] = []
        for path in self._document_fields:
            unknown = getattr(facts.values.get(path), "unknown", None)  # PresentedDocuments
            for position, shown in unknown or ():
                code = f"“{shown}”" if shown else ""
                out.append(DecisionWarning(
                    "unknown_document_code", path,
                    f"{self.fields[path].label}第{position}项{code}不是资料目录中的资料代码，"
                    "未计入已提供资料；请核对资料名称，或在规则包中为该资料声明别名（aliases）"))
        return tuple(out)

    def _documents(self, compiled: CompiledCategory, facts: Facts,
                   ) -> tuple[tuple[Named, ...], tuple[Named, ...]]:
        """The documents a decided request needs and those it did not present, as tuples
        shared by every decision with the same ones (kept by their positions in the
        category's list)."""
        documents = compiled.documents
        shared = compiled.shared
        if compiled.unconditional is not None:
            required = compiled.unconditional
            positions: tuple[int, ...] = tuple(range(len(documents)))
        else:
            positions = tuple([i for i, check in enumerate(compiled.checks)
                               if check is None or check(facts) is not False])
            required = shared.get(positions)  # type: ignore[assignment]
            if required is None:
                required = shared[positions] = tuple(documents[i][0] for i in positions)
        presented = facts.values.get("documents_presented")
        if not presented:
            return required, required
        absent = tuple(i for i in positions if documents[i][0].id not in presented)
        missing = shared.get(absent)
        if missing is None:
            if len(shared) >= 1_000:  # a few combinations in practice; never grow unbounded
                shared.clear()
            missing = shared[absent] = tuple(documents[i][0] for i in absent)
        return required, missing

    def _rule_ref(self, rule: CompiledRule, epoch: _Epoch) -> RuleRef:
        """A rule without a basis of its own cites its category's version in force (made once
        per epoch, so that decisions share it)."""
        if rule.own_basis:
            return rule.ref
        ref = epoch.rule_refs.get(rule.id)
        if ref is None:
            compiled = epoch.categories.get(rule.category)
            ref = rule.ref if compiled is None else RuleRef(
                rule.id, rule.priority, rule.category, compiled.ref.basis, rule.ref.note)
            epoch.rule_refs[rule.id] = ref
        return ref

    def _candidates(self, outcome: _Outcome, epoch: _Epoch) -> tuple[Candidate, ...]:
        if outcome.status == "decided":
            return ()
        by_cat: dict[str, list[str]] = {}
        for rule in (*outcome.top, *outcome.unknown):
            by_cat.setdefault(rule.category, []).append(rule.id)
        return tuple(Candidate(cid, self._cat_name(cid, epoch), tuple(sorted(ids)))
                     for cid, ids in sorted(by_cat.items()))

    def _cat_name(self, cid: str, epoch: _Epoch) -> str:
        compiled = epoch.categories.get(cid)
        return compiled.model.name if compiled else cid

    def _questions(self, facts: Facts, epoch: _Epoch, outcome: _Outcome) -> tuple[Question, ...]:
        asked: dict[str, list[str]] = {}
        for rule in outcome.unknown:
            leaves: list[Test] = []
            _unknown_leaves(rule.node, facts, leaves)
            for leaf in leaves:
                rules = asked.setdefault(leaf.field_name, [])
                if rule.id not in rules:
                    rules.append(rule.id)
        questions = []
        for fname, rule_ids in sorted(asked.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            spec = self.fields[fname]
            if spec.type == "number":
                answers = self._number_answers(facts, epoch, fname, spec)
            else:
                answers = self._value_answers(facts, epoch, fname, spec)
            ask = spec.question or f"请提供：{spec.label}"
            questions.append(Question(fname, spec.label, spec.label_en, ask, tuple(sorted(rule_ids)),
                                      answers))
        return tuple(questions)

    def _value_answers(self, facts: Facts, epoch: _Epoch, fname: str, spec: m.FieldSpec,
                       ) -> tuple[Answer, ...]:
        """An answer for each value; the values no candidate rule names lead to the same
        place (see RuleIndex.named_values), so one probe answers for all of them."""
        named = epoch.index.named_values(facts, fname) if epoch.index is not None else None
        answers = []
        shared: Answer | None = None
        for value, label in self._answer_values(fname, spec):
            if named is None or value in named:
                answers.append(self._answer(facts, epoch, fname, value, label))
                continue
            if shared is None:
                shared = self._answer(facts, epoch, fname, value, label)
            answers.append(make_answer(value, label, shared.status, shared.category,
                                       shared.category_name))
        return tuple(answers)

    def _answer_values(self, fname: str, spec: m.FieldSpec) -> list[tuple[Any, str]]:
        if spec.type == "enum":
            return list(spec.value_labels().items())
        if spec.type == "bool":
            return [(True, "是"), (False, "否")]
        return []

    def _number_answers(self, facts: Facts, epoch: _Epoch, fname: str, spec: m.FieldSpec,
                        ) -> tuple[Answer, ...]:
        """Answers by interval, neighbouring intervals that lead to the same place joined.

        The intervals are those of the pack's thresholds (below, at and between them). Only
        the rules the index selects can be other than false whatever the number is, and they
        change only at their own thresholds (a subset): the intervals between two of those
        lead to the same place, so one probe answers for all of them, and a threshold that
        goes with its upper or lower neighbours (RuleIndex.number_thresholds) is probed with
        them. Each run of intervals is found by position, not walked interval by interval.
        """
        thresholds = self._thresholds.get(fname, [])
        if not thresholds:
            return ()
        points = self._points.get(fname)
        if points is None:
            points = self._points[fname] = _number_points(thresholds)
        if epoch.index is not None:
            own, sides = epoch.index.number_thresholds(facts, fname)
        else:  # the plain engine probes every interval
            own, sides = list(thresholds), [0] * len(thresholds)
        # segments of intervals by their positions in `points` (2k + 1 is the k-th threshold,
        # 2k the interval below it), each with the region whose probe answers for it: region
        # 2j below own[j], 2j + 1 at own[j], 2j + 1 + side when it goes with a neighbour
        segments: list[tuple[int, int, int]] = []
        start = 0
        for j, threshold in enumerate(own):
            at = 2 * bisect.bisect_left(thresholds, threshold) + 1
            if start < at:
                segments.append((start, at - 1, 2 * j))
            segments.append((at, at, 2 * j + 1 + sides[j]))
            start = at + 1
        segments.append((start, len(points) - 1, 2 * len(own)))
        seen: dict[int, Answer] = {}
        # runs of neighbouring intervals that lead to the same place: [first interval, last
        # interval, the first one's probe value, the answer]
        runs: list[list[Any]] = []
        for first, last, region in segments:
            answer = seen.get(region)
            if answer is None:
                answer = seen[region] = self._answer(facts, epoch, fname, points[first][0], "")
            if runs:
                previous = runs[-1][3]
                if previous is answer or (previous.status == answer.status
                                          and previous.category == answer.category):
                    runs[-1][1] = points[last][1]
                    continue
            runs.append([points[first][1], points[last][1], points[first][0], answer])
        unit = spec.unit or ""
        return tuple(make_answer(value, _interval_label(first, last, unit), a.status,
                                 a.category, a.category_name) for first, last, value, a in runs)

    def _answer(self, facts: Facts, epoch: _Epoch, fname: str, value: Any, label: str) -> Answer:
        probe = Facts({**facts.values, fname: value})
        probe._mention_cache = facts._mention_cache  # same text: same mentions
        if epoch.index is not None:
            epoch.index.seed_probe(facts, probe, fname, value)
        outcome = self._evaluate(probe, epoch, facts, fname)
        cid = outcome.top[0].category if outcome.status == "decided" else None
        return make_answer(value, label, outcome.status, cid,
                      self._cat_name(cid, epoch) if cid else None)

    def _explain_rule(self, rule: CompiledRule, facts: Facts) -> RuleExplanation:
        checks: list[Check] = []
        result = _trace_checks(rule.node, facts, checks, self._labels)
        return make_rule_explanation(rule.id, rule.category, result, tuple(checks))

    def _check(self, leaf: LeafResult) -> Check:
        spec = self.fields.get(leaf.field)
        return Check(leaf.path, leaf.field, spec.label if spec else leaf.field, leaf.test,
                     leaf.value, leaf.result, leaf.matched)

    def _why_not(self, facts: Facts, epoch: _Epoch, chosen: set[str], group: str | None,
                 ) -> tuple[WhyNot, ...]:
        best: dict[str, tuple[tuple[int, int, int], CompiledRule, Any]] = {}
        # the index names the rules that could have a test hold (all of them, for packs up
        # to index.SCAN_ALL_LIMIT rules; the near ones above that): see bizroute.index
        categories = epoch.categories
        for rule in epoch.rules if epoch.index is None else epoch.index.near(facts):
            if rule.category in chosen:
                continue
            # a trace without building it: the value, the tests holding, the first failed
            value, held, _, first = count_held_first(rule.node, facts)
            if value is not False or held == 0:
                continue
            compiled = categories.get(rule.category)
            same_group = int(compiled is not None and compiled.model.group == group)
            score = (same_group, held, rule.priority)
            current = best.get(rule.category)
            if current is None or score > current[0] or (score == current[0]
                                                         and rule.id < current[1].id):
                best[rule.category] = (score, rule, first)
        if not best:
            return ()
        ranked = sorted(best.values(), key=lambda item: (-item[0][0], -item[0][1], -item[0][2],
                                                         item[1].category))
        out = []
        for _score, rule, first in ranked[:WHY_NOT_LIMIT]:
            check = _leaf_check(first[0], facts, self._labels, first[1]) if first else None
            reason = (f"{check.test}: {'缺失' if check.value is None else check.value!r}"
                      if check else "条件不成立")
            out.append(make_why_not(rule.category, self._cat_name(rule.category, epoch), rule.id,
                              check, reason))
        return tuple(out)


# --- helpers ---------------------------------------------------------------------------------


def _leaf_check(leaf: Test, facts: Facts, labels: Mapping[str, str], negations: int = 0,
                ) -> Check:
    """The check an explanation shows for ``leaf``, under ``negations`` levels of ``not``."""
    result = leaf.evaluate(facts)
    value = facts.values.get(leaf.field_name, MISSING)
    matched = None
    if leaf.finder is not None and value is not MISSING:
        matched = leaf.finder(value, facts)
    shown = None if value is MISSING else getattr(value, "raw", value)
    test = leaf.describe
    for _ in range(negations):
        test = f"not ({test})"
        result = None if result is None else not result
    return make_check(leaf.path, leaf.field_name, labels.get(leaf.field_name, leaf.field_name),
                      test, shown, result, matched)


def _trace_checks(node: Node, facts: Facts, out: list[Check], labels: Mapping[str, str],
                  ) -> bool | None:
    """:meth:`Node.trace`, building the explanation's checks directly (same walk, same
    checks as converting its leaf results)."""
    kind = type(node)
    if kind is Test:
        check = _leaf_check(node, facts, labels)  # type: ignore[arg-type]
        out.append(check)
        return check.result
    if kind is All:
        unknown = False
        for part in node.parts:  # type: ignore[attr-defined]
            value = _trace_checks(part, facts, out, labels)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True
    if kind is AnyOf:
        unknown = False
        scratch: list[Check] = []
        for part in node.parts:  # type: ignore[attr-defined]
            branch: list[Check] = []
            value = _trace_checks(part, facts, branch, labels)
            if value is True:
                out.extend(branch)  # only the branch that made it true explains it
                return True
            scratch.extend(branch)
            if value is None:
                unknown = True
        out.extend(scratch)
        return None if unknown else False
    if kind is Not:
        inner: list[Check] = []
        value = _trace_checks(node.part, facts, inner, labels)  # type: ignore[attr-defined]
        out.extend(make_check(c.path, c.field, c.label, f"not ({c.test})", c.value,
                         None if c.result is None else not c.result, c.matched) for c in inner)
        return None if value is None else not value
    trace: list[LeafResult] = []
    value = node.trace(facts, trace)
    out.extend(Check(r.path, r.field, labels.get(r.field, r.field), r.test, r.value, r.result,
                     r.matched) for r in trace)
    return value


def _could_change(rule: CompiledRule, top_priority: int | None, cats: set[str]) -> bool:
    if top_priority is None:
        return True
    if rule.priority > top_priority:
        return cats != {rule.category}
    return rule.category not in cats


def _unknown_leaves(node: Node, facts: Facts, out: list[Test]) -> Truth:
    """``node``'s value; when it is unknown, the field tests that keep it undecided are added
    to ``out``: only those inside parts still unknown, so a branch that is already settled
    (true in an ``all``, false in an ``any``) asks nothing. One pass: each test is evaluated
    once."""
    if isinstance(node, Test):
        value = node.evaluate(facts)
        if value is None:
            out.append(node)
        return value
    mark = len(out)
    if isinstance(node, Not):
        inner = _unknown_leaves(node.part, facts, out)
        return None if inner is None else not inner
    if isinstance(node, All | AnyOf):
        settled = isinstance(node, AnyOf)  # the value that decides: True for any, False for all
        result: Truth = not settled
        for part in node.parts:
            value = _unknown_leaves(part, facts, out)
            if value is settled:
                result = settled
            elif value is None and result is not settled:
                result = None
        if result is not None:
            del out[mark:]  # a settled node asks nothing
        return result
    return node.evaluate(facts)


def _by_id(rule: CompiledRule) -> str:
    return rule.id


def _received_at(data: Mapping[str, Any], facts: Facts) -> dt.datetime | dt.date | None:
    value = facts.values.get("received_at", MISSING)
    if value is MISSING:
        value = parse_when(data.get("received_at"))
    return value if isinstance(value, dt.date) else None


def _request_id(request: Any) -> str | None:
    if isinstance(request, Request):
        return request.id
    if isinstance(request, Mapping):
        rid = request.get("id")
        return None if rid is None else str(rid)
    return None


def _named(obj: m.Document | m.Department) -> Named:
    return Named(obj.id, obj.name, obj.name_en)


def _numeric_thresholds(rules: Iterable[CompiledRule]) -> dict[str, list[float]]:
    found: dict[str, set[float]] = {}
    for rule in rules:
        for leaf in rule.node.leaves():  # the same numbers the index's thresholds take
            for v in leaf_numbers(leaf):
                found.setdefault(leaf.field_name, set()).add(float(v))
    return {k: sorted(v) for k, v in found.items()}


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


@dataclass(frozen=True, slots=True)
class _Interval:
    """A numeric interval; ``None`` bounds are open-ended."""

    lo: float | None
    lo_closed: bool
    hi: float | None
    hi_closed: bool

    def join(self, other: _Interval) -> _Interval:
        return _Interval(self.lo, self.lo_closed, other.hi, other.hi_closed)

    def label(self, unit: str) -> str:
        lo, hi = self.lo, self.hi
        if lo is not None and lo == hi:
            text = f"= {_fmt(lo)}"
        elif lo is None and hi is None:
            text = "任意"
        elif lo is None:
            assert hi is not None
            text = f"{'≤' if self.hi_closed else '<'} {_fmt(hi)}"
        elif hi is None:
            text = f"{'≥' if self.lo_closed else '>'} {_fmt(lo)}"
        else:
            text = (f"{'[' if self.lo_closed else '('}{_fmt(lo)}, {_fmt(hi)}"
                    f"{']' if self.hi_closed else ')'}")
        return f"{text} {unit}".rstrip()


@functools.lru_cache(maxsize=4096)  # a pack has few distinct runs; formatting is not free
def _interval_label(first: _Interval, last: _Interval, unit: str) -> str:
    return first.join(last).label(unit)


def _number_points(thresholds: list[float]) -> list[tuple[float, _Interval]]:
    """One representative value per interval between (and at) the thresholds."""
    if not thresholds:
        return []
    first, last = thresholds[0], thresholds[-1]
    points = [(first / 2 if first > 0 else first - 1, _Interval(None, False, first, False))]
    for i, t in enumerate(thresholds):
        points.append((t, _Interval(t, True, t, True)))
        if i + 1 < len(thresholds):
            nxt = thresholds[i + 1]
            points.append(((t + nxt) / 2, _Interval(t, False, nxt, False)))
    points.append((last * 2 if last > 0 else last + 1, _Interval(last, False, None, False)))
    return points


# --- compilation -------------------------------------------------------------------------------


@without_gc
def compile_pack(source: PackSource, findings: list[Finding]) -> Pack | None:
    """Check references, compile conditions and build the :class:`Pack` (``None`` on errors)."""
    compiler = Compiler(source, findings)
    compiler.check_duplicates()
    compiler.check_fields()
    compiler.check_document_aliases()
    entries = source.entries
    for loc in entries["categories"]:
        _check_category(compiler, loc)
    categories: dict[str, list[tuple[m.Effective, CompiledCategory]]] = {}
    for loc in entries["categories"]:
        compiled = _compile_category(compiler, loc)
        if compiled is not None:
            categories.setdefault(loc.obj.id, []).append((loc.obj.effective, compiled))
    rules: list[CompiledRule] = []
    for order, loc in enumerate(entries["rules"]):
        rule = _compile_rule(compiler, loc, order, categories)
        if rule is not None:
            rules.append(rule)
    workflows: dict[str, list[CompiledWorkflow]] = {}
    for loc in entries["workflows"]:
        wf = compile_workflow(compiler, loc, lambda b: _basis_refs(compiler, b))
        if wf is not None:
            workflows.setdefault(wf.id, []).append(wf)
    for loc in entries["vocabularies"]:
        for i, term in enumerate(loc.obj.terms):
            if not compiler.norm(term):
                compiler.error("BR103", "a term is empty after normalisation", loc, "terms", i)
    if any(f.severity == "error" for f in findings) or source.info is None:
        return None
    return Pack(source=source, info=source.info.obj, rules=rules, categories=categories,
                compiler=compiler, findings=findings, workflows=workflows)


def _check_category(c: Compiler, loc: Located) -> None:
    cat: m.Category = loc.obj
    if cat.group not in c.group_ids:
        c.error("BR209", f"group {cat.group!r} is not defined in 'groups'", loc, "group")
    c.check_basis(cat.basis, loc, "basis")
    for i, req in enumerate(cat.documents):
        doc_id = req if isinstance(req, str) else req.id
        sub: tuple[str | int, ...] = (i,) if isinstance(req, str) else (i, "id")
        if doc_id not in c.document_ids:
            c.error("BR204", f"document {doc_id!r} is not in the 'documents' catalogue", loc,
                    "documents", *sub)
    for i, dep in enumerate(cat.departments):
        if dep not in c.department_ids:
            c.error("BR205", f"department {dep!r} is not in 'departments'", loc,
                    "departments", i)
    if cat.workflow is not None and cat.workflow not in c.workflow_ids:
        c.error("BR206", f"workflow {cat.workflow!r} is not defined in 'workflows'", loc,
                "workflow")


def _compile_category(c: Compiler, loc: Located) -> CompiledCategory | None:
    cat: m.Category = loc.obj
    docs: list[tuple[Named, Node | None]] = []
    for i, req in enumerate(cat.document_requirements()):
        node = None
        if req.when is not None:
            node = c.condition(req.when, loc, ("documents", i, "when"))
            if node is None:
                return None
        if req.id in c.document_ids:
            doc = next(d.obj for d in c.source.entries["documents"] if d.obj.id == req.id)
            docs.append((_named(doc), node))
    group = next((g.obj for g in c.source.entries["groups"] if g.obj.id == cat.group), None)
    deps = tuple(_named(d.obj) for dep in cat.departments
                 for d in c.source.entries["departments"] if d.obj.id == dep)
    ref = CategoryRef(cat.id, cat.name, cat.name_en, cat.group, group.name if group else cat.group,
                      dict(cat.codes), _basis_refs(c, cat.basis))
    return CompiledCategory(cat, ref, tuple(docs), deps)


def _basis_refs(c: Compiler, basis: Iterable[m.Basis]) -> tuple[BasisRef, ...]:
    sources = {s.obj.id: s.obj for s in c.source.entries["sources"]}
    out = []
    for b in basis:
        src = sources.get(b.source)
        out.append(BasisRef(b.source, src.title if src else b.source, b.article, b.note,
                            src.status if src else None))
    return tuple(out)


def _compile_rule(c: Compiler, loc: Located, order: int,
                  categories: dict[str, list[tuple[m.Effective, CompiledCategory]]],
                  ) -> CompiledRule | None:
    rule: m.Rule = loc.obj
    c.check_basis(rule.basis, loc, "basis")
    node = c.condition(rule.when, loc, ("when",))
    if rule.category not in c.category_ids:
        near = [cid for cid in c.category_ids if rule.category in cid or cid in rule.category]
        hint = f"; did you mean {near[0]!r}?" if near else ""
        c.error("BR207", f"category {rule.category!r} is not defined{hint}", loc, "category")
        return None
    versions = categories.get(rule.category, [])
    if versions and not _covered(rule.effective, [e for e, _ in versions]):
        c.error("BR211", f"rule is in force on dates when category {rule.category!r} is not",
                loc, "effective" if rule.effective != m.ALWAYS else "category")
    if node is None:
        return None
    basis = rule.basis or (versions[-1][1].model.basis if versions else [])
    ref = RuleRef(rule.id, rule.priority, rule.category, _basis_refs(c, basis), rule.note)
    file, line, _ = loc.site()
    return CompiledRule(rule.id, rule.category, rule.priority, node, rule.effective, ref, order,
                        file, line, own_basis=bool(rule.basis))


def _covered(span: m.Effective, versions: list[m.Effective]) -> bool:
    """Whether the union of ``versions`` covers every day of ``span``."""
    day = span.from_ or dt.date.min
    end = span.until or dt.date.max
    while day < end:
        nxt = None
        for v in versions:
            if v.contains(day):
                nxt = v.until or dt.date.max
                break
        if nxt is None:
            return False
        day = nxt
    return True

