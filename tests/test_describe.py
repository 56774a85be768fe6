"""Rule conditions in plain Chinese: one table of conditions and the sentence each must read as."""

from __future__ import annotations

import datetime as dt
import doctest
from typing import Any

import pytest

from bizroute import load_pack
from bizroute import models as m
from bizroute.pages import describe as describe_module
from bizroute.pages.describe import Glossary, describe, sentence

FIELDS = {
    "customer.type": m.FieldSpec(type="enum", label="客户类型", label_en="Customer type",
                                 values={"residential": "居民", "non_residential": "非居民"}),
    "supply.capacity_kva": m.FieldSpec(type="number", unit="kVA", label="用电容量",
                                       label_en="Capacity"),
    "applicant.agent": m.FieldSpec(type="bool", label="委托代办", label_en="Agent"),
    "description": m.FieldSpec(type="text", label="客户诉求", label_en="Words"),
    "received": m.FieldSpec(type="date", label="受理日期", label_en="Received"),
    "documents_presented": m.FieldSpec(type="list", values_from="documents", label="已提供资料",
                                       label_en="Documents"),
}
GLOSSARY = Glossary(
    fields=FIELDS,
    vocabularies={"new_words": m.Vocabulary(id="new_words", name="新装用语",
                                            terms=["新装", "装表", "开户", "通电"])},
    settings={"lv_max": 160},
    documents={"id_card": "居民身份证"},
)

CASES: list[tuple[dict[str, Any], str]] = [
    ({"field": "customer.type", "eq": "residential"}, "客户类型为「居民」"),
    ({"field": "customer.type", "ne": "residential"}, "客户类型不为「居民」"),
    ({"not": {"field": "customer.type", "eq": "residential"}}, "客户类型不为「居民」"),
    ({"not": {"not": {"field": "customer.type", "eq": "residential"}}}, "客户类型为「居民」"),
    ({"field": "customer.type", "in": ["residential", "non_residential"]},
     "客户类型为「居民」、「非居民」之一"),
    ({"field": "customer.type", "not_in": ["residential", "non_residential"]},
     "客户类型不是「居民」、「非居民」中的任何一项"),
    ({"field": "customer.type", "in": ["residential"]}, "客户类型为「居民」"),
    ({"field": "supply.capacity_kva", "lte": 160}, "用电容量不超过 160 kVA"),
    ({"field": "supply.capacity_kva", "lte": {"setting": "lv_max"}},
     "用电容量不超过 160 kVA（设置 lv_max）"),
    ({"not": {"field": "supply.capacity_kva", "lte": 160}}, "用电容量超过 160 kVA"),
    ({"field": "supply.capacity_kva", "lt": 0.5}, "用电容量小于 0.5 kVA"),
    ({"not": {"field": "supply.capacity_kva", "gt": 10}}, "用电容量不超过 10 kVA"),
    ({"field": "supply.capacity_kva", "between": [10, 50]},
     "用电容量在 10 kVA（含）至 50 kVA（不含）之间"),
    ({"not": {"field": "supply.capacity_kva", "between": [10, 50]}},
     "用电容量不在 10 kVA（含）至 50 kVA（不含）之间"),
    ({"field": "received", "lt": dt.date(2024, 6, 1)}, "受理日期早于 2024-06-01"),
    ({"not": {"field": "received", "lt": dt.date(2024, 6, 1)}}, "受理日期不早于 2024-06-01"),
    ({"field": "applicant.agent", "eq": True}, "委托代办为「是」"),
    ({"field": "applicant.agent", "exists": True}, "已填写委托代办"),
    ({"not": {"field": "applicant.agent", "exists": True}}, "未填写委托代办"),
    ({"field": "description", "mentions": "new_words"},
     "客户诉求提到「新装用语」（如新装、装表、开户等）"),
    ({"not": {"field": "description", "mentions": "new_words"}},
     "客户诉求没有提到「新装用语」（如新装、装表、开户等）"),
    ({"field": "description", "mentions": ["减容"]}, "客户诉求提到「减容」"),
    ({"field": "description", "mentions": ["减容", "减少容量"], "negation": "count"},
     "客户诉求提到「减容」、「减少容量」之一（否定说法也算）"),
    ({"field": "description", "matches": "装.{0,2}表"}, "客户诉求的文字符合规则"),
    ({"field": "documents_presented", "contains": "id_card"}, "已提供资料包含「居民身份证」"),
    ({"all": [{"field": "customer.type", "eq": "residential"},
              {"field": "supply.capacity_kva", "lte": 160}]},
     "客户类型为「居民」，且用电容量不超过 160 kVA"),
    # De Morgan: not (a and b) is (not a) or (not b)
    ({"not": {"all": [{"field": "customer.type", "eq": "residential"},
                      {"field": "supply.capacity_kva", "lte": 160}]}},
     "客户类型不为「居民」，或用电容量超过 160 kVA"),
    ({"not": {"any": [{"field": "customer.type", "eq": "residential"},
                      {"field": "applicant.agent", "eq": True}]}},
     "客户类型不为「居民」，且委托代办不为「是」"),
    # nested groups of one kind are one group; a group of one is its part
    ({"all": [{"all": [{"field": "customer.type", "eq": "residential"}]},
              {"all": [{"field": "applicant.agent", "eq": True},
                       {"field": "supply.capacity_kva", "gt": 1}]}]},
     "客户类型为「居民」，且委托代办为「是」，且用电容量超过 1 kVA"),
    ({"any": [{"field": "applicant.agent", "exists": False},
              {"all": [{"field": "customer.type", "eq": "residential"},
                       {"field": "supply.capacity_kva", "lte": 160}]}]},
     "未填写委托代办，或（客户类型为「居民」，且用电容量不超过 160 kVA）"),
    # "given" goes without saying next to a test of the same field
    ({"all": [{"field": "supply.capacity_kva", "exists": True},
              {"field": "supply.capacity_kva", "lte": 160}]}, "用电容量不超过 160 kVA"),
    ({"all": [{"field": "supply.capacity_kva", "exists": True},
              {"field": "customer.type", "eq": "residential"}]},
     "已填写用电容量，且客户类型为「居民」"),
]


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=[c[1] for c in CASES])
def test_condition_reads_as_a_chinese_sentence(condition: dict[str, Any], expected: str) -> None:
    assert sentence(describe(m.Condition.model_validate(condition), GLOSSARY)) == expected


