"""``bizroute serve``: the decision service over HTTP (the ``serve`` extra).

:func:`run` serves a pack with the settings of a :class:`ServiceConfig`; the modules are the
stages of a request: :mod:`.app` (routes and handlers), :mod:`.problems` (RFC 9457 errors),
:mod:`.metrics` (Prometheus), :mod:`.decision_log` (masked JSON Lines), :mod:`.openapi`, and
:mod:`.server` (uvicorn, workers, signals). docs/service.md describes the service.
"""

from __future__ import annotations

from .config import ServiceConfig
from .server import run

__all__ = ["ServiceConfig", "run"]
