"""Overlays: a pack that extends another pack and changes it by id, keeping provenance.

A provincial pack is the national pack plus local deviations. Its ``pack.yaml`` names a base
in ``pack.extends`` (``builtin: true``, ``path: DIR`` or ``package: NAME``, optionally the base
``versions`` it was written for). What its files list in the sections of a pack is *added*;
``replace:``, ``patch:`` and ``remove:`` change what the base has, by id (docs/overlays.md).

This is a stage of its own between reading and compiling:

1. the base is read to its source form, a :class:`~bizroute.loader.PackSource` with positions
   (a base may be an overlay itself: stacks are read from the bottom up);
2. the overlay's operations are applied to that source form. An object an operation changes
   is dumped from its model to plain data, changed, and validated again, and every value of it
   keeps the position (file, line, column) of the file that set it: a patched object is a
   :class:`~bizroute.loader.Located` whose :class:`~bizroute.yamlsource.SourceMap` mixes the
   base's spans with the overlay's, each span naming its file;
3. the effective :class:`StackSource` goes to the compile step, unchanged. Its findings point
   at the overlay's line where the overlay set a value and at the base's where the base did.

Operations of one overlay apply in the order written, replacements, patches and removals
first and additions last; then every removed object is looked up in what remains, and a
removal that something still refers to fails (BR706) and is undone.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import datetime as dt
import difflib
import hashlib
import itertools
import json
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import models as m
from .codes import make_finding
from .decision import PackRef
from .findings import Finding
from .loader import (
    CASES_DIR,
    Located,
    PackSource,
    _display,
    _display_dir,
    _format_ok,
    default_pack_path,
    read_pack,
    validate_entry,
)
from .yamlsource import Path_, SourceMap, Span, decode_bytes, iter_pack_files, load_yaml_file

if TYPE_CHECKING:
    from .cases import LoadedCase

#: The entry-point group through which installed Python packages offer packs to extend.
ENTRY_POINT_GROUP = "bizroute.packs"
#: The deepest stack read (an overlay on an overlay on ...).
MAX_DEPTH = 16

Action = Literal["add", "replace", "patch", "remove"]
CHANGES = ("replace", "patch", "remove")
#: Kinds kept in the ``pack`` section: keyed maps, and single mappings.
INFO_MAPS = ("settings", "fields")
INFO_SINGLES = ("text", "calendar")
#: Kinds kept inside a workflow, addressed by ``workflow:`` and ``id:``.
NESTED = ("steps", "commitments", "customer_notices")
PACK_KINDS = (*INFO_MAPS, *INFO_SINGLES, *m.SECTIONS, *NESTED)
#: Keys that say which object an operation is about; never part of the object.
SELECTORS = ("id", "workflow", "as_of", "base_digest")
STRATEGIES = ("replace", "append", "prepend", "remove")
#: Mappings a patch merges key by key; any other mapping (a condition, a duration) is replaced.
#: (``commitments`` is a mapping only in an example case's ``expect``: in a workflow, a list.)
MERGED = frozenset({"effective", "codes", "values", "expect", "commitments"})
#: ... and ``request`` (of an example case) is merged all the way down.
DEEP_MERGED = frozenset({"request"})

_NOUN = {"vocabularies": "vocabulary", "sources": "source", "documents": "document",
         "departments": "department", "groups": "group", "categories": "category",
         "rules": "rule", "workflows": "workflow", "steps": "step", "commitments": "commitment",
         "customer_notices": "customer notice",
         "settings": "setting", "fields": "field", "cases": "case", "text": "text",
         "calendar": "calendar"}


# --- the overlay's pack section --------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class Extends(_Strict):
    """The base an overlay is applied to: exactly one of ``builtin``, ``path``, ``package``."""

    builtin: Literal[True] | None = Field(default=None, description="the built-in pack")
    path: str | None = Field(default=None, description="a pack folder, relative to the overlay's")
    package: str | None = Field(
        default=None, description=f"an installed pack: an entry point of group "
        f"{ENTRY_POINT_GROUP!r}, or an importable package whose folder is a pack")
    versions: list[str] = Field(default_factory=list,
                                description="the base versions the overlay was written for")

    @field_validator("versions", mode="before")
    @classmethod
    def _versions_text(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [_as_text(x) for x in v]
        return [_as_text(v)] if isinstance(v, str | int | float) else v

    @model_validator(mode="after")
    def _one_base(self) -> Extends:
        named = [k for k in ("builtin", "path", "package") if getattr(self, k) is not None]
        if len(named) != 1:
            raise PydanticCustomError(
                "invalid_value", "extends names exactly one of 'builtin: true', 'path: DIR' "
                "and 'package: NAME'; found {found}", {"found": ", ".join(named) or "none"})
        return self


class OverlayInfo(_Strict):
    """The ``pack`` section of an overlay: its own identity, its base, and added fields/settings."""

    id: m.Id
    name: str
    name_en: str | None = None
    version: str
    format: int = m.FORMAT_VERSION
    description: str | None = None
    extends: Extends
    fields: dict[str, m.FieldSpec] = Field(default_factory=dict)
    settings: dict[str, int | float] = Field(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return _as_text(v)


# --- what a stack is made of ------------------------------------------------------------------


Site = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Layer:
    """One pack of a stack: the base (``extends`` is None) or an overlay."""

    root: Path
    id: str
    version: str
    digest: str  # of the layer's own files
    extends: Extends | None = None
    info: Located | None = None  # the overlay's pack section, for positions


@dataclass(frozen=True, slots=True)
class Operation:
    """One add, replace, patch or remove, as written."""

    action: Action
    kind: str
    target: str  # id; setting name; field path; "" for text and calendar
    data: Any  # the object (add, replace) or the keys to set (patch); None for remove
    smap: SourceMap
    path: Path_  # the operation's item in its file
    data_path: Path_  # where ``data`` is in the file (the item, or the value of a setting)
    workflow: str | None = None  # steps and commitments
    as_of: dt.date | None = None
    base_digest: str | None = None
    located: Located | None = None  # an added object, validated as read

    def site(self, *sub: str | int) -> Site:
        if self.located is not None:
            return self.located.site(*sub)
        span = self.smap.value((*self.data_path, *sub) if sub else self.path)
        return (self.smap.file, span.line, span.column) if span else (self.smap.file, 0, 0)

    def describe(self) -> str:
        what = _NOUN.get(self.kind, self.kind)
        if self.kind in INFO_SINGLES:
            return what
        if self.workflow is not None:
            return f"{what} {self.workflow}/{self.target}"
        return f"{what} {self.target!r}"


@dataclass(frozen=True, slots=True)
class Applied:
    """What one operation did; ``before`` and ``after`` are the target's JSON form."""

    layer: int  # index into StackSource.layers
    action: Action
    kind: str
    target: str  # "workflow/id" for steps and commitments
    version: str  # the target's effective period, for dated objects
    keys: frozenset[str]  # the keys it set ("*": all of them)
    before: Any
    after: Any
    base_digest: str | None
    site: Site

    def describe(self) -> str:
        return f"{_NOUN.get(self.kind, self.kind)} {self.target!r}" if self.target \
            else _NOUN.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class StackSource(PackSource):
    """The effective source of an overlay: its base with the overlay's operations applied."""

    layers: tuple[Layer, ...] = ()
    applied: tuple[Applied, ...] = ()

    def stack_refs(self) -> tuple[PackRef, ...]:
        return tuple(PackRef(layer.id, layer.version, layer.digest) for layer in self.layers)


