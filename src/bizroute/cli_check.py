"""``bizroute check``, ``bizroute schema`` and ``bizroute diff``: the commands made for CI.

``check`` exit codes: 0 no errors; 1 errors (with ``--strict`` warnings too); 2 usage error or
an unreadable pack path. ``diff`` exits 0, or 1 with ``--fail-on-change`` when a decision
changes. Results go to stdout, messages to stderr.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from .cli import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    Failure,
    _date,
    as_of_option,
    cli,
    encoding_option,
    input_format_option,
    load,
    one_pack,
    open_output,
)
from .findings import SEVERITY_RANK


def _codes(values: tuple[str, ...]) -> list[str]:
    """``--select BR4 --select BR501,BR502`` → ``["BR4", "BR501", "BR502"]``, checked."""
    from .checks import CHECKS  # noqa: F401  (registers the check codes)
    from .codes import REGISTRY

    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip().upper()
            if not part:
                continue
            if not any(code.startswith(part) for code in REGISTRY):
                raise click.BadParameter(f"{part!r} matches no finding code (see bizroute rule)")
            out.append(part)
    return out


@cli.command("check")
@click.argument("packs", nargs=-1, metavar="[PACK]...")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json", "github", "sarif", "junit"]),
              help="Output format.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these codes or code prefixes (comma-separated, repeatable): BR4,BR503.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Leave out these codes or code prefixes (comma-separated, repeatable).")
@click.option("--strict", is_flag=True, help="Warnings fail the check too (exit 1).")
@click.option("--min-severity", type=click.Choice(["info", "warning", "error"]), default="info",
              show_default=True, help="Report findings of this severity and above.")
@click.option("--emit-cases", metavar="FILE|-", default=None,
              help="Write the witnesses of overlaps as ready-to-paste example cases (YAML).")
@click.option("--timeline", is_flag=True,
              help="Also show the effective-date time line of rules and categories.")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the report to FILE (atomically) instead of stdout.")
def check(packs: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
          strict: bool, min_severity: str, emit_cases: str | None, timeline: bool,
          output: str | None) -> None:
    """Check rule packs (default: the built-in pack): loading, references, workflows, rule
    overlaps, shadowed rules, gaps, unused objects, example cases and coverage.

    检查规则包：加载、引用、流程图、规则重叠、被遮蔽规则、覆盖缺口、未用对象、示例用例。
    """
    from .analysis import timeline as build_timeline
    from .checks import check_pack
    from .loader import default_pack_path
    from .reporters import REPORTERS

    selects, ignores = _codes(select), _codes(ignore)
    roots = [Path(p) for p in packs] or [default_pack_path()]
    for root in roots:
        if not root.is_dir():
            what = "does not exist" if not root.exists() else "is not a directory"
            raise Failure(f"pack path {str(root)!r} {what}", EXIT_USAGE)
    limit = SEVERITY_RANK[min_severity]
    reports = []
    for root in roots:
        report = check_pack(root, select=selects, ignore=ignores)
        report.reported = [r for r in report.reported
                           if SEVERITY_RANK[r.finding.severity] <= limit]
        reports.append(report)
    lines: dict[str, Any] = {}
    if timeline:
        for report in reports:
            if report.pack is not None:
                lines[report.root.as_posix()] = build_timeline(report.pack)
    with open_output(output) as stream:
        REPORTERS[fmt](stream, timeline=lines).report(reports)
    if emit_cases is not None:
        from .checks._util import with_expectation

        cases = [with_expectation(report.pack, r.case) for report in reports
                 for r in report.reported if r.case is not None and report.pack is not None]
        _write_cases(emit_cases, cases)
    findings = [f for report in reports for f in report.findings]
    failing = {"error"} | ({"warning"} if strict else set())
    if any(f.severity in failing for f in findings):
        raise Failure("", EXIT_PROBLEMS)


def _write_cases(target: str, cases: list[dict[str, Any]]) -> None:
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096  # keep ids and descriptions on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = StringIO()
    buffer.write("# Example cases from `bizroute check --emit-cases`: each request makes two\n"
                 "# rules true. `expect` is what the pack decides today; edit it to what it\n"
                 "# should decide, then put the case under the pack's tests/ folder.\n")
    yaml.dump({"cases": cases} if cases else {"cases": []}, buffer)
    with open_output(target) as stream:
        stream.write(buffer.getvalue())
    click.echo(f"{len(cases)} example case(s) written to "
               f"{'stdout' if target == '-' else target}", err=True)


# --- schema ----------------------------------------------------------------------------------------


def pack_schema(kind: str = "pack") -> dict[str, Any]:
    """The JSON Schema of a pack file (``kind="pack"``) or a case file (``"cases"``)."""
    from .models import CaseFile, PackFile

    model = PackFile if kind == "pack" else CaseFile
    schema = model.model_json_schema(by_alias=True, mode="validation")
    title = "bizroute rule-pack file" if kind == "pack" else "bizroute example-case file"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **{
        k: v for k, v in schema.items() if k != "title"}}


def schema_text(kind: str = "pack") -> str:
    return json.dumps(pack_schema(kind), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@cli.command("schema")
@click.option("--cases", "kind", flag_value="cases", default=False,
              help="The schema of example-case files instead of pack files.")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the schema to FILE (atomically) instead of stdout.")
def schema(kind: str | bool, output: str | None) -> None:
    """Print the JSON Schema of pack files, for editors and other validators.

    Editors that use yaml-language-server pick it up from a first-line comment:
    ``# yaml-language-server: $schema=schema/pack.schema.json``.
    """
    with open_output(output) as stream:
        stream.write(schema_text("cases" if kind == "cases" else "pack"))


# --- diff ------------------------------------------------------------------------------------------

_ASPECTS = ("status", "category", "documents", "departments")


def _view(decision: Any) -> dict[str, Any]:
    return {
        "status": decision.status,
        "category": decision.category.id if decision.category else None,
        "documents": [d.id for d in decision.documents_required],
        "departments": [d.id for d in decision.departments],
    }


@cli.command("diff")
@click.option("--old", "old", metavar="PACK", multiple=True, callback=one_pack,
              help="The pack as it is (default, when --new is an overlay: the pack it extends).")
@click.option("--new", "new", metavar="PACK", multiple=True, callback=one_pack, required=True,
              help="The pack as it would be.")
@click.argument("requests", metavar="REQUESTS|-")
@as_of_option
@input_format_option
@encoding_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when any decision changes.")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the report to FILE (atomically) instead of stdout.")
def diff(old: str | None, new: str, requests: str, as_of: str | None, input_format: str,
         encoding: str | None, fmt: str, fail_on_change: bool, output: str | None) -> None:
    """Replay REQUESTS on two packs and report the decisions that change: status, category,
    documents or departments, with counts. Either pack may be an overlay; without --old, an
    overlay given as --new is compared with the pack it extends.

    用两个规则包重放同一批请求，列出判定结果的变化。
    """
    from .batch import classify_records
    from .overlay import base_root
    from .readers import ReadError, read_records

    day = _date(as_of)
    if old is None:
        below = base_root(Path(new))
        if below is None:
            raise Failure(f"--new {new!r} extends no pack: give --old too", EXIT_USAGE)
        old = str(below)
    old_pack, new_pack = load(old), load(new)
    try:
        records = list(read_records(requests, input_format, encoding,  # type: ignore[arg-type]
                                    stdin=sys.stdin.buffer if requests == "-" else None))
    except ReadError as exc:
        raise Failure(str(exc)) from None
    before = [d for _r, d in classify_records(old_pack, records, day)]
    after = [d for _r, d in classify_records(new_pack, records, day)]
    counts: Counter[str] = Counter()
    moves: dict[str, Counter[str]] = {"status": Counter(), "category": Counter()}
    changes: list[dict[str, Any]] = []
    for record, a, b in zip(records, before, after, strict=True):
        va, vb = _view(a), _view(b)
        changed = [k for k in _ASPECTS if va[k] != vb[k]]
        if a.status == "error" or b.status == "error":
            changed = [k for k in changed if k == "status"] or changed
        if not changed:
            continue
        counts.update(changed)
        for aspect in ("status", "category"):
            if aspect in changed:
                moves[aspect][f"{_show(va[aspect])} → {_show(vb[aspect])}"] += 1
        changes.append({"record": record.index, "position": record.position,
                        "id": b.request_id or a.request_id, "changed": changed,
                        "old": {k: va[k] for k in changed}, "new": {k: vb[k] for k in changed}})
    total = len(records)
    with open_output(output) as stream:
        if fmt == "json":
            stream.write(json.dumps({
                "version": 1, "requests": total, "changed": len(changes),
                "counts": {k: counts.get(k, 0) for k in _ASPECTS},
                "moves": {k: dict(v.most_common()) for k, v in moves.items()},
                "changes": changes,
                "old": _pack_info(old_pack), "new": _pack_info(new_pack),
            }, ensure_ascii=False, indent=2) + "\n")
        else:
            for c in changes:
                rid = f" ({c['id']})" if c["id"] else ""
                parts = [f"{k}: {_show(c['old'][k])} → {_show(c['new'][k])}" for k in c["changed"]]
                stream.write(f"{c['position']}{rid}: " + "; ".join(parts) + "\n")
            for aspect, counter in moves.items():
                for move, n in counter.most_common():
                    stream.write(f"  {aspect} {move}: {n}\n")
            by = ", ".join(f"{k} {counts.get(k, 0)}" for k in _ASPECTS)
            stream.write(f"{total} request(s), {len(changes)} changed ({by})\n")
    if fail_on_change and changes:
        raise Failure("", EXIT_PROBLEMS)


def _pack_info(pack: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"pack": pack.id, "version": pack.version, "digest": pack.digest}
    if pack.stack:  # an overlay: the packs it is made of, the base first
        out["stack"] = [{"id": p.id, "version": p.version, "digest": p.digest} for p in pack.stack]
    return out


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)
