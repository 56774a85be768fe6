"""A category no rule leads to.

No request can ever be classified into it: either its rules are missing or it is left over
from an earlier edition of the pack.

Triggers it::

    categories:
      - {id: rename, name: 更名, ...}
    rules: []

Does not::

    categories:
      - {id: rename, name: 更名, ...}
    rules:
      - {id: rename.words, category: rename, when: {field: description, mentions: rename_words}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


@register_check
class CategoryWithoutRule(Check):
    code: ClassVar[str] = "BR406"
    name: ClassVar[str] = "category-without-rule"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        used = {loc.obj.category for loc in ctx.source.entries["rules"]}
        seen: set[str] = set()
        for loc in ctx.source.entries["categories"]:
            if loc.obj.id in used or loc.obj.id in seen:
                continue
            seen.add(loc.obj.id)
            yield Issue(f"no rule leads to category {loc.obj.id!r}", loc, ("id",))
