"""Where cases and events are kept: SQLite by default, PostgreSQL for a hall or a city.

Both go through SQLAlchemy Core, one set of table definitions and one set of statements. The
schema (docs/tracking.md, "Database") is created and upgraded by :data:`MIGRATIONS`, applied
in order when a store is opened; the version reached is kept in ``bizroute_schema``.

Several counter processes may write at once:

* SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout, and every
  write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock before it reads
  the events it checks the new one against, so two writers cannot both check against the same
  state. ``synchronous=FULL``: a recorded event survives a power cut.
* PostgreSQL locks the case's row (``SELECT ... FOR UPDATE``) for the same read-check-write,
  and migrations run under an advisory lock.

An event is checked and stored in one transaction, so it is either recorded whole or not at
all.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError

from ..errors import TrackingError
from .model import Event, now

#: The environment variable that names the database when ``--db`` is not given.
DB_ENV = "BIZROUTE_DB"
_BUSY_TIMEOUT_S = 60.0  # how long a SQLite writer waits for another one to finish
_PG_MIGRATION_LOCK = 0x62697A72  # "bizr": the advisory lock key of migrations

metadata = sa.MetaData()

schema_table = sa.Table(
    "bizroute_schema", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

cases_table = sa.Table(
    "bizroute_cases", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("workflow", sa.String(100), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # open, closed, withdrawn
    sa.Column("ended_at", sa.DateTime),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("event_count", sa.Integer, nullable=False),
    sa.Column("pack", sa.String(200), nullable=False),  # id@version of the deciding pack
    sa.Column("decision", sa.JSON, nullable=False),  # the decision's JSON form, with its plan
    sa.Index("bizroute_cases_state", "state", "received_at"),
    sa.Index("bizroute_cases_category", "category"),
)

events_table = sa.Table(
    "bizroute_events", metadata,
    sa.Column("case_id", sa.String(200), sa.ForeignKey("bizroute_cases.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("step", sa.String(200)),
    sa.Column("department", sa.String(200)),
    sa.Column("person", sa.String(2000)),
    sa.Column("reason", sa.String(200)),
    sa.Column("documents", sa.JSON, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("case_id", "event_id", name="bizroute_events_event_id"),
    sa.Index("bizroute_events_at", "case_id", "at"),
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1(conn: Connection) -> None:
    for table in (cases_table, events_table):
        table.create(conn)


#: The schema's history, oldest first. A new version appends a migration; none is edited.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "cases and their events", _v1),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

AddOutcome = Literal["opened", "unchanged"]
RecordOutcome = Literal["recorded", "duplicate"]


@dataclass(frozen=True, slots=True)
class StoredCase:
    """A case's row: its decision (with the plan) and bookkeeping."""

    id: str
    decision: dict[str, Any]
    state: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    event_count: int


