"""Requests: the :class:`Request` model, and checking a request against the pack's fields.

A request is nested data (``{"customer": {"type": "residential"}}``) or flat dotted keys
(``{"customer.type": "residential"}``, as CSV columns come). Declared fields are looked up,
coerced (numeric strings from CSV become numbers) and checked; anything wrong raises
:class:`~bizroute.errors.InputError` naming the field. Undeclared keys are ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .conditions import MISSING, TextValue
from .errors import InputError
from .models import FieldSpec


class Request(BaseModel):
    """A service request. Any keys are allowed; the pack's declared fields are checked.

    >>> Request(description="家里没电了", customer={"type": "residential"}).to_mapping()
    {'description': '家里没电了', 'customer': {'type': 'residential'}}
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


_TRUE = {"true", "yes", "y", "1", "是", "对", "有"}
_FALSE = {"false", "no", "n", "0", "否", "不是", "无", "没有"}
_LIST_SPLIT = re.compile(r"[;,|，；、]\s*")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def coerce(path: str, spec: FieldSpec, value: Any, allowed: frozenset[str],
           norm: Callable[[str], str]) -> Any:
    """Check and convert one declared field's value; ``MISSING`` for empty values."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    kind = spec.type
    if kind == "enum":
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        shown = ", ".join(sorted(allowed)[:10])
        what = f"{_kind(value)} {value!r}" if not isinstance(value, str) else repr(value)
        raise InputError(f"{path}: {what} is not one of its values ({shown})", field=path)
    if kind == "number":
        if isinstance(value, bool):
            raise InputError(f"{path}: expected a number, got a boolean", field=path)
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", ""))
            except ValueError:
                raise InputError(f"{path}: expected a number, got {value!r}", field=path) from None
        if not isinstance(value, int | float) or (isinstance(value, float) and
                                                  not math.isfinite(value)):
            raise InputError(f"{path}: expected a number, got {_kind(value)}", field=path)
        return value
    if kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{path}: expected text, got {_kind(value)}", field=path)
        raw = str(value)
        return TextValue(raw, norm(raw))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str | int) and str(value).strip().lower() in _TRUE:
            return True
        if isinstance(value, str | int) and str(value).strip().lower() in _FALSE:
            return False
        raise InputError(f"{path}: expected true or false, got {value!r}", field=path)
    if kind in ("date", "datetime"):
        parsed = parse_when(value)
        if parsed is None:
            raise InputError(f"{path}: expected a date (YYYY-MM-DD) or date-time, got {value!r}",
                             field=path)
        if kind == "date":
            return parsed.date() if isinstance(parsed, dt.datetime) else parsed
        return parsed if isinstance(parsed, dt.datetime) else dt.datetime.combine(parsed,
                                                                                  dt.time())
    # list of enum values
    items: list[Any]
    if isinstance(value, str):
        items = [s for s in _LIST_SPLIT.split(value.strip()) if s]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise InputError(f"{path}: expected a list, got {_kind(value)}", field=path)
    bad = [v for v in items if not isinstance(v, str) or v not in allowed]
    if bad:
        raise InputError(f"{path}: {', '.join(repr(b) for b in bad[:5])} not among its values",
                         field=path)
    return frozenset(items)


class PresentedDocuments(frozenset[str]):
    """The catalogue ids of the documents a request presents. ``unknown`` lists the items
    that name no document of the catalogue, as (1-based position, the item when it is safe
    to show: a short ASCII code; ``None`` otherwise, since it may hold personal data)."""

    __slots__ = ("unknown",)
    unknown: tuple[tuple[int, str | None], ...]

    @classmethod
    def of(cls, ids: Iterable[str], unknown: tuple[tuple[int, str | None], ...] = (),
           ) -> PresentedDocuments:
        out = cls(ids)
        out.unknown = unknown
        return out


_SAFE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.:\-]{0,39}")
_DIGIT_RUN = re.compile(r"\d{5}")  # part of an identity, phone or card number, perhaps


def _shown_code(item: str) -> str | None:
    text = item.strip()
    if _SAFE_CODE.fullmatch(text) and not _DIGIT_RUN.search(text):
        return text
    return None


class DocumentCodes:
    """Reads the document codes of a request: catalogue ids, ids written differently
    (case, full-width characters), and the aliases a pack declares for other systems' codes
    (``房产证`` / ``不动产权证书`` / ``property_certificate``). A code naming no document does
    not fail the request: it is left out and reported (:attr:`PresentedDocuments.unknown`).

    An alias declared by two documents presents both (``bizroute check`` reports it, BR414);
    an alias that is another document's id means that document.

    >>> codes = DocumentCodes({"property_proof": ["房产证"]}, str.lower)
    >>> found = codes.resolve("documents_presented", ["房产证", "Property_Proof", "x1"])
    >>> sorted(found), found.unknown
    (['property_proof'], ((3, 'x1'),))
    """

    def __init__(self, aliases: Mapping[str, Iterable[str]], norm: Callable[[str], str]) -> None:
        self.ids = frozenset(aliases)
        self._norm = norm
        by_alias: dict[str, list[str]] = {}
        for doc_id, names in aliases.items():
            for name in names:
                found = by_alias.setdefault(norm(name), [])
                if doc_id not in found:
                    found.append(doc_id)
        by_id = {norm(doc_id): (doc_id,) for doc_id in aliases}
        # an id (as written in the catalogue, or normalised) wins over any alias
        self._lookup: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in by_alias.items()}
        self._lookup.update(by_id)
        self._lookup.pop("", None)

    def lookup(self, code: str) -> tuple[str, ...]:
        """The ids a code names (none, one, or several for a shared alias)."""
        if code in self.ids:
            return (code,)
        return self._lookup.get(self._norm(code), ())

    def resolve(self, path: str, value: Any) -> Any:
        """The documents of a ``documents_presented`` value; ``MISSING`` when empty."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return MISSING
        if isinstance(value, str):
            items: list[Any] = [s for s in _LIST_SPLIT.split(value.strip()) if s]
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            raise InputError(f"{path}: expected a list, got {_kind(value)}", field=path)
        ids: list[str] = []
        unknown: list[tuple[int, str | None]] = []
        for position, item in enumerate(items, start=1):
            if isinstance(item, int) and not isinstance(item, bool):
                item = str(item)  # a numeric code from a spreadsheet
            if isinstance(item, str) and not item.strip():
                continue
            found = self.lookup(item) if isinstance(item, str) else ()
            if found:
                ids.extend(found)
            else:
                unknown.append((position, _shown_code(item) if isinstance(item, str) else None))
        return PresentedDocuments.of(ids, tuple(unknown))


def parse_when(value: Any) -> dt.date | dt.datetime | None:
    """A date or date-time from a value or ISO text (``2025-09-26``, ``2025-09-26T09:30``).

    A time zone is dropped (the wall-clock time is kept)."""
    if type(value) is str and len(value) > 10:
        # most date-times are ISO 8601 as they are: read them without the clean-up below
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
    if isinstance(value, dt.datetime | dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().replace("/", "-")
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
        return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
    except ValueError:
        return None


def as_mapping(request: Request | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(request, Request):
        return request.to_mapping()
    if isinstance(request, Mapping):
        return request
    raise InputError(f"a request must be an object (a mapping), got {_kind(request)}")
