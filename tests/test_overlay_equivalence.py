"""An overlay stack decides exactly as the pack one would get by copying the base and editing it
by hand: every example case of the default pack (and of the example overlays), decision JSON
against decision JSON, plans and explanations included.

The stack is the example province, the example city on it, and a third overlay written here;
the hand-made pack is a copy of rules/ with the same changes typed into its files.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bizroute import Pack, load_pack
from bizroute.cases import load_cases
from bizroute.overlay import read_source
from bizroute.packview import diff
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "overlays"

THIRD = """\
pack:
  id: cn-power-supply-third
  name: 第三层
  version: "1"
  extends: {path: CITY}
remove:
  rules: [report.explicit]
patch:
  rules:
    - {id: praise.words, priority: 65}
  text:
    negation_cues: {append: [并没]}
  workflows:
    - id: meter_test
      commitments:
        append:
          - {id: test_done, name: 检定完成（本地）, from: accept, to: test, limit: {working_days: 4}}
"""

METER_TEST_END = ("        basis: [{source: sgcc_commitments_current, "
                  "note: 受理客户计费电能表校验申请后，5个工作日内出具检测结果}]\n"
                  "        effective: {from: 2023-08-08}\n")

# (file under rules/, text as it is, text as the hand-made pack has it): the same changes as
# the province, the city and the third overlay make
EDITS: list[tuple[str, str, str]] = [
    # province: the access ceiling
    ("pack.yaml", "    lv_access_max_kva: 160\n", "    lv_access_max_kva: 100\n"),
    # province: the tenant field, added at the end of the fields
    ("pack.yaml", "      label_en: Received at\n      absent: \"false\"\n",
     "      label_en: Received at\n      absent: \"false\"\n"
     "    applicant.tenant:\n      type: bool\n      label: 租户申请\n"
     "      label_en: Applicant is a tenant\n      absent: \"false\"\n"
     "      question: 请问您是房屋产权人，还是租住房屋的租户？\n"
     "      description: 申请人租住房屋、不是产权人时为 true；本省要求租户提供产权人同意用电证明。\n"),
    # province: the owner's consent, in the catalogue and in both versions of the category
    ("catalogue/documents.yaml", "    notes: 纳税人识别号、开户行及账号、地址电话；一般纳税人资格证明。\n",
     "    notes: 纳税人识别号、开户行及账号、地址电话；一般纳税人资格证明。\n"
     "  - id: owner_consent\n    name: 产权人同意用电证明\n"
     "    name_en: Owner's consent to the connection\n"
     "    notes: 租户办理居民新装时提供：产权人签字的同意书及产权人身份证复印件（本省做法）。\n"),
    ("catalogue/sources.yaml", "    issuer: 国家电网公司\n    status: practice\n",
     "    issuer: 国家电网公司\n    status: practice\n"
     "  - id: example_province_commitments\n    title: （示例）省电力公司供电服务承诺\n"
     "    issuer: 示例省电力公司\n    status: unverified\n"),
    ("categories/new_connection.yaml",
     "      - {id: power_of_attorney, when: {field: applicant.agent, eq: true}}\n"
     "    departments: &deps_lv_res [counter, metering_install]\n",
     "      - {id: power_of_attorney, when: {field: applicant.agent, eq: true}}\n"
     "      - {id: owner_consent, when: {field: applicant.tenant, eq: true}, note: 租户办理时提供}\n"
     "    departments: &deps_lv_res [counter, metering_install]\n"),
    # province: the stricter residential limit
    ("workflows/new_connection.yaml",
     "      - id: whole_process_sgcc_current\n        name: 居民客户全过程办电时间\n"
     "        from: accept\n        to: connect\n        limit: {working_days: 5}\n"
     "        basis: [{source: sgcc_commitments_current, article: 第六项, "
     "note: 居民客户全过程办电时间不超过5个工作日}]\n",
     "      - id: whole_process_sgcc_current\n        name: 居民客户全过程办电时间（本省）\n"
     "        from: accept\n        to: connect\n        limit: {working_days: 3}\n"
     "        basis: [{source: example_province_commitments, "
     "note: 居民客户全过程办电时间不超过3个工作日（示例值）}]\n"),
    # city: Cantonese outage words
    ("vocabularies/service_95598.yaml", "      - 没点了\n\n  - id: hazard_words\n",
     "      - 没点了\n      - 冇电\n      - 冇咗电\n      - 停咗电\n      - 冇晒电\n\n"
     "  - id: hazard_words\n"),
    # third: a rule removed, a priority raised, a negation cue, a commitment added
    ("rules/service_95598.yaml",
     "  - id: report.explicit\n    category: report\n    priority: 950\n"
     "    note: 客户明确说“举报”，即使同时说到对服务的不满，也按举报\n    when:\n      all:\n"
     "        - *no_intent\n"
     "        - {field: description, mentions: [举报, 我要举报, 实名举报, 匿名举报, 举抱, 局报]}\n\n", ""),
    ("rules/service_95598.yaml", "  - id: praise.words\n    category: praise\n    priority: 60\n",
     "  - id: praise.words\n    category: praise\n    priority: 65\n"),
    ("pack.yaml", "不必, 用不着]\n", "不必, 用不着, 并没]\n"),
    ("workflows/service.yaml", METER_TEST_END,
     METER_TEST_END
     + "      - {id: test_done, name: 检定完成（本地）, from: accept, to: test, limit: {working_days: 4}}\n"),
]


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pack, Pack, Path, Path]:
    tmp = tmp_path_factory.mktemp("equivalence")
    third = tmp / "third"
    third.mkdir()
    (third / "pack.yaml").write_text(THIRD.replace("CITY", str(EXAMPLES / "example-city")),
                                     encoding="utf-8")
    hand = tmp / "hand"
    shutil.copytree(ROOT / "rules", hand)
    for name, before, after in EDITS:
        path = hand / name
        text = path.read_text(encoding="utf-8")
        assert text.count(before) == 1, (name, before)
        path.write_text(text.replace(before, after), encoding="utf-8")
    return load_pack(third), load_pack(hand), third, hand


def _requests() -> list[tuple[str, dict[str, Any], Any]]:
    out = []
    for root in (ROOT / "rules", EXAMPLES / "example-province", EXAMPLES / "example-city"):
        for loaded in load_cases(root, []):
            out.append((loaded.case.id, loaded.case.request, loaded.case.as_of))
    return out


def test_the_stack_is_three_overlays_on_the_default_pack(packs: tuple[Pack, Pack, Path, Path]
                                                         ) -> None:
    stacked, _, _, _ = packs
    assert [p.id for p in stacked.stack] == [
        "cn-power-supply", "cn-power-supply-example-province", "cn-power-supply-example-city",
        "cn-power-supply-third"]


def test_every_case_gets_the_same_decision_from_the_stack_and_the_hand_made_pack(
        packs: tuple[Pack, Pack, Path, Path]) -> None:
    stacked, hand, _, _ = packs
    base = load_pack()
    requests = _requests()
    assert len(requests) > 450
    moved = 0
    for case_id, request, as_of in requests:
        a = stacked.classify(request, as_of=as_of).to_dict()
        b = hand.classify(request, as_of=as_of).to_dict()
        assert a.pop("pack")["stack"] and "stack" not in b.pop("pack")
        assert a == b, case_id
        national = base.classify(request, as_of=as_of).to_dict()
        national.pop("pack")
        moved += national != a
    assert moved >= 10  # the overlays change decisions: the comparison is not of equal packs


def test_pack_diff_lists_the_same_changes_for_the_stack_and_the_hand_made_pack(
        packs: tuple[Pack, Pack, Path, Path]) -> None:
    _, _, third, hand = packs
    base = read_source(ROOT / "rules", [])

    def changes(root: Path) -> set[tuple[Any, ...]]:
        return {(c.kind, c.target, c.change, c.key, repr(c.old), repr(c.new))
                for c in diff(base, read_source(root, [])) if c.kind != "pack"}

    from_stack, from_hand = changes(third), changes(hand)
    assert from_stack == from_hand
    assert ("rules", "report.explicit", "removed", None, "None", "None") in from_stack
    assert len(from_stack) == 14
