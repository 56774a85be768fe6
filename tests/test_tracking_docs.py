"""docs/tracking.md shows what the commands print: each ``console`` block is run, in order,
on a fresh database, and its output compared with the block.

``python -m tests.test_tracking_docs`` writes the outputs into the document again (after a
deliberate change; review the diff).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bizroute.cli import main
from tests.conftest import ROOT

DOC = ROOT / "docs" / "tracking.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def commands(block: str) -> Iterator[tuple[str, str]]:
    """(command, the output shown after it) for each ``$ `` line of a block."""
    parts = re.split(r"^\$ (.*)\n", block, flags=re.M)
    for i in range(1, len(parts), 2):
        yield parts[i], parts[i + 1]


def run(command: str, db: str) -> str:
    """The command's stdout and then its stderr, as a terminal shows them one after the other."""
    args = [a.replace("$BIZROUTE_DB", db) for a in shlex.split(command)]
    assert args[0] == "bizroute", command
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("BIZROUTE_DB")
    os.environ["BIZROUTE_DB"] = db
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args[1:])
    finally:
        if old is None:
            del os.environ["BIZROUTE_DB"]
        else:
            os.environ["BIZROUTE_DB"] = old
    return out.getvalue() + err.getvalue()


def transcript(text: str, db: str) -> Iterator[tuple[str, str, str]]:
    """(command, shown, actual) for every command of the document, run in order."""
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for block in BLOCK.findall(text):
            for command, shown in commands(block):
                yield command, shown, run(command, db)
    finally:
        os.chdir(cwd)


def test_the_tracking_guide_shows_what_the_commands_print(tmp_path: Path) -> None:
    ran = 0
    for command, shown, actual in transcript(DOC.read_text(encoding="utf-8"),
                                             str(tmp_path / "cases.sqlite")):
        assert actual == shown, f"$ {command}"
        ran += 1
    assert ran >= 8


def rewrite() -> None:
    text = DOC.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        outputs = iter(actual for _, _, actual in transcript(text, str(Path(tmp) / "c.sqlite")))

        def fill(match: re.Match[str]) -> str:
            lines = [f"$ {command}\n{next(outputs)}" for command, _ in commands(match[1])]
            return "```console\n" + "".join(lines) + "```"

        DOC.write_text(BLOCK.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    rewrite()
    sys.exit(0)
