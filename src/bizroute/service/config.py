"""The service's settings, with their defaults (the options of ``bizroute serve``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The environment variable that holds the admin token (``POST /v1/admin/reload``).
TOKEN_ENV = "BIZROUTE_ADMIN_TOKEN"


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    pack: str | None = None  # the pack directory; None: the built-in pack
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port (the log says which)
    workers: int = 1
    #: the largest body of a single request (classify, explain), bytes
    max_body: int = 1 << 20
    #: the largest batch body, bytes, and the most records in one batch
    max_batch_bytes: int = 16 << 20
    max_batch_records: int = 10_000
    #: the admin token; None: the admin endpoints are off
    admin_token: str | None = None
    watch: bool = False  # reload when a file of the pack changes
    decision_log: str | None = None  # a JSON Lines file, "-" for stdout; None: no log
    mask: bool = True  # mask personal data in the decision log
    check: bool = True  # run every check of `bizroute check` before accepting a pack
    graceful_timeout: float = 30.0  # seconds in-flight requests get on SIGTERM (rounded up)
    log_level: str = "info"
    proxy_headers: bool = False  # trust X-Forwarded-For / -Proto from forwarded_allow_ips
    forwarded_allow_ips: str = "127.0.0.1"


def read_token(token_file: str | None) -> str | None:
    """The admin token: from ``token_file`` (first line) or the environment, else ``None``.

    Raises ``ValueError`` for an unreadable or empty file (the message names the file only).
    """
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the admin token file {token_file}: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
        if not token:
            raise ValueError(f"the admin token file {token_file} is empty")
        return token
    return os.environ.get(TOKEN_ENV) or None
