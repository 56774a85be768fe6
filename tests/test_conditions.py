"""Every condition operator and combinator, as a table: condition, request, expected truth.

Truth is read off the decision: ``decided`` (true), ``unmatched`` (false), ``needs_info``
(unknown).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import one_rule_pack

T, F, U = "decided", "unmatched", "needs_info"

CASES: list[tuple[str, dict[str, Any], str]] = [
    # equality and membership on an enum
    ("{field: intent, eq: a}", {"intent": "a"}, T),
    ("{field: intent, eq: a}", {"intent": "b"}, F),
    ("{field: intent, eq: a}", {}, U),
    ("{field: intent, ne: a}", {"intent": "b"}, T),
    ("{field: intent, ne: a}", {"intent": "a"}, F),
    ("{field: intent, in: [a, b]}", {"intent": "b"}, T),
    ("{field: intent, in: [a, b]}", {"intent": "c"}, F),
    ("{field: intent, not_in: [a, b]}", {"intent": "c"}, T),
    ("{field: intent, not_in: [a, b]}", {"intent": "a"}, F),
    # numbers, settings and ranges
    ("{field: capacity, lt: 100}", {"capacity": 99.5}, T),
    ("{field: capacity, lt: 100}", {"capacity": 100}, F),
    ("{field: capacity, lte: 100}", {"capacity": 100}, T),
    ("{field: capacity, gt: 100}", {"capacity": 100}, F),
    ("{field: capacity, gte: 100}", {"capacity": 100}, T),
    ("{field: capacity, lte: {setting: limit}}", {"capacity": 160}, T),
    ("{field: capacity, lte: {setting: limit}}", {"capacity": 161}, F),
    ("{field: capacity, between: [50, 160]}", {"capacity": 50}, T),
    ("{field: capacity, between: [50, 160]}", {"capacity": 160}, F),
    ("{field: capacity, between: [50, 160]}", {"capacity": "80"}, T),  # CSV-style numeric text
    ("{field: capacity, eq: 80}", {"capacity": 80.0}, T),
    ("{field: capacity, in: [50, 80]}", {"capacity": 80}, T),
    ("{field: capacity, gt: 1}", {}, U),
    # booleans and dates
    ("{field: flag, eq: true}", {"flag": True}, T),
    ("{field: flag, eq: true}", {"flag": "否"}, F),
    ("{field: flag, ne: true}", {"flag": "no"}, T),
    ("{field: day, lt: 2024-06-01}", {"day": "2024-05-31"}, T),
    ("{field: day, gte: 2024-06-01}", {"day": "2024-05-31"}, F),
    ("{field: day, between: [2024-01-01, 2025-01-01]}", {"day": "2024-12-31"}, T),
    # text: mentions (vocabulary or inline), negation, normalisation, matches
    ("{field: description, mentions: outage}", {"description": "家里没电了"}, T),
    ("{field: description, mentions: outage}", {"description": "家里 沒電 了"}, T),  # 繁体, space
    ("{field: description, mentions: outage}", {"description": "电压低"}, F),
    ("{field: description, mentions: outage}", {"description": "没有停电，就是电压低"}, F),
    ("{field: description, mentions: outage}", {"description": "不是停电，是跳闸了"}, T),
    ("{field: description, mentions: outage, negation: count}",
     {"description": "没有停电"}, T),
    ("{field: description, mentions: [ＡＢＣ电表]}", {"description": "abc电表坏了"}, T),
    ("{field: description, mentions: [过户]}", {"description": "要過戶"}, T),
    ("{field: description, matches: '\\d+千瓦'}", {"description": "需要２０千瓦"}, T),
    ("{field: description, matches: '^销户'}", {"description": "我要销户"}, F),
    ("{field: description, matches: '(a+)+$'}", {"description": "a" * 5000 + "!"}, F),
    ("{field: description, mentions: outage}", {}, U),
    # exact text comparisons
    ("{field: description, eq: 停电}", {"description": "停电"}, T),
    ("{field: description, eq: 停电}", {"description": "停电了"}, F),
    ("{field: description, ne: 停电}", {"description": "停电"}, F),
    ("{field: description, in: [停电, 跳闸]}", {"description": "跳闸"}, T),
    ("{field: description, not_in: [停电, 跳闸]}", {"description": "跳闸"}, F),
    # exists and list membership
    ("{field: capacity, exists: true}", {"capacity": 5}, T),
    ("{field: capacity, exists: true}", {}, F),
    ("{field: capacity, exists: false}", {}, T),
    ("{field: capacity, exists: false}", {"capacity": ""}, T),  # an empty cell is no value
    ("{field: docs, contains: d1}", {"docs": ["d1", "d2"]}, T),
    ("{field: docs, contains: d1}", {"docs": "d2;d1"}, T),
    ("{field: docs, contains: d1}", {"docs": []}, F),
    # nested and flat field paths
    ("{field: intent, eq: a}", {"intent": "a", "other": {"x": 1}}, T),
]


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cache: dict[str, Any] = {}
    counter = itertools.count()

    def get(when: str):  # type: ignore[no-untyped-def]
        if when not in cache:
            cache[when] = one_rule_pack(tmp_path_factory.mktemp(f"p{next(counter)}"), when)
        return cache[when]

    return get


@pytest.mark.parametrize(("when", "request_data", "expected"), CASES,
                         ids=[f"{i}:{c[0][:40]}" for i, c in enumerate(CASES)])
def test_operator_gives_expected_truth(packs, when: str, request_data: dict[str, Any],  # type: ignore[no-untyped-def]
                                       expected: str) -> None:
    decision = packs(when).classify(request_data, as_of=dt.date(2025, 1, 1))
    assert decision.status == expected


# three-valued combinators: (condition, request, expected)
LOGIC: list[tuple[str, dict[str, Any], str]] = [
    ("{all: [{field: intent, eq: a}, {field: capacity, gt: 1}]}", {"intent": "b"}, F),
    ("{all: [{field: intent, eq: a}, {field: capacity, gt: 1}]}", {"intent": "a"}, U),
    ("{all: [{field: intent, eq: a}, {field: capacity, gt: 1}]}",
     {"intent": "a", "capacity": 2}, T),
    ("{any: [{field: intent, eq: a}, {field: capacity, gt: 1}]}", {"intent": "a"}, T),
    ("{any: [{field: intent, eq: a}, {field: capacity, gt: 1}]}", {"intent": "b"}, U),
    ("{any: [{field: intent, eq: a}, {field: capacity, gt: 1}]}",
     {"intent": "b", "capacity": 0}, F),
    ("{not: {field: intent, eq: a}}", {"intent": "a"}, F),
    ("{not: {field: intent, eq: a}}", {"intent": "b"}, T),
    ("{not: {field: intent, eq: a}}", {}, U),
    # a field declared absent: "false" is never a question
    ("{field: optional, eq: x}", {}, F),
    ("{not: {field: optional, eq: x}}", {}, T),
    ("{any: [{field: optional, eq: x}, {field: intent, eq: a}]}", {"intent": "b"}, F),
]


@pytest.mark.parametrize(("when", "request_data", "expected"), LOGIC,
                         ids=[f"{i}:{c[0][:50]}" for i, c in enumerate(LOGIC)])
def test_three_valued_logic(packs, when: str, request_data: dict[str, Any],  # type: ignore[no-untyped-def]
                            expected: str) -> None:
    assert packs(when).classify(request_data).status == expected


def test_catastrophic_pattern_runs_in_linear_time(tmp_path: Path) -> None:
    pack = one_rule_pack(tmp_path, "{field: description, matches: '(a|aa)+$'}")
    text = "a" * 100_000 + "b"
    # RE2 has no backtracking: this returns at once instead of running for ever
    assert pack.classify({"description": text}).status == "unmatched"


@pytest.mark.parametrize(("request_data", "expected"), [
    ({"description": "停电了", "note": "不是停电"}, "in_words"),
    ({"description": "不是停电", "note": "停电了"}, "in_note"),
])
def test_two_text_fields_with_the_same_words_are_searched_apart(
        tmp_path: Path, request_data: dict[str, Any], expected: str) -> None:
    from bizroute import load_pack
    from tests.helpers import FIELDS, category, write_pack

    fields = FIELDS.replace("    description: {type: text, label: 描述, label_en: Words}\n",
                            "    description: {type: text, label: 描述, label_en: Words}\n"
                            "    note: {type: text, label: 备注, label_en: Note}\n")
    body = ("categories:\n" + category("in_words") + category("in_note") + "rules:\n"
            "  - {id: w, category: in_words, when: {field: description, mentions: outage}}\n"
            "  - {id: n, category: in_note, when: {field: note, mentions: outage}}\n")
    decision = load_pack(write_pack(tmp_path, body, fields)).classify(request_data)
    assert (decision.status, decision.category_id) == ("decided", expected)
