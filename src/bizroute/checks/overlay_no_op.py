"""An overlay replaces or patches something with what its base already has.

Such an operation changes nothing today and hides the base's later changes: when the base
changes the value, the overlay silently turns it back. Remove the operation; a deviation that
is meant to stay whatever the base does is better written down where it is decided.

Triggers it::

    patch:
      settings:
        lv_access_max_kva: 160    # the base has 160 already

Does not::

    patch:
      settings:
        lv_access_max_kva: 100
"""

from __future__ import annotations

from typing import ClassVar

from ..findings import Severity
from ..overlay import no_ops
from ._util import ChangeFinder
from .base import Check, register_check


@register_check
class NoOpOperation(ChangeFinder, Check):
    code: ClassVar[str] = "BR712"
    name: ClassVar[str] = "no-op-operation"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False
    find = staticmethod(no_ops)
