"""The batch command against the floor of parsing and re-serialising the same file.

Usage (from the repository root)::

    python bench/bench_batch.py                       # 100,000 and 1,000,000 requests
    python bench/bench_batch.py --requests 1000000 --repeat 3

For each input size it writes seeded requests for a synthetic pack (bench/synthetic.py) as JSON
Lines, then runs, each in a fresh subprocess pinned to one core:

* the floor: read each line, ``json.loads`` it, ``json.dumps`` it back (``ensure_ascii=False``)
  and write it, the least any JSON Lines to JSON Lines tool does;
* for information, the same with orjson (``orjson.loads`` of each line's bytes,
  ``orjson.dumps`` back), the library bizroute reads and writes JSON Lines with;
* ``bizroute classify FILE --rules PACK --format jsonl -o OUT -q`` (the whole command, pack
  loading included).

The three run in turn, ``--repeat`` rounds. It prints wall-clock seconds (medians), the ratio to
the floor (the median of each round's ratio, so that the machine's drift over a run moves both
sides), microseconds per record and the peak resident memory of each subprocess
(``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_pack, write_requests

_PIN = "import os\nif hasattr(os, 'sched_setaffinity'):\n" \
       "    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
_REPORT = "import resource, sys\n" \
          "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"

FLOOR = _PIN + """
import json, sys
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        if line.strip():
            out.write(json.dumps(json.loads(line), ensure_ascii=False))
            out.write("\\n")
""" + _REPORT

ORJSON_FLOOR = _PIN + """
import orjson, sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
    for line in src:
        if line.strip():
            out.write(orjson.dumps(orjson.loads(line), option=orjson.OPT_APPEND_NEWLINE))
""" + _REPORT

CLASSIFY = _PIN + """
import sys
from bizroute.cli import main
code = main(["classify", sys.argv[1], "--rules", sys.argv[3], "--format", "jsonl",
             "-o", sys.argv[2], "-q"])
""" + _REPORT + "sys.exit(code)\n"


def run(script: str, *args: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``python -c script args``."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"failed ({done.returncode}): {done.stderr[-2000:]}")
    rss_kb = next(int(line.split()[1]) for line in done.stderr.splitlines()
                  if line.startswith("MAXRSS"))
    return elapsed, rss_kb / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rules", type=int, default=300, help="size of the synthetic pack")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=None, help="where to write inputs and outputs "
                        "(default: a temporary directory, removed afterwards)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        pack = write_pack(work / "pack", args.rules, args.seed)
        rows = []
        for n in args.requests:
            src = write_requests(work / f"requests-{n}.jsonl", n, args.seed, args.rules)
            # interleaved, so that a machine getting slower or faster over the minutes of a
            # run moves the floor and the command alike; the ratio is the median of each
            # round's own ratio
            floor, fast_floor, ours = [], [], []
            for _ in range(args.repeat):
                floor.append(run(FLOOR, str(src), str(work / "floor.jsonl")))
                fast_floor.append(run(ORJSON_FLOOR, str(src), str(work / "floor.jsonl")))
                ours.append(run(CLASSIFY, str(src), str(work / "decisions.jsonl"), str(pack)))
            out_lines = sum(1 for _ in (work / "decisions.jsonl").open(encoding="utf-8"))
            if out_lines != n:
                raise SystemExit(f"{n} requests gave {out_lines} decisions")
            row = {
                "requests": n, "input_mb": src.stat().st_size / 1e6,
                "output_mb": (work / "decisions.jsonl").stat().st_size / 1e6,
                "floor_s": statistics.median(t for t, _ in floor),
                "orjson_floor_s": statistics.median(t for t, _ in fast_floor),
                "classify_s": statistics.median(t for t, _ in ours),
                "ratios": sorted(c / f for (c, _), (f, _) in zip(ours, floor, strict=True)),
                "floor_peak_mb": max(m for _, m in floor),
                "classify_peak_mb": max(m for _, m in ours),
            }
            rows.append(row)
            for name in ("floor.jsonl", "decisions.jsonl"):
                (work / name).unlink()
            src.unlink()
            print(f"... {n:,} requests done", file=sys.stderr, flush=True)

    print(f"Python {sys.version.split()[0]}, one core, synthetic pack of {args.rules} rules, "
          f"median of {args.repeat} round(s); whole commands in fresh processes; "
          f"classify / floor is the median of each round's ratio")
    head = ["requests", "input MB", "output MB", "floor s", "classify s",
            "classify / floor (range)",
            "classify µs/request", "floor peak MB", "classify peak MB", "orjson floor s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join([
            f"{r['requests']:,}", f"{r['input_mb']:.0f}", f"{r['output_mb']:.0f}",
            f"{r['floor_s']:.1f}", f"{r['classify_s']:.1f}",
            f"{statistics.median(r['ratios']):.1f}× ({min(r['ratios']):.1f}-"
            f"{max(r['ratios']):.1f})",
            f"{1e6 * r['classify_s'] / r['requests']:.1f}",
            f"{r['floor_peak_mb']:.0f}", f"{r['classify_peak_mb']:.0f}",
            f"{r['orjson_floor_s']:.1f}"]) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
