"""A pytest plugin that runs a rule pack's example cases as test items: ``pytest rules/``.

Registered under the ``pytest11`` entry point, so installing bizroute is enough. A YAML file
under ``PACK/tests/`` becomes a test file, each case in it a test item, when ``PACK`` is named
on the command line (``pytest rules/``, ``pytest rules/tests/fault.yaml``) or listed in the
``bizroute_packs`` ini option. A pack is recognised by a file directly in it with a top-level
``pack:`` section. Packs that merely sit below a test directory (such as the
broken packs of a test suite) are left alone.

The module imports only the standard library and pytest; bizroute itself is imported when a
case runs, so the plugin costs nothing in test runs that have no packs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_PACK_SECTION = re.compile(rb"^pack\s*:", re.MULTILINE)
_LOADED = pytest.StashKey[dict[Path, Any]]()
_CASES = pytest.StashKey[dict[Path, Any]]()
_IS_PACK: dict[Path, bool] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("bizroute_packs", type="paths", default=[],
                  help="rule-pack directories whose tests/ cases pytest collects")


def _is_pack(directory: Path) -> bool:
    """Whether ``directory`` is a pack: a YAML file directly in it has a top-level ``pack:``."""
    known = _IS_PACK.get(directory)
    if known is None:
        known = False
        for path in sorted(directory.glob("*.y*ml")):
            try:
                head = path.read_bytes()[:65536]
            except OSError:
                continue
            if _PACK_SECTION.search(head):
                known = True
                break
        _IS_PACK[directory] = known
    return known


def _pack_root(file_path: Path) -> Path | None:
    """The pack whose ``tests/`` folder holds ``file_path`` (the nearest ``tests`` above it)."""
    for ancestor in file_path.parents:
        if ancestor.name == "tests":
            return ancestor.parent if _is_pack(ancestor.parent) else None
    return None


def _requested(root: Path, config: pytest.Config) -> bool:
    root = root.resolve()
    for listed in config.getini("bizroute_packs"):
        if Path(listed).resolve() == root:
            return True
    base = config.invocation_params.dir
    for arg in config.args:
        target = (base / arg.split("::")[0]).resolve()
        if target == root or root in target.parents:
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or "tests" not in file_path.parts:
        return None
    root = _pack_root(file_path)
    if root is None or not _requested(root, parent.config):
        return None
    return CaseFile.from_parent(parent, path=file_path, pack_root=root)


class CaseFile(pytest.File):
    """One case file of a pack."""

    def __init__(self, *, pack_root: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pack_root = pack_root

    def collect(self) -> Iterator[pytest.Item]:
        from .cases import case_files, load_cases
        from .loader import _display

        store = self.config.stash.setdefault(_CASES, {})
        if self.pack_root not in store:
            findings: list[Any] = []
            store[self.pack_root] = (load_cases(self.pack_root, findings), findings)
        cases, findings = store[self.pack_root]
        display = _display(self.pack_root, self.path)
        problems = [f for f in findings if f.file == display]
        if problems:
            yield CaseFileProblem.from_parent(self, name="case-file", problems=problems)
        # an overlay's cases include those it takes unchanged from its base: they are items of
        # its first case file
        first = self.path == next(iter(case_files(self.pack_root)), None)
        for loaded in cases:
            if loaded.file == display or (first and getattr(loaded, "inherited", False)):
                yield CaseItem.from_parent(self, name=loaded.case.id, loaded=loaded)


class CaseFailure(Exception):
    """A case did not get the decision it expects."""


class _CaseReport(pytest.Item):
    """An item whose failure is a :class:`CaseFailure`: shown as its text, no traceback."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class CaseFileProblem(_CaseReport):
    """Stands for the problems of a case file that is not a valid case file."""

    def __init__(self, *, problems: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise CaseFailure("\n".join(f.format() for f in self.problems))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "case file"


class CaseItem(_CaseReport):
    """One example case: the request, classified by the pack, must get the expected decision."""

    def __init__(self, *, loaded: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def _pack(self) -> Any:
        from .errors import PackError
        from .loader import load_pack

        assert isinstance(self.parent, CaseFile)
        root = self.parent.pack_root
        store = self.config.stash.setdefault(_LOADED, {})
        if root not in store:
            try:
                store[root] = load_pack(root)
            except PackError as exc:
                store[root] = exc
        found = store[root]
        if isinstance(found, PackError):
            raise CaseFailure("the pack does not load:\n" + "\n".join(
                f.format() for f in found.findings if f.severity == "error"))
        return found

    def runtest(self) -> None:
        from .cases import run_case

        result = run_case(self._pack(), self.loaded)
        if result.passed:
            return
        lines = [f"case {self.loaded.case.id!r} ({self.loaded.file}:{self.loaded.line})"]
        if result.error:
            lines.append(f"    {result.error}")
        for what, expected, actual in result.differences:
            lines.append(f"    {what}:")
            lines.append(f"      - expected: {expected}")
            lines.append(f"      + actual:   {actual}")
        if result.decision is not None and result.decision.rules:
            lines.append("    deciding rules: " + ", ".join(r.id for r in result.decision.rules))
        raise CaseFailure("\n".join(lines))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(0, self.loaded.line - 1), f"case {self.loaded.case.id}"
