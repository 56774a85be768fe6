"""Load a rule pack: files → plain data with positions → models → references → compiled pack.

Every problem becomes a :class:`~bizroute.findings.Finding` with file, line and column; if any
is an error, :func:`load_pack` raises one :class:`~bizroute.errors.PackError` carrying them all.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError

from . import models as m
from .codes import make_finding
from .conditions import (
    All,
    AnyOf,
    Node,
    Not,
    Test,
    TextMatcher,
    compile_regex,
    make_matches,
    make_mentions,
    make_predicate,
)
from .errors import PackError
from .findings import Finding
from .textnorm import normalise
from .yamlsource import Path_, SourceMap, iter_pack_files, load_yaml_file

if TYPE_CHECKING:
    from .engine import Pack

CASES_DIR = "tests"
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Located:
    """A validated pack object and where it came from."""

    obj: Any
    file: str
    path: Path_  # path of the object inside its file, e.g. ("rules", 3)
    smap: SourceMap

    def at(self, *sub: str | int) -> tuple[int, int]:
        span = self.smap.value((*self.path, *sub))
        return (span.line, span.column) if span else (0, 0)

    def key_at(self, *sub: str | int) -> tuple[int, int]:
        span = self.smap.key((*self.path, *sub))
        return (span.line, span.column) if span else (0, 0)

    def site(self, *sub: str | int, key: bool = False) -> tuple[str, int, int]:
        """File, line and column of a value (or its key) inside the object. The file is the
        object's own unless an overlay set that value (see :mod:`bizroute.overlay`)."""
        full = (*self.path, *sub)
        span = self.smap.key(full) if key else self.smap.value(full)
        if span is None:
            return self.file, 0, 0
        return span.file or self.file, span.line, span.column


@dataclass(frozen=True, slots=True)
class PackSource:
    """Everything read from a pack directory, before compilation."""

    root: Path
    info: Located | None
    entries: dict[str, list[Located]]
    digest: str
    files: tuple[str, ...]


def default_pack_path() -> Path:
    """The built-in pack: shipped in the wheel, or ``rules/`` of a source checkout."""
    shipped = resources.files("bizroute").joinpath("_default_pack")
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "rules"


# --- pydantic errors → findings ------------------------------------------------------------


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path_, str | None]:
    """Follow a pydantic ``loc`` through the data, skipping union/validator tags.

    Returns the path that exists in the data and the last key that did not (a missing or
    forbidden key), if any.
    """
    path: list[str | int] = []
    current = data
    missing: str | None = None
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict) and "[" not in part:
            missing = part
    return tuple(path), missing


_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "is_instance_of": "a mapping",
    "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)", "date_from_datetime_inexact": "a date",
}  # fmt: skip


def _message(kind: str, msg: str, value: Any) -> str:
    expected = _EXPECTED.get(kind)
    if expected is None:
        return msg
    return f"expected {expected}, got {_describe(value)}"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


def _validation_findings(
    exc: ValidationError, data: Any, base: Path_, smap: SourceMap, object_id: str | None
) -> list[Finding]:
    grouped: dict[tuple[Path_, str], list[tuple[str, str]]] = {}
    for error in exc.errors(include_url=False):
        path, leftover = _data_path(data, tuple(error["loc"]))
        kind = error["type"]
        if kind == "missing":
            code, msg = "BR101", f"missing required key {leftover or error['loc'][-1]!r}"
        elif kind == "extra_forbidden":
            code, msg = "BR102", f"unknown key {path[-1]!r}" if path else "unknown key"
        elif kind == "bad_condition":
            code, msg = "BR106", error["msg"]
        else:
            code, msg = "BR103", error["msg"]
        entry = grouped.setdefault((path, code), [])
        if (kind, msg) not in entry:
            entry.append((kind, msg))
    # a type error on a container that has more precise errors inside it is noise (unions)
    keep = [k for k in grouped
            if not (k[1] == "BR103" and any(o[0][: len(k[0])] == k[0] and len(o[0]) > len(k[0])
                                            for o in grouped))]
    findings = []
    for path, code in keep:
        errors = grouped[(path, code)]
        value = _value_at(data, path)
        if len(errors) == 1:
            message = _message(errors[0][0], errors[0][1], value)
        elif all(kind in _EXPECTED for kind, _ in errors):
            kinds = list(dict.fromkeys(_EXPECTED[kind] for kind, _ in errors))
            if "a number" in kinds and "a whole number" in kinds:
                kinds.remove("a whole number")
            message = f"expected {' or '.join(kinds)}, got {_describe(value)}"
        else:
            message = "; ".join(dict.fromkeys(_message(k, m_, value) for k, m_ in errors[:4]))
        full = (*base, *path)
        span = smap.key(full) if code == "BR102" else smap.value(full)
        line, col = (span.line, span.column) if span else (0, 0)
        file = (span.file if span else None) or smap.file
        findings.append(
            make_finding(code, message, file, line, col, object_id=object_id,
                         path=_dotted(full))
        )
    return findings


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def validate_entry(model: type[T], data: Any, base: Path_, smap: SourceMap,
                   findings: list[Finding]) -> T | None:
    """Validate one object, adding positioned findings on failure."""
    object_id = data.get("id") if isinstance(data, dict) else None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        findings.extend(_validation_findings(exc, data, base, smap,
                                             str(object_id) if object_id else None))
        return None


