"""Case status and the morning list as text, table, JSON, JSON Lines and CSV.

Text from input (case ids, names, notes, document ids) is hostile on a terminal and in a
spreadsheet: :func:`clean` strips control and bidirectional-override characters before text
reaches a terminal, :func:`cell` keeps a CSV cell from becoming a formula, and messages mask
identity, mobile and bank-card numbers (:func:`bizroute.masking.mask_text`).
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, Any

from .status import STATE_ZH, CaseStatus, CommitmentStatus, DueItem, Span

FORMATS = ("text", "table", "json", "jsonl", "csv")

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: Any) -> str:
    """``text`` safe to print: control characters and bidi overrides removed, line breaks
    and tabs made spaces."""
    shown = "" if text is None else str(text)
    return _UNSAFE.sub("", shown.replace("\n", " ").replace("\r", " ").replace("\t", " "))


def cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a leading ``= + - @``, tab or CR gets a
    ``'`` in front (OWASP's advice); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _span(s: Span | None) -> str:
    return "" if s is None else s.text


def _when(moment: Any) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    text = clean(text)
    if _cells(text) > width:
        out = ""
        for ch in text:
            if _cells(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _cells(text))


def _state_text(c: CommitmentStatus) -> str:
    word = f"{STATE_ZH[c.state]} {c.state}"
    if c.state == "overdue" and c.overdue_by is not None:
        return f"{word} {c.overdue_by.text}"
    if c.state == "at_risk" and c.miss_by is not None:
        return f"{word} (预计超 {c.miss_by.text})"
    if c.state in ("running", "paused") and c.left is not None:
        return f"{word} (剩余 {c.left.text})"
    return word


# --- status


def render_status(s: CaseStatus) -> str:
    """A readable block: the case, its steps now, each commitment with why."""
    head = (f"案件 case {clean(s.case)}  {clean(s.category_name)} ({clean(s.category)})  "
            f"{STATE_ZH[s.state]} {s.state}")
    lines = [head, f"  受理 received {_when(s.received_at)}  时点 at {_when(s.at)}  流程 "
             f"workflow {clean(s.workflow_name)} ({s.workflow})  事件 events {s.events}"]
    if s.ended_at is not None:
        lines.append(f"  结束 ended {_when(s.ended_at)}")
    if s.pause is not None:
        awaiting = f", 待补资料 awaiting {', '.join(clean(d) for d in s.pause.awaiting)}" \
            if s.pause.awaiting else ""
        lines.append(f"  暂停计时 clock paused since {_when(s.pause.since)}: "
                     f"{clean(s.pause.reason_name)}{awaiting}")
    for label, steps in (("当前环节 current", s.current), ("下一环节 next", s.next)):
        if steps:
            lines.append(f"  {label}: " + "; ".join(
                f"{clean(x.name)} ({x.id}) [{clean(x.department.name)} {x.department.id}] "
                f"{STATE_ZH[x.state]}" + (f" 已超 late {x.late_by.text}" if x.late_by else "")
                for x in steps))
    if s.chase is not None:
        lines.append(f"  催办 chase: {clean(s.chase.who_name)} ({s.chase.who}): "
                     f"{clean(s.chase.reason)}")
    for c in s.commitments:
        label = "预计截止 expected deadline" if c.state == "pending" else "截止 deadline"
        deadline = f" {label} {_when(c.deadline)}" if c.deadline else ""
        limit = f" {c.limit}" if c.limit else ""
        same = f"  [同环节 same steps: {', '.join(c.same_steps)}]" if c.same_steps else ""
        lines.append(f"  承诺 {clean(c.name)} ({c.id}){limit}: {_state_text(c)}{deadline}{same}")
        for b in c.because:
            ref = f"  [#{b.event.seq}]" if b.event is not None and b.event.seq else ""
            lines.append(f"      · {clean(b.text)}{ref}")
    return "\n".join(lines) + "\n"


STATUS_COLUMNS = ("case", "category", "category_name", "workflow", "case_state", "at",
                  "commitment", "commitment_name", "limit", "state", "deadline", "left",
                  "overdue_by", "miss_by", "chase", "chase_step", "chase_reason", "current")


def status_rows(s: CaseStatus) -> Iterable[list[Any]]:
    current = ";".join(x.id for x in s.current)
    if not s.commitments:
        yield [s.case, s.category, s.category_name, s.workflow, s.state, s.at.isoformat(),
               "", "", "", "", "", "", "", "", s.chase.who if s.chase else "",
               s.chase.step if s.chase else "", s.chase.reason if s.chase else "", current]
    for c in s.commitments:
        yield [s.case, s.category, s.category_name, s.workflow, s.state, s.at.isoformat(),
               c.id, c.name, c.limit, c.state, c.deadline.isoformat() if c.deadline else "",
               _span(c.left), _span(c.overdue_by), _span(c.miss_by),
               c.chase.who if c.chase else "", c.chase.step if c.chase else "",
               c.chase.reason if c.chase else "", current]


_STATUS_TABLE = (("案件 case", 16), ("类别 category", 14), ("承诺 commitment", 32),
                 ("状态 state", 42), ("截止 deadline", 16), ("催办 chase", 16))
_DUE_TABLE = (("案件 case", 16), ("承诺 commitment", 32), ("状态 state", 42),
              ("截止 deadline", 16), ("催办 chase", 24), ("环节 step", 30))


def _table_line(cells: Sequence[str], columns: Sequence[tuple[str, int]]) -> str:
    return "  ".join(_fit(c, w) for c, (_, w) in zip(cells, columns, strict=True)).rstrip() + "\n"


def _table_head(columns: Sequence[tuple[str, int]]) -> str:
    return (_table_line([n for n, _ in columns], columns)
            + "  ".join("-" * w for _, w in columns) + "\n")


def write_statuses(statuses: Iterable[CaseStatus], fmt: str, out: IO[str], *,
                   single: bool = False) -> int:
    """Write statuses in ``fmt``; ``single``: JSON is one object, not an array. Returns how
    many were written."""
    n = 0
    if fmt == "json":
        items = [s.to_dict() for s in statuses]
        n = len(items)
        payload: Any = items[0] if single and items else items
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return n
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(STATUS_COLUMNS)
    elif fmt == "table":
        out.write(_table_head(_STATUS_TABLE))
    for s in statuses:
        n += 1
        if fmt == "text":
            out.write(render_status(s) + "\n")
        elif fmt == "jsonl":
            out.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
        elif writer is not None:
            for row in status_rows(s):
                writer.writerow([cell(v) for v in row])
        else:
            rows = s.commitments or ()
            if not rows:
                out.write(_table_line([s.case, s.category_name, "-", STATE_ZH[s.state], "",
                                       s.chase.who if s.chase else ""], _STATUS_TABLE))
            for c in rows:
                out.write(_table_line(
                    [s.case, s.category_name, c.id, _state_text(c), _when(c.deadline),
                     c.chase.who if c.chase else ""], _STATUS_TABLE))
    return n


# --- the morning list

DUE_COLUMNS = ("case", "category", "category_name", "received_at", "commitment",
               "commitment_name", "limit", "state", "deadline", "left", "overdue_by", "miss_by",
               "chase", "chase_name", "chase_step", "chase_step_name", "chase_since",
               "chase_reason")


def due_row(item: DueItem) -> list[Any]:
    c, ch = item.commitment, item.commitment.chase
    return [item.case, item.category, item.category_name, item.received_at.isoformat(), c.id,
            c.name, c.limit, c.state, c.deadline.isoformat() if c.deadline else "",
            _span(c.left), _span(c.overdue_by), _span(c.miss_by),
            ch.who if ch else "", ch.who_name if ch else "", ch.step if ch else "",
            ch.step_name if ch else "", ch.since.isoformat() if ch and ch.since else "",
            ch.reason if ch else ""]


def write_due(items: Sequence[DueItem], fmt: str, out: IO[str], *, header: str = "") -> None:
    if fmt == "json":
        out.write(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        for i in items:
            out.write(json.dumps(i.to_dict(), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(DUE_COLUMNS)
        for i in items:
            writer.writerow([cell(v) for v in due_row(i)])
    elif fmt == "table":
        out.write(_table_head(_DUE_TABLE))
        for i in items:
            c, ch = i.commitment, i.commitment.chase
            out.write(_table_line([i.case, c.id, _state_text(c), _when(c.deadline),
                                   f"{ch.who_name} {ch.who}" if ch else "",
                                   f"{ch.step_name} {ch.step}" if ch and ch.step else ""],
                                  _DUE_TABLE))
    else:
        if header:
            out.write(clean(header) + "\n")
        if not items:
            out.write("  (无 nothing due)\n")
        for i in items:
            c, ch = i.commitment, i.commitment.chase
            deadline = f" 截止 deadline {_when(c.deadline)}" if c.deadline else ""
            same = f" [同环节 same steps: {', '.join(c.same_steps)}]" if c.same_steps else ""
            out.write(f"  {clean(i.case)}  {clean(i.category_name)}  {clean(c.name)} ({c.id}):"
                      f" {_state_text(c)}{deadline}{same}\n")
            if ch is not None:
                out.write(f"      催办 chase {clean(ch.who_name)} ({ch.who}): "
                          f"{clean(ch.reason)}\n")


# --- results of track add / track event

RESULT_COLUMNS = ("position", "case", "outcome", "seq", "code", "message")
_RESULT_TABLE = (("位置 position", 22), ("案件 case", 18), ("结果 outcome", 12), ("#", 4),
                 ("说明 message", 60))
OUTCOME_ZH = {"opened": "已立案", "unchanged": "已存在", "recorded": "已记录",
              "duplicate": "重复", "error": "错误"}


def write_results(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    """One row per input record: ``position``, ``case``, ``outcome`` (opened, unchanged,
    recorded, duplicate, error), ``seq``, and ``code`` and ``message`` for an error."""
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    items: list[dict[str, Any]] = []
    if writer is not None:
        writer.writerow(RESULT_COLUMNS)
    elif fmt == "table":
        out.write(_table_head(_RESULT_TABLE))
    for row in rows:
        if fmt == "json":
            items.append(row)
        elif fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif writer is not None:
            writer.writerow([cell(row.get(k)) for k in RESULT_COLUMNS])
        elif fmt == "table":
            out.write(_table_line([row["position"], row.get("case") or "",
                                   OUTCOME_ZH[row["outcome"]], str(row.get("seq") or ""),
                                   row.get("message") or ""], _RESULT_TABLE))
        else:
            seq = f" #{row['seq']}" if row.get("seq") else ""
            what = (f"[{row['code']}] {row['message']}" if row["outcome"] == "error"
                    else f"{OUTCOME_ZH[row['outcome']]} {row['outcome']}{seq}")
            out.write(f"{clean(row['position'])}  {clean(row.get('case') or '-')}: "
                      f"{clean(what)}\n")
        out.flush()
    if fmt == "json":
        out.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")


# --- bizroute stats --db

#: The columns the tracking tables add to ``bizroute stats --format csv``.
TRACKING_CSV_COLUMNS = ("kept", "broken", "kept_rate", "broken_waiting_on", "completed",
                        "median", "longest", "waiting_now", "longest_waiting_now",
                        "deadline", "overdue_by", "chase")


def tracking_csv_rows(stats: Any) -> Iterable[dict[str, Any]]:
    """The tracking tables as rows of the stats CSV (``table`` says which)."""
    yield {"table": "tracked_cases", "key": "cases", "count": stats.cases}
    yield {"table": "tracked_cases", "key": "open", "count": stats.open_cases}
    for table, key, rows in (("kept_department", "department", stats.by_department),
                             ("kept_category", "category", stats.by_category),
                             ("kept_month", "month", stats.by_month)):
        for row in rows:
            yield {"table": table, "key": row[key], "name": row.get("name") or "",
                   "count": row["commitments"], "kept": row["kept"], "broken": row["broken"],
                   "kept_rate": row["kept_rate"],
                   "broken_waiting_on": row.get("broken_waiting_on")}
    for w in stats.waits:
        yield {"table": "step_wait", "key": f"{w['workflow']}/{w['step']}", "name": w["name"],
               "completed": w["completed"], "waiting_now": w["waiting_now"],
               "median": (w["median"] or {}).get("text"),
               "longest": (w["longest"] or {}).get("text"),
               "longest_waiting_now": (w["longest_waiting_now"] or {}).get("text"),
               "chase": w["department"]}
    for o in stats.overdue:
        c = o.commitment
        yield {"table": "overdue_now", "key": f"{o.case}/{c.id}", "name": c.name,
               "deadline": c.deadline.isoformat() if c.deadline else "",
               "overdue_by": _span(c.overdue_by), "chase": c.chase.who if c.chase else ""}


def render_tracking_tables(stats: Any, console: Any, *, top: int = 10) -> None:
    """The tracking tables for ``bizroute stats`` (rich; text from input is shown as text,
    never read as rich markup)."""
    from rich.table import Table
    from rich.text import Text

    def safe(value: Any) -> Text:
        return Text(clean(value))

    def table(title: str, *columns: str) -> Table:
        t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for i, column in enumerate(columns):
            t.add_column(column, justify="right" if i >= 2 else "left")
        return t

    def rate(row: dict[str, Any]) -> str:
        return "-" if row["kept_rate"] is None else f"{100 * row['kept_rate']:.1f}%"

    console.print(f"[bold]{stats.cases:,}[/] 个案件 cases tracked at "
                  f"{stats.at:%Y-%m-%d %H:%M}, {stats.open_cases:,} open")
    t = table("承诺按期率 commitments kept by department", "部门 department", "名称 name",
              "承诺 commitments", "按期 kept", "超期 broken", "按期率 rate",
              "卡在本部门 blamed")
    for row in stats.by_department:
        t.add_row(safe(row["department"]), safe(row["name"]), f"{row['commitments']:,}",
                  f"{row['kept']:,}", f"{row['broken']:,}", rate(row),
                  f"{row['broken_waiting_on']:,}")
    console.print(t)
    t = table("承诺按期率 by category", "类别 category", "名称 name", "承诺 commitments",
              "按期 kept", "超期 broken", "按期率 rate")
    for row in stats.by_category:
        t.add_row(safe(row["category"]), safe(row["name"]), f"{row['commitments']:,}",
                  f"{row['kept']:,}", f"{row['broken']:,}", rate(row))
    console.print(t)
    t = table("承诺按期率 by month (of the deadline)", "月份 month", "", "承诺 commitments",
              "按期 kept", "超期 broken", "按期率 rate")
    for row in stats.by_month:
        t.add_row(row["month"], "", f"{row['commitments']:,}", f"{row['kept']:,}",
                  f"{row['broken']:,}", rate(row))
    console.print(t)
    t = table("等待最久的环节 steps where cases wait longest", "环节 step", "部门 department",
              "完成 done", "中位 median", "最长 longest", "等待中 now", "其中最长 longest now")
    for w in stats.waits[:top]:
        t.add_row(safe(f"{w['name']} {w['workflow']}.{w['step']}"),
                  safe(w["department_name"]), f"{w['completed']:,}",
                  (w["median"] or {}).get("text", "-"), (w["longest"] or {}).get("text", "-"),
                  f"{w['waiting_now']:,}", (w["longest_waiting_now"] or {}).get("text", "-"))
    console.print(t)
    t = table(f"当前超期 overdue now ({len(stats.overdue):,})", "案件 case", "承诺 commitment",
              "截止 deadline", "超期 overdue by", "催办 chase")
    for o in stats.overdue[:top]:
        c = o.commitment
        t.add_row(safe(o.case), safe(c.name), _when(c.deadline), _span(c.overdue_by),
                  safe(f"{c.chase.who_name} ({c.chase.who})") if c.chase else "")
    console.print(t)
