"""A document in the catalogue that no category asks for.

Either a category forgot to list it (and customers are not told to bring it), or it is left
over. Documents named in a `contains` test count as used.

Triggers it::

    documents:
      - {id: id_card, name: 居民身份证}
      - {id: old_form, name: 旧版申请表}
    categories:
      - {id: rename, documents: [id_card], ...}

Does not::

    documents:
      - {id: id_card, name: 居民身份证}
    categories:
      - {id: rename, documents: [id_card], ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ._util import conditions
from .base import Check, CheckContext, Issue, register_check


@register_check
class UnusedDocument(Check):
    code: ClassVar[str] = "BR407"
    name: ClassVar[str] = "unused-document"
    severity: ClassVar[Severity] = "warning"

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        used = self.used(ctx)
        for loc in ctx.source.entries["documents"]:
            if loc.obj.id not in used:
                yield Issue(f"document {loc.obj.id!r} is not used anywhere in the pack", loc, ("id",))

    @staticmethod
    def used(ctx: CheckContext) -> set[str]:
        out = {req.id for loc in ctx.source.entries["categories"]
               for req in loc.obj.document_requirements()}
        for section in ("rules", "categories", "workflows"):
            for loc in ctx.source.entries[section]:
                out.update(c.contains for c in conditions(loc.obj) if c.contains is not None)
        return out
