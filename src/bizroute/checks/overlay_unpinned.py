"""An overlay's operation on an object of its base records no `base_digest`.

Without the digest of its target as the overlay's authors saw it, bizroute cannot tell
(BR713) when the base changes the object under the operation. The message gives the target's
digest as it is now: copy it into the operation.

Triggers it::

    patch:
      settings:
        lv_access_max_kva: 100

Does not::

    patch:
      settings:
        lv_access_max_kva: {value: 100, base_digest: 3a7bd3e2360a}
"""

from __future__ import annotations

from typing import ClassVar

from ..findings import Severity
from ..overlay import unpinned
from ._util import ChangeFinder
from .base import Check, register_check


@register_check
class UnpinnedOperation(ChangeFinder, Check):
    code: ClassVar[str] = "BR715"
    name: ClassVar[str] = "unpinned-operation"
    severity: ClassVar[Severity] = "info"
    needs_pack: ClassVar[bool] = False
    find = staticmethod(unpinned)
