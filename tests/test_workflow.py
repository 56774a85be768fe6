"""Workflow graphs: the checks on broken workflows, the networkx view, department contraction,
and the renderings. Broken workflows live in tests/packs/invalid/workflow/, each with the
findings it must give (``expected.findings`` for errors, ``expected.warnings`` for warnings)."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizroute import load_pack
from bizroute.codes import REGISTRY
from bizroute.engine import compile_pack
from bizroute.findings import Finding
from bizroute.loader import read_pack
from bizroute.workflow import department_flow, department_graph, to_dot, to_json, to_mermaid

HERE = Path(__file__).parent
BROKEN = HERE / "packs" / "invalid" / "workflow"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())
VALID = HERE / "packs" / "valid" / "workflow"


def _findings(pack: Path) -> list[Finding]:
    findings: list[Finding] = []
    compile_pack(read_pack(pack, findings), findings)
    return findings


def _read(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def _shown(f: Finding) -> str:
    return f"{f.code} {Path(f.file).name}:{f.line}:{f.column}"


@pytest.mark.parametrize("pack", CASES, ids=lambda p: p.name)
def test_each_broken_workflow_gives_exactly_its_expected_findings(pack: Path) -> None:
    findings = _findings(pack)
    errors = {_shown(f) for f in findings if f.severity == "error"}
    warnings = {_shown(f) for f in findings if f.severity == "warning"}
    assert errors == _read(pack / "expected.findings")
    assert warnings == _read(pack / "expected.warnings")
    assert errors or warnings
    for f in findings:
        assert f.line > 0 and f.column > 0, f.format()
        assert f.object_id == "w"


def test_every_workflow_check_has_a_broken_workflow() -> None:
    covered = set()
    for pack in CASES:
        covered |= {line.split()[0] for line in
                    _read(pack / "expected.findings") | _read(pack / "expected.warnings")}
    assert {c for c in REGISTRY if c.startswith("BR3")} <= covered


def test_a_broken_workflow_makes_the_pack_unusable_but_a_warning_does_not() -> None:
    from bizroute import PackError

    with pytest.raises(PackError):
        load_pack(BROKEN / "cycle")
    pack = load_pack(BROKEN / "customer-facing-back-office")
    assert [w.code for w in pack.warnings] == ["BR309"]


def test_the_cycle_message_gives_the_circle_step_by_step() -> None:
    [f] = _findings(BROKEN / "cycle")
    assert f.message.endswith("survey → scheme → check → survey")


def test_an_unmeetable_commitment_says_by_how_much_and_on_which_path() -> None:
    [f] = _findings(BROKEN / "commitment-unmeetable")
    assert "accept → survey → scheme" in f.message
    assert "8 working days" in f.message and "misses by 1 working days" in f.message


def test_an_unmeetable_commitment_names_the_parallel_branch_that_delays_it() -> None:
    [f] = _findings(BROKEN / "commitment-unmeetable-parallel")
    assert "grid → energise" in f.message and "misses by 4 working days" in f.message


def test_an_unmeetable_variant_names_the_request_values_it_needs() -> None:
    [f] = _findings(BROKEN / "commitment-unmeetable-variant")
    assert "dual=True" in f.message and "misses by 6 working days" in f.message


def test_the_test_pack_passes_every_workflow_check() -> None:
    assert [f for f in _findings(VALID) if f.code.startswith("BR3")] == []


# --- the networkx view ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack(VALID)


def test_pack_workflow_returns_a_frozen_digraph_with_step_attributes(pack) -> None:  # type: ignore[no-untyped-def]
    g = pack.workflow("hv_connection")
    assert isinstance(g, nx.DiGraph) and nx.is_frozen(g)
    assert nx.is_directed_acyclic_graph(g)
    assert g.nodes["survey"]["department"] == "account_manager"
    assert g.nodes["survey"]["department_name"] == "客户经理"
    assert g.nodes["accept"]["customer_facing"] is True
    assert g.nodes["access_review"]["duration"] == "12个工作日 / 5个工作日"
    assert g.has_edge("completion_check", "contract") and g.has_edge("completion_check",
                                                                    "install_meter")
    assert g.graph["start"] == "accept" and g.graph["end"] == "archive"
    with pytest.raises(KeyError):
        pack.workflow("no_such_workflow")


def test_contracting_to_departments_counts_every_hand_off(pack) -> None:  # type: ignore[no-untyped-def]
    deps = department_graph(pack.workflow("hv_connection"))
    assert deps["counter"]["account_manager"]["weight"] == 2  # accept→survey, fees→design_review
    assert ("install_meter", "energise") in deps["metering_install"]["dispatch"]["handoffs"]
    assert not deps.has_edge("account_manager", "account_manager")


def test_hand_offs_sum_over_many_decisions(pack) -> None:  # type: ignore[no-untyped-def]
    requests = [{"intent": "fault", "area": "urban", "received_at": "2025-10-02T08:00"}] * 3 + \
        [{"intent": "reconnect", "received_at": "2025-10-02T08:00"}]
    flow = department_flow(pack.classify_many(requests))
    assert flow["call_centre"]["operations"]["weight"] == 3
    assert flow["call_centre"]["metering_install"]["weight"] == 1
    assert flow["metering_install"]["call_centre"]["weight"] == 1


# --- renderings ---------------------------------------------------------------------------------


def test_mermaid_groups_steps_by_department_and_marks_the_critical_path(pack) -> None:  # type: ignore[no-untyped-def]
    text = to_mermaid(pack.workflow("hv_connection"))
    assert "flowchart LR" in text
    assert 'subgraph d_account_manager["客户经理 (account_manager)"]' in text
    assert text.count("subgraph ") == 7
    assert text.count("    end\n") == 7
    assert "s_accept ==> s_survey" in text  # on the critical path
    assert "s_scheme --> s_grid_works" in text  # not on it
    assert 's_accept(["业务受理<br/>1个工作日"])' in text  # customer-facing: rounded


def test_dot_has_one_cluster_per_department(pack) -> None:  # type: ignore[no-untyped-def]
    text = to_dot(pack.workflow("hv_connection"))
    assert text.count("subgraph \"cluster_") == 7
    assert '"install_meter" -> "energise"' in text


def test_json_lists_steps_edges_and_hand_offs(pack) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(to_json(pack.workflow("fault_repair")))
    assert [s["id"] for s in data["steps"]] == ["accept", "travel", "repair", "callback"]
    assert data["edges"] == [["accept", "travel"], ["travel", "repair"], ["repair", "callback"]]
    assert data["handoffs"] == [
        {"from": "call_centre", "to": "operations", "count": 1, "steps": [["accept", "travel"]]},
        {"from": "operations", "to": "call_centre", "count": 1, "steps": [["repair", "callback"]]},
    ]
    assert data["commitments"][0]["limit"] == "45分钟 / 90分钟 / 2小时"


# --- properties ----------------------------------------------------------------------------------

HEADER = """pack:
  id: p
  name: 随机流程
  version: "1"
  fields:
    received_at: {type: datetime, label: 受理时间, label_en: Received at}
