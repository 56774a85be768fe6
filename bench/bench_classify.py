"""Pack.classify throughput against GoRules zen-engine, on synthetic packs of 30 to 3,000 rules.

Usage (from the repository root, with the ``bench`` extra installed)::

    python bench/bench_classify.py                 # 30, 300, 3000 rules; 100,000 requests
    python bench/bench_classify.py --rules 30 300 --requests 20000
    python bench/bench_classify.py --default-pack  # the pack in rules/, real requests

For each pack size the same seeded requests go through

* ``Pack.classify`` (indexed engine, a full :class:`~bizroute.Decision` per request);
* zen-engine's ``ZenDecision.evaluate`` on a JDM decision table built from the same synthetic
  rules (one row per rule, highest priority first, hit policy ``first``; one request per call);
* optionally the plain engine that evaluates every rule (``--plain``), for reference.

Requests are timed in chunks of ``--chunk``; the table shows the median microseconds per
request over the chunks and the ratios. The process is pinned to one core. zen-engine at
large tables and the plain engine are slow, so they may be run on the first ``--sample``
requests only (the table says how many each engine saw).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import SyntheticRule, generate_rules, requests, write_pack


def jdm_table(rules: Sequence[SyntheticRule]) -> dict[str, Any]:
    """A JDM graph (input → decision table → output) equivalent to the synthetic rules."""
    ordered = sorted(enumerate(rules), key=lambda item: (-item[1].priority, item[0]))
    inputs = [
        {"id": "description", "name": "Description", "field": "description"},
        {"id": "intent", "name": "Intent", "field": "intent"},
        {"id": "customer_type", "name": "Customer type", "field": "customer.type"},
        {"id": "channel", "name": "Channel", "field": "channel"},
        {"id": "capacity", "name": "Capacity", "field": "supply.capacity_kva"},
        {"id": "voltage", "name": "Voltage", "field": "supply.voltage_kv"},
    ]
    rows = []
    for _, rule in ordered:
        row = {"_id": rule.id, "description": "", "intent": "", "customer_type": "",
               "channel": "", "capacity": "", "voltage": "", "category": json.dumps(rule.category)}
        if rule.terms:
            row["description"] = " or ".join(f"contains($, {json.dumps(t, ensure_ascii=False)})"
                                             for t in rule.terms)
        if rule.intents:
            row["intent"] = ", ".join(json.dumps(i) for i in rule.intents)
        if rule.customer_type:
            row["customer_type"] = json.dumps(rule.customer_type)
        if rule.channels:
            row["channel"] = ", ".join(json.dumps(c) for c in rule.channels)
        if rule.capacity:
            row["capacity"] = f"[{rule.capacity[0]}..{rule.capacity[1]})"
        if rule.voltage_min is not None:
            row["voltage"] = f">= {rule.voltage_min}"
        rows.append(row)
    table = {"hitPolicy": "first", "inputs": inputs,
             "outputs": [{"id": "category", "name": "Category", "field": "category"}],
             "rules": rows}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {"id": "table", "type": "decisionTableNode", "name": "Categories",
             "position": {"x": 300, "y": 0}, "content": table},
            {"id": "response", "type": "outputNode", "name": "Response",
             "position": {"x": 600, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "response", "type": "edge"},
        ],
    }


def timed(fn: Callable[[Any], Any], items: Sequence[Any], chunk: int) -> list[float]:
    """Microseconds per item for each chunk of ``items``."""
    out = []
    gc.collect()
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        t0 = time.perf_counter()
        for item in part:
            fn(item)
        out.append((time.perf_counter() - t0) / len(part) * 1e6)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, nargs="+", default=[30, 300, 3000])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=10_000,
                        help="requests for zen-engine at 3,000 rules and for --plain")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plain", action="store_true",
                        help="also time the plain engine that evaluates every rule")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--default-pack", action="store_true",
                        help="time the default pack (rules/) on the example and fresh requests "
                             "instead, with and without explanations")
    parser.add_argument("--passes", type=int, default=15,
                        help="passes over the requests for --default-pack")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    if args.default_pack:
        return default_pack(args.passes)
    import zen

    from bizroute import __version__, load_pack
    from bizroute.index import plain_copy

    results = []
    for n_rules in args.rules:
        with tempfile.TemporaryDirectory() as tmp:
            pack = load_pack(write_pack(Path(tmp) / "pack", n_rules, args.seed))
        reqs = list(requests(args.requests, args.seed, n_rules))
        decision = zen.ZenEngine().create_decision(
            json.dumps(jdm_table(generate_rules(n_rules, args.seed)), ensure_ascii=False))
        for r in reqs[:200]:  # warm up: epochs, index, caches
            pack.classify(r)
            decision.evaluate(r)
        ours = timed(pack.classify, reqs, args.chunk)
        zen_n = len(reqs) if n_rules < 3000 else min(len(reqs), args.sample)
        theirs = timed(decision.evaluate, reqs[:zen_n], args.chunk)
        row = {"rules": n_rules, "requests": len(reqs), "bizroute_us": statistics.median(ours),
               "zen_requests": zen_n, "zen_us": statistics.median(theirs)}
        # agreement where bizroute decides (zen has no unknowns, ambiguity or negation)
        same = total = 0
        for r in reqs[:2000]:
            d = pack.classify(r)
            if d.status == "decided":
                total += 1
                same += decision.evaluate(r)["result"].get("category") == d.category_id
        row["agree_decided"] = same / total if total else None
        if args.plain:
            plain = plain_copy(pack)
            plain_n = min(len(reqs), args.sample)
            row["plain_requests"] = plain_n
            row["plain_us"] = statistics.median(timed(plain.classify, reqs[:plain_n], args.chunk))
        results.append(row)
        print(f"... {n_rules} rules done", file=sys.stderr, flush=True)

    base = results[0]["bizroute_us"]
    print(f"bizroute {__version__}, zen-engine {_version('zen-engine')}, Python "
          f"{sys.version.split()[0]}, one core; median µs per request over chunks of "
          f"{args.chunk:,}")
    head = ["rules", "requests", "bizroute µs", "zen µs (requests)", "zen / bizroute",
            f"bizroute vs {results[0]['rules']} rules", "zen agrees (decided)"]
    if args.plain:
        head.append("plain engine µs (requests)")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for row in results:
        cells = [f"{row['rules']:,}", f"{row['requests']:,}", f"{row['bizroute_us']:.1f}",
                 f"{row['zen_us']:.1f} ({row['zen_requests']:,})",
                 f"{row['zen_us'] / row['bizroute_us']:.2f}×",
                 f"{row['bizroute_us'] / base:.2f}×",
                 "-" if row["agree_decided"] is None else f"{100 * row['agree_decided']:.0f} %"]
        if args.plain:
            cells.append(f"{row['plain_us']:.1f} ({row['plain_requests']:,})")
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def default_requests(root: Path) -> list[dict[str, Any]]:
    """The requests of docs/examples/requests.jsonl and tests/fresh/round*.jsonl, in order."""
    out: list[dict[str, Any]] = []
    files = [root / "docs" / "examples" / "requests.jsonl",
             *sorted((root / "tests" / "fresh").glob("round*.jsonl"))]
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                out.append(record.get("request", record))
    return out


def default_pack(passes: int) -> int:
    """Median µs per request on the default pack, with and without explanations."""
    from bizroute import load_pack
    from bizroute.errors import InputError
    from bizroute.index import plain_copy

    root = Path(__file__).resolve().parent.parent
    pack = load_pack()
    reqs = []
    for r in default_requests(root):
        try:
            pack.classify(r)
        except InputError:
            continue
        reqs.append(r)
    plain = plain_copy(pack)
    print(f"default pack {pack.version}, {len(reqs)} requests (docs/examples/requests.jsonl, "
          f"tests/fresh/round*.jsonl), Python {sys.version.split()[0]}, one core; median over "
          f"{passes} passes of µs per request")
    print("| engine | full decision µs | explain=False µs |")
    print("|---|---:|---:|")
    for name, engine in (("indexed", pack), ("plain (every rule)", plain)):
        row = []
        for explain in (True, False):
            def run(r: Any, engine: Any = engine, explain: bool = explain) -> Any:
                return engine.classify(r, explain=explain)

            for r in reqs:  # warm up
                run(r)
            per_pass = [statistics.mean(timed(run, reqs, len(reqs))) for _ in range(passes)]
            row.append(statistics.median(per_pass))
        print(f"| {name} | {row[0]:.1f} | {row[1]:.1f} |")
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
