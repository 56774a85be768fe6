"""Build small packs from YAML text for table-driven tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bizroute import Pack, load_pack

FIELDS = """\
pack:
  id: t
  name: 测试包
  version: "1"
  settings: {limit: 160}
  text:
    negation_cues: [不是, 不要, 没有]
  fields:
    intent: {type: enum, label: 意向, label_en: Intent, values: {a: 甲, b: 乙, c: 丙}}
    optional: {type: enum, label: 可选, label_en: Optional, values: [x, y], absent: "false"}
    description: {type: text, label: 描述, label_en: Words}
    capacity: {type: number, unit: kVA, label: 容量, label_en: Capacity}
    flag: {type: bool, label: 标志, label_en: Flag}
    day: {type: date, label: 日期, label_en: Day}
    docs: {type: list, values_from: documents, label: 资料, label_en: Documents}
sources:
  - {id: s, title: 供电营业规则}
documents:
  - {id: d1, name: 身份证}
  - {id: d2, name: 产权证明}
departments:
  - {id: counter, name: 营业厅, front_office: true}
groups:
  - {id: g, name: 组}
vocabularies:
  - {id: outage, terms: [停电, 没电, 跳闸]}
"""


def category(cid: str, **extra: str) -> str:
    lines = [f"  - id: {cid}", f"    name: 类别{cid}", f"    name_en: Category {cid}",
             "    group: g", "    basis: [{source: s}]"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def write_pack(directory: Path, body: str, fields: str = FIELDS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yaml").write_text(fields, encoding="utf-8")
    (directory / "body.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return directory


def one_rule_pack(directory: Path, when: str) -> Pack:
    """A pack with category ``c`` and one rule ``r`` whose condition is ``when`` (flow YAML)."""
    body = "categories:\n" + category("c") + f"rules:\n  - id: r\n    category: c\n    when: {when}\n"
    return load_pack(write_pack(directory, body))
