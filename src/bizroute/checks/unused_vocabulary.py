"""A vocabulary no `mentions` test uses.

Its terms never help to classify anything; often a rule names a different, similar vocabulary.

Triggers it::

    vocabularies:
      - {id: outage_words, terms: [停电, 没电了]}
    rules:
      - {id: fault, category: fault, when: {field: intent, eq: fault}}

Does not::

    vocabularies:
      - {id: outage_words, terms: [停电, 没电了]}
    rules:
      - {id: fault, category: fault, when: {field: description, mentions: outage_words}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ._util import conditions
from .base import Check, CheckContext, Issue, register_check


@register_check
class UnusedVocabulary(Check):
    code: ClassVar[str] = "BR409"
    name: ClassVar[str] = "unused-vocabulary"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        used = self.used(ctx)
        for loc in ctx.source.entries["vocabularies"]:
            if loc.obj.id not in used:
                yield Issue(f"vocabulary {loc.obj.id!r} is not used anywhere in the pack", loc, ("id",))

    @staticmethod
    def used(ctx: CheckContext) -> set[str]:
        out: set[str] = set()
        for section in ("rules", "categories", "workflows"):
            for loc in ctx.source.entries[section]:
                out.update(c.mentions for c in conditions(loc.obj)
                           if isinstance(c.mentions, str))
        return out
