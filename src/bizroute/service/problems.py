"""Problem details (RFC 9457): the JSON body of every error the service answers with.

A handler raises :class:`Problem`; the application turns it into a response with
``Content-Type: application/problem+json``. The ``type`` of each problem is
``urn:bizroute:problem:CODE``, with the codes listed in :data:`TITLES` (docs/service.md).
"""

from __future__ import annotations

from typing import Any

import orjson

TYPE_PREFIX = "urn:bizroute:problem:"

#: code → (HTTP status, title)
TITLES: dict[str, tuple[int, str]] = {
    "invalid-json": (400, "The body is not valid JSON"),
    "invalid-parameter": (400, "A query parameter is not valid"),
    "empty-body": (400, "The body is empty"),
    "upgrade-not-supported": (400, "HTTP/2 upgrade (h2c) is not supported; use HTTP/1.1"),
    "unauthorized": (401, "A valid admin token is required"),
    "not-found": (404, "No such resource"),
    "method-not-allowed": (405, "Method not allowed"),
    "body-too-large": (413, "The body is larger than the service accepts"),
    "too-many-records": (413, "The batch has more records than the service accepts"),
    "unsupported-charset": (415, "The body's character set is not supported"),
    "not-an-object": (422, "A request must be a JSON object"),
    "request-does-not-fit": (422, "The request does not fit the pack's fields"),
    "pack-refused": (422, "The rule pack was refused; the pack in service is unchanged"),
    "not-decided": (422, "The request is not decided: there is no notice to give yet"),
    "internal-error": (500, "Internal error"),
    "unavailable": (503, "The service is shutting down"),
    "pdf-unavailable": (503, "PDF printing is not available on this server (no browser)"),
}


class Problem(Exception):
    """An error answered as problem JSON. ``extra`` members are added to the body
    (``field``, ``record``, ``limit`` ...); ``headers`` to the response."""

    def __init__(self, code: str, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.status, self.title = TITLES[code]
        self.detail = detail
        self.extra = extra
        self.headers = headers or {}

    def body(self, instance: str, request_id: str) -> bytes:
        data: dict[str, Any] = {"type": TYPE_PREFIX + self.code, "title": self.title,
                                "status": self.status, "detail": self.detail,
                                "instance": instance, "code": self.code,
                                "request_id": request_id}
        data.update({k: v for k, v in self.extra.items() if v is not None})
        return orjson.dumps(data)
