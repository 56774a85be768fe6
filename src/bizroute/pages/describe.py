"""Rule conditions in plain Chinese (条件说明), for pages people read.

One walk over the *declared* conditions (:class:`bizroute.models.Condition`, as the pack's
files write them, before compilation) turns a condition into a tree of :class:`Clause`:

* ``not`` is pushed down to the field tests (De Morgan's laws hold in three-valued logic too),
  so every test reads as a positive or a negative phrase: 「客户类型为「居民」」,
  「客户诉求没有提到「申请校验用语」」;
* an ``all`` inside an ``all`` (an ``any`` inside an ``any``) is merged into its parent, and a
  group of one is its only part;
* a test names the field by its Chinese label, a value by its label (「居民」, 「是」), a number
  with its unit, a number taken from the settings with the setting's name, a vocabulary by its
  name with a few of its terms.

The module depends on :mod:`bizroute.models` and a :class:`Glossary` only, so that it can follow
any change to how conditions are compiled or evaluated without being touched.

>>> from bizroute import models as m
>>> g = Glossary(fields={"customer.type": m.FieldSpec(
...     type="enum", label="客户类型", label_en="Customer type",
...     values={"residential": "居民", "non_residential": "非居民"})})
>>> sentence(describe(m.Condition.model_validate(
...     {"not": {"field": "customer.type", "eq": "residential"}}), g))
'客户类型不为「居民」'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import models as m

#: How many terms of a vocabulary a phrase quotes.
SAMPLE_TERMS = 3


@dataclass(frozen=True, slots=True)
class Glossary:
    """What the describer needs from a pack: fields, vocabularies, settings, document names."""

    fields: Mapping[str, m.FieldSpec]
    vocabularies: Mapping[str, m.Vocabulary] = field(default_factory=dict)
    settings: Mapping[str, int | float] = field(default_factory=dict)
    documents: Mapping[str, str] = field(default_factory=dict)  # id → name (values_from)


@dataclass(frozen=True, slots=True)
class Clause:
    """A described condition: a field test's phrase, or a group of clauses.

    ``kind`` is ``test``, ``all`` (every part holds) or ``any`` (at least one part holds);
    ``text`` is the phrase, or the group's heading. ``detail`` is a test's fine print (the
    pattern of ``matches``, every term of a vocabulary); ``field`` the tested field's path.
    """

    kind: Literal["test", "all", "any"]
    text: str
    parts: tuple[Clause, ...] = ()
    detail: str = ""
    field: str = ""
    op: str = ""  # a test's operator after negation; ``given`` / ``missing`` for exists


ALL_HEADING = "同时满足以下各项"
ANY_HEADING = "满足以下任一项"


def describe(condition: m.Condition, glossary: Glossary) -> Clause:
    """``condition`` as a tree of clauses in plain Chinese."""
    return _walk(condition, glossary, negated=False)


def sentence(clause: Clause) -> str:
    """A clause tree on one line: parts of ``all`` joined by 「，且」, of ``any`` by 「，或」,
    nested groups in parentheses."""
    if clause.kind == "test":
        return clause.text
    joiner = "，且" if clause.kind == "all" else "，或"
    return joiner.join(f"（{sentence(p)}）" if p.kind != "test" else p.text for p in clause.parts)


def _walk(cond: m.Condition, g: Glossary, negated: bool) -> Clause:
    if cond.not_ is not None:
        return _walk(cond.not_, g, not negated)
    items = cond.all if cond.all is not None else cond.any
    if items is not None:
        kind: Literal["all", "any"] = "all" if cond.all is not None else "any"
        if negated:  # not (a and b) = (not a) or (not b), and the other way round
            kind = "any" if kind == "all" else "all"
        parts: list[Clause] = []
        for item in items:
            part = _walk(item, g, negated)
            parts.extend(part.parts if part.kind == kind else (part,))
        if kind == "all":  # "已填写容量" goes without saying next to "容量不超过 160 kVA"
            tested = {p.field for p in parts if p.kind == "test" and p.op not in _EXISTS}
            parts = [p for p in parts if not (p.op == "given" and p.field in tested)]
        if len(parts) == 1:
            return parts[0]
        return Clause(kind, ALL_HEADING if kind == "all" else ANY_HEADING, tuple(parts))
    return _test(cond, g, negated)


_EXISTS = ("given", "missing")


def _test(cond: m.Condition, g: Glossary, negated: bool) -> Clause:
    path = cond.field or ""
    spec = g.fields.get(path)
    label = spec.label if spec is not None else path
    op, operand = cond.operator, cond.operand
    shown_op = op
    detail = ""

    def value(v: Any) -> str:
        return _value(v, spec, g)

    if op in ("eq", "ne"):
        positive = (op == "eq") != negated
        shown_op = "eq" if positive else "ne"
        text = f"{label}{'为' if positive else '不为'}{value(operand)}"
    elif op in ("in", "not_in"):
        positive = (op == "in") != negated
        shown_op = "in" if positive else "not_in"
        shown = "、".join(value(v) for v in operand)
        if len(operand) == 1:
            text = f"{label}{'为' if positive else '不为'}{shown}"
        else:
            text = f"{label}为{shown}之一" if positive else f"{label}不是{shown}中的任何一项"
    elif op in ("lt", "lte", "gt", "gte"):
        dated = spec is not None and spec.type in ("date", "datetime")
        if negated:
            op = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}[op]
        shown_op = op
        words = (_DATE_COMPARISON if dated else _COMPARISON)[op]
        text = f"{label}{words} {value(operand)}"
    elif op == "between":
        lo, hi = operand
        text = f"{label}{'不' if negated else ''}在 {value(lo)}（含）至 {value(hi)}（不含）之间"
    elif op == "mentions":
        what, detail = _mentions(operand, g)
        text = f"{label}{'没有提到' if negated else '提到'}{what}"
        if cond.negation == "count":
            text += "（否定说法也算）"
    elif op == "matches":
        text = f"{label}的文字{'不' if negated else ''}符合规则"
        detail = str(operand)
    elif op == "exists":
        given = bool(operand) != negated
        shown_op = "given" if given else "missing"
        text = f"{'已' if given else '未'}填写{label}"
    else:  # contains
        text = f"{label}{'不包含' if negated else '包含'}{value(operand)}"
    if negated and shown_op in ("between", "mentions", "matches", "contains"):
        shown_op = "not " + shown_op
    return Clause("test", text, detail=detail, field=path, op=shown_op)


_COMPARISON = {"lt": "小于", "lte": "不超过", "gt": "超过", "gte": "不低于"}
_DATE_COMPARISON = {"lt": "早于", "lte": "不晚于", "gt": "晚于", "gte": "不早于"}


def _value(v: Any, spec: m.FieldSpec | None, g: Glossary) -> str:
    if isinstance(v, m.SettingRef):
        amount = g.settings.get(v.setting)
        unit = f" {spec.unit}" if spec is not None and spec.unit else ""
        if amount is None:
            return f"设置 {v.setting} 的值{unit.strip()}"
        return f"{_number(amount)}{unit}（设置 {v.setting}）"
    if isinstance(v, bool):
        return "「是」" if v else "「否」"
    if isinstance(v, int | float):
        unit = f" {spec.unit}" if spec is not None and spec.unit else ""
        return f"{_number(v)}{unit}"
    if isinstance(v, dt.date):
        return v.isoformat()
    text = str(v)
    if spec is not None:
        if spec.values_from == "documents":
            text = g.documents.get(text, text)
        else:
            text = spec.value_labels().get(text, text)
    return f"「{text}」"


def _number(x: int | float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _mentions(operand: str | list[str], g: Glossary) -> tuple[str, str]:
    """What a ``mentions`` test looks for, and every term (the fine print)."""
    if isinstance(operand, str):
        vocab = g.vocabularies.get(operand)
        if vocab is None:
            return f"「{operand}」", ""
        sample = "、".join(vocab.terms[:SAMPLE_TERMS])
        more = "等" if len(vocab.terms) > SAMPLE_TERMS else ""
        return (f"「{vocab.name or vocab.id}」（如{sample}{more}）",
                "、".join(vocab.terms))
    quoted = "、".join(f"「{t}」" for t in operand)
    return (quoted if len(operand) == 1 else f"{quoted}之一"), ""
