"""Every broken pack under tests/packs/invalid/semantics gives exactly the findings its
``expected.check`` lists (``CODE file:line:col``, one per line) from ``bizroute check``.

Errors and warnings are compared in full; information findings (gaps, coverage) only for the
codes the expected file names, so a pack made for one code need not list every gap.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bizroute.checks import check_pack

TESTS = Path(__file__).parent
SEMANTICS = TESTS / "packs" / "invalid" / "semantics"
PACKS = sorted(p.parent for p in SEMANTICS.rglob("expected.check"))


def _expected(pack: Path) -> set[str]:
    lines = (pack / "expected.check").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_project_has_at_least_sixty_broken_packs() -> None:
    invalid = TESTS / "packs" / "invalid"
    broken = {p.parent for p in invalid.rglob("expected.findings")} | set(PACKS)
    assert len(broken) >= 60


def test_every_semantic_code_has_a_broken_pack() -> None:
    from bizroute.checks import CHECKS

    covered = {line.split()[0] for pack in PACKS for line in _expected(pack)}
    assert {code for code in CHECKS if code.startswith("BR4")} <= covered
    assert {"BR501", "BR502", "BR503", "BR504", "BR505"} <= covered


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.relative_to(SEMANTICS).as_posix())
def test_broken_pack_gives_its_expected_check_findings(pack: Path) -> None:
    expected = _expected(pack)
    codes = {line.split()[0] for line in expected}
    cwd = Path.cwd()
    os.chdir(pack)  # findings name files relative to the working directory
    try:
        report = check_pack(".")
    finally:
        os.chdir(cwd)
    actual = {f"{f.code} {f.file}:{f.line}:{f.column}" for f in report.findings
              if f.severity != "info" or f.code in codes}
    assert actual == expected
    for finding in report.findings:
        assert finding.message
        if finding.code != "BR501":  # a file that is not a case file has no object to name
            assert finding.object_id


LOAD_PACKS = sorted(p.parent for p in (TESTS / "packs" / "invalid").rglob("expected.findings"))


@pytest.mark.parametrize("pack", LOAD_PACKS,
                         ids=lambda p: p.relative_to(TESTS / "packs" / "invalid").as_posix())
def test_check_reports_every_error_loading_finds(pack: Path) -> None:
    from bizroute import PackError, load_pack

    with pytest.raises(PackError) as info:
        load_pack(pack)
    loaded = {(f.code, f.file, f.line, f.column) for f in info.value.findings}
    report = check_pack(pack)
    checked = {(f.code, f.file, f.line, f.column) for f in report.findings
               if f.code < "BR4"}
    assert checked == loaded
    assert not report.loaded
