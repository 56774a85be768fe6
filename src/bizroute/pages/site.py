"""Writing a directory of pages: built beside the target, then moved into place.

A handbook directory is replaced whole, so that a reader never sees half of an old site and
half of a new one, and pages of categories that no longer exist do not linger. Only a
directory that bizroute wrote (it holds :data:`MARKER`) or an empty one is replaced; anything
else is refused, and a symbolic link is followed to the directory it names.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

#: The file that marks a directory as a handbook bizroute wrote (and may replace).
MARKER = ".bizroute-handbook"


class SiteWriter:
    """Collects files under a temporary directory; :meth:`commit` puts it in place."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        path = Path(target)
        if path.is_symlink():
            path = path.resolve()
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(f"{target}: exists and is not a directory")
        if path.is_dir() and any(path.iterdir()) and not (path / MARKER).exists():
            raise FileExistsError(f"{target}: the directory is not empty and was not written "
                                  "by `bizroute handbook`; give a new or empty directory")
        self.target = path
        parent = path.parent
        parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
        self.files: list[str] = []

    def write(self, name: str, text: str) -> None:
        """Write ``text`` (UTF-8) at ``name``, a path relative to the site's root."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        self.files.append(name)

    def commit(self, marker_text: str) -> Path:
        """Move the finished site into place (replacing an earlier handbook)."""
        (self.root / MARKER).write_text(marker_text, encoding="utf-8")
        umask = os.umask(0)  # reading the umask means setting it; put it back at once
        os.umask(umask)
        for directory in (self.root, *(p for p in self.root.rglob("*") if p.is_dir())):
            directory.chmod(0o777 & ~umask)  # mkdtemp makes it private
        old = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".old",
                                        dir=self.target.parent))
            os.replace(self.target, old / "site")
        os.replace(self.root, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
