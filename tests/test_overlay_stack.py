"""Provenance (findings at the layer that caused them), the drift and conflict checks, and
stacks of overlays: decisions name every pack of the stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bizroute import PackError, load_pack
from bizroute.checks import check_pack
from bizroute.findings import Finding
from bizroute.overlay import digest_of
from tests.overlay_helpers import (
    BASE_BODY,
    overlay_head,
    points_at,
    write_base,
    write_overlay,
)

OV = "ov/pack.yaml"
BASE = "base/body.yaml"


def _check(root: Path, *codes: str) -> list[Finding]:
    return [f for f in check_pack(root).findings if not codes or f.code in codes]


# --- provenance: each finding at the layer that caused it ------------------------------------


def test_load_errors_point_at_the_base_and_at_the_overlay_each_where_it_was_made(
        tmp_path: Path) -> None:
    write_base(tmp_path, BASE_BODY.replace("mentions: outage}", "mentions: outage_typo}"))
    root = write_overlay(tmp_path, """
        rules:
          - {id: r2, category: c, when: {field: colour, eq: red}}
        """)
    with pytest.raises(PackError) as info:
        load_pack(root)
    errors = [f for f in info.value.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["BR203", "BR201"]
    assert points_at(tmp_path, errors[0], BASE, "mentions: outage_typo")
    assert points_at(tmp_path, errors[1], OV, "field: colour")


def test_a_patched_object_keeps_the_base_position_of_what_the_patch_left_alone(
        tmp_path: Path) -> None:
    write_base(tmp_path, BASE_BODY.replace("category: e\n", "category: ee\n"))
    root = write_overlay(tmp_path, """
        patch:
          rules:
            - {id: cap, priority: 5, when: {field: capcity, lte: 10}}
        """)
    with pytest.raises(PackError) as info:
        load_pack(root)
    errors = {f.code: f for f in info.value.findings if f.severity == "error"}
    assert set(errors) == {"BR201", "BR207"}
    assert points_at(tmp_path, errors["BR201"], OV, "field: capcity")  # the patch set it
    assert points_at(tmp_path, errors["BR207"], BASE, "category: ee")  # the base did


def test_check_findings_point_at_both_layers(tmp_path: Path) -> None:
    write_base(tmp_path)  # the base's document d3 is used nowhere
    root = write_overlay(tmp_path, """
        documents:
          - {id: d9, name: 本地资料}
        """)
    unused = _check(root, "BR407")
    assert len(unused) == 2
    assert points_at(tmp_path, unused[0], BASE, "id: d3")
    assert points_at(tmp_path, unused[1], OV, "id: d9")


def test_a_base_case_the_overlay_breaks_is_reported_at_the_base_case_with_a_hint(
        tmp_path: Path) -> None:
    write_base(tmp_path)
    root = write_overlay(tmp_path, "patch:\n  settings: {limit: 5}\n")
    (failed,) = _check(root, "BR503")
    assert failed.file == "base/tests/cases.yaml" and "case 'small' fails" in failed.message
    assert failed.hint is not None and "comes from the base pack" in failed.hint


def test_show_and_sites_name_the_file_that_set_each_value(tmp_path: Path) -> None:
    write_base(tmp_path)
    pack = load_pack(write_overlay(tmp_path, """
        patch:
          rules:
            - {id: r, priority: 30}
        """))
    rule = next(r for r in pack.source.entries["rules"] if r.obj.id == "r")
    assert rule.site("priority")[0] == OV
    assert rule.site("when")[0] == BASE and rule.site()[0] == BASE
    compiled = next(r for r in pack.rules if r.id == "r")
    assert compiled.file == BASE  # the rule was written in the base


# --- the drift and conflict checks -----------------------------------------------------------


@pytest.mark.parametrize(("versions", "warned"), [("[\"0.9\"]", True), ("[\"0.9\", \"1\"]", False),
                                                  ("[]", False)])
def test_an_overlay_written_for_another_base_version_is_warned_at_its_versions(
        tmp_path: Path, versions: str, warned: bool) -> None:
    write_base(tmp_path)  # the base is version "1"
    root = write_overlay(tmp_path, "", head=overlay_head(f"{{path: ../base, versions: {versions}}}"))
    found = _check(root, "BR711")
    assert bool(found) is warned
    if warned:
        assert points_at(tmp_path, found[0], OV, "versions:")
        assert "written for t version(s) 0.9; the base is version 1" in found[0].message


@pytest.mark.parametrize(("body", "noop"), [
    ("patch:\n  settings: {limit: 160}\n", True),
    ("patch:\n  settings: {limit: 150}\n", False),
    ("patch:\n  rules:\n    - {id: r, priority: 10}\n", True),
    ("patch:\n  rules:\n    - {id: r, priority: 11}\n", False),
    ("replace:\n  rules:\n    - {id: r, category: c, priority: 10, note: 停电,"
     " when: {field: description, mentions: outage}}\n", True),
    ("patch:\n  categories:\n    - {id: c, codes: {x: \"1\"}}\n", True),
])
def test_a_replace_or_patch_that_changes_nothing_is_warned(tmp_path: Path, body: str,
                                                           noop: bool) -> None:
    write_base(tmp_path)
    found = _check(write_overlay(tmp_path, body), "BR712")
    assert bool(found) is noop
    if noop:
        assert found[0].file == OV and "changes nothing: the base has it so already" in \
            found[0].message


def test_an_unpinned_operation_is_told_the_digest_to_record_and_drift_is_caught(
        tmp_path: Path) -> None:
    write_base(tmp_path)
    root = write_overlay(tmp_path, "patch:\n  rules:\n    - {id: r, priority: 30}\n")
    (info,) = _check(root, "BR715")
    assert info.severity == "info" and points_at(tmp_path, info, OV, "id: r")
    digest = re.search(r"record base_digest: (\w+)", info.message).group(1)  # type: ignore[union-attr]
    root = write_overlay(tmp_path, f"patch:\n  rules:\n    - {{id: r, base_digest: {digest}, "
                                   "priority: 30}\n")
    assert _check(root, "BR713", "BR715") == []
    # the base changes the rule under the patch: the overlay is told, with the new digest
    write_base(tmp_path, BASE_BODY.replace("note: 停电", "note: 停电报修"))
    (drift,) = _check(root, "BR713")
    assert points_at(tmp_path, drift, OV, "id: r") and drift.severity == "warning"
    assert f"base_digest {digest}, now " in drift.message
    assert digest_of({"x": 1}) == digest_of({"x": 1}) and len(digest) == 12


def test_a_setting_records_its_digest_in_the_long_form(tmp_path: Path) -> None:
    write_base(tmp_path)
    pinned = digest_of(160)
    root = write_overlay(tmp_path, f"patch:\n  settings:\n    limit: {{value: 120, base_digest: "
                                   f"{pinned}}}\n")
    assert _check(root, "BR713", "BR715") == []
    assert load_pack(root).info.settings["limit"] == 120


def _stack(tmp_path: Path, province: str, city: str) -> Path:
    write_base(tmp_path)
    write_overlay(tmp_path, province, name="province", head=overlay_head("{path: ../base}", "p"))
    return write_overlay(tmp_path, city, name="city",
                         head=overlay_head("{path: ../province}", "c", "2"))


@pytest.mark.parametrize(("province", "city", "overlap"), [
    ("patch:\n  settings: {limit: 100}\n", "patch:\n  settings: {limit: 200}\n", "all of it"),
    ("patch:\n  rules:\n    - {id: r, priority: 20}\n",
     "patch:\n  rules:\n    - {id: r, priority: 30, note: 市}\n", "priority"),
    ("documents:\n  - {id: d9, name: 省资料}\n",
     "patch:\n  documents:\n    - {id: d9, name: 市资料}\n", "name"),
    ("patch:\n  rules:\n    - {id: r, priority: 20}\n",
     "patch:\n  rules:\n    - {id: r, note: 市}\n", None),
    ("patch:\n  settings: {limit: 100}\n", "patch:\n  rules:\n    - {id: r, priority: 30}\n",
     None),
])
def test_two_overlays_of_a_stack_setting_one_field_are_warned(
        tmp_path: Path, province: str, city: str, overlap: str | None) -> None:
    found = _check(_stack(tmp_path, province, city), "BR714")
    assert bool(found) is (overlap is not None)
    if overlap is not None:
        (warning,) = found
        assert warning.file == "city/pack.yaml"
        assert f"both set {overlap}; the upper one wins" in warning.message
        assert "province/pack.yaml:" in warning.message


# --- stacks -------------------------------------------------------------------------------------


def test_a_stack_of_two_overlays_applies_both_and_decisions_name_the_stack(
        tmp_path: Path) -> None:
    city = _stack(tmp_path, """
        patch:
          settings: {limit: 100}
        documents:
          - {id: d9, name: 省资料}
        """, """
        patch:
          categories:
            - {id: c, documents: {append: [d9]}}
          vocabularies:
            - {id: outage, terms: {append: [冇电]}}
        """)
    pack = load_pack(city)
    province, base = load_pack(tmp_path / "province"), load_pack(tmp_path / "base")
    decision = pack.classify({"description": "屋企冇电"})
    assert decision.category_id == "c"
    assert [d.id for d in decision.documents_required] == ["d1", "d2", "d9"]
    assert pack.info.settings["limit"] == 100
    assert province.classify({"description": "屋企冇电"}).status == "needs_info"
    data = decision.to_dict()["pack"]
    assert (data["id"], data["version"], data["digest"]) == ("c", "2", pack.digest)
    assert [(p["id"], p["version"]) for p in data["stack"]] == [("t", "1"), ("p", "1"),
                                                                 ("c", "2")]
    assert data["stack"][0]["digest"] == base.digest
    assert data["stack"][1]["digest"] != province.digest  # its own files; province.digest is
    assert province.stack[:2] == pack.stack[:2]  # ... the digest of its stack
    assert len({base.digest, province.digest, pack.digest}) == 3
    assert "stack" not in base.classify({"description": "停电"}).to_dict()["pack"]


def test_a_stack_digest_changes_with_any_layer(tmp_path: Path) -> None:
    city = _stack(tmp_path, "patch:\n  settings: {limit: 100}\n", "")
    before = load_pack(city).digest
    write_overlay(tmp_path, "patch:\n  settings: {limit: 90}\n", name="province",
                  head=overlay_head("{path: ../base}", "p"))
    assert load_pack(city).digest != before


def test_the_upper_overlay_wins_and_sees_what_the_lower_one_added(tmp_path: Path) -> None:
    city = _stack(tmp_path, """
        rules:
          - {id: r9, category: c, when: {field: flag, eq: true}}
        """, """
        patch:
          rules:
            - {id: r9, priority: 70}
        remove:
          rules: [cap]
        """)
    pack = load_pack(city)
    assert {r.id: r.priority for r in pack.rules} == {"r": 10, "r9": 70}


def test_an_overlay_inherits_the_waivers_of_its_base(tmp_path: Path) -> None:
    base = write_base(tmp_path)
    (base / ".bizroute-check.yaml").write_text(
        "waive:\n  - {code: BR407, id: d3, reason: 备用}\n", encoding="utf-8")
    root = write_overlay(tmp_path, "")
    report = check_pack(root)
    assert [r.finding.code for r in report.waived] == ["BR407"]
    assert not [f for f in report.findings if f.code in ("BR407", "BR413")]
