"""``bizroute serve``, started for real on a free loopback port and exercised over HTTP."""

from __future__ import annotations

import json
import shutil
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import bizroute
from bizroute.cli import main
from bizroute.output import render_text
from bizroute.workflow import to_mermaid
from tests.conftest import PACKS, ROOT
from tests.service_helpers import Server, running

pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install '.[serve]'")

EXAMPLES = ROOT / "docs" / "examples" / "requests.jsonl"
REQUESTS = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "request_id"}
PERSONAL = {"customer": {"type": "residential", "name": "欧阳娜娜", "phone": "13912345678",
                         "id_number": "11010519491231002X"},
            "description": "新房要装电表，联系电话13800138000，身份证110101199003077316",
            "supply": {"capacity_kva": 8}, "id": "PII-1"}
SECRETS = ("欧阳娜娜", "13912345678", "11010519491231002X", "13800138000", "110101199003077316")


@pytest.fixture(scope="module")
def decision_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log") / "decisions.jsonl"


@pytest.fixture(scope="module")
def server(decision_log: Path) -> Iterator[Server]:
    """The default pack, with small limits and a decision log."""
    with running("--max-body", "4096", "--max-batch-bytes", "200000",
                 "--max-batch-records", "50", "--decision-log", str(decision_log)) as s:
        yield s


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) >= PROBLEM_KEYS, problem
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["type"] == f"urn:bizroute:problem:{code}"
    assert "Traceback" not in problem["detail"]
    return problem  # type: ignore[no-any-return]


def cli_decisions(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    out = tmp_path / "cli.jsonl"
    assert main(["classify", str(EXAMPLES), "--format", "jsonl", "-q", "-o", str(out),
                 *args]) == 0
    decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for d in decisions:
        del d["record"]  # where the record was in the file
    return decisions


# --- classify -------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [(), ("--explain",), ("--plan",), ("--as-of", "2023-05-01")])
def test_each_decision_is_the_one_the_cli_writes(server: Server, tmp_path: Path,
                                                 options: tuple[str, ...]) -> None:
    query = {(): "", ("--explain",): "?explain=true", ("--plan",): "?plan=1",
             ("--as-of", "2023-05-01"): "?as_of=2023-05-01"}[options]
    expected = cli_decisions(tmp_path, *options)
    for request, decision in zip(REQUESTS, expected, strict=True):
        response = server.post("/v1/classify" + query, request)
        assert response.status == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == decision


def test_a_decision_leaves_out_the_explanation_and_plan_unless_asked(server: Server) -> None:
    plain = server.post("/v1/classify", REQUESTS[1]).json()
    assert "explanation" not in plain and "plan" not in plain
    full = server.post("/v1/classify?explain=true&plan=true", REQUESTS[1]).json()
    assert full["explanation"]["because"] and full["plan"]["steps"]


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{bad", 400, "invalid-json"),
    (b"", 400, "empty-body"),
    (b"[1, 2]", 422, "not-an-object"),
    (b'"text"', 422, "not-an-object"),
    (b"\xff\xfe\x00", 400, "invalid-json"),
    (b"[" * 1500 + b"]" * 1500, 400, "invalid-json"),
    (b'{"supply": {"capacity_kva": "lots"}}', 422, "request-does-not-fit"),
    (b'{"customer": {"type": "13800138000"}}', 422, "request-does-not-fit"),
    (b'{"received_at": "yesterday"}', 422, "request-does-not-fit"),
    (b'{"documents_presented": {"a": 1}}', 422, "request-does-not-fit"),
    (b'{"description": 1e999}', 400, "invalid-json"),
])
def test_a_bad_body_gets_a_problem_never_a_500(server: Server, body: bytes, status: int,
                                               code: str) -> None:
    problem = assert_problem(server.post("/v1/classify", body), status, code)
    assert "13800138000" not in problem["detail"]  # messages never echo a phone number


def test_a_request_that_does_not_fit_names_the_field(server: Server) -> None:
    problem = assert_problem(server.post("/v1/classify", {"customer": {"type": "shop"}}), 422,
                             "request-does-not-fit")
    assert problem["field"] == "customer.type"


def test_invalid_json_says_where(server: Server) -> None:
    problem = assert_problem(server.post("/v1/classify", b'{\n "a": tru }'), 400,
                             "invalid-json")
    assert problem["line"] == 2


