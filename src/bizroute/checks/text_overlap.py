"""Two rules at one priority lead to different categories when one text carries both rules' words.

A customer who says two things at once ("要暂停，顺便减容") makes both rules true and the
decision comes out `ambiguous`. That may be right (the clerk asks), but often one of the two
should win: give it a higher priority, or exclude the other rule's words with `not`. The
witness text joins one term of each vocabulary.

Triggers it::

    rules:
      - {id: a, category: suspend, priority: 10, when: {field: description, mentions: suspend_words}}
      - {id: b, category: reduce, priority: 10, when: {field: description, mentions: reduce_words}}

Does not::

    rules:
      - {id: a, category: suspend, priority: 20, when: {field: description, mentions: suspend_words}}
      - {id: b, category: reduce, priority: 10, when: {field: description, mentions: reduce_words}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from .base import Check, CheckContext, Issue, register_check
from .overlap import overlap_issue


@register_check
class TextOverlap(Check):
    code: ClassVar[str] = "BR402"
    name: ClassVar[str] = "text-overlap"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        for o in ctx.analysis.overlaps:
            if o.combined_text:
                yield overlap_issue(ctx, o, self.code)
