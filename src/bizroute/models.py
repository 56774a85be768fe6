"""The rule-pack format as pydantic models: what every key of a pack file may hold.

These models check the *shape* of each object (types, required keys, no unknown keys).
Cross-object references (a rule's category, a condition's field) are checked by
:mod:`bizroute.loader`, which knows the whole pack. ``bizroute schema`` prints the JSON
Schema generated from these models.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator
from pydantic_core import PydanticCustomError

FORMAT_VERSION = 1

Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Scalar = str | int | float | bool | dt.date


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Effective(_Strict):
    """When an object is in force: ``from`` inclusive, ``until`` exclusive; either may be open."""

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.until is None or day < self.until)

    def overlaps(self, other: Effective) -> bool:
        lo = max(self.from_ or dt.date.min, other.from_ or dt.date.min)
        hi = min(self.until or dt.date.max, other.until or dt.date.max)
        return lo < hi


ALWAYS = Effective()


class SettingRef(_Strict):
    """A number taken from the pack's ``settings`` (one place for thresholds such as 160 kW)."""

    setting: str


# strict: a quoted '160' in a pack is a mistake worth reporting, not a number
Number = Annotated[int, Strict()] | Annotated[float, Strict()] | SettingRef
Comparable = Number | Annotated[dt.date, Strict()]
OPERATORS = (
    "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between",
    "mentions", "matches", "exists", "contains",
)  # fmt: skip


class Condition(_Strict):
    """One of: ``all``/``any`` (lists), ``not`` (one condition), or ``field`` plus one operator."""

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    field: str | None = None
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    lt: Comparable | None = None
    lte: Comparable | None = None
    gt: Comparable | None = None
    gte: Comparable | None = None
    between: tuple[Comparable, Comparable] | None = None
    mentions: str | list[str] | None = None
    matches: str | None = None
    exists: bool | None = None
    contains: str | None = None
    negation: Literal["skip", "count"] | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> Condition:
        combinators = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        ops = [k for k in OPERATORS if getattr(self, k.replace("in", "in_") if k == "in" else k)
               is not None]
        if combinators:
            if len(combinators) > 1 or self.field is not None or ops:
                raise PydanticCustomError(
                    "bad_condition",
                    "a condition is exactly one of all / any / not / a field test; found {found}",
                    {"found": ", ".join(k.rstrip("_") for k in combinators + ops
                                        + (["field"] if self.field else []))},
                )
            if self.negation is not None:
                raise PydanticCustomError("bad_condition", "'negation' goes with 'mentions'")
            return self
        if self.field is None:
            raise PydanticCustomError(
                "bad_condition", "a condition needs 'all', 'any', 'not' or 'field'"
            )
        if len(ops) != 1:
            raise PydanticCustomError(
                "bad_condition",
                "a field test needs exactly one operator ({allowed}); found {found}",
                {"allowed": ", ".join(OPERATORS), "found": ", ".join(ops) or "none"},
            )
        if self.negation is not None and ops[0] != "mentions":
            raise PydanticCustomError("bad_condition", "'negation' goes with 'mentions' only")
        return self

    @property
    def operator(self) -> str:
        for op in OPERATORS:
            if getattr(self, "in_" if op == "in" else op) is not None:
                return op
        raise ValueError("not a field test")

    @property
    def operand(self) -> Any:
        return getattr(self, "in_" if self.operator == "in" else self.operator)


