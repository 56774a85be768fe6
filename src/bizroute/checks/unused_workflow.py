"""A workflow no category names.

No decision ever leads to it, so its steps and commitments are never planned.

Triggers it::

    workflows:
      - {id: lv_connection, name: 低压接电流程, steps: [...]}
    categories:
      - {id: lv_new, ...}            # no workflow

Does not::

    workflows:
      - {id: lv_connection, name: 低压接电流程, steps: [...]}
    categories:
      - {id: lv_new, workflow: lv_connection, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


@register_check
class UnusedWorkflow(Check):
    code: ClassVar[str] = "BR410"
    name: ClassVar[str] = "unused-workflow"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        used = self.used(ctx)
        for loc in ctx.source.entries["workflows"]:
            if loc.obj.id not in used:
                yield Issue(f"workflow {loc.obj.id!r} is not used anywhere in the pack", loc, ("id",))

    @staticmethod
    def used(ctx: CheckContext) -> set[str]:
        return {loc.obj.workflow for loc in ctx.source.entries["categories"]
                if loc.obj.workflow is not None}
