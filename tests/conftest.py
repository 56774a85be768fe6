from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a submission's result does not depend on
# luck; locally hypothesis keeps searching afresh (and remembers what it found)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

TESTS = Path(__file__).parent
PACKS = TESTS / "packs"
ROOT = TESTS.parent


@pytest.fixture(scope="session")
def minimal_pack():  # type: ignore[no-untyped-def]
    from bizroute import load_pack

    return load_pack(PACKS / "valid" / "minimal")


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """The URL of a real PostgreSQL server, started once for the run (tests/postgres.py)."""
    from tests.postgres import server

    with server() as url:
        yield url


_schemas = iter(range(1, 1_000_000))


def _memory_dir() -> str | None:
    """A directory in memory (tmpfs), where a test database's fsyncs cost nothing."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(params=["sqlite", "postgresql"])
def tracking_db(request, tmp_path):  # type: ignore[no-untyped-def]
    """A fresh, empty case database: a SQLite file, then a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        import shutil
        import tempfile

        directory = tempfile.mkdtemp(prefix="bizroute-test-", dir=_memory_dir() or tmp_path)
        yield str(Path(directory) / "cases.sqlite")
        shutil.rmtree(directory, ignore_errors=True)
        return
    import psycopg

    url = request.getfixturevalue("postgres_server")
    schema = f"t{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{url}?options=-csearch_path%3D{schema}"
