"""The generated reader of a pack's fields gives exactly what the reference loop gives."""

from __future__ import annotations

import datetime as dt
import math
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizroute import InputError, Pack, load_pack
from bizroute.conditions import TextValue
from bizroute.flatten import flatten_fields

# a value of any kind a request may carry, fitting or not
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, math.nan, 1.5, 0, -3, 160, 10**19]),
    st.sampled_from(["", " ", "  new ", "new", "fault", "residential", "non_residential",
                     "id_card", "licence", "2025-03-01", "2025-03-01T09:30",
                     "2025-03-01 09:30", "2025-03-01T09:30+08:00", "2025/03/01", "yesterday",
                     "１６０", "1,000", "是", "否", "true", "no", "家里 沒電了", "\u3000"]),
    st.text(max_size=12),
    st.lists(st.sampled_from(["id_card", "licence", "property", "passport", ""]), max_size=3),
    st.lists(st.sampled_from([1, None, "id_card"]), max_size=2),
    st.just([{"a": 1}]),
    st.just({"nested": "object"}),
    st.just(dt.date(2025, 3, 1)), st.just(dt.datetime(2025, 3, 1, 9, 30)),
)


def _fitting(pack: Pack, path: str) -> st.SearchStrategy[Any]:
    """Values that mostly fit the field's declaration (so that requests get past the fields
    before it), with the odd one that does not."""
    spec = pack.fields[path]
    allowed = sorted(pack._allowed[path])
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "enum": st.sampled_from(allowed or ["x"]),
        "number": st.one_of(st.integers(0, 1000), st.floats(0, 1000),
                            st.sampled_from([math.inf, -math.inf, math.nan, 10**19])),
        "text": st.text(max_size=12),
        "datetime": st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2027, 1, 1)).map(
            lambda t: t.isoformat(sep=" " if t.minute % 2 else "T")),
        "date": st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)).map(dt.date.isoformat),
        "bool": st.booleans(),
        "list": st.lists(st.sampled_from(allowed or ["x"]), max_size=3),
    }
    return st.one_of(kinds.get(spec.type, ODD_VALUES), kinds.get(spec.type, ODD_VALUES),
                     kinds.get(spec.type, ODD_VALUES), ODD_VALUES)


def _request(pack: Pack) -> st.SearchStrategy[dict[str, Any]]:
    """Requests with some of the pack's fields set, nested or under the dotted name."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for path in draw(st.lists(st.sampled_from(list(pack.fields)), unique=True)):
            value = draw(_fitting(pack, path))
            parts = path.split(".")
            if len(parts) == 1 or draw(st.booleans()):
                data[path] = value
                continue
            where = data
            for part in parts[:-1]:
                inner = where.get(part)
                if not isinstance(inner, dict):
                    inner = where[part] = draw(st.sampled_from([{}, {}, "not an object"])) \
                        if part not in where else {}
                    if not isinstance(inner, dict):
                        break
                where = inner
            else:
                where[parts[-1]] = value
        return data

    return build()


def _outcome(read: Any, data: Any) -> Any:
    """What reading gives, comparable: the values (a text as raw and normal form), or the
    error's message and field."""
    try:
        values = read(data)
    except InputError as exc:
        return ("error", str(exc), exc.field)
    return {k: ("text", v.raw, v.norm) if isinstance(v, TextValue)
            else ("nan",) if isinstance(v, float) and math.isnan(v) else (type(v), v)
            for k, v in values.items()}


def _check(pack: Pack, data: Any) -> None:
    reference = _outcome(lambda d: flatten_fields(d, pack._field_plan, pack._norm), data)
    assert _outcome(pack._flatten, data) == reference
    # a mapping that is not a dict takes the reference path
    assert _outcome(pack._flatten, types.MappingProxyType(data)) == reference


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_the_generated_reader_equals_the_reference_on_the_minimal_pack(
        data: st.DataObject, minimal_pack: Pack) -> None:
    _check(minimal_pack, data.draw(_request(minimal_pack)))


_DEFAULT = load_pack()


@settings(max_examples=400, deadline=None)
@given(request=_request(_DEFAULT))
def test_the_generated_reader_equals_the_reference_on_the_default_pack(
        request: dict[str, Any]) -> None:
    _check(_DEFAULT, request)


@pytest.mark.parametrize("request_data", [
    {"customer.type": "residential", "customer": {"type": "non_residential"}},  # flat key first
    {"customer": "not an object"},
    {"customer": types.MappingProxyType({"type": "residential"})},
    {"supply": {"capacity_kva": "1,000"}},
    {"supply": {"capacity_kva": math.inf}},
    {"supply.capacity_kva": math.nan},
    {"received_at": "2025-03-01T09:30+08:00"},
    {"documents_presented": [["unhashable"]]},
])
def test_the_generated_reader_handles_the_unusual_shapes_as_the_reference(
        minimal_pack: Pack, request_data: dict[str, Any]) -> None:
    _check(minimal_pack, request_data)
