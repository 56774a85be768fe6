"""An overlay was written for other versions of its base than the one it is applied to.

An overlay lists in `extends.versions` the versions of its base its authors reviewed it
against. When the base moves on (a new edition of the national pack), every deviation may
need another look: a patched rule may have been rewritten, a replaced document renamed. The
finding stays until the new version is added to the list.

Triggers it::

    pack:
      id: province
      extends: {builtin: true, versions: ["2025.06"]}   # the base is 2026.11

Does not::

    pack:
      id: province
      extends: {builtin: true, versions: ["2025.06", "2026.11"]}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ..overlay import StackSource, version_mismatches
from .base import Check, CheckContext, Issue, register_check


@register_check
class BaseVersionMismatch(Check):
    code: ClassVar[str] = "BR711"
    name: ClassVar[str] = "base-version-mismatch"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        if isinstance(ctx.source, StackSource):
            for message, site in version_mismatches(ctx.source.layers):
                yield Issue(message, at=site)
