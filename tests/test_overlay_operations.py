"""Overlay operations by id on every object kind: what each does, and each one's errors, with
the position they are reported at (tables of overlay fragments on the base of overlay_helpers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bizroute import Pack, load_pack
from bizroute.cases import load_cases
from tests.overlay_helpers import (
    errors_of,
    load_overlay,
    overlay_head,
    points_at,
    write_base,
    write_overlay,
)

OV = "ov/pack.yaml"
BASE = "base/body.yaml"


def _rule(pack: Pack, rid: str) -> object:
    return next(r for r in pack.source.entries["rules"] if r.obj.id == rid).obj


def _category(pack: Pack, cid: str, day: str = "2025-01-01") -> object:
    when = dt.date.fromisoformat(day)
    return next(c.obj for c in pack.source.entries["categories"]
                if c.obj.id == cid and c.obj.effective.contains(when))


def _workflow(pack: Pack) -> object:
    return pack.source.entries["workflows"][0].obj


def _docs(pack: Pack, cid: str = "c") -> list[str]:
    return [d if isinstance(d, str) else d.id for d in _category(pack, cid).documents]  # type: ignore[attr-defined]


# --- what each operation does ------------------------------------------------------------------

DOES: list[tuple[str, str, Callable[[Pack], object]]] = [
    # additions: the sections of a pack, and fields and settings in the pack section
    ("add a document", """
        documents:
          - {id: d9, name: 新资料}
        """, lambda p: "d9" in p.documents),
    ("add a new version of a dated rule", """
        rules:
          - {id: cap, category: e, when: {field: capacity, lte: 99}, effective: {from: 2030-01-01}}
        """, lambda p: sorted(str(r.effective.from_) for r in p.rules if r.id == "cap")
        == ["2030-01-01", "None"]),
    ("add a field",  # in the pack section, as in any pack
     '  fields:\n    tenant: {type: bool, label: 租户, label_en: Tenant, absent: "false"}\n',
     lambda p: p.fields["tenant"].type == "bool"),
    ("add a setting", "  settings: {ceiling: 200}\n", lambda p: p.info.settings["ceiling"] == 200),
    ("add a step by appending it to its workflow", """
        patch:
          workflows:
            - id: w
              steps: {append: [{id: check, name: 回访, department: counter, after: [done]}]}
        """, lambda p: [s.id for s in _workflow(p).steps] == ["accept", "notify", "done", "check"]),
    ("add a commitment by appending it", """
        patch:
          workflows:
            - id: w
              commitments:
                append:
                  - {id: first, name: 首环节, from: accept, to: notify, limit: {working_days: 2}}
        """, lambda p: [c.id for c in _workflow(p).commitments] == ["whole", "first"]),
    # replacements
    ("replace a rule", """
        replace:
          rules:
            - {id: r, category: c, priority: 50, when: {field: description, mentions: [没电]}}
        """, lambda p: (_rule(p, "r").priority, _rule(p, "r").note) == (50, None)),  # type: ignore[attr-defined]
    ("replace a setting", """
        replace:
          settings: {limit: 100}
        """, lambda p: p.info.settings["limit"] == 100),
    ("replace a field", """
        replace:
          fields:
            flag: {type: bool, label: 新标志, label_en: New flag, absent: "false"}
        """, lambda p: (p.fields["flag"].label, p.fields["flag"].absent) == ("新标志", "false")),
    ("replace text settings", """
        replace:
          text: {negation_cues: [并非]}
        """, lambda p: p.info.text.negation_cues == ["并非"]),
    ("replace a step", """
        replace:
          steps:
            - {workflow: w, id: notify, name: 短信通知, department: counter, after: [accept]}
        """, lambda p: (_workflow(p).steps[1].name, _workflow(p).steps[1].duration) == ("短信通知", None)),  # type: ignore[attr-defined]
    ("replace a commitment", """
        replace:
          commitments:
            - {workflow: w, id: whole, name: 全程（本地）, from: accept, to: done, limit: {days: 3}}
        """, lambda p: _workflow(p).commitments[0].limit.days == 3),  # type: ignore[attr-defined]
    # patches
    ("patch: append a conditional document", """
        patch:
          categories:
            - id: c
              documents: {append: [{id: d3, when: {field: flag, eq: true}}]}
        """, lambda p: _docs(p) == ["d1", "d2", "d3"]),
    ("patch: prepend to a list", """
        patch:
          categories:
            - id: c
              documents: {prepend: [d3]}
        """, lambda p: _docs(p) == ["d3", "d1", "d2"]),
    ("patch: remove a list item by id", """
        patch:
          categories:
            - id: c
              documents: {remove: [d2]}
        """, lambda p: _docs(p) == ["d1"]),
    ("patch: replace a list", """
        patch:
          categories:
            - id: c
              documents: {replace: [d3]}
        """, lambda p: _docs(p) == ["d3"]),
    ("patch: codes merge key by key", """
        patch:
          categories:
            - {id: c, codes: {y: "2"}}
        """, lambda p: _category(p, "c").codes == {"x": "1", "y": "2"}),  # type: ignore[attr-defined]
    ("patch: one version of a dated category, by as_of", """
        patch:
          categories:
            - {id: e, as_of: 2020-01-01, name: 类别e旧}
        """, lambda p: (_category(p, "e", "2020-01-01").name, _category(p, "e").name)  # type: ignore[attr-defined]
        == ("类别e旧", "类别e新")),
    ("patch: effective dates merge", """
        patch:
          rules:
            - {id: cap, effective: {from: 2020-01-01}}
        """, lambda p: (str(_rule(p, "cap").effective.from_), str(_rule(p, "cap").effective.until))  # type: ignore[attr-defined]
        == ("2020-01-01", "2030-01-01")),
    ("patch: a rule's priority; null removes its note", """
        patch:
          rules:
            - {id: r, priority: 99, note: null}
        """, lambda p: (_rule(p, "r").priority, _rule(p, "r").note) == (99, None)),  # type: ignore[attr-defined]
    ("patch: a condition is replaced whole", """
        patch:
          rules:
            - {id: r, when: {field: flag, eq: true}}
        """, lambda p: p.classify({"flag": True}).category_id == "c"),
    ("patch: a field's question, and its enum values merged", """
        patch:
          fields:
            intent: {question: 请问要办什么？, values: {d: 丁}}
        """, lambda p: (p.fields["intent"].question, sorted(p.fields["intent"].value_labels()))
        == ("请问要办什么？", ["a", "b", "c", "d"])),
    ("patch: a setting", """
        patch:
          settings: {limit: 120}
        """, lambda p: p.classify({"capacity": 130, "description": "扩容"},
                                  as_of=dt.date(2025, 1, 1)).status == "unmatched"),
    ("patch: the calendar", """
        patch:
          calendar: {holidays: {append: [2026-03-02]}}
        """, lambda p: p.info.calendar.holidays == [dt.date(2026, 3, 2)]),
    ("patch: text settings, a list extended", """
        patch:
          text: {negation_cues: {append: [并非]}}
        """, lambda p: p.info.text.negation_cues == ["不是", "不要", "没有", "并非"]),
    ("patch: a commitment's limit", """
        patch:
          commitments:
            - {workflow: w, id: whole, limit: {working_days: 3}}
        """, lambda p: _workflow(p).commitments[0].limit.working_days == 3),  # type: ignore[attr-defined]
    ("patch: a step's duration", """
        patch:
          steps:
            - {workflow: w, id: notify, duration: {hours: 4}}
        """, lambda p: _workflow(p).steps[1].duration.hours == 4),  # type: ignore[attr-defined]
    ("patch: a customer notice", """
        patch:
          customer_notices:
            - {workflow: w, id: term, text: 方案有效期6个月}
        """, lambda p: _workflow(p).customer_notices[0].text == "方案有效期6个月"),  # type: ignore[attr-defined]
    ("add a customer notice by appending it", """
        patch:
          workflows:
            - id: w
              customer_notices: {append: [{id: fees, text: 收费标准以当地公布为准}]}
        """, lambda p: [n.id for n in _workflow(p).customer_notices] == ["term", "fees"]),  # type: ignore[attr-defined]
    ("remove a customer notice", """
        remove:
          customer_notices:
            - {workflow: w, id: term}
        """, lambda p: _workflow(p).customer_notices == []),  # type: ignore[attr-defined]
    ("patch: a vocabulary's terms", """
        patch:
          vocabularies:
            - {id: outage, terms: {append: [冇电]}}
        """, lambda p: p.classify({"description": "屋企冇电"}).category_id == "c"),
    # removals
    ("remove a rule", """
        remove:
          rules: [cap]
        """, lambda p: [r.id for r in p.rules] == ["r"]),
    ("remove a document and its use in the same overlay", """
        remove:
          documents: [d2]
        patch:
          categories:
            - {id: c, documents: {remove: [d2]}}
        """, lambda p: "d2" not in p.documents and _docs(p) == ["d1"]),
    ("remove a vocabulary with the rule that used it", """
        remove:
          vocabularies: [outage]
          rules: [r]
        """, lambda p: "outage" not in p.vocabularies),
    ("remove a setting with the rule that used it", """
        remove:
          settings: [limit]
          rules: [cap]
        """, lambda p: "limit" not in p.info.settings),
    ("remove a field no rule tests", """
        remove:
          fields: [day]
        """, lambda p: "day" not in p.fields),
    ("remove a step and the dependency on it", """
        remove:
          steps:
            - {workflow: w, id: notify}
        patch:
          steps:
            - {workflow: w, id: done, after: {remove: [notify]}}
        """, lambda p: [s.id for s in _workflow(p).steps] == ["accept", "done"]),
    ("remove a commitment", """
        remove:
          commitments:
            - {workflow: w, id: whole}
        """, lambda p: _workflow(p).commitments == []),
    ("remove one version of a dated category", """
        remove:
          categories:
            - {id: e, as_of: 2020-01-01}
          rules: [cap]
        """, lambda p: len([c for c in p.source.entries["categories"] if c.obj.id == "e"]) == 1),
]


@pytest.mark.parametrize(("body", "holds"), [(b, h) for _, b, h in DOES],
                         ids=[name for name, _, _ in DOES])
def test_an_operation_changes_the_effective_pack(tmp_path: Path, body: str,
                                                 holds: Callable[[Pack], object]) -> None:
    pack = load_overlay(tmp_path, body)
    assert holds(pack)


def test_the_base_alone_is_not_changed_by_loading_an_overlay(tmp_path: Path) -> None:
    load_overlay(tmp_path, "patch:\n  settings: {limit: 1}\n")
    assert load_pack(tmp_path / "base").info.settings["limit"] == 160


# --- each operation's errors, at the overlay's line -------------------------------------------

FAILS: list[tuple[str, str, str, str]] = [
    # (name, overlay body, code, a text of the overlay line the error points at)
    ("add an id the base has", """
        documents:
          - {id: d1, name: 重复}
        """, "BR703", "id: d1, name: 重复"),
    ("add a rule version that overlaps", """
        rules:
          - {id: cap, category: e, when: {field: capacity, lte: 99}, effective: {from: 2029-01-01}}
        """, "BR703", "from: 2029-01-01"),
    ("add a field the base has",
     "  fields:\n    description: {type: text, label: 描述, label_en: Words}\n", "BR703",
     "description: {type: text"),
    ("add a setting the base has", "  settings: {limit: 100}\n", "BR703", "settings: {limit: 100}"),
    ("append an item a list holds", """
        patch:
          categories:
            - {id: c, departments: {append: [counter]}}
        """, "BR703", "append: [counter]"),
    ("replace a rule the base lacks", """
        replace:
          rules:
            - {id: rr, category: c, when: {field: flag, eq: true}}
        """, "BR704", "id: rr"),
    ("replace a setting the base lacks", """
        replace:
          settings: {limt: 100}
        """, "BR704", "limt: 100"),
    ("patch a field the base lacks", """
        patch:
          fields:
            intnet: {question: 什么？}
        """, "BR704", "intnet:"),
    ("patch a step the workflow lacks", """
        patch:
          steps:
            - {workflow: w, id: nope, name: 无}
        """, "BR704", "id: nope"),
    ("patch a step of a workflow the base lacks", """
        patch:
          steps:
            - {workflow: ww, id: accept, name: 无}
        """, "BR704", "workflow: ww"),
    ("remove a rule the base lacks", """
        remove:
          rules: [capp]
        """, "BR704", "capp"),
    ("remove a list item that is not there", """
        patch:
          categories:
            - {id: c, documents: {remove: [d3]}}
        """, "BR704", "remove: [d3]"),
    ("patch a version in force on no date given", """
        patch:
          rules:
            - {id: cap, as_of: 2031-01-01, priority: 1}
        """, "BR704", "as_of: 2031-01-01"),
    ("patch a dated object without saying which version", """
        patch:
          categories:
            - {id: e, name: 新名}
        """, "BR705", "id: e, name: 新名"),
    ("remove a document a category still asks for", """
        remove:
          documents: [d1]
        """, "BR706", "[d1]"),
    ("remove a vocabulary a rule still mentions", """
        remove:
          vocabularies: [outage]
        """, "BR706", "[outage]"),
    ("remove a setting a rule still uses", """
        remove:
          settings: [limit]
        """, "BR706", "[limit]"),
    ("remove a field a rule still tests", """
        remove:
          fields: [capacity]
        """, "BR706", "[capacity]"),
    ("remove a step others still follow", """
        remove:
          steps:
            - {workflow: w, id: accept}
        """, "BR706", "id: accept"),
    ("remove a department steps still name", """
        remove:
          departments: [counter]
        """, "BR706", "[counter]"),
    ("remove a group a category is in", """
        remove:
          groups: [g]
        """, "BR706", "[g]"),
    ("remove a category a rule leads to", """
        remove:
          categories:
            - {id: c}
        """, "BR706", "id: c"),
    ("remove a workflow a category names", """
        remove:
          workflows: [w]
        """, "BR706", "[w]"),
    ("remove a source a basis cites", """
        remove:
          sources: [s]
        """, "BR706", "[s]"),
    ("a list in a patch without a strategy", """
        patch:
          categories:
            - {id: c, departments: [counter]}
        """, "BR707", "departments: [counter]"),
    ("a list strategy on what is not a list", """
        patch:
          rules:
            - {id: r, note: {append: [x]}}
        """, "BR707", "note: {append"),
    ("one overlay changes an object twice", """
        patch:
          rules:
            - {id: r, priority: 20}
        replace:
          rules:
            - {id: r, category: c, when: {field: flag, eq: true}}
        """, "BR708", "id: r, category: c"),
    ("one overlay replaces an object, then patches it", """
        replace:
          rules:
            - {id: r, category: c, when: {field: flag, eq: true}}
        patch:
          rules:
            - {id: r, priority: 20}
        """, "BR708", "priority: 20"),
    ("a workflow and one of its steps changed by one overlay", """
        patch:
          workflows:
            - {id: w, name: 新流程}
          steps:
            - {workflow: w, id: done, name: 办结归档}
        """, "BR708", "id: done, name: 办结归档"),
    ("a section overlays do not take", """
        rule:
          - {id: x}
        """, "BR702", "rule:"),
    ("a kind a patch does not take", """
        patch:
          rule:
            - {id: r, priority: 1}
        """, "BR702", "rule:"),
    ("text cannot be removed", """
        remove:
          text: {}
        """, "BR702", "text:"),
    ("an unknown key in a patch", """
        patch:
          rules:
            - {id: r, priorty: 1}
        """, "BR102", "priorty: 1"),
    ("a value of the wrong type in a patch", """
        patch:
          rules:
            - {id: r, priority: high}
        """, "BR103", "priority: high"),
    ("an added object with a broken reference", """
        categories:
          - {id: c2, name: 类别, name_en: C2, group: gg, basis: [{source: s}]}
        """, "BR209", "group: gg"),
    ("a patched condition with an unknown field", """
        patch:
          rules:
            - {id: r, when: {field: custmer, eq: x}}
        """, "BR201", "field: custmer"),
]


@pytest.mark.parametrize(("body", "code", "marker"), [(b, c, m) for _, b, c, m in FAILS],
                         ids=[name for name, *_ in FAILS])
def test_an_operation_error_is_reported_at_the_overlay_line(tmp_path: Path, body: str, code: str,
                                                            marker: str) -> None:
    errors = errors_of(tmp_path, body)
    assert [f.code for f in errors] == [code], [f.format() for f in errors]
    assert points_at(tmp_path, errors[0], OV, marker), errors[0].format()


def test_a_missing_target_is_named_with_a_near_id(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path, "remove:\n  rules: [capp]\n")
    assert "rule 'capp' is not in the base; did you mean 'cap'?" in error.message


def test_an_ambiguous_target_lists_its_versions(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path, "patch:\n  categories:\n    - {id: e, name: 新名}\n")
    assert "has 2 versions (until 2024-06-01, from 2024-06-01); say which with as_of" in error.message


def test_a_removal_still_referred_to_names_every_reference_at_the_base(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path, "remove:\n  departments: [counter]\n")
    base = (tmp_path / "base" / "body.yaml").read_text(encoding="utf-8").splitlines()
    accept = next(n for n, text in enumerate(base, 1) if "id: accept" in text)
    listed = next(n for n, text in enumerate(base, 1) if "departments: [counter]" in text)
    assert "4 reference(s) to it remain" in error.message
    assert f"category 'c' at base/body.yaml:{listed}" in error.message
    assert f"workflow 'w' at base/body.yaml:{accept}" in error.message
    assert error.hint == "change or remove them in the same overlay"


def test_a_refused_removal_leaves_the_object_so_nothing_else_fails(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "remove:\n  documents: [d1]\n")
    assert [f.code for f in errors] == ["BR706"]  # no BR204 at the category that lists d1


# --- extends --------------------------------------------------------------------------------


@pytest.mark.parametrize(("extends", "code", "message"), [
    ("{path: ../nowhere}", "BR701", "base pack '../nowhere' ("),
    ("{path: ../base/body.yaml}", "BR701", "is not a folder"),
    ("{package: no-such-pack-installed}", "BR701", "no installed pack 'no-such-pack-installed'"),
    ("{builtin: true, path: ../base}", "BR103", "exactly one of"),
    ("{}", "BR103", "exactly one of"),
    ("{path: ../base, version: [1]}", "BR102", "unknown key 'version'"),
])
def test_an_extends_that_names_no_base_is_an_error_at_it(tmp_path: Path, extends: str, code: str,
                                                          message: str) -> None:
    errors = errors_of(tmp_path, "", head=overlay_head(extends))
    assert [f.code for f in errors] == [code]
    assert message in errors[0].message
    assert errors[0].file == OV and errors[0].line == 5


def test_a_stack_that_comes_back_to_itself_is_an_error(tmp_path: Path) -> None:
    write_overlay(tmp_path, "", name="a", head=overlay_head("{path: ../b}", "a"))
    write_overlay(tmp_path, "", name="b", head=overlay_head("{path: ../a}", "b"))
    from bizroute import PackError

    with pytest.raises(PackError) as info:
        load_pack(tmp_path / "a")
    (error,) = [f for f in info.value.findings if f.severity == "error"]
    assert error.code == "BR701" and "comes back to a pack it already holds: a → b → a" in \
        error.message
    assert error.file == "b/pack.yaml"


def test_the_builtin_base_is_the_default_pack(tmp_path: Path) -> None:
    pack = load_pack(write_overlay(tmp_path, "", head=overlay_head("{builtin: true}")))
    base = load_pack()
    assert [r.id for r in pack.rules] == [r.id for r in base.rules]
    assert pack.stack[0].digest == base.digest


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, entry_point: str | None) -> None:
    """A package ``zjpack`` holding a copy of the base pack, and (optionally) its
    distribution's entry point in group bizroute.packs, on sys.path."""
    import importlib
    import shutil
    import sys

    site = tmp_path / "site"
    base = write_base(tmp_path)
    shutil.copytree(base, site / "zjpack" / "pack")
    (site / "zjpack" / "__init__.py").write_text("", encoding="utf-8")
    if entry_point is not None:
        info = site / "zjpack-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zjpack\nVersion: 1.0\n",
                                       encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[bizroute.packs]\n{entry_point}\n",
                                               encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "zjpack", raising=False)


