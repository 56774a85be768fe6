"""The command line with overlays: pack show and pack diff, diff across stacks, check on a broken
overlay, the example overlays, and --rules given twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizroute import load_pack
from bizroute.cases import load_cases
from bizroute.cli import main
from tests.conftest import ROOT
from tests.overlay_helpers import overlay_head, write_base, write_overlay

EXAMPLES = ROOT / "examples" / "overlays"
PROVINCE, CITY = EXAMPLES / "example-province", EXAMPLES / "example-city"
REQUESTS = ROOT / "docs" / "examples" / "requests.jsonl"

LOWER_CEILING = """\
pack:
  id: my-province
  name: 本省规则包
  version: "1"
  extends:
    builtin: true
    versions: ["2026.11"]
patch:
  settings:
    lv_access_max_kva: 100
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("overlay", [PROVINCE, CITY], ids=["province", "city"])
def test_the_example_overlays_check_clean_and_pass_their_cases(
        capsys: pytest.CaptureFixture[str], overlay: Path) -> None:
    code, out, _ = run(capsys, "check", overlay, "--strict")
    assert code == 0, out
    assert "0 error(s), 0 warning(s)" in out
    code, out, _ = run(capsys, "test", overlay)
    assert code == 0 and " 0 failed" in out


def test_a_ten_line_overlay_moves_only_the_decisions_the_ceiling_decides(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "my-province").mkdir()
    (tmp_path / "my-province" / "pack.yaml").write_text(LOWER_CEILING, encoding="utf-8")
    assert len(LOWER_CEILING.splitlines()) == 10
    code, out, _ = run(capsys, "diff", "--new", tmp_path / "my-province", REQUESTS,
                       "--format", "json", "--as-of", "2025-09-26")
    assert code == 0
    report = json.loads(out)
    assert report["old"]["pack"] == "cn-power-supply" and "stack" not in report["old"]
    assert [p["id"] for p in report["new"]["stack"]] == ["cn-power-supply", "my-province"]
    moved = {c["id"]: (c["old"]["category"], c["new"]["category"]) for c in report["changes"]}
    assert moved == {"GT-0024": ("lv_non_residential_increase", "hv_increase")}
    # ... and every request it moves asks for more than 100 kVA and at most 160
    records = {r["id"]: r for r in map(json.loads, REQUESTS.read_text(encoding="utf-8").splitlines())}
    assert 100 < records["GT-0024"]["supply"]["capacity_kva"] <= 160


def test_check_on_a_broken_overlay_points_at_the_overlay_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    (root / "pack.yaml").write_text(LOWER_CEILING.replace("lv_access_max_kva: 100",
                                                          "lv_acces_max_kva: 100"),
                                    encoding="utf-8")
    code, out, _ = run(capsys, "check", root)
    assert code == 1
    (line,) = [x for x in out.splitlines() if " error " in x]
    assert line.startswith("broken/pack.yaml:10:5: error BR704 [target-missing] patch: setting "
                           "'lv_acces_max_kva' is not in the base; did you mean "
                           "'lv_access_max_kva'?")


def test_pack_show_prints_where_each_value_was_set_and_loads_as_a_plain_pack(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    code, _, _ = run(capsys, "pack", "show", CITY, "-o", flat / "pack.yaml")
    assert code == 0
    text = (flat / "pack.yaml").read_text(encoding="utf-8")
    assert "# A stack of: cn-power-supply 2026.11 (rules), then cn-power-supply-example-province" \
        in text
    assert "lv_access_max_kva: 100  # examples/overlays/example-province/pack.yaml:37" in text
    assert "# from rules/vocabularies/service_95598.yaml:6\n  # patch vocabulary 'outage_words' " \
        "at examples/overlays/example-city/pack.yaml:17\n  - id: outage_words" in text
    assert "# from examples/overlays/example-province/catalogue.yaml:3\n  - {id: owner_consent, " \
        "name: 产权人同意用电证明" in text
    assert "  - id: owner_consent  # examples/overlays/example-province/pack.yaml:45\n" in text
    # the printed pack is a plain pack that decides as the stack does
    stack, printed = load_pack(CITY), load_pack(flat)
    assert printed.stack == ()
    for loaded in load_cases(CITY, []):
        a = stack.classify(loaded.case.request, as_of=loaded.case.as_of).to_dict()
        b = printed.classify(loaded.case.request, as_of=loaded.case.as_of).to_dict()
        a.pop("pack"), b.pop("pack")
        assert a == b, loaded.case.id


def test_pack_show_of_a_broken_overlay_still_prints_it_and_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_base(tmp_path)
    root = write_overlay(tmp_path, "patch:\n  rules:\n    - {id: r, when: {field: nope, eq: 1}}\n")
    code, out, err = run(capsys, "pack", "show", root)
    assert code == 1
    assert "field: nope, eq: 1}  # ov/pack.yaml:8" in out
    assert "ov/pack.yaml:8:29: error BR201 [unknown-field] field 'nope'" in err


def test_pack_diff_lists_what_an_overlay_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "diff", PROVINCE)
    assert code == 0
    lines = out.splitlines()
    assert "~ setting lv_access_max_kva value: 160 → 100  " \
        "(examples/overlays/example-province/pack.yaml:37)" in lines
    assert "+ document owner_consent  (examples/overlays/example-province/catalogue.yaml:3)" in lines
    assert "~ commitment lv_residential_connection/whole_process_sgcc_current " \
        "limit.working_days: 5 → 3  " \
        "(examples/overlays/example-province/pack.yaml:57)" in lines
    assert "~ case lv-nr-inc-customer-voice request.supply.capacity_kva: 120 → 80  " \
        "(examples/overlays/example-province/tests/local.yaml:45)" in lines
    assert lines[-1] == ("28 change(s) from cn-power-supply 2026.11 to "
                         "cn-power-supply-example-province 2026.11-p1: 8 added, 0 removed, "
                         "20 changed")
    code, out, _ = run(capsys, "pack", "diff", PROVINCE, CITY, "--format", "json")
    report = json.loads(out)
    assert report["old"]["id"] == "cn-power-supply-example-province"
    assert [c["target"] for c in report["changes"] if c["kind"] == "vocabularies"] == [
        "outage_words"]


