"""Statistics over decisions: what customers ask for, and how that changes (统计分析).

:class:`StatsBuilder` takes decisions one at a time, as :class:`~bizroute.decision.Decision`
objects or as their JSON form (the lines ``bizroute classify --format jsonl`` writes), and
keeps only counters, so any number of decisions fits in memory. :meth:`StatsBuilder.result`
gives a :class:`Stats` with the tables:

* requests by status, by category and by category group;
* the questions most often needed (fields asked for in ``needs_info`` decisions);
* department workload from the plans, when decisions carry them: requests, steps and
  expected days (each step's due minus its start, in days);
* commitments at risk: a plan's commitment whose expected end is after its deadline;
* a trend of requests by day, ISO week or month of ``received_at``, by status (the daily
  counts are kept too, so :meth:`Stats.trend_by` gives any period);
* for unmatched requests, the categories their ``suggestions`` name (when decisions carry
  them): how many requests, the mean score, an example of the words (personal numbers masked).

Writers for a readable table (rich), JSON and CSV are in :mod:`bizroute.cli_stats`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .decision import STATUSES, Decision
from .masking import mask_text

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
STATS_SCHEMA_VERSION = 1
#: How many request ids a commitment at risk lists as examples.
EXAMPLES = 5


@dataclass(slots=True)
class _Department:
    name: str
    requests: int = 0
    steps: int = 0
    days: float = 0.0


@dataclass(slots=True)
class _Commitment:
    name: str
    at_risk: int = 0
    on_track: int = 0
    undetermined: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Suggestion:
    name: str
    count: int = 0
    score: float = 0.0
    example: str = ""


@dataclass(frozen=True, slots=True)
class Stats:
    """The tables; every list is sorted (largest count first, then by id)."""

    records: int
    unreadable: tuple[tuple[str, str], ...]  # (position, message) of lines that were not decisions
    by_status: tuple[tuple[str, int], ...]
    by_category: tuple[tuple[str, str, str, int], ...]  # (id, name, group, count)
    by_group: tuple[tuple[str, str, int], ...]  # (id, name, count)
    questions: tuple[tuple[str, str, int], ...]  # (field, label, requests that needed it)
    needs_info: int
    with_plan: int
    departments: tuple[tuple[str, str, int, int, float], ...]  # (id, name, requests, steps, days)
    commitments: tuple[tuple[str, str, int, int, int, tuple[str, ...]], ...]
    period: Period
    trend: tuple[tuple[str, dict[str, int]], ...]  # (period, counts by status and "total")
    undated: int
    #: (day, counts by status and "total"), every day with a request
    daily: tuple[tuple[str, dict[str, int]], ...] = ()
    #: unmatched decisions that carry a ``suggestions`` list (even an empty one)
    unmatched_with_suggestions: int = 0
    #: (category, name, unmatched requests naming it, mean score, example words)
    suggestions: tuple[tuple[str, str, int, float, str], ...] = ()

    def trend_by(self, period: Period) -> tuple[tuple[str, dict[str, int]], ...]:
        """The trend by ``day``, ISO ``week`` or ``month``, from the daily counts."""
        order: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
        merged: dict[str, Counter[str]] = {}
        for day, counts in self.daily:
            merged.setdefault(period_key(dt.date.fromisoformat(day), period),
                              Counter()).update(counts)
        return tuple((key, dict(sorted(c.items(), key=lambda kv: (
            kv[0] != "total", order.get(kv[0], len(order)))))) for key, c in sorted(merged.items()))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (documented in docs/statistics.md, versioned by ``schema``)."""
        n = self.records or 1
        return {
            "schema": STATS_SCHEMA_VERSION,
            "records": self.records,
            "unreadable": [{"position": p, "message": m} for p, m in self.unreadable],
            "by_status": [{"status": s, "count": c, "share": round(c / n, 4)}
                          for s, c in self.by_status],
            "by_category": [{"category": i, "name": name, "group": g, "count": c,
                             "share": round(c / n, 4)} for i, name, g, c in self.by_category],
            "by_group": [{"group": i, "name": name, "count": c, "share": round(c / n, 4)}
                         for i, name, c in self.by_group],
            "questions": [{"field": f, "label": label, "count": c,
                           "share_of_needs_info": round(c / (self.needs_info or 1), 4)}
                          for f, label, c in self.questions],
            "departments": [{"department": i, "name": name, "requests": r, "steps": s,
                             "expected_days": round(d, 2)}
                            for i, name, r, s, d in self.departments],
            "decisions_with_plan": self.with_plan,
            "commitments": [{"commitment": i, "name": name, "at_risk": r, "on_track": ok,
                             "undetermined": u, "examples": list(ex)}
                            for i, name, r, ok, u, ex in self.commitments],
            "trend": {"period": self.period, "undated": self.undated,
                      "rows": [{"period": p, **counts} for p, counts in self.trend]},
            "suggestions": {"decisions": self.unmatched_with_suggestions,
                            "rows": [{"category": c, "name": name, "count": n,
                                      "mean_score": round(score, 4), "example": example}
                                     for c, name, n, score, example in self.suggestions]},
        }


