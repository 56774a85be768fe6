"""Two overlays of one stack set the same field of the same object.

In a stack (a city's overlay on its province's overlay on the national pack) the upper
overlay wins. When both set one field, the lower overlay's deviation is silently overridden,
like two OPA bundles claiming one root. The message names both operations; remove the one
that is not meant, or keep the override knowingly.

Triggers it::

    # province/pack.yaml
    patch: {settings: {lv_access_max_kva: 100}}
    # city/pack.yaml, which extends the province
    patch: {settings: {lv_access_max_kva: 200}}

Does not::

    # city/pack.yaml, which extends the province
    patch: {rules: [{id: fault_repair.words, priority: 110}]}
"""

from __future__ import annotations

from typing import ClassVar

from ..findings import Severity
from ..overlay import overlaps
from ._util import ChangeFinder
from .base import Check, register_check


@register_check
class OverlayOverlap(ChangeFinder, Check):
    code: ClassVar[str] = "BR714"
    name: ClassVar[str] = "overlay-overlap"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False
    find = staticmethod(overlaps)
