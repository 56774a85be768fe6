"""Some combination of enum values and numeric ranges is covered by no rule.

A request of that kind comes out `unmatched` whatever the customer says. The analysis
projects every rule onto the enum, bool, number and date fields (free text counts as "could
say anything"), subtracts them from all combinations, and merges what is left into as few boxes
as possible. A missing value counts only for fields with `absent: "false"`; for the others a
missing value leads to a question, not a gap. Reported as information, at the pack's
`fields`: whether a gap is intended is the pack author's call.

Triggers it::

    rules:
      - {id: res, category: res_new, when: {field: customer.type, eq: residential}}
      - {id: small-biz, category: biz_new, when: {all: [{field: customer.type, eq: non_residential},
                                                         {field: supply.capacity_kva, lte: 160}]}}
    # non_residential above 160 kVA: no rule

Does not::

    rules:
      - {id: res, category: res_new, when: {field: customer.type, eq: residential}}
      - {id: small-biz, category: biz_new, when: {all: [{field: customer.type, eq: non_residential},
                                                         {field: supply.capacity_kva, lte: 160}]}}
      - {id: big-biz, category: hv_new, when: {all: [{field: customer.type, eq: non_residential},
                                                      {field: supply.capacity_kva, gt: 160}]}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check

#: How many gap boxes are reported at most (the largest first).
LIMIT = 20


@register_check
class CoverageGap(Check):
    code: ClassVar[str] = "BR405"
    name: ClassVar[str] = "coverage-gap"
    severity: ClassVar[Severity] = "info"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        assert ctx.pack is not None and ctx.source.info is not None
        analysis = ctx.analysis
        gaps = analysis.gaps(limit=LIMIT + 1)
        for gap in gaps[:LIMIT]:
            lo, hi = gap.period
            when = ""
            if lo or hi:
                when = f" (from {lo or 'the start'} until {hi or 'further notice'})"
            first = min(gap.narrow, default=None)
            sub: tuple[str | int, ...] = ("fields",)
            if first is not None:
                sub = ("fields", analysis.space.dims[first].field)
            yield Issue(f"no rule covers {gap.text}{when}", ctx.source.info, sub, key=True,
                        object_id=ctx.pack.id)
        if len(gaps) > LIMIT:
            yield Issue(f"more gaps than the {LIMIT} shown; the largest come first",
                        ctx.source.info, ("fields",), key=True, object_id=ctx.pack.id)
