"""Classify a stream of input records: one decision per record, errors in place, in order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .decision import Decision, make_decision
from .engine import Pack
from .errors import InputError
from .readers import Record


@dataclass(slots=True)
class Summary:
    """Counts for the end-of-run report."""

    records: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (position, message)

    def add(self, decision: Decision) -> None:
        self.records += 1
        self.by_status[decision.status] += 1
        if decision.category is not None:
            self.by_category[decision.category.id] += 1
        if decision.error is not None:
            self.errors.append((str(decision.error.get("position")),
                                str(decision.error.get("message"))))

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "by_status": dict(self.by_status),
                "by_category": dict(self.by_category),
                "errors": [{"position": p, "message": m} for p, m in self.errors]}


def classify_records(pack: Pack, records: Iterable[Record], as_of: dt.date | None = None,
                     *, explain: bool = True) -> Iterator[tuple[Record, Decision]]:
    """Classify each record; unreadable or unfitting records give ``error`` decisions.

    ``explain=False`` skips the explanations (for output that does not show them)."""
    for record in records:
        if record.error is not None:
            decision = pack.error_decision(InputError(record.error, position=record.position),
                                           as_of=as_of)
        elif not isinstance(record.data, dict):
            kind = type(record.data).__name__
            decision = pack.error_decision(
                InputError(f"a request must be a JSON object, got {kind}",
                           position=record.position), as_of=as_of)
        else:
            try:
                decision = pack.classify(record.data, as_of, explain=explain)
            except InputError as exc:
                rid = record.data.get("id")
                decision = pack.error_decision(
                    InputError(exc.reason, position=record.position, field=exc.field),
                    request_id=None if rid is None else str(rid), as_of=as_of)
        yield record, decision


_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))
_field_values = operator.attrgetter(*_FIELDS)
_PLAN = _FIELDS.index("plan")


def without_plan(decision: Decision) -> Decision:
    """``dataclasses.replace(decision, plan=None)``, without the frozen ``__init__`` (the batch
    command drops the plan of every decision unless it is asked for; 3.6 → 0.8 µs)."""
    values = list(_field_values(decision))
    values[_PLAN] = None
    return make_decision(*values)


class ProgressReporter:
    """A progress bar on stderr with records, rate and ETA (by bytes read of the input).

    Shown only when stderr is a terminal (rich's ``disable=not console.is_terminal``); rich
    leaves out colour when ``NO_COLOR`` is set. When it is not shown, counting costs nothing.
    """

    EVERY = 512  # records between redraws

    def __init__(self, total_bytes: int | None, *, console: Any = None,
                 label: str = "classify") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console or Console(stderr=True)
        self.enabled = bool(self.console.is_terminal)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[records]:>10,} records"), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, disable=not self.enabled, transient=True)
        self.task = self.progress.add_task(label, total=total_bytes, records=0, rate="")
        self.bytes = 0
        self.records = 0
        self._start = 0.0

    def __enter__(self) -> ProgressReporter:
        import time

        self._start = time.perf_counter()
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def read(self, n: int) -> None:
        """``n`` more bytes of input were read."""
        self.bytes += n

    def record(self) -> None:
        """One more record was written."""
        self.records += 1
        if self.enabled and self.records % self.EVERY == 0:
            self._redraw()

    def _redraw(self) -> None:
        import time

        elapsed = time.perf_counter() - self._start
        rate = f"{self.records / elapsed:,.0f}/s" if elapsed > 0 else ""
        self.progress.update(self.task, completed=self.bytes, records=self.records, rate=rate)
