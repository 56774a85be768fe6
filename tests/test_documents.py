"""Document codes from other systems: aliases, codes written differently, and unknown codes
that become warnings instead of failing the request."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from bizroute import Pack, load_pack
from bizroute.checks import check_pack
from bizroute.errors import PackError
from bizroute.intake import DocumentCodes
from bizroute.output import FastEncoder, JsonlWriter, TableWriter, flat_row, render_text
from bizroute.readers import Record

RES_NEW = {"description": "新房要装表", "customer": {"type": "residential"}}


def _missing(pack: Pack, presented: Any) -> list[str]:
    d = pack.classify({**RES_NEW, "documents_presented": presented})
    assert d.category_id == "res_new"
    return [x.id for x in d.documents_missing]


@pytest.mark.parametrize("presented", [
    ["id_card", "property"],               # the catalogue's own ids
    ["id_card", "房产证"],                   # an alias
    ["id_card", "不動產權證書"],               # an alias in traditional characters
    ["ID_Card", "ＰＲＯＰＥＲＴＹ_ＣＥＲＴＩＦＩＣＡＴＥ"],  # case and full-width characters
    "id_card；房产证",                        # one text, as a CSV cell holds it
])
def test_aliases_and_ids_written_differently_present_the_document(
        minimal_pack: Pack, presented: Any) -> None:
    assert _missing(minimal_pack, presented) == []


def test_an_unknown_code_is_left_out_and_reported_as_a_warning(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({**RES_NEW, "documents_presented": ["id_card", "passport"]})
    assert (d.status, d.category_id) == ("decided", "res_new")
    assert [x.id for x in d.documents_missing] == ["property"]
    [w] = d.warnings
    assert (w.code, w.field) == ("unknown_document_code", "documents_presented")
    assert "第2项" in w.message and "“passport”" in w.message


@pytest.mark.parametrize("item", [
    "110101199003071234",   # an identity number
    "13800138000",          # a phone number
    "张三的身份证",            # a name
    "id 6222020200112233",  # a bank card number inside a code
])
def test_a_warning_never_quotes_what_may_be_personal_data(minimal_pack: Pack, item: str) -> None:
    d = minimal_pack.classify({**RES_NEW, "documents_presented": [item]})
    [w] = d.warnings
    assert item not in w.message and "第1项" in w.message
    assert not any(ch.isdigit() for ch in w.message.replace("第1项", ""))


def test_items_that_are_not_text_are_unknown_codes_too(minimal_pack: Pack) -> None:
    d = minimal_pack.classify({**RES_NEW, "documents_presented": ["id_card", 7, None, {"a": 1}]})
    assert [w.message[:8] for w in d.warnings] == ["已提供资料第2项", "已提供资料第3项", "已提供资料第4项"]
    assert [x.id for x in d.documents_missing] == ["property"]


def test_blank_items_are_ignored_and_a_list_that_is_no_list_is_still_an_error(
        minimal_pack: Pack) -> None:
    d = minimal_pack.classify({**RES_NEW, "documents_presented": ["id_card", " "]})
    assert d.warnings == ()
    from bizroute import InputError

    with pytest.raises(InputError, match="documents_presented: expected a list"):
        minimal_pack.classify({**RES_NEW, "documents_presented": {"id": "id_card"}})


def test_a_contains_test_sees_the_document_an_alias_presents(tmp_path: Path) -> None:
    from tests.helpers import FIELDS, category, write_pack

    fields = FIELDS.replace("  - {id: d2, name: 产权证明}",
                            "  - {id: d2, name: 产权证明, aliases: [房产证]}")
    body = ("categories:\n" + category("c") + "rules:\n"
            "  - {id: r, category: c, when: {field: docs, contains: d2}}\n")
    pack = load_pack(write_pack(tmp_path / "p", body, fields))
    assert pack.classify({"docs": ["房产证"]}).status == "decided"
    assert pack.classify({"docs": ["户口本"]}).status == "unmatched"


def test_warnings_are_always_in_the_json_and_in_every_output(minimal_pack: Pack) -> None:
    clean = minimal_pack.classify(RES_NEW)
    assert clean.to_dict()["warnings"] == []
    d = minimal_pack.classify({**RES_NEW, "documents_presented": ["passport"]})
    data = json.loads(d.to_json())
    assert data["warnings"] == [w.to_dict() for w in d.warnings]
    assert set(data["warnings"][0]) == {"code", "field", "message"}
    record = Record(1, 1, 1, data={})
    expected = orjson.dumps(JsonlWriter(None).payload(record, d),  # type: ignore[arg-type]
                            option=orjson.OPT_APPEND_NEWLINE)
    assert FastEncoder().line(record, d, False) == expected
    assert "警告 warning: 已提供资料第1项" in render_text(d)
    table = io.StringIO()
    writer = TableWriter(table)
    writer.begin()
    writer.write(record, d)
    assert "警告 warning: unknown_document_code" in table.getvalue()
    assert flat_row(record, d)[-1] == "unknown_document_code"


def test_an_error_decision_has_an_empty_list_of_warnings(minimal_pack: Pack) -> None:
    [d] = minimal_pack.classify_many([{"customer": {"type": "company"}}])
    assert d.status == "error" and d.to_dict()["warnings"] == []


def test_an_alias_declared_by_two_documents_presents_both() -> None:
    codes = DocumentCodes({"a": ["房产证"], "b": ["房产证"], "c": ["a"]}, str.lower)
    assert sorted(codes.resolve("docs", ["房产证"])) == ["a", "b"]
    assert sorted(codes.resolve("docs", ["A"])) == ["a"]  # an id wins over c's alias


# --- the pack side: loading and bizroute check ------------------------------------------------

PACK = """\
pack:
  id: t
  name: 别名
  version: "1"
  fields:
    intent: {type: enum, label: 意向, label_en: Intent, values: [a]}
    documents_presented: {type: list, values_from: documents, label: 资料, label_en: Docs}
