"""Seeded synthetic rule packs and requests for the benchmarks.

``write_pack(directory, n_rules, seed=0)`` writes a pack of exactly ``n_rules`` rules over
intent, customer type, channel, supply voltage and capacity ranges and description keywords;
``requests(n, seed=0, n_rules=...)`` yields requests that mention the keywords of that pack.
The same ``(n_rules, seed)`` always gives the same pack and the same requests, so runs compare.

Shape of a pack of N rules (see docs/performance.md):

* one fallback rule per intent (priority 0): ``intent = X`` leads to that intent's category;
* every other rule (priority 10, 20 or 30) needs the description to mention one of its own
  vocabulary's terms (2 or 3 pseudo-words of 2-3 Chinese characters), and, at random, an intent
  among one or two values, a customer type, a channel, a capacity range and a voltage bound.

Requests carry each structured field with some probability (so some decisions need more
information), and a description of filler words with one or two keywords of random rules,
sometimes negated (不是…).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INTENTS = ("new_connection", "capacity_increase", "reduce_capacity", "suspend", "resume",
           "transfer", "rename", "close", "fault", "meter", "billing", "complaint")
CUSTOMER_TYPES = ("residential", "non_residential", "agricultural", "public")
CHANNELS = ("counter", "online", "phone_95598", "app", "wechat")
VOLTAGES = (0.22, 0.38, 10, 35, 110)
CAPACITY_EDGES = (0, 8, 16, 50, 100, 160, 315, 630, 1000, 2000, 5000)
# keyword characters: common characters that are not negation cues nor in the filler text
_TERM_CHARS = ("电表箱线柜杆站网费价量峰谷光伏桩充储热泵灯路园厂店铺楼栋村镇街巷区港仓库棚"
               "井泵站场馆校院所局队班组户名址证件照章印签单票据额度档期月季年时段点号码卡"
               "闸刀阀保险丝漏插座头板灶炉机车船塔桥堤坝渠塘")
_FILLER = ("您好", "请问", "我家", "想办理", "一下", "麻烦", "谢谢", "这边", "那个", "尽快",
           "我们", "公司", "门口", "最近", "今天", "帮忙", "看看", "处理")
_NEGATION = "不是"


@dataclass(frozen=True)
class SyntheticRule:
    """One generated rule, in a form both the pack writer and the JDM builder read."""

    id: str
    category: str
    priority: int
    terms: tuple[str, ...]  # empty for fallback rules
    intents: tuple[str, ...] | None
    customer_type: str | None
    channels: tuple[str, ...] | None
    capacity: tuple[int, int] | None  # [lo, hi)
    voltage_min: float | None  # voltage >= this


def _terms(rng: random.Random, used: set[str], k: int) -> tuple[str, ...]:
    out = []
    while len(out) < k:
        term = "".join(rng.choice(_TERM_CHARS) for _ in range(rng.choice((2, 3, 3))))
        if term not in used:
            used.add(term)
            out.append(term)
    return tuple(out)


def generate_rules(n_rules: int, seed: int = 0) -> list[SyntheticRule]:
    """The rules of the pack ``write_pack(..., n_rules, seed)`` writes, in file order."""
    if n_rules < len(INTENTS) + 1:
        raise ValueError(f"a synthetic pack needs at least {len(INTENTS) + 1} rules")
    rng = random.Random(f"bizroute-synthetic-{seed}")
    used: set[str] = set()
    n_categories = max(len(INTENTS), n_rules // 10)
    rules: list[SyntheticRule] = []
    for i in range(n_rules - len(INTENTS)):
        lo_i = rng.randrange(len(CAPACITY_EDGES) - 1)
        hi_i = rng.randrange(lo_i + 1, len(CAPACITY_EDGES))
        rules.append(SyntheticRule(
            id=f"r{i:05d}",
            category=f"c{rng.randrange(n_categories):04d}",
            priority=rng.choice((10, 20, 30)),
            terms=_terms(rng, used, rng.choice((2, 3))),
            intents=tuple(sorted(rng.sample(INTENTS, rng.choice((1, 2)))))
            if rng.random() < 0.7 else None,
            customer_type=rng.choice(CUSTOMER_TYPES) if rng.random() < 0.5 else None,
            channels=tuple(sorted(rng.sample(CHANNELS, 2))) if rng.random() < 0.3 else None,
            capacity=(CAPACITY_EDGES[lo_i], CAPACITY_EDGES[hi_i]) if rng.random() < 0.4
            else None,
            voltage_min=rng.choice(VOLTAGES[1:]) if rng.random() < 0.3 else None,
        ))
    for k, intent in enumerate(INTENTS):
        rules.append(SyntheticRule(f"fallback_{intent}", f"c{k:04d}", 0, (), (intent,), None,
                                   None, None, None))
    return rules


def _when(rule: SyntheticRule) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if rule.terms:
        parts.append({"field": "description", "mentions": f"v_{rule.id}"})
    if rule.intents is not None:
        parts.append({"field": "intent", "in": list(rule.intents)} if len(rule.intents) > 1
                     else {"field": "intent", "eq": rule.intents[0]})
    if rule.customer_type is not None:
        parts.append({"field": "customer.type", "eq": rule.customer_type})
    if rule.channels is not None:
        parts.append({"field": "channel", "in": list(rule.channels)})
    if rule.capacity is not None:
        parts.append({"field": "supply.capacity_kva", "between": list(rule.capacity)})
    if rule.voltage_min is not None:
        parts.append({"field": "supply.voltage_kv", "gte": rule.voltage_min})
    return parts[0] if len(parts) == 1 else {"all": parts}


def _flow(value: Any) -> str:
    """JSON is valid YAML flow style; one object per line keeps the file readable."""
    return json.dumps(value, ensure_ascii=False)


def write_pack(directory: str | Path, n_rules: int, seed: int = 0) -> Path:
    """Write a synthetic pack of exactly ``n_rules`` rules into ``directory``; return it."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    rules = generate_rules(n_rules, seed)
    categories = sorted({r.category for r in rules})
    fields = {
        "description": {"type": "text", "label": "客户诉求", "label_en": "Customer's words",
                        "absent": "false"},
        "intent": {"type": "enum", "label": "受理意向", "label_en": "Intent",
                   "values": list(INTENTS), "absent": "false"},
        "customer.type": {"type": "enum", "label": "客户类型", "label_en": "Customer type",
                          "values": list(CUSTOMER_TYPES)},
        "channel": {"type": "enum", "label": "渠道", "label_en": "Channel",
                    "values": list(CHANNELS), "absent": "false"},
        "supply.voltage_kv": {"type": "number", "unit": "kV", "label": "供电电压",
                              "label_en": "Supply voltage"},
        "supply.capacity_kva": {"type": "number", "unit": "kVA", "label": "申请容量",
                                "label_en": "Capacity"},
        "documents_presented": {"type": "list", "values_from": "documents",
                                "label": "已提供资料", "label_en": "Documents presented"},
        "received_at": {"type": "datetime", "label": "受理时间", "label_en": "Received at"},
    }
    lines = [
        f"# Synthetic pack: {n_rules} rules, seed {seed}. Generated by bench/synthetic.py.",
        "pack:",
        f"  id: synthetic-{n_rules}-{seed}",
        "  name: 合成基准规则包",
        '  version: "1"',
        "  text:",
        "    negation_cues: [不是, 不要, 没有]",
        f"  fields: {_flow(fields)}",
        "sources:",
        "  - {id: synthetic, title: 合成依据}",
        "groups:",
        "  - {id: g_a, name: 甲组}",
        "  - {id: g_b, name: 乙组}",
        "documents:",
        "  - {id: id_card, name: 居民身份证}",
        "  - {id: licence, name: 营业执照}",
        "  - {id: property, name: 产权证明}",
        "departments:",
        "  - {id: counter, name: 营业厅, front_office: true}",
        "  - {id: install, name: 装表接电班}",
        "categories:",
    ]
    for k, cid in enumerate(categories):
        cat = {"id": cid, "name": f"合成类别{cid[1:]}", "name_en": f"Synthetic {cid}",
               "group": "g_a" if k % 2 == 0 else "g_b", "basis": [{"source": "synthetic"}],
               "documents": ["id_card", {"id": "licence",
                                         "when": {"field": "customer.type",
                                                  "eq": "non_residential"}}],
               "departments": ["counter", "install"]}
        lines.append(f"  - {_flow(cat)}")
    lines.append("vocabularies:")
    for rule in rules:
        if rule.terms:
            lines.append(f"  - {_flow({'id': f'v_{rule.id}', 'terms': list(rule.terms)})}")
    lines.append("rules:")
    for rule in rules:
        body = {"id": rule.id, "category": rule.category, "priority": rule.priority,
                "when": _when(rule)}
        lines.append(f"  - {_flow(body)}")
    (root / "pack.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def requests(n: int, seed: int = 0, n_rules: int = 300) -> Iterator[dict[str, Any]]:
    """``n`` seeded requests for the pack ``write_pack(..., n_rules, seed)``."""
    rules = [r for r in generate_rules(n_rules, seed) if r.terms]
    rng = random.Random(f"bizroute-requests-{seed}")
    start = dt.datetime(2025, 1, 1, 8, 30)
    for i in range(n):
        words = [rng.choice(_FILLER) for _ in range(rng.randrange(2, 6))]
        for _ in range(rng.choice((1, 1, 2))):
            rule = rng.choice(rules)
            term = rng.choice(rule.terms)
            words.insert(rng.randrange(len(words) + 1),
                         _NEGATION + term if rng.random() < 0.1 else term)
        request: dict[str, Any] = {"id": f"q{i:07d}", "description": "".join(words)}
        if rng.random() < 0.8:
            request["intent"] = rng.choice(INTENTS)
        if rng.random() < 0.85:
            request["customer"] = {"type": rng.choice(CUSTOMER_TYPES)}
        if rng.random() < 0.9:
            request["channel"] = rng.choice(CHANNELS)
        supply: dict[str, Any] = {}
        if rng.random() < 0.7:
            supply["capacity_kva"] = rng.choice((4, 8, 12, 30, 80, 120, 200, 400, 800, 1500))
        if rng.random() < 0.6:
            supply["voltage_kv"] = rng.choice(VOLTAGES)
        if supply:
            request["supply"] = supply
        if rng.random() < 0.5:
            request["documents_presented"] = rng.sample(("id_card", "licence", "property"),
                                                        rng.randrange(0, 3))
        received = start + dt.timedelta(minutes=rng.randrange(0, 600 * 24 * 60))
        request["received_at"] = received.isoformat(timespec="minutes")
        yield request


def write_requests(path: str | Path, n: int, seed: int = 0, n_rules: int = 300) -> Path:
    """Write ``requests(n, seed, n_rules)`` as JSON Lines."""
    out = Path(path)
    with out.open("w", encoding="utf-8") as stream:
        for request in requests(n, seed, n_rules):
            stream.write(json.dumps(request, ensure_ascii=False))
            stream.write("\n")
    return out
