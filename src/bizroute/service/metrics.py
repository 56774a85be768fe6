"""Prometheus metrics: counters and a latency histogram kept in memory, in text format.

With several workers each worker keeps its own numbers and writes them to a snapshot file
(JSON) in a directory the workers share, about once a second; ``GET /metrics`` on any worker
adds its live numbers to the other workers' latest snapshots, so a scrape sees the whole
service (at most a second behind for the other workers).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

#: Latency histogram bucket bounds, in seconds.
BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                              1.0, 2.5, 5.0, 10.0)

Snapshot = dict[str, Any]


class Metrics:
    """The numbers of one worker."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (route, method, code)
        # route → bucket counts (not cumulative; the last one is +Inf), sum, count
        self.latency: dict[str, tuple[list[int], list[float]]] = {}
        self.decisions: Counter[tuple[str, str]] = Counter()  # (status, category or "")
        self.in_flight = 0
        self.changes = 0  # bumped by every update: a snapshot is written only after changes

    def observe(self, route: str, method: str, code: int, seconds: float) -> None:
        self.requests[(route, method, code)] += 1
        entry = self.latency.get(route)
        if entry is None:
            entry = self.latency[route] = ([0] * (len(BUCKETS) + 1), [0.0])
        entry[0][bisect.bisect_left(BUCKETS, seconds)] += 1
        entry[1][0] += seconds
        self.changes += 1

    def decision(self, status: str, category: str | None) -> None:
        self.decisions[(status, category or "")] += 1
        self.changes += 1

    def snapshot(self, pack: Snapshot) -> Snapshot:
        """This worker's numbers as JSON-ready data; ``pack`` describes its pack and reloads."""
        return {
            "requests": [[r, m, c, n] for (r, m, c), n in self.requests.items()],
            "latency": {r: [b, s[0]] for r, (b, s) in self.latency.items()},
            "decisions": [[s, c, n] for (s, c), n in self.decisions.items()],
            "in_flight": self.in_flight,
            "pack": pack,
        }


def merge(snapshots: list[Snapshot]) -> Snapshot:
    """The sum of several workers' snapshots (packs are counted by workers serving them)."""
    requests: Counter[tuple[str, str, int]] = Counter()
    decisions: Counter[tuple[str, str]] = Counter()
    latency: dict[str, tuple[list[int], float]] = {}
    packs: Counter[tuple[str, str, str]] = Counter()
    loaded_at = 0.0
    reloads: Counter[str] = Counter()
    in_flight = 0
    for snap in snapshots:
        for route, method, code, n in snap["requests"]:
            requests[(route, method, int(code))] += n
        for status, category, n in snap["decisions"]:
            decisions[(status, category)] += n
        for route, (counts, total) in snap["latency"].items():
            have = latency.get(route)
            if have is None:
                latency[route] = (list(counts), total)
            else:
                latency[route] = ([a + b for a, b in zip(have[0], counts, strict=True)],
                                  have[1] + total)
        pack = snap["pack"]
        packs[(pack["id"], pack["version"], pack["digest"])] += 1
        loaded_at = max(loaded_at, pack["loaded_at"])
        reloads["ok"] += pack["reloads_ok"]
        reloads["failed"] += pack["reloads_failed"]
        in_flight += snap["in_flight"]
    return {"requests": requests, "decisions": decisions, "latency": latency, "packs": packs,
            "loaded_at": loaded_at, "reloads": reloads, "in_flight": in_flight,
            "workers": len(snapshots)}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def render(total: Snapshot) -> str:
    """The Prometheus text exposition format (version 0.0.4) of merged snapshots."""
    out: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")

    family("bizroute_http_requests_total", "counter", "HTTP requests answered, by route, "
           "method and status code.")
    for (route, method, code), n in sorted(total["requests"].items()):
        out.append(f"bizroute_http_requests_total{_labels(route=route, method=method, code=str(code))} {n}")
    family("bizroute_http_request_duration_seconds", "histogram",
           "Time from a request's arrival to its answer, by route.")
    for route, (counts, seconds) in sorted(total["latency"].items()):
        running = 0
        for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f"bizroute_http_request_duration_seconds_bucket"
                       f"{_labels(route=route, le=le)} {running}")
        out.append(f"bizroute_http_request_duration_seconds_sum{_labels(route=route)} {seconds!r}")
        out.append(f"bizroute_http_request_duration_seconds_count{_labels(route=route)} {running}")
    family("bizroute_http_requests_in_flight", "gauge", "Requests being answered now.")
    out.append(f"bizroute_http_requests_in_flight {total['in_flight']}")
    family("bizroute_decisions_total", "counter",
           "Decisions made, by status and category (empty when none was decided).")
    for (status, category), n in sorted(total["decisions"].items()):
        out.append(f"bizroute_decisions_total{_labels(status=status, category=category)} {n}")
    family("bizroute_pack_reloads_total", "counter",
           "Pack reloads, by result: ok (swapped in) or failed (refused, old pack kept).")
    for result in ("ok", "failed"):
        out.append(f"bizroute_pack_reloads_total{_labels(result=result)} {total['reloads'][result]}")
    family("bizroute_pack_info", "gauge",
           "The pack in service: the number of workers serving each pack id, version and digest.")
    for (pack_id, version, digest), n in sorted(total["packs"].items()):
        out.append(f"bizroute_pack_info{_labels(pack_id=pack_id, version=version, digest=digest)} {n}")
    family("bizroute_pack_loaded_timestamp_seconds", "gauge",
           "When the newest pack in service was loaded (Unix time).")
    out.append(f"bizroute_pack_loaded_timestamp_seconds {total['loaded_at']!r}")
    family("bizroute_workers", "gauge", "Worker processes whose numbers are included.")
    out.append(f"bizroute_workers {total['workers']}")
    return "\n".join(out) + "\n"


class SnapshotFiles:
    """The snapshot files of the workers of one service, in a directory they share."""

    def __init__(self, directory: str | Path, worker: int) -> None:
        self.directory = Path(directory)
        self.own = self.directory / f"worker-{worker}.json"

    def write(self, snapshot: Snapshot) -> None:
        tmp = self.own.with_suffix(".tmp")
        tmp.write_text(json.dumps(snapshot), encoding="utf-8")
        os.replace(tmp, self.own)  # readers see the old file or the new one, whole

    def others(self) -> list[Snapshot]:
        found = []
        for path in sorted(self.directory.glob("worker-*.json")):
            if path == self.own:
                continue
            with contextlib.suppress(OSError, ValueError):
                found.append(json.loads(path.read_text(encoding="utf-8")))
        return found
