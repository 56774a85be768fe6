"""Properties of classification, checked with hypothesis on the minimal pack.

- decisions are deterministic;
- the order of pack files, and of rules within a file, never changes a decision;
- adding a field that no rule tests never changes a decision.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bizroute import Pack, load_pack
from tests.conftest import PACKS

MINIMAL = PACKS / "valid" / "minimal"
WORDS = ["没电", "停电", "新装", "装表", "销户", "不是", "没有", "不用电了", "跳闸", "你好", "，", "要"]

requests = st.fixed_dictionaries(
    {},
    optional={
        "description": st.lists(st.sampled_from(WORDS), max_size=6).map("".join),
        "intent": st.sampled_from(["new", "fault", "close"]),
        "customer": st.fixed_dictionaries({}, optional={
            "type": st.sampled_from(["residential", "non_residential"])}),
        "supply": st.fixed_dictionaries({}, optional={
            "capacity_kva": st.integers(min_value=0, max_value=400)}),
        "documents_presented": st.lists(st.sampled_from(["id_card", "licence", "property"]),
                                        unique=True),
        "received_at": st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)).map(
            lambda d: d.isoformat()),
    },
)


def _comparable(pack: Pack, request: dict[str, Any]) -> dict[str, Any]:
    data = pack.classify(request).to_dict()
    data.pop("pack")  # the digest names the files, which the reordering changes
    return data


def _shuffled_copy(target: Path, seed: int) -> Path:
    """The minimal pack split into one file per section, rules shuffled, files renamed."""
    yaml = YAML(typ="rt")
    data = yaml.load((MINIMAL / "pack.yaml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    rules = list(data["rules"])
    rng.shuffle(rules)
    data["rules"] = rules
    sections = list(data)
    rng.shuffle(sections)
    target.mkdir()
    for i, section in enumerate(sections):
        with (target / f"{rng.randrange(10**6):06d}-{i}.yaml").open("w", encoding="utf-8") as fh:
            yaml.dump({section: data[section]}, fh)
    return target


@pytest.fixture(scope="module")
def reordered(tmp_path_factory: pytest.TempPathFactory) -> list[Pack]:
    return [load_pack(_shuffled_copy(tmp_path_factory.mktemp("r") / "pack", seed))
            for seed in range(3)]


@settings(max_examples=150, deadline=None)
@given(requests)
def test_classification_is_deterministic(minimal_pack: Pack, request: dict[str, Any]) -> None:
    assert minimal_pack.classify(request).to_dict() == minimal_pack.classify(request).to_dict()


@settings(max_examples=150, deadline=None)
@given(requests)
def test_file_and_rule_order_do_not_change_decisions(minimal_pack: Pack, reordered: list[Pack],
                                                     request: dict[str, Any]) -> None:
    expected = _comparable(minimal_pack, request)
    for pack in reordered:
        assert _comparable(pack, request) == expected


@settings(max_examples=150, deadline=None)
@given(requests, st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=5)),
       st.sampled_from(["urban", "rural", "remote"]))
def test_a_field_no_rule_tests_changes_nothing(minimal_pack: Pack, request: dict[str, Any],
                                               name: str, value: Any, area: str) -> None:
    # 'area' is declared but tested by no rule; the others are not declared at all
    extra = {**request, "area": area, f"x_{name}": value,
             "customer": {**request.get("customer", {}), "nickname": value}}
    assert _comparable(minimal_pack, extra) == _comparable(minimal_pack, request)


def test_shuffled_copy_really_reorders(tmp_path: Path) -> None:
    copy = _shuffled_copy(tmp_path / "p", 1)
    assert len(list(copy.glob("*.yaml"))) > 1
    shutil.rmtree(copy)


def test_one_pack_serves_many_threads_alike(minimal_pack: Pack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    batch = [{"description": w, "customer": {"type": "residential"}, "supply": {"capacity_kva": i}}
             for i, w in enumerate(WORDS * 20)]
    alone = [minimal_pack.classify(r).to_dict() for r in batch]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda r: minimal_pack.classify(r).to_dict(), batch))
    assert together == alone
