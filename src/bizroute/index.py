"""The compiled rule index: which rules can still match a request, found without evaluating all.

A rule whose condition is ``False`` for a request changes nothing in its decision (only true
and unknown rules do, see :meth:`bizroute.engine.Pack._evaluate`). The index finds, for each
rule, a *necessary signal set*: facts about a request at least one of which must hold for the
rule to be anything but ``False``. Signals are

* ``(field, "v", value)``: an enum or bool field has this value;
* ``(field, "m", None)``: the field is missing and a missing value makes its tests unknown
  (or the test is ``exists: false``); ``(field, "p", None)``: the field is present
  (``exists: true``);
* ``(field, "t", term)``: the normalised text of the field contains this vocabulary term
  (found for every term of the pack in one pass with an Aho-Corasick automaton).

A field test gives its signals directly (``intent in [a, b]`` → the two values, plus "missing"
when a missing intent is unknown rather than false; ``mentions`` → its terms). ``any`` is the
union of its parts; ``all`` picks the part whose signals are rarest in the pack (any one part's
signals are necessary for the whole); ``not`` and the other operators give no signals, and a
rule without signals is always evaluated. A request's signals select, through posting lists,
the candidate rules; they are evaluated in the usual priority order. Since only rules that are
certainly ``False`` are left out, decisions are exactly those of evaluating every rule.

Explanations: a why-not scan looks for rules that failed but had some test hold on a value the
request carries (``exists`` tests, and tests that hold because their field is missing, are no
evidence that a rule came near; see :func:`held`). For packs up to :data:`SCAN_ALL_LIMIT` rules
in force it considers every rule that could have such a test hold (found through the same kind
of posting lists, over every leaf, and through the first parts of ``all`` that a trace must get
past), so explanations are exactly those of a full scan. Above that limit it considers only
the *near* rules, those the index selected for the request (they share a discriminating value
or term with it); see docs/performance.md.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ahocorasick

from .conditions import MISSING, All, AnyOf, Facts, MentionFinder, Node, Not, TermHits, Test, TextValue
from .models import FieldSpec

if TYPE_CHECKING:
    from .engine import CompiledRule

#: Up to this many rules in force, why-not explanations consider every rule (exactly as a full
#: scan would); above it, only the rules the index selects for the request.
SCAN_ALL_LIMIT = 200

Signal = tuple[str, str, Any]
#: Rules found by one piece of why-not evidence: those it needs no gate for, and the others
#: by one of their gates, with the rest of their gates.
_Hits = tuple[tuple[int, ...], dict[int, tuple[tuple[int, frozenset[int]], ...]]]
_INDEXED_TYPES = frozenset({"enum", "bool"})


class TermScanner:
    """Every vocabulary term of a pack, per text field, matched in one pass over the text."""

    def __init__(self, terms_by_field: Mapping[str, Iterable[str]]) -> None:
        self._automata: dict[str, tuple[Any, frozenset[str]]] = {}
        for fname, terms in terms_by_field.items():
            known = frozenset(t for t in terms if t)
            if not known:
                continue
            automaton = ahocorasick.Automaton()
            for term in sorted(known):
                automaton.add_word(term, (term, len(term) - 1))
            automaton.make_automaton()
            self._automata[fname] = (automaton, known)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self._automata)

    def scan(self, values: Mapping[str, Any]) -> None:
        """Attach the term occurrences to each scanned text value of a request."""
        for fname, (automaton, known) in self._automata.items():
            value = values.get(fname)
            if isinstance(value, TextValue) and value.hits is None:
                # occurrences come by ascending end, so each term's starts come ascending
                starts: dict[str, list[int]] = {}
                for end, (term, back) in automaton.iter(value.norm):
                    found = starts.get(term)
                    if found is None:
                        starts[term] = [end - back]
                    else:
                        found.append(end - back)
                value.hits = TermHits(known, starts)


def mention_terms(leaf: Test) -> tuple[str, ...] | None:
    """The normalised terms a ``mentions`` test looks for (``None`` for other tests)."""
    finder = leaf.finder
    if leaf.op == "mentions" and isinstance(finder, MentionFinder):
        return finder.terms
    return None


def collect_terms(nodes: Iterable[Node]) -> dict[str, set[str]]:
    """Every term of every ``mentions`` test in ``nodes``, and the literals one of which every
    match of a ``matches`` test contains (see :func:`regex_literals`), by field."""
    out: dict[str, set[str]] = {}
    for node in nodes:
        for leaf in node.leaves():
            terms: Iterable[str] | None = mention_terms(leaf)
            if terms is None and leaf.op == "matches":
                terms = regex_literals(leaf.operand)
            if terms is not None:
                out.setdefault(leaf.field_name, set()).update(terms)
    return out


@functools.cache
def regex_literals(pattern: str) -> frozenset[str] | None:
    """Strings at least one of which every match of ``pattern`` contains (``None``: none found).

    Read from the parsed pattern: a run of literal characters is a string; a group, or a
    repetition of at least once, requires what its contents require; an alternation requires
    one of its branches' strings; a small character class one of its characters; of a
    sequence's parts, each one's strings are required, and the most selective is kept. Anything
    else (``.``, anchors, classes such as ``\\d``, optional parts, case-insensitive patterns,
    syntax this reading does not know) requires nothing. The index uses these as terms of a
    ``matches`` test: a text containing none of them cannot match.
    """
    import re._constants as c  # type: ignore[import-not-found]
    import re._parser as sre  # type: ignore[import-not-found]

    try:
        parsed = sre.parse(pattern)
    except Exception:  # RE2 syntax Python does not read: no literals, the test is kept
        return None
    if parsed.state.flags & (c.SRE_FLAG_IGNORECASE | c.SRE_FLAG_VERBOSE):
        return None

    def sequence(items: Any) -> set[str] | None:
        # adjacent parts that each match one of a few strings join into longer strings
        # (their concatenations); a part that requires nothing ends the run
        options: list[set[str]] = []
        run: set[str] | None = None
        for op, av in items:
            exact = {chr(av)} if op is c.LITERAL else item(op, av, whole=True)
            if exact is not None:
                joined = {a + b for a in run for b in exact} if run is not None else exact
                if len(joined) <= 64:
                    run = joined
                    continue
                if run is not None:  # too many combinations: keep what we have, start over
                    options.append(run)
                run = exact if len(exact) <= 64 else None
                continue
            if run is not None:
                options.append(run)
                run = None
            found = item(op, av)
            if found:
                options.append(found)
        if run is not None:
            options.append(run)
        options = [o for o in options if "" not in o]  # an empty string is in every text
        if not options:
            return None
        return max(options, key=lambda o: (min(len(x) for x in o), -len(o)))

    def whole(items: Any) -> set[str] | None:
        """The strings a sequence matches, when it is nothing but such parts."""
        out = {""}
        for op, av in items:
            exact = {chr(av)} if op is c.LITERAL else item(op, av, whole=True)
            if exact is None:
                return None
            out = {a + b for a in out for b in exact}
            if len(out) > 64:
                return None
        return out

    def item(op: Any, av: Any, whole: bool = False) -> set[str] | None:
        """With ``whole``: the exact strings the part matches (``None`` unless it matches
        nothing but a few fixed strings); else strings one of which its matches contain."""
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, inner = av
            if add_flags & c.SRE_FLAG_IGNORECASE:
                return None
            return exact_of(inner) if whole else sequence(inner)
        if op is c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                found = exact_of(branch) if whole else sequence(branch)
                if not found:
                    return None
                union |= found
            return union
        if op is c.IN:
            chars: set[str] = set()
            for sub_op, sub_av in av:
                if sub_op is c.LITERAL:
                    chars.add(chr(sub_av))
                elif sub_op is c.RANGE and sub_av[1] - sub_av[0] < 64:
                    chars.update(chr(x) for x in range(sub_av[0], sub_av[1] + 1))
                else:  # NEGATE, CATEGORY, a wide range
                    return None
            return chars or None
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, inner = av
            return sequence(inner) if low >= 1 and not whole else None
        return None

    exact_of = whole

    found = sequence(list(parsed))
    return frozenset(found) if found and "" not in found else None


class RuleIndex:
    """Posting lists from signals to the rules (of one set of rules in force) they select.

    Parameters
    ----------
    rules:
        The rules in force, in evaluation order (highest priority first).
    fields:
        The pack's field declarations (types decide which tests give signals).
    """

    def __init__(self, rules: tuple[CompiledRule, ...], fields: Mapping[str, FieldSpec]) -> None:
        self.rules = rules
        # keys of this index's results in a request's memo (the positions are under the index
        # itself); plain objects hash by identity, a tuple would be hashed anew at each look-up
        self._rules_key, self._signals_key = object(), object()
        self._fields = fields
        self.exact_why_not = len(rules) <= SCAN_ALL_LIMIT
        sizes = {f: max(2, len(spec.value_labels())) for f, spec in fields.items()
                 if spec.type == "enum"}

        def weight(signal: Signal) -> float:
            """A rough chance that a request gives ``signal``: an option's sum estimates how
            often its rule is evaluated, and the rule is indexed by its least likely one."""
            fname, kind, what = signal
            if kind == "v":
                return 1 / sizes.get(fname, 2)
            if kind == "t":
                return {1: 0.2, 2: 0.01}.get(len(what), 0.003)
            return 0.5  # missing, present

        options = [_options(rule.node, fields, weight) for rule in rules]
        frequency: Counter[Signal] = Counter()
        for opts in options:
            for signals in {s for o in opts for s in o}:
                frequency[signals] += 1

        def choose(opts: list[frozenset[Signal]]) -> frozenset[Signal]:
            return min(opts, key=lambda o: (sum(weight(s) for s in o),
                                            sum(frequency[s] for s in o), len(o)))

        postings: dict[Signal, list[int]] = {}
        always: list[int] = []
        for pos, opts in enumerate(options):
            if not opts:
                always.append(pos)
                continue
            best = choose(opts)
            for signal in best:
                postings.setdefault(signal, []).append(pos)
        self._postings = {k: tuple(v) for k, v in postings.items()}
        self._always = tuple(always)
        self._probe = _probe_fields(self._postings)
        self._number_operands: dict[str, list[tuple[tuple[float, int], ...]]] = {}
        self._enum_operands: dict[str, list[frozenset[Any] | None]] = {}
        # for exact why-not: which rules could have some test hold
        self._leaf_postings: dict[Signal, _Hits] = {}
        self._other_leaves: list[tuple[Test, _Hits]] = []
        self._number_buckets: list[tuple[str, list[float], list[_Hits]]] = []
        self._gate_postings: dict[Signal, tuple[int, ...]] = {}
        self._with_not: _Hits = ((), {})
        if self.exact_why_not:
            self._build_leaf_index(fields, choose, weight)
        self._split_probe()

    # --- candidates

    def _signals(self, facts: Facts) -> list[Signal]:
        values = facts.values
        out: list[Signal] = [(fname, "m", None) for fname in self._probe_m
                             if fname not in values]
        for fname in self._probe_v:
            value = values.get(fname, MISSING)
            if value is not MISSING:
                out.append((fname, "v", value))
        out.extend((fname, "p", None) for fname in self._probe_p if fname in values)
        for fname in self._probe_t:
            value = values.get(fname)
            if isinstance(value, TextValue) and value.hits is not None:
                out.extend((fname, "t", term) for term in value.hits.starts)
        return out

    def _split_probe(self) -> None:
        """The probed fields by kind of signal, for :meth:`signals`."""
        by_kind: dict[str, list[str]] = {"m": [], "v": [], "p": [], "t": []}
        for fname, kind in self._probe:
            by_kind[kind].append(fname)
        self._probe_m, self._probe_v, self._probe_p, self._probe_t = (
            tuple(by_kind[k]) for k in ("m", "v", "p", "t"))
        # the same posting lists by field, read by positions() without making signals
        lists: dict[str, dict[str, Any]] = {"m": {}, "p": {}, "v": {}, "t": {}}
        for (fname, kind, what), rules in self._postings.items():
            if kind in ("m", "p"):
                lists[kind][fname] = rules
            else:
                lists[kind].setdefault(fname, {})[what] = rules
        self._by_missing: tuple[tuple[str, tuple[int, ...]], ...] = tuple(lists["m"].items())
        self._by_present: tuple[tuple[str, tuple[int, ...]], ...] = tuple(lists["p"].items())
        self._value_postings: dict[str, dict[Any, tuple[int, ...]]] = lists["v"]
        self._by_value: tuple[tuple[str, dict[Any, tuple[int, ...]]], ...] = tuple(
            lists["v"].items())
        self._by_term: tuple[tuple[str, dict[str, tuple[int, ...]]], ...] = tuple(
            lists["t"].items())

    def fired(self, facts: Facts) -> list[Signal]:
        """:meth:`signals` as a list, computed once per request."""
        memo = facts.memo
        key = self._signals_key
        found: list[Signal] | None = memo.get(key)
        if found is None:
            found = memo[key] = self._signals(facts)
        return found

    def positions(self, facts: Facts) -> list[int]:
        """Positions (in :attr:`rules`) of the rules that can be other than ``False``: the
        posting lists of :meth:`signals`, read field by field."""
        memo = facts.memo
        found: list[int] | None = memo.get(self)
        if found is not None:
            return found
        values = facts.values
        hit: set[int] = set(self._always)
        for fname, rules in self._by_missing:
            if fname not in values:
                hit.update(rules)
        for fname, by_value in self._by_value:
            value = values.get(fname, MISSING)
            if value is not MISSING:
                selected = by_value.get(value)
                if selected is not None:
                    hit.update(selected)
        for fname, rules in self._by_present:
            if fname in values:
                hit.update(rules)
        for fname, by_term in self._by_term:
            value = values.get(fname)
            if isinstance(value, TextValue) and value.hits is not None:
                for term in value.hits.starts:
                    selected = by_term.get(term)
                    if selected is not None:
                        hit.update(selected)
        found = memo[self] = sorted(hit)
        return found

    def seed_probe(self, facts: Facts, probe: Facts, fname: str, value: Any) -> None:
        """Give ``probe`` (``facts`` with the missing field ``fname`` set to ``value``, to see
        where an answer leads) a superset of its candidates without a new signal pass: its
        signals are those of ``facts``, less "``fname`` missing", plus "``fname`` = value"
        and "``fname`` present"."""
        positions = self.positions(facts)
        extra = (*self._postings.get((fname, "v", value), ()),
                 *self._postings.get((fname, "p", None), ()))
        if extra:
            probe.memo[self] = sorted({*positions, *extra})
        else:  # the request's own candidates
            probe.memo[self] = positions
            probe.memo[self._rules_key] = self.candidates(facts)

    def number_thresholds(self, facts: Facts, fname: str) -> tuple[list[float], list[int]]:
        """The numbers at which the candidate rules' tests on the number field ``fname`` can
        change value (other rules stay false whatever ``fname`` is: numbers give no signals),
        ascending, and for each the side it goes with: +1 when every such test gives the
        threshold itself the result of the numbers just above it (``lt``, ``gte``, either end
        of ``between``), -1 when every one gives it the result just below (``lte``, ``gt``),
        0 otherwise (it is a place of its own)."""
        per_rule = self._number_operands.get(fname)
        if per_rule is None:
            per_rule = self._number_operands[fname] = [
                _number_operands(rule.node, fname) for rule in self.rules]
        sides: dict[float, int] = {}
        # the probes' candidates: the request's, and those needing the field to be present
        for pos in {*self.positions(facts), *self._postings.get((fname, "p", None), ())}:
            for point, side in per_rule[pos]:
                sides[point] = side if sides.get(point, side) == side else 0
        points = sorted(sides)
        return points, [sides[p] for p in points]

    def named_values(self, facts: Facts, fname: str) -> set[Any] | None:
        """The values of the field ``fname`` (missing from ``facts``) that a probe's rules can
        tell apart: those the probes' candidate rules name. Every other value leads every one
        of those rules to the same result, so one probe answers for all of them. ``None`` when
        some candidate tests ``fname`` other than by equality, membership or presence (the
        loader allows no other test on enum and bool fields; this keeps it safe if it did)."""
        per_rule = self._enum_operands.get(fname)
        if per_rule is None:
            per_rule = self._enum_operands[fname] = [
                _equality_operands(rule.node, fname) for rule in self.rules]
        # rules selected by a value name that value; the others are the request's candidates
        # and those needing the field to be present, evaluated for every probe
        named = set(self._value_postings.get(fname, ()))
        for pos in {*self.positions(facts), *self._postings.get((fname, "p", None), ())}:
            operands = per_rule[pos]
            if operands is None:
                return None
            named.update(operands)
        return named

    def candidates(self, facts: Facts) -> list[CompiledRule]:
        """The rules that can be other than ``False`` for ``facts``, in evaluation order."""
        memo = facts.memo
        key = self._rules_key
        found: list[CompiledRule] | None = memo.get(key)
        if found is None:
            rules = self.rules
            found = memo[key] = [rules[i] for i in self.positions(facts)]
        return found

    # --- why-not

    def near(self, facts: Facts) -> list[CompiledRule]:
        """Rules for the why-not scan, in evaluation order (see the module docstring)."""
        if not self.exact_why_not:
            return self.candidates(facts)
        fired = self.fired(facts)
        open_gates: set[int] = set()
        gate_postings = self._gate_postings
        for signal in fired:
            gates = gate_postings.get(signal)
            if gates is not None:
                open_gates.update(gates)
        # rules with a test that holds on a value the request carries, behind open gates
        free, gated = self._with_not  # a false test under `not` counts as holding
        found: set[int] = set(free)
        behind = [gated] if gated else []
        leaf_postings = self._leaf_postings
        for signal in fired:
            hits = leaf_postings.get(signal)
            if hits is not None:
                found.update(hits[0])
                if hits[1]:
                    behind.append(hits[1])
        values = facts.values
        for fname, thresholds, buckets in self._number_buckets:
            value = values.get(fname, MISSING)
            if value is not MISSING and type(value) is not bool and isinstance(value, int | float):
                i = bisect.bisect_left(thresholds, value)
                hits = buckets[2 * i + 1 if i < len(thresholds) and thresholds[i] == value
                               else 2 * i]
                found.update(hits[0])
                if hits[1]:
                    behind.append(hits[1])
        for leaf, hits in self._other_leaves:
            if leaf.field_name in values and leaf.evaluate(facts) is True:
                found.update(hits[0])
                if hits[1]:
                    behind.append(hits[1])
        if open_gates:
            for by_gate in behind:
                for gate in open_gates:
                    for pos, rest in by_gate.get(gate, ()):
                        if not rest or rest <= open_gates:
                            found.add(pos)
        rules = self.rules
        return [rules[i] for i in sorted(found)]

    def _build_leaf_index(self, fields: Mapping[str, FieldSpec],
                          choose: Callable[[list[frozenset[Signal]]], frozenset[Signal]],
                          weight: Callable[[Signal], float]) -> None:
        """Posting lists that find every rule which could fail with some test holding on a value
        the request carries (see :func:`held`), by the signals and number intervals under which
        one of its tests holds.

        A trace of ``all`` stops at its first false part, so a test in a later part counts only
        when every part before it is not certainly false: each such part's necessary signals
        (a *gate*, see :func:`_options`) must fire. The postings lead to *keys*, a rule with
        the gates its test needs open."""
        gate_ids: dict[frozenset[Signal], int] = {}
        key_ids: dict[tuple[int, tuple[int, ...]], int] = {}
        leaf_postings: dict[Signal, set[int]] = {}
        others: dict[Any, tuple[Test, set[int]]] = {}
        with_not: set[int] = set()

        def key_of(pos: int, gates: tuple[int, ...]) -> int:
            return key_ids.setdefault((pos, tuple(sorted(set(gates)))), len(key_ids))

        def evidence(node: Node, pos: int, gates: tuple[int, ...]) -> None:
            if isinstance(node, All):
                before = gates
                for part in node.parts:
                    evidence(part, pos, before)
                    if (isinstance(part, Test) and part.absent_is_false
                            and part.op != "exists"):
                        # the trace goes on only if this test holds, on a value the request
                        # carries: that is evidence already, whatever the later parts do
                        return
                    options = _options(part, fields, weight)
                    if options:
                        before = (*before, gate_ids.setdefault(choose(options), len(gate_ids)))
                return
            if isinstance(node, AnyOf):
                for part in node.parts:
                    evidence(part, pos, gates)
                return
            if not isinstance(node, Test):
                with_not.add(key_of(pos, gates))  # a false test under `not` counts as holding
                return
            if node.op == "exists":
                return  # never evidence (see held)
            key = key_of(pos, gates)
            signals = _true_signals(node, fields)
            if signals is not None:
                for signal in signals:
                    leaf_postings.setdefault(signal, set()).add(key)
                return
            others.setdefault(_leaf_key(node), (node, set()))[1].add(key)

        for pos, rule in enumerate(self.rules):
            if isinstance(rule.node, Test):
                continue  # true whenever its test holds: never a why-not
            evidence(rule.node, pos, ())
        gate_postings: dict[Signal, set[int]] = {}
        for signals, gid in gate_ids.items():
            for signal in signals:
                gate_postings.setdefault(signal, set()).add(gid)
        keys = [k for k, _ in sorted(key_ids.items(), key=lambda kv: kv[1])]

        def hits_of(found: Iterable[int]) -> _Hits:
            """Keys as (rules without gates, {a gate: [(rule, its other gates)]})."""
            free: set[int] = set()
            gated: dict[int, list[tuple[int, frozenset[int]]]] = {}
            for k in found:
                pos, gates = keys[k]
                if not gates:
                    free.add(pos)
                else:
                    gated.setdefault(gates[0], []).append((pos, frozenset(gates[1:])))
            return tuple(sorted(free)), {g: tuple(v) for g, v in gated.items()}

        self._gate_postings = {k: tuple(sorted(v)) for k, v in gate_postings.items()}
        self._leaf_postings = {k: hits_of(v) for k, v in leaf_postings.items()}
        numeric: dict[str, list[tuple[Test, set[int]]]] = {}
        rest: list[tuple[Test, set[int]]] = []
        for leaf, positions in others.values():
            spec = fields.get(leaf.field_name)
            if spec is not None and spec.type == "number" and leaf.op in _NUMERIC_OPS:
                numeric.setdefault(leaf.field_name, []).append((leaf, positions))
            else:
                rest.append((leaf, positions))
        self._number_buckets = []
        for fname, tests in numeric.items():
            _f, thresholds, buckets = _buckets(fname, tests)
            self._number_buckets.append((fname, thresholds, [hits_of(b) for b in buckets]))
        self._other_leaves = [(leaf, hits_of(p)) for leaf, p in rest]
        self._with_not = hits_of(with_not)
        extra = {(s[0], s[1]) for s in (*self._leaf_postings, *self._gate_postings)}
        self._probe = tuple(sorted(set(self._probe) | extra))


def held(node: Node, facts: Facts) -> tuple[bool | None, int, int]:
    """``node``'s value and how many of its field tests an explanation trace would show as
    holding and as failing *on a value the request carries*, without building the trace (same
    walk as :meth:`Node.trace`).

    Only such tests are evidence that a rule came near: an ``exists`` test, or a test that holds
    (or fails, under ``not``) because its field is missing, says nothing about what the request
    is about, and is counted neither way."""
    value, t, f, _first = held_first(node, facts)
    return value, t, f


#: The first test a trace shows as failed: the test and how many ``not`` it is under.
FirstFailed = tuple[Test, int] | None


def held_first(node: Node, facts: Facts, negations: int = 0,
               ) -> tuple[bool | None, int, int, FirstFailed]:
    """:func:`held`, and the first test the trace shows as failed (``None``: none)."""
    kind = type(node)
    if kind is Test:
        leaf: Test = node  # type: ignore[assignment]
        value = leaf.evaluate(facts)
        shown = value if value is None or not negations % 2 else not value
        first = (leaf, negations) if shown is False else None
        if value is None or leaf.op == "exists" or leaf.field_name not in facts.values:
            return value, 0, 0, first
        return value, value is True, value is False, first
    if kind is All:
        t = f = 0
        unknown = False
        first = None
        for part in node.parts:  # type: ignore[attr-defined]
            value, a, b, found = held_first(part, facts, negations)
            t += a
            f += b
            if first is None:
                first = found
            if value is False:
                return False, t, f, first
            if value is None:
                unknown = True
        return (None if unknown else True), t, f, first
    if kind is AnyOf:
        t = f = 0
        unknown = False
        first = None
        for part in node.parts:  # type: ignore[attr-defined]
            value, a, b, found = held_first(part, facts, negations)
            if value is True:
                return True, a, b, found  # only the branch that made it true is shown
            t += a
            f += b
            if first is None:
                first = found
            if value is None:
                unknown = True
        return (None if unknown else False), t, f, first
    if kind is Not:
        value, a, b, found = held_first(node.part, facts, negations + 1)  # type: ignore[attr-defined]
        return (None if value is None else not value), b, a, found
    raise TypeError(f"no explanation walk for {kind.__name__}")


# --- signals of conditions ------------------------------------------------------------------


def _test_signals(leaf: Test, fields: Mapping[str, FieldSpec]) -> frozenset[Signal] | None:
    """Signals necessary for a field test to be other than ``False`` (``None``: no such set)."""
    spec = fields.get(leaf.field_name)
    if spec is None:
        return None
    if leaf.op == "exists":  # decided by presence alone, whatever `absent` says
        return frozenset(_true_signals(leaf, fields) or ())
    missing: tuple[Signal, ...] = () if leaf.absent_is_false else (
        (leaf.field_name, "m", None),)
    positive = _true_signals(leaf, fields)
    if positive is None:
        return None
    return frozenset((*positive, *missing))


def _true_signals(leaf: Test, fields: Mapping[str, FieldSpec]) -> tuple[Signal, ...] | None:
    """Signals at least one of which a request gives whenever ``leaf`` is ``True``."""
    spec = fields.get(leaf.field_name)
    if spec is None:
        return None
    if leaf.op == "exists":
        return ((leaf.field_name, "p" if leaf.operand else "m", None),)
    if spec.type in _INDEXED_TYPES and leaf.op in ("eq", "in"):
        values = (leaf.operand,) if leaf.op == "eq" else tuple(leaf.operand)
        return tuple((leaf.field_name, "v", v) for v in values)
    terms: Iterable[str] | None = mention_terms(leaf)
    if terms is None and leaf.op == "matches" and spec.type == "text":
        terms = regex_literals(leaf.operand)  # a match contains one of these
    if terms is not None:
        return tuple((leaf.field_name, "t", t) for t in terms)
    return None


def _options(node: Node, fields: Mapping[str, FieldSpec],
             weight: Callable[[Signal], float] | None = None) -> list[frozenset[Signal]]:
    """Alternative necessary signal sets for ``node`` (empty: none known). ``any`` takes from
    each part its option least likely to fire by ``weight`` (by default: the smallest)."""
    if isinstance(node, Test):
        signals = _test_signals(node, fields)
        return [] if signals is None else [signals]
    if isinstance(node, All):
        return [o for part in node.parts for o in _options(part, fields, weight)]
    if isinstance(node, AnyOf):
        union: set[Signal] = set()
        for part in node.parts:
            opts = _options(part, fields, weight)
            if not opts:
                return []
            if weight is None:
                smallest: frozenset[Signal] = min(opts, key=len)
            else:
                smallest = min(opts, key=lambda o: (sum(weight(s) for s in o), len(o)))
            union.update(smallest)
        return [frozenset(union)]
    return []  # `not`, or a node kind the index does not know


_NUMERIC_OPS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in"})


def _buckets(fname: str, tests: list[tuple[Test, set[int]]],
             ) -> tuple[str, list[float], list[frozenset[int]]]:
    """For one number field: the operands as thresholds and, for each elementary interval
    (below the first threshold, each threshold, between two, above the last), the rules with
    a test that holds there. Every test is constant on each of them, so one representative
    value per interval decides it."""
    points: set[float] = set()
    for leaf, _ in tests:
        operand = leaf.operand
        for v in operand if isinstance(operand, tuple | list) else (operand,):
            points.add(v)
    thresholds = sorted(points)
    reps: list[float] = []
    for i, t in enumerate(thresholds):
        reps.append(t - 1 if i == 0 else (thresholds[i - 1] + t) / 2)
        reps.append(t)
    reps.append(thresholds[-1] + 1 if thresholds else 0)
    buckets = []
    for rep in reps:
        probe = Facts({fname: rep})
        holding: set[int] = set()
        for leaf, positions in tests:
            if leaf.evaluate(probe) is True:
                holding.update(positions)
        buckets.append(frozenset(holding))
    return fname, thresholds, buckets


#: Which neighbours a threshold goes with, by operator: +1 the numbers above, -1 below.
_SIDES = {"lt": 1, "gte": 1, "between": 1, "lte": -1, "gt": -1}


def leaf_numbers(leaf: Test) -> list[float]:
    """The numbers a comparison, equality or membership test compares with: where its truth
    can change (the thresholds of number questions)."""
    if leaf.op not in _NUMERIC_OPS:
        return []
    operand = leaf.operand
    return [v for v in (operand if isinstance(operand, tuple | list) else (operand,))
            if isinstance(v, int | float) and not isinstance(v, bool)]


def _number_operands(node: Node, fname: str) -> tuple[tuple[float, int], ...]:
    """The numbers ``node``'s tests on ``fname`` compare with, each with the side it goes
    with (see :meth:`RuleIndex.number_thresholds`)."""
    return tuple((v, _SIDES.get(leaf.op, 0)) for leaf in node.leaves()
                 if leaf.field_name == fname for v in leaf_numbers(leaf))


_EQUALITY_OPS = frozenset({"eq", "ne", "in", "not_in"})


def _equality_operands(node: Node, fname: str) -> frozenset[Any] | None:
    """The values ``node``'s tests on ``fname`` compare with by (in)equality or membership;
    ``None`` when a test on ``fname`` compares otherwise (a value it does not name could then
    still change its result)."""
    out: set[Any] = set()
    for leaf in node.leaves():
        if leaf.field_name != fname or leaf.op == "exists":
            continue
        operand = leaf.operand
        values = operand if isinstance(operand, tuple | list | frozenset | set) else (operand,)
        if leaf.op not in _EQUALITY_OPS or not all(
                isinstance(v, str | bool | int) for v in values):
            return None
        out.update(values)
    return frozenset(out)


def _has_not(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, All | AnyOf):
        return any(_has_not(p) for p in node.parts)
    return False


def _leaf_key(leaf: Test) -> Any:
    operand = leaf.operand
    try:
        hash(operand)
    except TypeError:
        return id(leaf)
    return (leaf.field_name, leaf.op, operand, leaf.absent_is_false, type(operand).__name__)


def _probe_fields(postings: Mapping[Signal, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({(s[0], s[1]) for s in postings}))


def plain_copy(pack: Any) -> Any:
    """A copy of ``pack`` that evaluates every rule in force, without the index: the reference
    the indexed engine is tested against (and the baseline of the benchmarks)."""
    import copy

    plain = copy.copy(pack)
    plain._indexed = False
    plain._epochs = {}
    return plain
