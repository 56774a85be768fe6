"""A small base pack and overlays on it, written from YAML text, for the overlay tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bizroute import Finding, Pack, PackError, load_pack
from tests.helpers import write_pack

BASE_BODY = """\
documents:
  - {id: d3, name: 备用资料}
categories:
  - id: c
    name: 类别c
    name_en: Category c
    group: g
    basis: [{source: s}]
    codes: {x: "1"}
    documents: [d1, {id: d2, when: {field: intent, eq: a}}]
    departments: [counter]
    workflow: w
  - id: e
    name: 类别e
    name_en: Category e
    group: g
    basis: [{source: s}]
    effective: {until: 2024-06-01}
  - id: e
    name: 类别e新
    name_en: Category e, new
    group: g
    basis: [{source: s}]
    effective: {from: 2024-06-01}
rules:
  - id: r
    category: c
    priority: 10
    when: {field: description, mentions: outage}
    note: 停电
  - id: cap
    category: e
    when: {field: capacity, lte: {setting: limit}}
    effective: {until: 2030-01-01}
workflows:
  - id: w
    name: 流程
    steps:
      - {id: accept, name: 受理, department: counter, customer_facing: true, duration: {working_days: 1}}
      - {id: notify, name: 通知, department: counter, after: [accept], duration: {working_days: 1}}
      - id: done
        name: 办结
        department: counter
        after: [accept, notify]
        customer_facing: true
        duration: {working_days: 1}
    commitments:
      - {id: whole, name: 全程, from: accept, to: done, limit: {working_days: 5}}
    customer_notices:
      - {id: term, text: 方案有效期3个月}
"""

BASE_CASES = """\
cases:
  - id: outage
    request: {description: 家里停电了}
    expect: {status: decided, category: c}
  - id: small
    request: {capacity: 10, description: 扩容}
    as_of: 2025-01-01
    expect: {status: decided, category: e}
"""


def overlay_head(base: str = "{path: ../base}", pack_id: str = "ov", version: str = "1") -> str:
    return (f'pack:\n  id: {pack_id}\n  name: 叠加包\n  version: "{version}"\n'
            f"  extends: {base}\n")


def write_base(tmp_path: Path, body: str = BASE_BODY, cases: str | None = BASE_CASES) -> Path:
    root = write_pack(tmp_path / "base", body)
    if cases is not None:
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "cases.yaml").write_text(cases, encoding="utf-8")
    return root


def write_overlay(tmp_path: Path, body: str, *, name: str = "ov", head: str | None = None,
                  tests: str | None = None) -> Path:
    """An overlay folder ``name`` whose pack.yaml is ``head`` (default: extends ../base) plus
    ``body``; ``tests`` goes to its tests/cases.yaml."""
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    # a body in triple quotes (it starts on a new line) is dedented; others are taken as written
    text = (head if head is not None else overlay_head()) + (
        textwrap.dedent(body) if body.startswith("\n") else body)
    (root / "pack.yaml").write_text(text, encoding="utf-8")
    if tests is not None:
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "cases.yaml").write_text(textwrap.dedent(tests), encoding="utf-8")
    return root


def load_overlay(tmp_path: Path, body: str, **kwargs: str) -> Pack:
    write_base(tmp_path)
    return load_pack(write_overlay(tmp_path, body, **kwargs))


def errors_of(tmp_path: Path, body: str, **kwargs: str) -> list[Finding]:
    write_base(tmp_path)
    with pytest.raises(PackError) as info:
        load_pack(write_overlay(tmp_path, body, **kwargs))
    return [f for f in info.value.findings if f.severity == "error"]


def line_text(tmp_path: Path, finding: Finding) -> str:
    """The source line a finding points at (pack files are named ``folder/file`` here)."""
    lines = (tmp_path / finding.file).read_text(encoding="utf-8").splitlines()
    return lines[finding.line - 1]


def points_at(tmp_path: Path, finding: Finding, file: str, marker: str) -> bool:
    """Whether ``finding`` is in ``file`` (e.g. ``ov/pack.yaml``) on a line holding ``marker``."""
    return finding.file == file and finding.line > 0 and marker in line_text(tmp_path, finding)
