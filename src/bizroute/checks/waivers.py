"""A waiver in the pack's `.bizroute-check.yaml` matches no finding.

A pack explains the warnings it accepts in `.bizroute-check.yaml` at its root: each waiver
names a code, the id of the object the finding is about, and the reason (required). Waived
findings are not reported (the summary counts them, the JSON report lists them) and do not
fail `--strict`. Only
workflow and rule-semantics findings (BR3xx, BR4xx) can be waived: a broken reference or a
failing case is never an accepted state. A waiver that matches nothing is reported so that
stale explanations do not pile up.

Triggers it::

    # .bizroute-check.yaml
    waive:
      - {code: BR402, id: suggestion.words, reason: 意见与建议同时出现时由坐席判断}
    # ... but rule suggestion.words no longer overlaps anything

Does not::

    # .bizroute-check.yaml
    waive:
      - {code: BR402, id: suggestion.words, reason: 意见与建议同时出现时由坐席判断}
    # ... and bizroute check reports BR402 for rule suggestion.words
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..findings import Finding, Severity
from .base import Check, CheckContext, Issue, register_check

#: The file, at the root of a pack, that holds the waivers.
WAIVER_FILE = ".bizroute-check.yaml"
#: Bands whose findings may be waived.
WAIVABLE = ("BR3", "BR4")


@dataclass(frozen=True, slots=True)
class Waiver:
    code: str
    object_id: str
    reason: str
    file: str
    line: int
    column: int

    def matches(self, finding: Finding) -> bool:
        return finding.code == self.code and finding.object_id == self.object_id


def load_waivers(root: Path) -> tuple[list[Waiver], list[Finding]]:
    """The waivers of a pack, and findings for a waiver file that is not well formed."""
    from ..codes import make_finding
    from ..loader import _display
    from ..yamlsource import load_yaml_file

    path = root / WAIVER_FILE
    if not path.is_file():
        return [], []
    display = _display(root, path)
    data, smap, findings = load_yaml_file(path, display)
    if data is None:
        return [], findings

    def at(*sub: str | int) -> tuple[int, int]:
        span = smap.value(sub)
        return (span.line, span.column) if span else (1, 1)

    def bad(code: str, message: str, *sub: str | int, oid: object = None) -> None:
        line, col = at(*sub)
        findings.append(make_finding(code, message, display, line, col,
                                     object_id=None if oid is None else str(oid),
                                     path=".".join(str(p) for p in sub) or None))

    if not isinstance(data, dict) or set(data) - {"waive"} or not isinstance(
            data.get("waive", []), list):
        bad("BR103", f"{WAIVER_FILE} holds 'waive:', a list of {{code, id, reason}}")
        return [], findings
    waivers = []
    for i, item in enumerate(data.get("waive") or []):
        if not isinstance(item, dict):
            bad("BR103", "a waiver is a mapping {code, id, reason}", "waive", i)
            continue
        extra = set(item) - {"code", "id", "reason"}
        for key in sorted(extra):
            bad("BR102", f"unknown key {key!r} (a waiver has code, id and reason)", "waive", i,
                key, oid=item.get("id"))
        missing = [k for k in ("code", "id", "reason") if not str(item.get(k) or "").strip()]
        for key in missing:
            bad("BR101", f"a waiver needs {key!r}", "waive", i, oid=item.get("id"))
        if missing or extra:
            continue
        code = str(item["code"]).upper()
        if not code.startswith(WAIVABLE):
            bad("BR103", f"{code} cannot be waived: only workflow and rule-semantics findings "
                "(BR3xx, BR4xx) can", "waive", i, "code", oid=item.get("id"))
            continue
        line, col = at("waive", i)
        waivers.append(Waiver(code, str(item["id"]), str(item["reason"]), display, line, col))
    return waivers, findings


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver]
                  ) -> tuple[list[bool], list[Waiver]]:
    """Which findings are waived (by position in ``findings``) and which waivers went unused."""
    used: set[int] = set()
    waived = []
    for f in findings:
        hit = next((i for i, w in enumerate(waivers) if w.matches(f)), None)
        if hit is not None:
            used.add(hit)
        waived.append(hit is not None)
    return waived, [w for i, w in enumerate(waivers) if i not in used]


@register_check
class UnusedWaiver(Check):
    code: ClassVar[str] = "BR413"
    name: ClassVar[str] = "unused-waiver"
    severity: ClassVar[Severity] = "warning"
    needs_pack: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        # The walker applies the waivers after every other check and reports the unused ones
        # through :meth:`unused`; nothing to do in the ordinary pass.
        return iter(())

    @staticmethod
    def unused(waivers: Sequence[Waiver]) -> Iterator[Issue]:
        for w in waivers:
            yield Issue(f"waiver of {w.code} for {w.object_id!r} matches no finding; remove it "
                        f"(its reason was: {w.reason})", at=(w.file, w.line, w.column),
                        object_id=w.object_id)
