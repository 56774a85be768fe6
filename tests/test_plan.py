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
                         "departments", "notices", "customer_notices"}
    assert set(data["steps"][0]) == {"id", "name", "department", "start", "due", "duration",
                                     "duration_unit", "duration_amount", "duration_assumed",
                                     "after", "customer_facing", "critical"}
    assert (data["steps"][0]["duration_unit"], data["steps"][0]["duration_amount"]) == (
        "working_days", 1.0)
    assert set(data["commitments"][0]) == {"id", "name", "from", "to", "limit", "limit_unit",
                                           "limit_amount", "deadline", "expected", "on_track",
                                           "depends_on", "basis", "binding", "same_steps"}
    assert set(data["handoffs"][0]) == {"from_step", "to_step", "from_department",
                                        "to_department"}
    reply = data["commitments"][0]
    assert (reply["deadline"], reply["limit_unit"], reply["limit_amount"]) == (
        "2025-10-23T09:30:00", "working_days", 15.0)


def test_the_timeline_shows_every_step_and_the_deadlines(pack) -> None:  # type: ignore[no-untyped-def]
    text = _plan(pack, intent="hv_new", received_at="2025-09-26T09:30:00").render_text()
    assert "2025-09-26 09:30 → 2025-09-28 09:30" in text
    assert "供电方案答复 (scheme_reply) 15个工作日: 截止 deadline 2025-10-23 09:30" in text
    assert "      依据 basis: 《国家电网公司供电服务“十项承诺”》 [verified]\n" in text
    # header, 14 steps, 2 commitments and the basis of one, critical path, hand-offs
    assert text.count("\n") == 1 + 14 + 2 + 1 + 2


# --- several limits on the same steps, months, customer notices ----------------------------

SAME_STEPS = """\
pack:
  id: p
  name: 同环节多个时限
  version: "1"
  fields:
    intent: {type: enum, label: 意向, label_en: Intent, values: [x]}
    supply.voltage_kv: {type: number, unit: kV, label: 供电电压, label_en: Voltage}
    dual: {type: bool, label: 双电源, label_en: Dual, absent: "false"}
    mode: {type: enum, label: 方式, label_en: Mode, values: [a, b]}
    received_at: {type: datetime, label: 受理时间, label_en: Received at}
sources:
  - {id: rules1996, title: 供电营业规则, status: secondary,
     effective: {from: 1996-10-08, until: 2024-06-01}}
  - {id: promise2011, title: 十项承诺（2011年版）, status: verified, effective: {from: 2011-10-13}}
  - {id: regulator, title: 供电监管办法, status: secondary}
departments:
  - {id: counter, name: 营业厅, front_office: true}
  - {id: planning, name: 发展策划部}
groups: [{id: g, name: 组}]
categories:
  - {id: c, name: 高压新装, name_en: C, group: g, basis: [{source: regulator}], workflow: w}
rules:
  - {id: r, category: c, when: {field: intent, eq: x}}
workflows:
  - id: w
    name: 流程
    steps:
      - {id: accept, name: 受理, department: counter, duration: {working_days: 1}}
      - {id: scheme, name: 答复方案, department: planning, after: [accept], duration: {working_days: 2}}
      - {id: close, name: 办结, department: counter, after: [scheme], duration: {hours: 1}}
    commitments:
      - id: reply_1996
        name: 供电方案答复（1996年规则）
        from: accept
        to: scheme
        limit:
          - {when: {field: dual, eq: true}, value: {months: 2}}
          - value: {months: 1}
        basis: [{source: rules1996, article: 第十九条}]
        effective: {from: 1996-10-08, until: 2024-06-01}
      - {id: reply_2011, name: 供电方案答复（十项承诺）, from: accept, to: scheme,
         limit: {working_days: 15}, basis: [{source: promise2011}], effective: {from: 2011-10-13}}
      - {id: reply_regulator, name: 供电方案答复（监管）, from: accept, to: scheme,
         limit: {working_days: 20}, basis: [{source: regulator}]}
      - {id: whole, name: 全过程, from: accept, to: close, limit: {working_days: 30}}
      - id: by_mode
        name: 按方式
        from: scheme
        to: close
        limit:
          - {when: {field: mode, eq: a}, value: {days: 3}}
          - {when: {field: mode, eq: b}, value: {days: 4}}
      - {id: by_mode_too, name: 同为三天, from: scheme, to: close, limit: {days: 3}}
    customer_notices:
      - {id: validity, text: 供电方案有效期1年, basis: [{source: rules1996, article: 第二十一条}],
         effective: {from: 1996-10-08, until: 2024-06-01}}
      - {id: small, text: 10千伏及以下不超过2个月, when: {field: supply.voltage_kv, lte: 10}}
      - {id: big, text: 35千伏及以上不超过3个月, when: {field: supply.voltage_kv, gte: 35}}
"""


