"""The checks ``bizroute check`` runs on a pack, in an explicit registry.

Each check lives in a module of its own, holds one stable code and a kebab-case name, and its
docstring *is* its documentation: the first paragraph says what it finds, the next ones why it
matters, and the ``Triggers it::`` and ``Does not::`` blocks show a pack fragment that triggers
it and one that does not. Importing this package registers every check's code in
:data:`bizroute.codes.REGISTRY`, so ``bizroute rule CODE`` and docs/checks.md read the same text.

Checks never compute file positions: they yield :class:`Issue` objects relative to a located
pack object (a rule, a category ...) and :func:`check_pack` (the walker) turns them into
:class:`~bizroute.findings.Finding` objects with file, line and column.

Findings from loading (BR0xx, BR1xx, BR2xx) and the workflow-graph findings (BR3xx) come from
:mod:`bizroute.loader` and :mod:`bizroute.workflow` while the pack is compiled; the walker reports
them first, and the semantic checks run only on a pack that loads without errors.
"""

from __future__ import annotations

from . import (
    cases,
    category_not_exercised,
    category_without_rule,
    document_aliases,
    gaps,
    limit_outlives_source,
    never_true,
    overlap,
    overlay_base_version,
    overlay_drift,
    overlay_no_op,
    overlay_overlap,
    overlay_unpinned,
    rule_not_exercised,
    shadowed,
    text_overlap,
    too_complex,
    unused_department,
    unused_document,
    unused_vocabulary,
    unused_workflow,
    version_gap,
    waivers,
)
from .base import (
    CHECKS,
    Check,
    CheckContext,
    Issue,
    PackReport,
    Reported,
    check_pack,
    register_check,
    selected,
)

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "Issue",
    "PackReport",
    "Reported",
    "cases",
    "category_not_exercised",
    "category_without_rule",
    "check_pack",
    "document_aliases",
    "gaps",
    "limit_outlives_source",
    "never_true",
    "overlap",
    "overlay_base_version",
    "overlay_drift",
    "overlay_no_op",
    "overlay_overlap",
    "overlay_unpinned",
    "register_check",
    "rule_not_exercised",
    "selected",
    "shadowed",
    "text_overlap",
    "too_complex",
    "unused_department",
    "unused_document",
    "unused_vocabulary",
    "unused_workflow",
    "version_gap",
    "waivers",
]
