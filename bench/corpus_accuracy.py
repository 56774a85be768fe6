"""Accuracy of a pack on the evaluation corpus (``bench/corpus/<part>/*.jsonl``).

Usage (from the repository root)::

    python bench/corpus_accuracy.py                      # every part, by part
    python bench/corpus_accuracy.py dev dev2 --by voice  # tables by voice (or kind) for some parts
    python bench/corpus_accuracy.py dev --pairs          # and the wrong pairs (expected -> got)
    python bench/corpus_accuracy.py --json               # the scores as JSON, for tests and docs

The corpus and its labels are described in ``bench/corpus/*/README.md``. The parts ``test`` and
``test2`` are held out: whoever edits a pack's vocabularies reads their totals only, never
their requests or their wrong pairs (``--pairs`` refuses them unless ``--held-out-pairs`` is
given, for a reviewer).

Every request ends in one of five outcomes:

``right``
    what a careful clerk would register: the expected category decided (a category in ``also``
    does not count); for a ``needs_info`` expectation, a question on one of the expected
    fields; for ``out_of_scope``, the ``out_of_scope`` status; for ``multiple``, every expected
    category reported (the decided one plus those in ``also``, or the candidates of an
    ``ambiguous`` decision); for a clerk's pick that conflicts with the words, an ``ambiguous``
    decision that puts the right category to the clerk counts as right too.
``wrong``
    a confident answer that is not right: ``decided`` with another category; ``decided`` where a
    question was expected (a silent guess); a power business decided for an out-of-scope
    request; two requests in one decided as one with the other dropped; ``out_of_scope`` for a
    power business. The worst outcome.
``asked``
    ``needs_info`` or ``ambiguous`` where something else was expected: a question instead of an
    answer, slower, never wrong.
``unmatched``
    ``unmatched`` where something else was expected (the pack did not recognise the request).
``error``
    the request was refused (``error`` status).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizroute import Decision, Pack, load_pack

CORPUS = Path(__file__).resolve().parent / "corpus"
HELD_OUT = frozenset({"test", "test2"})
OUTCOMES = ("right", "wrong", "asked", "unmatched", "error")


@dataclass(frozen=True)
class Scored:
    """One request's outcome against its expectation."""

    part: str
    id: str
    voice: str
    kind: str
    outcome: str
    expected: str
    got: str


def parts_available() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and any(p.glob("*.jsonl")))