def digest_of(value: Any) -> str:
    """The digest an operation records in ``base_digest``: of the target's JSON form.

    Twelve characters of base32 (a-z, 2-7), so that YAML reads it as text unquoted: a hex
    digest made only of digits would be read as a number, losing its leading zeros."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:12].lower()


def stack_digest(layers: Sequence[Layer]) -> str:
    digest = hashlib.sha256(b"stack\0")
    for layer in layers:
        digest.update(layer.digest.encode() + b"\0")
    return digest.hexdigest()[:16]


# --- is it an overlay, and what does it extend ------------------------------------------------


def is_overlay(root: Path) -> bool:
    """Whether the pack at ``root`` is an overlay: its ``pack.yaml`` has ``pack.extends``."""
    for name in ("pack.yaml", "pack.yml"):
        path = root / name
        if not path.is_file():  # a FIFO or a folder is not read here
            continue
        try:
            text, _ = decode_bytes(path.read_bytes())
        except (OSError, UnicodeDecodeError):
            return False  # reading the pack reports it
        if "extends" not in text:  # most packs: no need to parse the file twice
            return False
        data, _, _ = load_yaml_file(path, name)
        section = data.get("pack") if isinstance(data, dict) else None
        return isinstance(section, dict) and "extends" in section
    return False


def read_source(root: Path, findings: list[Finding]) -> PackSource:
    """The source form of the pack at ``root``: as read, or, for an overlay, its effective stack."""
    if not is_overlay(root):
        return read_pack(root, findings)
    return _read_stack(root, findings, ())


def base_root(root: Path, findings: list[Finding] | None = None) -> Path | None:
    """The folder of the pack an overlay extends (``None``: not an overlay, or not found)."""
    if not is_overlay(root):
        return None
    sink: list[Finding] = [] if findings is None else findings
    info = _read_info(root, sink)
    return None if info is None else _resolve_base(root, info, sink, ())


def _read_info(root: Path, findings: list[Finding]) -> Located | None:
    path = root / "pack.yaml" if (root / "pack.yaml").is_file() else root / "pack.yml"
    display = _display(root, path)
    data, smap, file_findings = load_yaml_file(path, display)
    findings.extend(file_findings)
    if not isinstance(data, dict) or not _format_ok(data.get("pack"), smap, display, findings):
        return None
    info = validate_entry(OverlayInfo, data.get("pack"), ("pack",), smap, findings)
    return None if info is None else Located(info, display, ("pack",), smap)


def _resolve_base(root: Path, info: Located, findings: list[Finding],
                  chain: tuple[Path, ...]) -> Path | None:
    ext: Extends = info.obj.extends
    if ext.builtin:
        base, key = default_pack_path(), "builtin"
    elif ext.path is not None:
        base, key = root / ext.path, "path"
        if not base.is_dir():
            what = "does not exist" if not base.exists() else "is not a folder"
            _error(findings, "BR701", f"base pack {ext.path!r} ({_display_dir(base)}) {what}",
                   info.site("extends", "path"), info.obj.id)
            return None
    else:
        assert ext.package is not None
        found = _installed_pack(ext.package, info, findings)
        if found is None:
            return None
        base, key = found, "package"
    here = root.resolve()
    if base.resolve() in (*chain, here):
        loop = " → ".join(p.name for p in (*chain, here, base.resolve()))
        _error(findings, "BR701", f"the stack comes back to a pack it already holds: {loop}",
               info.site("extends", key), info.obj.id)
        return None
    if len(chain) + 1 >= MAX_DEPTH:
        _error(findings, "BR701", f"the stack is deeper than {MAX_DEPTH} packs",
               info.site("extends", key), info.obj.id)
        return None
    return base


def _installed_pack(name: str, info: Located, findings: list[Finding]) -> Path | None:
    """An installed pack: an entry point of :data:`ENTRY_POINT_GROUP` named ``name`` (a
    package, a path, or a function returning one), else an importable package of that name."""
    site = info.site("extends", "package")
    points = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    target: Any
    if points:
        point = points[0]
        try:
            target = point.load()
            if callable(target) and not isinstance(target, ModuleType):
                target = target()
            if isinstance(target, ModuleType):
                target = resources.files(target)
        except Exception as exc:  # anything an installed package's code raises
            _error(findings, "BR701", f"the pack {name!r} ({point.value}, entry point group "
                   f"{ENTRY_POINT_GROUP!r}) cannot be loaded: {type(exc).__name__}: {exc}",
                   site, info.obj.id)
            return None
    else:
        try:
            target = resources.files(name)
        except (ImportError, TypeError, ValueError):
            _error(findings, "BR701", f"no installed pack {name!r}: no entry point of that name "
                   f"in group {ENTRY_POINT_GROUP!r} and no importable package", site, info.obj.id)
            return None
    path = Path(str(target))
    if not path.is_dir():
        _error(findings, "BR701", f"the installed pack {name!r} is not a folder ({path})", site,
               info.obj.id)
        return None
    return path


def _error(findings: list[Finding], code: str, message: str, site: Site,
           object_id: str | None = None, hint: str | None = None) -> None:
    findings.append(make_finding(code, message, site[0], site[1], site[2], object_id=object_id,
                                 hint=hint))


# --- reading an overlay's own files -----------------------------------------------------------


@dataclass(slots=True)
class _LayerFiles:
    info: Located | None
    operations: list[Operation]
    digest: str
    files: tuple[str, ...]


def _read_layer(root: Path, findings: list[Finding]) -> _LayerFiles:
    digest = hashlib.sha256()
    files: list[str] = []
    ops: list[Operation] = []
    infos: list[Located] = []
    for path in iter_pack_files(root):
        if path.relative_to(root).parts[0] == CASES_DIR:
            continue
        rel, display = path.relative_to(root).as_posix(), _display(root, path)
        files.append(rel)
        digest.update(rel.encode() + b"\0")
        with contextlib.suppress(OSError):  # load_yaml_file reports it
            digest.update(path.read_bytes() + b"\0")
        data, smap, file_findings = load_yaml_file(path, display)
        findings.extend(file_findings)
        if data is None:
            continue
        if not isinstance(data, dict):
            _error(findings, "BR006", "the top level must be a mapping of sections", (display, 1, 1))
            continue
        for section, content in data.items():
            if section == "pack":
                if infos:
                    _error(findings, "BR011", f"a second 'pack' section (the first is in "
                           f"{infos[0].file})", _key_site(smap, (section,)))
                    continue
                if not _format_ok(content, smap, display, findings):
                    continue
                info = validate_entry(OverlayInfo, content, ("pack",), smap, findings)
                if info is not None:
                    infos.append(Located(info, display, ("pack",), smap))
                    ops += _info_additions(content, smap)
            elif section in m.SECTIONS:
                ops += _section_additions(section, content, smap, findings)
            elif section in CHANGES:
                ops += _parse_changes(section, content, smap, findings, PACK_KINDS)
            else:
                _unknown_section(section, smap, findings, ("pack", *m.SECTIONS, *CHANGES))
    return _LayerFiles(infos[0] if infos else None, ops, digest.hexdigest()[:16], tuple(files))


def _key_site(smap: SourceMap, path: Path_) -> Site:
    span = smap.key(path)
    return (smap.file, span.line, span.column) if span else (smap.file, 0, 0)


def _value_site(smap: SourceMap, path: Path_) -> Site:
    span = smap.value(path)
    return (smap.file, span.line, span.column) if span else (smap.file, 0, 0)


def _unknown_section(section: str, smap: SourceMap, findings: list[Finding],
                     known: Sequence[str]) -> None:
    near = difflib.get_close_matches(section, known, 1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    _error(findings, "BR702", f"an overlay does not take section {section!r}{hint} (it takes: "
           f"{', '.join(known)})", _key_site(smap, (section,)))


def _info_additions(content: dict[str, Any], smap: SourceMap) -> list[Operation]:
    ops = []
    for kind in INFO_MAPS:
        for name, value in (content.get(kind) or {}).items():
            path = ("pack", kind, name)
            ops.append(Operation("add", kind, name, value, smap, path, path))
    return ops


def _section_additions(section: str, content: Any, smap: SourceMap,
                       findings: list[Finding]) -> list[Operation]:
    if content is None:
        return []
    if not isinstance(content, list):
        _error(findings, "BR103", f"section {section!r} must be a list", _key_site(smap, (section,)))
        return []
    ops = []
    for index, item in enumerate(content):
        obj = validate_entry(m.SECTIONS[section], item, (section, index), smap, findings)
        if obj is not None:
            loc = Located(obj, smap.file, (section, index), smap)
            ops.append(Operation("add", section, obj.id, item, smap, (section, index),  # type: ignore[attr-defined]
                                 (section, index), located=loc))
    return ops


def _parse_changes(action: Literal["replace", "patch", "remove"], content: Any, smap: SourceMap,
                   findings: list[Finding], kinds: Sequence[str]) -> list[Operation]:
    """The operations of one ``replace:``, ``patch:`` or ``remove:`` section."""
    if not isinstance(content, dict):
        _error(findings, "BR103", f"{action!r} is a mapping from object kinds to operations "
               f"(e.g. {action}: {{rules: [...]}})", _key_site(smap, (action,)))
        return []
    ops: list[Operation] = []
    for kind, items in content.items():
        base: Path_ = (action, kind)
        if kind not in kinds or (action == "remove" and kind in INFO_SINGLES):
            near = difflib.get_close_matches(str(kind), kinds, 1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            what = (f"{kind} cannot be removed, only patched or replaced" if kind in INFO_SINGLES
                    else f"{kind!r} is not an object kind{hint} (kinds: {', '.join(kinds)})")
            _error(findings, "BR702", f"{action}: {what}", _key_site(smap, base))
            continue
        if items is None:
            continue
        if kind in INFO_SINGLES:
            ops += _single_change(action, kind, items, smap, base, findings)
        elif kind in INFO_MAPS and action != "remove":
            ops += _keyed_changes(action, kind, items, smap, base, findings)
        else:
            ops += _listed_changes(action, kind, items, smap, base, findings)
    return ops


def _single_change(action: Action, kind: str, items: Any, smap: SourceMap, base: Path_,
                   findings: list[Finding]) -> list[Operation]:
    if not isinstance(items, dict):
        _error(findings, "BR103", f"{action} of {kind} is a mapping of its keys",
               _value_site(smap, base))
        return []
    data = {k: v for k, v in items.items() if k != "base_digest"}
    digest = _digest_selector(items.get("base_digest"), smap, (*base, "base_digest"), findings)
    return [Operation(action, kind, "", data, smap, base, base, base_digest=digest)]


def _keyed_changes(action: Action, kind: str, items: Any, smap: SourceMap, base: Path_,
                   findings: list[Finding]) -> list[Operation]:
    """``settings: {name: value}`` or ``fields: {path: {...}}``, for replace and patch."""
    if not isinstance(items, dict):
        _error(findings, "BR103", f"{action} of {kind} is a mapping from "
               f"{'setting names to numbers' if kind == 'settings' else 'field paths to fields'}",
               _value_site(smap, base))
        return []
    ops = []
    for name, value in items.items():
        path: Path_ = (*base, name)
        digest = None
        data_path = path
        if kind == "settings":
            if isinstance(value, dict):  # the long form: {value: 100, base_digest: ...}
                extra = sorted(set(value) - {"value", "base_digest"})
                if extra or "value" not in value:
                    _error(findings, "BR103", f"setting {name!r}: a number, or {{value: NUMBER, "
                           "base_digest: DIGEST}", _value_site(smap, path))
                    continue
                digest = _digest_selector(value.get("base_digest"), smap, (*path, "base_digest"),
                                          findings)
                value, data_path = value["value"], (*path, "value")
            if isinstance(value, bool) or not isinstance(value, int | float):
                _error(findings, "BR103", f"setting {name!r} is a number; {value!r} is not",
                       _value_site(smap, data_path))
                continue
        else:
            if not isinstance(value, dict):
                _error(findings, "BR103", f"field {name!r}: expected a mapping of the field's "
                       "keys", _value_site(smap, path))
                continue
            digest = _digest_selector(value.get("base_digest"), smap, (*path, "base_digest"),
                                      findings)
            value = {k: v for k, v in value.items() if k != "base_digest"}
        ops.append(Operation(action, kind, str(name), value, smap, path, data_path,
                             base_digest=digest))
    return ops


def _listed_changes(action: Action, kind: str, items: Any, smap: SourceMap, base: Path_,
                    findings: list[Finding]) -> list[Operation]:
    """A list of operations on objects by id (and names for removing settings and fields)."""
    if not isinstance(items, list):
        _error(findings, "BR103", f"{action} of {kind} is a list", _value_site(smap, base))
        return []
    nested = kind in NESTED
    ops = []
    for index, item in enumerate(items):
        path: Path_ = (*base, index)
        if isinstance(item, str) and action == "remove" and not nested:
            ops.append(Operation(action, kind, item, None, smap, path, path))
            continue
        if not isinstance(item, dict):
            shape = "{workflow: ID, id: ID}" if nested else "an id or {id: ID}"
            _error(findings, "BR103", f"{action} of {kind}: expected "
                   f"{shape if action == 'remove' else 'a mapping with id'}",
                   _value_site(smap, path))
            continue
        target = item.get("id")
        ok = True
        if not isinstance(target, str) or not target:
            _error(findings, "BR101", f"{action} of {kind}: the operation needs 'id', the id of "
                   f"the {_NOUN.get(kind, kind)} it changes", _value_site(smap, path))
            ok = False
        workflow = item.get("workflow")
        if nested and not (isinstance(workflow, str) and workflow):
            _error(findings, "BR101", f"{action} of {kind}: the operation needs 'workflow', the "
                   f"id of the workflow the {_NOUN[kind]} is in", _value_site(smap, path))
            ok = False
        elif not nested and "workflow" in item and kind != "categories":
            _error(findings, "BR102", "unknown key 'workflow' (only steps and commitments take it)",
                   _key_site(smap, (*path, "workflow")))
            ok = False
        # a case's as_of is its own date, not a version selector: cases have no versions
        as_of = item.get("as_of") if kind != "cases" else None
        if as_of is not None and not (isinstance(as_of, dt.date)
                                      and not isinstance(as_of, dt.datetime)):
            _error(findings, "BR103", f"as_of: expected a date (YYYY-MM-DD), got {as_of!r}",
                   _value_site(smap, (*path, "as_of")))
            ok = False
        digest = _digest_selector(item.get("base_digest"), smap, (*path, "base_digest"), findings)
        if action == "remove":
            allowed = set(SELECTORS) - ({"as_of"} if kind == "cases" else set())
            for key in sorted(set(item) - allowed):
                _error(findings, "BR102", f"unknown key {key!r}: a removal names its target "
                       "(id, as_of, workflow, base_digest) and nothing else",
                       _key_site(smap, (*path, key)))
                ok = False
        if not ok:
            continue
        drop = SELECTORS if action == "patch" or nested else ("as_of", "base_digest")
        # a category's own 'workflow' key and a case's 'as_of' are data, not selectors
        kept = {"workflow"} if not nested else set()
        kept |= {"as_of"} if kind == "cases" else set()
        data = None if action == "remove" else {
            k: v for k, v in item.items() if k not in drop or k in kept}
        if action == "replace" and nested:
            data = {"id": target, **(data or {})}
        ops.append(Operation(action, kind, str(target), data, smap, path, path,
                             workflow=workflow if nested else None, as_of=as_of,
                             base_digest=digest))
    return ops


def _digest_selector(value: Any, smap: SourceMap, path: Path_,
                     findings: list[Finding]) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # unquoted digits: compare them as written
    if not isinstance(value, str) or not value.strip():
        _error(findings, "BR103", f"base_digest: expected the digest text that bizroute check "
               f"reports, got {value!r}", _value_site(smap, path))
        return None
    return value.strip().lower()


# --- the working copy of a source, with provenance --------------------------------------------


def _dump(obj: BaseModel) -> dict[str, Any]:
    """An object back to plain data, as it could have been written."""
    return obj.model_dump(by_alias=True, exclude_unset=True)


def _json(obj: BaseModel) -> dict[str, Any]:
    """An object's full JSON form (defaults included): what digests and no-op checks compare."""
    return obj.model_dump(mode="json", by_alias=True)


