"""Two rules at the same priority lead to different categories and can both be true.

At run time a request that makes both true comes out `ambiguous`: the counter gets two
candidate categories instead of a decision. The check treats each condition as a union of
boxes over the declared fields (enum values, numeric and date intervals, *missing*) and reports
the pair with a witness request that makes both rules true; `--emit-cases` prints it as an
example case. Overlaps that need the words of both rules in one text are reported separately
(BR402) because they are less certain to happen.

Triggers it::

    rules:
      - {id: a, category: suspend, priority: 10, when: {field: intent, in: [suspend, reduce]}}
      - {id: b, category: reduce, priority: 10, when: {field: intent, eq: reduce}}

Does not::

    rules:
      - {id: a, category: suspend, priority: 10, when: {field: intent, eq: suspend}}
      - {id: b, category: reduce, priority: 10, when: {field: intent, eq: reduce}}
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from ..analysis import Overlap
from ..findings import Severity
from ._util import example_case, rule_loc
from .base import Check, CheckContext, Issue, register_check


def overlap_issue(ctx: CheckContext, o: Overlap, code: str) -> Issue:
    assert ctx.pack is not None
    first, second = o.first.rule, o.second.rule
    shown = json.dumps(o.witness, ensure_ascii=False, sort_keys=True)
    words = " when one text carries the words of both" if o.combined_text else ""
    message = (f"rule {second.id!r} (category {second.category!r}) and rule {first.id!r} "
               f"(category {first.category!r}, line {first.line}) can both be true at priority "
               f"{second.priority}{words}, e.g. for {shown}")
    if o.more_count:
        names = ", ".join(repr(r.rule.id) for r in o.more)
        extra = ", ..." if o.more_count > len(o.more) else ""
        message += f"; it also overlaps {o.more_count} more rule(s): {names}{extra}"
    if not o.confirmed:
        message += " (the example could not be confirmed: free-text tests are treated as " \
                   "independent)"
    case = example_case(f"overlap-{second.id}-{first.id}",
                        f"{second.id} 与 {first.id} 同时成立", o.witness, o.as_of)
    hint = ("give one rule a higher priority, or add a condition that tells them apart "
            "(e.g. `not:` the other rule's test)")
    severity: Severity | None = None if o.confirmed else "warning"
    return Issue(message, rule_loc(ctx.pack, o.second.index), ("when",), code=code, hint=hint,
                 case=case, severity=severity)


@register_check
class RuleOverlap(Check):
    code: ClassVar[str] = "BR401"
    name: ClassVar[str] = "rule-overlap"
    severity: ClassVar[Severity] = "error"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        for o in ctx.analysis.overlaps:
            if not o.combined_text:
                yield overlap_issue(ctx, o, self.code)