# --- reading -----------------------------------------------------------------------------------


P = ParamSpec("P")
R = TypeVar("R")


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cyclic garbage collector paused.

    Loading builds hundreds of thousands of small, long-lived objects and frees almost
    nothing; the collector's repeated passes over them cost more than the work itself (a
    3,000-rule pack: 1.3-1.8 s with it, 0.6 s without). It is switched back on afterwards
    (only if it was on), so nested calls and callers that turned it off are left alone.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


@without_gc
def read_pack(root: Path, findings: list[Finding]) -> PackSource:
    """Read every pack file under ``root`` into validated, located entries."""
    entries: dict[str, list[Located]] = {name: [] for name in m.SECTIONS}
    infos: list[Located] = []
    pack_sections = 0
    digest = hashlib.sha256()
    files: list[str] = []
    if not root.is_dir():
        findings.append(make_finding("BR008", "the pack directory does not exist",
                                     _display_dir(root), 0, 0))
        return PackSource(root, None, entries, "", ())
    paths = [p for p in iter_pack_files(root) if p.relative_to(root).parts[0] != CASES_DIR]
    if not paths:
        findings.append(make_finding("BR008", "no .yaml or .yml files in the pack directory",
                                     _display_dir(root), 0, 0))
    for path in paths:
        rel = path.relative_to(root).as_posix()
        display = _display(root, path)
        files.append(rel)
        digest.update(rel.encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes() + b"\0")
        data, smap, file_findings = load_yaml_file(path, display)
        findings.extend(file_findings)
        if data is None:
            continue
        if not isinstance(data, dict):
            findings.append(make_finding("BR006", "the top level must be a mapping of sections "
                                         "(pack, rules, categories, ...)", display, 1, 1))
            continue
        for section, content in data.items():
            key_span = smap.key((section,))
            kline, kcol = (key_span.line, key_span.column) if key_span else (0, 0)
            if section == "pack":
                pack_sections += 1
                if _format_ok(content, smap, display, findings):
                    info = validate_entry(m.PackInfo, content, ("pack",), smap, findings)
                    if info is not None:
                        infos.append(Located(info, display, ("pack",), smap))
                continue
            model = m.SECTIONS.get(section)
            if model is None:
                known = ", ".join(["pack", *m.SECTIONS])
                findings.append(make_finding("BR007", f"unknown section {section!r}; "
                                             f"sections are: {known}", display, kline, kcol))
                continue
            if content is None:
                continue
            if not isinstance(content, list):
                findings.append(make_finding("BR103", f"section {section!r} must be a list",
                                             display, kline, kcol))
                continue
            for index, item in enumerate(content):
                obj = validate_entry(model, item, (section, index), smap, findings)
                if obj is not None:
                    entries[section].append(Located(obj, display, (section, index), smap))
    located_info: Located | None = None
    if len(infos) == 1:
        located_info = infos[0]
    elif len(infos) > 1:
        for extra in infos[1:]:
            line, col = extra.key_at()
            findings.append(make_finding("BR011", f"a second 'pack' section (the first is in "
                                         f"{infos[0].file})", extra.file, line, col))
        located_info = infos[0]
    elif paths and not pack_sections:
        findings.append(make_finding("BR011", "no file of the pack has a 'pack' section",
                                     _display(root, paths[0]), 1, 1))
    return PackSource(root, located_info, entries, digest.hexdigest()[:16], tuple(files))


