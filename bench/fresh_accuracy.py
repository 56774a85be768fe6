"""Accuracy of a pack on held-out requests (``tests/fresh/*.jsonl``) and on its own example cases.

Usage (from the repository root)::

    python bench/fresh_accuracy.py tests/fresh/round1.jsonl tests/fresh/round2.jsonl
    python bench/fresh_accuracy.py --cases            # the pack's own example cases, by group
    python bench/fresh_accuracy.py --examples         # docs/examples/requests.jsonl
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


# The expected outcome of each request in docs/examples/requests.jsonl (that file carries none, so
# that it stays a plain input file for ``bizroute classify``).
EXAMPLES_EXPECTED: dict[str, tuple[str, str | None]] = {
    "GT-0001": ("decided", "fault_repair"),
    "GT-0002": ("decided", "lv_residential_new"),
    "GT-0003": ("needs_info", None),      # no capacity
    "GT-0004": ("decided", "hv_new"),
    "GT-0005": ("decided", "transfer"),
    "GT-0006": ("decided", "suspension"),
    "GT-0007": ("decided", "temporary_removal"),  # low voltage: 暂拆, not 暂停
    "GT-0008": ("needs_info", None),      # voltage unknown
    "GT-0009": ("decided", "temporary_removal"),
    "GT-0010": ("decided", "meter_test_request"),
    "GT-0011": ("decided", "arrears_reconnect"),
    "GT-0012": ("decided", "lv_ev_charger_new"),
    "GT-0013": ("needs_info", None),      # grid-connection voltage unknown
    "GT-0014": ("needs_info", None),      # customer type and capacity unknown
    "GT-0015": ("needs_info", None),      # same supply point unknown
    "GT-0016": ("needs_info", None),      # 更名 or 过户
    "GT-0017": ("decided", "complaint"),
    "GT-0018": ("decided", "fault_repair"),
    "GT-0019": ("decided", "residential_tou_change"),
    "GT-0020": ("decided", "account_closure"),
    "GT-0021": ("ambiguous", None),       # 过户 or 销户, undecided by the customer
    "GT-0022": ("unmatched", None),       # says nothing
    "GT-0023": ("decided", "appliance_damage"),
    "GT-0024": ("decided", "lv_non_residential_increase"),
    "GT-0025": ("decided", "rename"),
    "GT-0026": ("decided", "multi_person_tier_apply"),
    "GT-0027": ("decided", "capacity_reduction"),
    "GT-0028": ("unmatched", None),       # temporary supply cannot be transferred
    "GT-0029": ("decided", "consultation"),
    "GT-0030": ("decided", "payment_method_change"),
}


def example_items(path: Path) -> list[dict[str, Any]]:
    """docs/examples/requests.jsonl with the expectations of :data:`EXAMPLES_EXPECTED`."""
    items = []
    for request in read_set(path):
        status, category = EXAMPLES_EXPECTED[request["id"]]
        expect = {"status": status, **({"category": category} if category else {})}
        items.append({"id": request["id"], "request": request, "expect": expect})
    return items


def by_status(pack: Pack, items: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many decisions came back with each status (for the expected non-decisions)."""
    return Counter(pack.classify(i["request"], i.get("as_of"), explain=False).status
                   for i in items)


def _row(name: str, t: Mapping[str, int], statuses: Mapping[str, int] | None = None) -> str:
    pct = 100.0 * t["correct"] / t["total"] if t["total"] else 0.0
    row = (f"| {name} | {t['total']} | {t['correct']} ({pct:.1f}%) | {t['cautious']} | "
           f"{t['unmatched']} | {t['wrong']} |")
    if statuses is not None:
        row += " " + ", ".join(f"{k} {statuses[k]}" for k in sorted(statuses)) + " |"
    return row


def main(argv: list[str] | None = None) -> int:
    """Print a Markdown table of outcomes per set (and the failures with ``--failures``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", type=Path, help="fresh sets (JSON Lines)")
    ap.add_argument("--pack", type=Path, default=None, help="pack directory (default: built-in)")
    ap.add_argument("--cases", action="store_true", help="also score the pack's example cases")
    ap.add_argument("--examples", action="store_true",
                    help="also score docs/examples/requests.jsonl")
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
        every_item = [i for items in by_group.values() for i in items]
        rows.append(_row("rules/tests (all)", tally(score(pack, every_item)),
                         by_status(pack, every_item)))
        for group, items in by_group.items():
            scored = score(pack, items)
            rows.append(_row(f"— rules/tests/{group}.yaml", tally(scored), by_status(pack, items)))
            failures += [(group, s) for s in scored if s.outcome != "correct"]
    if args.examples:
        path = Path(__file__).resolve().parent.parent / "docs" / "examples" / "requests.jsonl"
        items = example_items(path)
        scored = score(pack, items)
        rows.append(_row("docs/examples/requests.jsonl", tally(scored), by_status(pack, items)))
        failures += [("examples", s) for s in scored if s.outcome != "correct"]
    for path in args.sets:
        items = read_set(path)
        scored = score(pack, items)
        rows.append(_row(str(path), tally(scored), by_status(pack, items)))
        failures += [(path.stem, s) for s in scored if s.outcome != "correct"]
    print("| set | total | correct | cautious (needs_info/ambiguous instead) | unmatched instead | "
          "wrong confident answers | statuses returned |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if args.failures:
        for where, s in failures:
            print(f"{where} {s.id} {s.outcome:9} want {s.expected:40} got {s.got:40} {s.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
