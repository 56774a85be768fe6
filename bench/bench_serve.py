"""``bizroute serve`` under load: requests/s and latency of ``POST /v1/classify`` with wrk,
against the in-process ``Pack.classify`` rate in the same run, and a reload under load.

Usage (from the repository root, with the ``serve`` extra and ``wrk`` installed; Debian:
``apt-get install wrk``)::

    python bench/bench_serve.py                      # 3 rounds of 10 s, 1 worker
    python bench/bench_serve.py --rounds 5 --seconds 5 --connections 8

Everything runs on the loopback interface and stops by itself: each wrk run is bounded by
``--seconds``. The requests are the 30 of ``docs/examples/requests.jsonl``, sent in turn (a
Lua script rotates the bodies). Each round measures, one after the other:

* ``Pack.classify`` in this process, one request at a time, as the service calls it
  (``explain=False``): the peer, a counter system that imports bizroute;
* the service with wrk (1 thread, ``--connections``): requests/s, p50 and p99;
* the service with wrk while the pack is reloaded through ``POST /v1/admin/reload`` every
  ``--reload-every`` seconds: failed requests (non-2xx answers and socket errors) must be 0.

The table gives the median of the rounds; the ratio is the service's rate per worker over the
in-process rate. The machine's load average is printed before and after, since other work on
the machine moves every number here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples" / "requests.jsonl"
TOKEN = "bench-token"


def lua_script(bodies: list[str]) -> str:
    items = ",\n".join(f"  wrk.format('POST', '/v1/classify', headers, [==[{b}]==])"
                       for b in bodies)
    return ("local headers = {['Content-Type'] = 'application/json'}\n"
            "local requests = nil\nlocal i = 0\n"
            "function init(args)\n requests = {\n" + items + "\n }\nend\n"
            "function request()\n i = i % #requests + 1\n return requests[i]\nend\n")


def in_process_rate(requests: list[dict[str, Any]], seconds: float) -> float:
    import bizroute

    pack = bizroute.load_pack()
    for request in requests:  # warm the per-date caches
        pack.classify(request, explain=False)
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for request in requests:
            pack.classify(request, explain=False)
        count += len(requests)
    return count / (time.perf_counter() - start)


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "BIZROUTE_ADMIN_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "bizroute", "serve", "--port", "0", "--workers", str(workers),
         ], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, env=env)
    assert process.stderr is not None
    for raw in process.stderr:
        entry = json.loads(raw)
        if entry.get("event") == "listening":
            url = entry["url"]
            break
    else:
        raise SystemExit("the service did not start")
    threading.Thread(target=lambda: process.stderr and process.stderr.read(), daemon=True).start()
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the service did not become ready")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, script: Path, seconds: float, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script),
         url + "/v1/classify"], capture_output=True, text=True, check=True,
        timeout=seconds + 60).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
              "requests": float(re.search(r"(\d+) requests in", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        result[f"p{pct}"] = _ms(re.search(rf"\s{pct}%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["failed"] = float((int(non_2xx.group(1)) if non_2xx else 0)
                             + (sum(int(g) for g in socket.groups()) if socket else 0))
    return result


def reload_loop(url: str, every: float, stop: threading.Event, outcomes: list[int]) -> None:
    while not stop.wait(every):
        request = urllib.request.Request(url + "/v1/admin/reload", data=b"", method="POST",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            outcomes.append(response.status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="each wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reload-every", type=float, default=2.0, metavar="SECONDS")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    requests = [json.loads(line) for line in lines]
    workdir = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    script = workdir / "post.lua"
    script.write_text(lua_script(lines), encoding="utf-8")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    process, url = start_server(args.workers)
    rows: dict[str, list[float]] = {k: [] for k in (
        "in_process", "rps", "p50", "p99", "failed", "reload_rps", "reload_p99", "reload_failed",
        "reloads")}
    try:
        for n in range(args.rounds):
            rows["in_process"].append(in_process_rate(requests, min(args.seconds, 5.0)))
            plain = wrk(url, script, args.seconds, args.connections)
            stop = threading.Event()
            outcomes: list[int] = []
            reloader = threading.Thread(target=reload_loop,
                                        args=(url, args.reload_every, stop, outcomes))
            reloader.start()
            loaded = wrk(url, script, args.seconds, args.connections)
            stop.set()
            reloader.join()
            rows["rps"].append(plain["rps"])
            rows["p50"].append(plain["p50"])
            rows["p99"].append(plain["p99"])
            rows["failed"].append(plain["failed"])
            rows["reload_rps"].append(loaded["rps"])
            rows["reload_p99"].append(loaded["p99"])
            rows["reload_failed"].append(loaded["failed"])
            rows["reloads"].append(float(sum(1 for s in outcomes if s == 200)))
            print(f"round {n + 1}: in-process {rows['in_process'][-1]:,.0f}/s; service "
                  f"{plain['rps']:,.0f}/s p50 {plain['p50']:.2f} ms p99 {plain['p99']:.2f} ms, "
                  f"{plain['failed']:.0f} failed of {plain['requests']:,.0f}; under reload "
                  f"{loaded['rps']:,.0f}/s p99 {loaded['p99']:.2f} ms, {len(outcomes)} reloads, "
                  f"{loaded['failed']:.0f} failed of {loaded['requests']:,.0f}", flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    per_worker = med["rps"] / args.workers
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"bizroute serve, default pack, POST /v1/classify, {args.workers} worker(s), wrk 1 "
          f"thread {args.connections} connections {args.seconds:g} s; median of "
          f"{args.rounds} rounds")
    print()
    print("| | requests/s | p50 ms | p99 ms | failed | service per worker / in-process |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| in-process `Pack.classify` (explain=False) | {med['in_process']:,.0f} | | | | |")
    print(f"| service | {med['rps']:,.0f} | {med['p50']:.2f} | {med['p99']:.2f} | "
          f"{med['failed']:.0f} | {per_worker / med['in_process']:.2f} |")
    print(f"| service, reload every {args.reload_every:g} s ({med['reloads']:.0f} per run) | "
          f"{med['reload_rps']:,.0f} | | {med['reload_p99']:.2f} | {med['reload_failed']:.0f} "
          f"| {med['reload_rps'] / args.workers / med['in_process']:.2f} |")
    met = (per_worker >= med["in_process"] / 2 and med["p99"] < 20
           and max(rows["reload_failed"]) == 0)
    print()
    print(f"targets (>= 0.5 of in-process per worker, p99 < 20 ms, 0 failed across reloads): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
