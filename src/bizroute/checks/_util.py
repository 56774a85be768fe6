"""Helpers shared by the checks: example cases from witnesses, condition walking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .. import models as m
from ..readers import nest

if TYPE_CHECKING:
    from ..engine import Pack
    from ..overlay import Applied, Site


def example_case(case_id: str, description: str, flat: dict[str, Any],
                 as_of: dt.date | None) -> dict[str, Any]:
    """An example case without its expectation: the id, a description and the request."""
    case: dict[str, Any] = {"id": case_id, "description": description, "request": nest(flat)}
    if as_of is not None:
        case["as_of"] = as_of.isoformat()
    return case


def with_expectation(pack: Pack, case: dict[str, Any]) -> dict[str, Any]:
    """The case with ``expect`` set to what the pack decides for its request today.

    Classifying is the expensive part of an example case, so it happens only for
    ``--emit-cases``.
    """
    as_of = dt.date.fromisoformat(case["as_of"]) if "as_of" in case else None
    try:
        decision = pack.classify(case["request"], as_of=as_of)
    except Exception:  # an unfitting witness is still worth showing
        return {**case, "expect": {"status": "unmatched"}}
    expect: dict[str, Any] = {"status": decision.status}
    if decision.category is not None:
        expect["category"] = decision.category.id
    if decision.candidates:
        expect["candidates"] = [c.category for c in decision.candidates]
    if decision.questions:
        expect["questions"] = [q.field for q in decision.questions]
    return {**case, "expect": expect}


def conditions(obj: Any) -> Iterator[m.Condition]:
    """Every condition inside a pack object (rules, document requirements, workflows)."""
    if isinstance(obj, m.Condition):
        yield obj
        for part in (obj.all or []) + (obj.any or []):
            yield from conditions(part)
        if obj.not_ is not None:
            yield from conditions(obj.not_)
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from conditions(getattr(obj, name))
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from conditions(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from conditions(item)


def rule_loc(pack: Pack, index: int) -> Any:
    """The located model of the compiled rule at ``index``."""
    return pack.source.entries["rules"][pack.rules[index].order]


def not_covered(ctx: Any, section: str) -> Iterator[Any]:
    """Each object of ``section`` (``rules`` or ``categories``) that no example case covers,
    once. Nothing when the pack has no cases at all: coverage then means nothing."""
    if not ctx.case_load[0]:
        return
    missing = set(ctx.coverage[section]["missing"])
    seen: set[str] = set()
    for loc in ctx.source.entries[section]:
        if loc.obj.id in missing and loc.obj.id not in seen:
            seen.add(loc.obj.id)
            yield loc


class ChangeFinder:
    """Mixin of the overlay checks: ``find`` turns what an overlay's operations did (to the
    pack and to its example cases) into messages at the operations' positions."""

    find: staticmethod[[Sequence[Applied]], Iterator[tuple[str, Site]]]

    def run(self, ctx: Any) -> Iterator[Any]:
        from .base import Issue

        for message, site in self.find(ctx.changes):
            yield Issue(message, at=site)
