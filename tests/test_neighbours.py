"""Neighbouring rules: which categories a request can move between, and how (Analysis.neighbours)."""

from __future__ import annotations

from pathlib import Path

from bizroute import load_pack
from bizroute.analysis import Analysis
from tests.helpers import FIELDS, category, write_pack

# every field optional: a witness that leaves a field out is decided, not asked about
OPTIONAL_FIELDS = FIELDS.replace("label_en: Words}", "label_en: Words, absent: 'false'}").replace(
    "values: {a: 甲, b: 乙, c: 丙}}", "values: {a: 甲, b: 乙, c: 丙}, absent: 'false'}").replace(
    "label_en: Flag}", "label_en: Flag, absent: 'false'}")

BODY = (
    "categories:\n" + "".join(category(c) for c in ("c1", "c2", "c3", "c4", "c5", "c6", "c7"))
    + """\
rules:
  - {id: small, category: c1, when: {all: [{field: intent, eq: a}, {field: capacity, lte: 160}]}}
  - {id: large, category: c2, when: {all: [{field: intent, eq: a}, {field: capacity, gt: 160}]}}
  - {id: plain, category: c3, priority: 10, when: {field: intent, eq: b}}
  - {id: flagged, category: c4, priority: 5, when: {all: [{field: intent, eq: b}, {field: flag, eq: true}]}}
  - {id: outage, category: c5, when: {field: description, mentions: outage}}
  - {id: repair, category: c6, when: {field: description, mentions: [报修]}}
  - {id: other, category: c7, when: {field: intent, eq: c}}
""")


def _relations(tmp_path: Path) -> dict[tuple[str, str], object]:
    analysis = Analysis(load_pack(write_pack(tmp_path / "p", BODY, OPTIONAL_FIELDS)))
    return {(n.first.rule.id, n.second.rule.id): analysis.confirm(n)
            for n in analysis.neighbours}


def test_rules_one_field_apart_are_neighbours_with_both_sides_confirmed(tmp_path: Path) -> None:
    n = _relations(tmp_path)[("small", "large")]
    assert n.kind == "apart" and n.dimension.field == "capacity"  # type: ignore[attr-defined]
    assert n.labels(0) == ["(-inf, 160]"] and n.labels(1) == ["> 160"]  # type: ignore[attr-defined]
    assert n.confirmed and n.outcomes == (("c1",), ("c2",))  # type: ignore[attr-defined]
    assert n.witnesses[0]["capacity"] <= 160 < n.witnesses[1]["capacity"]  # type: ignore[attr-defined]


def test_rules_true_together_record_which_category_wins(tmp_path: Path) -> None:
    n = _relations(tmp_path)[("plain", "flagged")]
    assert n.kind == "together"  # type: ignore[attr-defined]
    assert n.confirmed and n.outcomes == (("c3",),)  # type: ignore[attr-defined]


def test_rules_true_only_with_the_words_of_both_are_words_neighbours(tmp_path: Path) -> None:
    n = _relations(tmp_path)[("outage", "repair")]
    assert n.kind == "words"  # type: ignore[attr-defined]
    assert n.confirmed and set(n.outcomes[0]) == {"c5", "c6"}  # type: ignore[attr-defined]


def test_rules_two_fields_apart_are_not_neighbours(tmp_path: Path) -> None:
    relations = _relations(tmp_path)
    assert ("small", "plain") not in relations  # intent differs, and capacity is not tested
    assert ("small", "other") not in relations
    assert ("plain", "other") not in relations  # one field, but a and c do not make up intent


def test_an_apart_pair_that_a_third_rule_overrides_is_not_confirmed(tmp_path: Path) -> None:
    body = BODY + """\
  - id: big_flag
    category: c7
    priority: 20
    when: {all: [{field: capacity, gt: 160}, {field: flag, exists: false}]}
"""
    analysis = Analysis(load_pack(write_pack(tmp_path / "q", body, OPTIONAL_FIELDS)))
    n = next(x for x in analysis.neighbours if (x.first.rule.id, x.second.rule.id)
             == ("small", "large"))
    confirmed = analysis.confirm(n)
    # the witness for "large" has no flag, so big_flag (priority 20) decides it: not c2
    assert confirmed.outcomes[1] == ("c7",) and not confirmed.confirmed