class StatsBuilder:
    """Counts decisions as they come.

    >>> b = StatsBuilder()
    >>> b.add({"status": "unmatched", "received_at": "2026-03-02T09:00"})
    >>> b.result().trend
    (('2026-03', {'total': 1, 'unmatched': 1}),)
    """

    def __init__(self, period: Period = "month") -> None:
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        self.period: Period = period
        self.records = 0
        self.unreadable: list[tuple[str, str]] = []
        self.status: Counter[str] = Counter()
        self.category: Counter[str] = Counter()
        self.category_info: dict[str, tuple[str, str, str]] = {}  # id → (name, group, group name)
        self.group: Counter[str] = Counter()
        self.question: Counter[str] = Counter()
        self.question_label: dict[str, str] = {}
        self.needs_info = 0
        self.with_plan = 0
        self.departments: dict[str, _Department] = {}
        self.commitments: dict[str, _Commitment] = {}
        self.trend: dict[str, Counter[str]] = {}
        self.daily: dict[str, Counter[str]] = {}
        self.undated = 0
        self.suggested: dict[str, _Suggestion] = {}
        self.unmatched_with_suggestions = 0

    def add_unreadable(self, position: str, message: str) -> None:
        """A line of the decisions file that is not a decision."""
        self.unreadable.append((position, message))

    def add(self, decision: Decision | Mapping[str, Any]) -> None:
        """Count one decision (a :class:`Decision` or its JSON form)."""
        data = decision.to_dict() if isinstance(decision, Decision) else decision
        if not isinstance(data, Mapping):
            raise TypeError("a decision is a Decision or a mapping")
        self.records += 1
        status = str(data.get("status") or "error")
        self.status[status] += 1
        category = data.get("category")
        if isinstance(category, Mapping) and category.get("id"):
            cid = str(category["id"])
            self.category[cid] += 1
            group = str(category.get("group") or "")
            self.category_info.setdefault(cid, (str(category.get("name") or cid), group,
                                                str(category.get("group_name") or group)))
            self.group[group] += 1
        if status == "needs_info":
            self.needs_info += 1
        for question in data.get("questions") or ():
            if isinstance(question, Mapping) and question.get("field"):
                fname = str(question["field"])
                self.question[fname] += 1
                self.question_label.setdefault(fname, str(question.get("label") or fname))
        plan = data.get("plan")
        if isinstance(plan, Mapping):
            self._add_plan(plan, str(data.get("request_id") or f"#{self.records}"))
        if status == "unmatched" and isinstance(data.get("suggestions"), list):
            self._add_suggestions(data["suggestions"])
        self._add_trend(data.get("received_at"), status)

    def _add_suggestions(self, suggestions: list[Any]) -> None:
        self.unmatched_with_suggestions += 1
        seen: set[str] = set()
        for item in suggestions:
            if not isinstance(item, Mapping) or not item.get("category"):
                continue
            cid = str(item["category"])
            if cid in seen:
                continue
            seen.add(cid)
            entry = self.suggested.setdefault(cid, _Suggestion(str(item.get("name") or cid)))
            entry.count += 1
            score = item.get("score")
            if isinstance(score, int | float) and not isinstance(score, bool):
                entry.score += float(score)
            if not entry.example and item.get("example"):
                entry.example = mask_text(str(item["example"]))[:200]

    def _add_plan(self, plan: Mapping[str, Any], request_id: str) -> None:
        self.with_plan += 1
        seen: set[str] = set()
        for step in plan.get("steps") or ():
            dept = step.get("department") or {}
            did = str(dept.get("id") if isinstance(dept, Mapping) else dept)
            name = str(dept.get("name") or did) if isinstance(dept, Mapping) else did
            entry = self.departments.setdefault(did, _Department(name))
            entry.steps += 1
            start, due = _when(step.get("start")), _when(step.get("due"))
            if start is not None and due is not None and due >= start:
                entry.days += (due - start).total_seconds() / 86400
            if did not in seen:
                seen.add(did)
                entry.requests += 1
        for commitment in plan.get("commitments") or ():
            cid = str(commitment.get("id"))
            entry_c = self.commitments.setdefault(
                cid, _Commitment(str(commitment.get("name") or cid)))
            on_track = commitment.get("on_track")
            if on_track is False:
                entry_c.at_risk += 1
                if len(entry_c.examples) < EXAMPLES:
                    entry_c.examples.append(request_id)
            elif on_track is True:
                entry_c.on_track += 1
            else:
                entry_c.undetermined += 1

    def _add_trend(self, received: Any, status: str) -> None:
        when = _when(received)
        if when is None:
            self.undated += 1
            return
        key = period_key(when, self.period)
        counts = self.trend.setdefault(key, Counter())
        counts["total"] += 1
        counts[status] += 1
        daily = self.daily.setdefault(when.date().isoformat(), Counter())
        daily["total"] += 1
        daily[status] += 1

    def extend(self, decisions: Iterable[Decision | Mapping[str, Any]]) -> StatsBuilder:
        for decision in decisions:
            self.add(decision)
        return self

    def result(self) -> Stats:
        order: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
        by_status = tuple(sorted(self.status.items(),
                                 key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        by_category = tuple(sorted(
            ((cid, *self.category_info[cid][:2], n) for cid, n in self.category.items()),
            key=lambda row: (-row[3], row[0])))
        group_names = {g: gname for _, g, gname in self.category_info.values()}
        by_group = tuple(sorted(((g, group_names.get(g, g), n) for g, n in self.group.items()),
                                key=lambda row: (-row[2], row[0])))
        questions = tuple(sorted(((f, self.question_label[f], n)
                                  for f, n in self.question.items()),
                                 key=lambda row: (-row[2], row[0])))
        departments = tuple(sorted(((d, e.name, e.requests, e.steps, e.days)
                                    for d, e in self.departments.items()),
                                   key=lambda row: (-row[4], -row[3], row[0])))
        commitments = tuple(sorted(((c, e.name, e.at_risk, e.on_track, e.undetermined,
                                     tuple(e.examples)) for c, e in self.commitments.items()),
                                   key=lambda row: (-row[2], -row[4], row[0])))
        trend = tuple((key, dict(sorted(counts.items(),
                                        key=lambda kv: (kv[0] != "total",
                                                        order.get(kv[0], len(order))))))
                      for key, counts in sorted(self.trend.items()))
        daily = tuple((day, dict(counts)) for day, counts in sorted(self.daily.items()))
        suggestions = tuple(sorted(((c, e.name, e.count, e.score / e.count if e.count else 0.0,
                                     e.example) for c, e in self.suggested.items()),
                                   key=lambda row: (-row[2], -row[3], row[0])))
        return Stats(self.records, tuple(self.unreadable), by_status, by_category, by_group,
                     questions, self.needs_info, self.with_plan, departments, commitments,
                     self.period, trend, self.undated, daily, self.unmatched_with_suggestions,
                     suggestions)


def period_key(when: dt.date, period: Period) -> str:
    """``2026-03-02`` (day), ``2026-W10`` (ISO week) or ``2026-03`` (month).

    >>> period_key(dt.date(2026, 3, 2), "week")
    '2026-W10'
    """
    day = when.date() if isinstance(when, dt.datetime) else when
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(text[:10]), dt.time())
        except ValueError:
            return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
