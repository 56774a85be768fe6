"""The check registry: every check documented in its module docstring, codes in their bands,
names in kebab case; and the pre-commit hooks that run the checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bizroute.checks import CHECKS, selected
from bizroute.codes import REGISTRY

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_every_check_is_documented_by_its_module_docstring(code: str) -> None:
    check = CHECKS[code]
    info = check.doc()
    registered = REGISTRY[code]
    # a code the loader's registry already held (BR503) keeps its text there; the rest are
    # registered from the docstring
    assert (registered.name, registered.severity) == (check.name, check.severity)
    if code.startswith(("BR4", "BR7")):
        assert registered == info
    assert re.fullmatch(r"BR[0-9]{3}", code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", check.name)
    assert check.severity in ("error", "warning", "info")
    assert info.summary.endswith(".")
    assert info.why and info.bad and info.good


def test_semantic_checks_sit_in_the_rule_semantics_band_and_overlay_checks_in_theirs() -> None:
    for code, check in CHECKS.items():
        module = check.__module__.split(".")[-1]
        if module == "cases" or code.startswith("BR5"):
            continue
        assert code.startswith("BR7" if module.startswith("overlay_") else "BR4"), code


def test_names_are_unique_across_all_codes() -> None:
    names = [info.name for info in REGISTRY.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("code", "select", "ignore", "expected"), [
    ("BR401", [], [], True),
    ("BR401", ["BR4"], [], True),
    ("BR401", ["BR5"], [], False),
    ("BR401", [], ["BR40"], False),
    ("BR401", ["br4"], ["BR402"], True),
])
def test_select_and_ignore_match_code_prefixes(code: str, select: list[str],
                                               ignore: list[str], expected: bool) -> None:
    assert selected(code, select, ignore) is expected


def test_the_pre_commit_hooks_check_the_whole_pack_directory() -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"bizroute-check", "bizroute-test"}
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["entry"].startswith("bizroute ")
        assert re.search(hook["files"], "rules/rules/fault.yaml")
    assert by_id["bizroute-check"]["entry"] == "bizroute check"
