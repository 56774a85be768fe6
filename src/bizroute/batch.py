"""Classify a stream of input records: one decision per record, errors in place, in order."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .decision import Decision
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
                     ) -> Iterator[tuple[Record, Decision]]:
    """Classify each record; unreadable or unfitting records give ``error`` decisions."""
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
                decision = pack.classify(record.data, as_of)
            except InputError as exc:
                rid = record.data.get("id")
                decision = pack.error_decision(
                    InputError(exc.reason, position=record.position, field=exc.field),
                    request_id=None if rid is None else str(rid), as_of=as_of)
        yield record, decision