def default_url() -> str:
    """``$BIZROUTE_DB``, else a SQLite file in the user's data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "bizroute" / "cases.sqlite")


def database_url(target: str | None) -> URL:
    """A SQLAlchemy URL from what a user gives: a URL, or a path to a SQLite file."""
    target = target or default_url()
    if "://" not in target:
        path = Path(target).expanduser()
        return URL.create("sqlite", database=str(path))
    try:
        url = make_url(target)
    except ArgumentError:
        raise TrackingError("bad-database", f"{_safe(target)} is not a database URL "
                            "(sqlite:///PATH or postgresql://USER@HOST/DB) nor a "
                            "file path") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if not (url.drivername.startswith("sqlite") or url.drivername.startswith("postgresql")):
        raise TrackingError("bad-database", f"{url.render_as_string(hide_password=True)}: "
                            "only SQLite and PostgreSQL are supported")
    return url


def _safe(target: str) -> str:
    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return "the --db value"


class Store:
    """Cases and events in a database (see the module docs)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.shown = engine.url.render_as_string(hide_password=True)
        self._writer = engine.execution_options(bizroute_write=True)

    @classmethod
    def open(cls, target: str | None = None, *, migrate: bool = True) -> Store:
        """Open (and create, then upgrade to :data:`SCHEMA_VERSION`) the database."""
        url = database_url(target)
        shown = url.render_as_string(hide_password=True)
        try:
            if url.drivername.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True)
        except (NoSuchModuleError, ModuleNotFoundError, ImportError):
            raise TrackingError("bad-database", f"{shown}: PostgreSQL needs the psycopg "
                                "package: pip install 'bizroute[postgresql]'") from None
        store = cls(engine)
        try:
            if migrate:
                store.migrate()
            else:
                store.check_version()
        except DBAPIError as exc:
            engine.dispose()
            raise TrackingError("database-unavailable", f"{shown}: cannot use the database "
                                f"({_first_line(exc)})") from None
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    # --- schema

    def version(self) -> int:
        with self.engine.connect() as conn:
            return _version(conn)

    def check_version(self) -> None:
        found = self.version()
        if found != SCHEMA_VERSION:
            raise TrackingError("schema-version", f"{self.shown}: the database is at schema "
                                f"version {found}, this bizroute uses {SCHEMA_VERSION}")

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
        """Apply the migrations the database lacks, in one transaction; the versions applied.

        Safe when several processes open a new database at once: the first one migrates
        under a lock, the others then find nothing to do.
        """
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            schema_table.create(conn, checkfirst=True)
            current = _version(conn)
            latest = migrations[-1].version if migrations else 0
            if current > latest:
                raise TrackingError("schema-version", f"{self.shown}: the database is at "
                                    f"schema version {current}, newer than this bizroute "
                                    f"({latest}); upgrade bizroute")
            applied = []
            for m in migrations:
                if m.version > current:
                    m.apply(conn)
                    conn.execute(schema_table.insert().values(
                        version=m.version, description=m.description, applied_at=now()))
                    applied.append(m.version)
            return applied

    # --- transactions

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # --- cases

    def add_case(self, case_id: str, decision: dict[str, Any], *, category: str,
                 workflow: str, received_at: dt.datetime, pack: str) -> AddOutcome:
        """Store a new case; ``unchanged`` if the same decision is already stored."""
        moment = now()
        try:
            with self._write() as conn:
                existing = conn.execute(sa.select(cases_table.c.decision).where(
                    cases_table.c.id == case_id)).first()
                if existing is None:
                    conn.execute(cases_table.insert().values(
                        id=case_id, category=category, workflow=workflow,
                        received_at=received_at, state="open", ended_at=None,
                        opened_at=moment, updated_at=moment, event_count=0, pack=pack,
                        decision=decision))
                    return "opened"
        except IntegrityError:  # opened by another process between our look and our insert
            with self._read() as conn:
                existing = conn.execute(sa.select(cases_table.c.decision).where(
                    cases_table.c.id == case_id)).first()
        if existing is not None and existing[0] == decision:
            return "unchanged"
        raise TrackingError("case-exists", f"case {case_id!r} is already open with another "
                            "decision; a case is opened once (its plan is the promise made "
                            "at intake)", case=case_id)

    def case(self, case_id: str) -> StoredCase | None:
        with self._read() as conn:
            row = conn.execute(sa.select(cases_table).where(
                cases_table.c.id == case_id)).first()
        return None if row is None else _stored(row)

    def record(self, case_id: str, event: Event,
               check: Callable[[list[Event]], None]) -> tuple[RecordOutcome, int]:
        """Check ``event`` against the case's events, then store it; one transaction.

        ``check`` raises :class:`TrackingError` to refuse the event. Returns ``recorded`` and
        the event's sequence number, or ``duplicate`` and the number of the event already
        stored under the same id with the same content.
        """
        with self._write() as conn:
            # the case's row is the lock (its decision is not read: the caller has the case)
            query = sa.select(cases_table.c.id).where(cases_table.c.id == case_id)
            if self.dialect == "postgresql":
                query = query.with_for_update()
            if conn.execute(query).first() is None:
                raise TrackingError("unknown-case", f"{event.describe()}: no case {case_id!r}"
                                    " (open it with `bizroute track add` first)", case=case_id)
            events = _events(conn, case_id)
            same = next((e for e in events if e.id == event.id), None)
            if same is not None:
                if same.same_content(event):
                    return "duplicate", same.seq
                raise TrackingError("event-id-reused", f"{event.describe()}: event id "
                                    f"{event.id!r} was already used for {same.describe()}",
                                    case=case_id)
            check(events)
            seq = max((e.seq for e in events), default=0) + 1
            moment = now()
            conn.execute(events_table.insert().values(
                case_id=case_id, seq=seq, event_id=event.id, kind=event.kind, at=event.at,
                step=event.step, department=event.department, person=event.person,
                reason=event.reason, documents=list(event.documents), note=event.note,
                recorded_at=moment))
            changes: dict[str, Any] = {"updated_at": moment, "event_count": len(events) + 1}
            if event.kind in ("case_closed", "case_withdrawn"):
                changes["state"] = "closed" if event.kind == "case_closed" else "withdrawn"
                changes["ended_at"] = event.at
            conn.execute(cases_table.update().where(cases_table.c.id == case_id)
                         .values(**changes))
            return "recorded", seq

    def events(self, case_id: str) -> list[Event]:
        with self._read() as conn:
            return _events(conn, case_id)

    def cases(self, *, open_at: dt.datetime | None = None, batch: int = 500,
              ) -> Iterator[tuple[StoredCase, list[Event]]]:
        """Every case with its events, in id order, read in batches so that a city's cases
        need not fit in memory at once; ``open_at``: only the cases open at that moment
        (received by then, and not closed or withdrawn before it)."""
        c = cases_table.c
        after: str | None = None
        while True:
            with self._read() as conn:
                query = sa.select(cases_table).order_by(c.id).limit(batch)
                if open_at is not None:
                    query = query.where(c.received_at <= open_at,
                                        sa.or_(c.state == "open", c.ended_at > open_at))
                if after is not None:
                    query = query.where(c.id > after)
                rows = [_stored(r) for r in conn.execute(query)]
                if not rows:
                    return
                ids = [r.id for r in rows]
                by_case: dict[str, list[Event]] = {i: [] for i in ids}
                for e in _event_rows(conn, events_table.c.case_id.in_(ids)):
                    by_case[e.case].append(e)
            for r in rows:
                yield r, by_case[r.id]
            after = rows[-1].id


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_S})

    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy's recipe: the driver's own transaction handling is turned off and the
        # BEGIN below is the only one, so a write transaction can take the lock at its start
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("bizroute_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table(schema_table.name):
        return 0
    found = conn.execute(sa.select(sa.func.max(schema_table.c.version))).scalar()
    return int(found or 0)


def _stored(row: Any) -> StoredCase:
    return StoredCase(row.id, dict(row.decision), row.state, row.opened_at, row.updated_at,
                      row.event_count)


def _events(conn: Connection, case_id: str) -> list[Event]:
    return list(_event_rows(conn, events_table.c.case_id == case_id))


def _event_rows(conn: Connection, where: Any) -> Iterator[Event]:
    t = events_table
    query = sa.select(t).where(where).order_by(t.c.case_id, t.c.seq)
    for r in conn.execute(query):
        yield Event(r.case_id, r.kind, r.at, r.step, r.department, r.person, r.reason,
                    tuple(r.documents or ()), r.note, r.event_id, r.seq, r.recorded_at)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
