"""The registry of finding codes: one stable code, a kebab-case name, a severity and docs each.

Codes are banded by kind:

======  ===========================================
BR0xx   loading and YAML
BR1xx   schema (the shape of pack objects)
BR2xx   references between pack objects
BR3xx   workflow graphs
BR4xx   rule semantics (overlap, shadowing, gaps)
BR5xx   example cases
BR6xx   input records
BR7xx   overlays (packs that extend another)
======  ===========================================

``bizroute rule CODE`` and docs/checks.md are generated from the entries here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    name: str
    severity: Severity
    summary: str
    why: str = ""
    bad: str = ""
    good: str = ""


REGISTRY: dict[str, CodeInfo] = {}


def register(info: CodeInfo) -> CodeInfo:
    if info.code in REGISTRY:
        raise ValueError(f"finding code {info.code} registered twice")
    REGISTRY[info.code] = info
    return info


def make_finding(
    code: str,
    message: str,
    file: str,
    line: int,
    column: int,
    *,
    object_id: str | None = None,
    path: str | None = None,
    end_line: int | None = None,
    end_column: int | None = None,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """Build a finding for a registered code (its name and default severity come from here)."""
    info = REGISTRY[code]
    return Finding(
        file=file,
        line=line,
        column=column,
        code=code,
        name=info.name,
        severity=severity or info.severity,
        message=message,
        object_id=object_id,
        path=path,
        end_line=end_line,
        end_column=end_column,
        hint=hint,
    )


def _r(code: str, name: str, severity: Severity, summary: str, why: str, bad: str = "",
       good: str = "") -> None:
    register(CodeInfo(code, name, severity, summary, why, bad.strip("\n"), good.strip("\n")))


# --- BR0xx: loading and YAML -------------------------------------------------------------
_R = _r
_R("BR001", "yaml-syntax", "error", "The file is not valid YAML.",
   "A file that does not parse cannot be part of a pack; the position is where the parser gave up.",
   "rules:\n  - id: a\n    when: {field: intent, eq: x\n", "rules:\n  - id: a\n    when: {field: intent, eq: x}\n")
_R("BR002", "duplicate-key", "error", "A mapping holds the same key twice.",
   "YAML parsers silently keep one of the two values; which one the author meant is unknown.",
   "- id: a\n  priority: 10\n  priority: 20\n", "- id: a\n  priority: 20\n")
_R("BR003", "forbidden-tag", "error", "A tag other than the plain YAML ones is used.",
   "Tags such as !!python/object can make a YAML loader construct objects or run code. "
   "Pack files hold plain data only.",
   "x: !!python/object/apply:os.system ['rm -rf /']\n", "x: plain text\n")
_R("BR004", "alias-bomb", "error", "Aliases expand the document beyond the node budget.",
   "A 'billion laughs' file uses nested aliases to blow up memory; it is refused before it can.",
   "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n# ... nine levels\n",
   "a: &shared {field: intent, eq: x}\nb: *shared\n")
_R("BR005", "unreadable-file", "error", "A pack file cannot be read or decoded.",
   "Files must be UTF-8 (a BOM is fine) or GB18030 text under the size limit.")
_R("BR006", "not-a-mapping", "error", "A pack file's top level is not a mapping of sections.",
   "Each file holds sections such as `rules:` or `categories:` at its top level.",
   "- id: a\n", "rules:\n  - id: a\n")
_R("BR007", "unknown-section", "error", "A top-level key is not a known section.",
   "A misspelt section name would otherwise be ignored and its content lost.",
   "rule:\n  - id: a\n", "rules:\n  - id: a\n")
_R("BR008", "empty-pack", "error", "The pack directory holds no YAML files, or does not exist.",
   "An empty pack classifies nothing; usually the path is wrong.")
_R("BR009", "format-version", "error", "The pack declares a format version this bizroute does not read.",
   "Reading a pack written for another format version could silently change its meaning.",
   "pack:\n  format: 99\n", "pack:\n  format: 1\n")
_R("BR010", "merge-key", "error", "A YAML merge key ('<<') is used.",
   "Merge keys are not part of YAML 1.2 and hide where a value comes from; use an alias instead.",
   "a:\n  <<: *base\n", "a: *base\n")
_R("BR011", "pack-missing", "error", "No file of the pack has a `pack:` section, or two do.",
   "The pack section declares the id, version and the request fields every rule is checked against.")

# --- BR1xx: schema -------------------------------------------------------------------------
_R("BR101", "missing-key", "error", "A required key is missing.",
   "Without it the object cannot do its job (a rule without `category`, say).",
   "rules:\n  - id: a\n    when: {field: intent, eq: x}\n",
   "rules:\n  - id: a\n    category: c\n    when: {field: intent, eq: x}\n")
_R("BR102", "unknown-key", "error", "A key is not part of the object's format.",
   "A misspelt key (`priorty:`) would be ignored and the author's intent lost.",
   "rules:\n  - id: a\n    priorty: 10\n", "rules:\n  - id: a\n    priority: 10\n")
_R("BR103", "invalid-value", "error", "A value has the wrong type or form.",
   "The pack format is strict so that a pack means one thing.",
   "rules:\n  - id: a\n    priority: high\n", "rules:\n  - id: a\n    priority: 100\n")
_R("BR104", "duplicate-id", "error", "Two objects of one section share an id while both are in force.",
   "Ids are how rules, categories and documents refer to each other; two versions of one object "
   "are allowed only with effective periods that do not overlap.",
   "categories:\n  - id: move\n  - id: move\n",
   "categories:\n  - id: move\n    effective: {until: 2024-06-01}\n"
   "  - id: move\n    effective: {from: 2024-06-01}\n")
_R("BR105", "invalid-regex", "error", "A `matches` pattern is not a valid RE2 regular expression.",
   "Patterns run with RE2 semantics (linear time, no backreferences or look-around).",
   "{field: description, matches: '(a)\\\\1'}", "{field: description, matches: '\\\\d+千瓦'}")
_R("BR106", "bad-condition", "error", "A condition is not one combinator or one field test.",
   "Each condition is `all`, `any`, `not`, or `field` with exactly one operator.",
   "{field: intent, eq: a, in: [a, b]}", "{field: intent, in: [a, b]}")
_R("BR107", "bad-effective", "error", "An effective period ends before it starts.",
   "Such an object is never in force.",
   "effective: {from: 2024-06-01, until: 2020-01-01}", "effective: {from: 2020-01-01, until: 2024-06-01}")

# --- BR2xx: references -----------------------------------------------------------------------
_R("BR201", "unknown-field", "error", "A condition tests a field the pack does not declare.",
   "Requests are checked against declared fields; a test on an undeclared one is a typo or a gap.",
   "{field: customer.kind, eq: residential}", "{field: customer.type, eq: residential}")
_R("BR202", "value-not-allowed", "error", "An enum test uses a value the field does not allow.",
   "The test could never be true.",
   "{field: customer.type, eq: resident}", "{field: customer.type, eq: residential}")
_R("BR203", "unknown-vocabulary", "error", "`mentions` names a vocabulary the pack does not define.",
   "The test would match nothing.", "{field: description, mentions: outage_wrods}",
   "{field: description, mentions: outage_words}")
_R("BR204", "unknown-document", "error", "A category lists a document that is not in the catalogue.",
   "The customer would be told to bring something nobody can name.")
_R("BR205", "unknown-department", "error", "A department id is not in the registry.",
   "Work would be routed to a department that does not exist.")
_R("BR206", "unknown-workflow", "error", "A category names a workflow the pack does not define.",
   "The decision could not say which process follows.")
_R("BR207", "unknown-category", "error", "A rule leads to a category the pack does not define.",
   "The rule could never produce a decision.")
_R("BR208", "operator-mismatch", "error", "An operator does not fit the field's type.",
   "E.g. a numeric comparison on an enum field, or `mentions` on a number: never true.",
   "{field: customer.type, gt: 3}", "{field: supply.capacity_kva, gt: 3}")
_R("BR209", "unknown-group", "error", "A category names a group the pack does not define.",
   "Groups label decisions and statistics.")
_R("BR210", "unknown-source", "error", "A basis cites a source the pack does not define.",
   "The regulatory basis of a decision must be traceable to a named source.")
_R("BR211", "category-not-in-force", "error",
   "A rule is in force on a date when its category is not.",
   "On that date the rule would lead to nothing.")

# --- BR3xx: workflow graphs ----------------------------------------------------------------
_R("BR301", "workflow-cycle", "error", "The steps of a workflow depend on each other in a circle.",
   "A step that waits for itself never starts; the message gives the circle step by step.",
   "steps:\n  - {id: a, name: 受理, department: counter, after: [b]}\n"
   "  - {id: b, name: 勘查, department: survey, after: [a]}\n",
   "steps:\n  - {id: a, name: 受理, department: counter}\n"
   "  - {id: b, name: 勘查, department: survey, after: [a]}\n")
_R("BR302", "unreachable-step", "error", "A step cannot be reached from the workflow's start.",
   "Nothing ever hands work to it, so it never happens and its department is never told.")
_R("BR303", "step-not-reaching-end", "error", "A step has no way on to the workflow's end.",
   "Work that reaches it is stuck there: the order is never closed (办结).")
_R("BR304", "unknown-step", "error", "`after` names a step the workflow does not have.",
   "The dependency would be silently lost and the step would start too early.",
   "- {id: b, name: 勘查, department: survey, after: [acept]}\n",
   "- {id: b, name: 勘查, department: survey, after: [accept]}\n")
_R("BR305", "step-department", "error", "A step has no department, or one that is not in 'departments'.",
   "Every step must be owned by someone; otherwise no one is handed the work.",
   "- {id: survey, name: 现场勘查, department: survay}\n",
   "- {id: survey, name: 现场勘查, department: survey}\n")
_R("BR306", "start-count", "error", "A workflow has no start step, or more than one.",
   "The start is where the received request enters (受理); a plan measures every deadline from it.")
_R("BR307", "end-count", "error", "A workflow has no end step, or more than one.",
   "One end closes the order for the customer; a second end is a branch nobody brings back.")
_R("BR308", "start-end-not-front-office", "warning",
   "The start or end step is not at a front-office department.",
   "One window faces the customer (一口对外): the counter accepts the request and closes it.",
   "- {id: archive, name: 归档, department: archive_room}\n",
   "- {id: archive, name: 归档办结, department: counter}\n")
_R("BR309", "customer-facing-back-office", "warning",
   "A customer-facing step belongs to a back-office department.",
   "The customer meets only the counter; back-office steps reach the customer through it.",
   "- {id: survey, name: 勘查, department: survey, customer_facing: true}\n",
   "- {id: survey, name: 勘查, department: survey}\n")
_R("BR310", "commitment-unmeetable", "warning",
   "The expected durations on the critical path exceed a commitment's limit.",
   "A promise the process cannot keep even when every step takes its expected time will be "
   "broken for every customer; the message gives the path and the time it misses by.",
   "steps: [{id: a, ..., duration: {working_days: 10}}]\n"
   "commitments: [{id: c, from: a, to: a, limit: {working_days: 7}}]\n",
   "steps: [{id: a, ..., duration: {working_days: 5}}]\n"
   "commitments: [{id: c, from: a, to: a, limit: {working_days: 7}}]\n")
_R("BR311", "commitment-steps", "error",
   "A commitment names a step the workflow does not have, or one that does not follow the other.",
   "The limit would bind nothing, and the promise could not be checked.",
   "commitments: [{id: c, from: accept, to: replly, limit: {working_days: 15}}]\n",
   "commitments: [{id: c, from: accept, to: reply, limit: {working_days: 15}}]\n")
_R("BR312", "duplicate-step", "error", "Two steps of one workflow share an id.",
   "`after` and commitments refer to steps by id; two steps with one id cannot be told apart.")
_R("BR313", "duplicate-commitment", "error",
   "Two commitments, or two customer notices, of one workflow share an id.",
   "A plan names each commitment and notice by id (and example cases expect them by id); two "
   "with one id cannot be told apart. Give each version of a limit an id of its own.",
   "commitments:\n  - {id: reply, from: a, to: b, limit: {working_days: 7}}\n"
   "  - {id: reply, from: a, to: b, limit: {working_days: 5}}\n",
   "commitments:\n  - {id: reply_2011, from: a, to: b, limit: {working_days: 7}}\n"
   "  - {id: reply_current, from: a, to: b, limit: {working_days: 5}}\n")

# --- BR4xx: rule semantics -----------------------------------------------------------------
# BR401-BR413 (and BR504, BR505) are registered by bizroute.checks, one module per check, from
# the module docstrings: the documentation lives next to the code that finds the problem.

# --- BR5xx: example cases ------------------------------------------------------------------
_R("BR501", "bad-case-file", "error", "A file under the pack's tests/ folder is not a case file.",
   "Case files hold `cases:`, a list of cases; anything else would be silently skipped.",
   "- id: a\n", "cases:\n  - id: a\n    request: {}\n    expect: {status: unmatched}\n")
_R("BR502", "duplicate-case-id", "error", "Two example cases share an id.",
   "Failures are reported by case id; two cases with one id cannot be told apart.")
_R("BR503", "case-failed", "error", "An example case does not get the decision it expects.",
   "The pack no longer decides as its authors wrote down; either the pack or the case is wrong.")

# --- BR6xx: input records -------------------------------------------------------------------
_R("BR601", "unreadable-record", "error", "An input record cannot be parsed.",
   "The record is reported with its line (and column) and the others are still classified.",
   '{"description": "没电了"\n', '{"description": "没电了"}\n')
_R("BR602", "record-not-an-object", "error", "An input record is not an object.",
   "A request is a mapping of fields.", '["没电了"]\n', '{"description": "没电了"}\n')
_R("BR603", "record-field-invalid", "error",
   "A request field has the wrong type or a value its field does not allow.",
   "The pack declares its fields; a value outside them could not be tested reliably.",
   '{"customer": {"type": 1}}\n', '{"customer": {"type": "residential"}}\n')

# --- BR7xx: overlays ------------------------------------------------------------------------
# BR701-BR708 come from the overlay stage while the pack loads; BR711-BR715 (conflicts and
# drift) are registered by bizroute.checks, one module per check.
_R("BR701", "extends-invalid", "error", "An overlay's `extends` does not name a base pack that can be read.",
   "`extends` names exactly one of `builtin: true`, `path:` (relative to the overlay's folder) or "
   "`package:` (a pack installed with a Python package); a base that cannot be found, or a stack "
   "that comes back to itself, leaves nothing to apply the overlay to.",
   "pack:\n  extends: {path: ../national}   # no such folder\n",
   "pack:\n  extends: {builtin: true, versions: [\"2026.11\"]}\n")
_R("BR702", "overlay-section", "error", "An overlay file holds a section or an object kind overlays do not take.",
   "An overlay's files hold `pack:` (with `extends`), the sections of a pack (what they list is "
   "added), and `replace:`, `patch:` and `remove:`, each a mapping from an object kind (settings, "
   "fields, text, calendar, vocabularies, sources, documents, departments, groups, categories, "
   "rules, workflows, steps, commitments, customer_notices; cases in the tests/ folder) to its "
   "operations.",
   "patch:\n  rule:\n    - {id: fault_repair.words, priority: 90}\n",
   "patch:\n  rules:\n    - {id: fault_repair.words, priority: 90}\n")
_R("BR703", "add-exists", "error", "An overlay adds an object whose id the base already has in force at the same time.",
   "Adding is for new objects; what the base has is changed with `replace:` or `patch:`. A new "
   "version of a dated object (a rule in force from a later date) may be added when its effective "
   "period does not overlap the base's. Appending an item a list already holds is reported too.",
   "documents:\n  - {id: id_card, name: 居民身份证}   # the base has id_card\n",
   "patch:\n  documents:\n    - {id: id_card, notes: 须提供原件}\n")
_R("BR704", "target-missing", "error", "A `replace`, `patch` or `remove` names an object or list item the base does not have.",
   "Like a Kustomize patch whose target is missing, it would silently change nothing; usually the "
   "id is misspelt or the base no longer has the object.",
   "remove:\n  rules: [lv_nonres_new.capcity]\n", "remove:\n  rules: [lv_nonres_new.capacity]\n")
_R("BR705", "target-ambiguous", "error", "An operation names an object of which the base has several versions, without saying which.",
   "Dated objects may have versions under one id (a category of the 1996 rules and its 2024 "
   "successor); `as_of: DATE` picks the version in force on that date.",
   "patch:\n  categories:\n    - {id: transfer, notes: 本地说明}   # two versions\n",
   "patch:\n  categories:\n    - {id: transfer, as_of: 2024-06-01, notes: 本地说明}\n")
_R("BR706", "still-referenced", "error", "An overlay removes an object that other objects still refer to.",
   "A removed document a category still asks for, or a removed department a step still names, "
   "would break the pack; the message names every reference with its position, so that the same "
   "overlay can change or remove them too.",
   "remove:\n  documents: [property_proof]   # categories still list it\n",
   "remove:\n  documents: [property_proof]\npatch:\n  categories:\n"
   "    - {id: lv_residential_new, documents: {remove: [property_proof]}}\n")
_R("BR707", "list-strategy", "error", "A list in a patch does not say how it changes the base's list.",
   "A patch merges mappings key by key, but whether a list replaces the base's or extends it cannot "
   "be guessed: write `{replace: [...]}`, `{append: [...]}`, `{prepend: [...]}` or `{remove: [...]}`.",
   "patch:\n  categories:\n    - {id: lv_residential_new, departments: [counter, survey]}\n",
   "patch:\n  categories:\n    - {id: lv_residential_new, departments: {append: [survey]}}\n")
_R("BR708", "duplicate-operation", "error", "One overlay changes the same object twice.",
   "Two operations of one overlay on one object (or on a workflow and one of its steps) would "
   "depend on the order they are read in; write them as one operation.")
