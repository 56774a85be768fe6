"""The decision log: one JSON line per decision, personal data masked.

Each line carries the time, the service's request id, the request's own id, the route, the
pack (id, version, digest), the status, the category, the deciding rules, the latency and the
request itself: with ``mask`` (the default) the values of the fields the pack marks
``personal`` are written as ``***`` and identity-card, phone and bank-card numbers in every
other value are masked (:mod:`bizroute.masking`). Lines are appended with one ``write`` each
(``O_APPEND``), so the workers of one service can share the file.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

from ..decision import Decision
from ..engine import Pack
from ..masking import mask_request, mask_text
from ..output import json_line


class DecisionLog:
    """Appends decision lines to ``path`` (``-``: standard output)."""

    def __init__(self, path: str, *, mask: bool = True) -> None:
        self.path = path
        self.mask = mask
        if path == "-":
            self.fd = sys.stdout.fileno()
            self._owned = False
        else:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self._owned = True
        self._personal: tuple[Pack | None, frozenset[str]] = (None, frozenset())

    def personal_fields(self, pack: Pack) -> frozenset[str]:
        cached_pack, fields = self._personal
        if cached_pack is not pack:
            fields = frozenset(p for p, spec in pack.fields.items() if spec.personal)
            self._personal = (pack, fields)
        return fields

    def entry(self, *, request_id: str, route: str, pack: Pack, decision: Decision,
              request: Any, seconds: float, record: int | None = None) -> dict[str, Any]:
        """The line's content (for tests and for :meth:`write`)."""
        if self.mask:
            request = mask_request(request, self.personal_fields(pack))
        error = decision.error
        if error is not None and self.mask:
            error = {**error, "message": mask_text(str(error.get("message")))}
        return {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id, "id": decision.request_id, "route": route,
            "record": record,
            "pack": {"id": pack.id, "version": pack.version, "digest": pack.digest},
            "status": decision.status, "category": decision.category_id,
            "rules": [r.id for r in decision.rules], "latency_ms": round(seconds * 1000, 3),
            "request": request, "error": error,
        }

    def write(self, **fields: Any) -> None:
        line = json_line(self.entry(**fields))
        while line:  # one write in practice; a partial write is finished, never lost
            line = line[os.write(self.fd, line):]

    def close(self) -> None:
        if self._owned:
            os.close(self.fd)
