"""Reading YAML: the fast (libyaml) and the pure-Python composers give the same data,
positions and findings."""

from __future__ import annotations

import pytest

from bizroute import yamlsource
from tests.conftest import PACKS

TEXTS = [
    "a: 1\nb: [x, 2.5, 2024-06-01, null, true, '1', 0o10]\nc: {d: 中文}\n",
    "rules:\n  - id: r1\n    when: {field: intent, eq: a\n",  # syntax error
    "a: 1\na: 2\n",  # duplicate key
    "a: !!python/object/apply:os.system ['x']\n",  # forbidden tag
    "a: &x [1, 2]\nb: *x\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_both_composers_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = yamlsource.load_yaml_text(text, "f.yaml")
    monkeypatch.setattr(yamlsource, "_HAVE_CLIB", False)
    pure = yamlsource.load_yaml_text(text, "f.yaml")
    assert fast[0] == pure[0]
    assert fast[1].values == pure[1].values and fast[1].keys == pure[1].keys
    assert [(f.code, f.line, f.column) for f in fast[2]] == [
        (f.code, f.line, f.column) for f in pure[2]]


def test_pure_composer_loads_a_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    from bizroute import load_pack

    monkeypatch.setattr(yamlsource, "_HAVE_CLIB", False)
    assert load_pack(PACKS / "valid" / "minimal").id == "minimal"
