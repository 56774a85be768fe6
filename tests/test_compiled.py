"""The fast paths of classification give what the node walks they replace give.

``conditions.compile_node`` (a rule's condition as one function), ``engine._trace_checks`` (the
explanation's checks built in the trace walk) and ``index.held_first`` (the why-not walk that
also finds the first failed test) are each compared with :meth:`Node.evaluate` and
:meth:`Node.trace` on every rule of the minimal, default and synthetic packs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.synthetic import write_pack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizroute import Pack, load_pack
from bizroute.conditions import LeafResult, compile_node
from bizroute.decision import Check
from bizroute.engine import _trace_checks
from bizroute.errors import InputError
from bizroute.index import held_first
from tests.test_index import _default_requests, synthetic_requests
from tests.test_properties import requests as minimal_requests


def _agree(pack: Pack, request: dict[str, Any]) -> None:
    try:
        facts = pack.facts(request)
    except InputError:
        return
    labels = {path: spec.label for path, spec in pack.fields.items()}
    for rule in pack.rules:
        want = rule.node.evaluate(facts)
        assert rule.evaluate(facts) is want, rule.id
        assert compile_node(rule.node)(facts) is want, rule.id
        trace: list[LeafResult] = []
        assert rule.node.trace(facts, trace) is want
        checks: list[Check] = []
        assert _trace_checks(rule.node, facts, checks, labels) is want
        assert checks == [Check(r.path, r.field, labels[r.field], r.test, r.value, r.result,
                                r.matched) for r in trace], rule.id
        value, _held, _failed, first = held_first(rule.node, facts)
        assert value is want
        shown_failed = next((r for r in trace if r.result is False), None)
        if shown_failed is None:
            assert first is None, rule.id
        else:
            assert first is not None, rule.id
            leaf, negations = first
            assert (leaf.path, leaf.field_name) == (shown_failed.path, shown_failed.field)
            assert shown_failed.test.count("not (") == negations + leaf.describe.count("not (")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minimal_requests)
def test_fast_paths_agree_with_the_node_walks_on_the_minimal_pack(
        minimal_pack: Pack, request: dict[str, Any]) -> None:
    _agree(minimal_pack, request)


@pytest.fixture(scope="module")
def default_pack() -> Pack:
    return load_pack()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fast_paths_agree_with_the_node_walks_on_the_default_pack(
        default_pack: Pack, data: st.DataObject) -> None:
    _agree(default_pack, data.draw(_default_requests(default_pack)))


@pytest.fixture(scope="module")
def synthetic_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_pack(write_pack(Path(tmp_path_factory.mktemp("synthetic")) / "pack", 300))


@settings(max_examples=200, deadline=None)
@given(synthetic_requests)
def test_fast_paths_agree_with_the_node_walks_on_a_synthetic_pack(
        synthetic_pack: Pack, request: dict[str, Any]) -> None:
    _agree(synthetic_pack, request)


def _carried_evidence(pack: Pack, rule_id: str, request: dict[str, Any]) -> bool:
    """Whether the rule's trace shows a test holding on a value the request carries (not an
    ``exists`` test, whose description says 'is given' or 'is not given')."""
    rule = next(r for r in pack.rules if r.id == rule_id)
    trace: list[LeafResult] = []
    rule.node.trace(pack.facts(request), trace)
    return any(r.result is True and r.value is not None and "given" not in r.test
               for r in trace)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_why_not_names_only_rules_with_a_test_holding_on_a_carried_value(
        default_pack: Pack, data: st.DataObject) -> None:
    request = data.draw(_default_requests(default_pack))
    try:
        decision = default_pack.classify(request)
    except InputError:
        return
    for why in decision.explanation.why_not:
        assert _carried_evidence(default_pack, why.rule, request), why


def test_the_fast_constructors_build_ordinary_frozen_instances() -> None:
    import dataclasses
    import datetime as dt

    from bizroute import decision as d

    check = d.make_check("when.all[0]", "intent", "受理意向", "intent = new", "new", True, None)
    assert type(check) is d.Check
    assert check == d.Check("when.all[0]", "intent", "受理意向", "intent = new", "new", True)
    assert hash(check) == hash(d.Check("when.all[0]", "intent", "受理意向", "intent = new",
                                       "new", True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.value = "other"  # type: ignore[misc]
    pack = d.PackRef("p", "1", "x")
    made = d.make_decision("unmatched", pack, dt.date(2025, 1, 1), None, None, (), (), (), (),
                           (), (), None, d.make_explanation((), ()), None, (), None, None, ())
    assert made == d.Decision("unmatched", pack, dt.date(2025, 1, 1))
    assert made.to_dict() == d.Decision("unmatched", pack, dt.date(2025, 1, 1)).to_dict()
    assert dataclasses.replace(made, status="decided").status == "decided"
    for maker, cls in [(d.make_answer, d.Answer), (d.make_why_not, d.WhyNot),
                       (d.make_rule_explanation, d.RuleExplanation)]:
        values = [f"v{i}" for i in range(len(dataclasses.fields(cls)))]
        assert maker(*values) == cls(*values)