@pytest.mark.parametrize(("entry_point", "extends"), [
    ("national = zjpack:PACK", "{package: national}"),  # an entry point naming a path
    ("national = zjpack.pack", "{package: national}"),  # ... naming a package folder
    (None, "{package: zjpack.pack}"),  # an importable package whose folder is a pack
])
def test_an_installed_pack_is_found_by_entry_point_or_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_point: str | None,
        extends: str) -> None:
    _install(tmp_path, monkeypatch, entry_point=entry_point)
    init = tmp_path / "site" / "zjpack" / "__init__.py"
    init.write_text("from pathlib import Path\nPACK = Path(__file__).parent / 'pack'\n",
                    encoding="utf-8")
    (tmp_path / "site" / "zjpack" / "pack" / "__init__.py").write_text("", encoding="utf-8")
    pack = load_pack(write_overlay(tmp_path, "patch:\n  settings: {limit: 1}\n",
                                   head=overlay_head(extends)))
    assert pack.info.settings["limit"] == 1 and pack.stack[0].id == "t"


def test_an_entry_point_that_fails_to_load_is_an_error_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, entry_point="national = zjpack:MISSING")
    errors = errors_of(tmp_path, "", head=overlay_head("{package: national}"))
    assert [f.code for f in errors] == ["BR701"]
    assert "cannot be loaded: AttributeError" in errors[0].message