def test_vocabulary_terms_and_patterns_are_the_fine_print() -> None:
    mentions = describe(m.Condition.model_validate(
        {"field": "description", "mentions": "new_words"}), GLOSSARY)
    assert mentions.detail == "新装、装表、开户、通电"
    pattern = describe(m.Condition.model_validate(
        {"field": "description", "matches": "装.{0,2}表"}), GLOSSARY)
    assert pattern.detail == "装.{0,2}表"


def test_groups_keep_their_structure_for_pages() -> None:
    clause = describe(m.Condition.model_validate(
        {"any": [{"field": "applicant.agent", "eq": True},
                 {"all": [{"field": "customer.type", "eq": "residential"},
                          {"field": "supply.capacity_kva", "lte": 160}]}]}), GLOSSARY)
    assert clause.kind == "any"
    assert [p.kind for p in clause.parts] == ["test", "all"]
    assert [p.field for p in clause.parts[1].parts] == ["customer.type", "supply.capacity_kva"]


def test_every_rule_of_the_default_pack_is_described_with_labels_not_ids() -> None:
    pack = load_pack()
    glossary = Glossary(pack.fields, pack.vocabularies, pack.info.settings,
                        {k: d.name for k, d in pack.documents.items()})
    for loc in pack.source.entries["rules"]:
        text = sentence(describe(loc.obj.when, glossary))
        assert text, loc.obj.id
        for path in pack.fields:  # a field path never shows: its label does
            assert path not in text.replace("设置 ", ""), (loc.obj.id, path, text)


def test_docstring_example_holds() -> None:
    failures, _ = doctest.testmod(describe_module)
    assert failures == 0
