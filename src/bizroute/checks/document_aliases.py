"""A document alias that is another document's id, is shared by two documents, or repeats.

Aliases let a counter system send its own codes for documents (`房产证`, `不动产权证书`,
`property_certificate`); they are matched after normalisation (full-width characters, case,
spaces and traditional characters do not matter), and so are compared here. An alias that
is, once normalised, the id of another document never applies: the id wins, and a request
presenting it means that other document (an error). An alias declared by two documents makes
one code present both, which is seldom meant (a warning). An alias repeated in one document,
or equal to the document's own id, does nothing (a warning).

Triggers it::

    documents:
      - {id: property_proof, name: 房屋产权证明, aliases: [房产证, 不动产权证书]}
      - {id: property_change_proof, name: 房屋产权变更证明, aliases: [房产证]}

Does not::

    documents:
      - {id: property_proof, name: 房屋产权证明, aliases: [房产证, 不动产权证书]}
      - {id: property_change_proof, name: 房屋产权变更证明, aliases: [过户后的不动产权证]}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from ..findings import Severity
from ..textnorm import normalise
from .base import Check, CheckContext, Issue, register_check


@register_check
class DocumentAliases(Check):
    code: ClassVar[str] = "BR414"
    name: ClassVar[str] = "document-alias-conflict"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        info = ctx.source.info
        traditional = info.obj.text.traditional_to_simplified if info is not None else True

        def norm(text: str) -> str:
            return normalise(text, traditional_to_simplified=traditional)

        documents = ctx.source.entries["documents"]
        ids = {norm(loc.obj.id): loc.obj.id for loc in documents}
        owners: dict[str, str] = {}  # normalised alias -> the first document declaring it
        for loc in documents:
            doc_id = loc.obj.id
            seen: set[str] = set()
            for i, alias in enumerate(loc.obj.aliases):
                key = norm(alias)
                if not key:
                    continue  # a load error (BR103)
                if key in seen or ids.get(key) == doc_id:
                    yield Issue(f"alias {alias!r} of document {doc_id!r} repeats its id or "
                                "another of its aliases", loc, ("aliases", i))
                elif key in ids:
                    yield Issue(f"alias {alias!r} of document {doc_id!r} is the id of document "
                                f"{ids[key]!r}: a request presenting it means {ids[key]!r}",
                                loc, ("aliases", i), severity="error")
                elif key in owners and owners[key] != doc_id:
                    yield Issue(f"alias {alias!r} of document {doc_id!r} is also an alias of "
                                f"document {owners[key]!r}: a request presenting it presents "
                                "both", loc, ("aliases", i))
                seen.add(key)
                owners.setdefault(key, doc_id)
