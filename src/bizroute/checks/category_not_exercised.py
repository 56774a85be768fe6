"""A category no example case reaches.

A category counts as reached when some case's decision has it as the category or among the
candidates. A category without any case is the first to break silently.

Triggers it::

    categories:
      - {id: rename, ...}
    # tests/: no case expects rename

Does not::

    cases:
      - id: rename
        request: {description: 我要改户名}
        expect: {status: decided, category: rename}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ._util import not_covered
from .base import Check, CheckContext, Issue, register_check


@register_check
class CategoryNotExercised(Check):
    code: ClassVar[str] = "BR505"
    name: ClassVar[str] = "category-not-exercised"
    severity: ClassVar[Severity] = "info"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        for loc in not_covered(ctx, "categories"):
            yield Issue(f"no example case reaches category {loc.obj.id!r}", loc, ("id",))
