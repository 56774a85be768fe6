"""A workflow drawn as SVG at build time: departments as swim lanes, steps going down.

The graph is the one :meth:`bizroute.Pack.workflow` hands out (step attributes: name,
department, department_name, customer_facing, duration; ``critical_path`` on the graph). Each
step goes in the column (lane) of its department and in the row of its depth (the longest
chain of steps before it), so a step always stands below every step it waits for; lanes side
by side keep even a long process about as wide as a page. Commitments are brackets beside the
lanes, from the row of their ``from`` step to that of their ``to`` step, with the limit.
Nothing runs in the browser: the page shows the SVG as it is, on screen and in print.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import networkx as nx

NODE_W, NODE_H = 128, 62
ROW_GAP, STACK_GAP = 30, 10
HEADER_H, LANE_PAD = 34, 9
NAME_SIZE, SMALL_SIZE = 13, 11
BRACKET_STEP = 22
CRITICAL = "#b03a2e"
EDGE = "#6b7280"


@dataclass(frozen=True, slots=True)
class Bracket:
    """A commitment to draw: its name, the steps it binds, and the limit in words."""

    name: str
    from_step: str
    to_step: str
    limit: str


def text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is at ``size`` px: CJK characters are square, others about
    half as wide."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.56 for ch in text)


def wrap(text: str, width: float, size: float, max_lines: int = 2) -> list[str]:
    """``text`` in lines no wider than ``width``: broken at spaces where the pieces between
    them fit (``12个工作日 / 5个工作日``), else between CJK characters, never inside a number
    or a Latin word; the last line ends in … when cut."""
    lines: list[str] = []
    current = ""
    for chunk in re.split(r"(\s+)", text):
        if not current and chunk.isspace():
            continue
        if text_width(current + chunk, size) <= width:
            current += chunk
            continue
        if current.strip() and text_width(chunk, size) <= width:
            lines.append(current.rstrip())
            current = "" if chunk.isspace() else chunk
            continue
        for token in _TOKENS.findall(chunk):  # a piece too wide for a line of its own
            if current and text_width(current + token, size) > width:
                lines.append(current.rstrip())
                current = token.lstrip()
            else:
                current += token
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


_TOKENS = re.compile(r"[A-Za-z0-9.,:%+\-]+|\s+|.")


def workflow_svg(graph: Any, brackets: Sequence[Bracket] = (), *, label: str = "") -> str:
    """The SVG of one workflow graph (see the module docstring)."""
    wid = _safe_id(str(graph.graph.get("id", "workflow")))
    order = sorted(graph.nodes, key=lambda n: graph.nodes[n].get("order", 0))
    depth: dict[str, int] = {}
    for n in nx.topological_sort(graph):
        depth[n] = max((depth[p] + 1 for p in graph.predecessors(n)), default=0)
    lanes: list[str] = []
    lane_names: dict[str, str] = {}
    for n in sorted(order, key=lambda n: (depth[n], graph.nodes[n].get("order", 0))):
        dep = str(graph.nodes[n].get("department") or "?")
        if dep not in lane_names:
            lanes.append(dep)
            lane_names[dep] = str(graph.nodes[n].get("department_name") or dep)
    cells: dict[tuple[str, int], list[str]] = {}
    for n in order:
        cells.setdefault((str(graph.nodes[n].get("department") or "?"), depth[n]), []).append(n)
    rows = max(depth.values(), default=0) + 1
    lane_left: dict[str, float] = {}
    x = 0.0
    for dep in lanes:  # a lane is as wide as the most steps it has on one row
        lane_left[dep] = x
        stack = max(len(v) for (d, _), v in cells.items() if d == dep)
        x += 2 * LANE_PAD + stack * NODE_W + (stack - 1) * STACK_GAP
    lanes_w = x
    lanes_h = HEADER_H + rows * (NODE_H + ROW_GAP) + ROW_GAP / 2
    position: dict[str, tuple[float, float]] = {}
    for (dep, row), members in cells.items():
        for k, n in enumerate(members):
            position[n] = (lane_left[dep] + LANE_PAD + k * (NODE_W + STACK_GAP),
                           HEADER_H + ROW_GAP / 2 + row * (NODE_H + ROW_GAP))
    critical = list(graph.graph.get("critical_path", ()))
    critical_nodes = set(critical)
    critical_edges = set(itertools.pairwise(critical))
    shown = [b for b in brackets if b.from_step in position and b.to_step in position]
    width = lanes_w + (BRACKET_STEP * len(shown) + 8 if shown else 0) + 4
    height = lanes_h + 2
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'data-workflow="{escape(str(graph.graph.get("id", "")))}" '
        f'aria-label="{escape(label or str(graph.graph.get("name", "")))}">',
        f'<defs><marker id="{wid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker>'
        f'<marker id="{wid}-arrow-critical" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{CRITICAL}"/></marker></defs>',
    ]
    for k, dep in enumerate(lanes):
        left = lane_left[dep]
        right = lane_left[lanes[k + 1]] if k + 1 < len(lanes) else lanes_w
        w = right - left
        fill = "#f5f7fa" if k % 2 == 0 else "#ffffff"
        out.append(f'<g class="lane" data-department="{escape(dep)}">'
                   f'<rect x="{left:.1f}" y="0" width="{w:.1f}" height="{lanes_h:.1f}" '
                   f'fill="{fill}" stroke="#d5dbe3" stroke-width="0.8"/>'
                   f'<rect x="{left:.1f}" y="0" width="{w:.1f}" height="{HEADER_H}" '
                   f'fill="#e2e8f0" stroke="#d5dbe3" stroke-width="0.8"/>')
        lines = wrap(lane_names[dep], w - 10, SMALL_SIZE + 1, 2)
        first = HEADER_H / 2 - (len(lines) - 1) * (SMALL_SIZE + 3) / 2 + 4
        for i, line in enumerate(lines):
            out.append(f'<text x="{left + w / 2:.1f}" y="{first + i * (SMALL_SIZE + 3):.1f}" '
                       f'text-anchor="middle" font-size="{SMALL_SIZE + 1}" font-weight="600" '
                       f'fill="#334155">{escape(line)}</text>')
        out.append("</g>")
    for u, v in sorted(graph.edges, key=lambda e: (position[e[1]][1], position[e[0]][0])):
        x1, y1 = position[u][0] + NODE_W / 2, position[u][1] + NODE_H
        x2, y2 = position[v][0] + NODE_W / 2, position[v][1]
        bend = max(16.0, (y2 - y1) / 2)
        hot = (u, v) in critical_edges
        colour, stroke = (CRITICAL, 2.2) if hot else (EDGE, 1.3)
        marker = f"{wid}-arrow-critical" if hot else f"{wid}-arrow"
        out.append(f'<path class="edge{" critical" if hot else ""}" data-from="{escape(u)}" '
                   f'data-to="{escape(v)}" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} '
                   f'{x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2 - 1:.1f}" fill="none" '
                   f'stroke="{colour}" stroke-width="{stroke}" marker-end="url(#{marker})"/>')
    for n in order:
        out.append(_node(n, graph.nodes[n], position[n], n in critical_nodes))
    if shown:  # numbered brackets; the page lists the numbers with names and limits
        out.append('<g class="commitments">')
        for k, b in enumerate(shown):
            xx = lanes_w + 12 + k * BRACKET_STEP
            y1 = position[b.from_step][1] + 2
            y2 = position[b.to_step][1] + NODE_H - 2
            text = f"{k + 1}. {b.name}：{b.limit}"
            out.append(f'<g class="commitment" data-number="{k + 1}"><title>{escape(text)}</title>'
                       f'<path d="M{xx - 6:.1f},{y1:.1f} h6 V{y2:.1f} h-6" fill="none" '
                       f'stroke="#2563eb" stroke-width="1.4"/>'
                       f'<circle cx="{xx + 2:.1f}" cy="{(y1 + y2) / 2:.1f}" r="8" fill="#fff" '
                       f'stroke="#2563eb" stroke-width="1.2"/>'
                       f'<text x="{xx + 2:.1f}" y="{(y1 + y2) / 2 + 4:.1f}" text-anchor="middle" '
                       f'font-size="{SMALL_SIZE}" fill="#1e3a8a">{k + 1}</text></g>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _node(step: str, data: dict[str, Any], at: tuple[float, float], critical: bool) -> str:
    x, y = at
    name = str(data.get("name") or step)
    duration = str(data.get("duration") or "")
    facing = bool(data.get("customer_facing"))
    stroke, stroke_w = (CRITICAL, 2.2) if critical else ("#64748b", 1.2)
    fill = "#e0f2fe" if facing else "#ffffff"
    title = "，".join(p for p in (name, str(data.get("department_name") or ""), duration,
                                   "与客户见面" if facing else "", "关键路径" if critical else "")
                      if p)
    lines = wrap(name, NODE_W - 14, NAME_SIZE, 2)
    small = wrap(duration, NODE_W - 14, SMALL_SIZE, 4 - len(lines)) if duration else []
    total = len(lines) * (NAME_SIZE + 3) + len(small) * (SMALL_SIZE + 3)
    top = y + (NODE_H - total) / 2 + NAME_SIZE - 1
    parts = [f'<g class="node{" critical" if critical else ""}{" customer" if facing else ""}" '
             f'data-step="{escape(step)}"><title>{escape(title)}</title>',
             f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" '
             f'rx="{14 if facing else 3}" fill="{fill}" stroke="{stroke}" '
             f'stroke-width="{stroke_w}"/>']
    cx = x + NODE_W / 2
    for i, line in enumerate(lines):
        parts.append(f'<text x="{cx:.1f}" y="{top + i * (NAME_SIZE + 3):.1f}" '
                     f'text-anchor="middle" font-size="{NAME_SIZE}" fill="#0f172a">'
                     f'{escape(line)}</text>')
    for i, line in enumerate(small):
        parts.append(f'<text x="{cx:.1f}" '
                     f'y="{top + len(lines) * (NAME_SIZE + 3) + i * (SMALL_SIZE + 3):.1f}" '
                     f'text-anchor="middle" font-size="{SMALL_SIZE}" fill="#475569">'
                     f'{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def _safe_id(text: str) -> str:
    return "wf-" + "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_"
                           for ch in text)
