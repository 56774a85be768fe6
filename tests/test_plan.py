"""Routing plans: steps on the working-day calendar, commitments, critical path, hand-offs."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizroute import load_pack
from bizroute.calendar import WorkCalendar
from test_workflow import workflows

T = dt.datetime
VALID = Path(__file__).parent / "packs" / "valid" / "workflow"
CAL = WorkCalendar()


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack(VALID)


def _plan(pack, **request):  # type: ignore[no-untyped-def]
    decision = pack.classify(request)
    assert decision.status == "decided"
    return decision.plan


# --- the done-when example ----------------------------------------------------------------


def test_the_supply_scheme_deadline_skips_the_national_day_holiday_and_counts_make_up_days(
        pack) -> None:  # type: ignore[no-untyped-def]
    # A single-supply high-voltage connection received on Friday 2025-09-26 at 09:30 is owed
    # its supply scheme (供电方案答复) within 15 working days (国网十项承诺). The working days
    # after the day of receipt are:
    #   1  Sun 09-28  a make-up working day (调休) for the holiday
    #   2  Mon 09-29
    #   3  Tue 09-30
    #      Wed 10-01 .. Wed 10-08: National Day and Mid-Autumn Festival, not counted
    #   4  Thu 10-09
    #   5  Fri 10-10
    #   6  Sat 10-11  a make-up working day (调休)
    #   7..11  Mon 10-13 .. Fri 10-17
    #   12..15 Mon 10-20 .. Thu 10-23
    # so the deadline is 2025-10-23 at 09:30, the time of day of receipt.
    plan = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00")
    reply = plan.commitment("scheme_reply")
    assert reply.limit == "15个工作日"
    assert reply.deadline == T(2025, 10, 23, 9, 30)
    counted = [d for d in (dt.date(2025, 9, 26) + dt.timedelta(days=k) for k in range(1, 28))
               if CAL.is_workday(d)]
    assert counted[:6] == [dt.date(2025, 9, 28), dt.date(2025, 9, 29), dt.date(2025, 9, 30),
                           dt.date(2025, 10, 9), dt.date(2025, 10, 10), dt.date(2025, 10, 11)]
    assert counted[14] == reply.deadline.date()
    # Monday to Friday alone would have said 10-17; skipping the holiday without the two
    # make-up days would have said 10-27
    assert reply.deadline.date() not in (dt.date(2025, 10, 17), dt.date(2025, 10, 27))


def test_dual_supply_gets_thirty_working_days_for_the_supply_scheme(pack) -> None:  # type: ignore[no-untyped-def]
    # 15 more working days after 10-23: 10-24, 10-27..31, 11-03..07, 11-10..13
    plan = _plan(pack, intent="hv_new", supply={"dual_source": True},
                 received_at="2025-09-26T09:30:00")
    reply = plan.commitment("scheme_reply")
    assert (reply.limit, reply.deadline) == ("30个工作日", T(2025, 11, 13, 9, 30))
    assert plan.step("access_review").duration == "12个工作日"


def test_a_commitment_in_force_on_an_older_date_uses_the_old_limit(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="hv_new", received_at="2008-03-03T10:00:00")
    assert [c.id for c in plan.commitments] == ["scheme_reply_1996", "install_connect"]
    assert plan.commitment("scheme_reply_1996").deadline == T(2008, 4, 2, 10, 0)  # 30 days


# --- steps, order, departments, hand-offs --------------------------------------------------


def test_steps_come_in_a_topological_order_with_their_departments(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00")
    seen: set[str] = set()
    for step in plan.steps:
        assert set(step.after) <= seen
        seen.add(step.id)
    assert plan.steps[0].id == "accept" and plan.steps[-1].id == "archive"
    assert plan.step("survey").department.id == "account_manager"
    assert [d.id for d in plan.departments] == [
        "counter", "account_manager", "planning", "operations", "metering_centre",
        "metering_install", "dispatch"]


def test_each_step_starts_when_the_last_step_it_waits_for_is_due(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00")
    accept = plan.step("accept")
    assert accept.start == T(2025, 9, 26, 9, 30)
    assert accept.due == T(2025, 9, 28, 9, 30)  # one working day: Sunday 09-28 is one (调休)
    energise = plan.step("energise")
    assert energise.start == max(plan.step(s).due for s in energise.after)
    assert plan.due == plan.step("archive").due


def test_hand_offs_are_the_dependencies_that_cross_departments(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="res_new", received_at="2025-06-03T10:00:00")
    assert [(h.from_step, h.to_step, h.from_department.id, h.to_department.id)
            for h in plan.handoffs] == [
        ("accept", "connect", "counter", "metering_install"),
        ("connect", "archive", "metering_install", "counter")]
    assert plan.to_dict()["handoff_count"] == 2


def test_the_critical_path_runs_from_start_to_end_through_the_steps_that_decide_it(
        pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00")
    path = plan.critical_path
    assert path[0] == "accept" and path[-1] == "archive"
    assert "grid_works" not in path  # 10 days of grid works run beside the customer's works
    for a, b in itertools.pairwise(path):
        assert plan.step(b).start == plan.step(a).due
    assert {s.id for s in plan.steps if s.critical} == set(path)


# --- commitments that depend on the request ------------------------------------------------


@pytest.mark.parametrize(
    ("area", "limit", "deadline"),
    [
        ("urban", "45分钟", T(2025, 10, 1, 23, 15)),
        ("rural", "90分钟", T(2025, 10, 2, 0, 0)),
        ("remote", "2小时", T(2025, 10, 2, 0, 30)),
    ],
)
def test_fault_repair_arrival_depends_on_the_area_and_runs_on_the_wall_clock(
        pack, area: str, limit: str, deadline: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    # received late on National Day: holidays do not stop the repair clock
    plan = _plan(pack, intent="fault", area=area, received_at="2025-10-01T22:30:00")
    arrival = plan.commitment("arrival")
    assert (arrival.limit, arrival.deadline, arrival.on_track) == (limit, deadline, True)


def test_without_the_area_the_arrival_limit_is_left_open_and_says_what_decides_it(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="fault", received_at="2025-10-01T22:30:00")
    arrival = plan.commitment("arrival")
    assert arrival.deadline is None and arrival.depends_on == ("area",)
    travel = plan.step("travel")
    assert travel.duration == "105分钟" and travel.duration_assumed  # the longest, to be safe


def test_reconnection_is_due_24_hours_after_payment_even_over_a_holiday(pack) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(pack, intent="reconnect", received_at="2025-09-30T18:00:00")
    assert plan.commitment("restore_24h").deadline == T(2025, 10, 1, 18, 0)
    # the reply is in working days: it waits for the holiday to end
    assert plan.commitment("reply_1wd").deadline == T(2025, 10, 10, 0, 0)


# --- notices --------------------------------------------------------------------------------


def test_a_plan_beyond_the_calendar_data_falls_back_to_monday_to_friday_and_the_decision_says_so(
        pack) -> None:  # type: ignore[no-untyped-def]
    year = CAL.years[1] + 3
    decision = pack.classify({"intent": "hv_new", "received_at": f"{year}-03-02T09:00:00"})
    assert any(str(year) in n and "周一至周五" in n for n in decision.notices)
    assert decision.notices == decision.plan.notices


def test_without_received_at_the_plan_starts_on_the_as_of_day_and_says_so(pack) -> None:  # type: ignore[no-untyped-def]
    decision = pack.classify({"intent": "res_new"}, as_of=dt.date(2025, 6, 3))
    assert decision.plan.received_at == T(2025, 6, 3)
    assert decision.plan.received_at_assumed
    # the note goes with the plan, not with the decision's own notices
    assert any("received_at" in n for n in decision.plan.notices)
    assert not any("received_at" in n for n in decision.notices)


def test_the_plan_is_laid_out_on_first_use_and_equals_the_eager_one(pack) -> None:  # type: ignore[no-untyped-def]
    from bizroute.plan import LazyPlan, Plan

    request = {"intent": "hv_new", "received_at": "2025-09-26T09:30:00"}
    decision = pack.classify(request)
    assert isinstance(decision.plan, LazyPlan) and decision.notices == ()
    eager = pack._planner.plan("hv_connection", pack.facts(request), dt.date(2025, 9, 26))
    assert isinstance(decision.plan.resolve(), Plan)
    assert decision.plan.to_dict() == eager.to_dict()


def test_undecided_requests_carry_no_plan(pack) -> None:  # type: ignore[no-untyped-def]
    assert pack.classify({"received_at": "2025-06-03T10:00:00"}).plan is None


# --- output ---------------------------------------------------------------------------------


def test_the_plan_serialises_with_its_documented_fields(pack) -> None:  # type: ignore[no-untyped-def]
    decision = pack.classify({"intent": "hv_new", "received_at": "2025-09-26T09:30:00"})
    data = json.loads(decision.to_json())["plan"]
    assert set(data) == {"workflow", "name", "received_at", "received_at_assumed", "due",
                         "steps", "commitments", "critical_path", "handoff_count", "handoffs",
                         "departments", "notices"}
    assert set(data["steps"][0]) == {"id", "name", "department", "start", "due", "duration",
                                     "duration_assumed", "after", "customer_facing", "critical"}
    assert set(data["commitments"][0]) == {"id", "name", "from", "to", "limit", "limit_unit",
                                           "limit_amount", "deadline", "expected", "on_track",
                                           "depends_on", "basis"}
    assert set(data["handoffs"][0]) == {"from_step", "to_step", "from_department",
                                        "to_department"}
    reply = data["commitments"][0]
    assert (reply["deadline"], reply["limit_unit"], reply["limit_amount"]) == (
        "2025-10-23T09:30:00", "working_days", 15.0)


def test_the_timeline_shows_every_step_and_the_deadlines(pack) -> None:  # type: ignore[no-untyped-def]
    text = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00").render_text()
    assert "2025-09-26 09:30 → 2025-09-28 09:30" in text
    assert "供电方案答复 (scheme_reply) 15个工作日: 截止 deadline 2025-10-23 09:30" in text
    assert text.count("\n") == 1 + 14 + 2 + 2


# --- properties -----------------------------------------------------------------------------

WALL_CLOCK = ["{days: 2}", "{hours: 5}", "{minutes: 45}", "{hours: 0}", None]
moments = st.datetimes(min_value=T(2024, 1, 1), max_value=T(2026, 6, 1))


def _load(text: str):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pack.yaml").write_text(text, encoding="utf-8")
        return load_pack(tmp)


def _plan_for(text: str, received: dt.datetime):  # type: ignore[no-untyped-def]
    from bizroute.conditions import Facts

    pack = _load(text)
    return pack._planner.plan("w", Facts({"received_at": received}), received.date())


@settings(max_examples=80, deadline=None)
@given(workflows(), moments)
def test_due_moments_never_decrease_along_an_edge(text: str, received: dt.datetime) -> None:
    plan = _plan_for(text, received)
    by_id = {s.id: s for s in plan.steps}
    for step in plan.steps:
        assert step.start <= step.due
        for before in step.after:
            assert by_id[before].due <= step.start
    assert plan.steps[0].start == received


@settings(max_examples=60, deadline=None)
@given(workflows(units=WALL_CLOCK), moments)
def test_on_the_wall_clock_the_plan_lasts_as_long_as_the_longest_path(
        text: str, received: dt.datetime) -> None:
    import networkx as nx

    pack = _load(text)
    g = pack.workflow("w")
    from bizroute.conditions import Facts

    plan = pack._planner.plan("w", Facts({"received_at": received}), received.date())
    h = nx.DiGraph()
    h.add_edge("^", g.graph["start"], w=g.nodes[g.graph["start"]]["nominal_minutes"])
    h.add_edges_from((u, v, {"w": g.nodes[v]["nominal_minutes"]}) for u, v in g.edges)
    longest = nx.dag_longest_path_length(h, weight="w")
    assert (plan.due - received).total_seconds() / 60 == pytest.approx(longest)
    critical = sum(g.nodes[n]["nominal_minutes"] for n in plan.critical_path)
    assert critical == pytest.approx(longest)


@settings(max_examples=60, deadline=None)
@given(workflows(), moments)
def test_the_plan_keeps_every_hand_off_of_the_graph(text: str, received: dt.datetime) -> None:
    from bizroute.conditions import Facts
    from bizroute.workflow import department_flow

    pack = _load(text)
    g = pack.workflow("w")
    plan = pack._planner.plan("w", Facts({"received_at": received}), received.date())
    crossing = {(u, v) for u, v in g.edges if g.nodes[u]["department"] != g.nodes[v]["department"]}
    assert {(h.from_step, h.to_step) for h in plan.handoffs} == crossing
    flow = department_flow([plan])
    assert sum(d["weight"] for _, _, d in flow.edges(data=True)) == len(crossing)


# --- command line ---------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from bizroute.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text('{"id": "r1", "intent": "hv_new", "received_at": "2025-09-26T09:30:00"}\n',
                    encoding="utf-8")
    return path


def test_classify_shows_the_plan_only_when_asked(capsys: pytest.CaptureFixture[str],
                                                 request_file: Path) -> None:
    code, out = _run(capsys, "classify", str(request_file), "--rules", str(VALID),
                     "--format", "jsonl")
    assert code == 0 and "plan" not in json.loads(out)
    code, out = _run(capsys, "classify", str(request_file), "--rules", str(VALID),
                     "--format", "jsonl", "--plan")
    plan = json.loads(out)["plan"]
    assert code == 0 and plan["commitments"][0]["deadline"] == "2025-10-23T09:30:00"
    code, out = _run(capsys, "classify", str(request_file), "--rules", str(VALID),
                     "--format", "text")
    assert "流程计划" not in out


def test_explain_shows_the_plan_as_a_timeline(capsys: pytest.CaptureFixture[str],
                                              request_file: Path) -> None:
    code, out = _run(capsys, "explain", str(request_file), "--rules", str(VALID))
    assert code == 0
    assert "流程计划 plan: 高压新装（增容）流程 (hv_connection)" in out
    assert "截止 deadline 2025-10-23 09:30" in out
    assert "关键路径 critical path" in out


# --- the default pack ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_pack():  # type: ignore[no-untyped-def]
    return load_pack()


def test_in_the_default_pack_a_high_voltage_connection_of_2025_09_26_gets_its_scheme_by_10_23(
        default_pack) -> None:  # type: ignore[no-untyped-def]
    # the same count as above, with the default pack's own workflow and commitment:
    # 15 working days after Friday 2025-09-26, skipping 10-01..10-08 and counting the
    # make-up working days Sunday 09-28 and Saturday 10-11, end on Thursday 10-23
    decision = default_pack.classify({
        "intent": "new_connection", "customer": {"type": "non_residential"},
        "supply": {"capacity_kva": 630}, "received_at": "2025-09-26T09:30:00"})
    assert (decision.category_id, decision.workflow) == ("hv_new", "hv_connection")
    reply = decision.plan.commitment("scheme_reply")
    assert (reply.limit, reply.deadline, reply.on_track) == (
        "15个工作日", T(2025, 10, 23, 9, 30), True)
    dual = default_pack.classify({
        "intent": "new_connection", "customer": {"type": "non_residential"},
        "supply": {"capacity_kva": 630, "dual_source": True},
        "received_at": "2025-09-26T09:30:00"})
    assert dual.plan.commitment("scheme_reply").deadline == T(2025, 11, 13, 9, 30)


def test_in_the_default_pack_every_commitment_of_a_decided_example_is_on_track(
        default_pack) -> None:  # type: ignore[no-untyped-def]
    from bizroute.readers import read_records

    root = Path(__file__).parent.parent
    records = list(read_records(str(root / "docs" / "examples" / "requests.jsonl"), "auto",
                                None))
    plans = 0
    for record in records:
        if not isinstance(record.data, dict):
            continue
        decision = default_pack.classify(record.data)
        if decision.plan is None:
            continue
        plans += 1
        for c in decision.plan.commitments:
            assert c.on_track is not False, (record.index, c.id)
    assert plans > 0
