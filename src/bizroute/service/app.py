"""The HTTP application: a plain ASGI callable, its routes and their handlers.

Each handler takes the pack once (``holder.pack``) and uses that object to the end, so a
reload never changes the pack under a request. Decisions are made by :meth:`Pack.classify`
(batches by :func:`bizroute.batch.classify_records`) and written by the same
:class:`~bizroute.output.JsonlWriter` as ``bizroute classify --format jsonl``. Every error is
a :class:`~bizroute.service.problems.Problem` (problem JSON); anything unexpected is logged
and answered as a 500 problem without a traceback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hmac
import io
import itertools
import logging
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from ..batch import classify_records, without_plan
from ..decision import Decision
from ..engine import Pack
from ..errors import InputError
from ..holder import PackHolder, ReloadResult
from ..masking import mask_text
from ..output import JsonlWriter, render_text
from ..readers import ReadError, detect_encoding, detect_format, read_records
from ..workflow import to_json, to_mermaid
from .config import ServiceConfig
from .decision_log import DecisionLog
from .metrics import Metrics, SnapshotFiles, merge, render
from .openapi import openapi_document
from .problems import Problem

log = logging.getLogger("bizroute.service")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Answer = tuple[int, bytes, bytes]  # status, body, content type

JSON = b"application/json"
NDJSON = b"application/x-ndjson"
TEXT = b"text/plain; charset=utf-8"
PROBLEM = b"application/problem+json"
HTML = b"text/html; charset=utf-8"
PDF = b"application/pdf"
METRICS = b"text/plain; version=0.0.4; charset=utf-8"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class Options:
    explain: bool
    plan: bool
    as_of: dt.date | None


class Request:
    """What a handler sees of one HTTP request."""

    __slots__ = ("_query", "headers", "method", "path", "receive", "request_id", "scope")

    def __init__(self, scope: Scope, receive: Receive, request_id: str) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers: dict[bytes, bytes] = dict(scope["headers"])
        self.request_id = request_id
        self._query: dict[str, list[str]] | None = None

    def param(self, name: str) -> str | None:
        if self._query is None:
            raw = self.scope.get("query_string", b"")
            self._query = parse_qs(raw.decode("latin-1"), keep_blank_values=True) if raw else {}
        values = self._query.get(name)
        return values[-1] if values else None

    def flag(self, name: str, default: bool) -> bool:
        value = self.param(name)
        if value is None:
            return default
        if value.lower() in _TRUE or value == "":
            return True
        if value.lower() in _FALSE:
            return False
        raise Problem("invalid-parameter", f"{name} must be true or false, got {value[:40]!r}",
                      parameter=name)

    def day(self, name: str) -> dt.date | None:
        value = self.param(name)
        if value is None or value == "":
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise Problem("invalid-parameter", f"{name} must be a date (YYYY-MM-DD), got "
                          f"{mask_text(value[:40])!r}", parameter=name) from None

    def options(self, *, explain: bool = False, plan: bool = False) -> Options:
        return Options(self.flag("explain", explain), self.flag("plan", plan), self.day("as_of"))

    async def body(self, limit: int) -> bytes:
        """The whole body; a 413 problem as soon as it is known to pass ``limit`` bytes."""
        declared = self.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                if size == 0 and declared not in (None, b"0") and b"upgrade" in self.headers:
                    # uvicorn stops reading at an h2c upgrade offer (Java's HttpClient and
                    # curl --http2 make one): the body is lost, say so instead of "empty"
                    raise Problem("upgrade-not-supported", "the request offered an HTTP/2 "
                                  "upgrade (Upgrade: h2c), which drops its body here: send "
                                  "HTTP/1.1 (Java: HttpClient.Version.HTTP_1_1; curl: "
                                  "--http1.1)")
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def utf8(self, body: bytes) -> bytes:
        """The body as UTF-8: in the charset the content type names, else UTF-8 (a BOM is
        dropped) or GB18030 when it is not UTF-8."""
        ctype = self.headers.get(b"content-type", b"").decode("latin-1").lower()
        match = re.search(r"charset=\"?([\w.:-]+)", ctype)
        charset = match.group(1) if match else None
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
        if charset in (None, "utf-8", "utf8"):
            if charset is None and detect_encoding(body[:65536]) == "gb18030":
                charset = "gb18030"
            else:
                return body
        try:
            return body.decode(charset).encode()
        except LookupError:
            raise Problem("unsupported-charset", f"unknown charset {charset!r}") from None
        except UnicodeDecodeError as exc:
            raise Problem("invalid-json", f"the body is not valid {charset} text "
                          f"(byte {exc.start + 1})") from None


class _ClientGone(Exception):
    """The client closed the connection before sending the whole body."""


def _too_large(limit: int) -> Problem:
    return Problem("body-too-large", f"the body is larger than {limit:,} bytes", limit=limit)


def json_object(body: bytes) -> dict[str, Any]:
    """One request from a body: a 400 for bad JSON, a 422 for JSON that is not an object."""
    if not body.strip():
        raise Problem("empty-body", "the body is empty: send one request as a JSON object")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem("invalid-json", f"invalid JSON at line {exc.lineno}, column {exc.colno}: "
                      f"{exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(data), "a number")
        raise Problem("not-an-object", f"a request must be a JSON object, got {kind}")
    return data


class Service:
    """Everything the application needs: settings, the pack holder, metrics, logs."""

    def __init__(self, config: ServiceConfig, holder: PackHolder, *, worker: int = 0,
                 metrics_dir: str | None = None, supervisor: int | None = None) -> None:
        self.config = config
        self.holder = holder
        self.worker = worker
        self.supervisor = supervisor  # the pid that fans reloads out to the other workers
        self.metrics = Metrics()
        self.snapshots = SnapshotFiles(metrics_dir, worker) if metrics_dir else None
        self.decision_log = DecisionLog(config.decision_log, mask=config.mask) \
            if config.decision_log else None
        # one writer per explain setting, used on the event loop's thread only
        self.writers = {e: JsonlWriter(io.BytesIO(), explain=e) for e in (False, True)}
        self.ids = itertools.count(1)
        self.id_prefix = f"{os.getpid():x}-"
        self.reload_lock = asyncio.Lock()
        self.stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- reloading

    async def reload(self, trigger: str) -> ReloadResult:
        """Reload the pack off the event loop (the old pack serves meanwhile); log it."""
        async with self.reload_lock:
            result = await asyncio.to_thread(self.holder.reload)
        fields: dict[str, Any] = {"event": "reload", "trigger": trigger, "ok": result.ok,
                                  "path": result.path, "worker": self.worker}
        if result.offered:
            fields["offered"] = "/".join(result.offered)
        if result.ok:
            log.info("pack reloaded", extra={"fields": fields})
        else:
            fields.update(reason=result.reason, errors=len(result.errors),
                          findings=[f.format() for f in result.errors[:5]],
                          serving=self.holder.pack.digest)
            log.error("pack refused, the old pack keeps serving", extra={"fields": fields})
        return result

    def reload_soon(self, trigger: str) -> None:
        task = asyncio.get_running_loop().create_task(self.reload(trigger))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pack_snapshot(self) -> dict[str, Any]:
        pack, holder = self.holder.pack, self.holder
        return {"id": pack.id, "version": pack.version, "digest": pack.digest,
                "loaded_at": holder.loaded_at.timestamp(), "reloads_ok": holder.reloads_ok,
                "reloads_failed": holder.reloads_failed}

    def write_snapshot(self) -> None:
        if self.snapshots is not None:
            self.snapshots.write(self.metrics.snapshot(self.pack_snapshot()))

    # --- logging decisions

    def record(self, request: Request, route: str, pack: Pack, decision: Decision, data: Any,
               started: float, record: int | None = None) -> None:
        self.metrics.decision(decision.status, decision.category_id)
        if self.decision_log is not None:
            self.decision_log.write(request_id=request.request_id, route=route, pack=pack,
                                    decision=decision, request=data,
                                    seconds=time.perf_counter() - started, record=record)


# --- handlers ------------------------------------------------------------------------------------


def _decision(pack: Pack, data: dict[str, Any], options: Options) -> Decision:
    try:
        decision = pack.classify(data, options.as_of, explain=options.explain)
    except InputError as exc:
        raise Problem("request-does-not-fit", mask_text(exc.reason), field=exc.field) from None
    if not options.plan and decision.plan is not None:
        decision = without_plan(decision)  # as the CLI: shown on request only
    return decision


async def classify(service: Service, request: Request, started: float) -> Answer:
    options = request.options()
    data = json_object(request.utf8(await request.body(service.config.max_body)))
    pack = service.holder.pack
    decision = _decision(pack, data, options)
    body = service.writers[options.explain].line(None, decision)
    service.record(request, "/v1/classify", pack, decision, data, started)
    return 200, body, JSON


async def explain(service: Service, request: Request, started: float) -> Answer:
    options = request.options(explain=True, plan=True)
    fmt = request.param("format") or "json"
    if fmt not in ("json", "text"):
        raise Problem("invalid-parameter", f"format must be json or text, got {fmt[:40]!r}",
                      parameter="format")
    data = json_object(request.utf8(await request.body(service.config.max_body)))
    pack = service.holder.pack
    decision = _decision(pack, data, options)
    service.record(request, "/v1/explain", pack, decision, data, started)
    if fmt == "text":
        return 200, render_text(decision, None, explain=options.explain).encode(), TEXT
    return 200, service.writers[options.explain].line(None, decision), JSON


#: the longest text a notice takes from a query parameter (office, contact, reference)
NOTICE_TEXT_LIMIT = 200


async def notice(service: Service, request: Request, started: float) -> Answer:
    """The one-time notice (一次性告知书) of one decided request: HTML for A4, or PDF printed
    by headless Chromium (``format=pdf``), as ``bizroute notice`` writes it."""
    from ..pages.chromium import BrowserError, print_pdf
    from ..pages.notice import NotDecided, render_notice

    options = request.options(plan=True)
    fmt = request.param("format") or "html"
    if fmt not in ("html", "pdf"):
        raise Problem("invalid-parameter", f"format must be html or pdf, got {fmt[:40]!r}",
                      parameter="format")
    texts: dict[str, str | None] = {}
    for name in ("office", "contact", "reference"):
        value = request.param(name)
        if value is not None and len(value) > NOTICE_TEXT_LIMIT:
            raise Problem("invalid-parameter", f"{name} is longer than {NOTICE_TEXT_LIMIT} "
                          "characters", parameter=name)
        texts[name] = value or None
    issued = request.day("date")
    data = json_object(request.utf8(await request.body(service.config.max_body)))
    pack = service.holder.pack
    decision = _decision(pack, data, options)
    service.record(request, "/v1/notice", pack, decision, data, started)
    try:
        html = render_notice(pack, decision, issued=issued, **texts)
    except NotDecided as exc:
        raise Problem("not-decided", mask_text(str(exc)), decision_status=decision.status,
                      questions=[q.field for q in decision.questions] or None) from None
    if fmt == "html":
        return 200, html.encode("utf-8"), HTML
    try:  # a browser per print, off the event loop
        pdf = await asyncio.to_thread(print_pdf, html)
    except BrowserError as exc:
        raise Problem("pdf-unavailable", str(exc)) from None
    return 200, pdf, PDF


def _masked_error(decision: Decision) -> Decision:
    """An error decision whose message cannot echo personal numbers, its position naming the
    body rather than standard input."""
    error = decision.error
    assert error is not None
    position = error.get("position")
    if isinstance(position, str) and position.startswith("<stdin>"):
        position = "body" + position[len("<stdin>"):]
    return dataclasses.replace(decision, error={
        **error, "message": mask_text(str(error.get("message"))), "position": position})


Classified = list[tuple[bytes, Decision, Any, int]]  # line, decision, request, record number


def _classify_batch(pack: Pack, body: bytes, kind: str, options: Options,
                    limit: int) -> Classified:
    """The batch's decisions and lines (run in a thread: a large batch must not hold up the
    event loop; the metrics and the decision log are written back on the loop)."""
    try:
        records = list(read_records("-", kind, "utf-8",  # type: ignore[arg-type]
                                    stdin=io.BytesIO(body)))
    except ReadError:
        raise Problem("empty-body", "the body has no records: send a JSON array of requests "
                      "or JSON Lines, one request a line") from None
    if len(records) > limit:
        raise Problem("too-many-records", f"the batch has {len(records):,} records; at most "
                      f"{limit:,} are accepted", limit=limit)
    writer = JsonlWriter(io.BytesIO(), explain=options.explain)  # its own: another thread
    out = []
    for record, decision in classify_records(pack, records, options.as_of,
                                             explain=options.explain):
        if not options.plan and decision.plan is not None:
            decision = without_plan(decision)
        if decision.error is not None:
            decision = _masked_error(decision)
        out.append((writer.line(record, decision), decision, record.data, record.index))
    return out


async def classify_batch(service: Service, request: Request, started: float) -> Answer:
    options = request.options()
    body = request.utf8(await request.body(service.config.max_batch_bytes))
    ctype = request.headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if ctype in (b"application/x-ndjson", b"application/jsonl", b"application/json-lines",
                 b"application/jsonlines", b"application/x-jsonlines"):
        kind = "jsonl"
    else:  # a JSON array, one object, or JSON Lines: told apart by the content
        kind = "jsonl" if detect_format("", body[:65536]) == "jsonl" else "json"
    pack = service.holder.pack
    results = await asyncio.to_thread(_classify_batch, pack, body, kind, options,
                                      service.config.max_batch_records)
    for _line, decision, data, index in results:
        service.record(request, "/v1/classify/batch", pack, decision, data, started, index)
    lines = [line for line, *_ in results]
    accept = request.headers.get(b"accept", b"")
    if b"ndjson" in accept or b"jsonl" in accept or (kind == "jsonl" and b"json" not in accept):
        return 200, b"".join(lines), NDJSON
    return 200, b"[" + b",".join(line[:-1] for line in lines) + b"]", JSON


async def pack_info(service: Service, request: Request, started: float) -> Answer:
    pack = service.holder.pack
    day = request.day("as_of") or dt.date.today()
    categories = []
    for cid in pack.category_ids():
        category = pack.category(cid, day)
        if category is not None:
            categories.append({"id": category.id, "name": category.name,
                               "name_en": category.name_en, "group": category.group,
                               "workflow": category.workflow})
    data = {**service.holder.status(), "worker": service.worker,
            "workers": service.config.workers, "as_of": day.isoformat(),
            "categories": categories, "workflows": sorted(pack.workflows)}
    return 200, orjson.dumps(data), JSON


async def category(service: Service, request: Request, started: float, cid: str) -> Answer:
    pack = service.holder.pack
    found = pack.category(cid, request.day("as_of"))
    if found is None:
        raise Problem("not-found", f"no category {cid[:80]!r} in force in pack {pack.id}",
                      category=cid[:80])
    data = found.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["documents"] = [{"id": d.id, "name": pack.documents[d.id].name if d.id in
                          pack.documents else None, **({"note": d.note} if d.note else {}),
                          **({"conditional": True} if d.when is not None else {})}
                         for d in found.document_requirements()]
    return 200, orjson.dumps(data), JSON


async def workflow(service: Service, request: Request, started: float, wid: str) -> Answer:
    fmt = request.param("format") or "json"
    if fmt not in ("json", "mermaid"):
        raise Problem("invalid-parameter", f"format must be json or mermaid, got {fmt[:40]!r}",
                      parameter="format")
    pack = service.holder.pack
    try:
        graph = pack.workflow(wid, request.day("as_of"))
    except KeyError:
        raise Problem("not-found", f"no workflow {wid[:80]!r} in force in pack {pack.id}",
                      workflow=wid[:80]) from None
    if fmt == "mermaid":
        return 200, to_mermaid(graph).encode(), TEXT
    return 200, to_json(graph).encode(), JSON


async def healthz(service: Service, request: Request, started: float) -> Answer:
    return 200, b'{"status":"ok"}', JSON


async def readyz(service: Service, request: Request, started: float) -> Answer:
    if service.stopping:
        raise Problem("unavailable", "the service is shutting down")
    pack = service.holder.pack
    return 200, orjson.dumps({"status": "ready", "pack": {
        "id": pack.id, "version": pack.version, "digest": pack.digest}}), JSON


async def metrics(service: Service, request: Request, started: float) -> Answer:
    own = service.metrics.snapshot(service.pack_snapshot())
    others = service.snapshots.others() if service.snapshots is not None else []
    return 200, render(merge([own, *others])).encode(), METRICS


async def openapi(service: Service, request: Request, started: float) -> Answer:
    return 200, orjson.dumps(openapi_document()), JSON


async def admin_reload(service: Service, request: Request, started: float) -> Answer:
    token = service.config.admin_token
    if token is None:
        raise Problem("not-found", "the admin endpoints are off: start the service with "
                      "BIZROUTE_ADMIN_TOKEN set or --admin-token-file")
    given = request.headers.get(b"authorization", b"")
    scheme, _, value = given.partition(b" ")
    if scheme.lower() != b"bearer" or not hmac.compare_digest(value.strip(), token.encode()):
        raise Problem("unauthorized", "send the admin token as 'Authorization: Bearer TOKEN'",
                      headers={"www-authenticate": 'Bearer realm="bizroute"'})
    await request.body(service.config.max_body)  # nothing is read from it
    result = await service.reload("admin")
    if result.ok and service.supervisor is not None:
        os.kill(service.supervisor, signal.SIGUSR1)  # the supervisor reloads the others
    if not result.ok:
        pack = service.holder.pack
        raise Problem("pack-refused", f"the pack at {result.path} was refused: "
                      f"{result.reason}", reload=result.to_dict(), serving={
                          "id": pack.id, "version": pack.version, "digest": pack.digest})
    return 200, orjson.dumps({"reload": result.to_dict(), "pack": service.holder.status()}), JSON


Handler = Callable[..., Awaitable[Answer]]

#: (path, method) → handler; the paths with a parameter are in :data:`PREFIXES`
ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/classify": {"POST": classify},
    "/v1/classify/batch": {"POST": classify_batch},
    "/v1/explain": {"POST": explain},
    "/v1/notice": {"POST": notice},
    "/v1/pack": {"GET": pack_info},
    "/v1/admin/reload": {"POST": admin_reload},
    "/healthz": {"GET": healthz},
    "/readyz": {"GET": readyz},
    "/metrics": {"GET": metrics},
    "/openapi.json": {"GET": openapi},
}
PREFIXES: dict[str, tuple[str, dict[str, Handler]]] = {
    "/v1/categories/": ("/v1/categories/{id}", {"GET": category}),
    "/v1/workflows/": ("/v1/workflows/{id}", {"GET": workflow}),
}


def _route(path: str) -> tuple[str, dict[str, Handler], tuple[str, ...]]:
    """The route template, its handlers by method and the path parameters."""
    methods = ROUTES.get(path)
    if methods is not None:
        return path, methods, ()
    for prefix, (template, handlers) in PREFIXES.items():
        if path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix):]:
            return template, handlers, (path[len(prefix):],)
    return "other", {}, ()


class App:
    """The ASGI application."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        from .server import on_shutdown, on_startup

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await on_startup(self.service)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await on_shutdown(self.service)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        service = self.service
        given = dict(scope["headers"]).get(b"x-request-id")
        text = given.decode("latin-1") if given else ""
        request_id = text if _REQUEST_ID.match(text) else \
            f"{service.id_prefix}{next(service.ids)}"
        path = scope["path"]
        method = scope["method"]
        template, methods, params = _route(path)
        extra: dict[str, str] = {}
        service.metrics.in_flight += 1
        try:
            handler = methods.get("GET" if method == "HEAD" else method)
            if handler is None:
                if methods:
                    allowed = ", ".join(sorted(methods))
                    raise Problem("method-not-allowed", f"{path} takes {allowed}",
                                  headers={"allow": allowed})
                raise Problem("not-found", f"no route {path[:200]!r}; the routes are listed "
                              "at /openapi.json")
            status, body, ctype = await handler(service, Request(scope, receive, request_id),
                                                started, *params)
        except Problem as problem:
            status, body, ctype = problem.status, problem.body(path, request_id), PROBLEM
            extra = problem.headers
        except _ClientGone:
            service.metrics.in_flight -= 1
            service.metrics.observe(template, method, 499, time.perf_counter() - started)
            return
        except Exception as exc:
            log.exception("internal error", extra={"fields": {
                "event": "internal-error", "route": template, "request_id": request_id,
                "error": type(exc).__name__}})
            internal = Problem("internal-error", "the service failed on this request; it is "
                               "logged under this request id")
            status, body, ctype = 500, internal.body(path, request_id), PROBLEM
        headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                   (b"x-request-id", request_id.encode())]
        headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
        service.metrics.in_flight -= 1
        service.metrics.observe(template, method, status, time.perf_counter() - started)
