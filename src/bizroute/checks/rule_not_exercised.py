"""A rule no example case exercises.

Coverage: a rule counts as exercised when some case's decision names it as deciding. Rules
without a case can change meaning unnoticed when the pack is edited; `bizroute test
--min-coverage` turns the share into a gate.

Triggers it::

    rules:
      - {id: rename.words, category: rename, when: {field: description, mentions: rename_words}}
    # tests/: no case decided by rename.words

Does not::

    # tests/cases.yaml
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
class RuleNotExercised(Check):
    code: ClassVar[str] = "BR504"
    name: ClassVar[str] = "rule-not-exercised"
    severity: ClassVar[Severity] = "info"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        for loc in not_covered(ctx, "rules"):
            yield Issue(f"no example case is decided by rule {loc.obj.id!r}", loc, ("id",))
