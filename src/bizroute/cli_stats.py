"""``bizroute stats DECISIONS``: statistics tables over a file of decisions.

The file is what ``bizroute classify --format jsonl`` (or ``--format json``) writes. Output as
readable tables (rich), JSON (docs/statistics.md), CSV (one row per table cell group:
``table,key,name,count,share,requests,steps,expected_days,at_risk,on_track,undetermined``) or
an HTML report with charts (:mod:`bizroute.pages.report`).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO, Any

import click

from .cli import EXIT_PROBLEMS, Failure, cli, encoding_option, open_output, rules_option
from .stats import PERIODS, STATS_SCHEMA_VERSION, Period, Stats, StatsBuilder

STATS_FORMATS = ("table", "json", "csv", "html")
_STATUS_COLOUR = {"decided": "green", "ambiguous": "yellow", "needs_info": "cyan",
                  "unmatched": "magenta", "error": "red"}
_STATUS_ZH = {"decided": "已判定", "ambiguous": "有歧义", "needs_info": "需补充信息",
              "unmatched": "无匹配", "error": "错误"}


@cli.command("stats")
@click.argument("decisions", metavar="[DECISIONS|-]", required=False)
@click.option("--by", "period", type=click.Choice(PERIODS), default="month", show_default=True,
              help="Trend by day, ISO week or month of received_at.")
@click.option("--format", "fmt", type=click.Choice(STATS_FORMATS), default="table",
              show_default=True)
@click.option("--top", type=click.IntRange(1), default=10, show_default=True,
              help="Rows of the questions and commitments tables in the table format.")
@click.option("--db", metavar="URL", default=None,
              help="Also (or only) the tables of a case database (bizroute track): "
              "commitments kept by department, category and month, the steps where cases "
              "wait longest, cases overdue now.")
@click.option("--at", metavar="TIME", default=None,
              help="With --db: the moment the case tables are as of (default: now).")
@rules_option
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write to FILE (atomically) instead of stdout.")
@encoding_option
def stats_cmd(decisions: str | None, period: str, fmt: str, top: int, db: str | None,
              at: str | None, rules: str | None, output: str | None,
              encoding: str | None) -> None:
    """Statistics over decisions written by `bizroute classify --format jsonl`, and over the
    cases of a tracking database (--db).

    统计：按业务类别与类别组、判定状态、最常需询问的问题、部门工作量、有超期风险的承诺、
    按日/周/月的受理趋势；加 --db 时另有各部门、类别、月份的承诺按期率，等待最久的环节，
    当前超期的案件。
    """
    if decisions is None and db is None:
        raise Failure("give DECISIONS (a file of decisions), --db URL (a case database), "
                      "or both")
    result = _decision_stats(decisions, period, encoding) if decisions is not None else None
    tracked = None
    if db is not None:
        from .tracking.cli import tracking_stats_of

        tracked = tracking_stats_of(db, at, rules)
    if fmt == "html" and result is None:
        raise Failure("the html report is of decisions: give DECISIONS (the tables of --db "
                      "come as table, json or csv)")
    with open_output(output) as stream:
        write_stats(result, fmt, stream, top=top, source=decisions or "", tracking=tracked)
    if result is not None:
        for position, message in result.unreadable[:10]:
            click.echo(f"  unreadable {position}: {message}", err=True)
        if result.unreadable:
            raise Failure(f"{len(result.unreadable)} line(s) were not decisions",
                          EXIT_PROBLEMS)


def _decision_stats(decisions: str, period: str, encoding: str | None) -> Stats:
    from .readers import ReadError, read_records

    builder = StatsBuilder(period)  # type: ignore[arg-type]
    try:
        for record in read_records(decisions, "auto" if decisions != "-" else "jsonl",
                                   encoding, stdin=sys.stdin.buffer if decisions == "-" else None):
            if record.error is not None:
                builder.add_unreadable(record.position, record.error)
            elif not isinstance(record.data, dict) or "status" not in record.data:
                builder.add_unreadable(record.position, "not a decision (no 'status')")
            else:
                builder.add(record.data)
    except ReadError as exc:
        raise Failure(str(exc)) from None
    return builder.result()


def write_stats(stats: Stats | None, fmt: str, stream: IO[str], *, top: int = 10,
                source: str = "", tracking: Any = None) -> None:
    """Write ``stats`` (and the ``tracking`` tables of a case database) as ``table``,
    ``json``, ``csv`` or ``html`` (the demand report with charts, one self-contained page:
    docs/statistics.md; of decisions only)."""
    if fmt == "html":
        from .pages.report import render_report

        if stats is None:
            raise Failure("the html report is of decisions: give DECISIONS (the tables of "
                          "--db come as table, json or csv)")
        stream.write(render_report(stats, source="" if source == "-" else Path(source).name))
    elif fmt == "json":
        data = stats.to_dict() if stats is not None else {"schema": STATS_SCHEMA_VERSION}
        if tracking is not None:
            data["tracking"] = tracking.to_dict()
        stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        write_csv(stats, stream, tracking)
    else:
        if stats is not None:
            render_tables(stats, stream, top=top)
        if tracking is not None:
            from rich.console import Console

            from .tracking.render import render_tracking_tables

            console = Console(file=stream, width=max(100, _width(stream)), highlight=False)
            render_tracking_tables(tracking, console, top=top)


CSV_COLUMNS = ("table", "key", "name", "count", "share", "requests", "steps", "expected_days",
               "at_risk", "on_track", "undetermined")


def write_csv(stats: Stats | None, stream: IO[str], tracking: Any = None) -> None:
    """All tables as one CSV, a ``table`` column saying which each row belongs to; the
    tracking tables add their columns."""
    columns: tuple[str, ...] = CSV_COLUMNS
    if tracking is not None:
        from .tracking.render import TRACKING_CSV_COLUMNS

        columns += TRACKING_CSV_COLUMNS
    out = csv.DictWriter(stream, columns, extrasaction="ignore", lineterminator="\n")
    out.writeheader()
    if stats is not None:
        _decision_rows(stats, out)
    if tracking is not None:
        from .tracking.render import cell, tracking_csv_rows

        for row in tracking_csv_rows(tracking):
            out.writerow({k: cell(v) for k, v in row.items()})


def _decision_rows(stats: Stats, out: csv.DictWriter[str]) -> None:
    data = stats.to_dict()
    out.writerow({"table": "records", "key": "records", "count": data["records"]})
    for row in data["by_status"]:
        out.writerow({"table": "status", "key": row["status"],
                      "name": _STATUS_ZH.get(row["status"], ""), **row})
    for row in data["by_category"]:
        out.writerow({"table": "category", "key": row["category"], **row})
    for row in data["by_group"]:
        out.writerow({"table": "group", "key": row["group"], **row})
    for row in data["questions"]:
        out.writerow({"table": "question", "key": row["field"], "name": row["label"],
                      "count": row["count"], "share": row["share_of_needs_info"]})
    for row in data["departments"]:
        out.writerow({"table": "department", "key": row["department"], **row})
    for row in data["commitments"]:
        out.writerow({"table": "commitment", "key": row["commitment"], **row})
    for row in data["trend"]["rows"]:
        out.writerow({"table": f"trend_{stats.period}", "key": row["period"],
                      "count": row["total"]})
        for status, n in row.items():
            if status not in ("period", "total"):
                out.writerow({"table": f"trend_{stats.period}_status",
                              "key": f"{row['period']}/{status}", "count": n})


def render_tables(stats: Stats, stream: IO[str], *, top: int = 10) -> None:
    """Readable tables (rich); colour only on a terminal and never with NO_COLOR set."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, width=max(100, _width(stream)), highlight=False)
    n = stats.records or 1

    def pct(count: int, total: int = n) -> str:
        return f"{100 * count / (total or 1):.1f}%"

    def table(title: str, *columns: str) -> Table:
        t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for i, column in enumerate(columns):
            t.add_column(column, justify="right" if i >= len(columns) - 2 and i else "left")
        return t

    console.print(f"[bold]{stats.records:,}[/] 条判定 decisions"
                  + (f", {len(stats.unreadable)} 行无法读取 unreadable" if stats.unreadable
                     else ""))
    t = table("判定状态 by status", "状态 status", "", "数量 count", "占比 share")
    for status, count in stats.by_status:
        colour = _STATUS_COLOUR.get(status, "default")
        t.add_row(f"[{colour}]{status}[/]", _STATUS_ZH.get(status, ""), f"{count:,}", pct(count))
    console.print(t)
    t = table("业务类别组 by group", "类别组 group", "名称 name", "数量 count", "占比 share")
    for gid, name, count in stats.by_group:
        t.add_row(gid, name, f"{count:,}", pct(count))
    console.print(t)
    t = table("业务类别 by category", "类别 category", "名称 name", "类别组 group",
              "数量 count", "占比 share")
    for cid, name, group, count in stats.by_category:
        t.add_row(cid, name, group, f"{count:,}", pct(count))
    console.print(t)
    if stats.questions:
        t = table(f"最常需询问 questions most often needed ({stats.needs_info:,} needs_info)",
                  "字段 field", "问题 label", "次数 count", "占需补充 share")
        for fname, label, count in stats.questions[:top]:
            t.add_row(fname, label, f"{count:,}", pct(count, stats.needs_info))
        console.print(t)
    if stats.departments:
        t = table(f"部门工作量 department workload ({stats.with_plan:,} plans)",
                  "部门 department", "名称 name", "请求 requests", "环节 steps",
                  "预计天数 expected days")
        for did, name, requests, steps, days in stats.departments:
            t.add_row(did, name, f"{requests:,}", f"{steps:,}", f"{days:,.1f}")
        console.print(t)
    elif not stats.with_plan:
        console.print("部门工作量 department workload: 判定不含流程计划 no plans in the "
                      "decisions (classify with --plan)")
    if stats.commitments:
        t = table("承诺时限风险 commitments at risk", "承诺 commitment", "名称 name",
                  "按期 on track", "未定 undetermined", "超期风险 at risk")
        for cid, name, at_risk, on_track, undetermined, examples in stats.commitments[:top]:
            shown = f"{at_risk:,}" + (f" ({', '.join(examples)})" if examples else "")
            t.add_row(cid, name, f"{on_track:,}", f"{undetermined:,}", shown)
        console.print(t)
    statuses = [s for s, _ in stats.by_status]
    t = table(f"受理趋势 trend by {stats.period}", "期间 period", *statuses, "合计 total")
    for key, counts in stats.trend:
        t.add_row(key, *(f"{counts.get(s, 0):,}" for s in statuses), f"{counts['total']:,}")
    if stats.undated:
        t.add_row("(无受理时间 undated)", *("" for _ in statuses), f"{stats.undated:,}")
    console.print(t)


def _width(stream: IO[str]) -> int:
    import shutil

    isatty = getattr(stream, "isatty", None)
    return shutil.get_terminal_size().columns if isatty and isatty() else 100


def stats_of(decisions: Any, period: Period = "month") -> Stats:
    """Statistics of an iterable of decisions (objects or their JSON form)."""
    return StatsBuilder(period).extend(decisions).result()
