"""``bizroute pack show`` and ``bizroute pack diff``: a pack's effective source, and what an
overlay changes against its base (docs/overlays.md).

Exit codes: 0 done; 1 ``show`` of a pack with errors (the source form is still printed, the
findings go to stderr); 2 usage error or, for ``diff``, a pack that cannot be loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .cli import EXIT_PROBLEMS, EXIT_USAGE, Failure, cli, open_output, report_pack_error
from .errors import PackError
from .findings import Finding


@cli.group("pack")
def pack_group() -> None:
    """Look at a pack's source: the effective pack of an overlay, what an overlay changes.

    查看规则包：叠加包的生效内容及来源、叠加包相对基础包的改动。
    """


def _root(value: str | None) -> Path:
    from .loader import default_pack_path

    root = Path(value) if value is not None else default_pack_path()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a directory"
        raise Failure(f"pack path {str(root)!r} {what}", EXIT_USAGE)
    return root


@pack_group.command("show")
@click.argument("pack_dir", metavar="[PACK]", required=False)
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the YAML to FILE (atomically) instead of stdout.")
def show_cmd(pack_dir: str | None, output: str | None) -> None:
    """Print the effective pack PACK (default: the built-in pack) as YAML, with comments that
    give the file and line that set each object and value.

    打印生效的规则包（YAML），注释标明每个对象和取值来自哪个文件哪一行。
    """
    from .engine import compile_pack
    from .overlay import read_source
    from .packview import show

    findings: list[Finding] = []
    source = read_source(_root(pack_dir), findings)
    compile_pack(source, findings)
    with open_output(output) as stream:
        stream.write(show(source))
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        report_pack_error(PackError(findings))
        raise Failure(f"the pack has {len(errors)} error(s); the source form above shows where "
                      "each value was set", EXIT_PROBLEMS)


@pack_group.command("diff")
@click.argument("packs", nargs=-1, required=True, metavar="[BASE] OVERLAY")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the report to FILE (atomically) instead of stdout.")
def diff_cmd(packs: tuple[str, ...], fmt: str, output: str | None) -> None:
    """List what OVERLAY changes against BASE: objects added and removed, and every changed key
    with where the new value is set. With OVERLAY alone, BASE is the pack it extends.

    列出叠加包相对基础包的改动：增加、删除的对象与改动的键，及新值所在的文件行。
    """
    from .cases import load_cases
    from .cli import load
    from .overlay import base_root, read_source
    from .packview import diff

    if len(packs) > 2:
        raise Failure("pack diff takes BASE and OVERLAY, or OVERLAY alone", EXIT_USAGE)
    new_root = _root(packs[-1])
    if len(packs) == 2:
        old_root = _root(packs[0])
    else:
        found = base_root(new_root)
        if found is None:
            raise Failure(f"{packs[0]!r} extends no pack: name the base too "
                          "(bizroute pack diff BASE OVERLAY)", EXIT_USAGE)
        old_root = found
    old_pack, new_pack = load(str(old_root)), load(str(new_root))
    quiet: list[Finding] = []  # both loaded: nothing new to say
    changes = diff(read_source(old_root, quiet), read_source(new_root, quiet),
                   load_cases(old_root, quiet), load_cases(new_root, quiet))
    with open_output(output) as stream:
        if fmt == "json":
            stream.write(json.dumps({
                "version": 1,
                "old": _ref(old_pack), "new": _ref(new_pack),
                "changes": [c.to_dict() for c in changes],
            }, ensure_ascii=False, indent=2, default=str) + "\n")
            return
        for change in changes:
            stream.write(change.text() + "\n")
        counts = {k: sum(1 for c in changes if c.change == k)
                  for k in ("added", "removed", "changed")}
        stream.write(f"{len(changes)} change(s) from {old_pack.id} {old_pack.version} to "
                     f"{new_pack.id} {new_pack.version}: "
                     + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")


def _ref(pack: Any) -> dict[str, Any]:
    """A pack as decisions name it: id, version, digest (and its stack, for an overlay)."""
    from .decision import PackRef

    return PackRef(pack.id, pack.version, pack.digest, pack.stack).to_dict()
