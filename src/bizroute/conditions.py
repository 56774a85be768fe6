"""Compiled conditions and their three-valued evaluation.

A pack's ``when`` conditions are compiled once, at load time, into the small node classes
below. Evaluation returns ``True``, ``False`` or ``None`` (unknown: the request lacks a field
the test needs). :meth:`Node.trace` evaluates again and records, per field test, the value
seen, for explanations; it is only used off the hot path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

Truth = bool | None
MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class TextMatcher:
    """Finds terms in normalised text, ignoring occurrences that a negation cue governs."""

    cues: tuple[str, ...]
    window: int
    breaks: tuple[str, ...]

    def negated(self, text: str, start: int) -> bool:
        if not self.cues or self.window <= 0:
            return False
        before = text[max(0, start - self.window) : start]
        for cue in self.cues:  # a loop, not any(): this runs for every term occurrence
            if cue in before:
                break
        else:
            return False  # no cue at all: cutting at clause breaks cannot find one
        for brk in self.breaks:
            cut = before.rfind(brk)
            if cut >= 0:
                before = before[cut + len(brk) :]
        return any(cue in before for cue in self.cues)

    def find(self, text: str, terms: tuple[str, ...], skip_negated: bool) -> str | None:
        """The first term with an occurrence that counts, or ``None``."""
        for term in terms:
            start = text.find(term)
            while start >= 0:
                if not (skip_negated and self.negated(text, start)):
                    return term
                start = text.find(term, start + 1)
        return None

    def find_hits(self, text: str, hits: TermHits, terms: tuple[str, ...],
                  skip_negated: bool) -> str | None:
        """:meth:`find` from the occurrences one automaton pass found (same answer, same
        negation handling); terms the pass did not look for are searched directly."""
        starts_of = hits.starts
        known = hits.known
        for term in terms:
            if term not in known:
                if self.find(text, (term,), skip_negated) is not None:
                    return term
                continue
            for start in starts_of.get(term, ()):
                if not (skip_negated and self.negated(text, start)):
                    return term
        return None


class TermHits:
    """Where each term of a pack's vocabularies occurs in one text (start offsets, ascending).

    ``known`` is every term the scan looked for: a term outside it was not searched."""

    __slots__ = ("known", "starts")

    def __init__(self, known: frozenset[str], starts: dict[str, list[int]]) -> None:
        self.known = known
        self.starts = starts


class Facts:
    """A request flattened to declared field paths, with per-request caches for text tests."""

    __slots__ = ("_mention_cache", "memo", "values")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self._mention_cache: dict[Any, str | None] = {}
        self.memo: dict[Any, Any] = {}  # per-request results of the rule index

    def get(self, path: str) -> Any:
        return self.values.get(path, MISSING)


@dataclass(frozen=True, slots=True)
class LeafResult:
    """How one field test came out on a request, for explanations."""

    path: str
    field: str
    test: str
    value: Any
    result: Truth
    matched: str | None = None


class Node:
    """A compiled condition."""

    __slots__ = ()

    def evaluate(self, facts: Facts) -> Truth:
        raise NotImplementedError

    def trace(self, facts: Facts, out: list[LeafResult]) -> Truth:
        raise NotImplementedError

    def leaves(self) -> Iterator[Test]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, eq=False)
class All(Node):
    parts: tuple[Node, ...]

    def evaluate(self, facts: Facts) -> Truth:
        unknown = False
        for part in self.parts:
            value = part.evaluate(facts)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    def trace(self, facts: Facts, out: list[LeafResult]) -> Truth:
        unknown = False
        for part in self.parts:
            value = part.trace(facts, out)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    def leaves(self) -> Iterator[Test]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True, slots=True, eq=False)
class AnyOf(Node):
    parts: tuple[Node, ...]

    def evaluate(self, facts: Facts) -> Truth:
        unknown = False
        for part in self.parts:
            value = part.evaluate(facts)
            if value is True:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    def trace(self, facts: Facts, out: list[LeafResult]) -> Truth:
        unknown = False
        scratch: list[LeafResult] = []
        for part in self.parts:
            branch: list[LeafResult] = []
            value = part.trace(facts, branch)
            if value is True:
                out.extend(branch)  # only the branch that made it true explains it
                return True
            scratch.extend(branch)
            if value is None:
                unknown = True
        out.extend(scratch)
        return None if unknown else False

    def leaves(self) -> Iterator[Test]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True, slots=True, eq=False)
class Not(Node):
    part: Node

    def evaluate(self, facts: Facts) -> Truth:
        value = self.part.evaluate(facts)
        return None if value is None else not value

    def trace(self, facts: Facts, out: list[LeafResult]) -> Truth:
        inner: list[LeafResult] = []
        value = self.part.trace(facts, inner)
        result = None if value is None else not value
        out.extend(
            LeafResult(r.path, r.field, f"not ({r.test})", r.value,
                       None if r.result is None else not r.result, r.matched)
            for r in inner
        )
        return result

    def leaves(self) -> Iterator[Test]:
        yield from self.part.leaves()


@dataclass(frozen=True, slots=True, eq=False)
class Test(Node):
    """A test on one field. ``predicate`` sees a present value and answers True or False."""

    path: str  # where the test sits in its file, e.g. "when.all[1]"
    field_name: str
    op: str
    operand: Any
    predicate: Callable[[Any, Facts], bool] = field(repr=False)
    absent_is_false: bool = False
    describe: str = ""
    # for `mentions`/`matches`: the term-finder, so traces can say which term matched
    finder: Callable[[Any, Facts], str | None] | None = field(default=None, repr=False)

    def evaluate(self, facts: Facts) -> Truth:
        value = facts.values.get(self.field_name, MISSING)
        if value is MISSING:
            if self.op == "exists":
                return not self.operand
            return False if self.absent_is_false else None
        return self.predicate(value, facts)

    def trace(self, facts: Facts, out: list[LeafResult]) -> Truth:
        result = self.evaluate(facts)
        value = facts.get(self.field_name)
        matched = None
        if self.finder is not None and value is not MISSING:
            matched = self.finder(value, facts)
        shown = None if value is MISSING else getattr(value, "raw", value)
        out.append(LeafResult(self.path, self.field_name, self.describe, shown, result, matched))
        return result

    def leaves(self) -> Iterator[Test]:
        yield self


class TextValue:
    """A text field's value: the raw text and its normalised matching form."""

    __slots__ = ("hits", "norm", "raw")

    def __init__(self, raw: str, norm: str) -> None:
        self.raw = raw
        self.norm = norm
        self.hits: TermHits | None = None  # filled by the pack's one-pass term scan

    def __eq__(self, other: object) -> bool:
        # equal to the same text, given as a TextValue or a plain string (eq / in tests)
        if isinstance(other, TextValue):
            return other.raw == self.raw
        return isinstance(other, str) and other == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return repr(self.raw)


