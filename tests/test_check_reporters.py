"""The reporters of ``bizroute check``: exact text, and github, sarif and junit checked
against what their formats require."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bizroute.checks import PackReport, Reported
from bizroute.codes import make_finding
from bizroute.findings import Finding
from bizroute.reporters import REPORTERS, escape_data, escape_property


def _report() -> list[PackReport]:
    findings = [
        make_finding("BR402", "rule 'b' and rule 'a' overlap, e.g. for {\"x\": 1}: 50% sure",
                     "pack/rules.yaml", 12, 5, object_id="b"),
        make_finding("BR401", "rule 'd' (category 'y') and rule 'c' overlap\nsecond line",
                     "pack/rules.yaml", 4, 7, object_id="d", hint="raise a priority"),
        make_finding("BR405", "no rule covers intent = close", "pack/pack.yaml", 6, 5,
                     object_id="p"),
    ]
    report = PackReport(Path("pack"), ["pack/pack.yaml", "pack/rules.yaml", "pack/other.yaml",
                                       "pack/tests/cases.yaml"],
                        [Reported(f) for f in sorted(findings)], loaded=True)
    return [report]


def _run(fmt: str) -> str:
    stream = io.StringIO()
    REPORTERS[fmt](stream).report(_report())
    return stream.getvalue()


def test_every_format_has_a_reporter() -> None:
    assert sorted(REPORTERS) == ["github", "json", "junit", "sarif", "text"]


def test_text_output_is_one_line_per_finding_in_reading_order() -> None:
    assert _run("text") == (
        "pack/pack.yaml:6:5: info BR405 [coverage-gap] no rule covers intent = close (id=p)\n"
        "pack/rules.yaml:4:7: error BR401 [rule-overlap] rule 'd' (category 'y') and rule 'c' "
        "overlap\nsecond line (id=d)\n"
        "    hint: raise a priority\n"
        "pack/rules.yaml:12:5: warning BR402 [text-overlap] rule 'b' and rule 'a' overlap, e.g. "
        "for {\"x\": 1}: 50% sure (id=b)\n"
        "1 error(s), 1 warning(s), 1 info in 1 pack(s), 4 file(s)\n"
    )


@pytest.mark.parametrize(("raw", "escaped"), [
    ("50%", "50%25"), ("a\nb", "a%0Ab"), ("a\r\nb", "a%0D%0Ab"), ("a: b, c", "a: b, c"),
])
def test_github_messages_escape_percent_and_line_breaks(raw: str, escaped: str) -> None:
    assert escape_data(raw) == escaped


def test_github_properties_also_escape_colons_and_commas() -> None:
    assert escape_property("BR401 [a:b,c] 5%") == "BR401 [a%3Ab%2Cc] 5%25"


_COMMAND = re.compile(r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:]*)(?:,[a-zA-Z]+=[^,:]*)*)"
                      r"::(.*)$")


def test_github_output_is_annotations_errors_first_then_the_full_listing() -> None:
    lines = _run("github").splitlines()
    commands = [_COMMAND.match(line) for line in lines[:3]]
    assert all(commands), lines[:3]
    levels = [m.group(1) for m in commands if m]
    assert levels == ["error", "warning", "notice"]
    first = commands[0]
    assert first is not None
    props = dict(p.split("=", 1) for p in first.group(2).split(","))
    assert props == {"file": "pack/rules.yaml", "line": "4", "col": "7",
                     "title": "BR401 [rule-overlap]"}
    assert "\n" not in first.group(3) and "%0A" in first.group(3)
    assert lines[3] == "::group::bizroute check: all findings"
    assert lines[-2] == "::endgroup::"
    assert len(lines[4:-2]) == 3  # the full listing, one line per finding


def test_sarif_output_has_the_shape_code_scanning_reads() -> None:
    doc = json.loads(_run("sarif"))
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "bizroute" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["BR401", "BR402", "BR405"]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"none", "note", "warning", "error"}
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"none", "note", "warning", "error"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith("pack/")
        assert physical["region"]["startLine"] >= 1 and physical["region"]["startColumn"] >= 1
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"BR401": "error", "BR402": "warning", "BR405": "note"}


def test_junit_output_has_a_suite_per_file_a_failure_per_finding_and_a_pass_per_clean_file(
) -> None:
    root = ET.fromstring(_run("junit"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"pack/pack.yaml", "pack/rules.yaml", "pack/other.yaml",
                           "pack/tests/cases.yaml"}
    rules = suites["pack/rules.yaml"]
    cases = rules.findall("testcase")
    assert len(cases) == 2 and rules.get("failures") == "2" and rules.get("tests") == "2"
    assert all(c.find("failure") is not None for c in cases)
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message", "").endswith("second line")
    clean = suites["pack/other.yaml"].findall("testcase")
    assert len(clean) == 1 and clean[0].find("failure") is None
    assert root.get("tests") == "5" and root.get("failures") == "3"


def test_json_output_is_versioned_and_carries_every_finding() -> None:
    doc = json.loads(_run("json"))
    assert doc["version"] == 1
    assert doc["summary"] == {"errors": 1, "warnings": 1, "info": 1}
    (pack,) = doc["packs"]
    assert [f["code"] for f in pack["findings"]] == ["BR405", "BR401", "BR402"]
    assert set(pack["findings"][0]) >= set(Finding.__dataclass_fields__)
