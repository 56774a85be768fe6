"""The handbook, the notice and the report as files: what every page must hold, without a browser
(tests/test_browser.py opens them in one)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

import bizroute
from bizroute import pages
from bizroute.cli import main
from bizroute.pages.site import MARKER
from bizroute.stats import StatsBuilder
from tests.conftest import PACKS

DAY = dt.date(2026, 1, 15)
RESOURCE = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)\s*=\s*["']([^"']*)""")


@pytest.fixture(scope="module")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handbook") / "site"
    pages.build_handbook(bizroute.load_pack(), out, as_of=DAY)
    return out


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def words(path: Path) -> str:
    """A page's text without its markup, white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", read(path)))


def test_public_names_of_the_pages_module_are_pinned() -> None:
    assert pages.__all__ == ["BrowserError", "Handbook", "NotDecided", "build_handbook",
                             "find_chromium", "print_pdf", "render_notice", "render_report"]


def test_every_category_page_has_conditions_documents_departments_diagram_and_examples(
        default_site: Path) -> None:
    pack = bizroute.load_pack()
    for cid in pack.category_ids():
        text = read(default_site / "categories" / f"{cid}.html")
        for section in ("conditions", "documents", "departments", "workflow", "examples",
                        "confused", "basis"):
            assert f'id="{section}"' in text, (cid, section)
        assert text.count('class="rule') >= 1, cid
        assert 'class="workflow-diagram"' in text, cid
        workflow = pack.category(cid, DAY).workflow  # type: ignore[union-attr]
        steps = pack.workflow(workflow, DAY).number_of_nodes()
        assert text.count('<g class="node') == steps, cid
        assert text.count('class="example"') >= 1, cid


def test_every_page_names_the_pack_id_version_and_digest(default_site: Path) -> None:
    pack = bizroute.load_pack()
    html = sorted(default_site.rglob("*.html"))
    assert len(html) > 100
    for page in html:
        text = read(page)
        assert pack.id in text and pack.version in text and pack.digest in text, page


def test_the_site_loads_nothing_from_outside_its_directory(default_site: Path) -> None:
    for page in default_site.rglob("*.html"):
        for ref in RESOURCE.findall(read(page)):
            if ref.startswith("data:"):
                continue
            assert "://" not in ref and not ref.startswith("//"), (page, ref)
            assert (page.parent / ref).resolve().is_file(), (page, ref)
    css = read(default_site / "assets" / "handbook.css")
    assert "url(" not in css and "@import" not in css


def test_links_between_pages_all_resolve(default_site: Path) -> None:
    for page in default_site.rglob("*.html"):
        for ref in re.findall(r'<a\b[^>]*href="([^"#]+)', read(page)):
            if "://" in ref:
                continue
            assert (page.parent / ref).resolve().is_file(), (page, ref)


def test_conditions_are_in_chinese_from_the_rules(default_site: Path) -> None:
    text = words(default_site / "categories" / "lv_residential_new.html")
    assert "客户类型为「居民」" in text
    assert "用电容量不超过 160 kVA（设置 lv_access_max_kva）" in text
    assert "仅当委托代办为「是」" in text  # a document with its condition


def test_commonly_confused_comes_from_the_analysis(default_site: Path) -> None:
    text = read(default_site / "categories" / "lv_residential_new.html")
    section = re.sub(r"<[^>]+>", "", text[text.index('id="confused"'):])
    assert "只差「客户类型」：本类别为「居民」，「低压非居民新装」为「非居民」" in section
    assert "只差「用电容量」：本类别不超过 160 kVA，「高压新装」超过 160 kVA" in section


def test_commitments_are_shown_by_period(default_site: Path) -> None:
    pack = bizroute.load_pack()
    (loc,) = pack.workflows["hv_connection"]
    starts = sorted({c.effective.from_ for c in loc.obj.commitments if c.effective.from_})
    text = words(default_site / "workflows" / "hv_connection.html")
    assert f"{starts[-1]} 起 · 现行" in text  # the latest period, in force
    for day in starts[:-1]:  # each earlier change starts a period of its own
        assert f"{day} 至 " in text, day
    assert "供电方案答复（高压，1996年规则）" in text and "1个月" in text


def test_search_index_holds_categories_and_customers_words(default_site: Path) -> None:
    script = read(default_site / "assets" / "search-index.js")
    data = json.loads(script.removeprefix("window.BIZROUTE_SEARCH = ").rstrip(";\n"))
    fault = next(e for e in data["entries"] if e["id"] == "fault_repair")
    assert "没电了" in fault["terms"] and fault["url"] == "categories/fault_repair.html"
    assert data["t2s"]["電"] == "电"
    assert {e["kind"] for e in data["entries"]} == {"category", "document", "department",
                                                    "workflow"}


def test_a_directory_with_other_files_is_refused_and_an_earlier_handbook_replaced(
        tmp_path: Path) -> None:
    pack = bizroute.load_pack(PACKS / "valid" / "minimal")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(FileExistsError):
        pages.build_handbook(pack, foreign)
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]
    site = tmp_path / "site"
    pages.build_handbook(pack, site)
    (site / "categories" / "stale.html").write_text("old", encoding="utf-8")
    pages.build_handbook(pack, site)
    assert not (site / "categories" / "stale.html").exists()
    assert (site / MARKER).is_file() and (site / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        pages.build_handbook(pack, tmp_path / "file")


def test_handbook_command_writes_the_site_and_says_where(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["handbook", str(PACKS / "valid" / "workflow"), "-o", str(tmp_path / "s")])
    _, err = capsys.readouterr()
    assert code == 0 and "pages" in err and (tmp_path / "s" / "index.html").is_file()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x", encoding="utf-8")
    code = main(["handbook", str(PACKS / "valid" / "workflow"), "-o", str(tmp_path / "busy")])
    _, err = capsys.readouterr()
    assert code == 2 and "not empty" in err


# --- the notice ---------------------------------------------------------------------------------

REQUEST = {"id": "REQ-0007", "description": "新开的奶茶店要装电",
           "customer": {"type": "non_residential"}, "supply": {"capacity_kva": 30},
           "documents_presented": ["business_license"], "applicant": {"agent": True},
           "received_at": "2026-03-02T09:30"}


def test_notice_lists_what_is_missing_with_what_counts_where_to_go_and_the_limits() -> None:
    pack = bizroute.load_pack()
    decision = pack.classify(REQUEST)
    html = pages.render_notice(pack, decision, issued=dt.date(2026, 3, 2),
                               office="城东供电营业厅", contact="柜员 王敏")
    assert "一次性告知书" in html and "低压非居民新装" in html
    for doc in decision.documents_missing:
        assert doc.name in html
    assert "写明用电地址、用电性质" in html  # what counts as the application form
    assert "城东供电营业厅" in html and "柜员 王敏" in html and "业务受理" in html
    assert "不超过6个工作日" in html and "不超过7个工作日" in html
    assert "《供电营业规则》" in html
    assert "BR-20260302-" in html and "2026年3月2日" in html
    assert "奶茶店" not in html  # the customer's words are not repeated on the notice
    assert "size: A4" in html


def test_the_reference_number_is_stable_for_the_same_decision_and_day() -> None:
    pack = bizroute.load_pack()
    a = pages.render_notice(pack, pack.classify(REQUEST), issued=dt.date(2026, 3, 2))
    b = pages.render_notice(pack, pack.classify(REQUEST), issued=dt.date(2026, 3, 2))
    ref = re.search(r"BR-20260302-[0-9A-F]{6}", a)
    assert ref and ref.group(0) in b
    own = pages.render_notice(pack, pack.classify(REQUEST), reference="营-2026-0001")
    assert "营-2026-0001" in own and "BR-" not in own


def test_a_request_that_is_not_decided_gets_no_notice_but_what_to_ask() -> None:
    pack = bizroute.load_pack()
    decision = pack.classify({"description": "新房交房了，要开户用电",
                              "customer": {"type": "residential"}})
    assert decision.status == "needs_info"
    with pytest.raises(pages.NotDecided, match=r"needs_info.*用电容量"):
        pages.render_notice(pack, decision)


def test_notice_command_writes_html_and_exits_1_for_an_undecided_request(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "req.jsonl"
    src.write_text(json.dumps(REQUEST, ensure_ascii=False) + "\n"
                   + json.dumps({"description": "要开户用电"}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / "notice.html"
    assert main(["notice", str(src), "-o", str(out), "--date", "2026-03-02"]) == 0
    assert "一次性告知书" in read(out)
    code = main(["notice", str(src), "--record", "2", "-o", str(tmp_path / "n2.html")])
    _, err = capsys.readouterr()
    assert code == 1 and "not decided" in err and not (tmp_path / "n2.html").exists()
    assert main(["notice", str(src), "--record", "9"]) == 2


def test_pdf_without_a_browser_is_a_clear_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BIZROUTE_CHROMIUM", raising=False)
    src = tmp_path / "req.json"
    src.write_text(json.dumps(REQUEST, ensure_ascii=False), encoding="utf-8")
    code = main(["notice", str(src), "-o", str(tmp_path / "n.pdf")])
    _, err = capsys.readouterr()
    assert code == 2 and "Chromium" in err and not (tmp_path / "n.pdf").exists()


# --- the report ---------------------------------------------------------------------------------


def _stats(**extra: Any) -> Any:
    b = StatsBuilder("week")
    for i in range(6):
        b.add({"status": "decided", "received_at": f"2026-03-0{i + 1}T09:00",
               "category": {"id": "fault", "name": "故障报修", "group": "s", "group_name": "95598诉求"}})
    b.add({"status": "unmatched", "received_at": "2026-03-09", **extra})
    return b.result()


def test_report_embeds_plotly_once_and_a_chart_per_table() -> None:
    html = pages.render_report(_stats())
    assert html.count("<script>") >= 1 and "Plotly" in html
    assert RESOURCE.findall(html) == ["data:,"]  # the bundle is inline: no <script src>
    for chart in ("status", "group", "category", "trend"):
        assert f'id="chart-{chart}"' in html
    suggestions = html[html.index('id="suggestions"'):]
    assert "无 none" in suggestions and "判定中没有建议" in suggestions


def test_report_shows_suggestions_when_decisions_carry_them_with_numbers_masked() -> None:
    html = pages.render_report(_stats(suggestions=[
        {"category": "fault", "name": "故障报修", "score": 0.82, "example": "没电了 13812345678"}]))
    assert 'id="chart-suggestions"' in html
    assert "138****5678" in html and "13812345678" not in html


def test_text_from_decisions_cannot_become_markup_in_the_report() -> None:
    b = StatsBuilder()
    b.add({"status": "decided", "category": {"id": "x", "name": "<img src=x onerror=alert(1)>",
                                              "group": "g", "group_name": "<b>g</b>"}})
    html = pages.render_report(b.result())
    assert "<img src=x" not in html and "<b>g</b>" not in html


def test_stats_command_writes_the_html_report(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "d.jsonl"
    src.write_text(json.dumps({"status": "decided", "received_at": "2026-03-02",
                               "category": {"id": "c", "name": "类别", "group": "g"}},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    assert main(["stats", str(src), "--format", "html", "-o", str(out)]) == 0
    text = read(out)
    assert "需求分析报告" in text and "d.jsonl" in text and str(tmp_path) not in text


# --- the diagram ---------------------------------------------------------------------------------


def test_a_diagram_has_a_node_per_step_a_lane_per_department_and_numbered_commitments() -> None:
    from bizroute.pages.diagram import Bracket, workflow_svg

    pack = bizroute.load_pack()
    graph = pack.workflow("hv_connection", DAY)
    svg = workflow_svg(graph, [Bracket("供电方案答复", "accept", "scheme", "15个工作日")])
    assert svg.count('<g class="node') == graph.number_of_nodes()
    departments = {graph.nodes[n]["department"] for n in graph.nodes}
    assert svg.count('<g class="lane"') == len(departments)
    critical = graph.graph["critical_path"]
    assert all(f'data-step="{s}"' in svg for s in critical)
    assert svg.count('class="node critical') == len(critical)
    assert 'data-number="1"' in svg and "供电方案答复：15个工作日" in svg


@pytest.mark.parametrize(("text", "width", "lines"), [
    ("12个工作日 / 5个工作日", 114, ["12个工作日 /", "5个工作日"]),  # at the space
    ("30分钟 / 70分钟 / 100分钟", 114, ["30分钟 / 70分钟 /", "100分钟"]),
    ("接入系统与电网方案审查", 114, ["接入系统与电网方", "案审查"]),  # between characters
    ("电力调度控制中心很长的名字还要更长一些", 120, ["电力调度控制中心很", "长的名字还要更长…"]),
])
def test_labels_wrap_at_spaces_else_between_characters_never_inside_a_number(
        text: str, width: float, lines: list[str]) -> None:
    from bizroute.pages.diagram import wrap

    assert wrap(text, width, 11 if "分钟" in text or "工作日" in text else 13) == lines


def test_worked_examples_mask_personal_fields_and_numbers() -> None:
    from bizroute import models as m
    from bizroute.analysis import Analysis
    from bizroute.cases import LoadedCase, run_case
    from bizroute.pages.views import Views

    pack = bizroute.load_pack()
    case = m.Case(id="personal-example", request={
        "description": "家里没电了，回电13812345678", "area": "urban",
        "customer": {"name": "张三", "phone": "13987654321"}},
        expect=m.Expectation(status="decided", category="fault_repair"))
    result = run_case(pack, LoadedCase(case, "t.yaml", 1, 1))
    example = Views(pack, DAY, Analysis(pack), [result]).example(result)
    shown = " ".join([example.words or "", *(f"{k} {v}" for k, v in example.fields)])
    assert example.category is not None and example.category.id == "fault_repair"
    assert "138****5678" in shown and "13812345678" not in shown
    assert "张三" not in shown and "13987654321" not in shown


def test_notice_tells_the_workflows_customer_notices() -> None:
    pack = bizroute.load_pack()
    decision = pack.classify({"id": "S-1", "description": "厂里要暂时把电停掉三个月",
                              "customer": {"type": "non_residential"},
                              "supply": {"capacity_kva": 400, "voltage_kv": 10},
                              "received_at": "2026-03-02T09:30"})
    assert decision.status == "decided" and decision.plan.customer_notices
    text = re.sub(r"<[^>]+>", "", pages.render_notice(pack, decision, issued=DAY))
    assert "其他告知事项" in text
    for told in decision.plan.customer_notices:
        assert told.text in text


def test_notice_gives_only_the_binding_limit_of_the_same_steps() -> None:
    pack = bizroute.load_pack()
    decision = pack.classify(REQUEST)
    wider = [c for c in decision.plan.commitments if c.binding is False]
    assert wider, "the default pack has a regulation and a stricter promise on one span"
    text = re.sub(r"<[^>]+>", "", pages.render_notice(pack, decision, issued=DAY))
    for c in decision.plan.commitments:
        if c.binding is False:
            assert c.name not in text, c.name
        else:
            assert c.name in text and f"不超过{c.limit}" in text, c.name
