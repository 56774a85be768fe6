"""A request's declared fields, read and checked: the facts the rules test.

:func:`flatten_fields` is the reference: it walks the pack's field declarations one by one
(a flat dotted key first, then the nested path), takes the common values as they are (an
enum value among its values, a finite number, non-blank text, an ISO date-time, a list of
known values) and hands anything else to :func:`bizroute.intake.coerce`, which converts it or
says why it does not fit.

:func:`compile_flattener` does the same for one pack with a function generated from its
declarations (as :mod:`dataclasses` generates ``__init__``): the fields are unrolled, so a
request costs no loop, no tuple unpacking and no dispatch on the field type. It is tested to
give exactly the reference's values and errors; requests that are not plain dicts go to the
reference.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .conditions import MISSING, TextValue
from .intake import DocumentCodes, coerce
from .models import FieldSpec

Flattener = Callable[[Mapping[str, Any]], dict[str, Any]]


class FieldPlan(NamedTuple):
    """One declared field, as the readers need it.

    ``kind`` is the field's type, except ``documents`` for a list of document codes
    (``values_from: documents``), read by ``codes``: aliases resolved, an unknown code kept
    aside for a warning instead of failing the request."""

    path: str
    parts: tuple[str, ...]
    spec: FieldSpec
    allowed: frozenset[str]
    kind: str
    codes: DocumentCodes | None = None


def flatten_fields(data: Mapping[str, Any], plan: tuple[FieldPlan, ...],
                   norm: Callable[[str], str]) -> dict[str, Any]:
    """The declared fields of ``data`` by path; raises ``InputError`` for a value that does
    not fit its declaration."""
    values: dict[str, Any] = {}
    for path, parts, spec, allowed, kind, codes in plan:
        raw = data[path] if path in data else _walk(data, parts)  # a flat key first
        if raw is MISSING:
            continue
        # the common cases, answered as coerce would answer them
        if kind == "enum" and type(raw) is str and raw in allowed:
            values[path] = raw
            continue
        if kind == "number" and (type(raw) is int or (type(raw) is float
                                                      and math.isfinite(raw))):
            values[path] = raw
            continue
        if kind == "text" and type(raw) is str and raw.strip():
            values[path] = TextValue(raw, norm(raw))
            continue
        if kind == "datetime" and type(raw) is str and len(raw) > 10:
            try:  # parse_when's first step
                parsed = dt.datetime.fromisoformat(raw)
            except ValueError:
                pass
            else:
                if parsed.tzinfo is None:
                    values[path] = parsed
                    continue
        if kind in ("list", "documents") and type(raw) is list and _all_allowed(raw, allowed):
            values[path] = frozenset(raw)
            continue
        value = (codes.resolve(path, raw) if codes is not None
                 else coerce(path, spec, raw, allowed, norm))
        if value is not MISSING:
            values[path] = value
    return values


def _all_allowed(items: list[Any], allowed: frozenset[str]) -> bool:
    try:  # the allowed values are strings: only strings can be among them
        return allowed.issuperset(items)
    except TypeError:  # an unhashable item; coerce says which
        return False


# The fast path of each field type in the generated function, then coerce: the same tests as
# flatten_fields, in the same order. {i} is the field's number.
_FAST = {
    "enum": "if type(raw) is str and raw in A{i}:\n    values[P{i}] = raw\n",
    "number": "if type(raw) is int or (type(raw) is float and isfinite(raw)):\n"
              "    values[P{i}] = raw\n",
    "text": "if type(raw) is str and raw.strip():\n    values[P{i}] = TextValue(raw, norm(raw))\n",
    "datetime": "when = None\n"
                "if type(raw) is str and len(raw) > 10:\n"
                "    try:\n        when = fromisoformat(raw)\n"
                "    except ValueError:\n        pass\n"
                "if when is not None and when.tzinfo is None:\n    values[P{i}] = when\n",
    "list": "if type(raw) is list and all_allowed(raw, A{i}):\n"
            "    values[P{i}] = frozenset(raw)\n",
}
_FAST["documents"] = _FAST["list"]
_SLOW = "value = coerce(P{i}, S{i}, raw, A{i}, norm)\nif value is not MISSING:\n" \
        "    values[P{i}] = value\n"
_SLOW_DOCUMENTS = "value = C{i}.resolve(P{i}, raw)\nif value is not MISSING:\n" \
                  "    values[P{i}] = value\n"


def compile_flattener(plan: tuple[FieldPlan, ...], norm: Callable[[str], str]) -> Flattener:
    """A function equal to ``flatten_fields(data, plan, norm)``, generated for ``plan``."""
    namespace: dict[str, Any] = {
        "MISSING": MISSING, "TextValue": TextValue, "coerce": coerce, "norm": norm,
        "isfinite": math.isfinite, "fromisoformat": dt.datetime.fromisoformat,
        "all_allowed": _all_allowed, "walk": _walk,
        "generic": lambda data: flatten_fields(data, plan, norm)}
    body = ["if type(data) is not dict:", "    return generic(data)", "values = {}"]
    for i, field in enumerate(plan):
        namespace[f"P{i}"], namespace[f"S{i}"], namespace[f"A{i}"], namespace[f"C{i}"] = (
            field.path, field.spec, field.allowed, field.codes)
        body.append(f"raw = data.get(P{i}, MISSING)")
        namespace[f"W{i}"] = field.parts
        if len(field.parts) == 2:  # not under its dotted name: the nested walk, dicts inline
            outer, inner = field.parts
            body += ["if raw is MISSING:", f"    raw = data.get({outer!r}, MISSING)",
                     "    if type(raw) is dict:", f"        raw = raw.get({inner!r}, MISSING)",
                     "    elif raw is not MISSING:", f"        raw = walk(data, W{i})"]
        elif len(field.parts) > 2:
            body += ["if raw is MISSING:", f"    raw = walk(data, W{i})"]
        fast = _FAST.get(field.kind)
        slow = (_SLOW_DOCUMENTS if field.codes is not None else _SLOW).format(i=i)
        convert = fast.format(i=i) + "else:\n" + _indent(slow) if fast else slow
        body += ["if raw is not MISSING:", _indent(convert).rstrip("\n")]
    body.append("return values")
    source = "def flatten(data):\n" + _indent("\n".join(body) + "\n")
    exec(compile(source, "<bizroute flatten>", "exec"), namespace)
    flatten: Flattener = namespace["flatten"]
    flatten.__doc__ = "The declared fields of a request (generated; see bizroute.flatten).\n\n" \
        + source
    return flatten


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())


def _walk(data: Any, parts: tuple[str, ...]) -> Any:
    """The value at the nested path ``parts``, or ``MISSING``."""
    for part in parts:
        if (type(data) is not dict and not isinstance(data, Mapping)) or part not in data:
            return MISSING
        data = data[part]
    return data