@pytest.mark.parametrize(("query", "parameter"), [
    ("?explain=maybe", "explain"), ("?plan=2", "plan"), ("?as_of=2024-13-01", "as_of")])
def test_a_bad_option_is_a_400_naming_it(server: Server, query: str, parameter: str) -> None:
    problem = assert_problem(server.post("/v1/classify" + query, REQUESTS[0]), 400,
                             "invalid-parameter")
    assert problem["parameter"] == parameter


def test_a_body_over_the_limit_is_a_413_whether_declared_or_chunked(server: Server) -> None:
    big = {"description": "停电" * 2000}
    problem = assert_problem(server.post("/v1/classify", big), 413, "body-too-large")
    assert problem["limit"] == 4096
    body = json.dumps(big).encode()
    chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))
    assert_problem(server.call("POST", "/v1/classify", chunks, chunked=True), 413,
                   "body-too-large")
    assert server.post("/v1/classify", REQUESTS[0]).status == 200  # and it keeps serving


def test_an_h2c_upgrade_offer_is_a_clear_problem_not_an_empty_body(server: Server) -> None:
    # Java's HttpClient (HTTP/2 by default) and curl --http2 offer an upgrade on http://
    problem = assert_problem(server.post("/v1/classify", REQUESTS[0], headers={
        "Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c",
        "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA"}), 400, "upgrade-not-supported")
    assert "HTTP/1.1" in problem["detail"]


def test_a_gb18030_body_is_read(server: Server) -> None:
    body = json.dumps({"description": "家里没电了", "area": "urban"},
                      ensure_ascii=False).encode("gb18030")
    for headers in ({}, {"Content-Type": "application/json; charset=GB18030"}):
        response = server.post("/v1/classify", body, headers=headers)
        assert response.json()["category"]["id"] == "fault_repair"
    assert_problem(server.post("/v1/classify", b"{}", headers={
        "Content-Type": "application/json; charset=klingon"}), 415, "unsupported-charset")


def test_concurrent_requests_each_get_their_own_decision(server: Server, tmp_path: Path) -> None:
    expected = cli_decisions(tmp_path)

    def one(i: int) -> bool:
        k = i % len(REQUESTS)
        return server.post("/v1/classify", REQUESTS[k]).json() == expected[k]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(240)))
    assert all(results)


# --- batch ----------------------------------------------------------------------------------------


def test_a_json_lines_batch_gives_n_decisions_in_order_with_errors_in_place(
        server: Server) -> None:
    lines = [json.dumps(REQUESTS[0], ensure_ascii=False), "{broken", "[1]",
             json.dumps({"customer": {"type": "13800138000"}}),
             json.dumps(REQUESTS[1], ensure_ascii=False)]
    response = server.call("POST", "/v1/classify/batch", "\n".join(lines).encode(),
                           {"Content-Type": "application/x-ndjson"})
    assert response.status == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    decisions = response.lines()
    assert [d["record"]["index"] for d in decisions] == [1, 2, 3, 4, 5]
    assert [d["status"] for d in decisions] == ["decided", "error", "error", "error", "decided"]
    assert decisions[1]["error"]["position"].startswith("body:2")
    assert decisions[3]["error"]["field"] == "customer.type"
    assert "13800138000" not in response.body.decode()


def test_a_json_array_batch_gives_a_json_array(server: Server, tmp_path: Path) -> None:
    expected = cli_decisions(tmp_path)
    response = server.post("/v1/classify/batch", REQUESTS)
    assert response.headers["content-type"] == "application/json"
    decisions = response.json()
    assert [d["record"]["index"] for d in decisions] == list(range(1, len(REQUESTS) + 1))
    for d in decisions:
        del d["record"]
    assert decisions == expected


@pytest.mark.parametrize(("body", "status", "code"), [
    ([{"description": "停电"}] * 51, 413, "too-many-records"),
    ([{"description": "停电" * 1000}] * 40, 413, "body-too-large"),
    (b"  \n", 400, "empty-body"),
])
def test_batch_limits_are_413s(server: Server, body: Any, status: int, code: str) -> None:
    assert_problem(server.post("/v1/classify/batch", body), status, code)


# --- explain, pack, categories, workflows -------------------------------------------------------


