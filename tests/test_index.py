"""The compiled rule index gives exactly the decisions of evaluating every rule.

The reference is :func:`bizroute.index.plain_copy`: the same pack evaluating every rule in force
and scanning every rule for why-not explanations.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from bench.synthetic import CHANNELS, CUSTOMER_TYPES, INTENTS, generate_rules, requests, write_pack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizroute import Pack, load_pack
from bizroute.conditions import TextMatcher
from bizroute.errors import PackError
from bizroute.index import SCAN_ALL_LIMIT, RuleIndex, TermScanner, held, plain_copy
from bizroute.readers import read_records
from bizroute.textnorm import normalise
from tests.test_properties import requests as minimal_requests

DAY = dt.date(2025, 3, 1)
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _same(indexed: Pack, plain: Pack, request: dict[str, Any], *, why_not: bool = True) -> None:
    got = indexed.classify(request, as_of=DAY).to_dict()
    want = plain.classify(request, as_of=DAY).to_dict()
    if not why_not:
        got["explanation"].pop("why_not")
        want["explanation"].pop("why_not")
    assert got == want


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minimal_requests)
def test_indexed_decisions_equal_plain_evaluation_on_the_minimal_pack(
        minimal_pack: Pack, request: dict[str, Any]) -> None:
    _same(minimal_pack, plain_copy(minimal_pack), request)


@pytest.fixture(scope="module")
def default_pack() -> Pack:
    try:
        pack = load_pack()
    except PackError:  # pragma: no cover - the default pack is being written
        pytest.skip("the default pack does not load")
    if not pack.rules:  # pragma: no cover
        pytest.skip("the default pack has no rules yet")
    return pack


def _default_requests(pack: Pack) -> st.SearchStrategy[dict[str, Any]]:
    """Random requests over the default pack's own fields and vocabulary terms."""
    from bizroute.index import regex_literals

    terms = sorted({t for v in pack.vocabularies.values() for t in v.terms})
    literals = sorted({lit for rule in pack.rules for leaf in rule.node.leaves()
                       if leaf.op == "matches" for lit in regex_literals(leaf.operand) or ()})
    examples = [str(r.data.get("description", "")) for name in ("requests.jsonl", "requests.json")
                if (EXAMPLES / name).exists() for r in read_records(EXAMPLES / name)
                if isinstance(r.data, dict)]
    words = st.lists(st.sampled_from([*terms[:400], *literals[:300], *examples, "不是", "不要",
                                      "没有", "，", "我家", "要", "想", "一台", "变压器"]),
                     max_size=5).map("".join)
    flat: dict[str, st.SearchStrategy[Any]] = {}
    for path, spec in pack.fields.items():
        if spec.type == "enum":
            flat[path] = st.sampled_from(sorted(spec.value_labels()))
        elif spec.type == "number":
            flat[path] = st.sampled_from([0, 1, 5, 8, 10, 50, 100, 160, 200, 315, 1000, 5000])
        elif spec.type == "bool":
            flat[path] = st.booleans()
        elif spec.type == "text":
            flat[path] = words
    return st.fixed_dictionaries({}, optional=flat)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_indexed_decisions_equal_plain_evaluation_on_the_default_pack(
        default_pack: Pack, data: st.DataObject) -> None:
    request = data.draw(_default_requests(default_pack))
    exact = len(default_pack.rules) <= SCAN_ALL_LIMIT
    _same(default_pack, plain_copy(default_pack), request, why_not=exact)


@pytest.fixture(scope="module", params=[30, 300])
def synthetic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              ) -> tuple[int, Pack]:
    n = request.param
    return n, load_pack(write_pack(tmp_path_factory.mktemp("synthetic") / "pack", n))