sources: [{id: s, title: 规则}]
groups: [{id: g, name: 组}]
departments: [{id: counter, name: 营业厅, front_office: true}]
documents:
{documents}
categories:
  - {id: c, name: 类别, name_en: C, group: g, basis: [{source: s}], documents: [p, q]}
rules:
  - {id: r, category: c, when: {field: intent, eq: a}}
"""


DOCS_LINE = 12  # the first document's line in PACK


def _write(tmp_path: Path, documents: str) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK.replace("{documents}", documents), encoding="utf-8")
    return tmp_path


def _at(documents: str, line: int, text: str, nth: int = 1) -> tuple[int, int]:
    """The 1-based position of the ``nth`` ``text`` on ``line`` of ``documents``."""
    row = documents.splitlines()[line]
    column = -1
    for _ in range(nth):
        column = row.index(text, column + 1)
    return DOCS_LINE + line, column + 1


def test_an_alias_empty_once_normalised_is_a_load_error_at_its_position(tmp_path: Path) -> None:
    documents = "  - {id: p, name: 甲, aliases: [房产证, '  ']}\n  - {id: q, name: 乙}"
    with pytest.raises(PackError) as info:
        load_pack(_write(tmp_path, documents))
    [f] = info.value.findings
    assert (f.code, (f.line, f.column)) == ("BR103", _at(documents, 0, "'  '"))
    assert "alias '  ' of document 'p'" in f.message


def test_an_alias_that_is_not_text_is_a_schema_error_at_its_position(tmp_path: Path) -> None:
    documents = "  - {id: p, name: 甲, aliases: [房产证, {x: 1}]}\n  - {id: q, name: 乙}"
    with pytest.raises(PackError) as info:
        load_pack(_write(tmp_path, documents))
    first = info.value.findings[0]
    assert (first.code, (first.line, first.column)) == ("BR103", _at(documents, 0, "{x"))
    assert "expected text" in first.message


@pytest.mark.parametrize(("documents", "expected"), [
    # another document's id (case and width do not matter): an error
    ("  - {id: p, name: 甲, aliases: [Ｑ]}\n  - {id: q, name: 乙}",
     [("error", 0, "Ｑ", "is the id of document 'q'")]),
    # shared by two documents: a warning on the second
    ("  - {id: p, name: 甲, aliases: [房产证]}\n  - {id: q, name: 乙, aliases: [房產證]}",
     [("warning", 1, "房產證", "is also an alias of document 'p'")]),
    # repeated, or the document's own id: a warning
    ("  - {id: p, name: 甲, aliases: [房产证, 房产 证, P]}\n  - {id: q, name: 乙}",
     [("warning", 0, "房产 证", "repeats"), ("warning", 0, "P]", "repeats")]),
    ("  - {id: p, name: 甲, aliases: [房产证]}\n  - {id: q, name: 乙, aliases: [不动产权证书]}", []),
])
def test_bizroute_check_reports_alias_conflicts_at_the_alias(
        tmp_path: Path, documents: str, expected: list[tuple[str, int, str, str]]) -> None:
    report = check_pack(_write(tmp_path, documents))
    found = [f for f in report.findings if f.code == "BR414"]
    assert [(f.severity, (f.line, f.column)) for f in found] == [
        (severity, _at(documents, line, text)) for severity, line, text, _ in expected]
    for f, (*_, message) in zip(found, expected, strict=True):
        assert message in f.message