def test_pack_diff_of_a_plain_pack_alone_asks_for_the_base(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    code, _, err = run(capsys, "pack", "diff", ROOT / "rules")
    assert code == 2 and "extends no pack: name the base too" in err


def test_diff_without_old_compares_an_overlay_with_its_base(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests = tmp_path / "r.jsonl"
    requests.write_text('{"id": "a", "description": "屋企冇电", "area": "urban"}\n'
                        '{"id": "b", "description": "家里没电了", "area": "urban"}\n',
                        encoding="utf-8")
    code, out, _ = run(capsys, "diff", "--new", CITY, requests)
    assert code == 0
    assert out.splitlines()[0].endswith("(a): status: unmatched → decided; category: - → "
                                        "fault_repair; departments: [] → [counter, call_centre, "
                                        "operations]")
    assert out.splitlines()[-1] == "2 request(s), 1 changed (status 1, category 1, documents 0, " \
        "departments 1)"
    code, _, err = run(capsys, "diff", "--new", ROOT / "rules", requests)
    assert code == 2 and "extends no pack: give --old too" in err


@pytest.mark.parametrize("args", [
    ("classify", REQUESTS, "--rules", ROOT / "rules", "--rules", PROVINCE),
    ("diff", "--old", ROOT / "rules", "--old", PROVINCE, "--new", CITY, REQUESTS),
])
def test_a_pack_option_given_twice_is_an_error_not_the_last_one(
        capsys: pytest.CaptureFixture[str], args: tuple[object, ...]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert "given 2 times" in err and "make the upper one an overlay: `extends:`" in err


def test_decisions_of_an_overlay_carry_its_stack(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", REQUESTS, "--rules", CITY, "--format", "jsonl", "-q")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert [p["id"] for p in first["pack"]["stack"]] == [
        "cn-power-supply", "cn-power-supply-example-province", "cn-power-supply-example-city"]
    assert first["pack"]["digest"] == load_pack(CITY).digest


def test_an_overlay_folder_outside_the_working_directory_names_its_files_by_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_base(tmp_path)
    root = write_overlay(tmp_path, "remove:\n  rules: [nope]\n", head=overlay_head())
    code, out, _ = run(capsys, "check", root)
    assert code == 1 and "ov/pack.yaml:7:" in out


def test_the_pytest_plugin_runs_an_overlays_cases_and_those_it_inherits(tmp_path: Path) -> None:
    import subprocess
    import sys

    write_base(tmp_path)
    root = write_overlay(tmp_path, "patch:\n  settings: {limit: 5}\n", tests="""
        cases:
          - id: local
            request: {description: 停电}
            expect: {status: decided, category: c}
        """)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(root), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False)
    # the base's 'small' (10 kVA within the limit) fails under the overlay's limit of 5
    assert "1 failed, 2 passed" in result.stdout, result.stdout + result.stderr
    assert "case 'small' (base/tests/cases.yaml:5)" in result.stdout


def test_the_overlays_of_the_documentation_load_as_written(tmp_path: Path) -> None:
    import re

    from bizroute.checks import check_pack

    text = (ROOT / "docs" / "overlays.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks[0] == LOWER_CEILING
    fragments = [b for b in blocks if b.startswith(("documents:", "patch:")) and "cases:" not in b]
    assert len(fragments) == 2
    head = "pack:\n  id: doc\n  name: 文档\n  version: \"1\"\n  extends: {builtin: true}\n"
    for i, fragment in enumerate(fragments):
        root = tmp_path / f"doc{i}"
        root.mkdir()
        (root / "pack.yaml").write_text(head + fragment, encoding="utf-8")
        load_pack(root)
        assert not [f for f in check_pack(root).findings if f.code == "BR713"], fragment
