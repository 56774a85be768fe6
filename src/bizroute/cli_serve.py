"""``bizroute serve``: the decision service (needs the ``serve`` extra)."""

from __future__ import annotations

import click

from .cli import EXIT_USAGE, Failure, cli


@cli.command()
@click.argument("pack_dir", metavar="[PACK]", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port; the log says which).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes sharing the port.")
@click.option("--watch", is_flag=True, help="Reload when a file of the pack changes.")
@click.option("--admin-token-file", metavar="FILE", default=None,
              help="Turn on POST /v1/admin/reload, guarded by the token in FILE "
                   "(or set BIZROUTE_ADMIN_TOKEN).")
@click.option("--decision-log", metavar="FILE|-", default=None,
              help="Append one JSON line per decision to FILE (- for stdout).")
@click.option("--no-mask", is_flag=True,
              help="Write personal data in the decision log in clear (default: masked).")
@click.option("--max-body", type=click.IntRange(1), default=1 << 20, show_default=True,
              metavar="BYTES", help="Largest body of one request.")
@click.option("--max-batch-bytes", type=click.IntRange(1), default=16 << 20,
              show_default=True, metavar="BYTES", help="Largest batch body.")
@click.option("--max-batch-records", type=click.IntRange(1), default=10_000,
              show_default=True, metavar="N", help="Most records in one batch.")
@click.option("--no-check", is_flag=True,
              help="Accept a pack that loads, without running the checks of bizroute check.")
@click.option("--graceful-timeout", type=click.FloatRange(0), default=30.0, show_default=True,
              metavar="SECONDS", help="How long requests in flight may take after SIGTERM.")
@click.option("--proxy-headers", is_flag=True,
              help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True)
def serve(pack_dir: str | None, host: str, port: int, workers: int, watch: bool,
          admin_token_file: str | None, decision_log: str | None, no_mask: bool,
          max_body: int, max_batch_bytes: int, max_batch_records: int, no_check: bool,
          graceful_timeout: float, proxy_headers: bool, forwarded_allow_ips: str,
          log_level: str) -> None:
    """Serve PACK (default: the built-in pack) over HTTP: POST /v1/classify and more.

    提供判定服务：HTTP 接口、热加载、指标与判定日志（见 docs/service.md）。
    """
    try:
        from .service import ServiceConfig, run
        from .service.config import read_token
    except ImportError as exc:
        raise Failure(f"bizroute serve needs the serve extra ({exc.name} is missing): "
                      "pip install 'bizroute[serve]'", EXIT_USAGE) from None
    try:
        token = read_token(admin_token_file)
    except ValueError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    code = run(ServiceConfig(
        pack=pack_dir, host=host, port=port, workers=workers, max_body=max_body,
        max_batch_bytes=max_batch_bytes, max_batch_records=max_batch_records,
        admin_token=token, watch=watch, decision_log=decision_log, mask=not no_mask,
        check=not no_check, graceful_timeout=graceful_timeout, log_level=log_level,
        proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips))
    if code:
        raise Failure("", code)
