"""A rule can never decide: rules of higher priority are true for every request it matches.

Among true rules the highest priority decides, so a rule whose requests are all caught by
higher-priority rules never contributes; usually its priority is wrong, or a higher rule is
broader than its author meant. The finding names the covering rules. Only covering rules in
force for the whole effective period of the shadowed rule are counted.

Triggers it::

    rules:
      - {id: any-fault, category: fault, priority: 20, when: {field: intent, eq: fault}}
      - {id: meter-fault, category: meter, priority: 10,
         when: {all: [{field: intent, eq: fault}, {field: description, mentions: meter_words}]}}

Does not::

    rules:
      - {id: any-fault, category: fault, priority: 10, when: {field: intent, eq: fault}}
      - {id: meter-fault, category: meter, priority: 20,
         when: {all: [{field: intent, eq: fault}, {field: description, mentions: meter_words}]}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ._util import rule_loc
from .base import Check, CheckContext, Issue, register_check


@register_check
class ShadowedRule(Check):
    code: ClassVar[str] = "BR403"
    name: ClassVar[str] = "shadowed-rule"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        assert ctx.pack is not None
        for s in ctx.analysis.shadows:
            rule = s.rule.rule
            names = ", ".join(f"{c.rule.id!r} (priority {c.rule.priority}, line {c.rule.line})"
                              for c in s.covering[:6])
            more = f" and {len(s.covering) - 6} more" if len(s.covering) > 6 else ""
            loc = rule_loc(ctx.pack, s.rule.index)
            # point at the priority when the rule sets one: that is usually what is wrong
            sub = ("priority",) if "priority" in loc.obj.model_fields_set else ("id",)
            same = all(c.rule.category == rule.category for c in s.covering)
            why = (f"; they lead to the same category {rule.category!r}, so the rule is only "
                   "redundant" if same else "")
            yield Issue(f"rule {rule.id!r} (priority {rule.priority}) never decides: every "
                        f"request it matches is matched by {names}{more}{why}", loc, sub,
                        hint="remove it" if same else
                        "raise its priority, or narrow the covering rules")
