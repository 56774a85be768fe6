"""The corpus scorer names each outcome as bench/corpus_accuracy.py documents."""

from __future__ import annotations

from typing import Any

import pytest
from bench.corpus_accuracy import outcome

DECIDED = {"status": "decided", "category": "transfer"}
NEEDS = {"status": "needs_info", "ask": ["request.owner_changed"], "among": ["rename", "transfer"]}
SCOPE = {"status": "out_of_scope", "scope": "water"}
TWO = {"status": "multiple", "categories": ["lv_ev_charger_new", "lv_distributed_gen_new"]}
PICK = {**DECIDED, "pick": "conflicts"}


def d(status: str, category: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"status": status, "category": {"id": category} if category else None, **extra}


def cands(*ids: str) -> list[dict[str, str]]:
    return [{"category": i} for i in ids]


@pytest.mark.parametrize(("expect", "decision", "want"), [
    (DECIDED, d("decided", "transfer"), "right"),
    (DECIDED, d("decided", "rename"), "wrong"),
    (DECIDED, d("out_of_scope", scope={"id": "water"}), "wrong"),
    (DECIDED, d("ambiguous", candidates=cands("rename", "transfer")), "asked"),
    (DECIDED, d("needs_info", candidates=cands("transfer")), "asked"),
    (DECIDED, d("unmatched"), "unmatched"),
    (DECIDED, d("error"), "error"),
    (PICK, d("ambiguous", candidates=cands("rename", "transfer")), "right"),
    (PICK, d("ambiguous", candidates=cands("rename", "account_closure")), "asked"),
    (PICK, d("decided", "rename"), "wrong"),
    (NEEDS, d("needs_info", questions=[{"field": "request.owner_changed"}]), "right"),
    (NEEDS, d("needs_info", questions=[{"field": "customer.type"}]), "asked"),
    (NEEDS, d("decided", "transfer"), "wrong"),
    (NEEDS, d("unmatched"), "unmatched"),
    (SCOPE, d("out_of_scope", scope={"id": "gas"}), "right"),
    (SCOPE, d("decided", "transfer"), "wrong"),
    (SCOPE, d("unmatched"), "unmatched"),
    (TWO, d("decided", "lv_ev_charger_new", also=[{"category": "lv_distributed_gen_new"}]), "right"),
    (TWO, d("ambiguous", candidates=cands("lv_ev_charger_new", "lv_distributed_gen_new")), "right"),
    (TWO, d("decided", "lv_ev_charger_new"), "wrong"),
    (TWO, d("needs_info", candidates=cands("lv_ev_charger_new")), "asked"),
])
def test_each_decision_gets_the_documented_outcome(expect: dict[str, Any], decision: dict[str, Any],
                                                   want: str) -> None:
    assert outcome(expect, decision) == want