def test_explain_gives_the_explanation_and_plan_and_the_cli_text(server: Server) -> None:
    decision = server.post("/v1/explain", REQUESTS[1]).json()
    assert decision["explanation"]["because"] and decision["plan"]["steps"]
    text = server.post("/v1/explain?format=text", REQUESTS[1])
    assert text.headers["content-type"].startswith("text/plain")
    pack = bizroute.load_pack()
    assert text.body.decode() == render_text(pack.classify(REQUESTS[1]), None, explain=True)


def test_pack_shows_what_is_in_service(server: Server) -> None:
    pack = bizroute.load_pack()
    info = server.get("/v1/pack").json()
    assert (info["id"], info["version"], info["digest"]) == (pack.id, pack.version, pack.digest)
    assert info["reloads"] == {"ok": 0, "failed": 0} and info["last_failure"] is None
    assert {c["id"] for c in info["categories"]} == {
        c for c in pack.category_ids() if pack.category(c) is not None}
    assert info["loaded_at"]


def test_a_category_is_served_by_id(server: Server) -> None:
    category = server.get("/v1/categories/lv_residential_new").json()
    assert category["name"] == "低压居民新装"
    assert {"id": "id_card", "name": "居民身份证"} in [
        {"id": d["id"], "name": d["name"]} for d in category["documents"]]
    assert_problem(server.get("/v1/categories/no_such"), 404, "not-found")


def test_a_workflow_is_served_as_json_or_mermaid(server: Server) -> None:
    graph = server.get("/v1/workflows/fault_repair").json()
    assert graph["id"] == "fault_repair" and graph["steps"][0]["id"] == graph["start"]
    mermaid = server.get("/v1/workflows/fault_repair?format=mermaid")
    assert mermaid.body.decode() == to_mermaid(bizroute.load_pack().workflow("fault_repair"))
    assert_problem(server.get("/v1/workflows/fault_repair?format=png"), 400,
                   "invalid-parameter")
    assert_problem(server.get("/v1/workflows/no_such"), 404, "not-found")


def test_health_readiness_and_routing_problems(server: Server) -> None:
    assert server.get("/healthz").json() == {"status": "ok"}
    ready = server.get("/readyz").json()
    assert ready["status"] == "ready" and ready["pack"]["id"] == "cn-power-supply"
    assert_problem(server.get("/v2/nothing"), 404, "not-found")
    response = server.get("/v1/classify")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"
    assert_problem(server.post("/v1/admin/reload", b""), 404, "not-found")  # off by default


def test_the_openapi_document_lists_every_route(server: Server) -> None:
    from bizroute.service.app import PREFIXES, ROUTES

    document = server.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    served = {(path, method.lower()) for path, methods in ROUTES.items() for method in methods}
    served |= {(template, method.lower()) for template, methods in PREFIXES.values()
               for method in methods}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == served


def test_metrics_count_requests_decisions_and_show_the_pack(server: Server) -> None:
    before = server.metrics()
    server.post("/v1/classify", {"description": "家里没电了", "area": "urban"})
    server.post("/v1/classify", b"{bad")
    after = server.metrics()

    def delta(key: str) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert delta('bizroute_http_requests_total{route="/v1/classify",method="POST",code="200"}') == 1
    assert delta('bizroute_http_requests_total{route="/v1/classify",method="POST",code="400"}') == 1
    assert delta('bizroute_decisions_total{status="decided",category="fault_repair"}') == 1
    assert delta('bizroute_http_request_duration_seconds_count{route="/v1/classify"}') == 2
    pack = bizroute.load_pack()
    assert after[f'bizroute_pack_info{{pack_id="{pack.id}",version="{pack.version}",'
                 f'digest="{pack.digest}"}}'] == 1
    assert after['bizroute_pack_reloads_total{result="failed"}'] == 0


# --- decision log ---------------------------------------------------------------------------------


def test_the_decision_log_masks_personal_data(server: Server, decision_log: Path) -> None:
    response = server.post("/v1/classify", PERSONAL, headers={"X-Request-ID": "log-test-1"})
    assert response.status == 200 and response.headers["x-request-id"] == "log-test-1"
    decision = response.json()

    def logged() -> list[dict[str, Any]]:
        return [json.loads(line) for line in decision_log.read_text("utf-8").splitlines()
                if '"log-test-1"' in line]

    server.wait_for("the decision log line", logged)
    (entry,) = logged()
    assert entry["id"] == "PII-1" and entry["route"] == "/v1/classify"
    assert entry["status"] == decision["status"] and entry["category"] == "lv_residential_new"
    assert entry["pack"] == decision["pack"] and entry["latency_ms"] > 0
    assert entry["request"]["customer"]["name"] == "***"
    assert entry["request"]["customer"]["phone"] == "***"
    assert entry["request"]["customer"]["type"] == "residential"
    assert "138****8000" in entry["request"]["description"]
    text = decision_log.read_text("utf-8") + b"".join(server.raw_logs).decode()
    for secret in SECRETS:
        assert secret not in text


