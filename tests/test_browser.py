"""The handbook, the notice and the report in a real browser: headless Chromium, driven by
Selenium through chromedriver (Debian: ``apt-get install chromium chromium-driver
fonts-noto-cjk poppler-utils``; ``.ci/run`` installs them).

Without a browser these tests are skipped, and say why. With ``BIZROUTE_SCREENSHOTS=DIR``
they leave their screenshots in DIR (``docs/images`` holds the ones the docs show):

    BIZROUTE_SCREENSHOTS=docs/images pytest tests/test_browser.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bizroute
from bizroute import pages
from bizroute.cases import load_cases
from bizroute.cli import main
from bizroute.pages.chromium import browser_flags

webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium "
                                "(pip install -e '.[test]')")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DAY = dt.date(2026, 1, 15)
WAIT = 30  # seconds a page may take to show what is waited for (a bound, not a measure)


def _chromedriver() -> str | None:
    return shutil.which(os.environ.get("BIZROUTE_CHROMEDRIVER", "chromedriver"))


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    browser, chromedriver = pages.find_chromium(), _chromedriver()
    if browser is None or chromedriver is None:
        missing = " and ".join(n for n, p in (("Chromium", browser), ("chromedriver",
                                                                       chromedriver)) if not p)
        pytest.skip(f"no {missing} on this machine: the browser tests need a real browser "
                    "(Debian: apt-get install chromium chromium-driver fonts-noto-cjk)")
    profile = Path(tempfile.mkdtemp(prefix="bizroute-browser-"))
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in [*browser_flags(profile / "profile"), "--window-size=1280,1600",
                 "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=chromedriver)
    d = webdriver.Chrome(service=service, options=options)
    d.set_page_load_timeout(WAIT)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    pages.build_handbook(bizroute.load_pack(), out, as_of=DAY)
    return out


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("BIZROUTE_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(d: Any, path: Path) -> None:
    d.get(path.resolve().as_uri())
    WebDriverWait(d, WAIT).until(
        lambda x: x.execute_script("return document.readyState") == "complete")


def problems(d: Any) -> list[str]:
    """Console messages at warning level or worse, and requests for anything but local files,
    since the last call."""
    out = [f"console: {e['message']}" for e in d.get_log("browser")
           if e.get("level") in ("SEVERE", "WARNING")]
    for entry in d.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("file://", "data:", "about:")):
                out.append(f"network: {url}")
    return out


def full_page(d: Any, out: Path, height: int | None = None) -> None:
    """A screenshot of the page's top ``height`` pixels (default: all of it)."""
    whole = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(1280, min(height or whole, whole, 6000))
    try:
        d.save_screenshot(str(out))
    finally:
        d.set_window_size(1280, 1600)


# --- the handbook --------------------------------------------------------------------------------


def test_index_links_to_a_category_page_and_back(driver: Any, site: Path, shots: Path) -> None:
    problems(driver)
    open_page(driver, site / "index.html")
    assert "业务类别" in driver.title
    groups = driver.find_elements(By.CSS_SELECTOR, "#browse section.card")
    assert len(groups) == 4
    driver.find_element(By.LINK_TEXT, "低压居民新装").click()
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.endswith(
        "categories/lv_residential_new.html"))
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("低压居民新装")
    nodes = driver.find_elements(By.CSS_SELECTOR, "svg.workflow-diagram g.node")
    assert len(nodes) == 3 and all(n.rect["width"] > 50 for n in nodes)
    full_page(driver, shots / "handbook-category.png", 2600)
    driver.back()
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.endswith("index.html"))
    assert driver.find_element(By.ID, "search").is_displayed()
    open_page(driver, site / "categories" / "hv_new.html")
    driver.find_element(By.ID, "workflow").screenshot(str(shots / "handbook-workflow.png"))
    assert problems(driver) == []


