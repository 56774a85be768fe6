"""An example case does not get the decision it expects.

The pack's `tests/` folder holds requests with the decision they must get; the check runs
them all, like `bizroute test`, and reports each failure at the case with what differs.
Problems with the case files themselves (BR501, BR502, and schema codes) are reported too.

Triggers it::

    cases:
      - id: outage
        request: {description: 家里没电了}
        expect: {status: decided, category: rename}

Does not::

    cases:
      - id: outage
        request: {description: 家里没电了}
        expect: {status: decided, category: fault_repair}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@register_check
class CaseFailed(Check):
    code: ClassVar[str] = "BR503"
    name: ClassVar[str] = "case-failed"
    severity: ClassVar[Severity] = "error"
    also: ClassVar[tuple[str, ...]] = ("BR501", "BR502", "BR101", "BR102", "BR103",
                                       "BR702", "BR703", "BR704", "BR707", "BR708")

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        _cases, problems = ctx.case_load
        for f in problems:
            yield Issue(f.message, at=(f.file, f.line, f.column), object_id=f.object_id,
                        code=f.code, severity=f.severity)
        for result in ctx.case_results:
            if result.passed:
                continue
            loaded = result.case
            if result.error:
                detail = result.error
            else:
                detail = "; ".join(f"{what}: expected {_show(exp)}, got {_show(act)}"
                                   for what, exp, act in result.differences)
            hint = ("the case comes from the base pack: if the overlay changes this decision on "
                    "purpose, patch the case's expect in the overlay's tests/ folder, or remove "
                    "it there (docs/overlays.md)") if loaded.inherited else None
            yield Issue(f"case {loaded.case.id!r} fails: {detail}",
                        at=(loaded.file, loaded.line, loaded.column), object_id=loaded.case.id,
                        hint=hint)
