"""``bizroute handbook``: the staff handbook of a pack as a static site.

:func:`build_handbook` writes, for one pack on one date: an index of the categories by group
with client-side search, a page per category, document, department and workflow, and the
pack's check summary. Every page carries the pack's id, version and digest. The site needs
nothing at view time but the directory itself: the style sheet and the search script are in
``assets/``, the diagrams are SVG drawn at build time, and no page loads anything from the
network (docs/handbook.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from .render import environment, static_text
from .site import SiteWriter
from .views import CategoryView, Views, file_name

if TYPE_CHECKING:
    from ..engine import Pack


@dataclass(frozen=True, slots=True)
class Handbook:
    """What :func:`build_handbook` wrote."""

    path: Path
    pages: tuple[str, ...]  # relative paths of the HTML pages
    categories: int
    seconds: float


def build_handbook(pack: Pack | str | os.PathLike[str], directory: str | os.PathLike[str], *,
                   as_of: dt.date | None = None) -> Handbook:
    """Write the handbook of ``pack`` (the versions in force on ``as_of``, default today) to
    ``directory``, replacing an earlier handbook there; see the module docstring.

    ``pack`` is a loaded :class:`~bizroute.Pack` or a pack directory (then it is loaded
    once, by the checks). Raises :class:`~bizroute.PackError` for a pack that does not load,
    ``FileExistsError`` when ``directory`` holds other files, ``NotADirectoryError`` when it is
    a file.
    """
    from ..analysis import Analysis, timeline
    from ..cases import load_cases, run_case
    from ..checks import check_pack
    from ..engine import Pack
    from ..errors import PackError

    started = time.perf_counter()
    day = as_of or dt.date.today()
    root = pack.path if isinstance(pack, Pack) else Path(pack)
    report = check_pack(root)
    ctx = report.context
    if not isinstance(pack, Pack):
        if report.pack is None:
            raise PackError([f for f in report.findings if f.severity == "error"])
        pack = report.pack
    writer = SiteWriter(directory)
    try:
        # the checks' own analysis and case results, when they are of this very pack
        if ctx is not None and report.pack is not None and report.pack.digest == pack.digest:
            pack = report.pack
            analysis, cases = ctx.analysis, ctx.case_results
        else:
            analysis = Analysis(pack)
            cases = [run_case(pack, c) for c in load_cases(pack.path, [])]
        views = Views(pack, day, analysis, cases)
        site = _site(pack, day)
        env = environment()

        def page(template: str, name: str, **context: Any) -> None:
            root = "../" * name.count("/")
            writer.write(name, env.get_template(template).render(site=site, root=root,
                                                                 **context))

        categories = [views.category(cid) for cid in pack.category_ids()]
        page("index.html.j2", "index.html", page="index", groups=_groups(views, categories),
             counts=_counts(pack, categories))
        for c in categories:
            page("category.html.j2", c.href, page="category", c=c)
        documents = [views.document(did) for did in views.document_models]
        for d in documents:
            page("document.html.j2", f"documents/{file_name(d.id)}", page="documents", d=d)
        page("listing.html.j2", "documents/index.html", page="documents", title="资料",
             title_en="Documents", lead="客户办理业务时可能需要提供的资料，以及什么可以作为该资料。",
             headings=("资料 Document", "说明 What counts", "需要它的业务 Used by"),
             rows=[_row(d.id, d.name, d.name_en, (d.notes or "", str(len(d.used_by))))
                   for d in documents])
        departments = [views.department(did) for did in pack.departments]
        for dep in departments:
            page("department.html.j2", f"departments/{file_name(dep.id)}", page="departments",
                 d=dep)
        page("listing.html.j2", "departments/index.html", page="departments", title="部门",
             title_en="Departments", lead="每个部门在各流程中接收的工作。",
             headings=("部门 Department", "前台 Front office", "环节 Steps", "业务 Categories"),
             rows=[_row(d.id, d.name, d.name_en, ("是" if d.front_office else "否",
                                                  str(len(d.duties)), str(len(d.categories))))
                   for d in departments])
        workflows = {wid: views.workflow_versions(wid) for wid in pack.workflows}
        for wid, versions in workflows.items():
            page("workflow.html.j2", f"workflows/{file_name(wid)}", page="workflows",
                 versions=versions, users=views.workflow_users(wid))
        page("listing.html.j2", "workflows/index.html", page="workflows", title="流程",
             title_en="Workflows", lead="跨部门流程：环节、部门、预计用时与承诺时限。",
             headings=("流程 Workflow", "版本 Versions", "环节 Steps", "业务 Categories"),
             rows=[_row(wid, v[0].name, v[0].name_en,
                        (str(len(v)), str(v[0].nodes), str(len(views.workflow_users(wid)))))
                   for wid, v in workflows.items() if v])
        page("check.html.j2", "check.html", page="check",
             check=_check(report, cases, pack, timeline(pack)))
        writer.write("assets/handbook.css", static_text("handbook.css"))
        writer.write("assets/search.js", static_text("search.js"))
        writer.write("assets/search-index.js", _search_index(views, categories, documents,
                                                             departments, workflows))
        pages = tuple(f for f in writer.files if f.endswith(".html"))
        path = writer.commit(json.dumps({"pack": pack.id, "version": pack.version,
                                         "digest": pack.digest, "as_of": day.isoformat(),
                                         "bizroute": __version__}, ensure_ascii=False) + "\n")
    except BaseException:
        writer.discard()
        raise
    return Handbook(path, pages, len(categories), time.perf_counter() - started)


# --- page data -----------------------------------------------------------------------------------


def _site(pack: Pack, day: dt.date) -> dict[str, Any]:
    return {"pack_id": pack.id, "pack_name": pack.name, "pack_name_en": pack.info.name_en,
            "pack_version": pack.version, "digest": pack.digest, "as_of": day.isoformat(),
            "version": __version__, "description": pack.info.description}


def _groups(views: Views, categories: list[CategoryView]) -> list[dict[str, Any]]:
    out = []
    for gid, group in views.pack.groups.items():
        members = [{"href": c.href, "name": c.name, "name_en": c.name_en,
                    "code": next((code for _, code in c.codes), "")}
                   for c in categories if c.group.id == gid]
        if members:
            out.append({"id": gid, "name": group.name, "name_en": group.name_en,
                        "categories": members})
    return out


def _counts(pack: Pack, categories: list[CategoryView]) -> dict[str, int]:
    return {"categories": len(categories), "groups": len(pack.groups), "rules": len(pack.rules),
            "documents": len(pack.documents), "departments": len(pack.departments),
            "workflows": len(pack.workflows)}


def _row(oid: str, name: str, name_en: str | None, cells: Iterable[str]) -> dict[str, Any]:
    return {"id": oid, "name": name, "name_en": name_en, "href": file_name(oid),
            "cells": tuple(cells)}


def _check(report: Any, cases: list[Any], pack: Pack, changes: list[Any]) -> dict[str, Any]:
    from ..cases import coverage

    findings = report.findings
    cov = coverage(pack, cases)
    return {
        "errors": sum(f.severity == "error" for f in findings),
        "warnings": sum(f.severity == "warning" for f in findings),
        "infos": sum(f.severity == "info" for f in findings),
        "waived": len(report.waived), "files": len(report.files), "findings": findings,
        "cases_passed": sum(r.passed for r in cases),
        "cases_failed": sum(not r.passed for r in cases),
        "failures": [r.case.case.id for r in cases if not r.passed],
        "rules_covered": cov["rules"]["covered"], "rules_total": cov["rules"]["total"],
        "categories_covered": cov["categories"]["covered"],
        "categories_total": cov["categories"]["total"],
        "timeline": [(c.day.isoformat(), c.starts, c.ends, c.replaced) for c in changes],
    }


def _search_index(views: Views, categories: list[CategoryView], documents: list[Any],
                  departments: list[Any], workflows: dict[str, list[Any]]) -> str:
    """The search entries and the traditional → simplified table, as a script (a page opened
    from file:// may not fetch a JSON file)."""
    from ..textnorm import t2s_table

    entries: list[dict[str, Any]] = []
    for c in categories:
        entries.append({
            "kind": "category", "id": c.id, "name": c.name, "en": c.name_en, "url": c.href,
            "group": c.group.name, "keys": [c.id, c.name_en, *(code for _, code in c.codes)],
            "terms": list(c.terms),
            "text": " ".join([c.group.name, *(d.document.name for d in c.documents),
                              *(d.name for d in c.departments), c.notes or "",
                              *(b.title + (b.note or "") for b in c.basis),
                              *(r.note or "" for r in c.rules)])})
    for d in documents:
        entries.append({"kind": "document", "id": d.id, "name": d.name, "en": d.name_en,
                        "url": f"documents/{file_name(d.id)}", "group": "",
                        "keys": [d.id, d.name_en or ""], "terms": [], "text": d.notes or ""})
    for dep in departments:
        entries.append({"kind": "department", "id": dep.id, "name": dep.name,
                        "en": dep.name_en, "url": f"departments/{file_name(dep.id)}",
                        "group": "", "keys": [dep.id, dep.name_en or ""], "terms": [],
                        "text": " ".join([dep.notes or "", *(w.step for w in dep.duties)])})
    for wid, versions in workflows.items():
        if versions:
            entries.append({"kind": "workflow", "id": wid, "name": versions[0].name,
                            "en": versions[0].name_en, "url": f"workflows/{file_name(wid)}",
                            "group": "", "keys": [wid, versions[0].name_en or ""],
                            "terms": [], "text": " ".join(s.name for s in versions[0].steps)})
    t2s = t2s_table() if views.pack.info.text.traditional_to_simplified else {}
    data = {"entries": entries, "t2s": t2s}
    # "</" never appears inside the script: a name cannot end the <script> element
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"window.BIZROUTE_SEARCH = {body};\n"



