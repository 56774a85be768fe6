"""Statistics over decisions: the tables, their JSON and CSV forms, and ``bizroute stats``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bizroute.cli import main
from bizroute.cli_stats import write_stats
from bizroute.stats import StatsBuilder, period_key

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def decision(status: str, category: str | None = None, *, group: str = "g1",
             received_at: str | None = "2026-03-02T09:00", questions: tuple[str, ...] = (),
             plan: dict[str, Any] | None = None, rid: str = "r") -> dict[str, Any]:
    return {
        "request_id": rid, "status": status, "received_at": received_at,
        "category": None if category is None else {
            "id": category, "name": f"名{category}", "group": group, "group_name": f"组{group}"},
        "questions": [{"field": f, "label": f"问{f}"} for f in questions],
        **({"plan": plan} if plan is not None else {}),
    }


def step(dept: str, start: str, due: str) -> dict[str, Any]:
    return {"department": {"id": dept, "name": f"部{dept}"}, "start": start, "due": due}


PLAN = {
    "steps": [step("counter", "2026-03-02T09:00", "2026-03-02T09:00"),
              step("install", "2026-03-02T09:00", "2026-03-04T09:00"),
              step("install", "2026-03-04T09:00", "2026-03-05T21:00")],
    "commitments": [{"id": "lv5", "name": "5个工作日", "on_track": False},
                    {"id": "reply", "name": "答复", "on_track": True}],
}


@pytest.fixture
def stats() -> Any:
    b = StatsBuilder("month")
    b.add(decision("decided", "res_new", plan=PLAN, rid="a"))
    b.add(decision("decided", "res_new", received_at="2026-04-10T08:00"))
    b.add(decision("decided", "fault", group="g2", received_at="2026-04-11"))
    b.add(decision("needs_info", questions=("customer.type", "supply.capacity_kva")))
    b.add(decision("needs_info", questions=("customer.type",), received_at=None))
    b.add(decision("error", received_at=None))
    return b.result()


def test_requests_are_counted_by_status_category_and_group(stats: Any) -> None:
    assert stats.records == 6
    assert stats.by_status == (("decided", 3), ("needs_info", 2), ("error", 1))
    assert stats.by_category == (("res_new", "名res_new", "g1", 2), ("fault", "名fault", "g2", 1))
    assert stats.by_group == (("g1", "组g1", 2), ("g2", "组g2", 1))


def test_questions_are_ranked_by_how_often_they_were_needed(stats: Any) -> None:
    assert stats.needs_info == 2
    assert stats.questions == (("customer.type", "问customer.type", 2),
                               ("supply.capacity_kva", "问supply.capacity_kva", 1))


def test_department_workload_counts_requests_steps_and_expected_days(stats: Any) -> None:
    assert stats.with_plan == 1
    assert stats.departments == (("install", "部install", 1, 2, 3.5),
                                 ("counter", "部counter", 1, 1, 0.0))


def test_commitments_at_risk_name_example_requests(stats: Any) -> None:
    assert stats.commitments[0] == ("lv5", "5个工作日", 1, 0, 0, ("a",))
    assert stats.commitments[1][:5] == ("reply", "答复", 0, 1, 0)


def test_the_trend_groups_received_at_by_period(stats: Any) -> None:
    assert stats.trend == (("2026-03", {"total": 2, "decided": 1, "needs_info": 1}),
                           ("2026-04", {"total": 2, "decided": 2}))
    assert stats.undated == 2


@pytest.mark.parametrize(("day", "period", "key"), [
    ("2026-03-02", "day", "2026-03-02"), ("2026-03-02", "week", "2026-W10"),
    ("2026-01-01", "week", "2026-W01"), ("2027-01-01", "week", "2026-W53"),
    ("2026-03-02", "month", "2026-03"),
])
def test_period_keys(day: str, period: Any, key: str) -> None:
    import datetime as dt

    assert period_key(dt.date.fromisoformat(day), period) == key


def test_decisions_without_plans_or_dates_are_counted_all_the_same() -> None:
    b = StatsBuilder("day")
    b.add({"status": "unmatched"})
    result = b.result()
    assert result.records == 1 and result.undated == 1 and result.departments == ()


def test_json_form_is_versioned_with_shares(stats: Any) -> None:
    out = io.StringIO()
    write_stats(stats, "json", out)
    data = json.loads(out.getvalue())
    assert data["schema"] == 1 and data["records"] == 6
    assert data["by_status"][0] == {"status": "decided", "count": 3, "share": 0.5}
    assert data["questions"][0]["share_of_needs_info"] == 1.0
    assert data["trend"]["rows"][0] == {"period": "2026-03", "total": 2, "decided": 1,
                                        "needs_info": 1}


def test_csv_form_has_one_table_column(stats: Any) -> None:
    out = io.StringIO()
    write_stats(stats, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    tables = {r["table"] for r in rows}
    assert {"records", "status", "category", "group", "question", "department", "commitment",
            "trend_month", "trend_month_status"} <= tables
    install = next(r for r in rows if r["table"] == "department" and r["key"] == "install")
    assert (install["steps"], install["expected_days"]) == ("2", "3.5")


def test_the_table_form_has_every_section(stats: Any) -> None:
    out = io.StringIO()
    write_stats(stats, "table", out)
    text = out.getvalue()
    for title in ("判定状态 by status", "业务类别组 by group", "业务类别 by category",
                  "最常需询问", "部门工作量", "承诺时限风险", "受理趋势 trend by month"):
        assert title in text
    assert "\x1b[" not in text  # no colour off a terminal


def test_stats_command_reads_what_classify_writes(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    decisions = tmp_path / "d.jsonl"
    assert main(["classify", str(EXAMPLES / "requests-gb18030.csv"), "--plan", "-o",
                 str(decisions), "--format", "jsonl", "-q"]) == 0
    capsys.readouterr()
    assert main(["stats", str(decisions), "--format", "json", "--by", "week"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["records"] == 8 and data["decisions_with_plan"] == 8
    assert data["trend"]["period"] == "week"
    assert sum(r["total"] for r in data["trend"]["rows"]) == 8
    assert {d["department"] for d in data["departments"]} >= {"counter"}


def test_stats_command_reads_a_json_array_of_decisions_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decisions = tmp_path / "d.json"
    main(["classify", str(EXAMPLES / "requests.json"), "-o", str(decisions), "--format", "json",
          "-q"])
    capsys.readouterr()
    assert main(["stats", str(decisions), "--format", "csv"]) == 0
    assert "status,needs_info" in capsys.readouterr().out


def test_lines_that_are_not_decisions_are_reported(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"status": "decided"}\n{"oops": 1}\nnot json\n', encoding="utf-8")
    code = main(["stats", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert json.loads(out)["records"] == 1
    assert "d.jsonl:2" in err and "d.jsonl:3" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_on_a_terminal_have_no_colour_when_no_color_is_set(
        stats: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    screen = _Terminal()
    write_stats(stats, "table", screen)
    assert "业务类别 by category" in screen.getvalue()
    colour = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")
    assert not colour.search(screen.getvalue())  # styles (bold, italic) may remain


def test_the_trend_by_any_period_comes_from_the_daily_counts() -> None:
    days = ["2026-03-02T09:00", "2026-03-03T10:00", "2026-03-09", "2026-04-01T08:00"]
    for period in ("day", "week", "month"):
        one = StatsBuilder(period)  # type: ignore[arg-type]
        monthly = StatsBuilder("month")
        for i, day in enumerate(days):
            d = decision("decided" if i % 2 else "unmatched", "c" if i % 2 else None,
                         received_at=day)
            one.add(d)
            monthly.add(d)
        assert monthly.result().trend_by(period) == one.result().trend  # type: ignore[arg-type]


def test_suggestions_of_unmatched_requests_are_counted_with_mean_score_and_a_masked_example(
        ) -> None:
    b = StatsBuilder()
    b.add({**decision("unmatched"), "suggestions": [
        {"category": "fault", "name": "故障报修", "score": 0.8,
         "example": "家里没电了，电话13812345678"},
        {"category": "complaint", "name": "投诉", "score": 0.3, "example": "态度差"}]})
    b.add({**decision("unmatched"), "suggestions": [
        {"category": "fault", "name": "故障报修", "score": 0.6, "example": "停电"}]})
    b.add({**decision("unmatched"), "suggestions": []})
    b.add(decision("unmatched"))  # no suggestions field at all
    b.add({**decision("decided", "fault"), "suggestions": [
        {"category": "complaint", "name": "投诉", "score": 0.9}]})  # decided: not counted
    result = b.result()
    assert result.unmatched_with_suggestions == 3
    fault, complaint = result.suggestions
    assert fault[:3] == ("fault", "故障报修", 2) and fault[3] == pytest.approx(0.7)
    assert fault[4] == "家里没电了，电话138****5678"
    assert complaint[:3] == ("complaint", "投诉", 1)
    data = result.to_dict()["suggestions"]
    assert data["decisions"] == 3 and data["rows"][0]["mean_score"] == 0.7


def test_without_suggestions_the_json_says_none_were_seen(stats: Any) -> None:
    assert stats.to_dict()["suggestions"] == {"decisions": 0, "rows": []}
