"""A rule or category has several versions with days between them when none is in force.

Versions of one id take over from each other when regulations change: the old one's `until`
should be the new one's `from`. A gap between them means that for those days the rule (or
every request of the category) silently disappears. The time line of all changes is printed
by `bizroute check --timeline`; versions that overlap are an error of their own (BR104).

Triggers it::

    categories:
      - {id: close, effective: {until: 2024-06-01}, ...}
      - {id: close, effective: {from: 2024-07-01}, ...}

Does not::

    categories:
      - {id: close, effective: {until: 2024-06-01}, ...}
      - {id: close, effective: {from: 2024-06-01}, ...}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import ClassVar

from ..analysis import version_gaps
from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check


@register_check
class VersionGap(Check):
    code: ClassVar[str] = "BR411"
    name: ClassVar[str] = "version-gap"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        for section, noun in (("categories", "category"), ("rules", "rule")):
            for loc, start, end in version_gaps(ctx.source.entries[section]):
                last = end - dt.timedelta(days=1)
                yield Issue(f"no version of {noun} {loc.obj.id!r} is in force from {start} to "
                            f"{last} (one version ends on {start}, the next starts on {end})",
                            loc, ("effective", "until"))
