"""``bizroute track``: open cases, record events, status and the morning list.

Only argument parsing and wiring: the work is :class:`~bizroute.tracking.tracker.Tracker`'s.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..cli import (
    EXIT_PROBLEMS,
    Failure,
    cli,
    encoding_option,
    input_format_option,
    load,
    open_output,
    rules_option,
)
from ..errors import InputError, TrackingError
from ..masking import mask_text as mask
from .model import now, parse_time
from .render import FORMATS, clean, write_due, write_results, write_statuses
from .store import DB_ENV

db_option = click.option(
    "--db", "db", metavar="URL", envvar=DB_ENV, default=None,
    help=f"Case database: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST/DB "
    f"(default: ${DB_ENV}, else ~/.local/share/bizroute/cases.sqlite).")
at_option = click.option(
    "--at", "at", metavar="TIME", default=None,
    help="The moment to act or report as of: an ISO date-time, or a date for its 00:00 "
    "(China Standard Time; default: now).")
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="Output format.")
output_option = click.option(
    "-o", "--output", metavar="FILE", default=None,
    help="Write to FILE (atomically) instead of stdout.")


def _at(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value, "--at")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None


def _tracker(db: str | None, pack: Any = None) -> Any:
    """The tracker on ``db``, on the working-day calendar of ``pack`` (the national one
    without a pack: recording events needs no calendar)."""
    from .tracker import Tracker

    try:
        return Tracker.open(db, pack=pack)
    except TrackingError as exc:
        raise Failure(_message(exc)) from None


def _records(path: str, input_format: str, encoding: str | None) -> Iterator[Any]:
    from ..readers import read_records

    return read_records(path, input_format, encoding,  # type: ignore[arg-type]
                        stdin=sys.stdin.buffer if path == "-" else None)


def _message(exc: TrackingError) -> str:
    """A refusal for stderr: no control characters, no identity or phone numbers."""
    return clean(mask(str(exc)))


def _error_row(position: str, exc: TrackingError) -> dict[str, Any]:
    return {"position": position, "case": mask(exc.case) if exc.case else None,
            "outcome": "error", "seq": None, "code": exc.code, "message": mask(exc.reason)}


def _summary(kind: str, counts: dict[str, int]) -> None:
    total = sum(counts.values())
    shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    click.echo(f"{total} {kind}(s): {shown or 'none'}", err=True)


@click.group("track")
def track() -> None:
    """Follow cases to the end: events in; commitments kept, at risk or overdue out.

    案件跟踪：记录各环节事件，判断承诺时限按期、有风险或超期，以及应催办的部门。
    """


@track.command("add")
@click.argument("decisions", metavar="DECISIONS|-")
@db_option
@at_option
@rules_option
@format_option
@input_format_option
@encoding_option
@output_option
def add_cmd(decisions: str, db: str | None, at: str | None, rules: str | None, fmt: str,
            input_format: str, encoding: str | None, output: str | None) -> None:
    """Open a case for each decided request in DECISIONS.

    DECISIONS is what `bizroute classify --plan --format jsonl` writes; a record that is a
    request, not a decision, is classified with the pack first. Opening the same decision
    again changes nothing.
    """
    from ..readers import ReadError

    moment = _at(at)
    pack = load(rules)
    tracker = _tracker(db, pack)
    counts = {"opened": 0, "unchanged": 0, "error": 0}

    def results() -> Iterator[dict[str, Any]]:
        for record in _records(decisions, input_format, encoding):
            position = record.position
            try:
                if record.error is not None:
                    raise TrackingError("unreadable", record.error)
                data = record.data
                if isinstance(data, dict) and "status" not in data:
                    data = pack.classify(data)  # a request: classified here
                case = _opened_case(tracker, data, moment)
                counts[case["outcome"]] += 1
                yield {"position": position, **case, "seq": None, "code": None,
                       "message": None}
            except TrackingError as exc:
                counts["error"] += 1
                yield _error_row(position, exc)
            except InputError as exc:  # a request that does not fit the pack's fields
                counts["error"] += 1
                yield _error_row(position, TrackingError("bad-request", exc.reason))

    try:
        with tracker, open_output(output) as stream:
            write_results(results(), fmt, stream)
    except ReadError as exc:
        raise Failure(str(exc)) from None
    _summary("record", counts)
    if counts["error"]:
        raise Failure("", EXIT_PROBLEMS)


def _opened_case(tracker: Any, data: Any, moment: dt.datetime | None) -> dict[str, Any]:
    from .model import Case

    case = Case.from_decision(data)
    limit = moment or now()
    if case.received_at > limit:
        raise TrackingError("in-the-future", f"case {case.id!r} was received "
                            f"{case.received_at.isoformat()}, later than now "
                            f"({limit.isoformat()})", case=case.id)
    opened = tracker.open_case(data)
    return {"case": opened.case, "outcome": opened.outcome}


@track.command("event")
@click.argument("events", metavar="EVENTS|-")
@db_option
@at_option
@format_option
@input_format_option
@encoding_option
@output_option
def event_cmd(events: str, db: str | None, at: str | None, fmt: str, input_format: str,
              encoding: str | None, output: str | None) -> None:
    """Record the events in EVENTS (JSON Lines; also JSON, YAML, CSV), each checked against
    its case's plan and the events already recorded.

    An event that does not fit is reported with its position and not recorded; the others
    are. Sending the same event again records nothing (see docs/tracking.md for the format).
    """
    from ..readers import ReadError

    moment = _at(at)
    tracker = _tracker(db)
    counts = {"recorded": 0, "duplicate": 0, "error": 0}

    def results() -> Iterator[dict[str, Any]]:
        for record in _records(events, input_format, encoding):
            try:
                if record.error is not None:
                    raise TrackingError("unreadable", record.error)
                done = tracker.record(record.data, now=moment)
                counts[done.outcome] += 1
                yield {"position": record.position, "case": done.case,
                       "outcome": done.outcome, "seq": done.seq, "code": None,
                       "message": None}
            except TrackingError as exc:
                counts["error"] += 1
                yield _error_row(record.position, exc)

    try:
        with tracker, open_output(output) as stream:
            write_results(results(), fmt, stream)
    except ReadError as exc:
        raise Failure(str(exc)) from None
    _summary("event", counts)
    if counts["error"]:
        raise Failure("", EXIT_PROBLEMS)


@track.command("status")
@click.argument("case", metavar="[CASE]", required=False)
@db_option
@at_option
@rules_option
@format_option
@output_option
def status_cmd(case: str | None, db: str | None, at: str | None, rules: str | None,
               fmt: str, output: str | None) -> None:
    """Where CASE stands (without CASE: every case open at --at): current and next steps,
    each commitment kept, running, at risk, overdue or paused, whom to chase and why."""
    moment = _at(at)
    tracker = _tracker(db, load(rules))
    with tracker:
        try:
            statuses = [tracker.status(case, moment)] if case else tracker.statuses(moment)
            with open_output(output) as stream:
                written = write_statuses(statuses, fmt, stream, single=case is not None)
        except TrackingError as exc:
            raise Failure(_message(exc)) from None
    if not case and not written:
        click.echo("no open cases", err=True)


@track.command("due")
@click.option("--within", default="1d", show_default=True, metavar="SPAN",
              help="How far ahead: 1d, 12h, 30m (wall clock) or 2wd (working days).")
@click.option("--department", metavar="ID", default=None,
              help="Only what waits on this department (its id, e.g. planning).")
@db_option
@at_option
@rules_option
@format_option
@output_option
def due_cmd(within: str, department: str | None, db: str | None, at: str | None,
            rules: str | None, fmt: str, output: str | None) -> None:
    """The morning list: commitments overdue, at risk, or due within SPAN, most urgent
    first, each with the department to chase and why."""
    moment = _at(at)
    tracker = _tracker(db, load(rules))
    with tracker:
        try:
            items = tracker.due(moment, within=within, department=department)
        except TrackingError as exc:
            raise Failure(_message(exc)) from None
        shown_at = (moment or now()).strftime("%Y-%m-%d %H:%M")
        header = (f"待办 due at {shown_at} within {within}"
                  + (f", department {department}" if department else "")
                  + f": {len(items)}")
        with open_output(output) as stream:
            write_due(items, fmt, stream, header=header)


cli.add_command(track)


def tracking_stats_of(db: str, at: str | None, rules: str | None) -> Any:
    """The tracking tables of ``bizroute stats --db`` (the command's own options)."""
    from .stats import tracking_stats

    moment = _at(at) or now()
    tracker = _tracker(db, load(rules))
    with tracker:
        return tracking_stats(tracker.statuses(moment, open_only=False), moment)
