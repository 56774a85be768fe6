"""Views of a pack's source form: the effective pack as YAML that says where every value was
set (``bizroute pack show``), and what one pack changes against another (``bizroute pack diff``).

Both read what :func:`bizroute.overlay.read_source` gives, so they work on plain packs and on
stacks alike; positions come from :meth:`bizroute.loader.Located.site`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from . import models as m
from .loader import Located, PackSource
from .overlay import NESTED, Applied, Site, StackSource, period

if TYPE_CHECKING:
    from .cases import LoadedCase

# --- pack show ---------------------------------------------------------------------------------

_FLOW_KEYS = 8  # a mapping of at most this many scalars is written on one line (lists: any)


def show(source: PackSource) -> str:
    """The effective pack as one YAML document, with provenance comments.

    Every object is preceded by the file and line that wrote it (and the operations that changed
    it); a value set in another file than its object carries that file and line at its end. The
    result is itself a plain pack (one file), which decides as the stack does.
    """
    applied = source.applied if isinstance(source, StackSource) else ()
    top = CommentedMap()
    header = [f"The effective pack {_identity(source)}."]
    if isinstance(source, StackSource):
        header.append("A stack of: " + ", then ".join(
            f"{layer.id} {layer.version} ({_folder(layer.root)})" for layer in source.layers)
            + ".")
    header.append("Comments give the file and line that set each object, and each value set "
                  "in another file than its object.")
    if source.info is not None:
        top["pack"] = _node(_dump(source.info.obj), source.info, (), source.info.file)[0]
        ops = [a for a in applied if a.kind in ("settings", "fields", "text", "calendar")]
        top.yaml_set_comment_before_after_key("pack", before="\n".join(
            [*header, "", _origin(source.info, ops)]))
    for section in m.SECTIONS:
        items = source.entries.get(section) or []
        if not items:
            continue
        seq = CommentedSeq()
        for i, loc in enumerate(items):
            seq.append(_node(_dump(loc.obj), loc, (), loc.file)[0])
            seq.yaml_set_comment_before_after_key(
                i, before=_origin(loc, _touching(applied, section, loc)), indent=2)
        top[section] = seq
    yaml = YAML()
    yaml.allow_unicode = True
    yaml.width = 4096  # keep conditions and terms on their lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = StringIO()
    yaml.dump(top, out)
    return out.getvalue()


def _identity(source: PackSource) -> str:
    info = source.info.obj if source.info is not None else None
    return f"{info.id} {info.version}" if info is not None else str(source.root)


def _folder(root: Path) -> str:
    """A pack's folder as files are named in findings: from the working directory if inside it,
    else by its own name."""
    try:
        return root.resolve().relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return root.name


def _dump(obj: BaseModel) -> Any:
    return _tidy(obj.model_dump(by_alias=True, exclude_unset=True))


def _origin(loc: Located, ops: Sequence[Applied]) -> str:
    file, line, _ = loc.site()
    lines = [f"from {file}:{line}"]
    lines += [f"{a.action} {a.describe()} at {a.site[0]}:{a.site[1]}" for a in ops
              if a.site[:2] != (file, line)]  # an addition is where the object is from
    return "\n".join(lines)


def _touching(applied: Sequence[Applied], section: str, loc: Located) -> list[Applied]:
    oid = loc.obj.id
    version = period(getattr(loc.obj, "effective", m.ALWAYS))
    out = []
    for a in applied:
        if a.kind == section and a.target == oid and a.version == version:
            out.append(a)
        elif section == "workflows" and a.kind in NESTED and a.target.split("/")[0] == oid \
                and a.version == version:
            out.append(a)
    return out


def _node(value: Any, loc: Located, sub: tuple[str | int, ...], parent: str) -> tuple[Any, bool]:
    """``value`` as a ruamel node with comments where the file changes; whether any was made."""
    if isinstance(value, dict):
        node: CommentedMap | CommentedSeq = CommentedMap()
        items: Iterator[tuple[Any, Any]] = iter(value.items())
    elif isinstance(value, list):
        node = CommentedSeq()
        items = enumerate(value)
    else:
        return value, False
    commented = False
    for key, child in items:
        file, line, _ = loc.site(*sub, key)
        built, inner = _node(child, loc, (*sub, key), file)
        if isinstance(node, CommentedMap):
            node[key] = built
        else:
            node.append(built)
        if file != parent and line:
            block = isinstance(built, CommentedMap) and built and not built.fa.flow_style()
            if isinstance(node, CommentedSeq) and block:
                # "- # comment" reads badly: the comment goes on the item's first line
                first = next(iter(built))
                if first not in built.ca.items:
                    built.yaml_add_eol_comment(f"{file}:{line}", first)
            else:
                node.yaml_add_eol_comment(f"{file}:{line}", key)
            inner = True
        commented = commented or inner
    scalars = all(not isinstance(v, dict | list) for v in (value.values() if isinstance(
        value, dict) else value))
    if not commented and scalars and (isinstance(value, list) or len(value) <= _FLOW_KEYS):
        node.fa.set_flow_style()
        # libyaml reads plain scalars of flow collections more strictly than ruamel writes
        # them (a URL's ':', a pattern's '?'): quote whatever is not a plain word
        for key, child in (node.items() if isinstance(node, CommentedMap) else enumerate(node)):
            if isinstance(child, str) and not _PLAIN.fullmatch(child):
                node[key] = SingleQuotedScalarString(child)
    return node, commented


_PLAIN = re.compile(r"[\w.\-]+( [\w.\-]+)*")


# --- pack diff ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two packs: an object added or removed, or a key changed."""

    kind: str  # pack, settings, fields, text, calendar, a section, steps, commitments, cases
    target: str  # the object's id ("workflow/id" for steps and commitments)
    change: str  # added, removed or changed
    key: str | None = None  # the changed key, for ``changed``
    old: Any = None
    new: Any = None
    site: Site | None = None  # where the new value is set (the old one's, when removed)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "change": self.change, "key": self.key,
                "old": self.old, "new": self.new,
                "at": f"{self.site[0]}:{self.site[1]}" if self.site else None}

    def text(self) -> str:
        from .overlay import _NOUN

        mark = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        what = f"{_NOUN.get(self.kind, self.kind)} {self.target}".rstrip()
        if self.change == "changed":
            what += f" {self.key}: {_delta(self.old, self.new)}"
        at = f"  ({self.site[0]}:{self.site[1]})" if self.site and self.site[1] else ""
        return f"{mark} {what}{at}"


