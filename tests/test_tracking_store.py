"""The case database: its schema and migrations, several writer processes at once, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bizroute import Tracker, TrackingError
from bizroute.tracking.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    Store,
    database_url,
    default_url,
)
from tests.conftest import ROOT
from tests.tracking_cases import decision

LATER = "2030-01-01T00:00:00"


def test_a_new_database_is_created_at_the_current_schema_version(tracking_db: str) -> None:
    store = Store.open(tracking_db)
    try:
        assert store.version() == SCHEMA_VERSION
        names = set(sa.inspect(store.engine).get_table_names())
        assert {"bizroute_schema", "bizroute_cases", "bizroute_events"} <= names
        assert store.migrate() == []  # opening again applies nothing
    finally:
        store.close()


def test_a_later_migration_is_applied_once_to_a_database_made_before_it(
        tracking_db: str) -> None:
    store = Store.open(tracking_db)
    added = Migration(SCHEMA_VERSION + 1, "a test column", lambda conn: conn.execute(
        sa.text("ALTER TABLE bizroute_cases ADD COLUMN test_note VARCHAR(20)")))
    try:
        assert store.migrate((*MIGRATIONS, added)) == [SCHEMA_VERSION + 1]
        assert store.migrate((*MIGRATIONS, added)) == []
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("bizroute_cases")}
        assert "test_note" in columns
    finally:
        store.close()
    # this bizroute knows only the versions before it: it refuses to touch the database
    with pytest.raises(TrackingError) as caught:
        Store.open(tracking_db)
    assert caught.value.code == "schema-version" and "upgrade bizroute" in str(caught.value)


def test_a_failed_migration_leaves_the_database_as_it_was(tracking_db: str) -> None:
    store = Store.open(tracking_db)

    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE bizroute_half_done (x INTEGER)"))
        raise RuntimeError("the migration fails half-way")

    try:
        with pytest.raises(RuntimeError):
            store.migrate((*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "broken", broken)))
        assert store.version() == SCHEMA_VERSION
        assert "bizroute_half_done" not in sa.inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_a_case_and_its_events_survive_closing_and_reopening(tracking_db: str) -> None:
    with Tracker.open(tracking_db) as t:
        t.open_case(decision("meter_test", "MT-1"))
        t.record({"case": "MT-1", "event": "step_completed", "step": "accept",
                  "at": "2025-09-29T10:00", "person": "张三", "note": "资料齐全"}, now=LATER)
    with Tracker.open(tracking_db) as t:
        (event,) = t.events("MT-1")
        assert (event.seq, event.step, event.person, event.note) == (1, "accept", "张三",
                                                                     "资料齐全")
        assert t.case("MT-1").plan.workflow == "meter_test"


@pytest.mark.parametrize(("given", "expected"), [
    ("cases.sqlite", "sqlite:///cases.sqlite"),
    ("sqlite:////var/lib/bizroute/cases.sqlite", "sqlite:////var/lib/bizroute/cases.sqlite"),
    ("postgresql://hall@db.local/bizroute", "postgresql+psycopg://hall@db.local/bizroute"),
    ("postgres://hall@db.local/bizroute", "postgresql+psycopg://hall@db.local/bizroute"),
])
def test_a_database_is_named_by_a_path_or_a_url(given: str, expected: str) -> None:
    assert database_url(given).render_as_string() == expected


def test_an_unsupported_database_is_refused_without_showing_its_password() -> None:
    with pytest.raises(TrackingError) as caught:
        database_url("mysql://clerk:s3cret@db.local/cases")
    assert "s3cret" not in str(caught.value) and "only SQLite and PostgreSQL" in str(caught.value)


def test_an_unreachable_server_is_an_error_that_hides_the_password() -> None:
    with pytest.raises(TrackingError) as caught:
        Store.open("postgresql://clerk:s3cret@127.0.0.1:1/cases?connect_timeout=2")
    assert caught.value.code == "database-unavailable"
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_the_default_database_is_the_environment_s_else_a_file_in_the_data_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BIZROUTE_DB", "postgresql://hall@db/cases")
    assert default_url() == "postgresql://hall@db/cases"
    monkeypatch.delenv("BIZROUTE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == str(tmp_path / "bizroute" / "cases.sqlite")
    store = Store.open(None)  # the directory is made on first use
    store.close()
    assert (tmp_path / "bizroute" / "cases.sqlite").is_file()


# --- several counter processes at once

PROCESSES = 4
DOCUMENTS = 15  # events per case per process
CASES = ("C-0", "C-1", "C-2")


def _writer_files(tmp_path: Path, p: int) -> tuple[Path, Path]:
    decisions = tmp_path / "decisions.jsonl"
    events = tmp_path / f"events-{p}.jsonl"
    lines = []
    for c, case in enumerate(CASES):
        for k in range(DOCUMENTS):
            lines.append({"id": f"p{p}-c{c}-{k}", "case": case, "event": "documents_received",
                          "at": f"2025-10-09T09:{k:02d}:{p:02d}", "documents": [f"doc_{k}"]})
    # every process says it started the survey of C-0: one of them is first, the others are
    # refused because the step was already started
    lines.insert(DOCUMENTS // 2, {"case": "C-0", "event": "step_started", "step": "survey",
                                  "at": "2025-09-28T09:00", "person": f"clerk-{p}"})
    events.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                      encoding="utf-8")
    return decisions, events


def test_several_processes_write_at_once_and_nothing_is_lost_or_doubled(
        tracking_db: str, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("".join(json.dumps(decision("hv_single", c), ensure_ascii=False)
                                 + "\n" for c in CASES), encoding="utf-8")
    Store.open(tracking_db).close()  # made before; a migration race is tested below
    env = {**os.environ, "BIZROUTE_DB": tracking_db, "PYTHONPATH": str(ROOT / "src")}
    script = ("{py} -m bizroute track add {dec} --format jsonl --at {later} && "
              "{py} -m bizroute track event {ev} --format jsonl --at {later}")
    procs = []
    for p in range(PROCESSES):
        _, events = _writer_files(tmp_path, p)
        command = script.format(py=sys.executable, dec=decisions, ev=events, later=LATER)
        procs.append(subprocess.Popen(["sh", "-c", command], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err  # 1: a refused event, nothing worse
        assert "Traceback" not in err and "locked" not in err, err
        results.extend(json.loads(line) for line in out.splitlines())
    opened = [r for r in results if r["outcome"] in ("opened", "unchanged")]
    assert sorted(r["case"] for r in opened if r["outcome"] == "opened") == list(CASES)
    assert len(opened) == PROCESSES * len(CASES)
    starts = [r for r in results if r["case"] == "C-0" and r.get("code") == "already-started"]
    assert len(starts) == PROCESSES - 1
    assert len([r for r in results if r["outcome"] == "error"]) == PROCESSES - 1
    with Tracker.open(tracking_db) as t:
        for case in CASES:
            events = t.events(case)
            extra = 1 if case == "C-0" else 0
            assert [e.seq for e in events] == list(range(1, PROCESSES * DOCUMENTS + extra + 1))
            assert len({e.id for e in events}) == len(events)
            assert t.store.case(case).event_count == len(events)  # type: ignore[union-attr]
        (survey,) = [e for e in t.events("C-0") if e.kind == "step_started"]
        recorded = [r for r in results if r["case"] == "C-0" and r["outcome"] == "recorded"
                    and r["seq"] == survey.seq]
        assert len(recorded) == 1


def test_several_processes_opening_a_new_database_at_once_migrate_it_once(
        tracking_db: str) -> None:
    code = ("import sys; from bizroute.tracking.store import Store; "
            "s = Store.open(sys.argv[1]); print(s.version()); s.close()")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [subprocess.Popen([sys.executable, "-c", code, tracking_db], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(PROCESSES)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == str(SCHEMA_VERSION)
    store = Store.open(tracking_db)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version FROM bizroute_schema")).all()
        assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    finally:
        store.close()
