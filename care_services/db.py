"""Database access: any SQLAlchemy URL, the embedded SQLite file by default."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from care_services.db_url import DATABASE_URL_VARIABLE, DEFAULT_DATABASE_PATH, database_url  # noqa: F401
from care_services.model import Base


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), or make it so; SQLite gives its journal and WAL files the
    database file's mode, so they are private too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except PermissionError:  # somebody else's file (a read-only copy): leave it as it is
        pass


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    # hide_parameters: a database error names the statement, never the values (ID numbers, names) it carried
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))
        engine = create_engine(url, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised through every test
            # SQLite ignores foreign keys unless asked; the other databases enforce them anyway.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_engine(url, hide_parameters=True)
    if parsed.get_backend_name() == "postgresql":
        @event.listens_for(engine, "connect")
        def _lock_timeout(dbapi_connection, _record):  # pragma: no cover - exercised by the PostgreSQL runs
            # A change waits for another's row lock at most as long as SQLite's busy wait, then fails with
            # lock_not_available (55P03): the web answers 503 "try again" (web/errors.py) rather than hanging a
            # request thread on a lock held by a stuck session. SET is transactional in PostgreSQL: committed here.
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET lock_timeout = {lock_timeout_ms():d}")
            cursor.close()
            dbapi_connection.commit()
    return engine


LOCK_TIMEOUT_VARIABLE = "CARECALC_LOCK_TIMEOUT_MS"


def lock_timeout_ms() -> int:
    """Milliseconds a PostgreSQL statement waits for a lock ($CARECALC_LOCK_TIMEOUT_MS, default 5000: SQLite's own
    busy wait); 0 waits for ever, as PostgreSQL does by default."""
    try:
        return max(0, int(os.environ.get(LOCK_TIMEOUT_VARIABLE, "5000")))
    except ValueError:
        return 5000


class SchemaMismatch(RuntimeError):
    """The database was made by another version of carecalc."""


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"  # the schema carecalc made with create_all before migrations existed


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def init_db(engine: Engine) -> str | None:
    """Bring the schema to the newest migration (Alembic); returns the revision.

    A database made before migrations existed (tables, no alembic_version) is adopted: if it has every column of
    the first revision it is stamped with it and upgraded from there; otherwise it is refused (SchemaMismatch).
    """
    from alembic import command

    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    with engine.begin() as connection:
        config = _alembic_config(connection)
        if tables and "alembic_version" not in tables:
            missing = [
                f"{table.name}.{column.name}"
                for table in Base.metadata.sorted_tables if table.name in tables
                for column in table.columns
                if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
            ]
            if missing:
                raise SchemaMismatch(
                    f"数据库结构与当前版本不一致（缺少列：{', '.join(missing)}）。请备份后删除数据库文件并重新运行 make run。"
                    f" / The database was made by another carecalc version (missing columns: {', '.join(missing)})."
                    " Back it up, remove it and run make run again."
                )
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
    return current_revision(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing half-written) on any error."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upsert(session: Session, model: type[Base], records: Iterable[dict]) -> int:
    """Insert or replace rows by primary key; returns how many were written."""
    count = 0
    for record in records:
        session.merge(model(**record))
        count += 1
    return count