def _json(obj: BaseModel) -> Any:
    """What the diff compares: the JSON form, defaults included (an explicit default is no
    change), keys left empty (null) out."""
    return _tidy(obj.model_dump(mode="json", by_alias=True, exclude_none=True))


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a duration of 5.0 working days reads as 5
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


_SHOWN = 100  # characters of a value the text report shows


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            separators=(", ", ": "))
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def _delta(old: Any, new: Any) -> str:
    if old is None:
        return f"(none) → {_show(new)}"
    if new is None:
        return f"{_show(old)} → (none)"
    if isinstance(old, list) and isinstance(new, list):
        gone = [x for x in old if x not in new]
        came = [x for x in new if x not in old]
        if (gone or came) and len(gone) + len(came) < max(len(old), len(new)):
            return ", ".join([*(f"+ {_show(x)}" for x in came), *(f"- {_show(x)}" for x in gone)])
    return f"{_show(old)} → {_show(new)}"


def diff(old: PackSource, new: PackSource, old_cases: Sequence[LoadedCase] = (),
         new_cases: Sequence[LoadedCase] = ()) -> list[Change]:
    """What ``new`` changes against ``old``: pack identity, settings, fields, text, calendar,
    every object by id (steps and commitments inside their workflows), and example cases."""
    out: list[Change] = []
    if old.info is not None and new.info is not None:
        out += _info_changes(old.info, new.info)
    for section in m.SECTIONS:
        out += _section_changes(section, old.entries.get(section, []),
                                new.entries.get(section, []))
    out += _case_changes(old_cases, new_cases)
    return out


def _info_changes(old: Located, new: Located) -> Iterator[Change]:
    a, b = _json(old.obj), _json(new.obj)
    for key in ("id", "name", "name_en", "version", "description"):
        if a.get(key) != b.get(key):
            yield Change("pack", "", "changed", key, a.get(key), b.get(key),
                         new.site(key) if key in b else old.site())
    for kind in ("settings", "fields"):
        yield from _named(kind, a[kind], b[kind], old, new, lambda _side, n, k=kind: (k, n))
    for kind in ("text", "calendar"):
        yield from _keys(kind, "", a[kind], b[kind], old, new, (kind,), (kind,))


def _named(kind: str, a: dict[str, Any], b: dict[str, Any], old: Located, new: Located,
           sub: Any, prefix: str = "") -> Iterator[Change]:
    """Changes between two mappings of named things (settings, fields, steps by id);
    ``sub(side, name)`` is the thing's path inside ``old`` (side 0) or ``new`` (side 1)."""
    for name in [n for n in a if n not in b]:
        yield Change(kind, prefix + name, "removed", site=old.site(*sub(0, name)))
    for name in [n for n in b if n not in a]:
        yield Change(kind, prefix + name, "added", site=new.site(*sub(1, name)))
    for name in [n for n in b if n in a and a[n] != b[n]]:
        yield from _keys(kind, prefix + name, a[name], b[name], old, new, sub(0, name),
                         sub(1, name))


