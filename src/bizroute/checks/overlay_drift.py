"""The target of an overlay's operation changed in the base since the overlay recorded it.

A `replace`, `patch` or `remove` may record `base_digest`, the digest of its target as the
overlay's authors saw it in the base (BR715 reports the digest to record). When the base's
object changes (a national update rewrites the rule a province patched), the digest no longer
matches and the deviation needs review: it may now undo the base's change, or no longer be
needed. After the review, record the new digest the message gives.

Triggers it::

    patch:
      rules:
        - {id: fault_repair.words, base_digest: 0123456789ab, priority: 110}
    # ... and the base's rule is no longer what it was when 0123456789ab was recorded

Does not::

    patch:
      rules:
        - {id: fault_repair.words, base_digest: <the rule's digest now>, priority: 110}
"""

from __future__ import annotations

from typing import ClassVar

from ..findings import Severity
from ..overlay import drifted
from ._util import ChangeFinder
from .base import Check, register_check


@register_check
class BaseDrift(ChangeFinder, Check):
    code: ClassVar[str] = "BR713"
    name: ClassVar[str] = "base-drift"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False
    find = staticmethod(drifted)
