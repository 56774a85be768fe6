"""Example cases: requests with the decision they must get, kept in a pack's ``tests/`` folder.

:func:`load_cases` reads them with positions; :func:`run_case` compares a decision with the
expectation and returns the differences (empty when the case passes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import models as m
from .codes import make_finding
from .decision import Decision
from .engine import Pack
from .errors import InputError
from .findings import Finding
from .loader import CASES_DIR, _display, validate_entry
from .yamlsource import iter_pack_files, load_yaml_file


@dataclass(frozen=True, slots=True)
class LoadedCase:
    case: m.Case
    file: str
    line: int
    column: int
    #: a case an overlay takes unchanged from its base (docs/overlays.md)
    inherited: bool = False


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: LoadedCase
    decision: Decision | None
    differences: tuple[tuple[str, Any, Any], ...]  # (what, expected, actual)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.differences and self.error is None


def case_files(pack_root: Path) -> list[Path]:
    folder = pack_root / CASES_DIR
    return list(iter_pack_files(folder)) if folder.is_dir() else []


def load_cases(pack_root: Path, findings: list[Finding]) -> list[LoadedCase]:
    """Every case under ``PACK/tests``; problems with case files become findings.

    For an overlay, the cases of its base as the overlay changes them (docs/overlays.md)."""
    from .overlay import is_overlay, load_stack_cases

    if is_overlay(pack_root):
        return load_stack_cases(pack_root, findings)
    out: list[LoadedCase] = []
    seen: dict[str, str] = {}
    for path in case_files(pack_root):
        display = _display(pack_root, path)
        data, smap, file_findings = load_yaml_file(path, display)
        findings.extend(file_findings)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            findings.append(make_finding("BR501", "a case file holds 'cases:', a list of cases",
                                         display, 1, 1))
            continue
        extra = [k for k in data if k != "cases"]
        for key in extra:
            span = smap.key((key,))
            findings.append(make_finding("BR102", f"unknown key {key!r}", display,
                                         span.line if span else 0, span.column if span else 0))
        for index, item in enumerate(data["cases"]):
            case = validate_entry(m.Case, item, ("cases", index), smap, findings)
            if case is None:
                continue
            span = smap.value(("cases", index))
            line, col = (span.line, span.column) if span else (0, 0)
            if case.id in seen:
                findings.append(make_finding("BR502", f"case id {case.id!r} is used again "
                                             f"(first at {seen[case.id]})", display, line, col,
                                             object_id=case.id))
            seen.setdefault(case.id, f"{display}:{line}")
            out.append(LoadedCase(case, display, line, col))
    return out


def run_case(pack: Pack, loaded: LoadedCase) -> CaseResult:
    case = loaded.case
    try:
        decision = pack.classify(case.request, as_of=case.as_of)
    except InputError as exc:
        return CaseResult(loaded, None, (), error=f"request does not fit the pack: {exc}")
    return CaseResult(loaded, decision, tuple(compare(case.expect, decision)))


def compare(expect: m.Expectation, d: Decision) -> Iterator[tuple[str, Any, Any]]:
    """The differences between an expectation and a decision, as (what, expected, actual)."""
    if expect.status != d.status:
        yield ("status", expect.status, d.status)
    if expect.category is not None and expect.category != d.category_id:
        yield ("category", expect.category, d.category_id)
    checks: list[tuple[str, list[str] | None, list[str], bool]] = [
        ("candidates", expect.candidates, [c.category for c in d.candidates], False),
        ("documents_required", expect.documents_required, [x.id for x in d.documents_required],
         False),
        ("documents_missing", expect.documents_missing, [x.id for x in d.documents_missing],
         False),
        ("departments", expect.departments, [x.id for x in d.departments], True),
        ("questions", expect.questions, [q.field for q in d.questions], False),
    ]
    for name, expected, actual, ordered in checks:
        if expected is None:
            continue
        same = expected == actual if ordered else sorted(expected) == sorted(actual)
        if not same:
            yield (name, expected, actual)
    if expect.workflow is not None and expect.workflow != d.workflow:
        yield ("workflow", expect.workflow, d.workflow)
    yield from _compare_plan(expect, d)
    if expect.warnings is not None and sorted(expect.warnings) != sorted(
            w.code for w in d.warnings):
        yield ("warnings", expect.warnings, [w.code for w in d.warnings])


def _compare_plan(expect: m.Expectation, d: Decision) -> Iterator[tuple[str, Any, Any]]:
    """Commitments (with their limits), the binding ones, and customer notices of the plan."""
    if expect.commitments is None and expect.binding is None and expect.customer_notices is None:
        return
    plan = d.plan
    commitments = {c.id: c.limit for c in plan.commitments} if plan is not None else None
    if expect.commitments is not None and expect.commitments != commitments:
        yield ("commitments", expect.commitments, commitments)
    if expect.binding is not None:
        binding = sorted(c.id for c in plan.commitments if c.binding) if plan is not None \
            else None
        if sorted(expect.binding) != binding:
            yield ("binding", expect.binding, binding)
    if expect.customer_notices is not None:
        told = sorted(n.id for n in plan.customer_notices) if plan is not None else None
        if sorted(expect.customer_notices) != told:
            yield ("customer_notices", expect.customer_notices, told)


def coverage(pack: Pack, results: list[CaseResult]) -> dict[str, Any]:
    """Share of rules and categories that the cases exercise (deciding or asked about)."""
    rules_hit: set[str] = set()
    cats_hit: set[str] = set()
    for r in results:
        d = r.decision
        if d is None:
            continue
        rules_hit.update(x.id for x in d.rules)
        if d.category is not None:
            cats_hit.add(d.category.id)
        cats_hit.update(c.category for c in d.candidates)
    all_rules = {rule.id for rule in pack.rules}
    all_cats = set(pack.category_ids())
    return {
        "rules": {"covered": len(rules_hit & all_rules), "total": len(all_rules),
                  "missing": sorted(all_rules - rules_hit)},
        "categories": {"covered": len(cats_hit & all_cats), "total": len(all_cats),
                       "missing": sorted(all_cats - cats_hit)},
    }
