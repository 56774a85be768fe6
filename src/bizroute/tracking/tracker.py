"""The library API for counter systems: open cases, record events, ask for status.

::

    from bizroute import Tracker, load_pack

    pack = load_pack()
    with Tracker.open("cases.sqlite", pack=pack) as tracker:     # or postgresql://...
        tracker.open_case(pack.classify(request))                  # a decided decision
        tracker.record({"case": "HV-0926", "event": "step_completed", "step": "accept",
                        "at": "2025-09-26T16:00"})
        status = tracker.status("HV-0926", at="2025-10-20T09:00")
        status.commitment("scheme_reply").state                    # 'running'
        for item in tracker.due(within="1d", department="planning"):
            print(item.case, item.commitment.name, item.commitment.state)

Every method takes and returns plain values or the frozen dataclasses of
:mod:`bizroute.tracking.status`, each with ``to_dict()`` for JSON; errors are
:class:`~bizroute.errors.TrackingError` with a stable ``code``. An HTTP service is a thin
layer over it (docs/tracking.md, "Library").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..calendar import WorkCalendar
from ..errors import TrackingError
from .clock import Clock, parse_within
from .model import Case, Event, parse_time
from .model import now as current_time
from .status import CaseStatus, DueItem, due_items, follow
from .timeline import check_event

if TYPE_CHECKING:
    from types import TracebackType

    from ..engine import Pack
    from .store import AddOutcome, RecordOutcome, Store, StoredCase


@dataclass(frozen=True, slots=True)
class Opened:
    """What :meth:`Tracker.open_case` did: ``opened``, or ``unchanged`` (already open)."""

    case: str
    outcome: AddOutcome

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case, "outcome": self.outcome}


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :meth:`Tracker.record` did: ``recorded`` as event ``seq`` of the case, or
    ``duplicate`` (the same event was already recorded as ``seq``)."""

    case: str
    seq: int
    outcome: RecordOutcome
    event: Event

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case, "seq": self.seq, "outcome": self.outcome,
                "event": self.event.to_dict()}


def _moment(value: dt.datetime | str | None) -> dt.datetime:
    if value is None:
        return current_time()
    try:
        return parse_time(value, "--at")
    except ValueError as exc:
        raise TrackingError("bad-time", str(exc)) from None


