"""The README's library example runs, and its two set-up commands are the ones CI uses."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_library_example_runs_and_prints_what_its_comments_say(
        capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, re.S)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "decided 低压居民新装"


def test_readme_has_the_two_setup_commands() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "pip install . && bizroute classify docs/examples/requests.jsonl" in commands
    assert any(c.startswith("pip install -e '.[test]'") and "pytest" in c for c in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -m1 -E '^pip install .*pytest' README.md" in ci