synthetic_requests = st.fixed_dictionaries(
    {"description": st.text(alphabet="不是电表箱线柜杆站网费价量峰谷光伏桩充您好", max_size=12)},
    optional={
        "intent": st.sampled_from(INTENTS),
        "customer": st.fixed_dictionaries({"type": st.sampled_from(CUSTOMER_TYPES)}),
        "channel": st.sampled_from(CHANNELS),
        "supply": st.fixed_dictionaries({}, optional={
            "capacity_kva": st.sampled_from([0, 8, 9, 100, 160, 161, 5000, 9000]),
            "voltage_kv": st.sampled_from([0.22, 0.38, 10, 35, 110])}),
    })


def test_seeded_requests_get_the_same_decisions_from_both_engines(synthetic: tuple[int, Pack],
                                                                  ) -> None:
    n, pack = synthetic
    plain = plain_copy(pack)
    exact = len(pack.rules) <= SCAN_ALL_LIMIT
    for request in requests(300, seed=0, n_rules=n):
        _same(pack, plain, request, why_not=exact)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(synthetic_requests)
def test_random_requests_get_the_same_decisions_from_both_engines(
        synthetic: tuple[int, Pack], request: dict[str, Any]) -> None:
    _n, pack = synthetic
    _same(pack, plain_copy(pack), request, why_not=len(pack.rules) <= SCAN_ALL_LIMIT)


def test_above_the_limit_why_not_names_only_rules_that_failed_with_a_test_holding(
        synthetic: tuple[int, Pack]) -> None:
    n, pack = synthetic
    for request in requests(200, seed=1, n_rules=n):
        decision = pack.classify(request, as_of=DAY)
        facts = pack.facts(request)
        rules = {r.id: r for r in pack.rules}
        chosen = {c.category for c in decision.candidates} | {decision.category_id}
        for why in decision.explanation.why_not:
            value, holding, _ = held(rules[why.rule].node, facts)
            assert value is False and holding > 0
            assert why.category not in chosen


def test_a_large_pack_evaluates_only_a_few_rules_per_request(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path / "pack", 3000))
    pack.classify({"description": "x"}, as_of=DAY)
    index = next(iter(pack._epochs.values())).index
    assert index is not None and not index.exact_why_not
    sizes = [len(index.positions(pack.facts(r))) for r in requests(500, seed=2, n_rules=3000)]
    assert max(sizes) < 50  # of 3,000


# --- the index's parts ------------------------------------------------------------------------


def test_the_term_scan_finds_every_occurrence_including_overlapping_ones() -> None:
    scanner = TermScanner({"description": ["停电", "电", "电表"]})
    from bizroute.conditions import TextValue

    value = TextValue("停电了，电表", "停电了,电表")
    scanner.scan({"description": value})
    assert value.hits is not None
    assert value.hits.starts == {"停电": [0], "电": [1, 4], "电表": [4]}


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="不是要没有电停表，,跳闸a", max_size=20),
       terms=st.lists(st.text(alphabet="不是要没有电停表跳闸a", min_size=1, max_size=3),
                      min_size=1, max_size=4, unique=True),
       skip=st.booleans(), extra=st.text(alphabet="电表闸", min_size=1, max_size=2))
def test_one_pass_matching_finds_the_same_term_as_searching_each(
        text: str, terms: list[str], skip: bool, extra: str) -> None:
    from bizroute.conditions import TextValue

    matcher = TextMatcher(("不是", "没有", "不要"), 4, ("，", ","))
    scanner = TermScanner({"d": terms})  # `extra` is not scanned: it is searched directly
    value = TextValue(text, normalise(text))
    scanner.scan({"d": value})
    assert value.hits is not None
    wanted = (*terms, extra)
    assert matcher.find_hits(value.norm, value.hits, wanted, skip) == matcher.find(
        value.norm, wanted, skip)


