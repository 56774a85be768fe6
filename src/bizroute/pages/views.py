"""What the handbook's pages show, gathered from a loaded pack: one view object per page.

Everything is read through the pack's own objects: the declared models (categories and their
versions, rules, documents, departments, workflows and commitments), the workflow graphs of
:meth:`bizroute.Pack.workflow`, the analysis behind ``bizroute check`` for the categories a
category is easily confused with, and the pack's example cases, classified, for the worked
examples. Rule conditions are put into words by :mod:`bizroute.pages.describe`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import models as m
from ..calendar import describe as describe_duration
from ..masking import mask_request
from .describe import Clause, Glossary, describe, sentence
from .diagram import Bracket, workflow_svg

if TYPE_CHECKING:
    from ..analysis import Analysis, Neighbour
    from ..cases import CaseResult
    from ..decision import Decision
    from ..engine import Pack

STATUS_LABELS = {"decided": "已判定", "ambiguous": "有歧义", "needs_info": "需补充信息",
                 "unmatched": "无匹配", "error": "错误"}
SOURCE_STATUS = {"verified": "已核实", "secondary": "二手来源", "practice": "实务惯例",
                 "unverified": "待核实"}
#: Worked examples shown per category.
EXAMPLES_PER_CATEGORY = 4
#: Categories named under "commonly confused with", the closest first.
NEIGHBOURS_SHOWN = 8


# --- small views -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    name: str
    href: str
    name_en: str | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """When something is in force, in words, and whether it is on the handbook's date."""

    text: str
    in_force: bool
    start: dt.date | None = None


def period(effective: m.Effective, as_of: dt.date) -> Period:
    """``长期有效``, ``2024-06-01 起``, ``至 2024-05-31``, ``1996-10-08 至 2024-05-31`` (the last
    day shown is the day before ``until``, which is exclusive)."""
    start, until = effective.from_, effective.until
    last = until - dt.timedelta(days=1) if until is not None else None
    if start is None and last is None:
        text = "长期有效"
    elif last is None:
        text = f"{start} 起"
    elif start is None:
        text = f"至 {last}"
    else:
        text = f"{start} 至 {last}"
    return Period(text, effective.contains(as_of), start)


@dataclass(frozen=True, slots=True)
class BasisView:
    source: str
    title: str
    status: str
    status_label: str
    article: str | None = None
    note: str | None = None
    issuer: str | None = None
    number: str | None = None
    year: int | None = None
    url: str | None = None
    source_period: str = ""


@dataclass(frozen=True, slots=True)
class RuleView:
    id: str
    priority: int
    period: Period
    clause: Clause
    text: str  # the clause on one line (search, titles)
    note: str | None
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class DocumentNeed:
    document: Link
    note: str | None  # the category's note on this requirement
    notes: str | None  # the catalogue's: what counts as the document
    clause: Clause | None  # None: always required


@dataclass(frozen=True, slots=True)
class CommitmentView:
    id: str
    name: str
    from_step: str
    to_step: str
    from_name: str
    to_name: str
    limit: str  # "15个工作日", or the variants in words
    limits: tuple[tuple[str, str], ...]  # (when in words, or "", the limit) per variant
    when: str  # "" when it always applies
    basis: tuple[BasisView, ...]
    period: Period
    effective: m.Effective


@dataclass(frozen=True, slots=True)
class CommitmentPeriod:
    """The commitments of one workflow in force during one period."""

    period: Period
    commitments: tuple[CommitmentView, ...]


@dataclass(frozen=True, slots=True)
class CustomerNoticeView:
    """Something the customer is told with the plan (告知事项), as the workflow declares it."""

    id: str
    text: str
    text_en: str | None
    when: str  # "" when it always applies
    basis: tuple[BasisView, ...]
    period: Period


@dataclass(frozen=True, slots=True)
class StepView:
    id: str
    name: str
    department: Link
    duration: str
    after: tuple[str, ...]  # step names
    customer_facing: bool
    critical: bool
    notes: str | None