@pytest.fixture(scope="module")
def same_steps():  # type: ignore[no-untyped-def]
    return _load(SAME_STEPS)


def _plan_at(pack, received: str, **request):  # type: ignore[no-untyped-def]
    decision = pack.classify({"intent": "x", "received_at": received, **request})
    assert decision.status == "decided"
    return decision.plan


def test_the_earliest_deadline_on_the_same_steps_binds_and_names_the_others(
        same_steps) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_at(same_steps, "2015-03-02T09:00:00", mode="a")
    by_id = {c.id: c for c in plan.commitments}
    assert {k: (c.limit, c.binding) for k, c in by_id.items()} == {
        "reply_1996": ("1个月", False), "reply_2011": ("15个工作日", True),
        "reply_regulator": ("20个工作日", False), "whole": ("30个工作日", True),
        "by_mode": ("3天", True), "by_mode_too": ("3天", True)}  # a tie: both bind
    assert by_id["reply_1996"].deadline == T(2015, 4, 2, 9, 0)  # one calendar month
    assert by_id["reply_2011"].same_steps == ("reply_1996", "reply_regulator")
    assert by_id["whole"].same_steps == ()
    earliest = min(by_id[k].deadline for k in ("reply_1996", "reply_2011", "reply_regulator"))
    assert by_id["reply_2011"].deadline == earliest


def test_before_the_stricter_promise_another_limit_binds(same_steps) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_at(same_steps, "2005-03-01T09:00:00", mode="a", dual=True)
    by_id = {c.id: c for c in plan.commitments}
    assert set(by_id) == {"reply_1996", "reply_regulator", "whole", "by_mode", "by_mode_too"}
    assert (by_id["reply_1996"].limit, by_id["reply_1996"].deadline) == ("2个月",
                                                                        T(2005, 5, 1, 9, 0))
    assert [c.id for c in plan.commitments if c.binding and c.to_step == "scheme"] == [
        "reply_regulator"]


def test_a_limit_the_request_does_not_decide_leaves_its_steps_without_a_binding_one(
        same_steps) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_at(same_steps, "2015-03-02T09:00:00")  # no mode: by_mode is undecided
    by_id = {c.id: c for c in plan.commitments}
    assert by_id["by_mode"].deadline is None and by_id["by_mode"].depends_on == ("mode",)
    assert by_id["by_mode"].binding is None and by_id["by_mode_too"].binding is None
    assert by_id["whole"].binding is True


@pytest.mark.parametrize(("received", "months", "due"), [
    (T(2015, 1, 31, 10, 0), 1, T(2015, 2, 28, 10, 0)),  # no 31st: the month's last day
    (T(2016, 1, 31, 10, 0), 1, T(2016, 2, 29, 10, 0)),
    (T(2015, 11, 30, 8, 0), 2, T(2016, 1, 30, 8, 0)),
    (T(2015, 12, 15, 0, 0), 0, T(2015, 12, 15, 0, 0)),
])
def test_months_are_calendar_months(received: dt.datetime, months: int,
                                    due: dt.datetime) -> None:
    from bizroute.models import Duration

    assert CAL.add(received, Duration(months=months)) == due


def test_a_month_is_a_whole_number() -> None:
    from pydantic import ValidationError

    from bizroute.models import Duration

    with pytest.raises(ValidationError):
        Duration(months=1.5)  # type: ignore[arg-type]
    assert Duration(months=2).months == 2


@pytest.mark.parametrize(("received", "fields", "told"), [
    ("2015-03-02T09:00:00", {"supply": {"voltage_kv": 10}}, ["validity", "small"]),
    ("2015-03-02T09:00:00", {"supply": {"voltage_kv": 35}}, ["validity", "big"]),
    ("2015-03-02T09:00:00", {}, ["validity", "small", "big"]),  # unknown: both are told
    ("2025-03-03T09:00:00", {"supply": {"voltage_kv": 20}}, []),  # none in force, none holds
])
def test_customer_notices_in_force_whose_condition_does_not_fail_are_in_the_plan(
        same_steps, received: str, fields: dict[str, object], told: list[str]) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_at(same_steps, received, mode="a", **fields)
    assert [n.id for n in plan.customer_notices] == told


