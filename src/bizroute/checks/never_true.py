"""A rule's condition can never be true.

Its tests contradict each other (`customer.type` both `residential` and
`non_residential`; a capacity above 160 and at most 100), so the rule is dead weight and the
requests its author meant to catch go elsewhere.

Triggers it::

    when:
      all:
        - {field: supply.capacity_kva, gt: 160}
        - {field: supply.capacity_kva, lte: 100}

Does not::

    when:
      all:
        - {field: supply.capacity_kva, gt: 100}
        - {field: supply.capacity_kva, lte: 160}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ._util import rule_loc
from .base import Check, CheckContext, Issue, register_check


@register_check
class NeverTrueRule(Check):
    code: ClassVar[str] = "BR404"
    name: ClassVar[str] = "never-true-rule"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        assert ctx.pack is not None
        for info in ctx.analysis.never_true:
            yield Issue(f"the condition of rule {info.rule.id!r} can never be true",
                        rule_loc(ctx.pack, info.index), ("when",),
                        hint="look for tests on one field that exclude each other")