class Tracker:
    """Cases followed from intake to close, kept in a :class:`~bizroute.tracking.store.Store`.

    Safe to use from several processes at once on one database; one instance per thread.
    """

    def __init__(self, store: Store, calendar: WorkCalendar | None = None) -> None:
        self.store = store
        self.clock = Clock(calendar or WorkCalendar())
        self._cases: dict[str, Case] = {}  # a case's plan never changes once opened

    @classmethod
    def open(cls, db: str | None = None, *, pack: Pack | None = None,
             calendar: WorkCalendar | None = None) -> Tracker:
        """Open the database ``db`` (a path or URL; default ``$BIZROUTE_DB`` or the user's
        data directory). The working-day calendar is ``pack``'s (its own days added to the
        national ones), or ``calendar``, else the national calendar."""
        from .store import Store

        if calendar is None and pack is not None:
            settings = pack.info.calendar
            calendar = _calendar(tuple(sorted(settings.holidays)),
                                 tuple(sorted(settings.workdays)))
        return cls(Store.open(db), calendar)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- writing

    def open_case(self, decision: Any) -> Opened:
        """Open a case from a decided decision with its plan (a
        :class:`~bizroute.decision.Decision` or its JSON form). Opening the same decision
        again changes nothing; another decision under an open case's id is refused."""
        case = Case.from_decision(decision)
        pack = case.decision.get("pack") or {}
        outcome = self.store.add_case(
            case.id, dict(case.decision), category=case.category_id, workflow=case.workflow,
            received_at=case.received_at, pack=f"{pack.get('id')}@{pack.get('version')}")
        return Opened(case.id, outcome)

    def record(self, event: Mapping[str, Any] | Event, *, case: str | None = None,
               now: dt.datetime | str | None = None) -> Recorded:
        """Check an event against its case's plan and events, and record it.

        ``case`` fills in the event's case (as a URL path would); ``now`` is the moment
        events may not be later than (default: now). The same event sent twice is recorded
        once (``duplicate``).
        """
        ev = event if isinstance(event, Event) else Event.from_dict(event, case)
        limit = _moment(now)
        target = self._cases.get(ev.case)
        if target is None:
            stored = self.store.case(ev.case)
            if stored is None:
                raise TrackingError("unknown-case", f"{ev.describe()}: no case {ev.case!r} "
                                    "(open it with `bizroute track add` first)", case=ev.case)
            target = self._case(stored)

        def check(recorded: list[Event]) -> None:
            check_event(target, recorded, ev, limit)

        outcome, seq = self.store.record(ev.case, ev, check)
        return Recorded(ev.case, seq, outcome, ev)

    # --- reading

    def case(self, case_id: str) -> Case:
        stored = self.store.case(case_id)
        if stored is None:
            raise TrackingError("unknown-case", f"no case {case_id!r}", case=case_id)
        return self._case(stored)

    def events(self, case_id: str) -> list[Event]:
        self.case(case_id)
        return self.store.events(case_id)

    def status(self, case_id: str, at: dt.datetime | str | None = None) -> CaseStatus:
        """Where the case stands at ``at`` (default: now), from the events up to then."""
        moment = _moment(at)
        stored = self.store.case(case_id)
        if stored is None:
            raise TrackingError("unknown-case", f"no case {case_id!r}", case=case_id)
        case = self._case(stored)
        if moment < case.received_at:
            raise TrackingError("before-intake", f"case {case_id!r} was received "
                                f"{case.received_at.isoformat()}, after {moment.isoformat()}",
                                case=case_id)
        return follow(case, self.store.events(case_id), moment, self.clock)

    def statuses(self, at: dt.datetime | str | None = None, *, open_only: bool = True,
                 ) -> Iterator[CaseStatus]:
        """The status of every case (``open_only``: of those open at ``at``), in id order."""
        moment = _moment(at)
        for stored, events in self.store.cases(open_at=moment if open_only else None):
            case = self._case(stored, keep=False)
            if case.received_at <= moment:
                yield follow(case, events, moment, self.clock)

    def due(self, at: dt.datetime | str | None = None, *, within: str = "1d",
            department: str | None = None) -> list[DueItem]:
        """The morning list: commitments of open cases that are overdue, at risk, or due
        ``within`` (``1d``, ``4h``, ``2wd`` working days) of ``at``; ``department``: only
        those waiting on it. Broken promises first, then by deadline."""
        moment = _moment(at)
        try:
            unit, seconds = parse_within(within)
        except ValueError as exc:
            raise TrackingError("bad-span", str(exc)) from None
        horizon = self.clock.add(unit, moment, seconds)
        items = [item for status in self.statuses(moment)
                 for item in due_items(status, horizon, department)]
        return sorted(items, key=lambda i: i.sort_key)

    def _case(self, stored: StoredCase, *, keep: bool = True) -> Case:
        """The case of a stored row; ``keep``: remember it (a counter asks about the same
        cases again and again; a pass over every case keeps none)."""
        case = self._cases.get(stored.id)
        if case is None:
            case = Case.from_decision(stored.decision)
            if keep:
                if len(self._cases) >= _KEEP:
                    self._cases.clear()
                self._cases[stored.id] = case
        return case


_KEEP = 10_000  # cases remembered at most


@functools.lru_cache(maxsize=8)
def _calendar(holidays: tuple[dt.date, ...], workdays: tuple[dt.date, ...]) -> WorkCalendar:
    """One calendar per set of a pack's own days (building one tabulates 60 years)."""
    return WorkCalendar(holidays, workdays)
