"""Benchmark ``bizroute check`` on a synthetic pack of 3,000 rules over 8 fields.

Usage::

    python bench/bench_check.py [--rules 3000] [--runs 5] [--seed 0]

Two packs are checked:

* ``synthetic``: the pack of bench/synthetic.py (every rule mentions a vocabulary of its own,
  plus intent, customer type, channel, capacity and voltage conditions), the shape real packs
  have;
* ``structured``: generated here, rules over eight enum, number and bool fields only and no
  free text, so that overlaps, shadows and gaps all need real box arithmetic.

For each pack the table gives the median of ``--runs`` runs of every stage on one core:
loading (YAML with positions, models, references, compilation: the loader's work, shared with
``bizroute classify``), building the boxes, the overlap search, the shadow search, the gap
search, and the whole ``check_pack`` walk (load and every registered check). In the same run
the overlap search is compared with its naive peer, the pairwise test of every two rules at one
priority (:func:`bizroute.analysis.brute_force_overlaps`), which must find the same pairs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import write_pack
from bizroute.analysis import Analysis, brute_force_overlaps
from bizroute.checks import check_pack
from bizroute.engine import compile_pack
from bizroute.loader import read_pack

ENUMS = {"e1": 4, "e2": 6, "e3": 8, "e4": 12, "e5": 3}
EDGES = {"n1": (0, 10, 50, 100, 160, 315, 630, 1000), "n2": (0.22, 0.38, 10, 35, 110)}


def write_structured(directory: Path, n_rules: int, seed: int = 0) -> Path:
    """A pack of ``n_rules`` rules over 5 enums, 2 numbers and a bool, without free text."""
    rng = random.Random(seed)
    fields: dict[str, Any] = {}
    for name, size in ENUMS.items():
        fields[name] = {"type": "enum", "label": name, "label_en": name,
                        "values": [f"v{i}" for i in range(size)]}
    for name in EDGES:
        fields[name] = {"type": "number", "label": name, "label_en": name}
    fields["flag"] = {"type": "bool", "label": "flag", "label_en": "flag", "absent": "false"}
    lines = ["pack:", f"  id: structured-{n_rules}", "  name: 结构基准", '  version: "1"',
             f"  fields: {json.dumps(fields)}", "sources: [{id: s, title: 依据}]",
             "groups: [{id: g, name: 组}]", "categories:"]
    for c in range(40):
        lines.append(f"  - {{id: c{c}, name: c{c}, name_en: c{c}, group: g, "
                     "basis: [{source: s}]}")
    lines.append("rules:")
    for i in range(n_rules):
        parts = []
        for name in rng.sample(sorted(ENUMS), rng.randint(2, 4)):
            values = rng.sample(range(ENUMS[name]), rng.randint(1, max(1, ENUMS[name] // 2)))
            parts.append({"field": name, "in": [f"v{v}" for v in sorted(values)]})
        if rng.random() < 0.6:
            name = rng.choice(sorted(EDGES))
            lo, hi = sorted(rng.sample(EDGES[name], 2))
            parts.append({"field": name, "between": [lo, hi]})
        if rng.random() < 0.2:
            parts.append({"field": "flag", "eq": rng.random() < 0.5})
        rule = {"id": f"r{i:05d}", "category": f"c{rng.randrange(40)}",
                "priority": rng.choice([0, 10, 20, 30]), "when": {"all": parts}}
        lines.append(f"  - {json.dumps(rule)}")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench(root: Path, runs: int, peer: bool) -> dict[str, Any]:
    stages: dict[str, list[float]] = {k: [] for k in (
        "load", "boxes", "overlaps", "shadows", "gaps", "analysis total", "check_pack")}
    facts: dict[str, Any] = {}
    for _ in range(runs):
        findings: list[Any] = []
        t_load, pack = _time(lambda: compile_pack(read_pack(root, findings), findings))  # noqa: B023
        t_boxes, analysis = _time(lambda: Analysis(pack))  # noqa: B023
        t_over, overlaps = _time(lambda: analysis.overlaps)  # noqa: B023
        t_shadow, shadows = _time(lambda: analysis.shadows)  # noqa: B023
        t_gaps, gaps = _time(lambda: analysis.gaps())  # noqa: B023
        t_check, report = _time(lambda: check_pack(root))
        stages["load"].append(t_load)
        stages["boxes"].append(t_boxes)
        stages["overlaps"].append(t_over)
        stages["shadows"].append(t_shadow)
        stages["gaps"].append(t_gaps)
        stages["analysis total"].append(t_boxes + t_over + t_shadow + t_gaps)
        stages["check_pack"].append(t_check)
        facts = {"rules": len(pack.rules), "boxes": len(analysis.boxes),
                 "dimensions": len(analysis.space.dims),
                 "overlap findings": len(overlaps), "shadowed": len(shadows),
                 "gaps": len(gaps), "findings": len(report.findings)}
    out: dict[str, Any] = {"median": {k: statistics.median(v) for k, v in stages.items()},
                           "facts": facts}
    if peer:
        findings = []
        pack = compile_pack(read_pack(root, findings), findings)
        analysis = Analysis(pack)
        t_index, pairs = _time(analysis.overlap_pairs)
        t_naive, naive = _time(lambda: brute_force_overlaps(analysis))
        assert pairs == naive, "indexed and naive overlap searches disagree"
        out["peer"] = {"indexed pairs": t_index, "naive pairwise": t_naive,
                       "pairs": len(pairs)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="skip the naive pairwise peer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bizroute-bench-") as tmp:
        packs = {
            "synthetic": write_pack(Path(tmp) / "synthetic", args.rules, seed=args.seed),
            "structured": write_structured(Path(tmp) / "structured", args.rules, args.seed),
        }
        results = {name: bench(root, args.runs, not args.no_peer) for name, root in packs.items()}
    print(f"bizroute check, {args.rules} rules over 8 fields, median of {args.runs} runs "
          f"(seconds, one core)\n")
    names = list(results)
    print(f"{'stage':<28}" + "".join(f"{n:>14}" for n in names))
    for stage in results[names[0]]["median"]:
        print(f"{stage:<28}" + "".join(f"{results[n]['median'][stage]:>14.3f}" for n in names))
    print()
    for key in results[names[0]]["facts"]:
        print(f"{key:<28}" + "".join(f"{results[n]['facts'][key]:>14}" for n in names))
    if not args.no_peer:
        print("\nsame run, one measurement each: all overlapping rule pairs")
        for key in ("indexed pairs", "naive pairwise"):
            print(f"{key:<28}" + "".join(f"{results[n]['peer'][key]:>14.3f}" for n in names))
        print(f"{'pairs found (both agree)':<28}"
              + "".join(f"{results[n]['peer']['pairs']:>14}" for n in names))
    print("\nTarget: the checks (analysis total) under 2 s. 'load' is the loader's YAML and "
          "model work,\nwhich classify pays too; check_pack = load + every registered check.")


if __name__ == "__main__":
    main()
