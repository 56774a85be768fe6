"""``bizroute check``, ``schema`` and ``diff`` from the command line: exit codes, options,
generated files that must stay up to date."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bizroute import load_pack
from bizroute.cli import main
from bizroute.models import CaseFile

TESTS = Path(__file__).parent
ROOT = TESTS.parent
VALID = TESTS / "packs" / "valid"
SEMANTICS = TESTS / "packs" / "invalid" / "semantics"
MINIMAL = VALID / "minimal"
CLEAN = VALID / "check-clean"


def test_a_clean_pack_checks_with_exit_code_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CLEAN)]) == 0
    assert capsys.readouterr().out.endswith("0 error(s), 0 warning(s), 0 info in 1 pack(s), "
                                            "2 file(s)\n")


def test_errors_give_exit_code_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(MINIMAL)]) == 1
    assert "BR401 [rule-overlap]" in capsys.readouterr().out


def test_warnings_fail_only_with_strict(capsys: pytest.CaptureFixture[str]) -> None:
    pack = str(SEMANTICS / "unused" / "document")
    assert main(["check", pack]) == 0
    assert main(["check", "--strict", pack]) == 1


@pytest.mark.parametrize("path", ["no/such/pack", "pyproject.toml"])
def test_an_unreadable_pack_path_is_a_usage_error(path: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT / path)]) == 2
    assert "pack path" in capsys.readouterr().err


def test_an_unknown_code_in_select_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "XX9", str(MINIMAL)]) == 2


def test_select_and_ignore_take_codes_and_prefixes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "BR3", str(MINIMAL)]) == 0
    out = capsys.readouterr().out
    assert "BR308" in out and "BR401" not in out
    assert main(["check", "--ignore", "BR401,BR3", str(MINIMAL)]) == 0
    out = capsys.readouterr().out
    assert "BR401" not in out and "BR308" not in out


def test_min_severity_leaves_out_information(capsys: pytest.CaptureFixture[str]) -> None:
    pack = str(SEMANTICS / "gap" / "intent-values")
    main(["check", pack])
    assert "BR405" in capsys.readouterr().out
    main(["check", "--min-severity", "warning", pack])
    assert "BR405" not in capsys.readouterr().out


def test_several_packs_are_checked_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(CLEAN), str(MINIMAL)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [p["summary"]["errors"] for p in doc["packs"]] == [0, 1]


def test_emitted_cases_are_valid_case_files_that_pass(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "witnesses.yaml"
    main(["check", str(SEMANTICS / "overlap" / "three-rules"), "--emit-cases", str(target)])
    data = YAML(typ="safe").load(target.read_text(encoding="utf-8"))
    cases = CaseFile.model_validate(data).cases
    assert len(cases) == 2
    pack = load_pack(SEMANTICS / "overlap" / "three-rules")
    for case in cases:
        decision = pack.classify(case.request, as_of=case.as_of)
        assert decision.status == case.expect.status == "ambiguous"
        assert sorted(c.category for c in decision.candidates) == sorted(
            case.expect.candidates or [])


def test_timeline_lists_the_dates_of_change(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--timeline", str(MINIMAL)])
    out = capsys.readouterr().out
    assert "    2024-06-01:\n      ~ category close\n" in out


def test_rule_explains_the_semantic_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "BR403"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BR403 [shadowed-rule] (warning)")
    assert "Triggers it:" in out and "Does not:" in out


def test_docs_checks_md_is_generated_from_the_registry() -> None:
    from bizroute.checks.docs import render

    assert (ROOT / "docs" / "checks.md").read_text(encoding="utf-8") == render(), (
        "run: python -m bizroute.checks.docs > docs/checks.md")


def test_the_shipped_json_schema_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    shipped = (ROOT / "rules" / "schema" / "pack.schema.json").read_text(encoding="utf-8")
    assert printed == shipped, "run: bizroute schema -o rules/schema/pack.schema.json"
    schema = json.loads(printed)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"pack", "rules", "categories", "vocabularies"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_the_case_file_schema_is_available(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--cases"]) == 0
    assert "cases" in json.loads(capsys.readouterr().out)["properties"]


def _requests(path: Path) -> Path:
    rows = [
        {"id": "r1", "intent": "fault"},
        {"id": "r2", "intent": "close", "received_at": "2025-01-02"},
        {"id": "r3", "intent": "new", "customer": {"type": "residential"}},
        {"id": "r4", "description": "家里停电了"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_diff_reports_the_requests_whose_decision_changes(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    new = tmp_path / "new"
    shutil.copytree(MINIMAL, new)
    text = (new / "pack.yaml").read_text(encoding="utf-8")
    # faults now go to res_new's departments: the fault rule leads to another category
    text = text.replace("  - id: fault\n    category: fault\n", "  - id: fault\n    category: close\n")
    (new / "pack.yaml").write_text(text, encoding="utf-8")
    requests = _requests(tmp_path / "requests.jsonl")
    code = main(["diff", "--old", str(MINIMAL), "--new", str(new), str(requests),
                 "--format", "json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["requests"] == 4
    assert [c["id"] for c in doc["changes"]] == ["r1", "r4"]
    assert doc["counts"]["category"] == 2 and doc["counts"]["status"] == 0
    assert doc["changes"][0]["old"]["category"] == "fault"
    assert doc["changes"][0]["new"]["category"] == "close"
    assert doc["moves"] == {"status": {}, "category": {"fault → close": 2}}
    assert main(["diff", "--old", str(MINIMAL), "--new", str(new), str(requests),
                 "--fail-on-change"]) == 1
    out = capsys.readouterr().out
    assert out.endswith("  category fault → close: 2\n4 request(s), 2 changed (status 0, "
                        "category 2, documents 0, departments 2)\n")


def test_diff_of_a_pack_with_itself_changes_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    requests = _requests(tmp_path / "requests.jsonl")
    assert main(["diff", "--old", str(MINIMAL), "--new", str(MINIMAL), str(requests),
                 "--fail-on-change"]) == 0
    assert capsys.readouterr().out == "4 request(s), 0 changed (status 0, category 0, " \
                                      "documents 0, departments 0)\n"


def test_the_pytest_plugin_runs_a_packs_cases_as_test_items(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SEMANTICS / "cases" / "wrong-category", pack)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(pack), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "category:" in result.stdout and "expected: a" in result.stdout


def test_the_pytest_plugin_leaves_packs_alone_unless_named(tmp_path: Path) -> None:
    shutil.copytree(SEMANTICS / "cases" / "wrong-category", tmp_path / "sub" / "pack")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path / "sub"), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 5, result.stdout  # no tests collected


def test_the_pytest_plugin_is_registered_and_keeps_its_imports_light() -> None:
    code = ("import sys, bizroute.pytest_plugin; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('bizroute.'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    # only what importing the package itself brings; no checks, analysis, cases or CLI
    assert not loaded & {"bizroute.analysis", "bizroute.checks", "bizroute.cases",
                         "bizroute.cli", "bizroute.reporters"}
    from importlib.metadata import entry_points

    names = {ep.value for ep in entry_points(group="pytest11")}
    assert "bizroute.pytest_plugin" in names


def test_a_waived_warning_neither_shows_nor_fails_strict(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SEMANTICS / "text-overlap" / "vocabularies", pack)
    assert main(["check", "--strict", str(pack)]) == 1
    capsys.readouterr()
    (pack / ".bizroute-check.yaml").write_text(
        "waive:\n  - {code: BR402, id: reduce, reason: 同时提出时由坐席判断}\n", encoding="utf-8")
    assert main(["check", "--strict", str(pack)]) == 0
    assert capsys.readouterr().out == "0 error(s), 0 warning(s), 0 info, 1 waived in 1 pack(s), " \
                                      "1 file(s)\n"
    main(["check", "--format", "json", str(pack)])
    (entry,) = json.loads(capsys.readouterr().out)["packs"]
    assert [w["code"] for w in entry["waived"]] == ["BR402"] and not entry["findings"]


def test_the_shipped_cases_schema_is_up_to_date_and_named_by_the_case_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--cases"]) == 0
    printed = capsys.readouterr().out
    shipped = (ROOT / "rules" / "schema" / "cases.schema.json").read_text(encoding="utf-8")
    assert printed == shipped, "run: bizroute schema --cases -o rules/schema/cases.schema.json"
    for case_file in (ROOT / "rules" / "tests").glob("*.yaml"):
        first = case_file.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/cases.schema.json", case_file
