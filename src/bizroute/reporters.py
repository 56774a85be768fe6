"""Finding reporters for ``bizroute check``: a registry of small classes, one per format.

Every reporter takes the whole result (one :class:`~bizroute.checks.PackReport` per pack
checked), so batch formats (SARIF, JUnit) and line formats (text, GitHub annotations) share one
interface::

    REPORTERS["sarif"](stream).report(reports)

========  =====================================================================================
text      ``file:line:col: severity CODE [name] message``, then a summary line
json      ``{"version": 1, "packs": [...], "summary": {...}}`` (documented in docs/ci.md)
github    workflow-command annotations (errors first), then the full listing, because GitHub
          shows only the first few annotations of a step
sarif     SARIF 2.1.0 for code scanning
junit     JUnit XML: one test suite per file, one failing test case per finding, one passing
          test case per clean file
========  =====================================================================================
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, ClassVar
from xml.sax.saxutils import quoteattr

from ._version import __version__
from .codes import REGISTRY
from .findings import SEVERITY_RANK, Finding

if TYPE_CHECKING:
    from .analysis import Change
    from .checks import PackReport

#: Version of the JSON report's shape; bumped on incompatible changes.
JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _all(reports: Sequence[PackReport]) -> list[Finding]:
    return [f for r in reports for f in r.findings]


def summary_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {"errors": counts.get("error", 0), "warnings": counts.get("warning", 0),
            "info": counts.get("info", 0)}


def summary_line(reports: Sequence[PackReport]) -> str:
    c = summary_counts(_all(reports))
    files = sum(len(r.files) for r in reports)
    waived = sum(len(r.waived) for r in reports)
    return (f"{c['errors']} error(s), {c['warnings']} warning(s), {c['info']} info"
            f"{f', {waived} waived' if waived else ''} in {len(reports)} pack(s), "
            f"{files} file(s)")


class Reporter:
    """Writes the findings of one ``bizroute check`` run to ``stream``."""

    name: ClassVar[str]

    def __init__(self, stream: IO[str], *, timeline: dict[str, list[Change]] | None = None
                 ) -> None:
        self.stream = stream
        self.timeline = timeline or {}

    def report(self, reports: Sequence[PackReport]) -> None:
        raise NotImplementedError

    def write(self, text: str = "") -> None:
        self.stream.write(text + "\n")


REPORTERS: dict[str, type[Reporter]] = {}


def reporter(cls: type[Reporter]) -> type[Reporter]:
    REPORTERS[cls.name] = cls
    return cls


@reporter
class TextReporter(Reporter):
    """One line per finding in reading order, then a summary."""

    name = "text"

    def report(self, reports: Sequence[PackReport]) -> None:
        for r in reports:
            for f in r.findings:
                self.write(f.format())
                if f.hint:
                    self.write(f"    hint: {f.hint}")
        for pack, changes in self.timeline.items():
            self.write(f"time line of {pack} (~ new version, + comes into force, - stops):")
            if not changes:
                self.write("    no dated changes")
            for change in changes:
                self.write(f"    {change.day}:")
                for sign, what in (("~", change.replaced), ("+", change.starts),
                                   ("-", change.ends)):
                    if what:
                        self.write(f"      {sign} " + ", ".join(what))
        self.write(summary_line(reports))


@reporter
class JsonReporter(Reporter):
    """The whole result as one JSON document."""

    name = "json"

    def report(self, reports: Sequence[PackReport]) -> None:
        packs = []
        for r in reports:
            entry: dict[str, Any] = {
                "path": r.root.as_posix(), "loaded": r.loaded, "files": r.files,
                "findings": [{**x.finding.to_dict(), **({"case": x.case} if x.case else {})}
                             for x in r.reported],
                "summary": summary_counts(r.findings),
                "waived": [x.finding.to_dict() for x in r.waived],
            }
            if r.root.as_posix() in self.timeline:
                entry["timeline"] = [
                    {"date": c.day.isoformat(), "starts": list(c.starts), "ends": list(c.ends),
                     "replaced": list(c.replaced)}
                    for c in self.timeline[r.root.as_posix()]]
            packs.append(entry)
        doc = {"version": JSON_VERSION, "tool": {"name": "bizroute", "version": __version__},
               "packs": packs, "summary": summary_counts(_all(reports))}
        self.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


@reporter
class GithubReporter(Reporter):
    """GitHub Actions annotations, errors first, then the full listing in a log group."""

    name = "github"

    def report(self, reports: Sequence[PackReport]) -> None:
        findings = sorted(_all(reports), key=lambda f: (SEVERITY_RANK[f.severity], f))
        for f in findings:
            props = []
            if f.file:
                props.append(f"file={escape_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
                if f.column:
                    props.append(f"col={f.column}")
                if f.end_line:
                    props.append(f"endLine={f.end_line}")
            props.append(f"title={escape_property(f'{f.code} [{f.name}]')}")
            self.write(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::"
                       f"{escape_data(f.message)}")
        self.write("::group::bizroute check: all findings")
        for f in _all(reports):
            self.write(escape_data(f.format()))
        self.write("::endgroup::")
        self.write(summary_line(reports))


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _help(code: str) -> str:
    info = REGISTRY[code]
    parts = [info.summary]
    if info.why:
        parts.append(info.why)
    if info.bad:
        parts.append("Triggers it:\n" + info.bad)
    if info.good:
        parts.append("Does not:\n" + info.good)
    return "\n\n".join(parts)


@reporter
class SarifReporter(Reporter):
    """SARIF 2.1.0: one run, the codes used as rules, one result per finding."""

    name = "sarif"

    def report(self, reports: Sequence[PackReport]) -> None:
        findings = _all(reports)
        codes = sorted({f.code for f in findings})
        index = {code: i for i, code in enumerate(codes)}
        rules: list[dict[str, Any]] = []
        for code in codes:
            info = REGISTRY.get(code)
            if info is None:
                rules.append({"id": code})
                continue
            rules.append({
                "id": code, "name": info.name,
                "shortDescription": {"text": info.summary},
                "fullDescription": {"text": info.why or info.summary},
                "help": {"text": _help(code)},
                "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
            })
        results = []
        for f in findings:
            result: dict[str, Any] = {
                "ruleId": f.code, "ruleIndex": index[f.code], "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message + (f" (id={f.object_id})" if f.object_id else "")},
            }
            if f.file:
                location: dict[str, Any] = {"artifactLocation": {"uri": f.file}}
                if f.line:
                    region: dict[str, int] = {"startLine": f.line}
                    if f.column:
                        region["startColumn"] = f.column
                    location["region"] = region
                result["locations"] = [{"physicalLocation": location}]
            results.append(result)
        doc = {
            "$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "bizroute", "version": __version__,
                                    "rules": rules}},
                "results": results,
            }],
        }
        self.write(json.dumps(doc, ensure_ascii=False, indent=2))


@reporter
class JunitReporter(Reporter):
    """JUnit XML: a test suite per file; a failing case per finding; a passing case per clean
    file."""

    name = "junit"

    def report(self, reports: Sequence[PackReport]) -> None:
        files: dict[str, list[Finding]] = {}
        for r in reports:
            for name in r.files:
                files.setdefault(name, [])
            for f in r.findings:
                files.setdefault(f.file or r.root.as_posix(), []).append(f)
        total = sum(max(1, len(v)) for v in files.values())
        failures = sum(len(v) for v in files.values())
        self.write('<?xml version="1.0" encoding="UTF-8"?>')
        self.write(f'<testsuites name="bizroute check" tests="{total}" failures="{failures}" '
                   'errors="0">')
        for name, found in files.items():
            self.write(f'  <testsuite name={quoteattr(name)} tests="{max(1, len(found))}" '
                       f'failures="{len(found)}" errors="0" skipped="0">')
            if not found:
                self.write(f'    <testcase classname="bizroute.check" name={quoteattr(name)} '
                           f'file={quoteattr(name)}/>')
            for f in found:
                title = f"{f.location()} {f.code} [{f.name}]"
                self.write(f'    <testcase classname={quoteattr("bizroute." + f.code)} '
                           f'name={quoteattr(title)} file={quoteattr(f.file)} line="{f.line}">')
                self.write(f'      <failure type={quoteattr(f.severity)} '
                           f'message={quoteattr(f.message)}>{_xml_text(f.format())}</failure>')
                self.write("    </testcase>")
            self.write("  </testsuite>")
        self.write("</testsuites>")


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
