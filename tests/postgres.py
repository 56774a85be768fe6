"""A real PostgreSQL server for the tests, started on a free loopback port.

``BIZROUTE_TEST_POSTGRES_URL`` names a server to use instead. Otherwise the server programs
(``initdb``, ``pg_ctl``: Debian's ``postgresql`` package, which ``.ci/run`` installs) make a
throw-away cluster in a temporary directory, trusting only loopback connections, which is
stopped and removed at the end. Run as root, the cluster belongs to the ``postgres`` user
(PostgreSQL refuses to run as root). Without the programs the tests skip, saying why; with
``BIZROUTE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

URL_ENV = "BIZROUTE_TEST_POSTGRES_URL"
REQUIRE_ENV = "BIZROUTE_REQUIRE_POSTGRES"


def unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"PostgreSQL is required here ({REQUIRE_ENV} is set) but {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def _programs() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server() -> Iterator[str]:
    """A URL of a running server (see the module docs)."""
    given = os.environ.get(URL_ENV)
    if given:
        yield given
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg package is not installed (pip install -e '.[test]')")
    bin_dir = _programs()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        unavailable("initdb and pg_ctl were not found; install Debian's postgresql package "
                    "(apt-get install postgresql; .ci/run does)")
        return
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no 'postgres' user to run the server")
        user = "postgres"
    shm = Path("/dev/shm")  # in memory when there is a tmpfs: the cluster is thrown away
    root = Path(tempfile.mkdtemp(prefix="bizroute-pg-", dir=shm if shm.is_dir() else None))
    data, sockets, log = root / "data", root / "run", root / "server.log"
    sockets.mkdir()
    if user is not None:
        for path in (root, sockets):
            shutil.chown(path, user, user)

    def run(*args: str) -> None:
        done = subprocess.run(args, user=user, capture_output=True, text=True, check=False,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")

    port = _free_port()
    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "bizroute", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            # a throw-away cluster: nothing to keep through a power cut, so no fsync
            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off", "start")
        started = True
        yield f"postgresql://bizroute@127.0.0.1:{port}/postgres"
    finally:
        if started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