@pytest.mark.parametrize(("query", "expected", "why"), [
    ("故障", "故障报修", ""),
    ("家里突然没电了", "故障报修", "没电"),  # the customer's words hold a term
    ("裝電錶", "低压居民新装", ""),  # traditional characters, full width: normalised
    ("meter", "申请校验", ""),  # English names
    ("010301", "低压居民新装", ""),  # a business code
    ("身份证", "居民身份证", ""),  # a document
])
def test_search_finds_by_name_words_code_and_english(driver: Any, site: Path, query: str,
                                                    expected: str, why: str) -> None:
    open_page(driver, site / "index.html")
    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys(query)
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#results li a"))
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#results li a")]
    assert expected in names[:8], names
    assert not driver.find_element(By.ID, "browse").is_displayed()
    if why:
        hit = next(li for li in driver.find_elements(By.CSS_SELECTOR, "#results li")
                   if expected in li.text)
        assert why in hit.find_element(By.CSS_SELECTOR, ".why").text
    assert problems(driver) == []


def test_a_search_survives_going_to_a_result_and_back(driver: Any, site: Path,
                                                      shots: Path) -> None:
    open_page(driver, site / "index.html")
    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys("要装个电表")
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li a"))
    full_page(driver, shots / "handbook-search.png", 1100)
    first = driver.find_element(By.CSS_SELECTOR, "#results li a")
    name = first.text
    first.click()
    WebDriverWait(driver, WAIT).until(lambda d: "/categories/" in d.current_url)
    driver.back()
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#results li a"))
    assert driver.find_element(By.CSS_SELECTOR, "#results li a").text == name
    assert problems(driver) == []


def test_every_page_renders_its_diagrams_without_errors_or_network(driver: Any,
                                                                  site: Path) -> None:
    problems(driver)
    checked = 0
    for page in sorted(site.rglob("*.html")):
        open_page(driver, page)
        svgs = driver.find_elements(By.CSS_SELECTOR, "svg.workflow-diagram")
        if page.parent.name == "categories" or (page.parent.name == "workflows"
                                                and page.name != "index.html"):
            assert svgs, page
        for svg in svgs:
            nodes = svg.find_elements(By.CSS_SELECTOR, "g.node")
            assert nodes, page
            assert svg.rect["width"] > 100 and svg.rect["height"] > 50, page
            checked += 1
        assert problems(driver) == [], page
    assert checked >= 48 + 33


# --- the notice ----------------------------------------------------------------------------------

REQUEST = {"id": "REQ-0007", "description": "新开的奶茶店要装电",
           "customer": {"type": "non_residential"}, "supply": {"capacity_kva": 30},
           "documents_presented": ["business_license"], "applicant": {"agent": True},
           "received_at": "2026-03-02T09:30"}


def pdf_text(pdf: Path, reader: Any) -> tuple[str, bool]:
    """The PDF's text without white space, and whether it is exact: poppler's pdftotext maps
    glyphs back to the ideographs; pypdf may give a CJK radical (⺠ for 民) where a font
    shares one glyph between them, so its text is only NFKC-normalised."""
    import unicodedata

    tool = shutil.which("pdftotext")
    if tool:
        done = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                              check=True, timeout=120)
        return "".join(done.stdout.decode("utf-8").split()), True
    raw = "".join(page.extract_text() for page in reader.pages)
    return "".join(unicodedata.normalize("NFKC", raw).split()), False


