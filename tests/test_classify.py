"""Classification outcomes, priorities, effective dates, documents and explanations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bizroute import InputError, Pack, Request, load_pack
from bizroute.intake import parse_when
from tests.helpers import FIELDS, category, write_pack

DAY = dt.date(2025, 3, 1)


def test_decided_request_names_its_category_rule_and_basis(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "家里没电了"}, as_of=DAY)
    assert d.status == "decided"
    assert d.category is not None
    assert (d.category.id, d.category.name, d.category.group) == ("fault", "故障报修", "service")
    assert [r.id for r in d.rules] == ["fault"]
    assert d.rules[0].basis[0].title == "供电营业规则"
    assert d.departments[0].id == "counter"


def test_missing_documents_are_the_required_ones_not_presented(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "新房要装表", "customer": {"type": "residential"},
                               "documents_presented": ["id_card"]}, as_of=DAY)
    assert d.category_id == "res_new"
    assert [x.id for x in d.documents_required] == ["id_card", "property"]
    assert [x.id for x in d.documents_missing] == ["property"]
    assert d.workflow == "lv_new"


def test_conditional_document_is_left_out_when_its_condition_is_false(tmp_path: Path) -> None:
    body = ("categories:\n" + category(
        "c", documents="[d1, {id: d2, when: {field: flag, eq: true}}]")
        + "rules:\n  - {id: r, category: c, when: {field: intent, eq: a}}\n")
    pack = load_pack(write_pack(tmp_path, body))
    assert [x.id for x in pack.classify({"intent": "a", "flag": False}).documents_required] == [
        "d1"]
    # unknown condition: the document stays on the list (better ask than forget)
    assert [x.id for x in pack.classify({"intent": "a"}).documents_required] == ["d1", "d2"]


def test_missing_field_that_could_change_the_answer_gives_a_question(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "我要新装", "customer": {"type": "non_residential"}},
                              as_of=DAY)
    assert d.status == "needs_info"
    assert d.category is None
    (q,) = d.questions
    assert (q.field, q.label) == ("supply.capacity_kva", "申请容量")
    leads = {a.label: a.category for a in q.answers}
    assert leads == {"≤ 160 kVA": "biz_new", "> 160 kVA": "hv_new"}
    assert sorted(c.category for c in d.candidates) == ["biz_new", "hv_new"]


def test_enum_question_lists_where_each_answer_leads(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "新装", "supply": {"capacity_kva": 20}}, as_of=DAY)
    assert d.status == "needs_info"
    q = d.questions[0]
    assert q.field == "customer.type"
    assert q.ask == "请问是居民还是非居民用电？"
    assert {a.value: a.category for a in q.answers} == {"residential": "res_new",
                                                        "non_residential": "biz_new"}


def test_higher_priority_rule_wins(minimal_pack: Pack) -> None:
    # 'fault' (priority 20) beats 'close' (priority 10)
    d = minimal_pack.classify({"description": "停电了，是不是要销户"}, as_of=DAY)
    assert d.category_id == "fault"


def test_unknown_lower_priority_rule_does_not_block_a_decision(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "跳闸了，想新装"}, as_of=DAY)
    assert d.status == "decided"
    assert d.category_id == "fault"


def test_two_categories_at_the_same_priority_are_ambiguous_never_picked(tmp_path: Path) -> None:
    body = ("categories:\n" + category("c1") + category("c2")
            + "rules:\n  - {id: r1, category: c1, when: {field: intent, eq: a}}\n"
            "  - {id: r2, category: c2, when: {field: description, mentions: outage}}\n")
    pack = load_pack(write_pack(tmp_path, body))
    d = pack.classify({"intent": "a", "description": "停电"})
    assert d.status == "ambiguous"
    assert d.category is None
    assert {(c.category, c.rules) for c in d.candidates} == {("c1", ("r1",)), ("c2", ("r2",))}


def test_nothing_true_and_nothing_unknown_is_unmatched(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "你们几点下班"}, as_of=DAY)
    assert d.status == "unmatched"
    assert d.questions == () and d.candidates == ()


def test_negated_term_does_not_count(minimal_pack: Pack) -> None:
    assert minimal_pack.classify({"description": "不是要销户"}, as_of=DAY).status == "unmatched"


def test_effective_dates_pick_the_version_in_force(minimal_pack: Pack) -> None:
    before = minimal_pack.classify({"description": "销户"}, as_of=dt.date(2024, 5, 31))
    after = minimal_pack.classify({"description": "销户"}, as_of=dt.date(2024, 6, 1))
    assert before.category is not None and after.category is not None
    assert before.category.basis[0].source == "rules1996"
    assert after.category.basis[0].source == "rules2024"


def test_received_at_sets_the_as_of_date(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "销户", "received_at": "2023-02-01T10:00:00"})
    assert d.as_of == dt.date(2023, 2, 1)
    assert d.category is not None and d.category.basis[0].source == "rules1996"


def test_rule_out_of_force_does_not_fire(tmp_path: Path) -> None:
    body = ("categories:\n" + category("c")
            + "rules:\n  - id: r\n    category: c\n    when: {field: intent, eq: a}\n"
            "    effective: {from: 2024-06-01}\n")
    pack = load_pack(write_pack(tmp_path, body))
    assert pack.classify({"intent": "a"}, as_of=dt.date(2024, 5, 31)).status == "unmatched"
    assert pack.classify({"intent": "a"}, as_of=dt.date(2024, 6, 1)).status == "decided"


def test_explanation_shows_the_values_that_made_the_rule_hold(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "新房装表", "customer.type": "residential"},
                              as_of=DAY)
    (because,) = d.explanation.because
    assert because.rule == "res_new" and because.result is True
    by_field = {c.field: c for c in because.checks}
    assert by_field["description"].matched == "装表"
    assert by_field["customer.type"].value == "residential"
    assert all(c.result is True for c in because.checks)


def test_why_not_names_the_near_alternative_and_its_failed_test(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"description": "新房装表", "customer": {"type": "residential"}},
                              as_of=DAY)
    why = {w.category: w for w in d.explanation.why_not}
    assert "biz_new" in why
    failed = why["biz_new"].failed
    assert failed is not None
    assert failed.field == "customer.type" and failed.result is False


@pytest.mark.parametrize(("request_data", "field"), [
    ({"customer": {"type": 3}}, "customer.type"),
    ({"customer": {"type": "company"}}, "customer.type"),
    ({"supply": {"capacity_kva": "lots"}}, "supply.capacity_kva"),
    ({"supply": {"capacity_kva": True}}, "supply.capacity_kva"),
    ({"description": ["a"]}, "description"),
    ({"documents_presented": {"id": "passport"}}, "documents_presented"),
    ({"received_at": "yesterday"}, "received_at"),
])
def test_request_that_does_not_fit_the_fields_is_an_input_error(
        minimal_pack: Pack, request_data: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        minimal_pack.classify(request_data)
    assert info.value.field == field
    assert field in str(info.value)


_T = dt.datetime


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-09-26", dt.date(2025, 9, 26)),
    (" 2025-09-26 ", dt.date(2025, 9, 26)),
    ("2025/09/26", dt.date(2025, 9, 26)),
    ("2025-09-26T09", _T(2025, 9, 26, 9)),
    ("2025-09-26T09:30", _T(2025, 9, 26, 9, 30)),
    ("2025-09-26 09:30", _T(2025, 9, 26, 9, 30)),
    ("2025/09/26 09:30", _T(2025, 9, 26, 9, 30)),
    ("2025-09-26T09:30 ", _T(2025, 9, 26, 9, 30)),
    ("20250926T0930", _T(2025, 9, 26, 9, 30)),
    ("2025-09-26T09:30:00.5", _T(2025, 9, 26, 9, 30, 0, 500000)),
    ("2025-09-26T09:30Z", _T(2025, 9, 26, 9, 30)),  # the zone is dropped, not converted
    ("2025-09-26T09:30:00+08:00", _T(2025, 9, 26, 9, 30)),
    ("2025-09-26T", None),
    ("2025-09-26T24:00", None),
    ("yesterday", None),
    (20250926, None),
])
def test_received_at_text_reads_as_a_date_or_date_time(text: Any, expected: Any) -> None:
    assert parse_when(text) == expected
    assert type(parse_when(text)) is type(expected)


def test_request_must_be_a_mapping(minimal_pack: Pack) -> None:
    with pytest.raises(InputError):
        minimal_pack.classify(["没电了"])  # type: ignore[arg-type]


def test_request_model_and_mapping_give_the_same_decision(minimal_pack: Pack) -> None:
    data = {"id": "r1", "description": "新装", "customer": {"type": "residential"}}
    a = minimal_pack.classify(Request(**data), as_of=DAY)  # type: ignore[arg-type]
    b = minimal_pack.classify(data, as_of=DAY)
    assert a.to_dict() == b.to_dict()
    assert a.request_id == "r1"


def test_classify_many_gives_one_decision_per_request_in_order(minimal_pack: Pack) -> None:
    requests: list[Any] = [{"description": "没电"}, {"customer": {"type": 1}}, "not a request",
                           {"description": "销户"}]
    decisions = list(minimal_pack.classify_many(requests, as_of=DAY))
    assert [d.status for d in decisions] == ["decided", "error", "error", "decided"]
    assert decisions[1].error is not None and decisions[1].error["position"] == "record 2"


def test_decision_json_has_the_documented_fields(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({"id": 7, "description": "新装", "customer": {"type": "residential"}},
                              as_of=DAY)
    data = json.loads(d.to_json())
    assert set(data) >= {"schema", "request_id", "status", "category", "rules", "candidates",
                         "questions", "documents", "departments", "workflow", "explanation",
                         "pack", "as_of", "notices"}
    assert data["request_id"] == "7"
    assert data["pack"]["id"] == "minimal" and len(data["pack"]["digest"]) == 16
    assert data["documents"]["missing"] == [{"id": "id_card", "name": "居民身份证",
                                             "name_en": None},
                                            {"id": "property", "name": "产权证明",
                                             "name_en": None}]


def test_questions_come_only_from_parts_still_undecided(tmp_path: Path) -> None:
    # lv: capacity ≤ 160 and (no voltage given or voltage < 10); hv: capacity > 160.
    # With nothing known, the 'or' already holds (voltage is absent), so only capacity matters.
    fields = FIELDS.replace(
        "    flag:", "    voltage: {type: number, label: 电压, label_en: Voltage}\n    flag:")
    body = ("categories:\n" + category("lv") + category("hv") + "rules:\n"
            "  - id: lv\n    category: lv\n    when:\n      all:\n"
            "        - {field: capacity, lte: 160}\n"
            "        - any: [{field: voltage, exists: false}, {field: voltage, lt: 10}]\n"
            "  - {id: hv, category: hv, when: {field: capacity, gt: 160}}\n")
    pack = load_pack(write_pack(tmp_path, body, fields))
    d = pack.classify({})
    assert d.status == "needs_info"
    assert [q.field for q in d.questions] == ["capacity"]


def test_rule_without_own_basis_cites_the_category_version_in_force(minimal_pack: Pack) -> None:
    before = minimal_pack.classify({"description": "销户"}, as_of=dt.date(2023, 3, 1))
    after = minimal_pack.classify({"description": "销户"}, as_of=dt.date(2025, 3, 1))
    assert [b.source for b in before.rules[0].basis] == ["rules1996"]
    assert [b.source for b in after.rules[0].basis] == ["rules2024"]
