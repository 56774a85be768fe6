"""Workflows as graphs: compile a pack's workflows, check them, and view them by department.

A workflow's steps and their ``after`` dependencies form a directed graph (an edge ``a → b``
when ``b`` waits for ``a``). :func:`compile_workflow` checks that graph (codes BR301–BR312,
each finding at the position of the key that causes it) and prepares everything a plan needs
once per workflow: the topological order, each step's predecessors, compiled duration
variants, the start and the end. :meth:`bizroute.engine.Pack.workflow` hands out the
networkx graph; :func:`department_graph` and :func:`department_flow` contract it to who
hands work to whom.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from . import models as m
from .calendar import NOMINAL_MINUTES, describe, nominal_minutes, split
from .conditions import Facts, Node
from .decision import BasisRef, Named
from .loader import Compiler, Located

#: At most this many combinations of request values are tried when checking commitments.
SCENARIO_LIMIT = 512
_EPSILON = 1e-3
_EN = {"months": "months", "working_days": "working days", "days": "days", "hours": "hours",
       "minutes": "minutes"}


# --- compiled parts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Timed:
    """A duration that may depend on the request: variants, the first whose ``when`` holds."""

    variants: tuple[tuple[Node | None, m.Duration], ...]
    longest: m.Duration
    #: per variant, prepared once: (unit, amount, Chinese label)
    parts: tuple[tuple[str, float, str], ...] = ()
    longest_index: int = 0

    @classmethod
    def build(cls, variants: tuple[tuple[Node | None, m.Duration], ...]) -> Timed:
        parts = tuple((*split(d), describe(d)) for _, d in variants)
        longest = max(range(len(variants)), key=lambda i: nominal_minutes(variants[i][1]))
        return cls(variants, variants[longest][1], parts, longest)

    @property
    def fixed(self) -> bool:
        return len(self.variants) == 1 and self.variants[0][0] is None

    def pick(self, facts: Facts | None) -> m.Duration | None:
        """The first variant that holds for ``facts``; ``None`` when none is known to hold."""
        index = self.pick_index(facts)
        return None if index is None else self.variants[index][1]

    def pick_index(self, facts: Facts | None) -> int | None:
        for index, (node, _) in enumerate(self.variants):
            if node is None or (facts is not None and node.evaluate(facts) is True):
                return index
        return None

    def fields(self) -> list[str]:
        out: list[str] = []
        for node, _ in self.variants:
            for leaf in node.leaves() if node is not None else ():
                if leaf.field_name not in out:
                    out.append(leaf.field_name)
        return out

    def nodes(self) -> Iterator[Node]:
        return (node for node, _ in self.variants if node is not None)


@dataclass(frozen=True, slots=True, eq=False)
class CompiledStep:
    index: int  # declaration order
    id: str
    name: str
    department: Named
    front_office: bool
    customer_facing: bool
    duration: Timed | None
    preds: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CompiledCommitment:
    id: str
    name: str
    from_index: int
    to_index: int
    limit: Timed
    when: Node | None
    effective: m.Effective
    basis: tuple[BasisRef, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CompiledNotice:
    """A customer notice of a workflow (告知事项), ready for planning."""

    id: str
    text: str
    text_en: str | None
    when: Node | None
    effective: m.Effective
    basis: tuple[BasisRef, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CompiledWorkflow:
    """One workflow version, ready for planning: nothing here is recomputed per request."""

    id: str
    name: str
    name_en: str | None
    effective: m.Effective
    steps: tuple[CompiledStep, ...]  # in declaration order
    order: tuple[int, ...]  # a topological order (declaration order breaks ties)
    start: int
    end: int
    commitments: tuple[CompiledCommitment, ...]
    graph: Any  # a frozen networkx.DiGraph
    #: the critical path on nominal durations (longest variants), for workflows without variants
    #: it is the critical path of every plan
    critical_path: tuple[str, ...]
    variable: bool  # whether any duration depends on the request
    notices: tuple[CompiledNotice, ...] = ()


# --- compiling and checking --------------------------------------------------------------------


def _timed(c: Compiler, value: m.Duration | list[m.Variant], loc: Located,
           path: tuple[str | int, ...]) -> Timed | None:
    if isinstance(value, m.Duration):
        return Timed.build(((None, value),))
    variants: list[tuple[Node | None, m.Duration]] = []
    ok = True
    for i, variant in enumerate(value):
        node = None
        if variant.when is not None:
            node = c.condition(variant.when, loc, (*path, i, "when"))
            ok = ok and node is not None
        variants.append((node, variant.value))
    if not ok or not variants:
        return None
    return Timed.build(tuple(variants))


def compile_workflow(c: Compiler, loc: Located,
                     basis_refs: Any = None) -> CompiledWorkflow | None:
    """Check one workflow, recording findings on ``c``; the compiled form when it has no errors.

    ``basis_refs`` turns a list of :class:`~bizroute.models.Basis` into
    :class:`~bizroute.decision.BasisRef` (the engine passes its own).
    """
    wf: m.Workflow = loc.obj
    errors_before = _errors(c)
    departments = {d.obj.id: d.obj for d in c.source.entries["departments"]}
    index: dict[str, int] = {}
    for i, step in enumerate(wf.steps):
        if step.id in index:
            first = index[step.id]
            c.error("BR312", f"step id {step.id!r} is already used by step {first + 1} of "
                    f"workflow {wf.id!r}", loc, "steps", i, "id")
        else:
            index[step.id] = i
    graph = nx.DiGraph(id=wf.id, name=wf.name)
    for i, step in enumerate(wf.steps):
        if index.get(step.id) == i:
            graph.add_node(step.id, order=i)
    dangling: set[str] = set()  # steps with an unknown `after`: not a second start, a typo
    for i, step in enumerate(wf.steps):
        if step.department is None:
            c.error("BR305", f"step {step.id!r} has no department", loc, "steps", i, key=True)
        elif step.department not in departments:
            near = [d for d in departments if step.department in d or d in step.department]
            hint = f"; did you mean {near[0]!r}?" if near else ""
            c.error("BR305", f"department {step.department!r} of step {step.id!r} is not in "
                    f"'departments'{hint}", loc, "steps", i, "department")
        for j, before in enumerate(step.after):
            if before not in index:
                dangling.add(step.id)
                c.error("BR304", f"step {step.id!r} comes after {before!r}, which is not a step "
                        f"of workflow {wf.id!r}", loc, "steps", i, "after", j)
            elif before == step.id:
                c.error("BR301", f"step {step.id!r} comes after itself", loc, "steps", i,
                        "after", j)
            elif index.get(step.id) == i:
                graph.add_edge(before, step.id)
    _check_cycles(c, loc, wf, graph, index)
    start, end = _check_ends(c, loc, wf, graph, index, departments, dangling)
    for i, step in enumerate(wf.steps):
        dep = departments.get(step.department or "")
        if step.customer_facing and dep is not None and not dep.front_office:
            c.error("BR309", f"step {step.id!r} meets the customer but {dep.name} ({dep.id}) is "
                    "not a front-office department", loc, "steps", i, "customer_facing")
    timed: dict[int, Timed | None] = {}
    for i, step in enumerate(wf.steps):
        if step.duration is not None:
            timed[i] = _timed(c, step.duration, loc, ("steps", i, "duration"))
    commitments = _compile_commitments(c, loc, wf, graph, index, basis_refs)
    notices = _compile_notices(c, loc, wf, basis_refs)
    if _errors(c) > errors_before or start is None or end is None:
        return None
    steps = tuple(
        CompiledStep(
            i, s.id, s.name, _named(departments[s.department or ""]),
            departments[s.department or ""].front_office, s.customer_facing, timed.get(i),
            tuple(index[b] for b in dict.fromkeys(s.after)))
        for i, s in enumerate(wf.steps))
    order = tuple(index[n] for n in nx.lexicographical_topological_sort(
        graph, key=lambda n: index[n]))
    for compiled_step in steps:
        graph.nodes[compiled_step.id].update(_node_attrs(compiled_step))
    graph.graph.update(name_en=wf.name_en, start=steps[start].id, end=steps[end].id)
    compiled = CompiledWorkflow(
        wf.id, wf.name, wf.name_en, wf.effective, steps, order, start, end, tuple(commitments),
        graph, (), any(s.duration is not None and not s.duration.fixed for s in steps))
    critical = critical_path(compiled, None)
    graph.graph["critical_path"] = list(critical)
    graph.graph["commitments"] = [
        {"id": k.id, "name": k.name, "from": steps[k.from_index].id, "to": steps[k.to_index].id,
         "limit": " / ".join(describe(d) for _, d in k.limit.variants)}
        for k in commitments]
    compiled = CompiledWorkflow(
        compiled.id, compiled.name, compiled.name_en, compiled.effective, steps, order, start,
        end, compiled.commitments, nx.freeze(graph), critical, compiled.variable, notices)
    _check_commitment_limits(c, loc, compiled)
    return compiled


def _errors(c: Compiler) -> int:
    return sum(1 for f in c.findings if f.severity == "error")


def _named(dep: m.Department) -> Named:
    return Named(dep.id, dep.name, dep.name_en)


def _node_attrs(step: CompiledStep) -> dict[str, Any]:
    duration = None
    if step.duration is not None:
        duration = describe(step.duration.longest) if step.duration.fixed else \
            " / ".join(describe(d) for _, d in step.duration.variants)
    return {
        "name": step.name, "department": step.department.id,
        "department_name": step.department.name, "front_office": step.front_office,
        "customer_facing": step.customer_facing, "duration": duration,
        "nominal_minutes": nominal_minutes(step.duration.longest) if step.duration else 0.0,
    }


def _check_cycles(c: Compiler, loc: Located, wf: m.Workflow, graph: nx.DiGraph,
                  index: dict[str, int]) -> None:
    for component in sorted(nx.strongly_connected_components(graph),
                            key=lambda comp: min(index[n] for n in comp)):
        if len(component) < 2:
            continue
        sub = graph.subgraph(component)
        first = min(component, key=lambda n: index[n])
        edges = nx.find_cycle(sub, source=first)
        path = [edges[0][0], *(v for _, v in edges)]
        # report at the dependency that points back up the file: the one that closes the circle
        back = max(edges, key=lambda e: (index[e[0]] - index[e[1]], index[e[1]]))
        u, v = back[0], back[1]
        j = wf.steps[index[v]].after.index(u)
        c.error("BR301", "the steps form a cycle: " + " → ".join(path), loc, "steps",
                index[v], "after", j)


def _check_ends(c: Compiler, loc: Located, wf: m.Workflow, graph: nx.DiGraph,
                index: dict[str, int], departments: Mapping[str, m.Department],
                dangling: set[str]) -> tuple[int | None, int | None]:
    ordered = sorted(graph.nodes, key=lambda n: index[n])
    roots = [n for n in ordered if graph.in_degree(n) == 0 and n not in dangling]
    sinks = [n for n in ordered if graph.out_degree(n) == 0]
    start = roots[0] if roots else None
    end = sinks[-1] if sinks else None
    if start is None:
        c.error("BR306", f"workflow {wf.id!r} has no start step (every step waits for another)",
                loc, "steps", key=True)
    for extra in roots[1:]:
        c.error("BR306", f"step {extra!r} is a second start of workflow {wf.id!r} (the start "
                f"is {start!r}); give it an 'after'", loc, "steps", index[extra], "id")
    if end is None:
        c.error("BR307", f"workflow {wf.id!r} has no end step (every step leads to another)",
                loc, "steps", key=True)
    for extra in sinks[:-1]:
        c.error("BR307", f"step {extra!r} is a second end of workflow {wf.id!r} (the end is "
                f"{end!r}); let a later step come after it", loc, "steps", index[extra], "id")
    if start is not None:
        reached = nx.descendants(graph, start) | {start}
        for n in ordered:
            if n not in reached and n not in roots and n not in dangling:
                c.error("BR302", f"step {n!r} cannot be reached from the start {start!r}", loc,
                        "steps", index[n], "id")
    if end is not None:
        reaching = nx.ancestors(graph, end) | {end}
        for n in ordered:
            if n not in reaching and n not in sinks:
                c.error("BR303", f"step {n!r} has no way on to the end {end!r}", loc, "steps",
                        index[n], "id")
    for which, node in (("start", start), ("end", end)):
        if node is None:
            continue
        step = wf.steps[index[node]]
        dep = departments.get(step.department or "")
        if dep is not None and not dep.front_office:
            c.error("BR308", f"the {which} step {node!r} is at {dep.name} ({dep.id}), not at a "
                    "front-office department: the counter opens and closes every order",
                    loc, "steps", index[node], "department")
    return (index[start] if start is not None else None, index[end] if end is not None else None)


def _check_unique(c: Compiler, loc: Located, wf: m.Workflow, key: str,
                  items: Sequence[m.Commitment | m.CustomerNotice]) -> None:
    """BR313: two commitments (or two notices) of one workflow share an id."""
    noun = "commitment" if key == "commitments" else "customer notice"
    first: dict[str, int] = {}
    for k, item in enumerate(items):
        if item.id in first:
            c.error("BR313", f"{noun} id {item.id!r} is already used by {noun} "
                    f"{first[item.id] + 1} of workflow {wf.id!r}", loc, key, k, "id")
        else:
            first[item.id] = k


def _compile_notices(c: Compiler, loc: Located, wf: m.Workflow,
                     basis_refs: Any) -> tuple[CompiledNotice, ...]:
    _check_unique(c, loc, wf, "customer_notices", wf.customer_notices)
    out = []
    for k, notice in enumerate(wf.customer_notices):
        c.check_basis(notice.basis, loc, "customer_notices", k, "basis")
        when = None
        if notice.when is not None:
            when = c.condition(notice.when, loc, ("customer_notices", k, "when"))
            if when is None:
                continue
        refs = tuple(basis_refs(notice.basis)) if basis_refs is not None else ()
        out.append(CompiledNotice(notice.id, notice.text, notice.text_en, when,
                                  notice.effective, refs))
    return tuple(out)


def _compile_commitments(c: Compiler, loc: Located, wf: m.Workflow, graph: nx.DiGraph,
                         index: dict[str, int], basis_refs: Any) -> list[CompiledCommitment]:
    _check_unique(c, loc, wf, "commitments", wf.commitments)
    out = []
    for k, com in enumerate(wf.commitments):
        c.check_basis(com.basis, loc, "commitments", k, "basis")
        ok = True
        for key, step_id in (("from", com.from_), ("to", com.to)):
            if step_id not in index:
                c.error("BR311", f"commitment {com.id!r} names step {step_id!r}, which is not a "
                        f"step of workflow {wf.id!r}", loc, "commitments", k, key)
                ok = False
        if ok and com.from_ != com.to and graph.has_node(com.from_) and graph.has_node(com.to) \
                and not nx.has_path(graph, com.from_, com.to):
            c.error("BR311", f"commitment {com.id!r} runs from {com.from_!r} to {com.to!r}, but "
                    f"{com.to!r} does not come after {com.from_!r}", loc, "commitments", k, "to")
            ok = False
        limit = _timed(c, com.limit, loc, ("commitments", k, "limit"))
        when = c.condition(com.when, loc, ("commitments", k, "when")) if com.when else None
        if not ok or limit is None or (com.when is not None and when is None):
            continue
        refs = tuple(basis_refs(com.basis)) if basis_refs is not None else ()
        out.append(CompiledCommitment(com.id, com.name, index[com.from_], index[com.to], limit,
                                      when, com.effective, refs))
    return out


# --- paths ------------------------------------------------------------------------------------


def _weights(wf: CompiledWorkflow, facts: Facts | None) -> list[float]:
    out = []
    for step in wf.steps:
        if step.duration is None:
            out.append(0.0)
            continue
        chosen = step.duration.pick(facts) or step.duration.longest
        out.append(nominal_minutes(chosen))
    return out


def longest_path(wf: CompiledWorkflow, weights: list[float], source: int, target: int,
                 ) -> tuple[float, list[int]]:
    """The heaviest path from the start of ``source`` to the end of ``target`` (node weights)."""
    best: dict[int, tuple[float, int]] = {}
    for i in wf.order:
        if i == source:
            best[i] = (weights[i], -1)
            continue
        options = [(best[p][0], p) for p in wf.steps[i].preds if p in best]
        if options:
            length, pred = max(options, key=lambda o: (o[0], -wf.steps[o[1]].index))
            best[i] = (length + weights[i], pred)
    if target not in best:
        return float("nan"), []
    path, node = [], target
    while node != -1:
        path.append(node)
        node = best[node][1]
    return best[target][0], path[::-1]


def critical_path(wf: CompiledWorkflow, facts: Facts | None) -> tuple[str, ...]:
    """Step ids of the longest path from start to end, on nominal durations."""
    _, path = longest_path(wf, _weights(wf, facts), wf.start, wf.end)
    return tuple(wf.steps[i].id for i in path)


def _scenarios(c: Compiler, nodes: Iterable[Node]) -> list[dict[str, Any]]:
    """Combinations of request values that decide the given conditions (enum, bool, number)."""
    values: dict[str, list[Any]] = {}
    for node in nodes:
        for leaf in node.leaves():
            spec = c.fields.get(leaf.field_name)
            if spec is None:
                continue
            if spec.type == "enum":
                values[leaf.field_name] = sorted(c.allowed_values(spec))
            elif spec.type == "bool":
                values[leaf.field_name] = [True, False]
            elif spec.type == "number":
                operands = leaf.operand if isinstance(leaf.operand, tuple) else (leaf.operand,)
                have = set(values.get(leaf.field_name, []))
                for x in operands:
                    if isinstance(x, int | float) and not isinstance(x, bool):
                        have.update((x - _EPSILON, x, x + _EPSILON))
                values[leaf.field_name] = sorted(have)
    if not values:
        return [{}]
    names = sorted(values)
    combos = itertools.islice(itertools.product(*(values[n] for n in names)), SCENARIO_LIMIT)
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def _check_commitment_limits(c: Compiler, loc: Located, wf: CompiledWorkflow) -> None:
    nodes: list[Node] = []
    for step in wf.steps:
        if step.duration is not None:
            nodes.extend(step.duration.nodes())
    for com in wf.commitments:
        scope = [*nodes, *com.limit.nodes(), *([com.when] if com.when else [])]
        worst: tuple[float, float, list[int], m.Duration, dict[str, Any]] | None = None
        for scenario in _scenarios(c, scope):
            facts = Facts(scenario)
            if com.when is not None and com.when.evaluate(facts) is not True:
                continue
            limit = com.limit.pick(facts)
            if limit is None:
                continue
            length, path = window(wf, _weights(wf, facts), com.from_index, com.to_index)
            over = length - nominal_minutes(limit)
            if over > _EPSILON and (worst is None or over > worst[0]):
                worst = (over, length, path, limit, scenario)
        if worst is None:
            continue
        over, length, path, limit, scenario = worst
        unit, _ = split(limit)
        per = NOMINAL_MINUTES[unit]
        names = " → ".join(wf.steps[i].id for i in path)
        when = (" when " + ", ".join(f"{k}={v!r}" for k, v in scenario.items())) if scenario else ""
        where = next(i for i, co in enumerate(loc.obj.commitments) if co.id == com.id)
        # point at the variant that cannot be met, when the limit has variants
        sub: tuple[str | int, ...] = () if com.limit.fixed and com.limit.variants[0][0] is None \
            and isinstance(loc.obj.commitments[where].limit, m.Duration) else next(
                (vi, "value") for vi, (_, d) in enumerate(com.limit.variants) if d is limit)
        c.error("BR310", f"commitment {com.id!r} allows {describe(limit)} but the critical path "
                f"{names} is expected to take {_amount(length / per)} {_EN[unit]}: it misses "
                f"by {_amount(over / per)} {_EN[unit]}{when}", loc, "commitments", where, "limit", *sub)


def schedule(wf: CompiledWorkflow, weights: list[float],
             ) -> tuple[list[float], list[float], list[int]]:
    """Earliest start and finish of every step from the workflow's start (nominal minutes),
    and the predecessor each start waits for (``-1`` for the start)."""
    n = len(wf.steps)
    es, ef, via = [0.0] * n, [0.0] * n, [-1] * n
    for i in wf.order:
        for p in wf.steps[i].preds:
            if via[i] == -1 or ef[p] > es[i]:
                es[i], via[i] = ef[p], p
        ef[i] = es[i] + weights[i]
    return es, ef, via


def window(wf: CompiledWorkflow, weights: list[float], source: int, target: int,
           ) -> tuple[float, list[int]]:
    """How long after ``source`` starts ``target`` is expected to end, and the chain of steps
    that decides it (``target`` may wait for a parallel branch, not only for ``source``)."""
    es, ef, via = schedule(wf, weights)
    chain, node = [], target
    while node != -1 and (node == target or ef[node] > es[source]):
        chain.append(node)
        if node == source:
            break
        node = via[node]
    return ef[target] - es[source], chain[::-1]


def _amount(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


# --- department views ----------------------------------------------------------------------


def department_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """Contract a step graph to departments: an edge ``a → b`` for every hand-off.

    Each edge carries ``weight`` (how many step edges cross from ``a`` to ``b``) and
    ``handoffs`` (those step edges). Edges within one department are not hand-offs.
    """
    out = nx.DiGraph(id=graph.graph.get("id"))
    for _, data in graph.nodes(data=True):
        dep = data.get("department")
        if dep is not None and dep not in out:
            out.add_node(dep, name=data.get("department_name", dep),
                         front_office=data.get("front_office", False))
    for u, v in graph.edges:
        a, b = graph.nodes[u].get("department"), graph.nodes[v].get("department")
        if a is None or b is None or a == b:
            continue
        if out.has_edge(a, b):
            out[a][b]["weight"] += 1
            out[a][b]["handoffs"].append((u, v))
        else:
            out.add_edge(a, b, weight=1, handoffs=[(u, v)])
    return out


def department_flow(items: Iterable[Any]) -> nx.DiGraph:
    """Hand-offs summed over many decisions (or plans): who hands work to whom, how often.

    Decisions without a plan are skipped. Edge ``weight`` is the number of hand-offs.
    """
    out = nx.DiGraph()
    for item in items:
        plan = getattr(item, "plan", item)
        if plan is None or not hasattr(plan, "handoffs"):
            continue
        for dep in plan.departments:
            if dep.id not in out:
                out.add_node(dep.id, name=dep.name)
        for h in plan.handoffs:
            a, b = h.from_department.id, h.to_department.id
            if out.has_edge(a, b):
                out[a][b]["weight"] += 1
            else:
                out.add_edge(a, b, weight=1)
    return out


# --- rendering -----------------------------------------------------------------------------


def _mid(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in text)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(graph: nx.DiGraph) -> str:
    """A Mermaid flowchart, steps grouped by department in subgraphs, the critical path bold."""
    critical = set(graph.graph.get("critical_path", ()))
    cpath = list(graph.graph.get("critical_path", ()))
    critical_edges = set(itertools.pairwise(cpath))
    title = graph.graph.get("name", graph.graph.get("id", ""))
    lines = ["---", f"title: {title} ({graph.graph.get('id', '')})", "---", "flowchart LR"]
    order = sorted(graph.nodes, key=lambda n: graph.nodes[n].get("order", 0))
    departments: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for n in order:
        dep = graph.nodes[n].get("department") or "?"
        departments.setdefault(dep, []).append(n)
        names[dep] = graph.nodes[n].get("department_name", dep)
    for dep, members in departments.items():
        lines.append(f'    subgraph d_{_mid(dep)}["{_label(names[dep])} ({dep})"]')
        for n in members:
            data = graph.nodes[n]
            text = _label(data.get("name", n))
            if data.get("duration"):
                text += f"<br/>{_label(data['duration'])}"
            shape = ('(["', '"])') if data.get("customer_facing") else ('["', '"]')
            lines.append(f"        s_{_mid(n)}{shape[0]}{text}{shape[1]}")
        lines.append("    end")
    edges = sorted(graph.edges, key=lambda e: (graph.nodes[e[1]].get("order", 0),
                                               graph.nodes[e[0]].get("order", 0)))
    for u, v in edges:
        arrow = "==>" if (u, v) in critical_edges else "-->"
        lines.append(f"    s_{_mid(u)} {arrow} s_{_mid(v)}")
    if critical:
        lines.append("    classDef critical stroke-width:3px")
        lines.append("    class " + ",".join(f"s_{_mid(n)}" for n in order if n in critical)
                     + " critical")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT, one cluster per department."""
    critical_edges = set(itertools.pairwise(graph.graph.get("critical_path", ())))
    lines = [f"digraph {_dot_quote(str(graph.graph.get('id', 'workflow')))} {{",
             "    rankdir=LR;", "    node [shape=box];"]
    order = sorted(graph.nodes, key=lambda n: graph.nodes[n].get("order", 0))
    departments: dict[str, list[str]] = {}
    for n in order:
        departments.setdefault(graph.nodes[n].get("department") or "?", []).append(n)
    for dep, members in departments.items():
        name = graph.nodes[members[0]].get("department_name", dep)
        lines.append(f"    subgraph {_dot_quote('cluster_' + dep)} {{")
        lines.append(f"        label={_dot_quote(f'{name} ({dep})')};")
        for n in members:
            data = graph.nodes[n]
            text = data.get("name", n) + (f"\\n{data['duration']}" if data.get("duration") else "")
            style = ", style=rounded" if data.get("customer_facing") else ""
            lines.append(f"        {_dot_quote(n)} [label={_dot_quote(text)}{style}];")
        lines.append("    }")
    for u, v in sorted(graph.edges, key=lambda e: (graph.nodes[e[1]].get("order", 0),
                                                   graph.nodes[e[0]].get("order", 0))):
        bold = " [penwidth=3]" if (u, v) in critical_edges else ""
        lines.append(f"    {_dot_quote(u)} -> {_dot_quote(v)}{bold};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(graph: nx.DiGraph) -> str:
    """The workflow graph as JSON: steps, edges, department hand-offs, critical path."""
    order = sorted(graph.nodes, key=lambda n: graph.nodes[n].get("order", 0))
    deps = department_graph(graph)
    data = {
        "id": graph.graph.get("id"), "name": graph.graph.get("name"),
        "name_en": graph.graph.get("name_en"),
        "start": graph.graph.get("start"), "end": graph.graph.get("end"),
        "steps": [{"id": n, **{k: v for k, v in graph.nodes[n].items() if k != "order"},
                   "after": sorted(graph.predecessors(n),
                                   key=lambda p: graph.nodes[p].get("order", 0))}
                  for n in order],
        "edges": [[u, v] for u, v in sorted(graph.edges, key=lambda e: (
            graph.nodes[e[1]].get("order", 0), graph.nodes[e[0]].get("order", 0)))],
        "critical_path": list(graph.graph.get("critical_path", ())),
        "commitments": list(graph.graph.get("commitments", ())),
        "departments": [{"id": d, "name": deps.nodes[d]["name"]} for d in deps.nodes],
        "handoffs": [{"from": a, "to": b, "count": deps[a][b]["weight"],
                      "steps": [list(h) for h in deps[a][b]["handoffs"]]} for a, b in deps.edges],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