def _spans(smap: SourceMap, prefix: Path_, file: str
           ) -> tuple[dict[Path_, Span], dict[Path_, Span]]:
    """The spans under ``prefix``, relative to it, each naming its file."""
    n = len(prefix)

    def take(spans: dict[Path_, Span]) -> dict[Path_, Span]:
        return {path[n:]: span if span.file else dataclasses.replace(span, file=file)
                for path, span in spans.items() if path[:n] == prefix}

    return take(smap.values), take(smap.keys)


class _Entry:
    """One object of the working copy: as read until an operation changes it, then as data
    whose every value keeps the span (with its file) of whatever set it."""

    __slots__ = ("data", "file", "keys", "located", "path", "values")

    def __init__(self, located: Located | None, file: str, path: Path_,
                 data: dict[str, Any] | None = None,
                 spans: tuple[dict[Path_, Span], dict[Path_, Span]] | None = None) -> None:
        self.located = located  # as read; the fallback when the changed object is invalid
        self.file = file  # where the object was written (or last replaced)
        self.path = path  # its path there
        self.data = data
        self.values, self.keys = spans or ({}, {})

    @classmethod
    def of(cls, loc: Located) -> _Entry:
        return cls(loc, loc.file, loc.path)

    @property
    def changed(self) -> bool:
        return self.data is not None

    def open(self) -> dict[str, Any]:
        if self.data is None:
            assert self.located is not None
            self.data = _dump(self.located.obj)
            self.values, self.keys = _spans(self.located.smap, self.located.path,
                                            self.located.file)
        return self.data

    @property
    def oid(self) -> str:
        if self.data is not None:
            return str(self.data.get("id"))
        assert self.located is not None
        return str(self.located.obj.id)

    def effective(self) -> m.Effective:
        if self.data is None:
            assert self.located is not None
            effective: m.Effective = getattr(self.located.obj, "effective", m.ALWAYS)
            return effective
        try:
            return m.Effective.model_validate(self.data.get("effective") or {})
        except ValueError:
            return m.ALWAYS

    def site(self, sub: Path_) -> Site:
        if self.data is None:
            assert self.located is not None
            return self.located.site(*sub)
        while True:
            span = self.values.get(sub)
            if span is not None:
                return span.file or self.file, span.line, span.column
            if not sub:
                return self.file, 0, 0
            sub = sub[:-1]

    # provenance edits; paths are relative to the object

    def drop(self, sub: Path_) -> None:
        n = len(sub)
        for spans in (self.values, self.keys):
            for path in [p for p in spans if p[:n] == sub]:
                del spans[path]

    def graft(self, sub: Path_, smap: SourceMap, source: Path_) -> None:
        values, keys = _spans(smap, source, smap.file)
        self.values.update({(*sub, *p): s for p, s in values.items()})
        self.keys.update({(*sub, *p): s for p, s in keys.items()})

    def shift(self, sub: Path_, start: int, delta: int) -> None:
        """Renumber the items of the list at ``sub`` from ``start`` on by ``delta``."""
        n = len(sub)
        for name in ("values", "keys"):
            spans: dict[Path_, Span] = getattr(self, name)
            moved = {}
            for path, span in spans.items():
                item = path[n] if len(path) > n and path[:n] == sub else None
                if isinstance(item, int) and item >= start:
                    path = (*sub, item + delta, *path[n + 1:])
                moved[path] = span
            setattr(self, name, moved)

    def located_as(self, model: type[BaseModel], findings: list[Finding]) -> Located | None:
        """The object as the compile step reads it (validated again if it changed)."""
        if self.data is None:
            return self.located
        prefix = self.path
        smap = SourceMap(self.file, {(*prefix, *p): s for p, s in self.values.items()},
                         {(*prefix, *p): s for p, s in self.keys.items()})
        obj = validate_entry(model, self.data, prefix, smap, findings)
        if obj is None:
            return self.located  # the error is reported; keep the object as it was
        return Located(obj, self.file, prefix, smap)