def test_the_timeline_groups_the_limits_on_the_same_steps_with_their_sources(
        same_steps) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_at(same_steps, "2015-03-02T09:00:00", mode="a", supply={"voltage_kv": 10})
    text = plan.render_text()
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "(reply_2011)" in line)
    assert lines[first].startswith("  承诺 commitment: 供电方案答复（十项承诺） (reply_2011) 15个工作日")
    assert lines[first].endswith("约束 binding")
    assert lines[first + 1] == "      依据 basis: 《十项承诺（2011年版）》 [verified]"
    assert lines[first + 2].startswith("    同环节 same steps: 供电方案答复（监管） (reply_regulator)")
    assert lines[first + 4].startswith("    同环节 same steps: 供电方案答复（1996年规则） (reply_1996) "
                                       "1个月: 截止 deadline 2015-04-02 09:00")
    assert lines[first + 5] == "      依据 basis: 《供电营业规则》 第十九条 [secondary]"
    assert "  告知 tell the customer: 供电方案有效期1年 (validity)" in lines
    assert "      依据 basis: 《供电营业规则》 第二十一条 [secondary]" in lines
    data = plan.to_dict()
    assert data["customer_notices"][0] == {
        "id": "validity", "text": "供电方案有效期1年", "text_en": None,
        "basis": [{"source": "rules1996", "title": "供电营业规则", "article": "第二十一条",
                   "note": None, "status": "secondary"}]}
    reply = next(c for c in data["commitments"] if c["id"] == "reply_1996")
    assert (reply["limit_unit"], reply["limit_amount"], reply["binding"]) == ("months", 1.0,
                                                                              False)
    assert reply["same_steps"] == ["reply_2011", "reply_regulator"]


def test_an_example_case_pins_commitments_binding_notices_and_warnings(same_steps) -> None:  # type: ignore[no-untyped-def]
    from bizroute.cases import compare
    from bizroute.models import Expectation

    d = same_steps.classify({"intent": "x", "received_at": "2015-03-02T09:00:00", "mode": "a",
                             "supply": {"voltage_kv": 10}})
    good = Expectation.model_validate({
        "status": "decided",
        "commitments": {"reply_1996": "1个月", "reply_2011": "15个工作日",
                        "reply_regulator": "20个工作日", "whole": "30个工作日", "by_mode": "3天",
                        "by_mode_too": "3天"},
        "binding": ["whole", "reply_2011", "by_mode", "by_mode_too"],
        "customer_notices": ["small", "validity"], "warnings": []})
    assert list(compare(good, d)) == []
    bad = Expectation.model_validate({
        "status": "decided", "commitments": {"reply_2011": "7个工作日"},
        "binding": ["reply_1996"], "customer_notices": [], "warnings": ["unknown_document_code"]})
    assert [what for what, *_ in compare(bad, d)] == [
        "commitments", "binding", "customer_notices", "warnings"]
    no_plan = same_steps.classify({"received_at": "2015-03-02T09:00:00"})  # asks the intent
    assert [what for what, *_ in compare(
        Expectation.model_validate({"status": "needs_info", "commitments": {}}), no_plan)] == [
        "commitments"]


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
    # since 2024-06-01 the 15 working days rest on the 2024 rules as recalled (unverified);
    # they bind beside the regulator's 20
    reply = decision.plan.commitment("scheme_reply_2024")
    assert (reply.limit, reply.deadline, reply.on_track, reply.binding) == (
        "15个工作日", T(2025, 10, 23, 9, 30), True, True)
    assert [b.status for b in reply.basis] == ["unverified"]
    assert reply.same_steps == ("scheme_reply_regulator_2009",)
    dual = default_pack.classify({
        "intent": "new_connection", "customer": {"type": "non_residential"},
        "supply": {"capacity_kva": 630, "dual_source": True},
        "received_at": "2025-09-26T09:30:00"})
    assert dual.plan.commitment("scheme_reply_2024").deadline == T(2025, 11, 13, 9, 30)


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