# --- leaf predicates -----------------------------------------------------------------------


def comparable(value: Any) -> Any:
    """Dates and datetimes compare as dates; everything else as is."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def make_predicate(op: str, operand: Any) -> Callable[[Any, Facts], bool]:
    """The predicate for a non-text operator (``operand`` already resolved and normalised)."""
    items = operand if isinstance(operand, tuple | list | set | frozenset) else (operand,)
    if op not in ("exists", "contains") and not any(isinstance(x, dt.date) for x in items):
        # no date in the operand: a date-time value compares (un)equal and raises on order
        # either way, so the conversion to a date can be left out of the hot path
        return _direct_predicate(op, operand)
    if op == "eq":
        return lambda v, _f: comparable(v) == operand
    if op == "ne":
        return lambda v, _f: comparable(v) != operand
    if op == "in":
        allowed = frozenset(operand)
        return lambda v, _f: comparable(v) in allowed
    if op == "not_in":
        banned = frozenset(operand)
        return lambda v, _f: comparable(v) not in banned
    if op == "lt":
        return lambda v, _f: comparable(v) < operand
    if op == "lte":
        return lambda v, _f: comparable(v) <= operand
    if op == "gt":
        return lambda v, _f: comparable(v) > operand
    if op == "gte":
        return lambda v, _f: comparable(v) >= operand
    if op == "between":
        lo, hi = operand
        return lambda v, _f: lo <= comparable(v) < hi
    if op == "exists":
        return lambda _v, _f: bool(operand)
    if op == "contains":
        return lambda v, _f: operand in v
    raise ValueError(f"no predicate for operator {op!r}")


def _direct_predicate(op: str, operand: Any) -> Callable[[Any, Facts], bool]:
    if op == "eq":
        return lambda v, _f: v == operand
    if op == "ne":
        return lambda v, _f: v != operand
    if op == "in":
        allowed = frozenset(operand)
        return lambda v, _f: v in allowed
    if op == "not_in":
        banned = frozenset(operand)
        return lambda v, _f: v not in banned
    if op == "lt":
        return lambda v, _f: v < operand
    if op == "lte":
        return lambda v, _f: v <= operand
    if op == "gt":
        return lambda v, _f: v > operand
    if op == "gte":
        return lambda v, _f: v >= operand
    if op == "between":
        lo, hi = operand
        return lambda v, _f: lo <= v < hi
    raise ValueError(f"no predicate for operator {op!r}")


def make_mentions(
    terms: tuple[str, ...], matcher: TextMatcher, skip_negated: bool, key: str
) -> tuple[Callable[[Any, Facts], bool], Callable[[Any, Facts], str | None]]:
    """Predicate and finder for ``mentions``; results are cached per request by ``key``."""

    # a string key: its hash is kept, a tuple's is computed on every look-up
    finder = MentionFinder(terms, matcher, skip_negated, f"{key}\x00{int(skip_negated)}")
    return (lambda v, f: finder(v, f) is not None), finder


class MentionFinder:
    """The term finder of one ``mentions`` test. Its attributes let the rule index see which
    terms the test looks for (:mod:`bizroute.index`)."""

    __slots__ = ("cache_key", "matcher", "skip_negated", "terms")

    def __init__(self, terms: tuple[str, ...], matcher: TextMatcher, skip_negated: bool,
                 cache_key: str) -> None:
        self.terms = terms
        self.matcher = matcher
        self.skip_negated = skip_negated
        self.cache_key = cache_key

    def __call__(self, value: Any, facts: Facts) -> str | None:
        found = facts._mention_cache.get(self.cache_key, MISSING)
        return self.search(value, facts) if found is MISSING else found

    def search(self, value: Any, facts: Facts) -> str | None:
        """The term found (uncached), remembered for the request."""
        hits = value.hits
        if hits is not None:
            found = self.matcher.find_hits(value.norm, hits, self.terms, self.skip_negated)
        else:
            found = self.matcher.find(value.norm, self.terms, self.skip_negated)
        facts._mention_cache[self.cache_key] = found
        return found


def make_matches(pattern: Any) -> tuple[Callable[[Any, Facts], bool],
                                        Callable[[Any, Facts], str | None]]:
    """Predicate and finder for ``matches``: an RE2 search of the normalised text.

    The result is cached per request and text value, so rules sharing a pattern search once.
    """
    key = "\x00re:" + str(getattr(pattern, "pattern", pattern))

    def finder(value: Any, facts: Facts) -> str | None:
        cache = facts._mention_cache
        cache_key = (key, id(value))
        if cache_key in cache:
            return cache[cache_key]
        m = pattern.search(value.norm)
        found = m.group(0) if m else None
        cache[cache_key] = found
        return found

    return (lambda v, f: finder(v, f) is not None), finder


def compile_regex(pattern: str) -> Any:
    """Compile with RE2; raises ``re2.error`` for patterns RE2 refuses."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


