"""The exceptions bizroute raises, in one shallow tree.

::

    BizrouteError                  base of everything bizroute raises on purpose
    ├── PackError                  a rule pack could not be loaded; ``.findings`` holds every problem
    ├── InputError (ValueError)    a request could not be read or does not fit the pack's fields
    ├── WorkflowError              a workflow graph is unusable (``.cycle`` holds the cycle, if any)
    └── TrackingError              a case or event cannot be recorded, or the case database cannot
                                   be used; ``.code`` says which (docs/tracking.md)

Anything else escaping bizroute is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Finding


class BizrouteError(Exception):
    """Base class of every error bizroute raises on purpose."""


class PackError(BizrouteError):
    """A rule pack has errors. ``findings`` lists all of them, in file order."""

    def __init__(self, findings: Sequence[Finding], message: str | None = None) -> None:
        self.findings: tuple[Finding, ...] = tuple(sorted(findings))
        errors = [f for f in self.findings if f.severity == "error"]
        if message is None:
            first = errors[0].format() if errors else "no findings"
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            message = f"rule pack has {len(errors)} error(s): {first}{more}"
        super().__init__(message)


class InputError(BizrouteError, ValueError):
    """A request record could not be read or does not fit the pack's declared fields.

    ``position`` says where (``file:line`` or ``record N``); ``field`` names the field, if any.
    """

    def __init__(self, message: str, *, position: str | None = None, field: str | None = None):
        self.position = position
        self.field = field
        self.reason = message
        super().__init__(f"{position}: {message}" if position else message)


class WorkflowError(BizrouteError):
    """A workflow cannot be planned; ``cycle`` holds the offending edges when there is a cycle."""

    def __init__(self, message: str, cycle: Sequence[tuple[str, str]] | None = None) -> None:
        self.cycle = tuple(cycle or ())
        super().__init__(message)


class TrackingError(BizrouteError):
    """A case or an event cannot be recorded, or the case database cannot be used.

    ``code`` is a stable kebab-case id (``unknown-step``, ``completed-before-start``,
    ``before-intake`` ...; docs/tracking.md lists them), ``position`` says where the record
    came from (``file:line`` or ``record N``) when known, ``case`` names the case.
    """

    def __init__(self, code: str, message: str, *, position: str | None = None,
                 case: str | None = None) -> None:
        self.code = code
        self.reason = message
        self.position = position
        self.case = case
        super().__init__(f"{position}: {message}" if position else message)