class FieldSpec(_Strict):
    """A request field rules may test, addressed by a dotted path such as ``customer.type``."""

    type: Literal["enum", "number", "text", "date", "datetime", "bool", "list"]
    label: str = Field(description="Chinese label, shown to clerks")
    label_en: str = Field(description="English label")
    values: dict[str, str] | list[str] | None = Field(
        default=None, description="enum and list: allowed values (id: Chinese label, or ids)"
    )
    values_from: Literal["documents"] | None = Field(
        default=None, description="list: take the allowed values from a catalogue"
    )
    unit: str | None = None
    absent: Literal["unknown", "false"] = Field(
        default="unknown",
        description="how a test on a missing value counts: unknown (ask) or false (optional field)",
    )
    question: str | None = Field(default=None, description="what to ask when the value is missing")
    description: str | None = None
    personal: Annotated[bool, Strict()] = Field(
        default=False,
        description="the value identifies a person (a name, a phone number, an address): "
        "masked wherever bizroute logs requests",
    )

    @model_validator(mode="after")
    def _values_fit_type(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise PydanticCustomError("invalid_value", "an enum field needs 'values'")
        if self.type == "list" and not (self.values or self.values_from):
            raise PydanticCustomError("invalid_value", "a list field needs 'values' or 'values_from'")
        if self.type not in ("enum", "list") and (self.values or self.values_from):
            raise PydanticCustomError("invalid_value", "only enum and list fields take values")
        return self

    def value_labels(self) -> dict[str, str]:
        if isinstance(self.values, dict):
            return dict(self.values)
        return {v: v for v in self.values or ()}


class TextSettings(_Strict):
    """How free text is matched."""

    negation_cues: list[str] = Field(
        default_factory=list,
        description="words that negate a term shortly after them (不是, 不要, 没有 ...)",
    )
    negation_window: int = Field(default=4, ge=0, le=20, description="characters a cue reaches")
    clause_breaks: list[str] = Field(
        default_factory=lambda: ["，", "。", "；", "！", "？", ",", ";", "!", "?", "但", "而是"],
        description="a negation does not reach past these",
    )
    traditional_to_simplified: bool = True


class CalendarSettings(_Strict):
    """Working-day calendar adjustments on top of the national calendar."""

    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)


class PackInfo(_Strict):
    id: Id
    name: str
    name_en: str | None = None
    version: str
    format: int = FORMAT_VERSION
    description: str | None = None
    fields: dict[str, FieldSpec]
    settings: dict[str, int | float] = Field(default_factory=dict)
    text: TextSettings = Field(default_factory=TextSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v


class Vocabulary(_Strict):
    id: Id
    name: str | None = None
    terms: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    notes: str | None = None


class Source(_Strict):
    """A regulation, standard or practice a basis may cite."""

    id: Id
    title: str
    issuer: str | None = None
    number: str | None = None
    year: int | None = None
    effective: Effective = ALWAYS
    url: str | None = None
    status: Literal["verified", "secondary", "practice", "unverified"] = "verified"


class Basis(_Strict):
    source: Id
    article: str | None = None
    note: str | None = None

    @field_validator("article", mode="before")
    @classmethod
    def _article_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


Alias = Annotated[str, Field(min_length=1, max_length=200)]


class Document(_Strict):
    id: Id
    name: str
    name_en: str | None = None
    #: other systems' codes or names for this document (``房产证``, ``property_certificate``):
    #: a request presenting one of them presents this document
    aliases: list[Alias] = Field(
        default_factory=list,
        description="codes or names other systems use for this document; matched after "
                    "normalisation (full-width, case, spaces, traditional characters)")
    notes: str | None = None


class Department(_Strict):
    id: Id
    name: str
    name_en: str | None = None
    front_office: bool = False
    notes: str | None = None


class Group(_Strict):
    id: Id
    name: str
    name_en: str | None = None


class DocumentRequirement(_Strict):
    id: Id
    when: Condition | None = None
    note: str | None = None


class Category(_Strict):
    id: Id
    name: str
    name_en: str
    group: Id
    codes: dict[str, str] = Field(default_factory=dict)
    basis: list[Basis] = Field(min_length=1)
    documents: list[DocumentRequirement | Id] = Field(default_factory=list)
    departments: list[Id] = Field(default_factory=list)
    workflow: Id | None = None
    effective: Effective = ALWAYS
    notes: str | None = None

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: str(c) if isinstance(c, int) else c for k, c in v.items()}
        return v

    def document_requirements(self) -> list[DocumentRequirement]:
        return [d if isinstance(d, DocumentRequirement) else DocumentRequirement(id=d)
                for d in self.documents]


class Rule(_Strict):
    id: Id
    category: Id
    priority: int = 0
    when: Condition
    basis: list[Basis] = Field(default_factory=list)
    note: str | None = None
    effective: Effective = ALWAYS


DURATION_UNITS = ("months", "working_days", "days", "hours", "minutes")