# --- flat evaluation -----------------------------------------------------------------------

Evaluator = Callable[[Facts], Truth]


def compile_node(node: Node) -> Evaluator:
    """One function that evaluates ``node`` as :meth:`Node.evaluate` does (same three-valued
    result), without the walk over node objects: attribute look-ups are done once here."""
    if isinstance(node, Test):
        name = node.field_name
        predicate = node.predicate
        if node.op == "exists":
            if_missing: Truth = not node.operand
        else:
            if_missing = False if node.absent_is_false else None

        finder = node.finder
        if node.op == "mentions" and isinstance(finder, MentionFinder):
            # make_mentions' predicate, with its per-request cache read here
            key = finder.cache_key
            search = finder.search

            def mentions(facts: Facts) -> Truth:
                value = facts.values.get(name, MISSING)
                if value is MISSING:
                    return if_missing
                found = facts._mention_cache.get(key, MISSING)
                if found is MISSING:
                    found = search(value, facts)
                return found is not None

            return mentions

        def test(facts: Facts) -> Truth:
            value = facts.values.get(name, MISSING)
            if value is MISSING:
                return if_missing
            return predicate(value, facts)

        return test
    if isinstance(node, Not):
        inner = compile_node(node.part)

        def negate(facts: Facts) -> Truth:
            value = inner(facts)
            return None if value is None else not value

        return negate
    if isinstance(node, All | AnyOf):
        parts = tuple(compile_node(p) for p in node.parts)
        stop = isinstance(node, AnyOf)  # the value that settles it: True for any, False for all
        settled = stop
        if len(parts) == 2:
            first, second = parts

            def pair(facts: Facts) -> Truth:
                a = first(facts)
                if a is settled:
                    return settled
                b = second(facts)
                if b is settled:
                    return settled
                return None if a is None or b is None else not settled

            return pair

        def many(facts: Facts) -> Truth:
            unknown = False
            for part in parts:
                value = part(facts)
                if value is settled:
                    return settled
                if value is None:
                    unknown = True
            return None if unknown else not settled

        return many
    return node.evaluate
