"""Writers for decisions, one class per format, sharing one interface.

Streaming formats write each decision as it comes; ``json`` writes one array, still streamed.
``jsonl`` writes bytes (UTF-8) to a binary stream; the others write text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import IO, Any, ClassVar

import orjson

from .decision import DECISION_SCHEMA_VERSION, STATUSES, Decision
from .readers import Record


class DecisionWriter:
    """Base: ``begin``, ``write`` per decision, ``end``.

    ``stream`` is a text stream, or a binary one for a writer whose :attr:`binary` is true.
    """

    name: ClassVar[str] = ""
    binary: ClassVar[bool] = False

    def __init__(self, stream: IO[Any], *, explain: bool = False) -> None:
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
    """One line per decision: ``orjson.dumps`` of its payload (compact JSON, UTF-8, see
    :func:`json_line`), written as bytes to a binary stream."""

    name = "jsonl"
    binary = True

    def __init__(self, stream: IO[bytes], *, explain: bool = False) -> None:
        super().__init__(stream, explain=explain)
        self.encoder = FastEncoder()

    def write(self, record: Record | None, decision: Decision) -> None:
        self.stream.write(self.line(record, decision))

    def line(self, record: Record | None, decision: Decision) -> bytes:
        """The decision's line, with its line break: what :meth:`write` writes (the service
        answers with these bytes too)."""
        line = self.encoder.line(record, decision, self.explain)
        if line is None:
            line = json_line(self.payload(record, decision))
        return line


def json_line(payload: Any) -> bytes:
    """``orjson.dumps(payload)`` and a line break.

    For the rare payload orjson refuses (an integer beyond 64 bits, a string holding a lone
    surrogate, both of which the reader's :mod:`json` path accepts), the standard library's
    compact form; escaped to ASCII when it is not valid UTF-8, the only way to write a lone
    surrogate in JSON.
    """
    try:
        return orjson.dumps(payload, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode() + b"\n"
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


def _key_order() -> tuple[str, ...]:
    from .decision import PackRef

    return tuple(Decision(status="decided", pack=PackRef("p", "1", "d"),
                          as_of=dt.date(2000, 1, 1)).to_dict())


#: The keys of Decision.to_dict() that FastEncoder writes, in order (plan and error are added
#: after them when present).
FAST_KEYS = ("schema", "request_id", "status", "category", "rules", "candidates", "questions",
             "documents", "departments", "workflow", "explanation", "pack", "as_of",
             "received_at", "notices", "warnings")

#: What follows the request id up to the category's JSON, per status.
_STATUS = {s: b',"status":' + orjson.dumps(s) + b',"category":' for s in STATUSES}
_CACHE_LIMIT = 10_000  # the pack's parts are far fewer: no cache grows unbounded


class FastEncoder:
    """A decision's JSON Lines line, exactly as :func:`json_line` writes its payload, faster.

    The category, rule, document, department and pack parts of a decision are immutable
    objects of the pack: their JSON is made once and reused, so a line costs little more
    than its per-request parts. :meth:`line` returns ``None`` (use the general path) when
    :meth:`Decision.to_dict` no longer has the keys this encoder knows, or when orjson
    refuses a part.
    """

    def __init__(self) -> None:
        self.enabled = _key_order() == FAST_KEYS
        self._by_value: dict[Any, bytes] = {}  # hashable parts (rules, documents, pack)
        self._by_id: dict[int, tuple[Any, bytes]] = {}  # the others (a category holds a dict)
        self._segments: dict[tuple[int, int, int], tuple[Any, Any, Any, Any, bytes]] = {}
        self._days: dict[dt.date, tuple[Any, bytes]] = {}

    def _text(self, obj: Any) -> bytes:
        # the pack's own objects are found by identity, without hashing their contents
        hit = self._by_id.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        try:
            text = self._by_value.get(obj)
            hashable = True
        except TypeError:
            text, hashable = None, False
        if text is not None:
            return text
        text = orjson.dumps(obj.to_dict())
        if len(self._by_id) >= _CACHE_LIMIT:
            self._by_id.clear()
            self._by_value.clear()
        if hashable:
            self._by_value[obj] = text
        self._by_id[id(obj)] = (obj, text)  # (holding obj keeps its id from being reused)
        return text

    def _documents(self, d: Decision) -> bytes:
        """The documents, departments and workflow part. A decided request usually carries
        its category's own tuples (shared by every decision of that category), so the text
        is kept by their identity (the cache holds them: their ids cannot be reused)."""
        required, missing, departments = d.documents_required, d.documents_missing, d.departments
        key = (id(required), id(missing), id(departments))
        hit = self._segments.get(key)
        if (hit is not None and hit[0] is required and hit[1] is missing
                and hit[2] is departments and hit[3] == d.workflow):
            return hit[4]
        text = self._text
        segment = b"".join([
            b',"documents":{"required":[', b",".join([text(x) for x in required]),
            b'],"missing":[', b",".join([text(x) for x in missing]),
            b']},"departments":[', b",".join([text(x) for x in departments]),
            b'],"workflow":', orjson.dumps(d.workflow)])
        if len(self._segments) >= _CACHE_LIMIT:
            self._segments.clear()
        self._segments[key] = (required, missing, departments, d.workflow, segment)
        return segment

    def _pack_as_of(self, d: Decision) -> bytes:
        """The pack and as-of part: few combinations (one pack, the days of the requests)."""
        hit = self._days.get(d.as_of)
        if hit is not None and hit[0] is d.pack:
            return hit[1]
        if len(self._days) >= _CACHE_LIMIT:
            self._days.clear()
        text = b"".join([b',"pack":', self._text(d.pack), b',"as_of":',
                         orjson.dumps(d.as_of.isoformat())])
        self._days[d.as_of] = (d.pack, text)
        return text

    def line(self, record: Record | None, d: Decision, explain: bool) -> bytes | None:
        """The line (with its line break), or ``None``: use :func:`json_line`."""
        if not self.enabled:
            return None
        dumps = orjson.dumps
        text = self._text
        try:
            parts = [
                _HEAD, b"null" if d.request_id is None else dumps(d.request_id),
                _STATUS[d.status], b"null" if d.category is None else text(d.category),
                b',"rules":[', text(d.rules[0]) if len(d.rules) == 1
                else b",".join([text(r) for r in d.rules]),
                b'],"candidates":',
                dumps([c.to_dict() for c in d.candidates]) if d.candidates else b"[]",
                b',"questions":',
                dumps([q.to_dict() for q in d.questions]) if d.questions else b"[]",
                self._documents(d),
            ]
            if explain:
                parts += [b',"explanation":', dumps(d.explanation.to_dict())]
            parts += [
                self._pack_as_of(d), b',"received_at":', _time(d.received_at),
                b',"notices":', dumps(d.notices) if d.notices else b"[]",
                b',"warnings":',
                dumps([w.to_dict() for w in d.warnings]) if d.warnings else b"[]",
            ]
            if d.plan is not None:
                parts += [b',"plan":', dumps(d.plan.to_dict())]
            if d.error is not None:
                parts += [b',"error":', dumps(d.error)]
        except orjson.JSONEncodeError:
            return None
        parts.append(b"}\n" if record is None else
                     b',"record":{"index":%d,"line":%d}}\n' % (record.index, record.line))
        return b"".join(parts)


def _time(value: dt.datetime | dt.date | None) -> bytes:
    """JSON of ``value.isoformat()``. orjson writes a date, or a date-time without time zone,
    the same way, several times faster; an offset it may shorten (``+05:30:15``), and a
    subclass may have its own ``isoformat``."""
    if value is None:
        return b"null"
    if type(value) is dt.date or (type(value) is dt.datetime and value.tzinfo is None):
        return orjson.dumps(value)
    return b'"' + value.isoformat().encode() + b'"'


_HEAD = b'{"schema":' + orjson.dumps(DECISION_SCHEMA_VERSION) + b',"request_id":'


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
        basis = "; ".join(b.describe() for b in rule.basis) or "-"
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
    for warning in d.warnings:
        lines.append(f"    警告 warning: {warning.message} [{warning.code} {warning.field}]")
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


CSV_COLUMNS: tuple[str, ...] = (
    "record.index", "record.line", "request_id", "status", "category.id", "category.name",
    "category.group", "category.codes", "rules", "candidates", "questions",
    "documents.required", "documents.missing", "departments", "workflow", "as_of",
    "received_at", "plan.due", "plan.commitments_at_risk", "notices", "error.position",
    "error.message", "warnings",
)


class CsvWriter(DecisionWriter):
    """One row per decision, nested fields flattened to dotted columns (:data:`CSV_COLUMNS`);
    lists are joined with ``;`` (ids), codes as ``system=code``."""

    name = "csv"

    def begin(self) -> None:
        import csv

        self.out = csv.writer(self.stream, lineterminator="\n")
        self.out.writerow(CSV_COLUMNS)

    def write(self, record: Record | None, decision: Decision) -> None:
        self.out.writerow(flat_row(record, decision))


def flat_row(record: Record | None, d: Decision) -> list[Any]:
    """The :data:`CSV_COLUMNS` values of one decision."""
    c = d.category
    plan = d.plan
    due = at_risk = ""
    if plan is not None and hasattr(plan, "steps"):
        due = plan.due.isoformat() if plan.steps else ""
        at_risk = ";".join(x.id for x in plan.commitments if x.on_track is False)
    err = d.error or {}
    return [
        record.index if record else "", record.line if record else "", d.request_id or "",
        d.status, c.id if c else "", c.name if c else "", c.group if c else "",
        ";".join(f"{k}={v}" for k, v in c.codes.items()) if c else "",
        ";".join(r.id for r in d.rules), ";".join(x.category for x in d.candidates),
        ";".join(q.field for q in d.questions),
        ";".join(x.id for x in d.documents_required), ";".join(x.id for x in d.documents_missing),
        ";".join(x.id for x in d.departments), d.workflow or "", d.as_of.isoformat(),
        d.received_at.isoformat() if d.received_at else "", due, at_risk,
        " | ".join(d.notices), err.get("position") or "", err.get("message") or "",
        ";".join(w.code for w in d.warnings),
    ]


class TableWriter(DecisionWriter):
    """A readable fixed-width table, one line per decision, streamed (CJK characters count
    as two columns)."""

    name = "table"
    COLUMNS: ClassVar[tuple[tuple[str, int], ...]] = (
        ("#", 6), ("请求 id", 12), ("状态 status", 12), ("类别 category", 34),
        ("缺少资料 missing", 30), ("说明 ask / candidates / error", 48))

    def begin(self) -> None:
        self.stream.write(self._line([name for name, _ in self.COLUMNS]))
        self.stream.write("  ".join("-" * w for _, w in self.COLUMNS).rstrip() + "\n")

    def write(self, record: Record | None, decision: Decision) -> None:
        d = decision
        if d.error is not None:
            note = f"{d.error.get('position')}: {d.error.get('message')}"
        elif d.questions:
            note = "; ".join(f"{q.label} ({q.field})" for q in d.questions)
        elif d.candidates:
            note = "; ".join(f"{x.name} ({x.category})" for x in d.candidates)
        elif d.warnings:
            note = "警告 warning: " + "; ".join(dict.fromkeys(w.code for w in d.warnings))
        else:
            note = ""
        category = f"{d.category.name} ({d.category.id})" if d.category else ""
        cells = [str(record.index) if record else "", d.request_id or "",
                 _STATUS_ZH[d.status], category,
                 "、".join(x.name for x in d.documents_missing), note]
        self.stream.write(self._line(cells))

    def _line(self, cells: list[str]) -> str:
        parts = [_fit(cell, width) for cell, (_, width) in zip(cells, self.COLUMNS, strict=True)]
        return "  ".join(parts).rstrip() + "\n"


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut (with …) or padded to ``width`` display columns."""
    text = " ".join(text.split())
    if _cells(text) > width:
        out = ""
        for ch in text:
            if _cells(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _cells(text))


WRITERS: dict[str, type[DecisionWriter]] = {w.name: w for w in (TextWriter, JsonWriter,
                                                                 JsonlWriter, CsvWriter,
                                                                 TableWriter)}
