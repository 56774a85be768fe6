"""The customer's one-time notice (一次性告知书) of a decision, as a page printed on A4.

It says, once and completely, what the business is, which documents are still missing and what
counts as each, where and to whom to bring them, the time limits that start once the file is
complete, the basis, a reference number and the date. It is written for the customer: the
customer's own words are not repeated on it. :func:`render_notice` gives the HTML (styles
inline, nothing loaded from anywhere); :func:`bizroute.pages.chromium.print_pdf` prints it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._version import __version__
from .render import environment

if TYPE_CHECKING:
    from ..decision import Decision
    from ..engine import Pack


class NotDecided(ValueError):
    """A notice needs a decided request: the business and its documents must be known."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        asks = "; ".join(f"{q.label}: {q.ask}" for q in decision.questions)
        names = ", ".join(c.name for c in decision.candidates)
        detail = {"needs_info": f"ask first: {asks}" if asks else "more information is needed",
                  "ambiguous": f"the request fits several categories ({names}); settle which",
                  "unmatched": "no category fits the request",
                  "error": str((decision.error or {}).get("message", "the request is invalid"))}
        super().__init__(f"request {decision.request_id or '(no id)'} is {decision.status}, not "
                         f"decided: {detail.get(decision.status, decision.status)}")


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """A document still missing: its name and what counts as it."""

    name: str
    name_en: str | None
    note: str | None  # the category's note on it
    counts: str | None  # the catalogue's: what can be presented as it


def reference_number(decision: Decision, issued: dt.date) -> str:
    """``BR-20260315-3F9A1C``: the date and a digest of the decision (same request, same pack,
    same day: same number), unless the counter gives its own."""
    data = decision.to_dict()
    data.pop("explanation", None)
    data.pop("plan", None)
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                       default=str).encode("utf-8")).hexdigest()
    return f"BR-{issued:%Y%m%d}-{digest[:6].upper()}"


def render_notice(pack: Pack, decision: Decision, *, issued: dt.date | None = None,
                  reference: str | None = None, office: str | None = None,
                  contact: str | None = None) -> str:
    """The notice of a decided ``decision`` as one HTML page for A4 (see the module docstring).

    ``office`` names the hall where the documents are brought (default: the department of the
    workflow's first step); ``contact`` who to ask (a clerk, a telephone number). Raises
    :class:`NotDecided` for a decision that is not ``decided``.
    """
    if decision.status != "decided" or decision.category is None:
        raise NotDecided(decision)
    day = issued or dt.date.today()
    ref = reference or reference_number(decision, day)
    context = notice_context(pack, decision)
    return environment().get_template("notice.html.j2").render(
        **context, reference=ref, issued=f"{day.year}年{day.month}月{day.day}日",
        issued_iso=day.isoformat(), office=office, contact=contact, version=__version__)


def notice_context(pack: Pack, decision: Decision) -> dict[str, Any]:
    """What the notice shows, from the decision and the pack's catalogue."""
    assert decision.category is not None
    category = pack.category(decision.category.id, decision.as_of)
    notes = {r.id: r.note for r in category.document_requirements()} if category else {}
    catalogue = {d.obj.id: d.obj for d in pack.source.entries["documents"]}
    missing = [NoticeItem(d.name, d.name_en, notes.get(d.id),
                          catalogue[d.id].notes if d.id in catalogue else None)
               for d in decision.documents_missing]
    missing_ids = {d.id for d in decision.documents_missing}
    received = [d.name for d in decision.documents_required if d.id not in missing_ids]
    plan = decision.plan
    steps: list[dict[str, Any]] = []
    limits: list[dict[str, Any]] = []
    where = None
    if plan is not None:
        names = {s.id: s.name for s in plan.steps}
        for s in plan.steps:
            steps.append({"name": s.name, "department": s.department.name,
                          "duration": s.duration, "customer": s.customer_facing})
        first = plan.steps[0]
        where = {"department": first.department.name, "step": first.name}
        for c in plan.commitments:
            if c.binding is False:  # a wider limit on the same steps: the customer gets the
                continue            # one that binds (the earliest deadline)
            limits.append({
                "name": c.name, "limit": c.limit, "from": names.get(c.from_step, c.from_step),
                "to": names.get(c.to_step, c.to_step), "starts_at_acceptance":
                c.from_step == first.id,
                "depends_on": [pack.fields[f].label if f in pack.fields else f
                               for f in c.depends_on],
                "basis": [_basis(b) for b in c.basis]})
    told = [{"text": n.text, "basis": [_basis(b) for b in n.basis]}
            for n in getattr(plan, "customer_notices", ())] if plan is not None else []
    group = pack.groups.get(decision.category.group)
    return {
        "pack": {"id": pack.id, "name": pack.name, "version": pack.version,
                 "digest": pack.digest},
        "category": {"id": decision.category.id, "name": decision.category.name,
                     "name_en": decision.category.name_en,
                     "group": group.name if group else decision.category.group_name,
                     "code": next(iter(decision.category.codes.values()), "")},
        "request_id": decision.request_id,
        "as_of": decision.as_of.isoformat(),
        "missing": missing, "received": received, "where": where,
        "departments": [d.name for d in decision.departments],
        "front_office": [d.name for d in decision.departments
                         if (dep := pack.departments.get(d.id)) is not None and dep.front_office],
        "steps": steps, "limits": limits, "told": told,
        "basis": [_basis(b) for b in decision.category.basis],
        "notices": list(decision.notices),
    }


_STATUS = {"verified": "", "secondary": "（据二手来源）", "practice": "（实务惯例）",
           "unverified": "（待核实）"}


def _basis(b: Any) -> dict[str, str]:
    return {"title": b.title, "article": b.article or "", "note": b.note or "",
            "status": _STATUS.get(b.status or "", "")}
