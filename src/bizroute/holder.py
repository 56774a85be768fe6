"""A pack that a long-running program keeps, and reloads without ever serving a bad one.

A :class:`PackHolder` holds the pack in service. :meth:`PackHolder.reload` loads the pack
directory again *off to the side*, runs every check ``bizroute check`` runs on it, and only
when neither loading nor checking found an error puts the new pack in place, in one step (an
attribute assignment). Otherwise the old pack stays and the result says why::

    >>> from bizroute import PackHolder
    >>> holder = PackHolder()                   # the built-in pack, checked
    >>> pack = holder.pack                      # take it once per request ...
    >>> pack.classify({"description": "家里没电了", "area": "urban"}).category_id
    'fault_repair'
    >>> holder.reload().ok                      # ... and reload whenever the files change
    True

A request that took ``holder.pack`` before a reload finishes on that pack; the next one gets
the new pack. Reloads are serialised; reading ``holder.pack`` never waits. ``bizroute serve``
reloads through a holder.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PackError
from .findings import Finding

if TYPE_CHECKING:
    from .decision import Decision
    from .engine import Pack
    from .intake import Request


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What one reload did. ``ok`` false: the pack was refused and the old one kept."""

    ok: bool
    path: str
    at: dt.datetime
    #: (id, version, digest) of the pack offered, when it loaded far enough to have them
    offered: tuple[str, str, str] | None
    #: the error findings that refused it (loading or checking); empty when ``ok``
    errors: tuple[Finding, ...] = ()
    #: a one-line reason when the pack was refused
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "path": self.path, "at": self.at.isoformat(),
            "offered": None if self.offered is None else dict(
                zip(("id", "version", "digest"), self.offered, strict=True)),
            "reason": self.reason, "errors": len(self.errors),
            "findings": [f.format() for f in self.errors[:20]],
        }


@dataclass(frozen=True, slots=True)
class _Outcome:
    pack: Pack | None  # None: refused
    offered: tuple[str, str, str] | None = None
    errors: tuple[Finding, ...] = ()
    reason: str | None = None


def _ref(pack: Pack) -> tuple[str, str, str]:
    return (pack.id, pack.version, pack.digest)


def _checked(path: Path, check: bool) -> _Outcome:
    """Load (and check) the pack at ``path``: the pack, or ``None`` with the errors."""
    if not check:
        from .loader import load_pack

        try:
            pack = load_pack(path)
        except PackError as exc:
            return _Outcome(None, None, tuple(f for f in exc.findings if f.severity == "error"),
                            "it does not load")
        return _Outcome(pack, _ref(pack))
    from .checks import check_pack

    report = check_pack(path)
    errors = tuple(f for f in report.findings if f.severity == "error")
    if report.pack is None:
        return _Outcome(None, None, errors, "it does not load")
    if errors:
        return _Outcome(None, _ref(report.pack), errors, "bizroute check found errors")
    return _Outcome(report.pack, _ref(report.pack))


class PackHolder:
    """The pack in service, and the means to replace it safely.

    ``path``: the pack directory (``None``: the built-in pack). ``check``: run every check of
    ``bizroute check`` before a pack is accepted (default), not only loading. The first load
    raises :class:`~bizroute.errors.PackError` when the pack is refused; later ones
    (:meth:`reload`) return a :class:`ReloadResult` and keep the old pack.
    """

    def __init__(self, path: str | Path | None = None, *, check: bool = True) -> None:
        from .loader import default_pack_path

        self.path = Path(path) if path is not None else default_pack_path()
        self.check = check
        self._lock = threading.Lock()
        first = _checked(self.path, check)
        if first.pack is None:
            raise PackError(first.errors, None if first.errors else
                            f"the rule pack was refused: {first.reason}")
        self._pack: Pack = first.pack
        self.loaded_at = _now()
        self.reloads_ok = 0
        self.reloads_failed = 0
        self.last_reload: ReloadResult | None = None
        self.last_failure: ReloadResult | None = None

    @property
    def pack(self) -> Pack:
        """The pack in service. Take it once per unit of work and use that object throughout."""
        return self._pack

    def classify(self, request: Request | Mapping[str, Any], as_of: dt.date | None = None,
                 *, explain: bool = True) -> Decision:
        """``holder.pack.classify(...)``."""
        return self._pack.classify(request, as_of, explain=explain)

    def reload(self, path: str | Path | None = None) -> ReloadResult:
        """Load and check the pack at ``path`` (default: the holder's), then swap it in.

        On any load or check error, or an unexpected failure, the pack in service stays and
        the result says why (``ok`` false). A reload that is accepted makes ``path`` the
        holder's path. Never raises for a bad pack; reloads run one at a time.
        """
        root = Path(path) if path is not None else self.path
        with self._lock:
            at = _now()
            try:
                outcome = _checked(root, self.check)
            except Exception as exc:  # a bug in loading must not take the service down
                outcome = _Outcome(None, reason=f"internal error ({type(exc).__name__})")
            if outcome.pack is None:
                result = ReloadResult(False, str(root), at, outcome.offered, outcome.errors,
                                      outcome.reason)
                self.reloads_failed += 1
                self.last_failure = result
            else:
                result = ReloadResult(True, str(root), at, outcome.offered)
                self._pack = outcome.pack  # the swap: one assignment, seen whole by readers
                self.path = root
                self.loaded_at = at
                self.reloads_ok += 1
            self.last_reload = result
            return result

    def status(self) -> dict[str, Any]:
        """The pack in service and the reloads so far, as JSON-ready data."""
        pack = self._pack
        return {
            "id": pack.id, "name": pack.name, "version": pack.version, "digest": pack.digest,
            "path": str(self.path), "loaded_at": self.loaded_at.isoformat(),
            "checked": self.check,
            "reloads": {"ok": self.reloads_ok, "failed": self.reloads_failed},
            "last_reload": None if self.last_reload is None else self.last_reload.to_dict(),
            "last_failure": None if self.last_failure is None else self.last_failure.to_dict(),
        }
