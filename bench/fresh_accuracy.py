"""Accuracy of a pack on held-out requests (``tests/fresh/*.jsonl``) and on its own example cases.

Usage (from the repository root)::

    python bench/fresh_accuracy.py tests/fresh/round1.jsonl tests/fresh/round2.jsonl
    python bench/fresh_accuracy.py --cases            # the pack's own example cases, by group
    python bench/fresh_accuracy.py --failures tests/fresh/round1.jsonl

Each line of a fresh set is ``{"id", "voice", "request", "expect": {"status", "category"?}}``.
Every request ends in one of five outcomes:

``correct``
    the expected status, and for ``decided`` the expected category;
``cautious``
    ``needs_info`` or ``ambiguous`` where another answer was expected (a question instead of an
    answer: slower, never wrong);
``unmatched``
    ``unmatched`` where something else was expected (the pack did not recognise the request);
``wrong``
    ``decided`` with a category other than the expected one, or ``decided`` where a question or
    ``unmatched`` was expected: a wrong confident answer, the worst outcome;
``error``
    the request was refused (``error`` status).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizroute import Finding, InputError, Pack, load_pack
from bizroute.cases import load_cases

OUTCOMES = ("correct", "cautious", "unmatched", "wrong", "error")


@dataclass(frozen=True)
class Scored:
    """One request's outcome against its expectation."""

    id: str
    outcome: str
    expected: str
    got: str
    text: str


def read_set(path: Path) -> list[dict[str, Any]]:
    """Read a fresh set: one JSON object per non-empty line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def outcome(expect: Mapping[str, Any], status: str, category: str | None) -> str:
    """Name the outcome of one decision against its expectation (see the module docstring)."""
    want_status = expect["status"]
    want_category = expect.get("category")
    if status == "error":
        return "error"
    if status == want_status and (status != "decided" or category == want_category):
        return "correct"
    if status == "decided":
        return "wrong"
    if status == "unmatched":
        return "unmatched"
    return "cautious"


def _label(status: str, category: str | None) -> str:
    return f"{status}:{category}" if category else status


def score(pack: Pack, items: Iterable[Mapping[str, Any]]) -> list[Scored]:
    """Classify each item's request and score it against its ``expect``."""
    scored = []
    for item in items:
        exp = item["expect"]
        as_of = item.get("as_of")
        try:
            d = pack.classify(item["request"], as_of, explain=False)
        except InputError:
            scored.append(Scored(str(item.get("id", "")), "error",
                                 _label(exp["status"], exp.get("category")), "error", ""))
            continue
        cat = d.category.id if d.category is not None else None
        scored.append(Scored(
            id=str(item.get("id", "")),
            outcome=outcome(exp, d.status, cat),
            expected=_label(exp["status"], exp.get("category")),
            got=_label(d.status, cat),
            text=str(item["request"].get("description", "")),
        ))
    return scored


def tally(scored: Iterable[Scored]) -> dict[str, int]:
    """Count outcomes; ``total`` is the number of requests."""
    counts = Counter(s.outcome for s in scored)
    result = {name: counts.get(name, 0) for name in OUTCOMES}
    result["total"] = sum(counts.values())
    return result


def case_items(pack_root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The pack's own example cases as ``(group file stem, item)`` pairs."""
    findings: list[Finding] = []
    for loaded in load_cases(pack_root, findings):
        case = loaded.case
        expect: dict[str, str] = {"status": case.expect.status}
        if case.expect.category is not None:
            expect["category"] = case.expect.category
        yield Path(loaded.file).stem, {"id": case.id, "request": case.request,
                                       "expect": expect, "as_of": case.as_of}


def _row(name: str, t: Mapping[str, int]) -> str:
    pct = 100.0 * t["correct"] / t["total"] if t["total"] else 0.0
    return (f"| {name} | {t['total']} | {t['correct']} ({pct:.1f}%) | {t['cautious']} | "
            f"{t['unmatched']} | {t['wrong']} |")


def main(argv: list[str] | None = None) -> int:
    """Print a Markdown table of outcomes per set (and the failures with ``--failures``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", type=Path, help="fresh sets (JSON Lines)")
    ap.add_argument("--pack", type=Path, default=None, help="pack directory (default: built-in)")
    ap.add_argument("--cases", action="store_true", help="also score the pack's example cases")
    ap.add_argument("--failures", action="store_true", help="list every request not correct")
    args = ap.parse_args(argv)
    pack = load_pack(args.pack) if args.pack else load_pack()
    rows = []
    failures: list[tuple[str, Scored]] = []
    if args.cases:
        root = args.pack or Path(__file__).resolve().parent.parent / "rules"
        by_group: dict[str, list[dict[str, Any]]] = {}
        for group, item in case_items(root):
            by_group.setdefault(group, []).append(item)
        every = [s for items in by_group.values() for s in score(pack, items)]
        rows.append(_row("rules/tests (all)", tally(every)))
        for group, items in by_group.items():
            scored = score(pack, items)
            rows.append(_row(f"— rules/tests/{group}.yaml", tally(scored)))
            failures += [(group, s) for s in scored if s.outcome != "correct"]
    for path in args.sets:
        scored = score(pack, read_set(path))
        rows.append(_row(str(path), tally(scored)))
        failures += [(path.stem, s) for s in scored if s.outcome != "correct"]
    print("| set | total | decided correctly | needs_info/ambiguous (cautious) | unmatched | wrong |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if args.failures:
        for where, s in failures:
            print(f"{where} {s.id} {s.outcome:9} want {s.expected:40} got {s.got:40} {s.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
