"""Semantic analysis of a compiled pack: rule conditions as unions of boxes.

Every declared field becomes a *dimension* with a finite set of elements:

* an enum field: its values; a bool field: false and true;
* a number or date field: the elementary intervals cut by every threshold the rules use
  (``(-inf, 10)``, ``[10, 10]``, ``(10, 160)`` ...), so that every test is constant on each;
* a text or list field: whether the request carries it (and, for text, each literal value a
  rule compares with); each distinct free-text test (``mentions`` of one vocabulary or term
  list, ``matches`` of one pattern) and each ``contains`` value is a boolean *atom* of its own.

Each field dimension has one more element, *absent*, because a request may lack the field.
The set of requests on which a condition is **true** (and the set on which it is **false**)
is then a union of boxes, a box being one set of elements per dimension (a bit mask). Under
three-valued logic the two sets are computed together, so ``not`` swaps them, and a field with
``absent: "false"`` puts *absent* into the false set of its tests.

Leaf tests are evaluated with the engine's own predicates on a representative of each element,
so the analysis cannot disagree with classification about what a test means. The only
approximation is that free-text atoms are treated as independent of each other and of text
literals; every overlap witness is therefore confirmed by classifying it (see
:attr:`Overlap.confirmed`).

On top of the boxes, :class:`Analysis` finds overlaps (two rules at one priority, leading to
different categories, true together), shadowed rules (every request a rule matches is matched
by higher-priority rules), never-true rules, and gaps (combinations of enum values and numeric
ranges no rule covers), and builds the effective-date timeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import models as m
from .conditions import All, AnyOf, Facts, Node, Not, Test, TextValue, compile_regex
from .textnorm import normalise

if TYPE_CHECKING:
    from .engine import CompiledRule, Pack

#: Element 0 of every field dimension: the request does not carry the field.
ABSENT_BIT = 1
#: Atom dimensions: element 0 is "false", element 1 "true".
ATOM_FALSE, ATOM_TRUE = 1, 2

Box = dict[int, int]  # dimension index -> mask of allowed elements; missing dimension = any

#: Above this many boxes per condition the analysis stops expanding (and says so).
BOX_LIMIT = 4096
#: Above this many pieces a shadow subtraction gives up (no finding rather than a slow check).
PIECE_LIMIT = 2048


class TooComplex(Exception):
    """A condition expands to more boxes than :data:`BOX_LIMIT`."""


# --- dimensions ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Dim:
    """One dimension: a field (elements incl. *absent*) or a free-text/list atom."""

    index: int
    name: str
    field: str
    kind: str  # enum | bool | number | date | text | list | atom
    labels: list[str]  # human text per element
    values: list[Any]  # representative request value per element (None for absent/atoms)
    full: int = 0  # mask of the elements that exist
    structural: bool = False  # takes part in gap analysis
    absent_false: bool = False
    bounds: list[tuple[float | None, float | None]] = dataclasses.field(default_factory=list)

    @property
    def present(self) -> int:
        return self.full & ~ABSENT_BIT if self.kind != "atom" else self.full

    def element(self, value: Any) -> int:
        """The element a (present) enum, bool, number or date value falls in."""
        if self.kind in ("number", "date"):
            x = _num(value)
            for i, (lo, hi) in enumerate(self.bounds, start=1):
                if lo is not None and lo == hi:
                    if x == lo:
                        return i
                elif (lo is None or lo < x) and (hi is None or x < hi):
                    return i
            raise ValueError(f"{value!r} falls in no element of {self.name}")
        return self.values.index(value)


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _num(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return float(value.date().toordinal())
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return float(value)


def _fmt_num(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


class Space:
    """The dimensions of a pack, built from the fields and the tests its rules use."""

    def __init__(self, pack: Pack, nodes: Iterable[tuple[Node, m.Condition | None]]) -> None:
        self.pack = pack
        self.dims: list[Dim] = []
        self.field_dim: dict[str, int] = {}
        self.atom_dim: dict[tuple[Any, ...], int] = {}
        thresholds: dict[str, set[float]] = defaultdict(set)
        literals: dict[str, list[str]] = defaultdict(list)
        pairs = list(nodes)
        for node, cond in pairs:
            for test, _leaf in _leaf_pairs(node, cond):
                spec = pack.fields.get(test.field_name)
                if spec is None:
                    continue
                if spec.type in ("number", "date", "datetime") and test.op != "exists":
                    ops = test.operand if test.op in ("in", "not_in", "between") else [test.operand]
                    thresholds[test.field_name].update(_num(v) for v in ops)
                elif spec.type == "text" and test.op in ("eq", "ne", "in", "not_in"):
                    ops = test.operand if test.op in ("in", "not_in") else [test.operand]
                    for v in ops:
                        if str(v) not in literals[test.field_name]:
                            literals[test.field_name].append(str(v))
        for name, spec in pack.fields.items():
            self._field(name, spec, sorted(thresholds.get(name, ())), literals.get(name, []))
        for node, cond in pairs:
            for test, leaf in _leaf_pairs(node, cond):
                key = self._atom_key(test, leaf)
                if key is not None and key not in self.atom_dim:
                    label = self._atom_label(test, leaf)
                    dim = Dim(len(self.dims), label, test.field_name, "atom", ["no", "yes"],
                              [False, True], ATOM_FALSE | ATOM_TRUE)
                    self.dims.append(dim)
                    self.atom_dim[key] = dim.index
        self.atom_key = {index: key for key, index in self.atom_dim.items()}
        self._normalised: dict[int, list[str]] = {}
        self.text_fields = {name for name, spec in pack.fields.items() if spec.type == "text"}

    # --- building dimensions

    def _field(self, name: str, spec: m.FieldSpec, cuts: list[float], literals: list[str]
               ) -> None:
        labels: list[str] = ["(missing)"]
        values: list[Any] = [None]
        bounds: list[tuple[float | None, float | None]] = []
        kind = spec.type
        if kind == "enum":
            for v in spec.value_labels():
                labels.append(v)
                values.append(v)
        elif kind == "bool":
            labels += ["false", "true"]
            values += [False, True]
        elif kind in ("number", "date", "datetime"):
            for lo, hi, rep, text in _segments(cuts, dated=kind != "number"):
                bounds.append((lo, hi))
                labels.append(text)
                if kind == "number":
                    values.append(rep)
                else:
                    day = dt.date.fromordinal(int(rep)) if rep is not None else None
                    values.append(dt.datetime.combine(day, dt.time()) if kind == "datetime"
                                  and day is not None else day)
        elif kind == "text":
            for lit in literals:
                labels.append(f"= {lit!r}")
                values.append(TextValue(lit, self._norm(lit)))
            labels.append("(some text)")
            values.append(TextValue("\u2060", self._norm("\u2060")))
        else:  # list: whether it is there; its items are atoms
            labels.append("(present)")
            values.append(frozenset())
        dim = Dim(len(self.dims), name, name, "date" if kind == "datetime" else kind, labels,
                  values, structural=kind in ("enum", "bool", "number", "date", "datetime"),
                  absent_false=spec.absent == "false", bounds=bounds)
        dim.full = sum(1 << i for i, v in enumerate(values) if i == 0 or v is not None)
        self.dims.append(dim)
        self.field_dim[name] = dim.index

    def _norm(self, text: str) -> str:
        return normalise(text, traditional_to_simplified=self.pack.info.text.traditional_to_simplified)

    @staticmethod
    def _atom_key(test: Test, leaf: m.Condition | None) -> tuple[Any, ...] | None:
        if test.op == "mentions":
            operand = test.operand if isinstance(test.operand, str) else tuple(test.operand)
            negation = (leaf.negation if leaf is not None else None) or "skip"
            return ("mentions", test.field_name, operand, negation)
        if test.op == "matches":
            return ("matches", test.field_name, test.operand)
        if test.op == "contains":
            return ("contains", test.field_name, test.operand)
        return None

    @staticmethod
    def _atom_label(test: Test, leaf: m.Condition | None) -> str:
        if test.op == "mentions":
            what = test.operand if isinstance(test.operand, str) else "[" + ", ".join(
                test.operand) + "]"
            return f"{test.field_name} mentions {what}"
        return f"{test.field_name} {test.op} {test.operand}"

    # --- conditions to boxes

    def sets(self, node: Node, cond: m.Condition | None) -> tuple[list[Box], list[Box]]:
        """The requests on which ``node`` is true, and those on which it is false."""
        if isinstance(node, All):
            subs = [self.sets(n, c) for n, c in _children(node.parts, cond, "all")]
            true: list[Box] = [{}]
            for t, _f in subs:
                true = _product(true, t)
            return true, _absorb([b for _t, f in subs for b in f])
        if isinstance(node, AnyOf):
            subs = [self.sets(n, c) for n, c in _children(node.parts, cond, "any")]
            false: list[Box] = [{}]
            for _t, f in subs:
                false = _product(false, f)
            return _absorb([b for t, _f in subs for b in t]), false
        if isinstance(node, Not):
            inner = cond.not_ if cond is not None else None
            t, f = self.sets(node.part, inner)
            return f, t
        assert isinstance(node, Test)
        return self._leaf(node, cond)

    def _leaf(self, test: Test, cond: m.Condition | None) -> tuple[list[Box], list[Box]]:
        d = self.field_dim.get(test.field_name)
        if d is None:  # an undeclared field cannot reach a compiled pack; be safe
            return [], []
        dim = self.dims[d]
        if test.op == "exists":
            present: list[Box] = [{d: dim.present}]
            absent: list[Box] = [{d: ABSENT_BIT}]
            return (present, absent) if test.operand else (absent, present)
        absent_false = [{d: ABSENT_BIT}] if test.absent_is_false else []
        key = self._atom_key(test, cond)
        if key is not None:
            a = self.atom_dim[key]
            return ([{d: dim.present, a: ATOM_TRUE}],
                    [{d: dim.present, a: ATOM_FALSE}, *absent_false])
        tmask = 0
        facts = Facts({})
        for i in _bits(dim.present):
            if test.predicate(dim.values[i], facts):
                tmask |= 1 << i
        fmask = dim.present & ~tmask
        true = [{d: tmask}] if tmask else []
        false = ([{d: fmask}] if fmask else []) + absent_false
        return true, false

    # --- boxes back to requests and text

    def witness(self, box: Box) -> dict[str, Any]:
        """A request inside ``box``: present values where possible, fields left out otherwise.

        Dimensions the box does not constrain are left out of the request.
        """
        flat: dict[str, Any] = {}
        for d, mask in sorted(box.items()):
            dim = self.dims[d]
            if dim.kind == "atom" or mask & dim.full == dim.full:
                continue
            choice = _pick(mask & dim.full)
            if choice == 0:
                continue  # absent: leave the field out
            value = dim.values[choice]
            if dim.kind == "text":
                flat[dim.field] = self._text(box, dim, value)
            elif dim.kind == "list":
                flat[dim.field] = sorted(self._list_items(box, dim))
            elif isinstance(value, dt.datetime):
                flat[dim.field] = value.date().isoformat()
            elif isinstance(value, dt.date):
                flat[dim.field] = value.isoformat()
            else:
                flat[dim.field] = value
        # atoms forced true on fields the box leaves unconstrained still need their field
        for d, mask in box.items():
            dim = self.dims[d]
            if dim.kind == "atom" and mask == ATOM_TRUE and dim.field not in flat:
                fdim = self.dims[self.field_dim[dim.field]]
                if fdim.kind == "text":
                    flat[dim.field] = self._text(box, fdim, fdim.values[-1])
                else:
                    flat[dim.field] = sorted(self._list_items(box, fdim))
        return flat

    def _text(self, box: Box, dim: Dim, value: Any) -> str:
        """A text with a term of every atom the box needs true, avoiding, where a choice of
        terms allows, the atoms it needs false (``mentions [减容]`` against a vocabulary that
        holds 减容 too)."""
        needed, banned = [], []
        for a in sorted(box):
            adim = self.dims[a]
            if adim.kind == "atom" and adim.field == dim.field:
                if box[a] == ATOM_TRUE:
                    needed.append(a)
                elif box[a] == ATOM_FALSE:
                    banned.append(a)
        words = []
        for a in needed:
            options = self._samples(a)
            # the first option that no banned atom finds (stop there: each test costs)
            clean = next((t for t in options
                          if not any(self._hits(f, self._norm(t)) for f in banned)), None)
            words.append(clean if clean is not None else (options or [""])[0])
        if words:
            return "，".join(words)
        raw = value.raw if isinstance(value, TextValue) else ""
        return "（无）" if raw == "\u2060" else str(raw)

    def _samples(self, a: int) -> list[str]:
        """Texts that make atom ``a`` true: its terms, or a literal reading of its pattern."""
        key = self.atom_key[a]
        if key[0] == "mentions":
            operand = key[2]
            if isinstance(operand, str):
                vocab = self.pack.vocabularies.get(operand)
                return list(vocab.terms) if vocab is not None else [operand]
            return [str(t) for t in operand]
        if key[0] == "matches":
            return [_literal_sample(str(key[2]))]
        return []

    def _hits(self, a: int, norm_text: str) -> bool:
        """Whether atom ``a`` finds something in a normalised text (negation cues ignored)."""
        key = self.atom_key[a]
        if key[0] == "mentions":
            return any(t in norm_text for t in self._norm_samples(a))
        if key[0] == "matches":
            try:
                return compile_regex(str(key[2])).search(norm_text) is not None
            except Exception:
                return False
        return False

    def _norm_samples(self, a: int) -> list[str]:
        """:meth:`_samples` of a ``mentions`` atom, normalised, the empty ones left out
        (kept: witnesses test them against every text they build)."""
        found = self._normalised.get(a)
        if found is None:
            found = self._normalised[a] = [n for n in map(self._norm, self._samples(a)) if n]
        return found

    def _list_items(self, box: Box, dim: Dim) -> set[str]:
        items = set()
        for index, mask in box.items():
            key = self.atom_key.get(index)
            if key is not None and key[0] == "contains" and key[1] == dim.field \
                    and mask == ATOM_TRUE:
                items.add(str(key[2]))
        return items

    def describe(self, box: Box, universe: Box | None = None) -> str:
        """``customer.type = residential, supply.capacity_kva > 160``: the dimensions where
        ``box`` is narrower than ``universe`` (default: everything)."""
        parts = []
        for d in sorted(box):
            dim = self.dims[d]
            whole = dim.full if universe is None else universe.get(d, dim.full)
            mask = box[d] & whole
            if mask == whole:
                continue
            if dim.kind == "atom":
                parts.append(dim.name if mask == ATOM_TRUE else f"not ({dim.name})")
            else:
                parts.append(f"{dim.name} {self._mask_text(dim, mask)}")
        return ", ".join(parts) or "any request"

    def _mask_text(self, dim: Dim, mask: int) -> str:
        labels = [dim.labels[i] for i in _bits(mask)]
        if dim.kind in ("number", "date"):
            labels = _join_intervals(dim, mask)
        if len(labels) > 1:
            return "∈ {" + ", ".join(labels) + "}"
        label = labels[0]
        if label[:1] in "<>=":
            return label
        return f"∈ {label}" if label[:1] in "([" else f"= {label}"


def _pick(mask: int) -> int:
    """Prefer a present element (lowest non-absent bit), else absent."""
    present = mask & ~ABSENT_BIT
    target = present if present else mask
    return (target & -target).bit_length() - 1


def _literal_sample(pattern: str) -> str:
    special = set(".^$*+?()[]{}|\\")
    if not any(c in special for c in pattern):
        return pattern
    # a common case: alternatives of plain words
    body = pattern.strip("^$")
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1].removeprefix("?:")
    first = body.split("|")[0]
    return first if not any(c in special for c in first) else pattern


def _segments(cuts: list[float], dated: bool) -> Iterator[tuple[float | None, float | None,
                                                                 float | None, str]]:
    """Elementary intervals of the real line (or of days) cut at ``cuts``."""
    if not cuts:
        yield None, None, 0.0 if not dated else float(dt.date(2025, 1, 1).toordinal()), "any"
        return

    def show(x: float) -> str:
        return dt.date.fromordinal(int(x)).isoformat() if dated else _fmt_num(x)

    first, last = cuts[0], cuts[-1]
    yield None, first, first - 1, f"< {show(first)}"
    for i, t in enumerate(cuts):
        yield t, t, t, f"= {show(t)}"
        if i + 1 < len(cuts):
            nxt = cuts[i + 1]
            if dated and nxt - t <= 1:
                yield t, nxt, None, "(empty)"
            else:
                mid = float(int(t) + 1) if dated else (t + nxt) / 2
                yield t, nxt, mid, f"({show(t)}, {show(nxt)})"
    yield last, None, last + 1, f"> {show(last)}"


def _join_intervals(dim: Dim, mask: int) -> list[str]:
    """Runs of adjacent elementary intervals as one interval each."""
    out = ["(missing)"] if mask & ABSENT_BIT else []
    runs: list[list[int]] = []
    for i in _bits(mask & ~ABSENT_BIT):
        if runs and all(dim.values[k] is None for k in range(runs[-1][-1] + 1, i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) == 1:
            out.append(dim.labels[run[0]])
        else:
            lo = _bound(dim.labels[run[0]], low=True)
            hi = _bound(dim.labels[run[-1]], low=False)
            out.append(f"{lo}, {hi}")
    return out


def _bound(label: str, *, low: bool) -> str:
    """Turn one elementary label into the low or high end of a joined interval."""
    if label.startswith("< "):
        return "(-inf" if low else f"{label[2:]})"
    if label.startswith("> "):
        return f"({label[2:]}" if low else "+inf)"
    if label.startswith("= "):
        return f"[{label[2:]}" if low else f"{label[2:]}]"
    if label == "any":
        return "(-inf" if low else "+inf)"
    inner = label.strip("()").split(", ")
    return f"({inner[0]}" if low else f"{inner[-1]})"


def _leaf_pairs(node: Node, cond: m.Condition | None) -> Iterator[tuple[Test, m.Condition | None]]:
    if isinstance(node, All | AnyOf):
        key = "all" if isinstance(node, All) else "any"
        for n, c in _children(node.parts, cond, key):
            yield from _leaf_pairs(n, c)
    elif isinstance(node, Not):
        yield from _leaf_pairs(node.part, cond.not_ if cond is not None else None)
    elif isinstance(node, Test):
        yield node, cond


def _children(parts: Sequence[Node], cond: m.Condition | None, key: str
              ) -> Iterator[tuple[Node, m.Condition | None]]:
    items = getattr(cond, key, None) if cond is not None else None
    for i, part in enumerate(parts):
        yield part, (items[i] if items is not None and i < len(items) else None)


def intersect(a: Box, b: Box) -> Box | None:
    """The intersection of two boxes, or ``None`` when it is empty."""
    if len(a) < len(b):
        a, b = b, a
    out = dict(a)
    for d, mask in b.items():
        if d in out:
            both = out[d] & mask
            if not both:
                return None
            out[d] = both
        else:
            out[d] = mask
    return out


def _product(left: list[Box], right: list[Box]) -> list[Box]:
    out = []
    for a in left:
        for b in right:
            c = intersect(a, b)
            if c is not None:
                out.append(c)
    if len(out) > 64:
        out = _absorb(out)
    if len(out) > BOX_LIMIT:
        raise TooComplex(f"a condition expands to more than {BOX_LIMIT} boxes")
    return out


def _absorb(boxes: list[Box]) -> list[Box]:
    """Drop exact duplicates (cheap); subsumption is left to the callers that need it."""
    seen: set[tuple[tuple[int, int], ...]] = set()
    out = []
    for b in boxes:
        key = tuple(sorted(b.items()))
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out


def subtract(a: Box, b: Box, space: Space) -> list[Box]:
    """``a`` minus ``b`` as disjoint boxes."""
    for d, mask in b.items():
        if not a.get(d, space.dims[d].full) & mask:
            return [a]
    out = []
    cur = dict(a)
    for d, mask in b.items():
        have = cur.get(d, space.dims[d].full)
        rest = have & ~mask
        if rest:
            piece = dict(cur)
            piece[d] = rest
            out.append(piece)
            cur[d] = have & mask
    return out


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleInfo:
    index: int  # position in the pack's rule list
    rule: CompiledRule
    true: tuple[Box, ...]
    complete: bool = True  # False when the condition was too complex to expand


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two rules at one priority, different categories, true together on ``witness``."""

    first: RuleInfo  # earlier in the pack
    second: RuleInfo
    box: Box
    witness: dict[str, Any]
    as_of: dt.date | None
    confirmed: bool  # classifying the witness made both rules true
    combined_text: bool  # the witness needs the words of both rules in one text
    more: tuple[RuleInfo, ...] = ()  # some further rules the second one overlaps with
    more_count: int = 0  # how many further rules


