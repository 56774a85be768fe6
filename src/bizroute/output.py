"""Writers for decisions, one class per format, sharing one interface.

Streaming formats write each decision as it comes; ``json`` writes one array, still streamed.
"""

from __future__ import annotations

import json
from typing import IO, Any, ClassVar

from .decision import Decision
from .readers import Record


class DecisionWriter:
    """Base: ``begin``, ``write`` per decision, ``end``."""

    name: ClassVar[str] = ""

    def __init__(self, stream: IO[str], *, explain: bool = False) -> None:
        self.stream = stream
        self.explain = explain

    def begin(self) -> None:
        pass

    def write(self, record: Record | None, decision: Decision) -> None:
        raise NotImplementedError

    def end(self) -> None:
        pass

    def payload(self, record: Record | None, decision: Decision) -> dict[str, Any]:
        data = decision.to_dict()
        if not self.explain:
            data.pop("explanation", None)
        if record is not None:
            data["record"] = {"index": record.index, "line": record.line}
        return data


class JsonlWriter(DecisionWriter):
    name = "jsonl"

    def write(self, record: Record | None, decision: Decision) -> None:
        self.stream.write(json.dumps(self.payload(record, decision), ensure_ascii=False))
        self.stream.write("\n")


class JsonWriter(DecisionWriter):
    name = "json"

    def begin(self) -> None:
        self.first = True
        self.stream.write("[")

    def write(self, record: Record | None, decision: Decision) -> None:
        self.stream.write("\n" if self.first else ",\n")
        self.first = False
        self.stream.write(json.dumps(self.payload(record, decision), ensure_ascii=False,
                                     indent=2))

    def end(self) -> None:
        self.stream.write("\n]\n")


class TextWriter(DecisionWriter):
    """A readable block per decision, Chinese labels with English ids."""

    name = "text"

    def write(self, record: Record | None, decision: Decision) -> None:
        self.stream.write(render_text(decision, record, explain=self.explain))
        self.stream.write("\n")


_STATUS_ZH = {"decided": "已判定", "ambiguous": "有歧义", "needs_info": "需补充信息",
              "unmatched": "无匹配", "error": "错误"}


def render_text(d: Decision, record: Record | None = None, *, explain: bool = False) -> str:
    head = f"[{record.index}] " if record is not None else ""
    rid = f"{d.request_id} " if d.request_id else ""
    lines = [f"{head}{rid}{_STATUS_ZH[d.status]} ({d.status})"]
    if d.error is not None:
        lines[0] += f": {d.error.get('position')}: {d.error.get('message')}"
        return "\n".join(lines) + "\n"
    if d.category is not None:
        c = d.category
        codes = " ".join(f"{k}={v}" for k, v in c.codes.items())
        lines[0] += f"  {c.name} ({c.id}) {codes}".rstrip()
        lines.append(f"    类别组 group: {c.group_name} ({c.group})")
    for rule in d.rules:
        basis = "; ".join(_basis_text(b) for b in rule.basis) or "-"
        lines.append(f"    规则 rule: {rule.id} (priority {rule.priority})  依据 basis: {basis}")
    if d.candidates:
        lines.append("    候选 candidates: " + "; ".join(
            f"{c.name} ({c.category}) ← {', '.join(c.rules)}" for c in d.candidates))
    for q in d.questions:
        lines.append(f"    需询问 ask: {q.ask}  [{q.label} {q.field}]")
        for a in q.answers:
            where = f"{a.category_name} ({a.category})" if a.category else _STATUS_ZH[a.status]
            lines.append(f"        {a.label} → {where}")
    if d.documents_required:
        lines.append("    应收资料 documents: " + "、".join(
            f"{x.name} ({x.id})" for x in d.documents_required))
    if d.documents_missing:
        lines.append("    一次性告知缺少 missing: " + "、".join(
            f"{x.name} ({x.id})" for x in d.documents_missing))
    if d.departments:
        lines.append("    涉及部门 departments: " + " → ".join(
            f"{x.name} ({x.id})" for x in d.departments))
    if d.workflow:
        lines.append(f"    流程 workflow: {d.workflow}")
    if d.plan is not None and hasattr(d.plan, "render_text"):
        lines.extend("    " + line for line in d.plan.render_text().splitlines())
    if explain:
        lines.extend(render_explanation(d))
    for notice in d.notices:
        lines.append(f"    注意 notice: {notice}")
    return "\n".join(lines) + "\n"


def render_explanation(d: Decision) -> list[str]:
    lines = []
    for because in d.explanation.because:
        verdict = {True: "成立", False: "不成立", None: "未知"}[because.result]
        lines.append(f"    理由 because: 规则 {because.rule} → {because.category} ({verdict})")
        for check in because.checks:
            mark = {True: "✓", False: "✗", None: "?"}[check.result]
            value = "缺失 missing" if check.value is None else _value_text(check.value)
            hit = f" 命中「{check.matched}」" if check.matched else ""
            lines.append(f"        {mark} {check.label}: {check.test}; 值 value: {value}{hit}")
    for why in d.explanation.why_not:
        lines.append(f"    为何不是 why not: {why.name} ({why.category}), 规则 {why.rule}: "
                     f"{why.reason}")
    return lines


def _value_text(value: Any) -> str:
    if isinstance(value, frozenset | set | list | tuple):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return str(value)


def _basis_text(b: Any) -> str:
    parts = [f"《{b.title}》"]
    if b.article:
        parts.append(str(b.article))
    return " ".join(parts)


WRITERS: dict[str, type[DecisionWriter]] = {w.name: w for w in (TextWriter, JsonWriter,
                                                                 JsonlWriter)}
