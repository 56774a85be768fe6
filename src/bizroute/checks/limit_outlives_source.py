"""A commitment or customer notice is in force on days when a source of its basis is not.

A time limit is only as good as the regulation or promise it rests on: a limit of the 2011
十项承诺 that runs on after the current version replaced it, or one of the 1996 rules that
runs on after 2024-06-01, promises the customer something nobody owes any more. Give the
limit the period of its source (`effective`), and where the later status is unknown carry
it on as a version of its own citing a source marked `unverified`.

Triggers it::

    sources:
      - {id: rules1996, title: 供电营业规则, effective: {from: 1996-10-08, until: 2024-06-01}}
    workflows:
      - id: removal
        commitments:
          - {id: remove, from: accept, to: remove, limit: {days: 5},
             basis: [{source: rules1996}], effective: {from: 1996-10-08}}

Does not::

    workflows:
      - id: removal
        commitments:
          - {id: remove, from: accept, to: remove, limit: {days: 5},
             basis: [{source: rules1996}], effective: {from: 1996-10-08, until: 2024-06-01}}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import ClassVar

from .. import models as m
from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


def _span(effective: m.Effective) -> str:
    start = effective.from_.isoformat() if effective.from_ else "the beginning"
    end = f"until {effective.until.isoformat()}" if effective.until else "on"
    return f"from {start} {end}"


def _within(inner: m.Effective, outer: m.Effective) -> bool:
    return ((outer.from_ or dt.date.min) <= (inner.from_ or dt.date.min)
            and (inner.until or dt.date.max) <= (outer.until or dt.date.max))


def _meet(a: m.Effective, b: m.Effective) -> m.Effective:
    lo = max(a.from_ or dt.date.min, b.from_ or dt.date.min)
    hi = min(a.until or dt.date.max, b.until or dt.date.max)
    return m.Effective.model_validate({"from": None if lo == dt.date.min else lo,
                                       "until": None if hi == dt.date.max else hi})


@register_check
class LimitOutlivesSource(Check):
    code: ClassVar[str] = "BR415"
    name: ClassVar[str] = "limit-outlives-source"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        sources = {loc.obj.id: loc.obj for loc in ctx.source.entries["sources"]}
        for loc in ctx.source.entries["workflows"]:
            wf: m.Workflow = loc.obj
            timed: tuple[tuple[str, Sequence[m.Commitment | m.CustomerNotice]], ...] = (
                ("commitments", wf.commitments), ("customer_notices", wf.customer_notices))
            for key, items in timed:
                noun = "commitment" if key == "commitments" else "customer notice"
                for k, item in enumerate(items):
                    period = _meet(item.effective, wf.effective)
                    for b, basis in enumerate(item.basis):
                        source = sources.get(basis.source)
                        if source is None or _within(period, source.effective):
                            continue
                        yield Issue(f"{noun} {item.id!r} is in force {_span(period)}, but its "
                                    f"source {source.id!r} only {_span(source.effective)}",
                                    loc, (key, k, "basis", b, "source"))
