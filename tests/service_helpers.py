"""A real ``bizroute serve`` in a subprocess on a free loopback port, and a small client."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

STARTUP_SECONDS = 60.0  # bounds, not expectations: a loaded machine may be slow
WAIT_SECONDS = 60.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.body.splitlines()]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str = ""
    port: int = 0
    logs: list[dict[str, Any]] = field(default_factory=list)
    raw_logs: list[bytes] = field(default_factory=list)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=WAIT_SECONDS)

    def call(self, method: str, path: str, body: bytes | Iterable[bytes] | None = None,
             headers: dict[str, str] | None = None, *, chunked: bool = False) -> Response:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {},
                         encode_chunked=chunked)
            response = conn.getresponse()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()},
                            response.read())
        finally:
            conn.close()

    def post(self, path: str, data: Any, **kwargs: Any) -> Response:
        body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
        return self.call("POST", path, body, {"Content-Type": "application/json",
                                              **kwargs.pop("headers", {})}, **kwargs)

    def get(self, path: str) -> Response:
        return self.call("GET", path)

    def metrics(self) -> dict[str, float]:
        """``name{labels}`` → value, from ``GET /metrics``."""
        out = {}
        for line in self.get("/metrics").body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def wait_for(self, what: str, predicate: Any) -> None:
        """Poll until ``predicate()`` holds (bounded), then return."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}) "
                                     f"waiting for {what}")
            time.sleep(0.02)

    def log_events(self, event: str) -> list[dict[str, Any]]:
        return [entry for entry in list(self.logs) if entry.get("event") == event]

    def signal(self, sig: int) -> None:
        os.kill(self.process.pid, sig)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        return self.process.wait(WAIT_SECONDS)


def _drain(server: Server, ready: threading.Event) -> None:
    assert server.process.stderr is not None
    for raw in server.process.stderr:
        server.raw_logs.append(raw)
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        server.logs.append(entry)
        if entry.get("event") == "listening":
            url = urlsplit(entry["url"])
            server.host, server.port = url.hostname or "", url.port or 0
            ready.set()
    ready.set()  # the process ended


@contextlib.contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``bizroute serve ARGS --port 0``, ready (``/readyz`` answers 200); stopped after."""
    command = [sys.executable, "-m", "bizroute", "serve", "--host", "127.0.0.1", "--port", "0",
               *args]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    server = Server(process)
    ready = threading.Event()
    drain = threading.Thread(target=_drain, args=(server, ready), daemon=True)
    drain.start()
    try:
        if not ready.wait(STARTUP_SECONDS) or not server.port:
            raise AssertionError("the server did not start: "
                                 + b"".join(server.raw_logs).decode(errors="replace")[-2000:])

        def is_ready() -> bool:
            try:
                return server.get("/readyz").status == 200
            except OSError:
                return False

        server.wait_for("readiness", is_ready)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drain.join(WAIT_SECONDS)
        assert process.stderr is not None
        process.stderr.close()