def _get(data: Any, sub: Path_) -> Any:
    for part in sub:
        data = data[part]
    return data


def _ident(item: Any) -> str:
    """How a list item is recognised: its id, else the item itself."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return str(item["id"])
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def _strategy(value: Any) -> tuple[str, list[Any]] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, items),) = value.items()
        if key in STRATEGIES and isinstance(items, list):
            return key, items
    return None


def period(effective: m.Effective) -> str:
    """An effective period as text: ``always``, ``from 2024-06-01``, ``2011-10-13 to 2024-06-01``."""
    lo, hi = effective.from_, effective.until
    if lo and hi:
        return f"{lo} to {hi}"
    if lo:
        return f"from {lo}"
    return f"until {hi}" if hi else "always"


@dataclass(slots=True)
class _Pending:
    op: Operation
    entry: _Entry | None  # None for settings, fields, text, calendar (the pack section)
    keys: frozenset[str]
    before: Any
    version: str


class _Changes:
    """Merging with provenance, and reporting, for the operations of one overlay."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def error(self, code: str, message: str, site: Site, op: Operation | None = None,
              hint: str | None = None) -> None:
        _error(self.findings, code, message, site, op.target if op and op.target else None, hint)

    def merge(self, entry: _Entry, sub: Path_, patch: dict[str, Any], op: Operation,
              source: Path_, deep: bool = False) -> None:
        """Set the keys of ``patch`` in the mapping at ``sub``: ``null`` removes a key, a list
        strategy changes a list, :data:`MERGED` mappings merge, anything else is replaced."""
        node = _get(entry.data, sub)
        for key, value in patch.items():
            here, there = (*sub, key), (*source, key)
            if value is None:
                node.pop(key, None)
                entry.drop(here)
                continue
            strategy = _strategy(value)
            if strategy is not None:
                self.merge_list(entry, node, key, strategy, op, here, there)
                continue
            if isinstance(value, list):
                self.error("BR707", f"{key!r} is a list: say how it changes the base's, with "
                           "{replace: [...]}, {append: [...]}, {prepend: [...]} or "
                           "{remove: [...]}", _value_site(op.smap, there), op)
                continue
            merged = deep or key in DEEP_MERGED
            if isinstance(value, dict) and isinstance(node.get(key), dict) and (
                    merged or key in MERGED):
                self.merge(entry, here, value, op, there, merged)
                continue
            node[key] = copy.deepcopy(value)
            entry.drop(here)
            entry.graft(here, op.smap, there)

    def merge_list(self, entry: _Entry, node: dict[str, Any], key: str,
                   strategy: tuple[str, list[Any]], op: Operation, here: Path_,
                   there: Path_) -> None:
        how, items = strategy
        given = (*there, how)
        current = node.get(key)
        if current is None:
            current = []
        if not isinstance(current, list):
            self.error("BR707", f"{key!r} is not a list in the base; set it without "
                       f"{how!r}", _key_site(op.smap, given), op)
            return
        if how == "replace":
            node[key] = copy.deepcopy(items)
            entry.drop(here)
            entry.graft(here, op.smap, given)
            return
        held = {_ident(x) for x in current}
        if how in ("append", "prepend"):
            new = []
            for j, item in enumerate(items):
                ident = _ident(item)
                if ident in held:
                    self.error("BR703", f"{key} already holds {ident!r}", _value_site(
                        op.smap, (*given, j)), op)
                    continue
                held.add(ident)
                new.append((j, copy.deepcopy(item)))
            if how == "prepend":
                entry.shift(here, 0, len(new))
                for k, (j, item) in enumerate(new):
                    current.insert(k, item)
                    entry.graft((*here, k), op.smap, (*given, j))
            else:
                for j, item in new:
                    current.append(item)
                    entry.graft((*here, len(current) - 1), op.smap, (*given, j))
            node[key] = current
            return
        for j, item in enumerate(items):
            ident = _ident(item)
            at = next((i for i, x in enumerate(current) if _ident(x) == ident), None)
            if at is None:
                self.error("BR704", f"remove: {key} has no {ident!r}",
                           _value_site(op.smap, (*given, j)), op)
                continue
            del current[at]
            entry.drop((*here, at))
            entry.shift(here, at + 1, -1)
        node[key] = current


