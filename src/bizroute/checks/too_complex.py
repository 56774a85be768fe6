"""A rule's condition is too complex for the semantic analysis.

Its expansion into boxes (one per combination of `any` branches) passed the analysis limit,
so overlaps, shadowing and gaps are not checked for it. Splitting the rule into several rules
with the same category usually helps readers too.

Triggers it::

    when:
      all:
        - any: [...8 tests...]
        - any: [...8 tests...]
        - any: [...8 tests...]
        - any: [...8 tests...]   # 8**4 combinations

Does not::

    when:
      all:
        - any: [...8 tests...]
        - {field: customer.type, eq: residential}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..analysis import BOX_LIMIT
from ..findings import Severity
from ._util import rule_loc
from .base import Check, CheckContext, Issue, register_check


@register_check
class ConditionTooComplex(Check):
    code: ClassVar[str] = "BR412"
    name: ClassVar[str] = "condition-too-complex"
    severity: ClassVar[Severity] = "info"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        assert ctx.pack is not None
        for info in ctx.analysis.too_complex:
            yield Issue(f"the condition of rule {info.rule.id!r} expands to more than {BOX_LIMIT} "
                        "combinations; it is left out of the overlap, shadow and gap analysis",
                        rule_loc(ctx.pack, info.index), ("when",))