@dataclass(frozen=True, slots=True)
class Neighbour:
    """Two rules of different categories a request can move between (see
    :attr:`Analysis.neighbours`). For ``apart``, ``dimension`` is the field that tells them
    apart and ``masks`` the elements of it each rule takes (first's, second's)."""

    first: RuleInfo  # earlier in the pack
    second: RuleInfo
    kind: str  # together | words | apart
    dimension: Dim | None = None
    masks: tuple[int, int] = (0, 0)
    boxes: tuple[int, int] = (0, 0)  # the two boxes that meet (Analysis.boxes)
    # filled by Analysis.confirm:
    witnesses: tuple[dict[str, Any], ...] = ()  # one request, or one per side for apart
    outcomes: tuple[tuple[str, ...], ...] = ()  # per witness: the decided category, or candidates
    confirmed: bool | None = None  # None: not confirmed yet
    as_of: dt.date | None = None

    def labels(self, which: int) -> list[str]:
        """The elements of the telling field a rule takes (0: first, 1: second), as the
        analysis labels them (``residential``, ``> 160``, ``(missing)``)."""
        if self.dimension is None:
            return []
        mask = self.masks[which] & self.dimension.present
        if self.dimension.kind in ("number", "date"):
            return _join_intervals(self.dimension, mask)
        return [self.dimension.labels[e] for e in _bits(mask)]


