"""Cases of the default pack for the tracking tests: requests, decisions and planned events."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import bizroute

T = dt.datetime
MINUTE = dt.timedelta(minutes=1)

#: A high-voltage new connection, single supply, received on Friday 2025-09-26 09:30: the
#: 2025 National Day holiday (10-01..10-08) and its make-up working days (Sunday 09-28,
#: Saturday 10-11) fall inside its 15 working days of 供电方案答复.
HV = {"description": "新建厂房申请10千伏高压用电，800千伏安", "customer": {"type": "non_residential"},
      "supply": {"capacity_kva": 800, "voltage_kv": 10, "dual_source": False},
      "received_at": "2025-09-26T09:30:00",
      "documents_presented": ["application_form", "business_license", "equipment_list"]}

#: One request per workflow of the default pack that carries commitments, and per kind of
#: limit: working days from intake, on one later step, between two later steps, a variant
#: picked by a field, wall-clock minutes, hours and (before 2024-06-01) days.
REQUESTS: dict[str, dict[str, Any]] = {
    "hv_single": HV,
    "hv_dual": {**HV, "supply": {"capacity_kva": 2000, "voltage_kv": 10, "dual_source": True}},
    "lv_residential": {"description": "新买的房子要装个电表", "customer": {"type": "residential"},
                       "supply": {"capacity_kva": 8}, "received_at": "2025-09-26T16:00:00"},
    "lv_non_residential": {"description": "店铺新装用电，30千瓦",
                           "customer": {"type": "non_residential"},
                           "supply": {"capacity_kva": 30}, "received_at": "2025-10-10T10:00:00"},
    "meter_test": {"description": "电表走得太快了，申请校验电表", "received_at": "2025-09-29T09:00:00"},
    "metering_fault": {"description": "电表黑屏了", "received_at": "2025-09-30T15:00:00"},
    "reading_check": {"description": "这个月电费突然很高，怀疑抄表抄错了",
                      "received_at": "2025-10-09T08:00:00"},
    "complaint": {"description": "我要投诉，报修三天了没人来", "received_at": "2025-10-11T10:00:00"},
    "fault_urban": {"description": "家里没电了", "area": "urban",
                    "received_at": "2025-10-01T20:15:00"},
    "fault_rural": {"description": "家里没电了", "area": "rural",
                    "received_at": "2025-10-02T07:00:00"},
    "reconnect": {"description": "欠费停电了，电费已经交了，请尽快复电",
                  "received_at": "2025-10-03T18:00:00"},
    "fault_no_area": {"description": "家里没电了", "received_at": "2025-10-01T20:15:00"},
    "temporary_removal_2023": {"description": "装修要暂时拆表", "customer": {"type": "residential"},
                               "received_at": "2023-09-28T10:00:00"},
}


@functools.cache
def pack() -> bizroute.Pack:
    return bizroute.load_pack()


def decision(name: str, case_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """The decision (JSON form, with its plan) of ``REQUESTS[name]`` under id ``case_id``."""
    return json.loads(_decision(name, case_id or name, json.dumps(changes, sort_keys=True)))


@functools.cache
def _decision(name: str, case_id: str, changes: str) -> str:
    request = {**REQUESTS[name], **json.loads(changes), "id": case_id}
    d = pack().classify(request)
    assert d.status == "decided" and d.plan is not None, (name, d.status, d.questions)
    return d.to_json()


def steps(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return list(decision["plan"]["steps"])


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def ancestors(decision: dict[str, Any], step_id: str) -> set[str]:
    """The steps ``step_id`` waits for, directly or not."""
    after = {s["id"]: s["after"] for s in steps(decision)}
    out: set[str] = set()
    todo = list(after[step_id])
    while todo:
        s = todo.pop()
        if s not in out:
            out.add(s)
            todo.extend(after[s])
    return out


def as_planned(decision: dict[str, Any], *, done: set[str] | None = None,
               started: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """Events of the steps in ``done`` (default: all) started and completed at their planned
    start and due, and of those in ``started`` only started."""
    case = decision["request_id"]
    out = []
    for s in steps(decision):
        if done is None or s["id"] in done or s["id"] in started:
            if s["after"]:  # the start step starts at intake by itself
                out.append({"case": case, "event": "step_started", "step": s["id"],
                            "at": s["start"], "department": s["department"]["id"]})
            if done is None or s["id"] in done:
                out.append({"case": case, "event": "step_completed", "step": s["id"],
                            "at": s["due"], "department": s["department"]["id"]})
    return out