class _Workspace(_Changes):
    """A source being changed by the operations of one overlay."""

    def __init__(self, base: PackSource, layer: int, findings: list[Finding]) -> None:
        super().__init__(findings)
        self.layer = layer
        self.info = _Entry.of(base.info) if base.info is not None else None
        self.sections = {s: [_Entry.of(loc) for loc in base.entries.get(s, [])]
                         for s in m.SECTIONS}
        self.claims: dict[Hashable, Operation] = {}
        self.pending: list[_Pending] = []
        self.removed: list[tuple[Operation, str, _Entry | None, Any]] = []

    def claim(self, key: Hashable, op: Operation) -> bool:
        first = self.claims.get(key)
        if first is not None:
            file, line, _ = first.site()
            self.error("BR708", f"{op.describe()} is already changed by this overlay at "
                       f"{file}:{line}; write one operation", op.site(), op)
            return False
        self.claims[key] = op
        return True

    # --- operations

    def apply(self, op: Operation) -> None:
        if op.kind in INFO_MAPS or op.kind in INFO_SINGLES:
            if self.info is not None:  # without one, the base's own error says why
                self.on_info(op)
        elif op.kind in NESTED:
            self.on_nested(op)
        else:
            self.on_section(op)

    def on_section(self, op: Operation) -> None:
        entries = self.sections[op.kind]
        if op.action == "add":
            assert op.located is not None
            new = op.located
            effective = getattr(new.obj, "effective", m.ALWAYS)
            for entry in entries:
                if entry.oid == op.target and entry.effective().overlaps(effective):
                    file, line, _ = entry.site(())
                    self.error("BR703", f"{op.kind} id {op.target!r} is already in the base "
                               f"({file}:{line}) and in force at the same time; change it with "
                               "replace: or patch:, or give the new version an effective period "
                               "that does not overlap", new.site("id"), op)
                    return
            if not self.claim(("add", op.kind, op.target, period(effective)), op):
                return
            entries.append(_Entry.of(new))
            self.pending.append(_Pending(op, entries[-1], frozenset({"*"}), None,
                                         period(effective)))
            return
        index = self.find(entries, op)
        if index is None:
            return
        entry = entries[index]
        if not self.claim(("entry", id(entry)), op):
            return
        if op.kind == "workflows" and ("nested", id(entry)) in self.claims:
            self.claim(("nested", id(entry)), op)  # reports the conflict
            return
        before = _json(entry.located.obj) if entry.located is not None else None
        version = period(entry.effective())
        if op.action == "remove":
            del entries[index]
            self.removed.append((op, op.kind, None, (entries, index, entry)))
            self.pending.append(_Pending(op, None, frozenset({"*"}), before, version))
            return
        if op.action == "replace":
            replaced = _Entry(entry.located, op.smap.file, op.path[1:], copy.deepcopy(op.data),
                              _spans(op.smap, op.path, op.smap.file))
            entries[index] = replaced
            self.claims[("entry", id(replaced))] = op  # a later operation on it is a conflict
            self.pending.append(_Pending(op, replaced, frozenset({"*"}), before, version))
            return
        entry.open()
        self.merge(entry, (), op.data, op, op.data_path)
        self.pending.append(_Pending(op, entry, frozenset(op.data), before, version))

    def find(self, entries: list[_Entry], op: Operation, what: str | None = None) -> int | None:
        """The index of the operation's target, or None with the reason reported."""
        target = op.workflow if what == "workflows" else op.target
        kind = what or op.kind
        found = [i for i, e in enumerate(entries) if e.oid == target]
        if not found:
            near = difflib.get_close_matches(str(target), {e.oid for e in entries}, 1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            self.error("BR704", f"{op.action}: {_NOUN[kind]} {target!r} is not in the base{hint}",
                       op.site(), op)
            return None
        versions = ", ".join(period(entries[i].effective()) for i in found)
        if op.as_of is not None:
            found = [i for i in found if entries[i].effective().contains(op.as_of)]
            if not found:
                self.error("BR704", f"{op.action}: no version of {_NOUN[kind]} {target!r} is in "
                           f"force on {op.as_of} (versions: {versions})", op.site("as_of"), op)
                return None
        elif len(found) > 1:
            self.error("BR705", f"{op.action}: {_NOUN[kind]} {target!r} has {len(found)} "
                       f"versions ({versions}); say which with as_of: DATE", op.site(), op)
            return None
        return found[0]

    def on_nested(self, op: Operation) -> None:
        workflows = self.sections["workflows"]
        index = self.find(workflows, op, "workflows")
        if index is None:
            return
        entry = workflows[index]
        if ("entry", id(entry)) in self.claims:
            self.claim(("entry", id(entry)), op)  # reports the conflict
            return
        if not self.claim(("nested", id(entry), op.kind, op.target), op):
            return
        self.claims.setdefault(("nested", id(entry)), op)
        assert entry.located is not None
        model_items = getattr(entry.located.obj, op.kind)
        items = entry.open().setdefault(op.kind, [])
        at = next((i for i, item in enumerate(items) if item.get("id") == op.target), None)
        if at is None:
            near = difflib.get_close_matches(op.target, [str(i.get("id")) for i in items], 1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            self.error("BR704", f"{op.action}: workflow {op.workflow!r} has no "
                       f"{_NOUN[op.kind]} {op.target!r}{hint}", op.site(), op)
            return
        before = next((_json(x) for x in model_items if x.id == op.target), None)
        version = period(entry.effective())
        sub: Path_ = (op.kind, at)
        if op.action == "remove":
            del items[at]
            entry.drop(sub)
            entry.shift((op.kind,), at + 1, -1)
            self.removed.append((op, op.kind, entry, None))
            self.pending.append(_Pending(op, None, frozenset({"*"}), before, version))
        elif op.action == "replace":
            items[at] = copy.deepcopy(op.data)
            entry.drop(sub)
            entry.graft(sub, op.smap, op.path)
            self.pending.append(_Pending(op, entry, frozenset({"*"}), before, version))
        else:
            self.merge(entry, sub, op.data, op, op.data_path)
            self.pending.append(_Pending(op, entry, frozenset(op.data), before, version))

    def on_info(self, op: Operation) -> None:
        info = self.info
        assert info is not None and info.located is not None
        if not self.claim(("info", op.kind, op.target), op):
            return
        data = info.open()
        base_info = info.located.obj
        if op.kind in INFO_SINGLES:
            whole = _json(getattr(base_info, op.kind))
            if op.action == "replace":
                data[op.kind] = copy.deepcopy(op.data)
                info.drop((op.kind,))
                info.graft((op.kind,), op.smap, op.data_path)
                keys = frozenset({"*"})
            else:
                data.setdefault(op.kind, {})
                self.merge(info, (op.kind,), op.data, op, op.data_path)
                keys = frozenset(op.data)
            self.pending.append(_Pending(op, info, keys, whole, ""))
            return
        table = data.setdefault(op.kind, {})
        sub: Path_ = (op.kind, op.target)
        current = getattr(base_info, op.kind)
        exists = op.target in table
        before: Any = None
        if op.action == "add":
            if exists:
                file, line, _ = info.site(sub)
                self.error("BR703", f"{_NOUN[op.kind]} {op.target!r} is already in the base "
                           f"({file}:{line}); change it with patch: or replace:",
                           _key_site(op.smap, op.path), op)
                return
        else:
            if not exists:
                near = difflib.get_close_matches(op.target, list(table), 1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                self.error("BR704", f"{op.action}: {_NOUN[op.kind]} {op.target!r} is not in the "
                           f"base{hint}", _key_site(op.smap, op.path), op)
                return
            value = current.get(op.target)
            before = _json(value) if isinstance(value, BaseModel) else value
        keys = frozenset({"*"})
        if op.action == "remove":
            del table[op.target]
            info.drop(sub)
            self.removed.append((op, op.kind, None, None))
        elif op.action == "patch" and op.kind == "fields":
            self.merge(info, sub, op.data, op, op.data_path)
            keys = frozenset(op.data)
        else:
            table[op.target] = copy.deepcopy(op.data)
            info.drop(sub)
            info.graft(sub, op.smap, op.data_path)
            info.keys[sub] = op.smap.key(op.path) or info.keys.get(sub) or Span(0, 0, 0, 0)
            if info.keys[sub].file is None:
                info.keys[sub] = dataclasses.replace(info.keys[sub], file=op.smap.file)
        self.pending.append(_Pending(op, info if op.action != "remove" else None, keys, before,
                                     ""))

    # --- removals that something still refers to

    def check_removals(self) -> None:
        for op, kind, workflow_entry, restore in self.removed:
            if kind in m.SECTIONS and any(e.oid == op.target for e in self.sections[kind]):
                continue  # another version, or an addition, still answers to the id
            refs = list(self.references(kind, op.target, workflow_entry))
            if not refs:
                continue
            shown = "; ".join(refs[:8]) + (f"; and {len(refs) - 8} more" if len(refs) > 8 else "")
            self.error("BR706", f"{op.describe()} cannot be removed: {len(refs)} reference(s) "
                       f"to it remain: {shown}", op.site(), op,
                       hint="change or remove them in the same overlay")
            self.undo(op, kind, workflow_entry, restore)

    def undo(self, op: Operation, kind: str, workflow_entry: _Entry | None, restore: Any) -> None:
        """Put a removed object back, so that its references do not fail one by one."""
        self.pending = [p for p in self.pending if p.op is not op]
        if restore is not None:
            entries, index, entry = restore
            entries.insert(min(index, len(entries)), entry)
        elif workflow_entry is not None:
            assert workflow_entry.located is not None
            item = next(x for x in getattr(workflow_entry.located.obj, kind) if x.id == op.target)
            workflow_entry.open()[kind].append(_dump(item))
        else:
            assert self.info is not None and self.info.located is not None
            value = getattr(self.info.located.obj, kind)[op.target]
            self.info.open()[kind][op.target] = _dump(value) if isinstance(value, BaseModel) \
                else value

    def references(self, kind: str, target: str, workflow_entry: _Entry | None
                   ) -> Iterator[str]:
        """Every remaining reference to ``target`` of ``kind``, as ``what (file:line)``."""
        scopes = ["categories", "rules", "workflows"] if kind != "steps" else []
        for section in scopes:
            for entry in self.sections[section]:
                data = entry.data if entry.data is not None else _dump(entry.located.obj)  # type: ignore[union-attr]
                for sub in _references_in(section, data, kind, target):
                    file, line, _ = entry.site(sub)
                    yield f"{_NOUN[section]} {entry.oid!r} at {file}:{line}"
        if kind == "steps" and workflow_entry is not None:
            data = workflow_entry.open()
            for i, step in enumerate(data.get("steps", [])):
                for j, before in enumerate(step.get("after", [])):
                    if before == target:
                        file, line, _ = workflow_entry.site(("steps", i, "after", j))
                        yield f"step {step.get('id')!r} (after) at {file}:{line}"
            for i, com in enumerate(data.get("commitments", [])):
                for end in ("from", "to"):
                    if com.get(end) == target:
                        file, line, _ = workflow_entry.site(("commitments", i, end))
                        yield f"commitment {com.get('id')!r} ({end}) at {file}:{line}"

    # --- the result

    def finish(self, layer: int, findings: list[Finding]
               ) -> tuple[Located | None, dict[str, list[Located]], list[Applied]]:
        info = self.info.located_as(m.PackInfo, findings) if self.info is not None else None
        entries: dict[str, list[Located]] = {}
        finished: dict[int, Located | None] = {}
        for section, items in self.sections.items():
            out = []
            for entry in items:
                loc = entry.located_as(m.SECTIONS[section], findings)
                finished[id(entry)] = loc
                if loc is not None:
                    out.append(loc)
            entries[section] = out
        if self.info is not None:
            finished[id(self.info)] = info
        applied = []
        for p in self.pending:
            after: Any = None
            if p.entry is not None:
                loc = finished.get(id(p.entry))
                after = _after(p.op, loc.obj) if loc is not None else None
            op = p.op
            target = f"{op.workflow}/{op.target}" if op.workflow else op.target
            applied.append(Applied(layer, op.action, op.kind, target, p.version, p.keys,
                                   p.before, after, op.base_digest, op.site()))
        return info, entries, applied


def _after(op: Operation, obj: BaseModel) -> Any:
    """The JSON form of the operation's target in the changed object ``obj``."""
    if op.kind in NESTED:
        return next((_json(x) for x in getattr(obj, op.kind) if x.id == op.target), None)
    if op.kind in INFO_SINGLES:
        return _json(getattr(obj, op.kind))
    if op.kind in INFO_MAPS:
        value = getattr(obj, op.kind).get(op.target)
        return _json(value) if isinstance(value, BaseModel) else value
    return _json(obj)


def _references_in(section: str, data: dict[str, Any], kind: str, target: str
                   ) -> Iterator[Path_]:
    """Paths inside one object (of ``section``) that name ``target`` of ``kind``."""
    if section == "categories":
        if kind == "groups" and data.get("group") == target:
            yield ("group",)
        if kind == "workflows" and data.get("workflow") == target:
            yield ("workflow",)
        if kind == "departments":
            yield from (("departments", i) for i, d in enumerate(data.get("departments", []))
                        if d == target)
        if kind == "documents":
            for i, doc in enumerate(data.get("documents", [])):
                if _ident(doc) == target:
                    yield ("documents", i)
    if section == "rules" and kind == "categories" and data.get("category") == target:
        yield ("category",)
    if section == "workflows" and kind == "departments":
        yield from (("steps", i, "department") for i, s in enumerate(data.get("steps", []))
                    if s.get("department") == target)
    for sub, node in _mappings(data, ()):
        if kind == "fields" and node.get("field") == target:
            yield (*sub, "field")
        elif kind == "vocabularies" and node.get("mentions") == target:
            yield (*sub, "mentions")
        elif kind == "documents" and node.get("contains") == target:
            yield (*sub, "contains")
        elif kind == "settings" and node.keys() == {"setting"} and node["setting"] == target:
            yield sub
        elif kind == "sources" and node.get("source") == target:
            yield (*sub, "source")


def _mappings(data: Any, sub: Path_) -> Iterator[tuple[Path_, dict[str, Any]]]:
    if isinstance(data, dict):
        yield sub, data
        for key, value in data.items():
            yield from _mappings(value, (*sub, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _mappings(value, (*sub, i))


# --- a stack ----------------------------------------------------------------------------------


def _read_stack(root: Path, findings: list[Finding], chain: tuple[Path, ...]) -> PackSource:
    own = _read_layer(root, findings)
    if own.info is None:  # reading the pack section said why
        return PackSource(root, None, {s: [] for s in m.SECTIONS}, own.digest, own.files)
    base_path = _resolve_base(root, own.info, findings, chain)
    if base_path is None:
        return PackSource(root, None, {s: [] for s in m.SECTIONS}, own.digest, own.files)
    here = (*chain, root.resolve())
    base = (_read_stack(base_path, findings, here) if is_overlay(base_path)
            else read_pack(base_path, findings))
    return apply_overlay(base, root, own, findings)


def apply_overlay(base: PackSource, root: Path, own: _LayerFiles,
                  findings: list[Finding]) -> StackSource:
    """The overlay read from ``root`` applied to ``base``."""
    assert own.info is not None
    if isinstance(base, StackSource):
        layers, applied = base.layers, base.applied
    else:
        info = base.info.obj if base.info is not None else None
        layers = (Layer(base.root, info.id if info else base.root.name,
                        info.version if info else "", base.digest),)
        applied = ()
    index = len(layers)
    overlay: OverlayInfo = own.info.obj
    work = _Workspace(base, index, findings)
    additions = [op for op in own.operations if op.action == "add"]
    for op in [op for op in own.operations if op.action != "add"] + additions:
        work.apply(op)
    work.check_removals()
    if work.info is not None:
        _set_identity(work.info, own.info)
    info, entries, changes = work.finish(index, findings)
    layer = Layer(root, overlay.id, overlay.version, own.digest, overlay.extends, own.info)
    stack = (*layers, layer)
    return StackSource(root, info, entries, stack_digest(stack), own.files, stack,
                       (*applied, *changes))


_IDENTITY = ("id", "name", "name_en", "version", "format", "description")


def _set_identity(info: _Entry, overlay: Located) -> None:
    """The effective pack is the overlay's: its id, names, version and description."""
    data = info.open()
    raw = _dump(overlay.obj)
    for key in _IDENTITY:
        info.drop((key,))
        if key in raw:
            data[key] = raw[key]
            info.graft((key,), overlay.smap, ("pack", key))
        else:
            data.pop(key, None)
    info.values[()] = info.values.get(()) or Span(0, 0, 0, 0, overlay.file)


# --- example cases ----------------------------------------------------------------------------


def load_stack_cases(root: Path, findings: list[Finding]) -> list[LoadedCase]:
    """An overlay's example cases: its base's, changed by the overlay's tests/ files."""
    cases, _ = case_stack(root, findings)
    return cases


def case_stack(root: Path, findings: list[Finding]
               ) -> tuple[list[LoadedCase], tuple[Applied, ...]]:
    """The effective cases of the pack at ``root`` and what each overlay's operations did."""
    cases, applied, _ = _case_stack(root, findings, ())
    return cases, applied


def _case_stack(root: Path, findings: list[Finding], chain: tuple[Path, ...]
                ) -> tuple[list[LoadedCase], tuple[Applied, ...], int]:
    from .cases import load_cases

    if not is_overlay(root):
        return load_cases(root, findings), (), 0
    quiet: list[Finding] = []  # loading the pack reports problems with pack.yaml
    info = _read_info(root, quiet)
    base_path = _resolve_base(root, info, quiet, chain) if info is not None else None
    base_cases: list[LoadedCase] = []
    applied: tuple[Applied, ...] = ()
    depth = 0
    if base_path is not None:
        base_cases, applied, depth = _case_stack(base_path, findings, (*chain, root.resolve()))
    additions, changes = _read_case_layer(root, findings)
    work = _CaseWork(base_cases, depth + 1, findings)
    for op in changes + additions:
        work.apply(op)
    return work.items, (*applied, *work.applied), depth + 1


def _read_case_layer(root: Path, findings: list[Finding]
                     ) -> tuple[list[Operation], list[Operation]]:
    """The additions (``cases:``) and changes (``replace/patch/remove: {cases: ...}``) of an
    overlay's tests/ folder."""
    from .cases import case_files

    additions: list[Operation] = []
    changes: list[Operation] = []
    for path in case_files(root):
        display = _display(root, path)
        data, smap, file_findings = load_yaml_file(path, display)
        findings.extend(file_findings)
        if data is None:
            continue
        if not isinstance(data, dict):
            _error(findings, "BR501", "a case file of an overlay holds 'cases:' and 'replace:', "
                   "'patch:' or 'remove:' with 'cases'", (display, 1, 1))
            continue
        for section, content in data.items():
            if section == "cases":
                if not isinstance(content, list):
                    _error(findings, "BR501", "'cases' is a list of cases",
                           _key_site(smap, (section,)))
                    continue
                for index, item in enumerate(content):
                    case = validate_entry(m.Case, item, ("cases", index), smap, findings)
                    if case is not None:
                        additions.append(Operation("add", "cases", case.id, item, smap,
                                                   ("cases", index), ("cases", index)))
            elif section in CHANGES:
                changes += _parse_changes(section, content, smap, findings, ("cases",))
            else:
                _unknown_section(section, smap, findings, ("cases", *CHANGES))
    return additions, changes


class _CaseWork:
    """Example cases being changed by one overlay; a changed case is placed at the operation."""

    def __init__(self, cases: list[LoadedCase], layer: int, findings: list[Finding]) -> None:
        self.items: list[LoadedCase] = [dataclasses.replace(c, inherited=True) for c in cases]
        self.layer = layer
        self.findings = findings
        self.applied: list[Applied] = []
        self.claimed: dict[str, Operation] = {}

    def apply(self, op: Operation) -> None:
        from .cases import LoadedCase

        file, line, col = op.site()
        first = self.claimed.get(op.target)
        if first is not None:
            self.findings.append(make_finding(
                "BR708", f"case {op.target!r} is already changed by this overlay at "
                f"{first.site()[0]}:{first.site()[1]}; write one operation", file, line, col,
                object_id=op.target))
            return
        at = next((i for i, c in enumerate(self.items) if c.case.id == op.target), None)
        if op.action == "add":
            if at is not None:
                old = self.items[at]
                self.findings.append(make_finding(
                    "BR703", f"case id {op.target!r} is already in the base ({old.file}:"
                    f"{old.line}); change it with replace: or patch:", file, line, col,
                    object_id=op.target))
                return
            self.claimed[op.target] = op
            case = m.Case.model_validate(op.data)
            self.items.append(LoadedCase(case, file, line, col))
            self.applied.append(Applied(self.layer, "add", "cases", op.target, "",
                                        frozenset({"*"}), None, _json(case), None, op.site()))
            return
        if at is None:
            near = difflib.get_close_matches(op.target, [c.case.id for c in self.items], 1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            self.findings.append(make_finding("BR704", f"{op.action}: case {op.target!r} is not "
                                              f"in the base{hint}", file, line, col,
                                              object_id=op.target))
            return
        self.claimed[op.target] = op
        old_case = self.items[at].case
        before = _json(old_case)
        if op.action == "remove":
            del self.items[at]
            self.applied.append(Applied(self.layer, "remove", "cases", op.target, "",
                                        frozenset({"*"}), before, None, op.base_digest, op.site()))
            return
        if op.action == "replace":
            data = op.data
            keys = frozenset({"*"})
        else:
            entry = _Entry(None, file, op.path, _dump(old_case))
            _Changes(self.findings).merge(entry, (), op.data, op, op.data_path)
            data, keys = entry.data, frozenset(op.data)
        changed = validate_entry(m.Case, data, op.data_path, op.smap, self.findings)
        if changed is None:
            return
        self.items[at] = LoadedCase(changed, file, line, col)
        self.applied.append(Applied(self.layer, op.action, "cases", op.target, "", keys, before,
                                    _json(changed), op.base_digest, op.site()))


# --- what checks look at ----------------------------------------------------------------------


def version_mismatches(layers: Sequence[Layer]) -> Iterator[tuple[str, Site]]:
    """Overlays written for other versions of their base than the one they are applied to."""
    for below, layer in itertools.pairwise(layers):
        if layer.extends is None or not layer.extends.versions or layer.info is None:
            continue
        if below.version not in layer.extends.versions:
            shown = ", ".join(layer.extends.versions)
            yield (f"overlay {layer.id!r} was written for {below.id} version(s) {shown}; the base "
                   f"is version {below.version}: review the overlay against the base's changes, "
                   "then add the version to extends.versions",
                   layer.info.site("extends", "versions"))


def no_ops(applied: Sequence[Applied]) -> Iterator[tuple[str, Site]]:
    """Replacements and patches that leave their target as the base has it."""
    for a in applied:
        if a.action in ("replace", "patch") and a.before is not None and a.before == a.after:
            yield (f"{a.action} of {a.describe()} changes nothing: the base has it so already",
                   a.site)


def drifted(applied: Sequence[Applied]) -> Iterator[tuple[str, Site]]:
    """Operations whose target changed in the base since the digest they record."""
    for a in applied:
        if a.base_digest is None or a.before is None:
            continue
        now = digest_of(a.before)
        if a.base_digest != now:
            yield (f"{a.describe()} changed in the base since this {a.action} was written "
                   f"(base_digest {a.base_digest}, now {now}): review the {a.action}, then "
                   f"record base_digest: {now}", a.site)


def unpinned(applied: Sequence[Applied]) -> Iterator[tuple[str, Site]]:
    """Operations on base objects that record no digest of their target (example cases
    are tests, not rules: they are left out)."""
    for a in applied:
        if a.action != "add" and a.base_digest is None and a.before is not None \
                and a.kind != "cases":
            yield (f"{a.action} of {a.describe()} records no base_digest; to be told when the "
                   f"base changes it, record base_digest: {digest_of(a.before)}", a.site)


def overlaps(applied: Sequence[Applied]) -> Iterator[tuple[str, Site]]:
    """Keys that two overlays of one stack both set (the upper one wins)."""
    seen: dict[tuple[str, str, str], list[Applied]] = {}
    for a in applied:
        earlier = seen.setdefault((a.kind, a.target, a.version), [])
        for e in earlier:
            if e.layer == a.layer:
                continue
            if "*" in a.keys | e.keys:  # one of them set everything
                both = (a.keys if "*" not in a.keys else e.keys) - {"*"} or {"*"}
            else:
                both = a.keys & e.keys
            if both:
                what = "all of it" if both == {"*"} else ", ".join(sorted(both))
                yield (f"{a.describe()}: this {a.action} and the {e.action} of a lower overlay "
                       f"at {e.site[0]}:{e.site[1]} both set {what}; the upper one wins",
                       a.site)
                break
        earlier.append(a)
