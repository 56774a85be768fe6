"""The default pack: the categories the counter relies on, and how it fares on fresh wordings.

``tests/fresh/round*.jsonl`` are requests written in customers' and clerks' words without looking
at the pack's vocabularies. Each round was written after the previous round's tuning and first
measured untouched (that first measurement is the honest estimate, kept in docs/default-pack.md);
rounds 1 to 4 were then used for tuning, round 5 never was. The floors below are the numbers
measured now (``python bench/fresh_accuracy.py tests/fresh/round*.jsonl``): a change to the pack
that lowers them fails here. Raise them when the pack gets better; never lower them to make a
change pass.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bench.fresh_accuracy import read_set, score, tally

from bizroute import Pack, load_pack
from bizroute.models import Commitment

FRESH = Path(__file__).parent / "fresh"

# Issue 3, item 2: every category with its exact Chinese name and marketing-system code
# (bus_type; None where the marketing system has none).
ISSUE_CATEGORIES: list[tuple[str, str, str | None]] = [
    # 新装增容
    ("lv_residential_new", "低压居民新装", "010301"),
    ("lv_residential_increase", "低压居民增容", "010302"),
    ("lv_non_residential_new", "低压非居民新装", "010202"),
    ("lv_non_residential_increase", "低压非居民增容", "010203"),
    ("hv_new", "高压新装", "010101"),
    ("hv_increase", "高压增容", "010102"),
    ("lv_metered_temporary", "低压装表临时用电", "010201"),
    ("hv_metered_temporary", "高压装表临时用电", "010103"),
    ("unmetered_temporary_new", "无表临时用电新装", "010601"),
    ("lv_ev_charger_new", "低压充电桩新装", "011101"),
    ("lv_distributed_gen_new", "低压分布式电源新装", "040201"),
    ("hv_distributed_gen_new", "高压分布式电源新装", "040101"),
    # 变更用电
    ("capacity_reduction", "减容", "020101"),
    ("capacity_reduction_restore", "减容恢复", "020201"),
    ("suspension", "暂停", "020301"),
    ("suspension_restore", "暂停恢复", "020501"),
    ("meter_relocation", "移表", "020601"),
    ("temporary_removal", "暂拆", "020701"),
    ("reinstallation", "复装", "020801"),
    ("rename", "更名", "020901"),
    ("transfer", "过户", "021001"),
    ("tariff_class_change", "改类", "021101"),
    ("account_closure", "销户", "021201"),
    ("voltage_change", "改压", "021501"),
    ("transformer_temp_swap", "暂换", "021601"),
    ("transformer_temp_swap_restore", "暂换恢复", "021603"),
    ("account_merge", "并户", "021801"),
    ("account_split", "分户", "021901"),
    ("site_relocation", "迁址", None),
    # 计量、电费与客户信息
    ("meter_test_request", "申请校验", "030701"),
    ("metering_fault", "计量设备故障处理", "030801"),
    ("residential_tou_change", "居民峰谷电变更", "030501"),
    ("multi_person_tier_apply", "一户多人口阶梯基数申请", "033301"),
    ("vat_info_update", "增值税信息维护", "030401"),
    ("payment_method_change", "交费方式变更", "031404"),
    ("basic_info_update", "客户基础信息维护", "030201"),
    ("reading_abnormal", "抄表数据异常", None),
    ("bill_payment", "电费缴纳", None),
    # 95598 诉求
    ("fault_repair", "故障报修", None),
    ("complaint", "投诉", None),
    ("report", "举报", None),
    ("opinion", "意见", None),
    ("suggestion", "建议", None),
    ("praise", "表扬", None),
    ("consultation", "咨询", None),
    ("arrears_reconnect", "欠费复电登记", None),
    ("appliance_damage", "电器损坏", None),
]

# Measured floors: (file, at least this many decided correctly, at most this many wrong).
# First measured untuned (correct / wrong): round1 128/3 of 151, round2 70/2 of 88, round3 62/3 of
# 83, round4 65/3 of 80, round5 69/1 of 80. Rounds 1-4 were tuned on afterwards; round 5 is still
# held out.
FLOORS = [
    ("round1.jsonl", 151, 0),
    ("round2.jsonl", 88, 0),
    ("round3.jsonl", 83, 0),
    ("round4.jsonl", 79, 0),
    ("round5.jsonl", 69, 1),
]

BEFORE_2024 = dt.date(2023, 6, 1)
SINCE_2024 = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def pack() -> Pack:
    loaded: Pack = load_pack()
    return loaded


@pytest.mark.parametrize(("category_id", "name", "code"), ISSUE_CATEGORIES,
                         ids=[c[0] for c in ISSUE_CATEGORIES])
def test_every_issue_category_exists_with_its_exact_name_and_code(
        pack: Pack, category_id: str, name: str, code: str | None) -> None:
    for day in (BEFORE_2024, SINCE_2024):
        category = pack.category(category_id, day)
        assert category is not None, f"{category_id} missing on {day}"
        assert category.name == name
        assert category.codes.get("sgcc_bus_type") == code
        assert category.basis and category.departments and category.workflow


def test_categories_resting_on_the_1996_rules_have_a_2024_version_from_2024_06_01(
        pack: Pack) -> None:
    changed = []
    for category_id in pack.category_ids():
        old, new = pack.category(category_id, BEFORE_2024), pack.category(category_id, SINCE_2024)
        assert old is not None and new is not None
        if any(b.source.startswith("gdyyg_1996") for b in old.basis):
            assert old.effective.until == dt.date(2024, 6, 1), category_id
            assert new.effective.from_ == dt.date(2024, 6, 1), category_id
            assert not any(b.source.startswith("gdyyg_1996") for b in new.basis), category_id
            changed.append(category_id)
    assert len(changed) >= 25


@pytest.mark.parametrize(("file", "min_correct", "max_wrong"), FLOORS, ids=[f[0] for f in FLOORS])
def test_fresh_requests_are_decided_at_least_as_well_as_measured(
        pack: Pack, file: str, min_correct: int, max_wrong: int) -> None:
    scored = score(pack, read_set(FRESH / file))
    counts = tally(scored)
    wrong = [f"{s.id}: want {s.expected}, got {s.got} ({s.text})"
             for s in scored if s.outcome == "wrong"]
    assert counts["error"] == 0
    assert counts["wrong"] <= max_wrong, "\n".join(wrong)
    assert counts["correct"] >= min_correct, counts


@pytest.mark.parametrize("file", ["round1.jsonl", "round2.jsonl", "round3.jsonl", "round4.jsonl"])
def test_tuned_rounds_have_no_wrong_confident_answer(pack: Pack, file: str) -> None:
    scored = score(pack, read_set(FRESH / file))
    assert [s for s in scored if s.outcome == "wrong"] == []


@pytest.mark.parametrize("file", [f[0] for f in FLOORS])
def test_fresh_sets_cover_every_issue_category(file: str) -> None:
    items = read_set(FRESH / file)
    expected = {i["expect"].get("category") for i in items}
    if file == "round1.jsonl":
        missing = {c[0] for c in ISSUE_CATEGORIES} - expected
        assert missing == set()
    assert {i["expect"]["status"] for i in items} >= {"decided", "needs_info", "unmatched"}
    assert len(items) >= (120 if file == "round1.jsonl" else 80)


R = {"type": "residential"}
N = {"type": "non_residential"}

# Issue 3, item 3: routing that follows the regulation, not the words alone.
ROUTING = [
    ("ceiling-is-low-voltage", {"description": "新装", "customer": N, "supply": {"capacity_kva": 160}},
     "decided", "lv_non_residential_new"),
    ("above-ceiling-is-high-voltage", {"description": "新装", "customer": N,
                                       "supply": {"capacity_kva": 161}}, "decided", "hv_new"),
    ("10kv-is-high-voltage", {"description": "新装", "customer": N,
                              "supply": {"capacity_kva": 100, "voltage_kv": 10}}, "decided", "hv_new"),
    ("increase-above-ceiling", {"description": "增容", "customer": N,
                                "supply": {"capacity_kva": 200}}, "decided", "hv_increase"),
    ("new-without-type-asks", {"description": "新装", "supply": {"capacity_kva": 10}},
     "needs_info", None),
    ("new-without-capacity-asks", {"description": "新装", "customer": R}, "needs_info", None),
    ("suspend-high-voltage", {"description": "暂停", "customer": N, "supply": {"voltage_kv": 10}},
     "decided", "suspension"),
    ("suspend-low-voltage-is-temporary-removal", {"description": "暂停", "customer": N,
                                                  "supply": {"voltage_kv": 0.38}},
     "decided", "temporary_removal"),
    ("suspend-residential-is-temporary-removal", {"description": "暂停", "customer": R},
     "decided", "temporary_removal"),
    ("restore-low-voltage-is-reinstallation", {"description": "暂停恢复", "customer": N,
                                               "supply": {"voltage_kv": 0.38}},
     "decided", "reinstallation"),
    ("suspend-without-voltage-asks", {"description": "暂停", "customer": N}, "needs_info", None),
    ("relocate-elsewhere-is-new", {"description": "迁址", "customer": N, "site": {"same_supply_point": False},
                                   "supply": {"capacity_kva": 50}}, "decided", "lv_non_residential_new"),
    ("relocate-same-point-beyond-is-increase", {"description": "迁址", "customer": N,
                                                "site": {"same_supply_point": True},
                                                "request": {"beyond_original_capacity": True},
                                                "supply": {"capacity_kva": 50}},
     "decided", "lv_non_residential_increase"),
    ("relocate-same-point", {"description": "迁址", "customer": N, "site": {"same_supply_point": True}},
     "decided", "site_relocation"),
    ("relocate-asks-supply-point", {"description": "迁址", "customer": N}, "needs_info", None),
    ("temporary-customer-cannot-transfer", {"description": "过户",
                                            "customer": {"type": "non_residential", "temporary": "metered"}},
     "unmatched", None),
    ("temporary-customer-may-close", {"description": "销户",
                                      "customer": {"type": "non_residential", "temporary": "unmetered"}},
     "decided", "account_closure"),
    ("temporary-customer-may-extend", {"description": "临时用电延期",
                                       "customer": {"type": "non_residential", "temporary": "metered"}},
     "decided", "temporary_extension"),
]


@pytest.mark.parametrize(("request_", "status", "category"), [r[1:] for r in ROUTING],
                         ids=[r[0] for r in ROUTING])
def test_routing_follows_the_regulation(pack: Pack, request_: dict[str, object], status: str,
                                        category: str | None) -> None:
    d = pack.classify(request_, SINCE_2024, explain=False)
    assert d.status == status
    assert (d.category.id if d.category else None) == category


# Issue 3, item 4: negation and traditional or full-width characters.
TEXT = [
    ("不是要销户，只是出去一年暂时不用电", R, "temporary_removal"),
    ("没有停电，就是电压低，灯一闪一闪", None, "fault_repair"),
    ("不要峰谷电了", R, "residential_tou_change"),
    ("家裡停電了", None, "fault_repair"),
    ("我要過戶", R, "transfer"),
    ("電錶不準，申請校驗", R, "meter_test_request"),
    ("低居增容８ｋＷ", R, "lv_residential_increase"),
]


@pytest.mark.parametrize(("text", "customer", "category"), TEXT, ids=[t[0] for t in TEXT])
def test_negations_and_traditional_or_full_width_text_are_read(
        pack: Pack, text: str, customer: dict[str, str] | None, category: str) -> None:
    request_: dict[str, object] = {"description": text, "area": "urban"}
    if customer:
        request_["customer"] = customer
    if category == "lv_residential_increase":
        request_["supply"] = {"capacity_kva": 8}
    d = pack.classify(request_, SINCE_2024, explain=False)
    assert d.status == "decided"
    assert d.category is not None and d.category.id == category



def test_default_pack_checks_clean_under_strict_with_every_waiver_explained(
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bizroute.cli import main
    from bizroute.loader import default_pack_path

    # the warnings the pack accepts are waived in rules/.bizroute-check.yaml, each with its
    # reason; a waiver that matched nothing would itself be reported (BR413)
    assert main(["check", str(default_pack_path()), "--strict", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["errors"] == 0 and report["summary"]["warnings"] == 0


# --- time limits over time ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _commitments(pack: Pack) -> list[tuple[str, Commitment]]:
    return [(wid, c) for wid, locs in pack.workflows.items() for loc in locs
            for c in loc.obj.commitments]


def test_every_ten_commitments_limit_names_its_version_and_dates(pack: Pack) -> None:
    # 十项承诺 versions follow each other; a limit of one version must not outlive it
    versions = {s.id: s.effective for s in pack.sources.values()
                if s.id.startswith("sgcc_commitments")}
    cited: set[str] = set()
    for wid, c in _commitments(pack):
        for b in c.basis:
            if b.source in versions:
                cited.add(b.source)
                assert c.effective.from_ is not None, (wid, c.id)
                assert c.effective.from_ >= versions[b.source].from_, (wid, c.id)
    assert cited == set(versions)  # 2005, 2011, current, and the current one's unread items
    assert versions["sgcc_commitments_2011"].until == versions["sgcc_commitments_current"].from_


def test_the_1996_limits_end_on_2024_06_01_and_the_unknown_ones_carry_on_unverified(
        pack: Pack) -> None:
    carried = set()
    for wid, c in _commitments(pack):
        sources = [b.source for b in c.basis]
        if "gdyyg_1996" in sources:
            assert c.effective.until == dt.date(2024, 6, 1), (wid, c.id)
        if "gdyyg_2024_recalled" in sources:
            assert c.effective.from_ == dt.date(2024, 6, 1), (wid, c.id)
            carried.add(f"{wid}.{c.id}")
    assert pack.sources["gdyyg_2024_recalled"].status == "unverified"
    # 暂拆, 复装, 校表, 恢复供电 carried on; the 2024 供电方案 limits as recalled
    assert carried == {
        "temporary_removal.removal_2024", "reinstallation.reinstall_2024", "meter_test.test_2024",
        "arrears_reconnect.restore_2024", "lv_residential_connection.scheme_reply_2024",
        "lv_non_residential_connection.scheme_reply_2024", "hv_connection.scheme_reply_2024"}


@pytest.mark.parametrize(("day", "shown"), [
    ("2010-06-01", ["(scheme_reply_sgcc_2005) 15个工作日", "约束 binding",
                    "(scheme_reply_1996) 1个月",
                    "《国家电网公司供电服务“十项承诺”（2005年版）》 [secondary]",
                    "《供电营业规则》 第十九条 [secondary]", "(design_review_company) 10个工作日"]),
    ("2015-06-01", ["(scheme_reply_sgcc_2011) 15个工作日",
                    "《国家电网公司供电服务“十项承诺”（2011年修订）》 [verified]",
                    "(scheme_reply_regulator_2009) 20个工作日", "(scheme_reply_1996) 1个月"]),
    ("2024-01-15", ["(scheme_reply_regulator_2009) 20个工作日", "(scheme_reply_1996) 1个月",
                    "(whole_process_sgcc_current) 22个工作日",
                    "《国家电网有限公司供电服务“十项承诺”（现行版）》 第六项 [verified]"]),
    ("2025-06-02", ["(scheme_reply_2024) 15个工作日", "《供电营业规则（内容待核）》 [unverified]",
                    "(scheme_validity_2024)"]),
])
def test_explain_as_of_a_day_of_each_period_shows_the_limits_in_force_and_their_sources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, day: str, shown: list[str]) -> None:
    from bizroute.cli import main

    request_file = tmp_path / "r.jsonl"
    request_file.write_text('{"description": "高压新装", "customer": {"type": "non_residential"}, '
                            '"supply": {"capacity_kva": 800}}\n', encoding="utf-8")
    assert main(["explain", str(request_file), "--as-of", day]) == 0
    out = capsys.readouterr().out
    for text in shown:
        assert text in out, text
    if day >= "2024-06-01":
        assert "scheme_reply_1996" not in out
    if day < "2011-10-13":
        assert "scheme_reply_sgcc_2011" not in out


def test_docs_list_every_time_limit_and_customer_notice_of_the_default_pack(pack: Pack) -> None:
    text = (ROOT / "docs" / "default-pack.md").read_text(encoding="utf-8")
    section = text[text.index("## Time limits by period"):]
    for wid, locs in pack.workflows.items():
        for loc in locs:
            items = [*loc.obj.commitments, *loc.obj.customer_notices]
            if items:
                assert f"`{wid}`" in section, wid
            for item in items:
                assert f"`{item.id}`" in section, (wid, item.id)
