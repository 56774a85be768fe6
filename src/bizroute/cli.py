"""The ``bizroute`` command line.

Exit codes: 0 done; 1 problems found (unreadable records, failed cases, check errors);
2 usage error, unreadable input or unusable pack. Results go to stdout, messages to stderr.
This module only parses arguments and wires the stages together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import click

from ._version import __version__
from .errors import PackError
from .findings import Finding

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class Failure(Exception):
    """An expected failure: print the message to stderr and exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def load(rules: str | None) -> Any:
    from .loader import load_pack

    try:
        return load_pack(rules)
    except PackError as exc:
        report_pack_error(exc)
        raise Failure(f"the rule pack cannot be used ({len(exc.findings)} finding(s))") from None


def report_pack_error(exc: PackError) -> None:
    for finding in exc.findings:
        click.echo(finding.format(), err=True)


@contextlib.contextmanager
def open_output(path: str | None, *, binary: bool = False) -> Iterator[IO[Any]]:
    """stdout, or a file written atomically: a temporary file renamed into place at the end.

    Only a regular file is replaced so: a symbolic link's target is written (the link stays),
    and a device or FIFO is written in place.

    ``binary``: a byte stream (UTF-8 is the writer's business) instead of a text stream."""
    if path is None or path == "-":
        if not binary:
            yield sys.stdout
            sys.stdout.flush()
            return
        sys.stdout.flush()  # what was written as text goes first
        raw = getattr(sys.stdout, "buffer", None)
        out = raw if raw is not None else cast(IO[bytes], _TextSink(sys.stdout))
        yield out
        out.flush()
        return
    target = Path(path)
    if target.is_symlink():  # replace the file the link names, not the link
        target = target.resolve()
    if target.exists() and not target.is_file():
        if target.is_dir():
            raise Failure(f"{path}: is a directory, not a file")
        # a device or a FIFO (/dev/null, a pipe): written in place, never renamed over
        with (open(target, "wb") if binary
              else open(target, "w", encoding="utf-8", newline="")) as stream:
            yield stream
        return
    directory = target.parent if str(target.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open would
        Path(tmp).chmod(_new_file_mode(target))
        with (os.fdopen(fd, "wb", buffering=_FILE_BUFFER) if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as stream:
            yield stream
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_FILE_BUFFER = 1 << 20  # bytes written per system call to an output file


def _new_file_mode(target: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it back at once
        os.umask(umask)
        return 0o666 & ~umask


class _TextSink(io.RawIOBase):
    """Bytes written to a text stream that has no byte stream under it (a ``StringIO``)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.text.write(bytes(data).decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def one_pack(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str | None:
    """An option naming one pack: given twice, it is an error, not the last one silently."""
    if len(value) > 1:
        raise click.BadParameter(
            f"given {len(value)} times ({', '.join(value)}); a pack is one directory. To put "
            "one pack on top of another, make the upper one an overlay: `extends:` in its "
            "pack.yaml (docs/overlays.md)", ctx=ctx, param=param)
    return value[0] if value else None


rules_option = click.option(
    "--rules", "rules", metavar="DIR", multiple=True, callback=one_pack,
    help="Rule pack directory (default: the built-in pack); an overlay brings its base.")
as_of_option = click.option(
    "--as-of", "as_of", metavar="DATE", default=None,
    help="Apply the rules in force on this date (default: each request's received_at, else today).")
input_format_option = click.option(
    "--input-format", type=click.Choice(["auto", "jsonl", "json", "yaml", "csv"]),
    default="auto", show_default=True, help="Input format; auto goes by extension and content.")
encoding_option = click.option(
    "--encoding", default=None, metavar="NAME",
    help="Input encoding (default: UTF-8 with or without BOM, else GB18030, detected).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bizroute")
def cli() -> None:
    """bizroute: classify service requests into business categories and route them.

    业务分类与流转：判定业务类别、应收资料、涉及部门与流程。
    """


@cli.command()
@click.argument("file", metavar="FILE|-")
@rules_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "csv", "table"]),
              default=None, help="Output format (default: text on a terminal, jsonl otherwise); "
              "csv flattens nested fields to dotted columns, table is one line per request.")
@click.option("--explain", is_flag=True, help="Include why and why-not explanations.")
@click.option("--stats", "with_stats", is_flag=True,
              help="After the run, print statistics tables to stderr (see `bizroute stats`).")
@click.option("--plan", "with_plan", is_flag=True,
              help="Include the routing plan: steps, deadlines, critical path, hand-offs.")
@input_format_option
@encoding_option
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write results to FILE (atomically) instead of stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
def classify(file: str, rules: str | None, as_of: str | None, fmt: str | None, explain: bool,
             with_stats: bool, with_plan: bool, input_format: str, encoding: str | None,
             output: str | None, quiet: bool) -> None:
    """Classify every request in FILE (JSON object or array, JSON Lines, YAML or CSV).

    逐条判定文件中的请求；每条输入对应一条输出。
    """
    from .batch import ProgressReporter, Summary, classify_records, without_plan
    from .output import WRITERS
    from .readers import ReadError, read_records
    from .stats import StatsBuilder

    day = _date(as_of)
    pack = load(rules)
    # the pack (and everything imported) lives for the whole run: leave it out of the cyclic
    # collector's passes, which would otherwise walk it again and again (about 4 % of a run)
    gc.freeze()
    if fmt is None:
        fmt = "text" if output is None and sys.stdout.isatty() else "jsonl"
    summary = Summary()
    builder = StatsBuilder() if with_stats else None
    size = Path(file).stat().st_size if file != "-" and Path(file).is_file() else None
    try:
        writer_class = WRITERS[fmt]
        with ProgressReporter(size) as progress, \
                open_output(output, binary=writer_class.binary) as stream:
            records = read_records(file, input_format, encoding,  # type: ignore[arg-type]
                                   stdin=sys.stdin.buffer if file == "-" else None,
                                   on_read=progress.read if progress.enabled else None)
            writer = writer_class(stream, explain=explain)
            writer.begin()
            for record, decision in classify_records(pack, records, day, explain=explain):
                if not with_plan and decision.plan is not None:
                    decision = without_plan(decision)  # shown on request only
                writer.write(record, decision)
                summary.add(decision)
                if builder is not None:
                    builder.add(decision)
                progress.record()
            writer.end()
    except ReadError as exc:
        raise Failure(str(exc)) from None
    if builder is not None:
        from .cli_stats import render_tables

        render_tables(builder.result(), sys.stderr)
    if not quiet:
        _print_summary(summary)
    if summary.errors:
        raise Failure("", EXIT_PROBLEMS)


def _print_summary(summary: Any) -> None:
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
    click.echo(f"{summary.records} record(s): {statuses or 'none'}", err=True)
    if summary.by_category:
        top = summary.by_category.most_common(10)
        more = len(summary.by_category) - len(top)
        click.echo("  categories: " + ", ".join(f"{k} {v}" for k, v in top)
                   + (f", ... {more} more" if more > 0 else ""), err=True)
    for position, message in summary.errors[:20]:
        click.echo(f"  error {position}: {message}", err=True)
    if len(summary.errors) > 20:
        click.echo(f"  ... and {len(summary.errors) - 20} more error(s)", err=True)


@cli.command()
@click.argument("file", metavar="FILE|-")
@rules_option
@as_of_option
@click.option("--record", "record_no", type=int, default=1, show_default=True,
              help="Which record of FILE to explain (1-based).")
@input_format_option
@encoding_option
def explain(file: str, rules: str | None, as_of: str | None, record_no: int, input_format: str,
            encoding: str | None) -> None:
    """Explain the decision for one request: why, why not, what to ask.

    解释一条请求的判定：依据、排除理由、需询问的问题。
    """
    from .batch import classify_records
    from .output import render_text
    from .readers import ReadError, read_records

    day = _date(as_of)
    pack = load(rules)
    try:
        records = read_records(file, input_format, encoding,  # type: ignore[arg-type]
                               stdin=sys.stdin.buffer if file == "-" else None)
        for record, decision in classify_records(pack, records, day):
            if record.index == record_no:
                click.echo(render_text(decision, record, explain=True), nl=False)
                if decision.error is not None:
                    raise Failure("", EXIT_PROBLEMS)
                return
    except ReadError as exc:
        raise Failure(str(exc)) from None
    raise Failure(f"{file} has no record {record_no}")


@cli.command("test")
@click.argument("pack_dir", metavar="[PACK]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Fail when the cases exercise fewer than PCT % of the rules.")
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
def test_cmd(pack_dir: str | None, fmt: str, min_coverage: float | None, verbose: bool) -> None:
    """Run the example cases in PACK/tests (default: the built-in pack).

    运行规则包自带的示例用例。
    """
    import json

    from .cases import coverage, load_cases, run_case

    pack = load(pack_dir)
    findings: list[Finding] = []
    cases = load_cases(pack.path, findings)
    for finding in findings:
        click.echo(finding.format(), err=True)
    results = [run_case(pack, c) for c in cases]
    failed = [r for r in results if not r.passed]
    cov = coverage(pack, results)
    if fmt == "json":
        click.echo(json.dumps({
            "cases": len(results), "passed": len(results) - len(failed), "failed": len(failed),
            "failures": [{"case": r.case.case.id, "file": r.case.file, "line": r.case.line,
                          "error": r.error,
                          "differences": [{"what": w, "expected": e, "actual": a}
                                          for w, e, a in r.differences]} for r in failed],
            "coverage": cov}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.passed:
                if verbose:
                    click.echo(f"PASS {r.case.file}:{r.case.line} {r.case.case.id}")
                continue
            click.echo(f"FAIL {r.case.file}:{r.case.line}:{r.case.column} {r.case.case.id}")
            if r.error:
                click.echo(f"    {r.error}")
            for what, expected, actual in r.differences:
                click.echo(f"    {what}:")
                click.echo(f"      - expected: {_show(expected)}")
                click.echo(f"      + actual:   {_show(actual)}")
        rc, cc = cov["rules"], cov["categories"]
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        click.echo(f"coverage: rules {rc['covered']}/{rc['total']}, "
                   f"categories {cc['covered']}/{cc['total']}", err=True)
    rules_total = cov["rules"]["total"] or 1
    below = (min_coverage is not None
             and 100 * cov["rules"]["covered"] / rules_total < min_coverage)
    if below:
        click.echo(f"rule coverage is below {min_coverage:g} %", err=True)
    if failed or below or any(f.severity == "error" for f in findings):
        raise Failure("", EXIT_PROBLEMS)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Explain a finding code (e.g. BR201): what it means, why, and examples."""
    from . import checks  # noqa: F401  (registers the codes documented by the checks)
    from .codes import REGISTRY

    info = REGISTRY.get(code.upper()) or next(
        (i for i in REGISTRY.values() if i.name == code.lower()), None)
    if info is None:
        raise Failure(f"no finding code {code!r}; codes are BR001 ... "
                      f"{max(REGISTRY)} (see docs/checks.md)")
    click.echo(f"{info.code} [{info.name}] ({info.severity})")
    click.echo(f"\n{info.summary}")
    if info.why:
        click.echo(f"\nWhy: {info.why}")
    if info.bad:
        click.echo("\nTriggers it:\n" + "\n".join("    " + ln for ln in info.bad.splitlines()))
    if info.good:
        click.echo("\nDoes not:\n" + "\n".join("    " + ln for ln in info.good.splitlines()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (for tests and embedding)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="bizroute",
                 standalone_mode=False)
    except Failure as exc:
        if str(exc):
            click.echo(f"bizroute: {exc}", err=True)
        return exc.code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("bizroute: interrupted", err=True)
        return 130
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except KeyboardInterrupt:
        click.echo("bizroute: interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: say so, with what to report
        import traceback

        traceback.print_exc()
        click.echo(f"bizroute {__version__}: internal error ({type(exc).__name__}). This is a "
                   "bug; please report it with the command and the input.", err=True)
        return 3
    return EXIT_OK


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()

from . import cli_check  # noqa: E402,F401  (registers commands)
from . import cli_pack as _cli_pack  # noqa: E402,F401  (registers commands)
from . import cli_pages as _cli_pages  # noqa: E402,F401  (registers commands)
from . import cli_serve as _cli_serve  # noqa: E402,F401  (registers commands)
from . import cli_stats as _cli_stats  # noqa: E402,F401  (registers commands)
from . import cli_workflow as _cli_workflow  # noqa: E402,F401  (registers commands)
from .tracking import cli as _cli_track  # noqa: E402,F401  (registers commands)