departments:
  - {id: counter, name: 营业厅, front_office: true}
  - {id: a, name: 甲}
  - {id: b, name: 乙}
groups: [{id: g, name: 组}]
sources: [{id: s, title: 规则}]
"""

DURATIONS = ["{working_days: 1}", "{working_days: 0.5}", "{days: 2}", "{hours: 5}",
             "{minutes: 45}", "{hours: 0}", None]


@st.composite
def workflows(draw: st.DrawFn, *, units: list[str | None] = DURATIONS) -> str:
    """A random workflow with one start and one end, as pack YAML."""
    n = draw(st.integers(min_value=2, max_value=9))
    steps = []
    has_successor: set[int] = set()
    for i in range(n):
        if i == 0:
            after: list[int] = []
        elif i == n - 1:
            after = sorted(set(range(n - 1)) - has_successor) or [n - 2]
        else:
            after = sorted(draw(st.sets(st.integers(0, i - 1), min_size=1, max_size=3)))
        has_successor.update(after)
        dep = "counter" if i in (0, n - 1) else draw(st.sampled_from(["counter", "a", "b"]))
        duration = draw(st.sampled_from(units))
        parts = [f"id: s{i}", f"name: 步骤{i}", f"department: {dep}"]
        if after:
            parts.append("after: [" + ", ".join(f"s{j}" for j in after) + "]")
        if duration:
            parts.append(f"duration: {duration}")
        steps.append("      - {" + ", ".join(parts) + "}")
    return HEADER + "workflows:\n  - id: w\n    name: 随机\n    steps:\n" + "\n".join(steps) + "\n"


def _load(text: str):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pack.yaml").write_text(text, encoding="utf-8")
        return load_pack(tmp)


@settings(max_examples=60, deadline=None)
@given(workflows())
def test_random_single_start_single_end_workflows_pass_the_structural_checks(text: str) -> None:
    pack = _load(text)
    assert not [w for w in pack.warnings if w.code in ("BR301", "BR302", "BR303", "BR306")]


@settings(max_examples=60, deadline=None)
@given(workflows())
def test_the_critical_path_is_as_long_as_the_longest_path(text: str) -> None:
    g = _load(text).workflow("w")
    weight = {n: g.nodes[n]["nominal_minutes"] for n in g.nodes}
    # node weights as edge weights: each edge weighs what its target takes, plus the start
    h = nx.DiGraph()
    h.add_edge("^", g.graph["start"], w=weight[g.graph["start"]])
    h.add_edges_from((u, v, {"w": weight[v]}) for u, v in g.edges)
    longest = nx.dag_longest_path_length(h, weight="w")
    path = g.graph["critical_path"]
    assert path[0] == g.graph["start"] and path[-1] == g.graph["end"]
    assert all(g.has_edge(u, v) for u, v in itertools.pairwise(path))
    assert sum(weight[n] for n in path) == pytest.approx(longest)


@settings(max_examples=60, deadline=None)
@given(workflows())
def test_contracting_to_departments_keeps_every_hand_off(text: str) -> None:
    g = _load(text).workflow("w")
    deps = department_graph(g)
    crossing = [(u, v) for u, v in g.edges
                if g.nodes[u]["department"] != g.nodes[v]["department"]]
    for u, v in crossing:
        a, b = g.nodes[u]["department"], g.nodes[v]["department"]
        assert (u, v) in deps[a][b]["handoffs"]
    assert sum(d["weight"] for _, _, d in deps.edges(data=True)) == len(crossing)
    assert set(deps.nodes) == {g.nodes[n]["department"] for n in g.nodes}


# --- command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["hv_connection"], "flowchart LR"),
        (["hv_new"], 'subgraph d_counter["营业厅 (counter)"]'),  # a category: its workflow
        (["fault_repair", "--format", "dot"], 'digraph "fault_repair"'),
        (["reconnect", "--format", "json"], '"critical_path": [\n    "accept"'),
        (["hv_connection", "--fence"], "```mermaid\n---\ntitle:"),
    ],
)
def test_the_graph_command_draws_a_workflow_or_a_categorys_workflow(
        capsys: pytest.CaptureFixture[str], args: list[str], expect: str) -> None:
    from bizroute.cli import main

    assert main(["graph", *args, "--rules", str(VALID)]) == 0
    assert expect in capsys.readouterr().out


def test_the_graph_command_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    from bizroute.cli import main

    assert main(["graph", "nope", "--rules", str(VALID)]) == 2
    assert "no workflow or category 'nope'" in capsys.readouterr().err


# --- the default pack -----------------------------------------------------------------------


def test_every_default_pack_workflow_passes_the_graph_checks() -> None:
    from bizroute.loader import default_pack_path

    findings = _findings(default_pack_path())
    assert [f.format() for f in findings if f.code.startswith("BR3")] == []
    assert not [f for f in findings if f.severity == "error"]


def test_every_default_pack_workflow_has_durations_on_every_step() -> None:
    pack = load_pack()
    for workflow_id in pack.workflows:
        g = pack.workflow(workflow_id)
        assert all(g.nodes[n]["duration"] for n in g.nodes), workflow_id


def test_the_docs_show_the_diagram_the_cli_draws_today(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from bizroute.cli import main

    docs = (HERE.parent / "docs" / "workflows.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- graph: (\S+) -->\n(.*?)<!-- /graph -->", docs, flags=re.S)
    assert blocks
    for workflow_id, text in blocks:
        assert main(["graph", workflow_id, "--fence"]) == 0
        assert capsys.readouterr().out == text, f"regenerate the {workflow_id} diagram"
