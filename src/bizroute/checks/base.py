"""The check interface, the registry, and the walker that gives findings their positions."""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..codes import REGISTRY, CodeInfo, make_finding, register
from ..findings import Finding, Severity
from ..loader import without_gc

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..cases import CaseResult, LoadedCase
    from ..engine import Pack
    from ..loader import Located, PackSource
    from ..overlay import Applied


@dataclass(frozen=True, slots=True)
class Issue:
    """What a check finds, relative to a pack object; the walker adds file and position.

    ``where`` is the located object (a rule, a category ...) and ``sub`` the path inside it
    (``("when", "all", 0)``); ``key`` points at the key instead of the value. Objects outside
    the pack files proper (example cases) give their position in ``at``. ``case`` is an
    example case (a mapping) that shows the problem, for ``--emit-cases``.
    """

    message: str
    where: Located | None = None
    sub: tuple[str | int, ...] = ()
    key: bool = False
    at: tuple[str, int, int] | None = None
    object_id: str | None = None
    hint: str | None = None
    code: str | None = None  # a check that reports several codes names the one it means
    severity: Severity | None = None
    case: dict[str, Any] | None = None


class CheckContext:
    """Everything a check may look at; expensive parts are computed once, on first use."""

    def __init__(self, root: Path, source: PackSource, pack: Pack | None,
                 load_findings: Sequence[Finding]) -> None:
        self.root = root
        self.source = source
        self.pack = pack
        self.load_findings = tuple(load_findings)

    @cached_property
    def analysis(self) -> Analysis:
        from ..analysis import Analysis

        assert self.pack is not None
        return Analysis(self.pack)

    @cached_property
    def case_load(self) -> tuple[list[LoadedCase], list[Finding]]:
        cases, findings, _ = self._case_stack
        return cases, findings

    @cached_property
    def _case_stack(self) -> tuple[list[LoadedCase], list[Finding], tuple[Applied, ...]]:
        from ..overlay import case_stack  # a plain pack's cases, or an overlay's effective ones

        findings: list[Finding] = []
        cases, applied = case_stack(self.root, findings)
        return cases, findings, applied

    @cached_property
    def changes(self) -> tuple[Applied, ...]:
        """What the operations of an overlay did, to the pack and to its example cases."""
        from ..overlay import StackSource

        own = self.source.applied if isinstance(self.source, StackSource) else ()
        return (*own, *self._case_stack[2])

    @cached_property
    def case_results(self) -> list[CaseResult]:
        from ..cases import run_case

        assert self.pack is not None
        return [run_case(self.pack, c) for c in self.case_load[0]]

    @cached_property
    def coverage(self) -> dict[str, Any]:
        from ..cases import coverage

        assert self.pack is not None
        return coverage(self.pack, self.case_results)


class Check:
    """Base class of the checks. Subclasses set ``code``, ``name`` and ``severity`` and
    implement :meth:`run`; the docstring of their module documents them."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    #: further codes the check passes through (e.g. case-file problems), documented elsewhere
    also: ClassVar[tuple[str, ...]] = ()
    #: checks that need a pack that loaded without errors
    needs_pack: ClassVar[bool] = True

    def run(self, ctx: CheckContext) -> Iterator[Issue]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> CodeInfo:
        """The documentation: the check module's docstring."""
        text = inspect.getdoc(sys.modules[cls.__module__]) or ""
        return parse_doc(cls.code, cls.name, cls.severity, text)


CHECKS: dict[str, type[Check]] = {}


def register_check(cls: type[Check]) -> type[Check]:
    """Class decorator: put a check in the registry and its code in the code registry."""
    if cls.code in CHECKS:
        raise ValueError(f"check code {cls.code} registered twice")
    CHECKS[cls.code] = cls
    if cls.code not in REGISTRY:
        register(cls.doc())
    return cls


def parse_doc(code: str, name: str, severity: Severity, doc: str) -> CodeInfo:
    """Split a check docstring into summary, why, and the two examples."""
    body, _, rest = doc.partition("\nTriggers it::\n")
    bad, _, good = rest.partition("\nDoes not::\n")
    paragraphs = [p.strip() for p in body.strip().split("\n\n") if p.strip()]
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    why = "\n\n".join(" ".join(p.split()) for p in paragraphs[1:])
    return CodeInfo(code, name, severity, summary, why, textwrap.dedent(bad).strip("\n"),
                    textwrap.dedent(good).strip("\n"))


