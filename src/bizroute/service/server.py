"""Running the service: logging, the listening socket, one or several workers, signals.

One worker (the default) is one process serving with uvicorn (uvloop and httptools). With
``workers > 1`` a small supervisor binds the socket, forks the workers after loading the pack
(so a bad pack stops the start before any worker runs), and waits for signals:

* ``SIGHUP``: every worker reloads the pack (each off to the side, swapping only a good one);
* ``SIGUSR1`` (sent by the worker that answered ``POST /v1/admin/reload``): the other workers
  reload;
* ``SIGTERM`` / ``SIGINT``: every worker stops accepting, finishes its requests in flight and
  exits; the supervisor exits 0 when they all did;
* a worker that dies otherwise stops the service (exit 1), for the process manager to restart.

Logs are JSON lines on stderr (:class:`JsonFormatter`), with no request bodies, no tokens and
no personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
from typing import Any

from ..errors import PackError
from ..holder import PackHolder
from .app import App, Service
from .config import ServiceConfig

log = logging.getLogger("bizroute.service")

SNAPSHOT_SECONDS = 1.0  # how often a worker of several writes its metrics for the others


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        import orjson

        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage(), "pid": record.process,
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            # the exception's type and where it happened; its message may quote input
            import traceback

            frames = traceback.extract_tb(record.exc_info[2])
            data["exception"] = record.exc_info[0].__name__
            data["where"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-5:]]
        return orjson.dumps(data, default=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("bizroute", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # the decision log says more


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(config: ServiceConfig) -> int:
    """Serve until SIGTERM or SIGINT; the exit code (0 after a graceful stop)."""
    configure_logging(config.log_level)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the workers take it: not fatal
    try:
        holder = PackHolder(config.pack, check=config.check)
    except PackError as exc:
        for finding in exc.findings[:50]:
            log.error(finding.format(), extra={"fields": {"event": "pack-finding"}})
        log.error("the rule pack cannot be served", extra={"fields": {
            "event": "pack-refused", "path": str(config.pack or "built-in"),
            "errors": len(exc.findings) or None, "reason": None if exc.findings else str(exc)}})
        return 2
    pack = holder.pack
    log.info("pack loaded", extra={"fields": {
        "event": "pack-loaded", "pack": pack.id, "version": pack.version,
        "digest": pack.digest, "path": str(holder.path), "checked": config.check}})
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        log.error(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
                  extra={"fields": {"event": "bind-failed"}})
        return 2
    fields = {"event": "listening", "url": _url(sock), "workers": config.workers,
              "admin": config.admin_token is not None, "watch": config.watch,
              "decision_log": config.decision_log}
    if config.workers == 1:
        log.info(f"listening on {_url(sock)}", extra={"fields": fields})
        return serve_worker(config, holder, sock)
    return supervise(config, holder, sock, fields)


def serve_worker(config: ServiceConfig, holder: PackHolder, sock: socket.socket, *,
                 worker: int = 0, metrics_dir: str | None = None,
                 supervisor: int | None = None) -> int:
    """Serve on ``sock`` in this process until told to stop."""
    import uvicorn

    service = Service(config, holder, worker=worker, metrics_dir=metrics_dir,
                      supervisor=supervisor)
    uv = uvicorn.Config(
        App(service), loop=_loop(), http=_http(), lifespan="on", log_config=None,
        access_log=False, timeout_graceful_shutdown=math.ceil(config.graceful_timeout),
        server_header=False, proxy_headers=config.proxy_headers,
        forwarded_allow_ips=config.forwarded_allow_ips, workers=1)
    server = uvicorn.Server(uv)
    # uvicorn stops gracefully on SIGTERM / SIGINT, then raises the signal again with the
    # handler that was there before it: make that a no-op, so that a graceful stop exits 0
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    server.run(sockets=[sock])
    return 0 if server.started else 3


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover - the serve extra installs it where it exists
        return "asyncio"
    return "uvloop"


def _http() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover
        return "h11"
    return "httptools"


async def on_startup(service: Service) -> None:
    """Lifespan start: SIGHUP reloads, the optional file watch, metrics snapshots."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, service.reload_soon, "SIGHUP")
    if service.config.watch:
        service._tasks.add(loop.create_task(_watch(service)))
    if service.snapshots is not None:
        service._tasks.add(loop.create_task(_snapshots(service)))


async def on_shutdown(service: Service) -> None:
    service.stopping = True
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    for task in list(service._tasks):
        task.cancel()
    for task in list(service._tasks):
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    service.write_snapshot()  # the last numbers of this worker stay in the sum
    if service.decision_log is not None:
        service.decision_log.close()
    log.info("stopped", extra={"fields": {"event": "stopped", "worker": service.worker}})


async def _snapshots(service: Service) -> None:
    written = -1
    while True:
        if service.metrics.changes != written:
            written = service.metrics.changes
            service.write_snapshot()
        await asyncio.sleep(SNAPSHOT_SECONDS)


async def _watch(service: Service) -> None:
    """Reload when a file of the pack directory changes (watchfiles, debounced)."""
    from watchfiles import awatch

    async for changes in awatch(service.holder.path, debounce=500, recursive=True):
        log.info("pack files changed", extra={"fields": {
            "event": "pack-changed", "files": len(changes), "worker": service.worker}})
        await service.reload("watch")


# --- several workers -----------------------------------------------------------------------------

_SIGNALS = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGCHLD}


def supervise(config: ServiceConfig, holder: PackHolder, sock: socket.socket,
              fields: dict[str, Any]) -> int:
    """Fork ``config.workers`` workers on ``sock`` and relay signals to them."""
    metrics_dir = tempfile.mkdtemp(prefix="bizroute-metrics-")
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # taken with sigwaitinfo below
    me = os.getpid()
    workers: dict[int, int] = {}  # pid → worker index
    try:
        for index in range(config.workers):
            pid = os.fork()
            if pid == 0:  # the worker
                code = 3
                try:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
                    code = serve_worker(config, holder, sock, worker=index,
                                        metrics_dir=metrics_dir, supervisor=me)
                finally:
                    os._exit(code)
            workers[pid] = index
        log.info(f"listening on {_url(sock)}", extra={"fields": {
            **fields, "supervisor": me, "worker_pids": sorted(workers)}})
        return _relay(workers)
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _relay(workers: dict[int, int]) -> int:
    stopping = False
    code = 0
    while workers:
        info = signal.sigwaitinfo(_SIGNALS)
        sig = info.si_signo
        if sig == signal.SIGCHLD:
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                index = workers.pop(pid, None)
                exit_code = os.waitstatus_to_exitcode(status)
                if not stopping or exit_code != 0:
                    log.error("a worker exited; stopping the service", extra={"fields": {
                        "event": "worker-exited", "worker": index, "exit": exit_code}})
                    code = 1
                if not stopping:
                    stopping = True
                    _send(workers, signal.SIGTERM)
        elif sig in (signal.SIGTERM, signal.SIGINT):
            stopping = True
            log.info("stopping", extra={"fields": {"event": "stopping",
                                                   "signal": signal.Signals(sig).name}})
            _send(workers, signal.SIGTERM)
        elif sig == signal.SIGHUP:
            _send(workers, signal.SIGHUP)
        elif sig == signal.SIGUSR1:
            _send({p: i for p, i in workers.items() if p != info.si_pid}, signal.SIGHUP)
    return code


def _send(workers: dict[int, int], sig: int) -> None:
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
