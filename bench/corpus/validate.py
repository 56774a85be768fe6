"""Check the evaluation corpus files (评测语料校验) and print what they hold.

Usage::

    python bench/corpus/validate.py bench/corpus/dev [--prefix D-]
    python bench/corpus/validate.py FILE.jsonl ... [--min-category 0 --min-voices 0 --min-scope 0]

Each argument is a ``*.jsonl`` file or a folder (its ``*.jsonl`` files, not recursive); with no
argument every ``*.jsonl`` under ``bench/corpus/`` is read. Standard library only, so it runs
before the package is installed.

Every line must be one JSON object with exactly ``id``, ``voice``, ``kind``, ``request`` and
``expect``, shaped as the corpus rules say:

* ``id`` unique over all files read (and starting with ``--prefix`` when given);
* ``voice`` and ``kind`` from the allowed lists; a file named after a voice holds only that voice;
* ``request``: a non-empty ``description`` and only the counter system's fields, with their
  types and enum values; ``intent`` (the clerk's pick) only in ``pick`` records, given as an
  intent id, a category id, a category's Chinese name or a State Grid business-type code;
* ``expect``: one of the four shapes (decided / needs_info / out_of_scope / multiple), category
  ids from the corpus list, plus ``pick`` (``agrees``/``conflicts``) exactly in ``pick`` records;
  the kinds ``out_of_scope``, ``needs_info`` and ``two_in_one`` go with their status.

Across the files: no two descriptions may be equal after dropping punctuation, spaces and case
(an error); pairs whose character bigrams overlap heavily are listed as warnings. Every category
must appear at least ``--min-category`` times (as ``category`` or in ``categories``) in at least
``--min-voices`` voices, every scope id at least ``--min-scope`` times.

Prints counts by voice x kind, by category, by status, scope, ask and pick; errors as
``file:line: message``. Exit status 1 when there are errors, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

VOICES = ("counter", "phone", "clerk", "ticket", "app")
KINDS = (
    "named",
    "situation",
    "shorthand",
    "side_clause",
    "negation",
    "typo",
    "numbers",
    "english",
    "two_in_one",
    "out_of_scope",
    "needs_info",
    "pick",
)

# The category list of the corpus rules (the source of truth), with each category's Chinese name
# and its State Grid business-type code(s) from rules/categories (bus_type; bus_categ only where a
# category has no bus_type of its own). bill_refund is not in the pack yet and has no code.
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lv_residential_new": ("低压居民新装", ("010301",)),
    "lv_residential_increase": ("低压居民增容", ("010302",)),
    "lv_non_residential_new": ("低压非居民新装", ("010202",)),
    "lv_non_residential_increase": ("低压非居民增容", ("010203",)),
    "hv_new": ("高压新装", ("010101",)),
    "hv_increase": ("高压增容", ("010102",)),
    "lv_metered_temporary": ("低压装表临时用电", ("010201",)),
    "hv_metered_temporary": ("高压装表临时用电", ("010103",)),
    "unmetered_temporary_new": ("无表临时用电新装", ("010601",)),
    "temporary_extension": ("临时用电延期", ("0213",)),
    "lv_ev_charger_new": ("低压充电桩新装", ("011101",)),
    "lv_distributed_gen_new": ("低压分布式电源新装", ("040201",)),
    "hv_distributed_gen_new": ("高压分布式电源新装", ("040101",)),
    "capacity_reduction": ("减容", ("020101",)),
    "capacity_reduction_restore": ("减容恢复", ("020201",)),
    "suspension": ("暂停", ("020301",)),
    "suspension_restore": ("暂停恢复", ("020501",)),
    "meter_relocation": ("移表", ("020601",)),
    "temporary_removal": ("暂拆", ("020701",)),
    "reinstallation": ("复装", ("020801",)),
    "rename": ("更名", ("020901",)),
    "transfer": ("过户", ("021001",)),
    "tariff_class_change": ("改类", ("021101",)),
    "account_closure": ("销户", ("021201",)),
    "voltage_change": ("改压", ("021501",)),
    "transformer_temp_swap": ("暂换", ("021601",)),
    "transformer_temp_swap_restore": ("暂换恢复", ("021603",)),
    "account_merge": ("并户", ("021801",)),
    "account_split": ("分户", ("021901",)),
    "site_relocation": ("迁址", ("0221",)),
    "meter_test_request": ("申请校验", ("030701",)),
    "metering_fault": ("计量设备故障处理", ("030801",)),
    "residential_tou_change": ("居民峰谷电变更", ("030501",)),
    "multi_person_tier_apply": ("一户多人口阶梯基数申请", ("033301",)),
    "vat_info_update": ("增值税信息维护", ("030401",)),
    "payment_method_change": ("交费方式变更", ("031404",)),
    "basic_info_update": ("客户基础信息维护", ("030201",)),
    "reading_abnormal": ("抄表数据异常", ()),
    "bill_payment": ("电费缴纳", ()),
    "bill_refund": ("电费退补", ()),
    "fault_repair": ("故障报修", ()),
    "complaint": ("投诉", ()),
    "report": ("举报", ()),
    "opinion": ("意见", ()),
    "suggestion": ("建议", ()),
    "praise": ("表扬", ()),
    "consultation": ("咨询", ()),
    "arrears_reconnect": ("欠费复电登记", ()),
    "appliance_damage": ("电器损坏", ()),
}

SCOPES = ("water", "gas", "heating", "telecom", "property", "dispute", "other_gov")

# The intent ids of rules/pack.yaml (field ``intent``).
INTENT_IDS = frozenset(
    (
        "new_connection",
        "capacity_increase",
        "temporary",
        "temporary_extension",
        "ev_charger",
        "distributed_pv",
        "reduce_capacity",
        "reduce_capacity_restore",
        "suspend",
        "suspend_restore",
        "relocate_meter",
        "temp_removal",
        "reinstall",
        "rename",
        "transfer",
        "change_class",
        "close_account",
        "change_voltage",
        "temp_swap",
        "temp_swap_restore",
        "merge",
        "split",
        "relocate_site",
        "meter_test",
        "meter_fault",
        "tou_change",
        "multi_person",
        "vat_info",
        "payment_method",
        "basic_info",
        "reading_abnormal",
        "bill_payment",
        "fault",
        "complaint",
        "report",
        "opinion",
        "suggestion",
        "praise",
        "consult",
        "reconnect",
        "appliance_damage",
    )
)

PICK_VALUES = (
    INTENT_IDS
    | frozenset(CATEGORIES)
    | frozenset(name for name, _ in CATEGORIES.values())
    | frozenset(code for _, codes in CATEGORIES.values() for code in codes)
)

# Documents of rules/catalogue/documents.yaml.
DOCUMENTS = frozenset(
    (
        "id_card",
        "business_license",
        "legal_rep_id",
        "agent_id",
        "power_of_attorney",
        "household_register",
        "application_form",
        "change_application",
        "suspension_form",
        "service_application",
        "grid_connection_form",
        "property_proof",
        "property_change_proof",
        "account_proof",
        "equipment_list",
        "equipment_invoice",
        "affected_equipment_list",
        "project_approval",
        "land_red_line_map",
        "backup_power_statement",
        "construction_permit",
        "electrician_certificate",
        "parking_space_proof",
        "property_management_consent",
        "vehicle_proof",
        "pv_implementation_plan",
        "pv_project_filing",
        "roof_load_proof",
        "bank_account",
        "payment_receipt",
        "vat_information",
    )
)

# Request fields: nested path -> kind ("text", "number", "bool", "datetime", "documents", "pick")
# or the tuple of allowed enum values.
FIELDS: dict[str, str | tuple[str, ...]] = {
    "description": "text",
    "intent": "pick",
    "customer.type": ("residential", "non_residential"),
    "customer.temporary": ("metered", "unmetered", "permanent"),
    "supply.voltage_kv": "number",
    "supply.capacity_kva": "number",
    "supply.dual_source": "bool",
    "site.same_supply_point": "bool",
    "request.beyond_original_capacity": "bool",
    "request.owner_changed": "bool",
    "applicant.agent": "bool",
    "area": ("urban", "rural", "remote"),
    "channel": ("counter", "hotline", "app", "online"),
    "documents_presented": "documents",
    "received_at": "datetime",
}
GROUPS = frozenset(path.split(".")[0] for path in FIELDS if "." in path)
ASKABLE = frozenset(path for path in FIELDS if path not in {"description", "intent"})

RECORD_KEYS = ("id", "voice", "kind", "request", "expect")
EXPECT_KEYS = {
    "decided": {"status", "category"},
    "needs_info": {"status", "ask", "among"},
    "out_of_scope": {"status", "scope"},
    "multiple": {"status", "categories"},
}
KIND_STATUS = {"out_of_scope": "out_of_scope", "needs_info": "needs_info", "two_in_one": "multiple"}

SHORTEST, LONGEST = 4, 80
_DROP = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class Record:
    path: Path
    line: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")


def printable(text: str) -> str:
    """Text from the files, safe for a terminal: control characters are escaped."""
    return "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}" for ch in text)


def normalised(text: str) -> str:
    """The description as compared for duplicates: NFKC, lower case, no punctuation or spaces."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def corpus_files(arguments: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{argument}: no such file or folder")
    return files