# --- example cases --------------------------------------------------------------------------


def _cases(tmp_path: Path, tests: str) -> dict[str, object]:
    write_base(tmp_path)
    root = write_overlay(tmp_path, "", tests=tests)
    findings: list[object] = []
    cases = load_cases(root, findings)  # type: ignore[arg-type]
    return {c.case.id: c for c in cases} | {"": findings}


def test_case_operations_add_replace_patch_and_remove(tmp_path: Path) -> None:
    got = _cases(tmp_path, """
        cases:
          - id: local
            request: {description: 停电}
            expect: {status: decided, category: c}
        patch:
          cases:
            - {id: small, request: {capacity: 20}, expect: {status: needs_info}}
        remove:
          cases: [outage]
        """)
    assert got[""] == []
    assert sorted(k for k in got if k) == ["local", "small"]
    small = got["small"].case  # type: ignore[attr-defined]
    assert small.request == {"capacity": 20, "description": "扩容"}  # merged all the way down
    assert (small.expect.status, small.expect.category) == ("needs_info", "e")
    assert small.as_of == dt.date(2025, 1, 1)  # a case's as_of is data, kept
    assert got["small"].file == "ov/tests/cases.yaml"  # type: ignore[attr-defined]


def test_an_unchanged_case_is_inherited_from_the_base(tmp_path: Path) -> None:
    got = _cases(tmp_path, "cases: []\n")
    assert got["outage"].inherited and got["outage"].file == "base/tests/cases.yaml"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("tests", "code"), [
    ("cases:\n  - {id: outage, request: {}, expect: {status: unmatched}}\n", "BR703"),
    ("patch:\n  cases:\n    - {id: outgae, expect: {status: unmatched}}\n", "BR704"),
    ("replace:\n  cases:\n    - {id: outage, request: {}}\n", "BR101"),
    ("remove:\n  rules: [r]\n", "BR702"),
])
def test_case_operation_errors_are_reported_in_the_overlay_case_file(tmp_path: Path, tests: str,
                                                                     code: str) -> None:
    findings = _cases(tmp_path, tests)[""]
    assert [f.code for f in findings] == [code]  # type: ignore[attr-defined]
    assert findings[0].file == "ov/tests/cases.yaml"  # type: ignore[index]
