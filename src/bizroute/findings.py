"""One finding type for every problem bizroute reports about a rule pack or an input.

Positions are 1-based (line and column), converted from the 0-based marks of the YAML
library at the boundary. Findings order by (file, line, column, code), so any list of them
sorts into reading order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, order=True, slots=True)
class Finding:
    """A problem found at a position, with a stable code and a kebab-case name."""

    file: str
    line: int
    column: int
    code: str
    name: str = field(compare=False)
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    object_id: str | None = field(default=None, compare=False)
    path: str | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)
    hint: str | None = field(default=None, compare=False)

    def location(self) -> str:
        """``file:line:col``, leaving out parts that are unknown (0)."""
        parts = [self.file or "<pack>"]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """The one-line text form: ``file:line:col: severity CODE [name] message``."""
        where = f" (id={self.object_id})" if self.object_id else ""
        return f"{self.location()}: {self.severity} {self.code} [{self.name}] {self.message}{where}"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "object_id": self.object_id,
            "path": self.path,
            "hint": self.hint,
        }
