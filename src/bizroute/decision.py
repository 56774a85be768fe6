"""What classification returns: a :class:`Decision` and its parts, with a stable JSON form.

The JSON field names are documented in docs/decisions.md and versioned by
``DECISION_SCHEMA_VERSION``; add fields freely, rename or remove them only with a new version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

DECISION_SCHEMA_VERSION = 1

_T = TypeVar("_T")

Status = Literal["decided", "ambiguous", "needs_info", "unmatched", "error"]
STATUSES: tuple[Status, ...] = ("decided", "ambiguous", "needs_info", "unmatched", "error")


@dataclass(frozen=True, slots=True)
class BasisRef:
    source: str
    title: str
    article: str | None = None
    note: str | None = None
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "article": self.article,
                "note": self.note, "status": self.status}

    def describe(self, *, status: bool = False) -> str:
        """``《供电营业规则》 第十九条``, with ``[secondary]`` (the source's status) if asked."""
        parts = [f"《{self.title}》"]
        if self.article:
            parts.append(str(self.article))
        if status and self.status:
            parts.append(f"[{self.status}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class CategoryRef:
    id: str
    name: str
    name_en: str
    group: str
    group_name: str
    codes: dict[str, str]
    basis: tuple[BasisRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "group": self.group,
                "group_name": self.group_name, "codes": dict(self.codes),
                "basis": [b.to_dict() for b in self.basis]}


@dataclass(frozen=True, slots=True)
class Named:
    """An id with its Chinese (and English) name: a document or a department."""

    id: str
    name: str
    name_en: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "name_en": self.name_en}


@dataclass(frozen=True, slots=True)
class RuleRef:
    id: str
    priority: int
    category: str
    basis: tuple[BasisRef, ...]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "priority": self.priority, "category": self.category,
                "basis": [b.to_dict() for b in self.basis], "note": self.note}


@dataclass(frozen=True, slots=True)
class Candidate:
    category: str
    name: str
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "name": self.name, "rules": list(self.rules)}


@dataclass(frozen=True, slots=True)
class Answer:
    """One possible answer to a question and where it would lead."""

    value: Any
    label: str
    status: Status
    category: str | None
    category_name: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": _jsonable(self.value), "label": self.label, "status": self.status,
                "category": self.category, "category_name": self.category_name}


@dataclass(frozen=True, slots=True)
class Question:
    """A missing field whose value could change the decision."""

    field: str
    label: str
    label_en: str
    ask: str
    rules: tuple[str, ...]
    answers: tuple[Answer, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "label_en": self.label_en,
                "ask": self.ask, "rules": list(self.rules),
                "answers": [a.to_dict() for a in self.answers]}


@dataclass(frozen=True, slots=True)
class Check:
    """One field test of a rule and how it came out."""

    path: str
    field: str
    label: str
    test: str
    value: Any
    result: bool | None
    matched: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "field": self.field, "label": self.label, "test": self.test,
                "value": _jsonable(self.value), "result": self.result, "matched": self.matched}


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    rule: str
    category: str
    result: bool | None
    checks: tuple[Check, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "result": self.result,
                "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True, slots=True)
class WhyNot:
    """Why a near alternative was not chosen: its closest rule and the first test that failed."""

    category: str
    name: str
    rule: str
    failed: Check | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "name": self.name, "rule": self.rule,
                "failed": self.failed.to_dict() if self.failed else None, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Explanation:
    because: tuple[RuleExplanation, ...] = ()
    why_not: tuple[WhyNot, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"because": [b.to_dict() for b in self.because],
                "why_not": [w.to_dict() for w in self.why_not]}


@dataclass(frozen=True, slots=True)
class DecisionWarning:
    """Something in the request the decision went past without failing (an unknown document
    code, ...): ``code`` is a stable snake_case id, ``field`` the dotted path it concerns, and
    ``message`` Chinese text that never quotes personal data."""

    code: str
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class PackRef:
    id: str
    version: str
    digest: str
    #: a pack that extends another (docs/overlays.md): every pack of its stack, the base
    #: first and this one last; ``digest`` is then the digest of the whole stack
    stack: tuple[PackRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "version": self.version, "digest": self.digest}
        if self.stack:
            out["stack"] = [{"id": p.id, "version": p.version, "digest": p.digest}
                            for p in self.stack]
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of classifying one request. See docs/decisions.md for every field."""

    status: Status
    pack: PackRef
    as_of: dt.date
    request_id: str | None = None
    category: CategoryRef | None = None
    rules: tuple[RuleRef, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    questions: tuple[Question, ...] = ()
    documents_required: tuple[Named, ...] = ()
    documents_missing: tuple[Named, ...] = ()
    departments: tuple[Named, ...] = ()
    workflow: str | None = None
    explanation: Explanation = field(default_factory=Explanation)
    plan: Any = None
    notices: tuple[str, ...] = ()
    error: dict[str, Any] | None = None
    received_at: dt.datetime | dt.date | None = None  # the request's, for statistics by time
    warnings: tuple[DecisionWarning, ...] = ()

    @property
    def category_id(self) -> str | None:
        return self.category.id if self.category else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": DECISION_SCHEMA_VERSION,
            "request_id": self.request_id,
            "status": self.status,
            "category": self.category.to_dict() if self.category else None,
            "rules": [r.to_dict() for r in self.rules],
            "candidates": [c.to_dict() for c in self.candidates],
            "questions": [q.to_dict() for q in self.questions],
            "documents": {
                "required": [d.to_dict() for d in self.documents_required],
                "missing": [d.to_dict() for d in self.documents_missing],
            },
            "departments": [d.to_dict() for d in self.departments],
            "workflow": self.workflow,
            "explanation": self.explanation.to_dict(),
            "pack": self.pack.to_dict(),
            "as_of": self.as_of.isoformat(),
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "notices": list(self.notices),
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.plan is not None:
            out["plan"] = self.plan.to_dict()
        if self.error is not None:
            out["error"] = self.error
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    return value


# --- fast construction -------------------------------------------------------------------


def _maker(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of ``cls`` (a frozen, slotted dataclass) taking every field positionally.

    The dataclass ``__init__`` of a frozen class sets each field through
    ``object.__setattr__``, which costs several times a plain attribute store; classification
    makes thousands of these objects a second. Here the fields are stored on an instance of a
    plain twin class with the same slots, and the instance's class is then switched to
    ``cls`` (CPython allows that between classes of identical layout). The result is an
    ordinary ``cls`` instance: equal to, hashed like and as frozen as one built by ``cls(...)``
    (tested).
    """
    names = tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    slots = cls.__slots__  # type: ignore[attr-defined]
    assert tuple(slots) == names, cls
    args = ", ".join(names)
    source = f"def __init__(self, {args}):\n" + "".join(f"    self.{n} = {n}\n" for n in names)
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # a generated __init__, as dataclasses itself does
    twin = type(f"_{cls.__name__}Fields", (), {"__slots__": slots,
                                                "__init__": namespace["__init__"]})

    def make(*values: Any) -> _T:
        obj: Any = twin(*values)
        obj.__class__ = cls
        return obj  # type: ignore[no-any-return]

    make.__doc__ = f"{cls.__name__}(...) with every field given positionally, built faster."
    return make


make_check = _maker(Check)
make_rule_explanation = _maker(RuleExplanation)
make_why_not = _maker(WhyNot)
make_explanation = _maker(Explanation)
make_answer = _maker(Answer)
make_decision = _maker(Decision)