@dataclass(frozen=True, slots=True)
class WorkflowVersion:
    id: str
    name: str
    name_en: str | None
    href: str
    period: Period
    svg: str
    steps: tuple[StepView, ...]
    critical_path: tuple[str, ...]  # step names
    commitment_periods: tuple[CommitmentPeriod, ...]
    notes: str | None
    nodes: int  # steps drawn (the browser tests count them)
    model: m.Workflow
    brackets: tuple[Bracket, ...] = ()  # the commitments drawn, numbered from 1 in this order
    customer_notices: tuple[CustomerNoticeView, ...] = ()


@dataclass(frozen=True, slots=True)
class CategoryVersion:
    period: Period
    basis: tuple[BasisView, ...]
    differences: tuple[str, ...]  # what else differs from the version shown, in words


@dataclass(frozen=True, slots=True)
class ExampleView:
    case: str
    title: str
    words: str | None  # the customer's words
    fields: tuple[tuple[str, str], ...]  # (label, value) of the other request fields
    as_of: str
    status: str
    status_label: str
    category: Link | None
    candidates: tuple[Link, ...]
    documents_missing: tuple[str, ...]
    questions: tuple[tuple[str, str, tuple[str, ...]], ...]  # (label, ask, answers in words)
    passed: bool


@dataclass(frozen=True, slots=True)
class NeighbourView:
    category: Link
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: str
    name: str
    name_en: str
    href: str
    group: Link
    codes: tuple[tuple[str, str], ...]
    period: Period
    basis: tuple[BasisView, ...]
    versions: tuple[CategoryVersion, ...]  # the other versions
    rules: tuple[RuleView, ...]
    documents: tuple[DocumentNeed, ...]
    departments: tuple[Link, ...]
    workflow: WorkflowVersion | None
    examples: tuple[ExampleView, ...]
    neighbours: tuple[NeighbourView, ...]
    words_only: tuple[Link, ...]  # confused only when one text carries both words, not shown
    notes: str | None
    terms: tuple[str, ...]  # the customers' words its rules look for (search)


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    name: str
    name_en: str | None
    notes: str | None
    aliases: tuple[str, ...]  # other systems' codes or names for it
    used_by: tuple[tuple[Link, Clause | None, str | None], ...]  # (category, when, note)


@dataclass(frozen=True, slots=True)
class Duty:
    """One step a department does: where the work comes from and where it goes."""

    workflow: Link
    step: str
    duration: str
    customer_facing: bool
    comes_from: tuple[tuple[str, Link], ...]  # (step name, department) of other departments
    goes_to: tuple[tuple[str, Link], ...]


@dataclass(frozen=True, slots=True)
class DepartmentView:
    id: str
    name: str
    name_en: str | None
    front_office: bool
    notes: str | None
    categories: tuple[Link, ...]
    duties: tuple[Duty, ...]


# --- the builder ---------------------------------------------------------------------------------


def file_name(object_id: str) -> str:
    """A page name for an id: ids may hold ``:``, which some file systems refuse."""
    return object_id.replace(":", "--") + ".html"