def _display(root: Path, path: Path) -> str:
    """How a pack file is named in findings: relative to the working directory if inside it."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return (Path(root.name) / path.relative_to(root)).as_posix()


def _display_dir(root: Path) -> str:
    try:
        return root.resolve().relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(root)


def _format_ok(content: Any, smap: SourceMap, file: str, findings: list[Finding]) -> bool:
    if not isinstance(content, dict):
        return True  # the schema check reports it
    fmt = content.get("format", m.FORMAT_VERSION)
    if fmt != m.FORMAT_VERSION:
        span = smap.value(("pack", "format"))
        findings.append(make_finding(
            "BR009", f"pack format {fmt!r} is not supported; this bizroute reads format "
            f"{m.FORMAT_VERSION}", file, span.line if span else 0, span.column if span else 0,
            path="pack.format"))
        return False
    return True


# --- checking references and compiling ---------------------------------------------------------


class Compiler:
    """Resolves references and compiles conditions, recording findings as it goes."""

    def __init__(self, source: PackSource, findings: list[Finding]) -> None:
        self.source = source
        self.findings = findings
        info = source.info.obj if source.info else None
        self.info: m.PackInfo | None = info
        self.fields: dict[str, m.FieldSpec] = dict(info.fields) if info else {}
        self.settings = dict(info.settings) if info else {}
        text = info.text if info else m.TextSettings()
        self.traditional = text.traditional_to_simplified
        self.matcher = TextMatcher(
            tuple(self.norm(c) for c in text.negation_cues),
            text.negation_window,
            tuple(self.norm(b) for b in text.clause_breaks),
        )
        self.vocabularies = {v.obj.id: v.obj for v in source.entries["vocabularies"]}
        self.document_ids = {d.obj.id for d in source.entries["documents"]}
        self.department_ids = {d.obj.id for d in source.entries["departments"]}
        self.group_ids = {g.obj.id for g in source.entries["groups"]}
        self.source_ids = {s.obj.id for s in source.entries["sources"]}
        self.workflow_ids = {w.obj.id for w in source.entries["workflows"]}
        self.category_ids = {c.obj.id for c in source.entries["categories"]}
        self._vocab_terms: dict[str, tuple[str, ...]] = {}
        self._allowed_cache: dict[int, frozenset[str]] = {}

    def norm(self, text: str) -> str:
        return normalise(text, traditional_to_simplified=self.traditional)

    def error(self, code: str, message: str, where: Located, *sub: str | int,
              key: bool = False) -> None:
        file, line, col = where.site(*sub, key=key)
        self.findings.append(make_finding(code, message, file, line, col,
                                          object_id=getattr(where.obj, "id", None),
                                          path=_dotted((*where.path, *sub))))

    # --- ids

    def check_duplicates(self) -> None:
        for section, located in self.source.entries.items():
            seen: dict[str, list[Located]] = defaultdict(list)
            for loc in located:
                oid = loc.obj.id
                effective = getattr(loc.obj, "effective", m.ALWAYS)
                for earlier in seen[oid]:
                    if getattr(earlier.obj, "effective", m.ALWAYS).overlaps(effective):
                        file, line, _ = earlier.site()
                        self.error("BR104", f"{section} id {oid!r} is already used at "
                                   f"{file}:{line} and both are in force "
                                   "at the same time", loc, "id")
                        break
                seen[oid].append(loc)
                if isinstance(effective, m.Effective) and effective.from_ and effective.until \
                        and effective.until <= effective.from_:
                    self.error("BR107", f"effective period ends ({effective.until}) before it "
                               f"starts ({effective.from_})", loc, "effective")

    # --- conditions

    def condition(self, cond: m.Condition, where: Located, path: tuple[str | int, ...],
                  ) -> Node | None:
        """Compile a condition; ``None`` if it has errors (already reported)."""
        if cond.all is not None or cond.any is not None:
            key = "all" if cond.all is not None else "any"
            items = cond.all if cond.all is not None else cond.any
            assert items is not None
            parts = [self.condition(c, where, (*path, key, i)) for i, c in enumerate(items)]
            if any(p is None for p in parts):
                return None
            nodes = tuple(p for p in parts if p is not None)
            return All(nodes) if key == "all" else AnyOf(nodes)
        if cond.not_ is not None:
            inner = self.condition(cond.not_, where, (*path, "not"))
            return None if inner is None else Not(inner)
        return self.test(cond, where, path)

    def test(self, cond: m.Condition, where: Located, path: tuple[str | int, ...]) -> Test | None:
        assert cond.field is not None
        fname, op = cond.field, cond.operator
        spec = self.fields.get(fname)
        if spec is None:
            near = [f for f in self.fields if f.split(".")[-1] == fname.split(".")[-1]]
            hint = f"; did you mean {near[0]!r}?" if near else ""
            self.error("BR201", f"field {fname!r} is not declared in pack.fields{hint}",
                       where, *path, "field")
            return None
        allowed_ops = _OPS_BY_TYPE[spec.type]
        if op not in allowed_ops:
            self.error("BR208", f"operator {op!r} does not apply to {spec.type} field {fname!r} "
                       f"(use one of {', '.join(sorted(allowed_ops))})", where, *path, op)
            return None
        operand = cond.operand
        describe = f"{fname} {_OP_TEXT[op]} {_show(operand)}"
        if op == "exists":
            describe = f"{fname} {'is given' if operand else 'is not given'}"
        loc_path = (*where.path, *path)
        ptext = _dotted(loc_path[2:]) or "when"
        absent_false = spec.absent == "false"
        if op == "mentions":
            terms = self.mention_terms(operand, where, path)
            if terms is None:
                return None
            skip = (cond.negation or "skip") == "skip"
            # results are shared per request by the tests of one field with the same words
            key = fname + "\x00" + (operand if isinstance(operand, str) else "|".join(terms))
            pred, finder = make_mentions(terms, self.matcher, skip, key)
            return Test(ptext, fname, op, operand, pred, absent_false, describe, finder)
        if op == "matches":
            try:
                pattern = compile_regex(operand)
            except Exception as exc:  # re2.error
                detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) \
                    else str(exc)
                self.error("BR105", f"pattern {operand!r} is not valid RE2: {detail}",
                           where, *path, "matches")
                return None
            pred, finder = make_matches(pattern)
            return Test(ptext, fname, op, operand, pred, absent_false, describe, finder)
        resolved = self.operand(op, operand, spec, fname, where, path)
        if resolved is _BAD:
            return None
        if op != "exists":
            describe = f"{fname} {_OP_TEXT[op]} {_show(resolved)}"
        return Test(ptext, fname, op, resolved, make_predicate(op, resolved), absent_false,
                    describe)

    def mention_terms(self, operand: str | list[str], where: Located,
                      path: tuple[str | int, ...]) -> tuple[str, ...] | None:
        if isinstance(operand, str):
            if operand in self._vocab_terms:
                return self._vocab_terms[operand]
            vocab = self.vocabularies.get(operand)
            if vocab is None:
                self.error("BR203", f"vocabulary {operand!r} is not defined", where, *path,
                           "mentions")
                return None
            terms = _dedupe(self.norm(t) for t in vocab.terms)
            self._vocab_terms[operand] = terms
            return terms
        return _dedupe(self.norm(t) for t in operand)

    def operand(self, op: str, operand: Any, spec: m.FieldSpec, fname: str, where: Located,
                path: tuple[str | int, ...]) -> Any:
        def resolve(value: Any, *sub: str | int) -> Any:
            if isinstance(value, m.SettingRef):
                if value.setting not in self.settings:
                    self.error("BR103", f"setting {value.setting!r} is not in pack.settings",
                               where, *path, op, *sub)
                    return _BAD
                return self.settings[value.setting]
            return value

        def check_value(value: Any, *sub: str | int) -> Any:
            kind = spec.type
            if kind in ("enum", "list"):
                allowed = self.allowed_values(spec)
                if not isinstance(value, str) or value not in allowed:
                    shown = ", ".join(sorted(allowed)[:12])
                    self.error("BR202", f"{value!r} is not a value of {fname!r} ({shown})",
                               where, *path, op, *sub)
                    return _BAD
                return value
            if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
                self.error("BR103", f"{fname!r} is a number; {value!r} is not", where, *path, op,
                           *sub)
                return _BAD
            if kind == "bool" and not isinstance(value, bool):
                self.error("BR103", f"{fname!r} is true/false; {value!r} is not", where, *path,
                           op, *sub)
                return _BAD
            if kind in ("date", "datetime") and not hasattr(value, "isoformat"):
                self.error("BR103", f"{fname!r} is a date; {value!r} is not", where, *path, op,
                           *sub)
                return _BAD
            if kind == "text":
                return str(value)
            return value

        if op == "exists":
            return operand
        if op in ("in", "not_in"):
            out = [check_value(resolve(v, i), i) for i, v in enumerate(operand)]
            return _BAD if any(v is _BAD for v in out) else tuple(out)
        if op == "between":
            lo, hi = (check_value(resolve(v, i), i) for i, v in enumerate(operand))
            return _BAD if _BAD in (lo, hi) else (lo, hi)
        value = resolve(operand)
        return _BAD if value is _BAD else check_value(value)

    def allowed_values(self, spec: m.FieldSpec) -> frozenset[str]:
        # cached per field spec: every enum test of every rule asks
        key = id(spec)
        cached = self._allowed_cache.get(key)
        if cached is None:
            cached = (frozenset(self.document_ids) if spec.values_from == "documents"
                      else frozenset(spec.value_labels()))
            self._allowed_cache[key] = cached
        return cached

    # --- references

    def check_basis(self, basis: Iterable[m.Basis], where: Located, *prefix: str | int) -> None:
        for i, b in enumerate(basis):
            if b.source not in self.source_ids:
                self.error("BR210", f"source {b.source!r} is not defined in 'sources'",
                           where, *prefix, i, "source")

    def check_document_aliases(self) -> None:
        """An alias must keep some text after normalisation (it is matched normalised)."""
        for loc in self.source.entries["documents"]:
            for i, alias in enumerate(loc.obj.aliases):
                if not self.norm(alias):
                    self.error("BR103", f"alias {alias!r} of document {loc.obj.id!r} is empty "
                               "once normalised (spaces are removed before matching)",
                               loc, "aliases", i)

    def check_fields(self) -> None:
        if self.info is None:
            return
        for name, spec in self.fields.items():
            if spec.values_from == "documents" and not self.document_ids:
                assert self.source.info is not None
                self.error("BR204", f"field {name!r} takes its values from the document "
                           "catalogue, which is empty", self.source.info, "fields", name)


_BAD: Any = object()

_OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "enum": frozenset({"eq", "ne", "in", "not_in", "exists"}),
    "number": frozenset({"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between",
                         "exists"}),
    "text": frozenset({"eq", "ne", "in", "not_in", "mentions", "matches", "exists"}),
    "date": frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "exists"}),
    "datetime": frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "exists"}),
    "bool": frozenset({"eq", "ne", "exists"}),
    "list": frozenset({"contains", "exists"}),
}
_OP_TEXT = {
    "eq": "=", "ne": "≠", "in": "in", "not_in": "not in", "lt": "<", "lte": "≤", "gt": ">",
    "gte": "≥", "between": "in", "mentions": "mentions", "matches": "matches",
    "exists": "exists", "contains": "contains",
}  # fmt: skip


def _show(operand: Any) -> str:
    if isinstance(operand, tuple) and len(operand) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in operand
    ):
        return f"[{operand[0]}, {operand[1]})"
    if isinstance(operand, list | tuple):
        return "[" + ", ".join(str(x) for x in operand) + "]"
    if isinstance(operand, m.SettingRef):
        return f"{{setting: {operand.setting}}}"
    return str(operand)


def _dedupe(items: Iterator[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def load_pack(path: str | Path | None = None) -> Pack:
    """Load and compile a rule pack. ``None`` loads the built-in default pack.

    Raises :class:`~bizroute.errors.PackError` with every finding when the pack has errors.

    >>> pack = load_pack()
    >>> pack.id
    'cn-power-supply'
    """
    from .engine import compile_pack
    from .overlay import read_source

    root = Path(path) if path is not None else default_pack_path()
    findings: list[Finding] = []
    source = read_source(root, findings)  # a plain pack, or an overlay on its base
    pack = compile_pack(source, findings)
    errors = [f for f in findings if f.severity == "error"]
    if errors or pack is None:
        raise PackError(findings)
    return pack
