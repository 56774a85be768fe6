"""``bizroute handbook`` and ``bizroute notice``: pages people read (docs/handbook.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import (
    EXIT_PROBLEMS,
    Failure,
    _date,
    as_of_option,
    cli,
    encoding_option,
    input_format_option,
    load,
    open_output,
    report_pack_error,
    rules_option,
)


@cli.command()
@click.argument("pack_dir", metavar="[PACK]", required=False)
@click.option("-o", "--output", metavar="DIR", required=True,
              help="Write the site to DIR (replaces an earlier handbook there; refuses a "
                   "directory holding other files).")
@click.option("--as-of", "as_of", metavar="DATE", default=None,
              help="Show the versions in force on this date (default: today).")
def handbook(pack_dir: str | None, output: str, as_of: str | None) -> None:
    """Write the staff handbook of PACK (default: the built-in pack) as a static site.

    业务手册：每类业务的依据、判定条件、应收资料、部门、流程图与承诺时限、示例，可离线打开。
    """
    from .errors import PackError
    from .loader import default_pack_path
    from .pages import build_handbook

    day = _date(as_of)
    root = Path(pack_dir) if pack_dir else default_pack_path()
    try:
        result = build_handbook(root, output, as_of=day)  # loads the pack once, with the checks
    except PackError as exc:
        report_pack_error(exc)
        raise Failure(f"the rule pack cannot be used ({len(exc.findings)} finding(s))") from None
    except OSError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"wrote {len(result.pages)} pages ({result.categories} categories) to "
               f"{result.path} in {result.seconds:.1f} s; open {result.path / 'index.html'}",
               err=True)


@cli.command()
@click.argument("file", metavar="REQUEST|-")
@rules_option
@as_of_option
@click.option("--record", "record_no", type=int, default=1, show_default=True,
              help="Which record of the file (1-based).")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write to FILE (atomically) instead of stdout; FILE.pdf means --format pdf.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default=None,
              help="html (A4 print styles) or pdf (printed with headless Chromium); default "
                   "from the extension of --output, else html.")
@click.option("--office", metavar="TEXT", default=None,
              help="Where to bring the documents: the hall's name and address "
                   "(default: the department of the workflow's first step).")
@click.option("--contact", metavar="TEXT", default=None,
              help="Whom to ask: a clerk, a telephone number.")
@click.option("--reference", metavar="TEXT", default=None,
              help="The notice's reference number (default: BR-date-digest of the decision).")
@click.option("--date", "issued", metavar="DATE", default=None,
              help="The notice's date (default: today).")
@click.option("--browser", metavar="PATH", default=None,
              help="Chromium or Chrome for --format pdf (default: BIZROUTE_CHROMIUM, then "
                   "chromium on PATH).")
@input_format_option
@encoding_option
def notice(file: str, rules: str | None, as_of: str | None, record_no: int,
           output: str | None, fmt: str | None, office: str | None, contact: str | None,
           reference: str | None, issued: str | None, browser: str | None, input_format: str,
           encoding: str | None) -> None:
    """Write the one-time notice (一次性告知书) of one request: what the business is, the
    documents still missing and what counts as each, where to bring them, the time limits
    and the basis.

    一次性告知书：尚缺资料、办理地点、时限与依据，可打印（A4）或输出 PDF。
    """
    from .batch import classify_records
    from .pages.chromium import BrowserError, print_pdf
    from .pages.notice import NotDecided, render_notice
    from .readers import ReadError, read_records

    day = _date(as_of)
    fmt = fmt or ("pdf" if output and Path(output).suffix.lower() == ".pdf" else "html")
    pack = load(rules)
    decision = None
    try:
        records = read_records(file, input_format, encoding,  # type: ignore[arg-type]
                               stdin=sys.stdin.buffer if file == "-" else None)
        for record, decided in classify_records(pack, records, day):
            if record.index == record_no:
                decision = decided
                break
    except ReadError as exc:
        raise Failure(str(exc)) from None
    if decision is None:
        raise Failure(f"{file} has no record {record_no}")
    for warning in decision.warnings:  # for the clerk, not for the customer's notice
        click.echo(f"bizroute: warning: {warning.field}: {warning.message}", err=True)
    try:
        html = render_notice(pack, decision, issued=_date(issued), reference=reference,
                             office=office, contact=contact)
    except NotDecided as exc:
        raise Failure(str(exc), EXIT_PROBLEMS) from None
    if fmt == "html":
        with open_output(output) as stream:
            stream.write(html)
        return
    try:
        pdf = print_pdf(html, browser=browser)
    except BrowserError as exc:
        raise Failure(str(exc)) from None
    with open_output(output, binary=True) as out:
        out.write(pdf)