class Views:
    """Builds the views of one pack on one date; the analysis and the cases are given."""

    def __init__(self, pack: Pack, as_of: dt.date, analysis: Analysis,
                 cases: Sequence[CaseResult]) -> None:
        self.pack = pack
        self.as_of = as_of
        self.analysis = analysis
        self.cases = cases
        entries = pack.source.entries
        self.document_models: dict[str, m.Document] = {d.obj.id: d.obj
                                                        for d in entries["documents"]}
        self.glossary = Glossary(pack.fields, pack.vocabularies, pack.info.settings,
                                 {k: d.name for k, d in self.document_models.items()})
        self.category_versions: dict[str, list[m.Category]] = defaultdict(list)
        for loc in entries["categories"]:
            self.category_versions[loc.obj.id].append(loc.obj)
        self.personal = frozenset(p for p, spec in pack.fields.items() if spec.personal)
        self._workflow_versions: dict[str, list[WorkflowVersion]] = {}
        self._category_links: dict[str, Link] = {}

    # --- pages

    def category(self, cid: str) -> CategoryView:
        cat = self.category_model(cid)
        assert cat is not None, cid
        others = []
        for version in sorted(self.category_versions[cid], key=_start, reverse=True):
            if version is cat:
                continue
            others.append(CategoryVersion(period(version.effective, self.as_of),
                                          self.basis(version.basis), _differences(cat, version)))
        neighbours, words_only = self.neighbours_of(cid)
        workflow = self.workflow_in_force(cat.workflow) if cat.workflow else None
        return CategoryView(
            cid, cat.name, cat.name_en, f"categories/{file_name(cid)}",
            self.group_link(cat.group, "../"), tuple(cat.codes.items()),
            period(cat.effective, self.as_of), self.basis(cat.basis), tuple(others),
            self.rules_of(cid), self.documents_of(cat),
            tuple(self.department_link(d) for d in cat.departments), workflow,
            self.examples_of(cid), neighbours, words_only, cat.notes, self.terms_of(cid))

    def document(self, did: str) -> DocumentView:
        doc = self.document_models[did]
        used = []
        for cid in self.pack.category_ids():
            cat = self.category_model(cid)
            if cat is None:
                continue
            for req in cat.document_requirements():
                if req.id == did:
                    used.append((self.category_link(cid, "../"),
                                 self.clause(req.when) if req.when is not None else None,
                                 req.note))
        return DocumentView(did, doc.name, doc.name_en, doc.notes, tuple(doc.aliases),
                            tuple(used))

    def department(self, did: str) -> DepartmentView:
        dep = self.pack.departments[did]
        categories = tuple(self.category_link(cid, "../") for cid in self.pack.category_ids()
                           if (cat := self.category_model(cid)) is not None
                           and did in cat.departments)
        work = []
        for wid in self.pack.workflows:
            version = self.workflow_in_force(wid)
            if version is None:
                continue
            wf = version.model
            by_id = {s.id: s for s in wf.steps}
            for step in wf.steps:
                if step.department != did:
                    continue
                came = tuple((by_id[a].name, self.department_link(by_id[a].department or ""))
                             for a in step.after
                             if by_id[a].department != did)
                goes = tuple((s.name, self.department_link(s.department or ""))
                             for s in wf.steps if step.id in s.after and s.department != did)
                duration = next((v.duration for v in version.steps if v.id == step.id), "")
                work.append(Duty(Link(wid, version.name, f"../{version.href}", version.name_en),
                                 step.name, duration, step.customer_facing, came, goes))
        return DepartmentView(did, dep.name, dep.name_en, dep.front_office, dep.notes,
                              categories, tuple(work))

    def workflow_users(self, wid: str) -> tuple[Link, ...]:
        return tuple(self.category_link(cid, "../") for cid in self.pack.category_ids()
                     if any(v.workflow == wid for v in self.category_versions[cid]))

    # --- links

    def category_link(self, cid: str, prefix: str = "") -> Link:
        cat = self.category_model(cid)
        if cat is None:
            return Link(cid, cid, "")
        return Link(cid, cat.name, f"{prefix}categories/{file_name(cid)}", cat.name_en)

    def category_model(self, cid: str) -> m.Category | None:
        """The version in force on the handbook's date, else the latest one."""
        versions = self.category_versions.get(cid)
        if not versions:
            return None
        return next((v for v in versions if v.effective.contains(self.as_of)),
                    max(versions, key=_start))

    def document_link(self, did: str, prefix: str = "../") -> Link:
        doc = self.document_models.get(did)
        name, name_en = (doc.name, doc.name_en) if doc else (did, None)
        return Link(did, name, f"{prefix}documents/{file_name(did)}", name_en)

    def department_link(self, did: str, prefix: str = "../") -> Link:
        dep = self.pack.departments.get(did)
        name, name_en = (dep.name, dep.name_en) if dep else (did, None)
        return Link(did, name, f"{prefix}departments/{file_name(did)}", name_en)

    def group_link(self, gid: str, prefix: str = "") -> Link:
        group = self.pack.groups.get(gid)
        return Link(gid, group.name if group else gid, f"{prefix}index.html#group-{gid}",
                    group.name_en if group else None)

    # --- basis

    def basis(self, items: Iterable[m.Basis]) -> tuple[BasisView, ...]:
        out = []
        for b in items:
            src = self.pack.sources.get(b.source)
            if src is None:
                out.append(BasisView(b.source, b.source, "unverified", SOURCE_STATUS["unverified"],
                                     b.article, b.note))
                continue
            out.append(BasisView(src.id, src.title, src.status, SOURCE_STATUS.get(src.status,
                                                                                 src.status),
                                 b.article, b.note, src.issuer, src.number, src.year,
                                 src.url if src.url and src.url.startswith(("https://", "http://"))
                                 else None,
                                 period(src.effective, self.as_of).text))
        return tuple(out)

    # --- conditions

    def clause(self, cond: m.Condition) -> Clause:
        return describe(cond, self.glossary)

    def rules_of(self, cid: str) -> tuple[RuleView, ...]:
        out = []
        for loc in self.pack.source.entries["rules"]:
            rule: m.Rule = loc.obj
            if rule.category != cid:
                continue
            clause = self.clause(rule.when)
            out.append(RuleView(rule.id, rule.priority, period(rule.effective, self.as_of),
                                clause, sentence(clause), rule.note, loc.file, loc.at()[0]))
        out.sort(key=lambda r: (not r.period.in_force, -r.priority, r.id))
        return tuple(out)

    def terms_of(self, cid: str) -> tuple[str, ...]:
        """The words its rules look for in the customer's text (vocabularies and term lists),
        not the ones they exclude."""
        found: dict[str, None] = {}
        for loc in self.pack.source.entries["rules"]:
            if loc.obj.category == cid:
                for operand in _mentioned(loc.obj.when, negated=False):
                    if isinstance(operand, str):
                        vocab = self.pack.vocabularies.get(operand)
                        found.update(dict.fromkeys(vocab.terms if vocab else ()))
                    else:
                        found.update(dict.fromkeys(operand))
        return tuple(found)

    # --- workflows

    def workflow_versions(self, wid: str) -> list[WorkflowVersion]:
        cached = self._workflow_versions.get(wid)
        if cached is None:
            cached = [self._workflow_version(loc.obj) for loc in self.pack.workflows.get(wid, ())]
            cached.sort(key=lambda w: (not w.period.in_force, -(w.period.start or dt.date.min)
                                       .toordinal()))
            self._workflow_versions[wid] = cached
        return cached

    def workflow_in_force(self, wid: str) -> WorkflowVersion | None:
        versions = self.workflow_versions(wid)
        return next((v for v in versions if v.period.in_force), versions[0] if versions else None)

    def _workflow_version(self, wf: m.Workflow) -> WorkflowVersion:
        day = _day_in(wf.effective, self.as_of)
        graph = self.pack.workflow(wf.id, day)
        names = {s.id: s.name for s in wf.steps}
        critical = set(graph.graph.get("critical_path", ()))
        steps = tuple(StepView(
            s.id, s.name, self.department_link(s.department or "", "../"),
            str(graph.nodes[s.id].get("duration") or ""), tuple(names[a] for a in s.after),
            s.customer_facing, s.id in critical, s.notes) for s in wf.steps)
        commitments = [self._commitment(c, names) for c in wf.commitments]
        drawn = [Bracket(c.name, c.from_step, c.to_step, c.limit) for c in commitments
                 if c.effective.contains(day)]
        svg = workflow_svg(graph, drawn, label=f"{wf.name}流程图")
        return WorkflowVersion(
            wf.id, wf.name, wf.name_en, f"workflows/{file_name(wf.id)}",
            period(wf.effective, self.as_of), svg, steps,
            tuple(names.get(n, n) for n in graph.graph.get("critical_path", ())),
            _by_period(commitments, wf.effective, self.as_of), wf.notes, len(steps), wf,
            tuple(b for b in drawn if b.from_step in names and b.to_step in names),
            tuple(CustomerNoticeView(n.id, n.text, n.text_en,
                                     sentence(self.clause(n.when)) if n.when is not None else "",
                                     self.basis(n.basis), period(n.effective, self.as_of))
                  for n in wf.customer_notices))

    def _commitment(self, c: m.Commitment, names: Mapping[str, str]) -> CommitmentView:
        if isinstance(c.limit, m.Duration):
            limits: tuple[tuple[str, str], ...] = (("", describe_duration(c.limit)),)
        else:
            limits = tuple((sentence(self.clause(v.when)) if v.when is not None else "",
                            describe_duration(v.value)) for v in c.limit)
        if len(limits) == 1 and not limits[0][0]:
            text = limits[0][1]
        else:
            text = "；".join(f"{when}时 {limit}" if when else f"其他情况 {limit}"
                            for when, limit in limits)
        when = sentence(self.clause(c.when)) if c.when is not None else ""
        return CommitmentView(c.id, c.name, c.from_, c.to, names.get(c.from_, c.from_),
                              names.get(c.to, c.to), text, limits, when, self.basis(c.basis),
                              period(c.effective, self.as_of), c.effective)

    # --- documents

    def documents_of(self, cat: m.Category) -> tuple[DocumentNeed, ...]:
        out = []
        for req in cat.document_requirements():
            doc = self.document_models.get(req.id)
            out.append(DocumentNeed(self.document_link(req.id), req.note,
                                    doc.notes if doc else None,
                                    self.clause(req.when) if req.when is not None else None))
        return tuple(out)

    # --- examples

    def examples_of(self, cid: str) -> tuple[ExampleView, ...]:
        decided = [r for r in self.cases if r.decision is not None
                   and r.decision.category_id == cid]
        others = [r for r in self.cases if r.decision is not None
                  and r.decision.category_id != cid
                  and any(c.category == cid for c in r.decision.candidates)]
        chosen = _spread(decided, EXAMPLES_PER_CATEGORY - min(1, len(others)))
        chosen += others[: EXAMPLES_PER_CATEGORY - len(chosen)]
        return tuple(self.example(r) for r in chosen)

    def example(self, result: CaseResult) -> ExampleView:
        case = result.case.case
        d: Decision = result.decision  # type: ignore[assignment]
        # an example may hold a name or a phone number: shown as the service logs it
        request = mask_request(case.request, self.personal)
        words = request.get("description")
        fields = tuple((label, value) for path, label, value in self.request_fields(request)
                       if path != "description")
        questions = tuple(
            (q.label, q.ask, tuple(f"{a.label}：{self._answer_text(a)}" for a in q.answers))
            for q in d.questions)
        return ExampleView(
            case.id, case.description or case.id, str(words) if words is not None else None,
            fields, (case.as_of or d.as_of).isoformat(), d.status,
            STATUS_LABELS.get(d.status, d.status),
            self.category_link(d.category.id, "../") if d.category else None,
            tuple(self.category_link(c.category, "../") for c in d.candidates),
            tuple(x.name for x in d.documents_missing), questions, result.passed)

    def _answer_text(self, answer: Any) -> str:
        if answer.status == "decided":
            return str(answer.category_name or answer.category)
        return STATUS_LABELS.get(str(answer.status), str(answer.status))

    def request_fields(self, request: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """(path, label, value in words) of a request's fields, in the pack's field order."""
        flat = dict(_flatten(request))
        out = []
        for path, spec in self.pack.fields.items():
            if path in flat:
                out.append((path, spec.label, self.value_text(spec, flat.pop(path))))
        out.extend((path, path, str(v)) for path, v in flat.items() if path != "id")
        return out

    def value_text(self, spec: m.FieldSpec, value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if spec.type == "list" and isinstance(value, list | tuple):
            names = self.glossary.documents if spec.values_from == "documents" else \
                spec.value_labels()
            return "、".join(names.get(str(v), str(v)) for v in value) or "（无）"
        if spec.type == "enum":
            return spec.value_labels().get(str(value), str(value))
        if spec.type == "number" and spec.unit:
            return f"{value} {spec.unit}"
        return str(value)

    # --- commonly confused with

    def neighbours_of(self, cid: str) -> tuple[tuple[NeighbourView, ...], tuple[Link, ...]]:
        """The categories a request for ``cid`` is easily confused with (the analysis of
        ``bizroute check``, each relation confirmed by classifying its witness), the closest
        first; and those that meet it only when one text carries the words of both."""
        found: dict[str, dict[str, list[tuple[Neighbour, bool]]]] = defaultdict(
            lambda: defaultdict(list))
        for n in self._neighbours().get(cid, ()):
            mine_first = n.first.rule.category == cid
            mine, other = (n.first, n.second) if mine_first else (n.second, n.first)
            if n.kind == "words" and mine.rule.priority != other.rule.priority:
                continue  # one text with the words of both: everything meets everything
            n = self._confirmed(n)
            if n.confirmed:
                found[other.rule.category][n.kind].append((n, mine_first))
        cat = self.category_model(cid)

        def order(oid: str) -> tuple[int, int, str]:
            kinds = found[oid]
            closeness = 0 if "apart" in kinds else 1 if "together" in kinds else 2
            other = self.category_model(oid)
            return closeness, int(other is None or cat is None or other.group != cat.group), oid

        ranked = sorted(found, key=order)
        close = [o for o in ranked if set(found[o]) - {"words"}]
        shown = close[:NEIGHBOURS_SHOWN]
        if len(shown) < 3:  # few closer ones: show the words-only ones too
            shown += [o for o in ranked if o not in close][: NEIGHBOURS_SHOWN - len(shown)]
        views = tuple(NeighbourView(self.category_link(o, "../"), self._reasons(cid, o, found[o]))
                      for o in shown)
        rest = tuple(self.category_link(o, "../") for o in ranked if o not in shown)
        return views, rest

    def _neighbours(self) -> dict[str, list[Neighbour]]:
        cached: dict[str, list[Neighbour]] | None = getattr(self, "_by_category", None)
        if cached is None:
            cached = defaultdict(list)
            for n in self.analysis.neighbours:
                cached[n.first.rule.category].append(n)
                cached[n.second.rule.category].append(n)
            self._by_category = cached
            self._confirmations: dict[int, Neighbour] = {}
        return cached

    def _confirmed(self, n: Neighbour) -> Neighbour:
        done = self._confirmations.get(id(n))
        if done is None:
            done = self._confirmations[id(n)] = self.analysis.confirm(n)
        return done

    def _reasons(self, cid: str, oid: str, kinds: Mapping[str, list[tuple[Neighbour, bool]]],
                 ) -> tuple[str, ...]:
        name = self.category_link(oid).name
        out: dict[str, None] = {}
        for n, mine_first in kinds.get("apart", ()):
            assert n.dimension is not None
            spec = self.pack.fields.get(n.dimension.field)
            label = spec.label if spec else n.dimension.field
            ours = _elements(n.labels(0 if mine_first else 1), spec)
            theirs = _elements(n.labels(1 if mine_first else 0), spec)
            out[f"只差「{label}」：本类别{ours}，「{name}」{theirs}"] = None
        together = kinds.get("together", ())
        if together:
            n, mine_first = together[0]
            winners = sorted({c for m_ in together for c in m_[0].outcomes[0]})
            names = "、".join(f"「{self.category_link(w).name}」" for w in winners)
            result = f"判为{names}" if len(winners) == 1 else f"视具体情形判为{names}之一"
            pair = f"规则 {n.first.rule.id} 与 {n.second.rule.id}"
            more = f"等 {len(together)} 组规则" if len(together) > 1 else ""
            out[f"同一请求可使两类规则同时成立（如{pair}{more}），此时{result}"] = None
        words = kinds.get("words", ())
        if words:
            n, _ = words[0]
            out[f"客户同一句话里同时说到两类说法时，规则 {n.first.rule.id} 与 "
                f"{n.second.rule.id} 同时成立，判定为「有歧义」，须向客户确认"] = None
        return tuple(out)


# --- helpers -------------------------------------------------------------------------------------


def _start(cat: m.Category) -> dt.date:
    return cat.effective.from_ or dt.date.min


def _day_in(effective: m.Effective, as_of: dt.date) -> dt.date:
    """``as_of`` when ``effective`` holds it, else a day it does hold."""
    if effective.contains(as_of):
        return as_of
    if effective.from_ is not None and (effective.until is None or effective.from_ > as_of):
        return effective.from_
    assert effective.until is not None
    return effective.until - dt.timedelta(days=1)


def _by_period(commitments: Sequence[CommitmentView], within: m.Effective, as_of: dt.date,
               ) -> tuple[CommitmentPeriod, ...]:
    """The commitments in force in each period between the days on which one starts or
    stops (within the workflow version's own period), the latest period first."""
    days = sorted({d for c in commitments for d in (c.effective.from_, c.effective.until)
                   if d is not None} | {d for d in (within.from_, within.until) if d is not None})
    bounds: list[dt.date | None] = [None, *days, None]
    spans: list[tuple[dt.date | None, dt.date | None, tuple[CommitmentView, ...]]] = []
    for lo, hi in itertools.pairwise(bounds):
        if not _span(lo, hi).overlaps(within):
            continue
        probe = lo if lo is not None else (hi - dt.timedelta(days=1) if hi else as_of)
        active = tuple(c for c in commitments if c.effective.contains(probe))
        if spans and spans[-1][2] == active:  # nothing changed on that day
            spans[-1] = (spans[-1][0], hi, active)
        else:
            spans.append((lo, hi, active))
    return tuple(CommitmentPeriod(period(_span(lo, hi), as_of), active)
                 for lo, hi, active in reversed(spans) if active)


def _span(lo: dt.date | None, hi: dt.date | None) -> m.Effective:
    return m.Effective.model_validate({"from": lo, "until": hi})


def _differences(shown: m.Category, other: m.Category) -> tuple[str, ...]:
    out = []
    if other.name != shown.name:
        out.append(f"名称为「{other.name}」")
    if other.documents != shown.documents:
        out.append("应收资料不同")
    if other.departments != shown.departments:
        out.append("涉及部门不同")
    if other.workflow != shown.workflow:
        out.append(f"流程为 {other.workflow or '（无）'}")
    if other.codes != shown.codes:
        out.append("业务代码不同")
    return tuple(out)


def _mentioned(cond: m.Condition, negated: bool) -> Iterable[str | list[str]]:
    if cond.not_ is not None:
        yield from _mentioned(cond.not_, not negated)
    for part in cond.all or cond.any or ():
        yield from _mentioned(part, negated)
    if cond.mentions is not None and not negated:
        yield cond.mentions


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def _spread(results: Sequence[CaseResult], k: int) -> list[CaseResult]:
    """Up to ``k`` results, preferring different deciding rules (varied examples)."""
    chosen: list[CaseResult] = []
    seen: set[tuple[str, ...]] = set()
    for r in results:
        key = tuple(x.id for x in r.decision.rules) if r.decision else ()
        if key not in seen and len(chosen) < k:
            seen.add(key)
            chosen.append(r)
    for r in results:
        if len(chosen) >= k:
            break
        if r not in chosen:
            chosen.append(r)
    return chosen


_INTERVAL_WORDS = (("(-inf, ", "]", "不超过 "), ("(-inf, ", ")", "小于 "),
                   ("[", ", +inf)", "不低于 "), ("(", ", +inf)", "超过 "))


def _elements(labels: Sequence[str], spec: m.FieldSpec | None) -> str:
    """The analysis's labels of a field's elements (``residential``, ``(-inf, 160]``,
    ``> 160``) in words: 「居民」, 不超过 160 kVA."""
    unit = f" {spec.unit}" if spec is not None and spec.unit else ""
    names = spec.value_labels() if spec is not None and spec.type == "enum" else {}
    out = []
    for label in labels:
        if label in ("true", "false") and spec is not None and spec.type == "bool":
            out.append("为「是」" if label == "true" else "为「否」")
        elif label in names:
            out.append(f"为「{names[label]}」")
        elif label.startswith(("< ", "> ", "= ")):
            word = {"<": "小于 ", ">": "超过 ", "=": "等于 "}[label[0]]
            out.append(f"{word}{label[2:]}{unit}")
        else:
            for head, tail, word in _INTERVAL_WORDS:
                if label.startswith(head) and label.endswith(tail):
                    out.append(f"{word}{label[len(head):-len(tail)]}{unit}")
                    break
            else:
                out.append(f"在 {label}{unit}")
    return "或".join(out) or "（不填）"