def read_part(part: str) -> list[dict[str, Any]]:
    """The records of one part, in file order."""
    records: list[dict[str, Any]] = []
    for path in sorted((CORPUS / part).glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def _id(value: Any) -> str | None:
    """A category given as an id or as an object with an ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else None


def reported(d: Mapping[str, Any]) -> set[str]:
    """Every category a decision reports: the decided one and ``also``, or the candidates."""
    cats = {c for c in [_id(d.get("category"))] if c}
    cats |= {c for c in (_id(a.get("category")) for a in d.get("also") or ()) if c}
    if d.get("status") in ("ambiguous", "needs_info"):
        cats |= {c for c in (_id(x.get("category")) for x in d.get("candidates") or ()) if c}
    return cats


def outcome(expect: Mapping[str, Any], d: Mapping[str, Any]) -> str:
    """Name the outcome of one decision (its JSON form) against its expectation."""
    status = d.get("status")
    want = expect["status"]
    if status == "error":
        return "error"
    category = _id(d.get("category"))
    if want == "decided":
        if status == "decided":
            return "right" if category == expect["category"] else "wrong"
        if status == "out_of_scope":
            return "wrong"
        if (status == "ambiguous" and expect.get("pick") == "conflicts"
                and expect["category"] in reported(d)):
            return "right"
    elif want == "needs_info":
        if status == "needs_info":
            asked = {q.get("field") for q in d.get("questions") or ()}
            return "right" if asked & set(expect["ask"]) else "asked"
        if status in ("decided", "out_of_scope"):
            return "wrong"
    elif want == "out_of_scope":
        if status == "out_of_scope":
            return "right"
        if status == "decided":
            return "wrong"
    elif want == "multiple":
        if set(expect["categories"]) <= reported(d):
            return "right"
        if status in ("decided", "out_of_scope"):
            return "wrong"
    else:
        raise ValueError(f"unknown expected status {want!r}")
    return "unmatched" if status == "unmatched" else "asked"


def _expected_label(expect: Mapping[str, Any]) -> str:
    want = expect["status"]
    if want == "decided":
        return str(expect["category"])
    if want == "needs_info":
        return "needs_info(" + ",".join(expect["ask"]) + ")"
    if want == "out_of_scope":
        return f"out_of_scope({expect['scope']})"
    return "multiple(" + "+".join(expect["categories"]) + ")"


def _got_label(d: Mapping[str, Any]) -> str:
    status = d.get("status")
    if status == "decided":
        also = [c for c in (_id(a.get("category")) for a in d.get("also") or ()) if c]
        return "+".join([_id(d.get("category")) or "?", *also])
    if status in ("ambiguous", "needs_info"):
        cands = sorted(reported(d))
        fields = [q.get("field") for q in d.get("questions") or ()]
        return f"{status}({'|'.join(cands)}{'; ' + ','.join(fields) if fields else ''})"
    if status == "out_of_scope":
        return f"out_of_scope({_id(d.get('scope')) or '?'})"
    return str(status)


def score(pack: Pack, part: str, records: Sequence[Mapping[str, Any]]) -> list[Scored]:
    decisions: Iterable[Decision] = pack.classify_many(
        (r["request"] for r in records), explain=False)
    out = []
    for record, decision in zip(records, decisions, strict=True):
        d = decision.to_dict()
        out.append(Scored(part, record["id"], record["voice"], record["kind"],
                          outcome(record["expect"], d), _expected_label(record["expect"]),
                          _got_label(d)))
    return out


def table(scored: Sequence[Scored], by: str) -> list[dict[str, Any]]:
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for s in scored:
        groups[getattr(s, by)][s.outcome] += 1
    rows = []
    for key in sorted(groups):
        counts = groups[key]
        n = sum(counts.values())
        rows.append({by: key, "n": n, **{o: counts[o] for o in OUTCOMES},
                     "right_pct": round(100 * counts["right"] / n, 1),
                     "wrong_pct": round(100 * counts["wrong"] / n, 1)})
    return rows


def render(rows: Sequence[Mapping[str, Any]], by: str) -> str:
    head = [by, "n", "right %", "right", "wrong", "asked", "unmatched", "error", "wrong %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in (
            r[by], r["n"], f"{r['right_pct']:.1f}", r["right"], r["wrong"], r["asked"],
            r["unmatched"], r["error"], f"{r['wrong_pct']:.1f}")) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("parts", nargs="*", help=f"corpus parts (default: all of {parts_available()})")
    ap.add_argument("--rules", type=Path, help="the pack (default: the built-in pack)")
    ap.add_argument("--by", choices=("part", "voice", "kind"), default="part")
    ap.add_argument("--pairs", action="store_true", help="list the wrong answers (expected -> got)")
    ap.add_argument("--held-out-pairs", action="store_true",
                    help="allow --pairs on held-out parts (for a reviewer, never for tuning)")
    ap.add_argument("--json", action="store_true", help="print the tables as JSON")
    args = ap.parse_args(argv)
    parts = args.parts or parts_available()
    unknown = sorted(set(parts) - set(parts_available()))
    if unknown:
        ap.error(f"no corpus part {', '.join(unknown)} (have: {', '.join(parts_available())})")
    pack = load_pack(args.rules)
    scored = [s for part in parts for s in score(pack, part, read_part(part))]
    result = {"by": args.by, "rows": table(scored, args.by), "total": table(
        [Scored("all", s.id, s.voice, s.kind, s.outcome, s.expected, s.got) for s in scored],
        "part")}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render(result["rows"], args.by))
        if len(parts) > 1 and args.by != "part":
            print()
            print(render(result["total"], "part"))
    if args.pairs:
        shown = [p for p in parts if p not in HELD_OUT or args.held_out_pairs]
        refused = sorted(set(parts) - set(shown))
        if refused:
            print(f"\n(wrong pairs of held-out parts not shown: {', '.join(refused)})",
                  file=sys.stderr)
        pairs = Counter((s.expected, s.got) for s in scored
                        if s.outcome == "wrong" and s.part in shown)
        print("\nwrong pairs (expected -> got):")
        for (want, got), n in pairs.most_common():
            print(f"  {n:3d}  {want} -> {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