# --- reloading ------------------------------------------------------------------------------------


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(PACKS / "valid" / "check-clean", target)
    return target


def _set_version(pack_dir: Path, version: str) -> None:
    path = pack_dir / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('version: "1"', f'version: "{version}"'), encoding="utf-8")


def test_reloads_swap_a_good_pack_and_refuse_a_broken_one(pack_dir: Path,
                                                          tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-token\n", encoding="utf-8")
    bearer = {"Authorization": "Bearer s3cret-token"}
    with running(str(pack_dir), "--admin-token-file", str(token)) as server:
        first = server.get("/v1/pack").json()
        assert_problem(server.post("/v1/admin/reload", b""), 401, "unauthorized")
        assert_problem(server.post("/v1/admin/reload", b"", headers={
            "Authorization": "Bearer wrong"}), 401, "unauthorized")

        _set_version(pack_dir, "2")  # a good pack
        reloaded = server.post("/v1/admin/reload", b"", headers=bearer)
        assert reloaded.status == 200, reloaded.body
        info = server.get("/v1/pack").json()
        assert info["version"] == "2" and info["digest"] != first["digest"]
        decision = server.post("/v1/classify", {"description": "我想暂停用电"}).json()
        assert decision["pack"]["version"] == "2"

        # a pack that does not load: the old one keeps serving
        rules = pack_dir / "pack.yaml"
        good = rules.read_text(encoding="utf-8")
        rules.write_text(good.replace("field: description", "field: nothing"), encoding="utf-8")
        problem = assert_problem(server.post("/v1/admin/reload", b"", headers=bearer), 422,
                                 "pack-refused")
        assert problem["serving"]["version"] == "2" and problem["reload"]["errors"] >= 1
        assert "BR201" in problem["reload"]["findings"][0]

        # a pack that loads but fails `bizroute check` (a case that no longer holds)
        rules.write_text(good, encoding="utf-8")
        cases = pack_dir / "tests" / "cases.yaml"
        cases.write_text(cases.read_text(encoding="utf-8").replace(
            "expect: {status: decided, category: b,", "expect: {status: decided, category: a,"),
            encoding="utf-8")
        problem = assert_problem(server.post("/v1/admin/reload", b"", headers=bearer), 422,
                                 "pack-refused")
        assert problem["reload"]["reason"] == "bizroute check found errors"

        decision = server.post("/v1/classify", {"description": "我想暂停用电"}).json()
        assert decision["status"] == "decided" and decision["pack"]["version"] == "2"
        info = server.get("/v1/pack").json()
        assert info["version"] == "2" and info["reloads"] == {"ok": 1, "failed": 2}
        assert info["last_failure"]["reason"] == "bizroute check found errors"
        metrics = server.metrics()
        assert metrics['bizroute_pack_reloads_total{result="ok"}'] == 1
        assert metrics['bizroute_pack_reloads_total{result="failed"}'] == 2
        assert len(server.log_events("reload")) == 3
        assert all("s3cret" not in line.decode() for line in server.raw_logs)


def test_sighup_reloads_and_requests_in_flight_keep_their_pack(pack_dir: Path) -> None:
    with running(str(pack_dir), "--max-batch-records", "10000") as server:
        batch = [{"description": "我想暂停用电"}] * 3000
        results: list[Any] = []
        worker = threading.Thread(target=lambda: results.append(
            server.post("/v1/classify/batch", batch)))
        worker.start()
        _set_version(pack_dir, "7")
        server.signal(signal.SIGHUP)
        server.wait_for("the SIGHUP reload", lambda: server.get("/v1/pack").json()["version"] == "7")
        worker.join()
        (response,) = results
        digests = {d["pack"]["digest"] for d in response.json()}
        assert len(response.json()) == 3000 and len(digests) == 1  # one pack for the whole batch
        after = server.post("/v1/classify", batch[0]).json()
        assert after["pack"]["version"] == "7"
        assert server.metrics()['bizroute_pack_reloads_total{result="ok"}'] == 1


def test_watch_reloads_when_a_file_changes(pack_dir: Path) -> None:
    with running(str(pack_dir), "--watch") as server:
        _set_version(pack_dir, "3")
        server.wait_for("the watched reload",
                        lambda: server.get("/v1/pack").json()["version"] == "3")


# --- stopping, workers ----------------------------------------------------------------------------


def test_sigterm_finishes_requests_in_flight_then_exits_0() -> None:
    with running("--max-batch-records", "10000") as server:
        batch = json.dumps([REQUESTS[i % len(REQUESTS)] for i in range(4000)],
                           ensure_ascii=False).encode()
        conn = server.connection()
        conn.request("GET", "/healthz")  # the connection is accepted and in use
        conn.getresponse().read()
        conn.request("POST", "/v1/classify/batch", body=batch,
                     headers={"Content-Type": "application/json"})
        server.wait_for("the batch in flight", lambda: server.metrics()[
            "bizroute_http_requests_in_flight"] >= 2)  # the batch and this scrape
        server.signal(signal.SIGTERM)
        response = conn.getresponse()
        assert response.status == 200
        assert len(json.loads(response.read())) == 4000
        conn.close()
        assert server.process.wait(60) == 0
        with pytest.raises(OSError):
            server.get("/healthz")


def test_several_workers_share_the_port_reload_together_and_stop_cleanly() -> None:
    with running("--workers", "2") as server:
        for request in REQUESTS:
            assert server.post("/v1/classify", request).status == 200
        server.wait_for("both workers in the metrics",
                        lambda: server.metrics().get("bizroute_workers") == 2)
        server.signal(signal.SIGHUP)
        server.wait_for("both workers reloaded", lambda: server.metrics().get(
            'bizroute_pack_reloads_total{result="ok"}') == 2)
        total = server.metrics()['bizroute_http_requests_total{route="/v1/classify",'
                                 'method="POST",code="200"}']
        assert total == len(REQUESTS)
        assert server.stop() == 0


def test_a_broken_pack_does_not_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    broken = PACKS / "invalid" / "refs" / "unknown-field"
    result = subprocess.run([sys.executable, "-m", "bizroute", "serve", str(broken), "--port",
                             "0"], capture_output=True, timeout=120, check=False)
    assert result.returncode == 2
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert any("BR201" in e["message"] for e in events)
    assert events[-1]["event"] == "pack-refused"


NOTICE_REQUEST = {"id": "REQ-0007", "description": "新开的奶茶店要装电",
                  "customer": {"type": "non_residential", "phone": "13912345678"},
                  "supply": {"capacity_kva": 30}, "documents_presented": ["business_license"],
                  "applicant": {"agent": True}, "received_at": "2026-03-02T09:30"}


def test_notice_gives_the_one_time_notice_of_a_decided_request(server: Server) -> None:
    response = server.post("/v1/notice?date=2026-03-02&office=%E5%9F%8E%E4%B8%9C%E8%90%A5%E4"
                           "%B8%9A%E5%8E%85", NOTICE_REQUEST)
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.body.decode("utf-8")
    assert "一次性告知书" in html and "城东营业厅" in html and "用电申请表" in html
    assert "BR-20260302-" in html and "13912345678" not in html


def test_notice_of_an_undecided_request_is_a_problem_saying_what_to_ask(server: Server) -> None:
    problem = assert_problem(server.post("/v1/notice", {"description": "要开户用电"}), 422,
                             "not-decided")
    assert problem["decision_status"] == "needs_info" and problem["questions"]
    assert_problem(server.post("/v1/notice?format=docx", NOTICE_REQUEST), 400,
                   "invalid-parameter")
    assert_problem(server.post("/v1/notice?office=" + "x" * 201, NOTICE_REQUEST), 400,
                   "invalid-parameter")


def test_notice_as_pdf_is_printed_by_the_browser_or_a_clear_problem(server: Server) -> None:
    from bizroute.pages import find_chromium

    response = server.post("/v1/notice?format=pdf", NOTICE_REQUEST)
    if find_chromium() is None:
        assert_problem(response, 503, "pdf-unavailable")
        return
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
