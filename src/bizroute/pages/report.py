"""The demand report (需求分析报告): :class:`~bizroute.stats.Stats` as one self-contained page.

Charts are drawn by plotly; its JavaScript bundle is written once into the page, so the file
works offline and from ``file://``. Every chart has the table of its numbers under it (for
print, for screen readers, and for the numbers themselves). Text from the decisions (category
names, suggestion examples) reaches the charts HTML-escaped, and examples have their long
numbers masked (:func:`bizroute.masking.mask_text`).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

from .._version import __version__
from ..stats import PERIODS, Stats
from .render import environment

STATUS_ZH = {"decided": "已判定", "ambiguous": "有歧义", "needs_info": "需补充信息",
             "unmatched": "无匹配", "error": "错误"}
STATUS_COLOUR = {"decided": "#2e7d32", "ambiguous": "#f9a825", "needs_info": "#0277bd",
                 "unmatched": "#8e24aa", "error": "#c62828"}
PERIOD_ZH = {"day": "按日", "week": "按周", "month": "按月"}
FONT = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
        '"WenQuanYi Micro Hei", sans-serif')
#: Rows of the category chart.
TOP_CATEGORIES = 20


def render_report(stats: Stats, *, title: str = "需求分析报告", source: str = "",
                  generated: dt.date | None = None) -> str:
    """The report page (see the module docstring). ``source`` names the decisions file."""
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    def chart(fig: Any, name: str, height: int = 360) -> str:
        _whole_counts(fig)
        fig.update_layout(font={"family": FONT, "size": 13}, height=height,
                          margin={"l": 10, "r": 10, "t": 30, "b": 10}, template="plotly_white",
                          legend={"orientation": "h", "y": -0.15})
        return str(pio.to_html(fig, full_html=False, include_plotlyjs=False,
                               div_id=f"chart-{name}", default_width="100%",
                               config={"displaylogo": False, "responsive": True,
                                       "displayModeBar": False}))

    charts: dict[str, str] = {}
    if stats.by_status:
        charts["status"] = chart(go.Figure(go.Pie(
            labels=[f"{STATUS_ZH.get(s, s)} {s}" for s, _ in stats.by_status],
            values=[n for _, n in stats.by_status], hole=0.45, sort=False,
            marker={"colors": [STATUS_COLOUR.get(s, "#777") for s, _ in stats.by_status]})),
            "status", 320)
    if stats.by_group:
        charts["group"] = chart(go.Figure(go.Bar(
            x=[_safe(name) for _, name, _ in stats.by_group], y=[n for *_, n in stats.by_group],
            marker={"color": "#1d4ed8"}, hovertemplate="%{x}: %{y}<extra></extra>")),
            "group", 320)
    if stats.by_category:
        top = list(stats.by_category[:TOP_CATEGORIES])[::-1]
        charts["category"] = chart(go.Figure(go.Bar(
            y=[_safe(name) for _, name, _, _ in top], x=[n for *_, n in top], orientation="h",
            marker={"color": "#1d4ed8"}, hovertemplate="%{y}: %{x}<extra></extra>")),
            "category", max(300, 26 * len(top) + 60))
    trends: dict[str, Any] = {p: stats.trend_by(p) for p in PERIODS}
    if any(trends.values()):
        charts["trend"] = chart(_trend_figure(go, stats, trends), "trend", 380)
    if stats.questions:
        top_q = list(stats.questions[:10])[::-1]
        charts["questions"] = chart(go.Figure(go.Bar(
            y=[_safe(label) for _, label, _ in top_q], x=[n for *_, n in top_q],
            orientation="h", marker={"color": "#0277bd"},
            hovertemplate="%{y}: %{x}<extra></extra>")), "questions",
            max(260, 30 * len(top_q) + 60))
    if stats.departments:
        deps = list(stats.departments)[::-1]
        fig = go.Figure(go.Bar(y=[_safe(name) for _, name, *_ in deps],
                               x=[round(days, 1) for *_, days in deps], orientation="h",
                               marker={"color": "#00897b"},
                               customdata=[[r, s] for _, _, r, s, _ in deps],
                               hovertemplate="%{y}: 预计 %{x} 天，%{customdata[0]} 个请求，"
                                             "%{customdata[1]} 个环节<extra></extra>"))
        fig.update_xaxes(title_text="预计天数 expected days")
        charts["departments"] = chart(fig, "departments", max(260, 30 * len(deps) + 80))
    if stats.commitments:
        rows = list(stats.commitments[:12])[::-1]
        names = [_safe(name) for _, name, *_ in rows]
        fig = go.Figure()
        for label, index, colour in (("超期风险 at risk", 2, "#c62828"),
                                     ("未定 undetermined", 4, "#9e9e9e"),
                                     ("按期 on track", 3, "#2e7d32")):
            fig.add_trace(go.Bar(y=names, x=[r[index] for r in rows], name=label,
                                 orientation="h", marker={"color": colour}))
        fig.update_layout(barmode="stack")
        charts["commitments"] = chart(fig, "commitments", max(280, 30 * len(rows) + 100))
    if stats.suggestions:
        rows_s = list(stats.suggestions[:15])[::-1]
        charts["suggestions"] = chart(go.Figure(go.Bar(
            y=[_safe(name) for _, name, *_ in rows_s], x=[n for _, _, n, _, _ in rows_s],
            orientation="h", marker={"color": "#8e24aa"},
            customdata=[[round(score, 2)] for *_, score, _ in rows_s],
            hovertemplate="%{y}: %{x} 个无匹配请求，平均得分 %{customdata[0]}<extra></extra>")),
            "suggestions", max(260, 30 * len(rows_s) + 60))
    day = generated or dt.date.today()
    dates = [d for d, _ in stats.daily]
    return environment().get_template("report.html.j2").render(
        s=stats, charts=charts, title=title, source=source, generated=day.isoformat(),
        version=__version__, plotly_js=get_plotlyjs(), status_zh=STATUS_ZH,
        trends=trends, period_zh=PERIOD_ZH, first=dates[0] if dates else None,
        last=dates[-1] if dates else None, top_categories=TOP_CATEGORIES)


def _trend_figure(go: Any, stats: Stats, trends: Mapping[str, Any]) -> Any:
    """Stacked bars of requests per period by status, with buttons for day, week and month
    (the period of ``bizroute stats --by`` shown first)."""
    fig = go.Figure()
    statuses = [s for s, _ in stats.by_status]
    visible_for: list[str] = []
    for period, rows in trends.items():
        for status in statuses:
            fig.add_trace(go.Bar(
                x=[key for key, _ in rows], y=[counts.get(status, 0) for _, counts in rows],
                name=f"{STATUS_ZH.get(status, status)} {status}",
                marker={"color": STATUS_COLOUR.get(status, "#777")},
                visible=period == stats.period, legendgroup=status,
                showlegend=period == stats.period))
            visible_for.append(period)
    buttons = [{"label": f"{PERIOD_ZH[p]} {p}", "method": "update",
                "args": [{"visible": [v == p for v in visible_for],
                          "showlegend": [v == p for v in visible_for]}]}
               for p in trends]
    fig.update_layout(barmode="stack", xaxis={"type": "category"}, updatemenus=[{
        "type": "buttons", "direction": "right", "x": 0, "y": 1.18, "xanchor": "left",
        "buttons": buttons, "active": list(trends).index(stats.period)}])
    return fig


def _whole_counts(fig: Any) -> None:
    """A one-bar-series chart of counts ticks at whole numbers (no tick at 0.5 requests)."""
    if len(fig.data) != 1 or fig.data[0].type != "bar":
        return
    trace = fig.data[0]
    horizontal = trace.orientation == "h"
    values = list((trace.x if horizontal else trace.y) or ())
    if not values or not all(isinstance(v, int) for v in values):
        return
    step = 1
    while max(values) / step > 8:  # 1, 2, 5, 10, 20, 50 ...
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    (fig.update_xaxes if horizontal else fig.update_yaxes)(tick0=0, dtick=step)


def _safe(text: str) -> str:
    """Text for a chart label: plotly reads a few HTML tags in labels, so none may come
    from the data."""
    return html.escape(str(text), quote=False)
