"""A department in the registry that no category and no workflow step involves.

Work is never routed to it; usually a category or a step names another department by mistake.

Triggers it::

    departments:
      - {id: counter, name: 营业厅, front_office: true}
      - {id: metering, name: 计量中心}
    categories:
      - {id: rename, departments: [counter], ...}

Does not::

    departments:
      - {id: counter, name: 营业厅, front_office: true}
      - {id: metering, name: 计量中心}
    categories:
      - {id: rename, departments: [counter, metering], ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


@register_check
class UnusedDepartment(Check):
    code: ClassVar[str] = "BR408"
    name: ClassVar[str] = "unused-department"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        used = self.used(ctx)
        for loc in ctx.source.entries["departments"]:
            if loc.obj.id not in used:
                yield Issue(f"department {loc.obj.id!r} is not used anywhere in the pack", loc, ("id",))

    @staticmethod
    def used(ctx: CheckContext) -> set[str]:
        out = {d for loc in ctx.source.entries["categories"] for d in loc.obj.departments}
        out.update(step.department for loc in ctx.source.entries["workflows"]
                   for step in loc.obj.steps)
        return out