class Duration(_Strict):
    """A span of time: ``{working_days: 3}``, ``{days: 5}``, ``{hours: 24}``, ``{minutes: 45}``
    or ``{months: 1}`` (calendar months, as the 1996 rules count 供电方案 replies)."""

    # never negative: a step cannot end before it starts
    months: Annotated[int, Strict()] | None = Field(default=None, ge=0)
    working_days: float | None = Field(default=None, ge=0)
    days: float | None = Field(default=None, ge=0)
    hours: float | None = Field(default=None, ge=0)
    minutes: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        units = [u for u in DURATION_UNITS if getattr(self, u) is not None]
        if len(units) != 1:
            raise PydanticCustomError(
                "invalid_value",
                "a duration has exactly one of months, working_days, days, hours, minutes")
        return self


class Variant(_Strict):
    """A value that applies when a condition holds (the first that holds wins)."""

    when: Condition | None = None
    value: Duration


class Step(_Strict):
    id: Id
    name: str
    # optional in the schema so that a missing department is the workflow check BR305, with
    # the step's position, rather than a bare schema error
    department: Id | None = None
    duration: Duration | list[Variant] | None = None
    after: list[Id] = Field(default_factory=list)
    customer_facing: bool = False
    notes: str | None = None


class Commitment(_Strict):
    """A promised limit between two steps (from the start of ``from`` to the end of ``to``)."""

    id: Id
    name: str
    from_: Id = Field(alias="from")
    to: Id
    limit: Duration | list[Variant]
    basis: list[Basis] = Field(default_factory=list)
    effective: Effective = ALWAYS
    when: Condition | None = None
    notes: str | None = None


class CustomerNotice(_Strict):
    """Something the customer is told with the plan (告知事项): a term, a validity period.

    Shown in the plan of a request when in force on the as-of date and its ``when`` does not
    fail (a condition unknown for the request keeps it, as for conditional documents)."""

    id: Id
    text: str = Field(min_length=1, description="what to tell the customer, in Chinese")
    text_en: str | None = None
    when: Condition | None = None
    basis: list[Basis] = Field(default_factory=list)
    effective: Effective = ALWAYS
    notes: str | None = None


class Workflow(_Strict):
    id: Id
    name: str
    name_en: str | None = None
    steps: list[Step] = Field(min_length=1)
    commitments: list[Commitment] = Field(default_factory=list)
    customer_notices: list[CustomerNotice] = Field(default_factory=list)
    effective: Effective = ALWAYS
    notes: str | None = None


# --- example cases ---------------------------------------------------------------------------


class Expectation(_Strict):
    status: Literal["decided", "ambiguous", "needs_info", "unmatched"]
    category: Id | None = None
    candidates: list[Id] | None = None
    documents_required: list[Id] | None = None
    documents_missing: list[Id] | None = None
    departments: list[Id] | None = None
    questions: list[str] | None = None
    workflow: Id | None = None
    #: the plan's commitments (all of them), by id, each with its limit as the plan shows it
    #: (``15个工作日``, ``1个月``; null when the request does not decide it)
    commitments: dict[Id, str | None] | None = None
    #: the ids of the binding commitments (the earliest deadline of those on the same steps)
    binding: list[Id] | None = None
    customer_notices: list[Id] | None = None
    #: the codes of the decision's warnings, e.g. ``unknown_document_code``
    warnings: list[str] | None = None


class Case(_Strict):
    id: Id
    description: str | None = None
    request: dict[str, Any]
    as_of: dt.date | None = None
    expect: Expectation


#: Top-level sections of a pack file, with the model of their entries.
SECTIONS: dict[str, type[BaseModel]] = {
    "vocabularies": Vocabulary,
    "sources": Source,
    "documents": Document,
    "departments": Department,
    "groups": Group,
    "categories": Category,
    "rules": Rule,
    "workflows": Workflow,
}


class PackFile(_Strict):
    """One pack file: any of the sections below; ``pack`` appears in exactly one file."""

    pack: PackInfo | None = None
    vocabularies: list[Vocabulary] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    workflows: list[Workflow] = Field(default_factory=list)


class CaseFile(_Strict):
    cases: list[Case]