@pytest.mark.parametrize(("when", "request_data", "selected"), [
    ({"field": "intent", "eq": "new"}, {"intent": "new"}, True),
    ({"field": "intent", "eq": "new"}, {"intent": "fault"}, False),
    ({"field": "intent", "eq": "new"}, {}, False),  # intent: a missing value is false
    ({"field": "customer.type", "eq": "residential"}, {}, True),  # missing: unknown, kept
    ({"field": "customer.type", "eq": "residential"},
     {"customer": {"type": "non_residential"}}, False),
    ({"field": "description", "mentions": "outage"}, {"description": "不是停电"}, True),
    ({"field": "description", "mentions": "outage"}, {"description": "你好"}, False),
    ({"any": [{"field": "intent", "eq": "fault"}, {"field": "description", "mentions": "outage"}]},
     {"description": "跳闸"}, True),
    ({"not": {"field": "intent", "eq": "new"}}, {"intent": "new"}, True),  # `not`: always
    ({"field": "supply.capacity_kva", "gt": 5}, {"supply": {"capacity_kva": 1}}, True),
])
def test_a_rule_is_selected_unless_it_is_certainly_false(
        tmp_path: Path, when: dict[str, Any], request_data: dict[str, Any], selected: bool) -> None:
    import json

    text = (Path(__file__).parent / "packs" / "valid" / "minimal" / "pack.yaml").read_text(
        encoding="utf-8")
    head = text.split("\nrules:\n")[0]
    tail = "\nworkflows:\n" + text.split("\nworkflows:\n")[1]
    rule = {"id": "probe", "category": "fault", "priority": 5, "when": when}
    (tmp_path / "pack.yaml").write_text(f"{head}\nrules:\n  - {json.dumps(rule)}\n{tail}",
                                        encoding="utf-8")
    pack = load_pack(tmp_path)
    epoch_rules = tuple(pack.rules)
    index = RuleIndex(epoch_rules, pack.fields)
    chosen = [r.id for r in index.candidates(pack.facts(request_data))]
    assert (chosen == ["probe"]) is selected


def test_the_synthetic_generator_is_seeded() -> None:
    assert generate_rules(30, seed=4) == generate_rules(30, seed=4)
    assert generate_rules(30, seed=4) != generate_rules(30, seed=5)
    assert list(requests(5, seed=1, n_rules=30)) == list(requests(5, seed=1, n_rules=30))


def test_why_not_sees_rules_whose_first_test_is_unknown(tmp_path: Path) -> None:
    import itertools
    import json

    text = (Path(__file__).parent / "packs" / "valid" / "minimal" / "pack.yaml").read_text(
        encoding="utf-8")
    head = text.split("\nrules:\n")[0]
    tail = "\nworkflows:\n" + text.split("\nworkflows:\n")[1]
    rules = [
        {"id": "gated", "category": "hv_new", "priority": 5, "when": {"all": [
            {"field": "customer.type", "eq": "non_residential"}, {"field": "intent", "eq": "new"},
            {"field": "supply.capacity_kva", "gt": 100}]}},
        {"id": "words", "category": "close", "priority": 5, "when": {"all": [
            {"field": "description", "mentions": "close_words"}, {"field": "area", "eq": "rural"}]}},
        {"id": "single", "category": "fault", "priority": 5,
         "when": {"field": "intent", "eq": "fault"}},
    ]
    body = "\n".join(f"  - {json.dumps(r, ensure_ascii=False)}" for r in rules)
    (tmp_path / "pack.yaml").write_text(f"{head}\nrules:\n{body}\n{tail}", encoding="utf-8")
    pack = load_pack(tmp_path)
    plain = plain_copy(pack)
    customers = [{}, {"customer": {"type": "residential"}}, {"customer": {"type": "non_residential"}}]
    intents = [{}, {"intent": "new"}, {"intent": "fault"}]
    supplies = [{}, {"supply": {"capacity_kva": 50}}, {"supply": {"capacity_kva": 500}}]
    texts = [{}, {"description": "销户"}, {"description": "不是销户"}]
    areas = [{}, {"area": "rural"}, {"area": "urban"}]
    for parts in itertools.product(customers, intents, supplies, texts, areas):
        request = {k: v for part in parts for k, v in part.items()}
        _same(pack, plain, request)