@dataclass(frozen=True, slots=True)
class Shadow:
    rule: RuleInfo
    covering: tuple[RuleInfo, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    box: Box
    text: str
    period: tuple[dt.date | None, dt.date | None]
    narrow: tuple[int, ...] = ()  # the dimensions the gap does not span whole


@dataclass(frozen=True, slots=True)
class Change:
    """One date of the time line: what comes into force, what stops, and what is replaced by a
    new version (one version ends and the next starts that day)."""

    day: dt.date
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    replaced: tuple[str, ...] = ()


# --- the analysis --------------------------------------------------------------------------------


class _Index:
    """Bit sets of boxes by dimension and mask, to find intersecting boxes without pairs."""

    def __init__(self, boxes: Sequence[Box], space: Space) -> None:
        self.space = space
        self.boxes = boxes
        self.all = (1 << len(boxes)) - 1
        self.by_mask: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        constrained: dict[int, int] = defaultdict(int)
        for i, box in enumerate(boxes):
            bit = 1 << i
            for d, mask in box.items():
                self.by_mask[d][mask] |= bit
                constrained[d] |= bit
        self.free = {d: self.all & ~bits for d, bits in constrained.items()}
        self._cache: dict[tuple[int, int], int] = {}

    def meeting(self, d: int, mask: int) -> int:
        """Boxes whose mask on ``d`` meets ``mask`` (unconstrained ones included)."""
        key = (d, mask)
        hit = self._cache.get(key)
        if hit is None:
            hit = self.free.get(d, self.all)
            for other, bits in self.by_mask.get(d, {}).items():
                if other & mask:
                    hit |= bits
            self._cache[key] = hit
        return hit

    def candidates(self, box: Box, within: int) -> int:
        cand = within
        for d, mask in box.items():
            if not cand:
                break
            cand &= self.meeting(d, mask)
        return cand

    def covering(self, d: int, mask: int) -> int:
        """Boxes whose mask on ``d`` holds every element of ``mask``."""
        key = (d, ~mask)
        hit = self._cache.get(key)
        if hit is None:
            hit = self.free.get(d, self.all)
            for other, bits in self.by_mask.get(d, {}).items():
                if mask & ~other == 0:
                    hit |= bits
            self._cache[key] = hit
        return hit

    def container(self, box: Box, within: int) -> int | None:
        """One box (among ``within``) that contains all of ``box``, or ``None``."""
        hit = within
        for d, mask in box.items():
            if not hit:
                return None
            hit &= self.covering(d, mask)
        dims = self.space.dims
        for j in _bits(hit):  # they may still narrow dimensions ``box`` leaves open
            if all(box.get(d, dims[d].full) & ~mask == 0 for d, mask in self.boxes[j].items()):
                return j
        return None

    def uncovered_point(self, box: Box, cand: int, limit: int = 64) -> bool:
        """Whether a point of ``box`` lies in none of the ``cand`` boxes, found greedily:
        per dimension, the element the fewest remaining candidates contain. ``False`` means
        "not found", not "none exists"."""
        if len(self.by_mask) > limit:
            return False
        hit = cand
        for d in self.by_mask:
            mask = box.get(d, self.space.dims[d].full)
            best = -1
            best_hit = 0
            for e in _bits(mask):
                h = hit & self.covering(d, 1 << e)
                if best < 0 or h.bit_count() < best_hit.bit_count():
                    best, best_hit = e, h
                    if not h:
                        return True
            hit = best_hit
        return not hit


class Analysis:
    """Boxes for every rule of a compiled pack, and the semantic findings built on them."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        located = pack.source.entries["rules"]
        self.models: list[m.Rule] = [loc.obj for loc in located]
        pairs: list[tuple[Node, m.Condition | None]] = [
            (r.node, self.models[r.order].when) for r in pack.rules]
        self.space = Space(pack, pairs)
        self.rules: list[RuleInfo] = []
        for index, rule in enumerate(pack.rules):
            try:
                true, _false = self.space.sets(rule.node, self.models[rule.order].when)
                complete = True
            except TooComplex:
                true, complete = [], False
            self.rules.append(RuleInfo(index, rule, tuple(true), complete))
        self.boxes: list[Box] = []
        self.owner: list[int] = []  # box -> rule index
        for info in self.rules:
            for box in info.true:
                self.boxes.append(box)
                self.owner.append(info.index)
        self.index = _Index(self.boxes, self.space)
        self._date_cache: dict[tuple[m.Effective, str], int] = {}

    # --- helpers

    @cached_property
    def _by_priority(self) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for i, owner in enumerate(self.owner):
            out[self.rules[owner].rule.priority] |= 1 << i
        return out

    @cached_property
    def _by_category(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for i, owner in enumerate(self.owner):
            out[self.rules[owner].rule.category] |= 1 << i
        return out

    # --- never-true rules

    @cached_property
    def never_true(self) -> list[RuleInfo]:
        return [r for r in self.rules if r.complete and not r.true]

    @cached_property
    def too_complex(self) -> list[RuleInfo]:
        return [r for r in self.rules if not r.complete]

    # --- bit sets used by the searches

    @cached_property
    def _boxes_of_rule(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i, owner in enumerate(self.owner):
            out[owner].append(i)
        return out

    @cached_property
    def _forced(self) -> list[frozenset[int]]:
        """Per box: the atoms it needs true (free-text tests and list items)."""
        return [frozenset(d for d, mask in box.items()
                          if self.space.dims[d].kind == "atom" and mask == ATOM_TRUE)
                for box in self.boxes]

    @cached_property
    def _by_forced(self) -> dict[frozenset[int], int]:
        out: dict[frozenset[int], int] = defaultdict(int)
        for i, forced in enumerate(self._forced):
            out[forced] |= 1 << i
        return out

    @cached_property
    def _forcing(self) -> tuple[dict[int, int], dict[str, int]]:
        """Boxes that need atom ``a`` true; boxes that need some atom of text field ``f``."""
        by_atom: dict[int, int] = defaultdict(int)
        by_field: dict[str, int] = defaultdict(int)
        for i, forced in enumerate(self._forced):
            for a in forced:
                by_atom[a] |= 1 << i
                by_field[self.space.dims[a].field] |= 1 << i
        return by_atom, by_field

    def _within_forced(self, forced: frozenset[int]) -> int:
        """Boxes whose needed atoms (of ``field``, or all) are a subset of ``forced``."""
        if len(forced) > 10:
            return self.index.all
        out = 0
        items = sorted(forced)
        for k in range(1 << len(items)):
            subset = frozenset(items[b] for b in range(len(items)) if k >> b & 1)
            out |= self._by_forced.get(subset, 0)
        return out

    def _strict_partners(self, i: int) -> int:
        """Boxes that meet box ``i`` without needing more words in one text than either does:
        per text field, the atoms one needs are a subset of the atoms the other needs."""
        by_atom, by_field = self._forcing
        out = self.index.all
        per_field: dict[str, set[int]] = defaultdict(set)
        for a in self._forced[i]:
            dim = self.space.dims[a]
            if dim.field in self.space.text_fields:
                per_field[dim.field].add(a)
        for f, atoms in per_field.items():
            superset = self.index.all
            for a in atoms:
                superset &= by_atom.get(a, 0)
            others = by_field.get(f, 0)
            subset = self.index.all & ~others  # need no atom of f
            if len(atoms) > 1:
                for j in _bits(others & ~superset):
                    if {x for x in self._forced[j] if self.space.dims[x].field == f} <= atoms:
                        subset |= 1 << j
            out &= superset | subset
        return out

    def _dates(self, effective: m.Effective, how: str) -> int:
        """Boxes of rules in force on some day of ``effective`` (``how="meet"``) or on every
        day of it (``how="cover"``)."""
        key = (effective, how)
        hit = self._date_cache.get(key)
        if hit is None:
            hit = 0
            for eff, bits in self._by_effective.items():
                ok = (eff.overlaps(effective) if how == "meet"
                      else _contains_period(eff, effective))
                if ok:
                    hit |= bits
            self._date_cache[key] = hit
        return hit

    @cached_property
    def _by_effective(self) -> dict[m.Effective, int]:
        out: dict[m.Effective, int] = defaultdict(int)
        for i, owner in enumerate(self.owner):
            out[self.rules[owner].rule.effective] |= 1 << i
        return out

    @cached_property
    def _single(self) -> bool:
        return all(len(v) == 1 for v in self._boxes_of_rule.values())

    def _owners(self, bits: int, limit: int) -> tuple[list[int], int]:
        """The first ``limit`` rules owning ``bits`` (in pack order) and how many there are."""
        names: list[int] = []
        single = self._single
        seen: set[int] = set()
        for j in _bits(bits):
            owner = self.owner[j]
            if owner not in seen:
                seen.add(owner)
                names.append(owner)
                if single and len(names) >= limit:
                    return names, bin(bits).count("1")
        return names[:limit], len(seen)

    # --- overlaps

    @cached_property
    def overlaps(self) -> list[Overlap]:
        """Per rule, its overlaps with earlier rules: one entry naming the first partner and
        counting the others, and a second one for overlaps that need both rules' words."""
        out: list[Overlap] = []
        for info in self.rules:
            mine = self._boxes_of_rule.get(info.index)
            if not mine:
                continue
            rule = info.rule
            within = (self._by_priority[rule.priority] & ~self._by_category[rule.category]
                      & ((1 << mine[0]) - 1) & self._dates(rule.effective, "meet"))
            if not within:
                continue
            strict_all = loose_all = 0
            best: dict[bool, tuple[int, int]] = {}
            for i in mine:
                cand = self.index.candidates(self.boxes[i], within)
                if not cand:
                    continue
                strict = cand & self._strict_partners(i)
                loose = cand & ~strict
                strict_all |= strict
                loose_all |= loose
                for combined, bits in ((False, strict), (True, loose)):
                    if bits:
                        j = (bits & -bits).bit_length() - 1
                        if combined not in best or j < best[combined][0]:
                            best[combined] = (j, i)
            strict_rules, _n = self._owners(strict_all, 10**9) if strict_all else ([], 0)
            loose_bits = loose_all
            if strict_rules:
                for owner in strict_rules:
                    for j in self._boxes_of_rule[owner]:
                        loose_bits &= ~(1 << j)
            for combined, bits in ((False, strict_all), (True, loose_bits)):
                if not bits or combined not in best:
                    continue
                j, i = best[combined]
                if not bits >> j & 1:  # the best loose partner overlaps strictly elsewhere
                    j = (bits & -bits).bit_length() - 1
                    i = next(k for k in mine
                             if intersect(self.boxes[k], self.boxes[j]) is not None)
                meet = intersect(self.boxes[i], self.boxes[j])
                assert meet is not None
                first = self.rules[self.owner[j]]
                owners, count = self._owners(bits, 6)
                more = tuple(self.rules[o] for o in owners if o != first.index)[:5]
                day = _common_day(first.rule.effective, rule.effective)
                witness = self.space.witness(meet)
                confirmed = self._confirm(witness, (first, info))
                out.append(Overlap(first, info, meet, witness, day, confirmed, combined, more,
                                   count - 1))
        return out

    def overlap_pairs(self) -> set[tuple[int, int]]:
        """Every overlapping pair of rule indices (small packs and tests; quadratic output)."""
        pairs: set[tuple[int, int]] = set()
        for info in self.rules:
            rule = info.rule
            for i in self._boxes_of_rule.get(info.index, []):
                within = (self._by_priority[rule.priority] & ~self._by_category[rule.category]
                          & self._dates(rule.effective, "meet"))
                for j in _bits(self.index.candidates(self.boxes[i], within)):
                    a, b = sorted((info.index, self.owner[j]))
                    pairs.add((a, b))
        return pairs

    def _confirm(self, witness: dict[str, Any], rules: Sequence[RuleInfo]) -> bool:
        """Whether classifying the witness really makes every one of ``rules`` true."""
        try:
            facts = self.pack.facts(witness)
        except Exception:
            return False
        return all(r.rule.node.evaluate(facts) is True for r in rules)

    # --- neighbours

    @cached_property
    def neighbours(self) -> list[Neighbour]:
        """Pairs of rules of different categories, in force on a common day, that a request
        can move between (one entry per pair, the closest relation):

        * ``together``: some request makes both true, with no more words in one text than
          either rule needs (at one priority that is an overlap, BR401; otherwise the higher
          priority wins);
        * ``words``: both are true when one text carries the words of both rules (at one
          priority that is a text overlap, BR402);
        * ``apart``: on every dimension but one field the two meet, and on that field the two
          rules' values together make up every value the field can take (``customer.type``
          residential against non-residential, a capacity up to 160 against above it):
          changing that field's value moves the request from one rule to the other.

        :meth:`confirm` gives an entry its witness requests and what classifying them gives.
        """
        rank = {"together": 0, "words": 1, "apart": 2}
        best: dict[tuple[int, int], tuple[str, int | None, int, int]] = {}

        def keep(i: int, j: int, kind: str, dim: int | None) -> None:
            a, b = self.owner[i], self.owner[j]
            key = (a, b) if a < b else (b, a)
            boxes = (i, j) if a < b else (j, i)
            current = best.get(key)
            if current is None or rank[kind] < rank[current[0]]:
                best[key] = (kind, dim, *boxes)

        dims = self.space.dims
        for i, box in enumerate(self.boxes):
            rule = self.rules[self.owner[i]].rule
            later = self.index.all & ~((1 << (i + 1)) - 1)  # each pair of boxes once
            within = (later & ~self._by_category[rule.category]
                      & self._dates(rule.effective, "meet"))
            if not within:
                continue
            strict = self._strict_partners(i)
            for j in _bits(self.index.candidates(box, within)):
                keep(i, j, "together" if strict >> j & 1 else "words", None)
            for d, mask in box.items():
                dim = dims[d]
                if not dim.structural:  # free text and lists: their words are atoms
                    continue
                rest = {k: v for k, v in box.items() if k != d}
                apart = self.index.candidates(rest, within & strict) & ~self.index.meeting(d, mask)
                for j in _bits(apart):
                    if (mask | self.boxes[j][d]) & dim.present == dim.present:
                        keep(i, j, "apart", d)
        return [Neighbour(self.rules[a], self.rules[b], kind,
                          dims[d] if d is not None else None,
                          (self.boxes[i][d], self.boxes[j][d]) if d is not None else (0, 0),
                          (i, j))
                for (a, b), (kind, d, i, j) in sorted(best.items())]

    def confirm(self, n: Neighbour) -> Neighbour:
        """``n`` with witness requests (one for ``together`` and ``words``, one per side for
        ``apart``), what classifying them gives, and ``confirmed``: the decisions lead to the
        pair's categories (for ``apart``, each side to its own), so that a pair that a third
        rule overrides is not taken for one."""
        day = _common_day(n.first.rule.effective, n.second.rule.effective)
        categories = (n.first.rule.category, n.second.rule.category)
        i, j = n.boxes
        d = n.dimension.index if n.dimension is not None else None
        if d is None:
            meet = intersect(self.boxes[i], self.boxes[j])
            assert meet is not None
            witnesses: tuple[dict[str, Any], ...] = (self.space.witness(meet),)
        else:
            base = intersect({k: v for k, v in self.boxes[i].items() if k != d},
                             {k: v for k, v in self.boxes[j].items() if k != d})
            assert base is not None
            witnesses = tuple(self.space.witness({**base, d: self.boxes[k][d]}) for k in (i, j))
        outcomes = tuple(self._outcome(w, day) for w in witnesses)
        if d is None:
            confirmed = bool(set(outcomes[0]) & set(categories))
        else:
            confirmed = categories[0] in outcomes[0] and categories[1] in outcomes[1]
        return dataclasses.replace(n, witnesses=witnesses, outcomes=outcomes,
                                   confirmed=confirmed, as_of=day)

    def _outcome(self, witness: dict[str, Any], day: dt.date | None) -> tuple[str, ...]:
        """The categories classifying ``witness`` leads to: the decided one, else the
        candidates (empty when it is unmatched or does not fit the pack)."""
        try:
            decision = self.pack.classify(witness, day, explain=False)
        except Exception:
            return ()
        if decision.category is not None:
            return (decision.category.id,)
        return tuple(c.category for c in decision.candidates)

    # --- shadows

    @cached_property
    def shadows(self) -> list[Shadow]:
        out = []
        for info in self.rules:
            if not info.true:
                continue
            prio = info.rule.priority
            higher = 0
            for p, bits in self._by_priority.items():
                if p > prio:
                    higher |= bits
            higher &= self._dates(info.rule.effective, "cover")
            if not higher:
                continue
            covering = self._cover(info, higher)
            if covering is not None:
                out.append(Shadow(info, covering))
        return out

    def _cover(self, info: RuleInfo, higher: int) -> tuple[RuleInfo, ...] | None:
        used: dict[int, None] = {}
        for k, box in enumerate(info.true):
            cand = self.index.candidates(box, higher)
            if not cand:
                return None
            # Quick refusal: where every atom the box leaves open is false, only boxes that
            # need no other atom can cover it. Most rules with free text fail here.
            mine = self._boxes_of_rule[info.index][k]
            face_cand = cand & self._within_forced(self._forced[mine])
            if not face_cand:
                return None
            face = dict(box)
            if self.space.atom_dim:
                for j in _bits(face_cand):
                    for d in self.boxes[j]:
                        if d not in face and self.space.dims[d].kind == "atom":
                            face[d] = ATOM_FALSE
            # Another: one point of the box that no candidate contains.
            if self.index.uncovered_point(face, face_cand):
                return None
            whole = self.index.container(box, cand)
            if whole is not None:  # one higher rule covers the box on its own
                used.setdefault(self.owner[whole], None)
                continue
            if (face != box or face_cand != cand) and self._rest(face, face_cand, {}):
                return None
            if self._rest(box, cand, used):
                return None
        return tuple(self.rules[i] for i in used)

    def _rest(self, box: Box, cand: int, used: dict[int, None]) -> bool:
        """Whether part of ``box`` is left after taking away the candidate boxes."""
        order = sorted(_bits(cand), key=lambda j: len(self.boxes[j]))
        pieces = [box]
        for j in order:
            nxt: list[Box] = []
            cut = False
            for piece in pieces:
                rest = subtract(piece, self.boxes[j], self.space)
                if len(rest) != 1 or rest[0] is not piece:
                    cut = True
                nxt.extend(rest)
            if cut:
                used.setdefault(self.owner[j], None)
            pieces = nxt
            if not pieces:
                return False
            if len(pieces) > PIECE_LIMIT:
                return True
        return bool(pieces)

    # --- gaps

    def gaps(self, limit: int = 50) -> list[Gap]:
        """Combinations of enum values and numeric ranges no rule in force can make true.

        Free text, lists and unconstrained fields are projected away: a rule covers a
        combination if some wording could make it true there. Fields with ``absent: "false"``
        count *missing* as one of their values; for the others a missing value leads to a
        question, not a gap. Computed for each period of the time line.
        """
        dims = [d for d in self.space.dims if d.structural
                and any(d.index in b for b in self.boxes)]
        universe: Box = {d.index: d.present | (ABSENT_BIT if d.absent_false else 0)
                         for d in dims}
        keep = set(universe)
        out: list[Gap] = []
        seen: set[str] = set()
        for start, end, active in self.periods():
            projected = []
            for i, owner in enumerate(self.owner):
                if owner in active:
                    box = {d: mask for d, mask in self.boxes[i].items() if d in keep}
                    projected.append(box)
            index = _Index(projected, self.space)
            holes = _merge(_uncovered(universe, index.all, index), self.space)
            holes.sort(key=lambda b: (-_volume(b, universe), sorted(b.items())))
            for hole in holes:
                text = self.space.describe(hole, universe)
                key = f"{text}|{start}|{end}"
                if key in seen:
                    continue
                seen.add(key)
                narrow = tuple(d for d in sorted(hole) if hole[d] != universe[d])
                out.append(Gap(hole, text, (start, end), narrow))
                if len(out) >= limit:
                    return out
        return out

    # --- time line

    def periods(self) -> list[tuple[dt.date | None, dt.date | None, set[int]]]:
        """Periods between consecutive change dates, with the rules in force in each."""
        days = sorted({d for r in self.rules for d in (r.rule.effective.from_,
                                                       r.rule.effective.until) if d})
        bounds: list[dt.date | None] = [None, *days, None]
        out = []
        for lo, hi in itertools.pairwise(bounds):
            probe = lo if lo is not None else (hi - dt.timedelta(days=1) if hi else dt.date.today())
            active = {r.index for r in self.rules if r.rule.effective.contains(probe)}
            out.append((lo, hi, active))
        # a pack without dates has one period; merge neighbours with the same rules
        merged: list[tuple[dt.date | None, dt.date | None, set[int]]] = []
        for lo, hi, active in out:
            if merged and merged[-1][2] == active:
                merged[-1] = (merged[-1][0], hi, active)
            else:
                merged.append((lo, hi, active))
        return merged


def timeline(pack: Pack) -> list[Change]:
    """Dates on which rules or categories come into force, stop, or change version, in order."""
    starts: dict[dt.date, list[str]] = defaultdict(list)
    ends: dict[dt.date, list[str]] = defaultdict(list)
    for section in ("categories", "rules"):
        for loc in pack.source.entries[section]:
            eff: m.Effective = loc.obj.effective
            label = f"{'rule' if section == 'rules' else 'category'} {loc.obj.id}"
            if eff.from_:
                starts[eff.from_].append(label)
            if eff.until:
                ends[eff.until].append(label)
    out = []
    for day in sorted(set(starts) | set(ends)):
        both = set(starts.get(day, ())) & set(ends.get(day, ()))
        out.append(Change(day, tuple(x for x in starts.get(day, ()) if x not in both),
                          tuple(x for x in ends.get(day, ()) if x not in both),
                          tuple(x for x in starts.get(day, ()) if x in both)))
    return out


def version_gaps(entries: Sequence[Any]) -> Iterator[tuple[Any, dt.date, dt.date]]:
    """For objects with several versions: days between two versions when none is in force.

    Yields ``(located object that ends, gap start, gap end)``.
    """
    by_id: dict[str, list[Any]] = defaultdict(list)
    for loc in entries:
        by_id[loc.obj.id].append(loc)
    for versions in by_id.values():
        if len(versions) < 2:
            continue
        ordered = sorted(versions, key=lambda loc: loc.obj.effective.from_ or dt.date.min)
        for before, after in itertools.pairwise(ordered):
            end = before.obj.effective.until
            start = after.obj.effective.from_
            if end is not None and start is not None and end < start:
                yield before, end, start


def _common_day(a: m.Effective, b: m.Effective) -> dt.date | None:
    lo = max(a.from_ or dt.date.min, b.from_ or dt.date.min)
    return None if lo == dt.date.min else lo


def _contains_period(outer: m.Effective, inner: m.Effective) -> bool:
    return ((outer.from_ is None or (inner.from_ is not None and outer.from_ <= inner.from_))
            and (outer.until is None or (inner.until is not None and inner.until <= outer.until)))


def _volume(box: Box, universe: Box) -> int:
    v = 1
    for d, mask in universe.items():
        v *= bin(box.get(d, mask) & mask).count("1")
    return v


def _uncovered(region: Box, live: int, index: _Index) -> list[Box]:
    """``region`` minus the union of the indexed boxes, by recursive splitting (disjoint
    pieces). ``live`` holds the boxes that may meet ``region``."""
    live = index.candidates(region, live)
    if not live:
        return [region]
    if index.container(region, live) is not None:
        return []
    # split on the dimension where the live boxes cut the region in the most ways
    best_d, best_cuts = -1, 0
    cut_mask = 0
    for d, mask in region.items():
        cuts = {m & mask for m, bits in index.by_mask.get(d, {}).items() if bits & live}
        cuts.discard(mask)
        cuts.discard(0)
        if len(cuts) > best_cuts:
            best_d, best_cuts, cut_mask = d, len(cuts), next(iter(cuts))
    mask = region[best_d]
    halves = [cut_mask, mask & ~cut_mask]
    dim = index.space.dims[best_d]
    if dim.kind in ("number", "date") and best_cuts > 1:
        # ordered dimensions split in the middle, so neighbouring intervals stay together
        elems = list(_bits(mask))
        low = sum(1 << e for e in elems[: len(elems) // 2])
        halves = [low, mask & ~low]
    out = []
    for half in halves:
        if half:
            out.extend(_uncovered({**region, best_d: half}, live, index))
    return out


def _merge(boxes: list[Box], space: Space) -> list[Box]:
    """Join boxes that differ in one dimension, until none do: few, large gap boxes."""
    boxes = [dict(b) for b in boxes]
    changed = True
    while changed and len(boxes) > 1:
        changed = False
        dims = sorted({d for b in boxes for d in b})
        for d in dims:
            groups: dict[tuple[tuple[int, int], ...], list[Box]] = defaultdict(list)
            for b in boxes:
                key = tuple(sorted((k, v) for k, v in b.items() if k != d))
                groups[key].append(b)
            if all(len(g) == 1 for g in groups.values()):
                continue
            merged = []
            for group in groups.values():
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                joined = dict(group[0])
                for other in group[1:]:
                    joined[d] = joined.get(d, 0) | other.get(d, 0)
                merged.append(joined)
                changed = True
            boxes = merged
    return boxes


def brute_force_overlaps(analysis: Analysis) -> set[tuple[int, int]]:
    """Pairs of rule indices that overlap, by testing every pair of rules' boxes.

    The naive reference the indexed search in :attr:`Analysis.overlaps` is measured against.
    """
    out: set[tuple[int, int]] = set()
    rules = analysis.rules
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            if a.rule.priority != b.rule.priority or a.rule.category == b.rule.category:
                continue
            if not a.rule.effective.overlaps(b.rule.effective):
                continue
            if any(intersect(x, y) is not None for x in a.true for y in b.true):
                out.add((a.index, b.index))
    return out