def test_the_notice_prints_to_a_pdf_with_its_text(driver: Any, tmp_path: Path,
                                                  shots: Path) -> None:
    from pypdf import PdfReader

    src = tmp_path / "request.json"
    src.write_text(json.dumps(REQUEST, ensure_ascii=False), encoding="utf-8")
    pdf = tmp_path / "notice.pdf"
    assert main(["notice", str(src), "-o", str(pdf), "--date", "2026-03-02",
                 "--office", "城东供电营业厅（人民路 88 号）", "--contact", "柜员 王敏（工号 0231）"]) == 0
    reader = PdfReader(str(pdf))
    assert 1 <= len(reader.pages) <= 3
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 3 and abs(float(box.height) - 842) < 3  # A4 in points
    text, exact = pdf_text(pdf, reader)
    expected = ["一次性告知书", "BR-20260302-", "2026年3月2日"]
    if exact:  # pypdf reads some characters as the CJK radicals that share their glyphs
        expected += ["低压非居民新装", "用电申请表", "法定代表人身份证明", "授权委托书",
                     "城东供电营业厅", "柜员王敏"]
    for item in expected:
        assert item in text, item
    assert "奶茶店" not in text
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:  # the printed page as the customer gets it
        subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(shots / "notice")], check=True, timeout=120)
    else:
        html = tmp_path / "notice.html"
        assert main(["notice", str(src), "-o", str(html), "--date", "2026-03-02"]) == 0
        open_page(driver, html)
        full_page(driver, shots / "notice.png", 1700)


def test_the_notice_page_shows_in_the_browser_without_errors(driver: Any,
                                                             tmp_path: Path) -> None:
    pack = bizroute.load_pack()
    html = tmp_path / "notice.html"
    html.write_text(pages.render_notice(pack, pack.classify(REQUEST), issued=DAY),
                    encoding="utf-8")
    problems(driver)
    open_page(driver, html)
    rows = driver.find_elements(By.CSS_SELECTOR, "table.missing tbody tr")
    assert len(rows) == len(pack.classify(REQUEST).documents_missing)
    assert problems(driver) == []


# --- the report ----------------------------------------------------------------------------------


def _decisions(path: Path) -> None:
    """Decisions of the default pack's example requests, with plans, received on days spread
    over eight weeks (the example cases carry no dates of their own)."""
    pack = bizroute.load_pack()
    start = dt.datetime(2026, 3, 2, 9, 0)
    with path.open("w", encoding="utf-8") as out:
        for i, loaded in enumerate(load_cases(pack.path, [])):
            when = start + dt.timedelta(days=(i * 5) % 56, hours=i % 8)
            request = {**loaded.case.request, "id": f"C{i:04d}",
                       "received_at": when.isoformat(timespec="minutes")}
            decision = pack.classify(request, explain=False)
            out.write(json.dumps(decision.to_dict(), ensure_ascii=False) + "\n")


def test_the_report_charts_render(driver: Any, tmp_path: Path, shots: Path) -> None:
    decisions = tmp_path / "decisions.jsonl"
    _decisions(decisions)
    report = tmp_path / "report.html"
    assert main(["stats", str(decisions), "--format", "html", "--by", "week",
                 "-o", str(report)]) == 0
    problems(driver)
    open_page(driver, report)
    expected = ["status", "group", "category", "trend", "questions", "departments",
                "commitments"]
    try:
        WebDriverWait(driver, WAIT).until(lambda d: all(d.find_elements(
            By.CSS_SELECTOR, f"#chart-{name} .main-svg") for name in expected))
    except TimeoutException:
        pytest.fail("charts did not render: " + ", ".join(
            n for n in expected if not driver.find_elements(By.CSS_SELECTOR,
                                                            f"#chart-{n} .main-svg")))
    for name in ("group", "category", "questions", "departments"):
        bars = driver.find_elements(By.CSS_SELECTOR, f"#chart-{name} .bars path")
        assert bars, name
    slices = driver.find_elements(By.CSS_SELECTOR, "#chart-status .slice")
    assert len(slices) >= 3
    for label in ("按日 day", "按周 week", "按月 month"):  # the trend's period buttons
        assert driver.find_elements(By.XPATH, f"//*[@id='chart-trend']//*[text()='{label}']")
    assert "无 none" in driver.find_element(By.ID, "suggestions").text
    full_page(driver, shots / "report.png", 2400)
    assert problems(driver) == []
