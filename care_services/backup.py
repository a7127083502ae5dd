"""Backup and restore of the whole database, portable between SQLite and PostgreSQL.

A backup is a zip: ``manifest.json`` (format, schema revision, time, rows and SHA-256 per table) and one JSON-lines
file per table. It is read from one consistent snapshot: SQLite's online backup API copies the file first (so a
running web app may keep writing), PostgreSQL reads in one REPEATABLE READ transaction.

Restore checks every file against the manifest before touching the database, then in one transaction builds the
schema of the backup's revision, inserts every row, and migrates to the newest revision: a failed restore leaves
the database as it was. It refuses a database that holds data unless told to replace it.

The backup holds personal data (names, ID numbers, bank accounts): keep it as carefully as the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, MetaData, Numeric, Table, event, func, select, text
from sqlalchemy.engine import Connection, Engine

from care_services.db import _alembic_config, make_engine

FORMAT = "carecalc-backup"
FORMAT_VERSION = 1
SKIPPED_TABLES = {"alembic_version"}
SEEDED_TABLES = {"audit_chain_head"}  # one row the migrations insert (care_services.audit)


class BackupError(ValueError):
    """A file that is not a usable backup, or a database that cannot take it; bilingual."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def _dump(connection: Connection, archive: zipfile.ZipFile, progress: Callable[[str], None]) -> dict:
    tables = {}
    for table in _tables(connection):
        buffer = io.StringIO()
        rows = 0
        for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings():
            buffer.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
            rows += 1
        data = buffer.getvalue().encode("utf-8")
        archive.writestr(f"tables/{table.name}.jsonl", data)
        tables[table.name] = {"rows": rows, "sha256": hashlib.sha256(data).hexdigest()}
        progress(f"{table.name}: {rows}")
    return tables


def backup(engine: Engine, path: Path | str, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Write a backup of ``engine``'s database to ``path``; returns the manifest."""
    path = Path(path)
    with tempfile.TemporaryDirectory() as scratch:
        source = engine
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            copy = Path(scratch) / "snapshot.sqlite3"
            with sqlite3.connect(engine.url.database) as live, sqlite3.connect(copy) as target:
                live.backup(target)
            source = make_engine(f"sqlite:///{copy}")
        partial = path.with_name(path.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with source.connect() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    revision = current_revision_of(connection)
                    tables = _dump(connection, archive, progress)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision,
                        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        "dialect": engine.dialect.name, "tables": tables}
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        if source is not engine:
            source.dispose()
        partial.replace(path)  # a backup file exists only complete
    return manifest


def current_revision_of(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# ------------------------------------------------------------------------------------------------ restore


def read_backup(path: Path | str) -> tuple[dict, dict[str, list[dict]]]:
    """The manifest and every table's rows, each file checked against the manifest."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupError(f"不是carecalc备份文件（{error}）", f"not a carecalc backup ({error})") from None
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except (KeyError, ValueError):
            raise BackupError("备份文件缺少有效的manifest.json", "the backup has no valid manifest.json") from None
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError("备份文件格式不受支持", "unsupported backup format")
        rows = {}
        for name, entry in manifest["tables"].items():
            try:
                data = archive.read(f"tables/{name}.jsonl")
            except KeyError:
                raise BackupError(f"备份文件缺少表{name}", f"the backup lacks table {name}") from None
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise BackupError(f"表{name}的数据已损坏（校验值不符）", f"table {name} is corrupt (checksum mismatch)")
            rows[name] = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
            if len(rows[name]) != entry["rows"]:
                raise BackupError(f"表{name}的行数与清单不符", f"table {name} has the wrong number of rows")
    return manifest, rows


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from care_services.db import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    return {revision.revision for revision in script.walk_revisions()}


def _holds_data(engine: Engine) -> bool:
    with engine.connect() as connection:
        return any(connection.execute(select(func.count()).select_from(table)).scalar() for table in _tables(connection)
                   if table.name not in SEEDED_TABLES)


def _convert(table: Table, row: dict) -> dict:
    converted = {}
    for name, value in row.items():
        column_type = table.columns[name].type
        if value is not None and isinstance(column_type, DateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column_type, Date):
            value = dt.date.fromisoformat(value)
        elif value is not None and isinstance(column_type, Numeric) and isinstance(value, str):
            value = decimal.Decimal(value)
        converted[name] = value
    return converted


def _parents_first(table: Table, rows: list[dict]) -> Iterator[dict]:
    """Rows of a table that refers to itself (divisions → parent), each after the row it points at."""
    links = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table.name == table.name]
    if not links:
        yield from rows
        return
    done = {key: set() for _, key in links}
    pending = rows
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] in done[k] or r[c] == r[k] for c, k in links)]
        if not ready:  # a cycle or a dangling reference: let the database say which
            yield from pending
            return
        for row in ready:
            for _, key in links:
                done[key].add(row[key])
            yield row
        chosen = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in chosen]


def restore(engine: Engine, path: Path | str, *, replace: bool = False,
            progress: Callable[[str], None] = lambda _: None) -> dict:
    """Restore a backup into ``engine``'s database (one transaction); returns the manifest."""
    from alembic import command

    manifest, rows = read_backup(path)
    if manifest["revision"] not in _known_revisions():
        raise BackupError(f"备份来自更新版本的carecalc（结构版本{manifest['revision']}），请先升级",
                          f"the backup comes from a newer carecalc (revision {manifest['revision']}); upgrade first")
    if not replace and _holds_data(engine):
        raise BackupError("目标数据库已有数据；确认覆盖请加 --replace", "the database holds data; add --replace to overwrite it")
    strict = _one_transaction(engine)
    with strict.begin() as connection:
        existing = MetaData()
        existing.reflect(connection)
        existing.drop_all(connection)
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP FUNCTION IF EXISTS carecalc_append_only() CASCADE"))
        config = _alembic_config(connection)
        command.upgrade(config, manifest["revision"])
        for table in _tables(connection):
            ordered = list(_parents_first(table, [_convert(table, row) for row in rows.get(table.name, [])]))
            if table.name in SEEDED_TABLES:  # the migration made its row: take the backup's values into it
                for row in ordered:
                    keys = {c.name: row[c.name] for c in table.primary_key.columns}
                    connection.execute(table.update().filter_by(**keys).values(row))
                ordered = []
            for start in range(0, len(ordered), 1000):
                connection.execute(table.insert(), ordered[start:start + 1000])
            progress(f"{table.name}: {len(ordered)}")
            if connection.dialect.name == "postgresql" and ordered:
                _advance_sequences(connection, table)
        command.upgrade(config, "head")
    if strict is not engine:
        strict.dispose()
    return manifest


def _one_transaction(engine: Engine) -> Engine:
    """An engine on the same database whose transactions also cover DDL.

    Python's sqlite3 module opens a transaction only before INSERT/UPDATE/DELETE, so DROP and CREATE would commit
    one by one; SQLAlchemy's documented remedy is to switch that off and emit BEGIN ourselves.
    """
    if engine.dialect.name != "sqlite":
        return engine
    strict = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(strict, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(strict, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return strict


def _advance_sequences(connection: Connection, table: Table) -> None:
    """Rows came with their ids: move PostgreSQL's id sequences past them, or the next insert would collide."""
    for column in table.primary_key.columns:
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if sequence:
            connection.execute(text(f"SELECT setval('{sequence}', (SELECT MAX({column.name}) FROM {table.name}))"))