def selected(code: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """Whether ``code`` passes ``--select`` / ``--ignore`` (prefixes: ``BR4`` selects BR4xx)."""
    sel = [s.upper() for s in select]
    if sel and not any(code.startswith(s) for s in sel):
        return False
    return not any(code.startswith(s.upper()) for s in ignore)


# --- the walker --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reported:
    """A finding and, when the check made one, an example case that shows it."""

    finding: Finding
    case: dict[str, Any] | None = None


@dataclass
class PackReport:
    """Everything ``bizroute check`` found in one pack."""

    root: Path
    files: list[str]
    reported: list[Reported] = field(default_factory=list)
    loaded: bool = False
    pack: Pack | None = None
    waived: list[Reported] = field(default_factory=list)
    #: what the checks computed (the analysis, the case results), for callers that show it
    context: CheckContext | None = None

    @property
    def findings(self) -> list[Finding]:
        return [r.finding for r in self.reported]


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def place(issue: Issue, check: type[Check]) -> Finding:
    """Turn an issue into a finding: the one place where positions are computed."""
    code = issue.code or check.code
    if issue.where is not None:
        file, line, col = issue.where.site(*issue.sub, key=issue.key)
        object_id = issue.object_id or getattr(issue.where.obj, "id", None)
        path = _dotted((*issue.where.path, *issue.sub))
    elif issue.at is not None:
        file, line, col = issue.at
        object_id, path = issue.object_id, None
    else:
        file, line, col, object_id, path = "", 0, 0, issue.object_id, None
    return make_finding(code, issue.message, file, line, col, object_id=object_id, path=path,
                        hint=issue.hint, severity=issue.severity)


@without_gc  # the analysis, like loading, builds many long-lived objects (see without_gc)
def check_pack(root: str | Path, *, select: Iterable[str] = (), ignore: Iterable[str] = (),
               ) -> PackReport:
    """Load a pack with every load finding, then run the registered checks on it."""
    from ..cases import case_files
    from ..engine import compile_pack
    from ..loader import _display
    from ..overlay import read_source

    select, ignore = list(select), list(ignore)
    path = Path(root)
    load_findings: list[Finding] = []
    source = read_source(path, load_findings)
    pack = compile_pack(source, load_findings)  # as load_pack does: references too
    if any(f.severity == "error" for f in load_findings):
        pack = None
    files = [_display(path, path / rel) for rel in source.files]
    files += [_display(path, p) for p in case_files(path)] if path.is_dir() else []
    report = PackReport(path, files, loaded=pack is not None, pack=pack)
    report.reported.extend(Reported(f) for f in load_findings
                           if selected(f.code, select, ignore))
    ctx = CheckContext(path, source, pack, load_findings)
    for code, check in CHECKS.items():
        codes = (code, *check.also)
        if not any(selected(c, select, ignore) for c in codes):
            continue
        if check.needs_pack and pack is None:
            continue
        for issue in check().run(ctx):
            finding = place(issue, check)
            if selected(finding.code, select, ignore):
                report.reported.append(Reported(finding, issue.case))
    _waive(report, path, select, ignore, source)
    report.reported.sort(key=lambda r: r.finding)
    report.context = ctx
    return report


def _waive(report: PackReport, root: Path, select: list[str], ignore: list[str],
           source: PackSource | None = None) -> None:
    """Set aside the findings the pack waives; report bad waiver files and unused waivers.

    An overlay inherits the waivers of the packs under it (their problems and unused waivers
    are theirs to report)."""
    from ..overlay import StackSource
    from .waivers import UnusedWaiver, apply_waivers, load_waivers

    if not root.is_dir():
        return
    waivers, problems = load_waivers(root)
    report.reported.extend(Reported(f) for f in problems if selected(f.code, select, ignore))
    inherited = []
    if isinstance(source, StackSource):
        for layer in source.layers[:-1]:
            inherited += load_waivers(layer.root)[0]
    if not waivers and not inherited:
        return
    waived, unused = apply_waivers(report.findings, [*waivers, *inherited])
    unused = [w for w in unused if w in waivers]
    report.waived = [r for r, w in zip(report.reported, waived, strict=True) if w]
    report.reported = [r for r, w in zip(report.reported, waived, strict=True) if not w]
    if selected(UnusedWaiver.code, select, ignore) and not select:
        # with --select, the waivers of codes left out would all look unused
        report.reported.extend(Reported(place(i, UnusedWaiver))
                               for i in UnusedWaiver.unused(unused))