# --- questions about an enum field: one probe for the values no rule names

_NAMING_RULES = """\
categories:
{cats}rules:
  - {{id: ra, category: ca, when: {{all: [{{field: intent, eq: a}}, {{field: flag, eq: true}}]}}}}
  - {{id: rb, category: cb, when: {{all: [{{field: intent, not_in: [a, b]}},
                                          {{field: description, mentions: outage}}]}}}}
  - {{id: rc, category: cc, priority: 5, when: {{field: capacity, gt: 100}}}}
"""


def _naming_pack(directory: Path) -> Pack:
    from tests.helpers import category
    from tests.helpers import write_pack as write_test_pack

    cats = "".join(category(c) for c in ("ca", "cb", "cc"))
    return load_pack(write_test_pack(directory, _NAMING_RULES.format(cats=cats)))


@pytest.mark.parametrize(("request_data", "named"), [
    ({"flag": True, "description": "你好"}, {"a"}),  # only ra (by "intent missing") names one
    ({"flag": True}, {"a", "b"}),  # rb too, unknown without a description: it names a and b
    ({"description": "停电了"}, {"a", "b"}),
    ({"description": "停电了", "capacity": 50}, {"a", "b"}),
])
def test_a_question_probes_each_named_value_and_one_other(
        tmp_path: Path, request_data: dict[str, Any], named: set[str]) -> None:
    pack = _naming_pack(tmp_path)
    index = pack._epoch(DAY).index
    facts = pack.facts(request_data)
    assert index is not None and index.named_values(facts, "intent") == named
    _same(pack, plain_copy(pack), request_data)


# --- literals of regular expressions ---------------------------------------------------------

_ATOMS = st.sampled_from(["a", "b", "电", "表", ".", "[ab]", "[电表]", "(a|b)", "(电表|表)", "(a|)",
                          "$", "^", "\\d"])


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["atom", "atom", "repeat", "group", "alt"] if depth < 2
                                    else ["atom"]))
        if kind == "atom":
            parts.append(draw(_ATOMS))
        elif kind == "repeat":
            parts.append(draw(_ATOMS).rstrip("$^") or "a")
            parts[-1] += draw(st.sampled_from(["?", "*", "+", "{0,2}", "{1,3}", "{2}"]))
        elif kind == "group":
            parts.append(f"({draw(_patterns(depth + 1))})")
        else:
            parts.append(f"({draw(_patterns(depth + 1))}|{draw(_patterns(depth + 1))})")
    return "".join(parts)


@settings(max_examples=600, deadline=None)
@given(pattern=_patterns(), text=st.text(alphabet="ab电表c1", max_size=12))
def test_every_match_of_a_pattern_contains_one_of_its_literals(pattern: str, text: str) -> None:
    from bizroute.conditions import compile_regex
    from bizroute.index import regex_literals

    literals = regex_literals(pattern)
    if literals is not None and compile_regex(pattern).search(text) is not None:
        assert any(lit in text for lit in literals), (pattern, text, literals)


@pytest.mark.parametrize(("pattern", "literals"), [
    ("abc", {"abc"}),
    ("(要|想)(给.{0,8})?(安装|装)[表錶]电", {"安装表电", "安装錶电", "装表电", "装錶电"}),
    ("(电表|表箱).{0,4}(移|挪)", {"电表", "表箱"}),
    ("a(b|)c", {"abc", "ac"}),
    ("(?i)abc", None), ("x?", None), ("\\d+", None), ("[一-龥]+", None), ("a|.", None),
])
def test_the_literals_of_a_pattern(pattern: str, literals: set[str] | None) -> None:
    from bizroute.index import regex_literals

    found = regex_literals(pattern)
    assert (set(found) if found is not None else None) == literals
