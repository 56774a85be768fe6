"""Every broken pack under tests/packs/invalid gives exactly the findings its
``expected.findings`` lists (``CODE file:line:col``, one per line), and never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizroute import PackError, load_pack

INVALID = Path(__file__).parent / "packs" / "invalid"
PACKS = sorted(p.parent for p in INVALID.rglob("expected.findings"))


def _relative(file: str, root: Path) -> str:
    path = Path(file)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file
    return "" if rel == "." else rel


def _expected(pack: Path) -> set[str]:
    lines = (pack / "expected.findings").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_there_are_enough_broken_packs() -> None:
    assert len(PACKS) >= 25


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.relative_to(INVALID).as_posix())
def test_broken_pack_gives_its_expected_findings(pack: Path) -> None:
    with pytest.raises(PackError) as info:
        load_pack(pack)
    actual = {f"{f.code} {_relative(f.file, pack)}:{f.line}:{f.column}"
              for f in info.value.findings if f.severity == "error"}
    assert actual == _expected(pack)
    for finding in info.value.findings:
        assert finding.message
        if finding.line:
            assert finding.location().count(":") >= 2