def read_records(path: Path, report: Report) -> Iterator[Record]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.error(str(path), f"cannot read as UTF-8 ({exc})")
        return
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        if not line.strip():
            report.error(where, "empty line")
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            report.error(f"{where}:{exc.colno}", f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            report.error(where, "expected a JSON object")
            continue
        yield Record(path, number, data)


def flatten(request: dict[str, Any], where: str, report: Report) -> dict[str, Any]:
    """The request's fields by dotted path; unknown or misplaced fields are errors."""
    flat: dict[str, Any] = {}
    for key, value in request.items():
        if key in GROUPS:
            if not isinstance(value, dict) or not value:
                report.error(where, f"request.{key}: expected a non-empty object")
                continue
            for inner, inner_value in value.items():
                path = f"{key}.{inner}"
                if path not in FIELDS:
                    report.error(where, f"request.{path}: unknown field")
                else:
                    flat[path] = inner_value
        elif key in FIELDS:
            flat[key] = value
        else:
            report.error(where, f"request.{key}: unknown field")
    return flat


def check_value(path: str, value: Any, where: str, report: Report) -> None:
    spec = FIELDS[path]
    label = f"request.{path}"
    if isinstance(spec, tuple):
        if value not in spec:
            report.error(where, f"{label}: {value!r} is not one of {', '.join(spec)}")
    elif spec == "text":
        if not isinstance(value, str) or not value.strip():
            report.error(where, f"{label}: expected non-empty text")
    elif spec == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            report.error(where, f"{label}: expected a non-negative number")
    elif spec == "bool":
        if not isinstance(value, bool):
            report.error(where, f"{label}: expected true or false")
    elif spec == "datetime":
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            report.error(where, f"{label}: expected an ISO date-time")
    elif spec == "documents":
        if not isinstance(value, list) or not value:
            report.error(where, f"{label}: expected a non-empty list of document ids")
        else:
            for item in value:
                if item not in DOCUMENTS:
                    report.error(where, f"{label}: unknown document {item!r}")
            if len(set(map(str, value))) != len(value):
                report.error(where, f"{label}: a document is listed twice")
    elif spec == "pick" and value not in PICK_VALUES:
        report.error(
            where,
            f"{label}: {value!r} is not an intent id, category id, category name or business-type code",
        )


def check_categories(values: Any, where: str, label: str, report: Report) -> list[str]:
    if not isinstance(values, list) or len(values) < 2:
        report.error(where, f"expect.{label}: expected a list of at least two category ids")
        return []
    if len(set(map(str, values))) != len(values):
        report.error(where, f"expect.{label}: a category is listed twice")
    for value in values:
        if value not in CATEGORIES:
            report.error(where, f"expect.{label}: unknown category {value!r}")
    return [value for value in values if value in CATEGORIES]


def check_expect(record: Record, report: Report) -> None:
    expect = record.data["expect"]
    where = record.where
    if not isinstance(expect, dict):
        report.error(where, "expect: expected an object")
        return
    status = expect.get("status")
    if status not in EXPECT_KEYS:
        report.error(where, f"expect.status: {status!r} is not one of {', '.join(EXPECT_KEYS)}")
        return
    is_pick = record.data.get("kind") == "pick"
    wanted = EXPECT_KEYS[status] | ({"pick"} if is_pick else set())
    keys = set(expect)
    for key in sorted(keys - wanted):
        report.error(
            where,
            f"expect.{key}: not part of the {status} shape" + ("" if key != "pick" else " outside kind pick"),
        )
    for key in sorted(wanted - keys):
        report.error(where, f"expect.{key}: missing")
    if is_pick and "pick" in expect and expect["pick"] not in ("agrees", "conflicts"):
        report.error(where, "expect.pick: expected agrees or conflicts")
    if status == "decided" and "category" in expect and expect["category"] not in CATEGORIES:
        report.error(where, f"expect.category: unknown category {expect['category']!r}")
    elif status == "out_of_scope" and "scope" in expect and expect["scope"] not in SCOPES:
        report.error(where, f"expect.scope: {expect['scope']!r} is not one of {', '.join(SCOPES)}")
    elif status == "multiple" and "categories" in expect:
        check_categories(expect["categories"], where, "categories", report)
    elif status == "needs_info":
        if "among" in expect:
            check_categories(expect["among"], where, "among", report)
        ask = expect.get("ask")
        if "ask" in expect and (not isinstance(ask, list) or not ask):
            report.error(where, "expect.ask: expected a non-empty list of field paths")
        elif isinstance(ask, list):
            for item in ask:
                if item not in ASKABLE:
                    report.error(where, f"expect.ask: {item!r} is not a request field that can be asked")


def check_record(record: Record, report: Report, seen: dict[str, str], prefix: str | None) -> None:
    data, where = record.data, record.where
    keys = set(data)
    for key in sorted(keys - set(RECORD_KEYS)):
        report.error(where, f"{key}: unknown key")
    missing = [key for key in RECORD_KEYS if key not in data]
    if missing:
        report.error(where, f"missing {', '.join(missing)}")
        return
    ident = data["id"]
    if not isinstance(ident, str) or not ident:
        report.error(where, "id: expected a non-empty string")
    else:
        if ident in seen:
            report.error(where, f"id {printable(ident)} already used at {seen[ident]}")
        seen.setdefault(ident, where)
        if prefix and not ident.startswith(prefix):
            report.error(where, f"id {printable(ident)} does not start with {prefix}")
    voice, kind = data["voice"], data["kind"]
    if voice not in VOICES:
        report.error(where, f"voice: {voice!r} is not one of {', '.join(VOICES)}")
    elif record.path.stem in VOICES and voice != record.path.stem:
        report.error(where, f"voice {voice} in the file of voice {record.path.stem}")
    if kind not in KINDS:
        report.error(where, f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    request = data["request"]
    if not isinstance(request, dict):
        report.error(where, "request: expected an object")
    else:
        flat = flatten(request, where, report)
        if "description" not in flat:
            report.error(where, "request.description: missing")
        for path, value in flat.items():
            check_value(path, value, where, report)
        if ("intent" in flat) != (kind == "pick"):
            report.error(where, "request.intent: present exactly in records of kind pick")
        description = flat.get("description")
        if isinstance(description, str) and not SHORTEST <= len(description) <= LONGEST:
            report.warn(where, f"description has {len(description)} characters (wanted {SHORTEST}-{LONGEST})")
    check_expect(record, report)
    status = data["expect"].get("status") if isinstance(data["expect"], dict) else None
    if kind in KIND_STATUS and status != KIND_STATUS[kind]:
        report.error(where, f"kind {kind} goes with status {KIND_STATUS[kind]}, not {status}")
    for kind_of_status in (k for k, s in KIND_STATUS.items() if s == status):
        if kind not in (kind_of_status, "pick"):
            report.error(where, f"status {status} goes with kind {kind_of_status} (or pick), not {kind}")


def description_of(record: Record) -> str:
    request = record.data.get("request")
    value = request.get("description") if isinstance(request, dict) else None
    return value if isinstance(value, str) else ""


def bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def check_duplicates(records: list[Record], report: Report, similar: float) -> None:
    by_text: dict[str, Record] = {}
    for record in records:
        key = normalised(description_of(record))
        if not key:
            continue
        if key in by_text:
            report.error(record.where, f"description duplicates the one at {by_text[key].where}")
        else:
            by_text[key] = record
    if similar >= 1:
        return
    grams = [(record, bigrams(normalised(description_of(record)))) for record in by_text.values()]
    index: dict[str, list[int]] = defaultdict(list)
    for number, (_, gram) in enumerate(grams):
        for item in gram:
            index[item].append(number)
    shared: Counter[tuple[int, int]] = Counter()
    for numbers in index.values():
        if len(numbers) <= 200:  # very common bigrams say nothing about a pair
            shared.update(combinations(numbers, 2))
    for (a, b), common in shared.items():
        left, right = grams[a][1], grams[b][1]
        if common / len(left | right) >= similar:
            report.warn(
                grams[b][0].where,
                f"description close to the one at {grams[a][0].where}: "
                f"{printable(description_of(grams[a][0]))} / {printable(description_of(grams[b][0]))}",
            )


def table(rows: list[list[str]]) -> str:
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths, strict=True)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def category_uses(data: dict[str, Any]) -> list[str]:
    expect = data.get("expect")
    if not isinstance(expect, dict):
        return []
    if expect.get("status") == "decided" and expect.get("category") in CATEGORIES:
        return [expect["category"]]
    if expect.get("status") == "multiple" and isinstance(expect.get("categories"), list):
        return [c for c in expect["categories"] if c in CATEGORIES]
    return []


def summarise(report: Report, min_category: int, min_voices: int, min_scope: int) -> str:
    records = [r.data for r in report.records]
    total = len(records)
    voices = [v for v in VOICES if any(r.get("voice") == v for r in records)]
    grid: Counter[tuple[str, str]] = Counter((str(r.get("voice")), str(r.get("kind"))) for r in records)
    rows = [["kind", *voices, "total", "%"]]
    for kind in KINDS:
        counts = [grid[(v, kind)] for v in voices]
        rows.append([kind, *map(str, counts), str(sum(counts)), f"{100 * sum(counts) / max(total, 1):.1f}"])
    per_voice = [sum(grid[(v, k)] for k in KINDS) for v in voices]
    rows.append(["total", *map(str, per_voice), str(total), "100.0"])
    parts = [f"{total} records\n\nby voice x kind\n" + table(rows)]

    uses: Counter[str] = Counter()
    use_voices: dict[str, set[str]] = defaultdict(set)
    among: Counter[str] = Counter()
    for r in records:
        for category in category_uses(r):
            uses[category] += 1
            use_voices[category].add(str(r.get("voice")))
        expect = r.get("expect")
        if isinstance(expect, dict) and isinstance(expect.get("among"), list):
            among.update(c for c in expect["among"] if c in CATEGORIES)
    rows = [["category", "name", "count", "voices", "among"]]
    for category, (name, _) in CATEGORIES.items():
        rows.append(
            [category, name, str(uses[category]), str(len(use_voices[category])), str(among[category])]
        )
        if uses[category] < min_category or len(use_voices[category]) < min_voices:
            report.errors.append(
                f"coverage: {category} appears {uses[category]} times in {len(use_voices[category])} voices "
                f"(wanted at least {min_category} in {min_voices})"
            )
    parts.append("by category (decided or multiple; among = named in a needs_info)\n" + table(rows))

    def counted(title: str, counter: Counter[str], order: Iterable[str]) -> str:
        return f"{title}: " + ", ".join(f"{key} {counter[key]}" for key in order if counter[key])

    expects = [r["expect"] for r in records if isinstance(r.get("expect"), dict)]
    statuses = Counter(str(e.get("status")) for e in expects)
    scopes = Counter(str(e.get("scope")) for e in expects if e.get("status") == "out_of_scope")
    asks = Counter(str(a) for e in expects if isinstance(e.get("ask"), list) for a in e["ask"])
    picks = Counter(str(e.get("pick")) for e in expects if "pick" in e)
    for scope in SCOPES:
        if scopes[scope] < min_scope:
            report.errors.append(
                f"coverage: scope {scope} appears {scopes[scope]} times (wanted {min_scope})"
            )
    parts.append(
        "\n".join(
            [
                counted("by status", statuses, EXPECT_KEYS),
                counted("by scope", scopes, SCOPES),
                counted("needs_info asks", asks, sorted(asks)),
                counted("picks", picks, ("agrees", "conflicts")),
            ]
        )
    )
    lengths = sorted(len(description_of(r)) for r in report.records)
    if lengths:
        parts.append(
            f"description length: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}"
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the evaluation corpus files.")
    parser.add_argument("paths", nargs="*", help="*.jsonl files or folders (default: all under bench/corpus)")
    parser.add_argument("--prefix", help="every id must start with this")
    parser.add_argument("--min-category", type=int, default=8, help="least uses of each category (default 8)")
    parser.add_argument("--min-voices", type=int, default=3, help="least voices per category (default 3)")
    parser.add_argument("--min-scope", type=int, default=6, help="least uses of each scope id (default 6)")
    parser.add_argument(
        "--similar",
        type=float,
        default=0.8,
        help="warn about description pairs whose bigram overlap (Jaccard) reaches this "
        "(default 0.8; 1 = off)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors and warnings")
    args = parser.parse_args(argv)
    try:
        files = corpus_files(args.paths) if args.paths else sorted(HERE.rglob("*.jsonl"))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not files:
        print("error: no *.jsonl files found", file=sys.stderr)
        return 2
    report = Report()
    seen: dict[str, str] = {}
    for path in files:
        for record in read_records(path, report):
            report.records.append(record)
            check_record(record, report, seen, args.prefix)
    check_duplicates(report.records, report, args.similar)
    summary = summarise(report, args.min_category, args.min_voices, args.min_scope)
    if not args.quiet:
        print(summary)
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    print(
        f"\n{len(files)} files, {len(report.records)} records, "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