def _keys(kind: str, target: str, a: Any, b: Any, old: Located, new: Located,
          old_sub: tuple[str | int, ...], new_sub: tuple[str | int, ...]) -> Iterator[Change]:
    """A change for each differing key (mappings are walked into: ``limit.working_days``)."""
    for path, x, y in _walk(a, b, ()):
        site = _changed_at(new, (*new_sub, *path), x, y) if y is not None \
            else old.site(*old_sub, *path)
        key = ".".join(str(p) for p in path) or "value"
        yield Change(kind, target, "changed", key, x, y, site)


def _walk(a: Any, b: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            if a.get(key) != b.get(key):
                if key in a and key in b:
                    yield from _walk(a[key], b[key], (*path, key))
                else:
                    yield (*path, key), a.get(key), b.get(key)
    elif a != b:
        yield path, a, b


def _changed_at(loc: Located, sub: tuple[str | int, ...], old: Any, new: Any) -> Site:
    """Where the first part of ``new`` that ``old`` lacks is set (an appended list item, a
    merged key), else where ``new`` is."""
    if isinstance(new, list) and isinstance(old, list):
        fresh = next((i for i, x in enumerate(new) if x not in old), None)
        if fresh is not None:
            return loc.site(*sub, fresh)
    if isinstance(new, dict) and isinstance(old, dict):
        key = next((k for k in new if old.get(k) != new[k]), None)
        if key is not None:
            return _changed_at(loc, (*sub, key), old.get(key), new[key])
    return loc.site(*sub)


def _versions(items: Sequence[Located]) -> dict[str, list[Located]]:
    out: dict[str, list[Located]] = {}
    for loc in items:
        out.setdefault(loc.obj.id, []).append(loc)
    for versions in out.values():
        versions.sort(key=lambda v: getattr(v.obj, "effective", m.ALWAYS).from_ or dt.date.min)
    return out


def _section_changes(section: str, old: Sequence[Located], new: Sequence[Located]
                     ) -> Iterator[Change]:
    a, b = _versions(old), _versions(new)
    for oid in [i for i in a if i not in b]:
        yield from (Change(section, _version_name(v, a[oid]), "removed", site=v.site()) for v in a[oid])
    for oid in [i for i in b if i not in a]:
        yield from (Change(section, _version_name(v, b[oid]), "added", site=v.site()) for v in b[oid])
    for oid in [i for i in b if i in a]:
        olds, news = a[oid], b[oid]
        if len(olds) != len(news):  # versions added or removed: pair those of one period
            periods = {_period(v): v for v in olds}
            paired = [(periods.get(_period(v)), v) for v in news]
            for v in olds:
                if _period(v) not in {_period(n) for n in news}:
                    yield Change(section, _version_name(v, olds), "removed", site=v.site())
        else:
            paired = list(zip(olds, news, strict=True))
        for x, y in paired:
            if x is None:
                yield Change(section, _version_name(y, news), "added", site=y.site())
            else:
                yield from _object_changes(section, x, y, _version_name(y, news))


def _period(loc: Located) -> str:
    return period(getattr(loc.obj, "effective", m.ALWAYS))


def _version_name(loc: Located, versions: Sequence[Located]) -> str:
    return loc.obj.id if len(versions) == 1 else f"{loc.obj.id} ({_period(loc)})"


def _object_changes(section: str, old: Located, new: Located, name: str) -> Iterator[Change]:
    a, b = _json(old.obj), _json(new.obj)
    if a == b:
        return
    for key in NESTED if section == "workflows" else ():
        xs, ys = a.pop(key, []), b.pop(key, [])
        index = ({x["id"]: i for i, x in enumerate(xs)}, {y["id"]: i for i, y in enumerate(ys)})
        yield from _named(key, {x["id"]: x for x in xs}, {y["id"]: y for y in ys}, old, new,
                          lambda side, n, k=key, ix=index: (k, ix[side][n]), f"{new.obj.id}/")
        if list(index[0]) != [i for i in index[1] if i in index[0]]:
            yield Change(section, name, "changed", f"{key} order", list(index[0]),
                         list(index[1]), new.site(key))
    yield from _keys(section, name, a, b, old, new, (), ())


def _case_changes(old: Sequence[LoadedCase], new: Sequence[LoadedCase]) -> Iterator[Change]:
    a = {c.case.id: c for c in old}
    b = {c.case.id: c for c in new}
    for cid in [c for c in a if c not in b]:
        yield Change("cases", cid, "removed", site=(a[cid].file, a[cid].line, a[cid].column))
    for cid in [c for c in b if c not in a]:
        yield Change("cases", cid, "added", site=(b[cid].file, b[cid].line, b[cid].column))
    for cid in [c for c in b if c in a]:
        site = (b[cid].file, b[cid].line, b[cid].column)
        for path, x, y in _walk(_json(a[cid].case), _json(b[cid].case), ()):
            yield Change("cases", cid, "changed", ".".join(path), x, y, site)
