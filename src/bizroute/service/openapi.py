"""The OpenAPI 3.1 document the service serves at ``GET /openapi.json``."""

from __future__ import annotations

import functools
from typing import Any

from .._version import __version__
from .problems import TITLES, TYPE_PREFIX


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problems(*codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        status, title = TITLES[code]
        entry = out.setdefault(str(status), {"description": "", "content": {
            "application/problem+json": {"schema": _ref("Problem")}}})
        entry["description"] = "; ".join(filter(None, [entry["description"],
                                                       f"{title} ({code})"]))
    return out


_OPTIONS = [
    {"name": "explain", "in": "query", "schema": {"type": "boolean", "default": False},
     "description": "Include the explanation: why, and why not the near alternatives."},
    {"name": "plan", "in": "query", "schema": {"type": "boolean", "default": False},
     "description": "Include the routing plan: steps, deadlines, critical path."},
    {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "Apply the rules in force on this date (default: the request's "
                    "received_at, else today)."},
]
_AS_OF = [_OPTIONS[2]]
_REQUEST_BODY = {"required": True, "content": {"application/json": {
    "schema": _ref("ServiceRequest"),
    "example": {"id": "GT-0002", "description": "新房交房，要装个电表",
                "customer": {"type": "residential"}, "supply": {"capacity_kva": 8},
                "documents_presented": ["id_card"]}}}}
_DECISION = {"200": {"description": "The decision (docs/decisions.md)",
                     "content": {"application/json": {"schema": _ref("Decision")}}}}
_BAD_REQUEST = ("invalid-json", "invalid-parameter", "empty-body", "body-too-large",
                "unsupported-charset", "not-an-object", "request-does-not-fit")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": schema}}}}


@functools.cache
def openapi_document() -> dict[str, Any]:
    any_object = {"type": "object", "additionalProperties": True}
    paths: dict[str, Any] = {
        "/v1/classify": {"post": {
            "summary": "Classify one request", "operationId": "classify",
            "parameters": _OPTIONS, "requestBody": _REQUEST_BODY,
            "responses": {**_DECISION, **_problems(*_BAD_REQUEST)}}},
        "/v1/classify/batch": {"post": {
            "summary": "Classify many requests: N in, N decisions out, in order",
            "description": "A JSON array of requests, or JSON Lines (one request a line). A "
                           "record that cannot be read or classified gets an error decision "
                           "in its place. The answer is JSON Lines for JSON Lines in (or "
                           "`Accept: application/x-ndjson`), else a JSON array.",
            "operationId": "classifyBatch", "parameters": _OPTIONS,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "array",
                                                "items": _ref("ServiceRequest")}},
                "application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "One decision per record, each with "
                                                 "`record` (index, line)",
                                  "content": {
                                      "application/json": {"schema": {
                                          "type": "array", "items": _ref("Decision")}},
                                      "application/x-ndjson": {"schema": {"type": "string"}}}},
                          **_problems("invalid-parameter", "empty-body", "body-too-large",
                                      "too-many-records", "unsupported-charset")}}},
        "/v1/explain": {"post": {
            "summary": "One request's decision with its explanation and plan",
            "operationId": "explain",
            "parameters": [*_AS_OF, {"name": "format", "in": "query", "schema": {
                "type": "string", "enum": ["json", "text"], "default": "json"},
                "description": "text: as `bizroute explain` prints it"}],
            "requestBody": _REQUEST_BODY,
            "responses": {**_DECISION, **_problems(*_BAD_REQUEST)}}},
        "/v1/notice": {"post": {
            "summary": "One decided request's one-time notice (一次性告知书): HTML for A4, or PDF",
            "operationId": "notice",
            "parameters": [*_AS_OF, {"name": "format", "in": "query", "schema": {
                "type": "string", "enum": ["html", "pdf"], "default": "html"},
                "description": "pdf: printed with headless Chromium"},
                *({"name": name, "in": "query", "schema": {"type": "string", "maxLength": 200},
                   "description": text} for name, text in (
                    ("office", "where to bring the documents (the hall's name and address)"),
                    ("contact", "whom to ask (a clerk, a telephone number)"),
                    ("reference", "the notice's reference number (default: BR-date-digest)"))),
                {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "the notice's date (default: today)"}],
            "requestBody": _REQUEST_BODY,
            "responses": {"200": {"description": "The notice", "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                **_problems(*_BAD_REQUEST, "not-decided", "pdf-unavailable")}}},
        "/v1/pack": {"get": {
            "summary": "The pack in service: id, version, digest, loaded at, categories, "
                       "reloads and the last refused one", "operationId": "pack",
            "parameters": _AS_OF, "responses": _json(_ref("PackStatus"), "The pack")}},
        "/v1/categories/{id}": {"get": {
            "summary": "A category as the pack defines it (the version in force)",
            "operationId": "category",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}, *_AS_OF],
            "responses": {**_json(any_object, "The category"), **_problems("not-found")}}},
        "/v1/workflows/{id}": {"get": {
            "summary": "A workflow graph (JSON) or diagram (Mermaid)",
            "operationId": "workflow",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}, *_AS_OF,
                           {"name": "format", "in": "query", "schema": {
                               "type": "string", "enum": ["json", "mermaid"],
                               "default": "json"}}],
            "responses": {"200": {"description": "The workflow", "content": {
                "application/json": {"schema": any_object},
                "text/plain": {"schema": {"type": "string"}}}},
                **_problems("not-found", "invalid-parameter")}}},
        "/v1/admin/reload": {"post": {
            "summary": "Reload the pack from its directory (off unless an admin token is set)",
            "operationId": "reload", "security": [{"adminToken": []}],
            "responses": {**_json(any_object, "The new pack is in service"),
                          **_problems("unauthorized", "not-found", "pack-refused")}}},
        "/healthz": {"get": {"summary": "The process is alive", "operationId": "healthz",
                             "responses": _json(any_object, "Alive")}},
        "/readyz": {"get": {"summary": "A pack is loaded and serving", "operationId": "readyz",
                            "responses": {**_json(any_object, "Ready"),
                                          **_problems("unavailable")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics (text format 0.0.4)",
                             "operationId": "metrics",
                             "responses": {"200": {"description": "Metrics", "content": {
                                 "text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                  "responses": _json(any_object, "OpenAPI 3.1")}},
    }
    schemas = {
        "ServiceRequest": {
            "type": "object", "additionalProperties": True,
            "description": "A service request: the pack's declared fields, nested "
                           "(`customer.type` as {\"customer\": {\"type\": ...}}) or as flat "
                           "dotted keys; `id` is echoed as `request_id`.",
            "properties": {"id": {"type": "string"}, "description": {"type": "string"},
                           "received_at": {"type": "string"}}},
        "Decision": {
            "type": "object", "additionalProperties": True,
            "description": "A decision, exactly as `bizroute classify --format jsonl` writes "
                           "it (docs/decisions.md).",
            "required": ["schema", "request_id", "status", "category", "rules", "candidates",
                         "questions", "documents", "departments", "workflow", "pack", "as_of",
                         "notices"],
            "properties": {
                "schema": {"type": "integer"},
                "request_id": {"type": ["string", "null"]},
                "status": {"enum": ["decided", "ambiguous", "needs_info", "unmatched",
                                    "error"]},
                "category": {"type": ["object", "null"]},
                "rules": {"type": "array"}, "candidates": {"type": "array"},
                "questions": {"type": "array"}, "documents": {"type": "object"},
                "departments": {"type": "array"}, "workflow": {"type": ["string", "null"]},
                "explanation": {"type": "object"}, "plan": {"type": "object"},
                "pack": {"type": "object"}, "as_of": {"type": "string", "format": "date"},
                "notices": {"type": "array"}, "error": {"type": "object"},
                "record": {"type": "object"}}},
        "PackStatus": {"type": "object", "additionalProperties": True, "properties": {
            "id": {"type": "string"}, "version": {"type": "string"},
            "digest": {"type": "string"}, "loaded_at": {"type": "string"},
            "reloads": {"type": "object"}, "last_failure": {"type": ["object", "null"]},
            "categories": {"type": "array"}}},
        "Problem": {
            "type": "object", "description": "RFC 9457 problem details; `type` is "
            f"`{TYPE_PREFIX}CODE`", "additionalProperties": True,
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                           "status": {"type": "integer"}, "detail": {"type": "string"},
                           "instance": {"type": "string"},
                           "code": {"enum": sorted(TITLES)},
                           "request_id": {"type": "string"}, "field": {"type": "string"},
                           "limit": {"type": "integer"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "bizroute decision service", "version": __version__,
                 "description": "Business-type classification and routing for service "
                                "counters over HTTP. See docs/service.md."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer"}}},
    }
