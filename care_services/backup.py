"""Backup and restore of the whole database, portable between SQLite and PostgreSQL.

A backup is a zip: ``manifest.json`` (format, schema revision, time, rows and SHA-256 per table), one JSON-lines file
per table, and ``signature.json``: HMAC-SHA256 of the manifest (which holds every table's checksum) with the
instance's backup key (``instance/backup.key``, made on first use, 0600; or a key file the administrator passes). It
is read from one consistent snapshot: SQLite's online backup API copies the file first (so a running web app may
keep writing), PostgreSQL reads in one REPEATABLE READ transaction. The file is created 0600.

Restore refuses an unsigned file, or one signed with another key, unless told to trust it: checksums alone prove
nothing, since whoever rewrites a table can recompute them. It checks every file against the manifest and every row
against the schema of the backup's revision (known tables and columns, real dates) and then, in one transaction,
builds that schema, inserts every row, migrates to the newest revision and verifies the audit trail's hash chain: a
backup whose audit entries were rewritten is refused, and any refusal leaves the database as it was. It refuses a
database that holds data unless told to replace it. Every refusal is a BackupError in Chinese and English.

The backup holds personal data (names, ID numbers, bank accounts): keep it as carefully as the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, MetaData, Numeric, Table, event, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, StatementError

from care_services.db import _alembic_config, make_engine
from care_services.upload_limits import MB, UploadLimits, UploadTooLarge, check_sizes

FORMAT = "carecalc-backup"
FORMAT_VERSION = 1
SKIPPED_TABLES = {"alembic_version"}
SEEDED_TABLES = {"audit_chain_head"}  # one row the migrations insert (care_services.audit)
SIGNATURE = "signature.json"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
KEY_FILE_VARIABLE = "CARECALC_BACKUP_KEY_FILE"
DEFAULT_KEY_FILE = Path("instance") / "backup.key"
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# What a restore inflates, checked on the zip's directory before any part is read (OWASP ASVS 12.1.3): one table's
# JSON lines up to 2 GB, 8 GB in all, a part at most 1,000 times its packed size (JSON lines pack 10-20 times), and
# no more parts than a schema has tables. The sheet limits of UploadLimits do not apply to a backup.
RESTORE_LIMITS = UploadLimits(member_bytes=2048 * MB, total_bytes=8192 * MB, ratio=1000, rows=0, columns=0, cells=0,
                              members=1000)


class BackupError(ValueError):
    """A file that is not a usable backup, or a database that cannot take it; bilingual."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class RefusedByDatabase(BackupError):
    """The rows passed every check of the file, but the database refused them (a constraint); nothing restored."""


# ------------------------------------------------------------------------------------------------ the key


def key_file(path: Path | str | None = None) -> Path:
    """The backup key's file: the one given, else $CARECALC_BACKUP_KEY_FILE, else instance/backup.key."""
    return Path(path or os.environ.get(KEY_FILE_VARIABLE) or DEFAULT_KEY_FILE)


def load_key(path: Path | str | None = None, *, create: bool = False) -> bytes | None:
    """The key's bytes (None when there is none and ``create`` is false); a new key is 32 random bytes, 0600."""
    file = key_file(path)
    if not file.exists():
        if not create:
            return None
        file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
    try:
        key = file.read_bytes().strip()
    except OSError as error:
        raise BackupError(f"无法读取备份密钥文件{file}（{error.strerror}）", f"cannot read the key file {file} ({error.strerror})") from None
    if len(key) < 32:
        raise BackupError(f"备份密钥文件{file}过短（至少32字节）", f"the key file {file} is too short (32 bytes at least)")
    return key


def key_id(key: bytes) -> str:
    """A name for a key that reveals nothing of it: which key signed a backup."""
    return hashlib.sha256(b"carecalc-backup-key-id:" + key).hexdigest()[:16]


def _signature(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


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


def backup(engine: Engine, path: Path | str, progress: Callable[[str], None] = lambda _: None, *,
           key: bytes | None = None) -> dict:
    """Write a backup of ``engine``'s database to ``path``, signed with ``key`` (default: the instance's backup key,
    made if missing); returns the manifest."""
    path = Path(path)
    key = key or load_key(create=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = engine
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            copy = Path(scratch) / "snapshot.sqlite3"
            with sqlite3.connect(engine.url.database) as live, sqlite3.connect(copy) as target:
                live.backup(target)
            source = make_engine(f"sqlite:///{copy}")
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: owner only
        with os.fdopen(descriptor, "wb") as file, zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with source.connect() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    revision = current_revision_of(connection)
                    tables = _dump(connection, archive, progress)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision,
                        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        "dialect": engine.dialect.name, "tables": tables}
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            archive.writestr("manifest.json", manifest_bytes)
            archive.writestr(SIGNATURE, json.dumps({"algorithm": SIGNATURE_ALGORITHM, "key_id": key_id(key),
                                                    "signature": _signature(key, manifest_bytes)}))
        if source is not engine:
            source.dispose()
        partial.replace(path)  # a backup file exists only complete
    return manifest


def current_revision_of(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# ------------------------------------------------------------------------------------------------ restore


def read_backup(path: Path | str, *, key: bytes | None = None, trust_unsigned: bool = False,
                limits: UploadLimits = RESTORE_LIMITS) -> tuple[dict, dict[str, list[dict]]]:
    """The manifest and every table's rows: the zip's declared sizes held to ``limits`` (nothing is inflated
    before), the signature checked (unless trusted), then the manifest's form, then each file against the manifest. Raises BackupError saying what is wrong."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise BackupError(f"不是有效的zip备份文件（{error}）", f"not a valid zip backup file ({error})") from None
    with archive:
        try:
            check_sizes(archive, limits, ("备份文件", "the backup"))
        except UploadTooLarge as error:
            raise BackupError(error.reason_zh, error.reason_en) from None
        try:
            manifest_bytes = _member(archive, "manifest.json")
        except KeyError:
            raise BackupError("备份文件缺少manifest.json", "the backup has no manifest.json") from None
        signed = _check_signature(archive, manifest_bytes, key, trust_unsigned)
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError:
            raise BackupError("备份文件的manifest.json不是有效的JSON", "the backup's manifest.json is not valid JSON") from None
        _check_manifest(manifest)
        manifest["signed"] = signed
        rows = {}
        for name, entry in manifest["tables"].items():
            try:
                data = _member(archive, f"tables/{name}.jsonl")
            except KeyError:
                raise BackupError(f"备份文件缺少表{name}", f"the backup lacks table {name}") from None
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise BackupError(f"表{name}的数据已损坏（校验值不符）", f"table {name} is corrupt (checksum mismatch)")
            rows[name] = _rows(name, data)
            if len(rows[name]) != entry["rows"]:
                raise BackupError(f"表{name}的行数与清单不符", f"table {name} has the wrong number of rows")
    return manifest, rows


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
        raise BackupError(f"备份文件中的{name}无法读取（{error}）", f"{name} in the backup cannot be read ({error})") from None


def _check_signature(archive: zipfile.ZipFile, manifest: bytes, key: bytes | None, trust_unsigned: bool) -> bool:
    """Whether the manifest carries a valid signature of ``key``; refuses when not, unless ``trust_unsigned``."""
    hint_zh, hint_en = "确认来源可信时可加 --trust-unsigned 恢复", "add --trust-unsigned only if you trust where it came from"
    try:
        signature = json.loads(_member(archive, SIGNATURE))
        if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
            raise ValueError
    except KeyError:
        if trust_unsigned:
            return False
        raise BackupError(f"备份文件未签名，不予恢复；{hint_zh}", f"the backup is not signed and is not restored; {hint_en}") from None
    except ValueError:
        if trust_unsigned:
            return False
        raise BackupError(f"备份文件的签名无法读取，不予恢复；{hint_zh}",
                          f"the backup's signature cannot be read; it is not restored; {hint_en}") from None
    if key is None:
        if trust_unsigned:
            return False
        raise BackupError("没有可用于核对签名的备份密钥（instance/backup.key），请用 --key-file 指定签名时所用的密钥",
                          "no backup key to check the signature with (instance/backup.key): pass the signing key with --key-file")
    if not hmac.compare_digest(str(signature.get("signature", "")), _signature(key, manifest)):
        if trust_unsigned:
            return False
        if signature.get("key_id") != key_id(key):
            raise BackupError(f"备份文件由另一密钥签名（密钥标识{signature.get('key_id')}，本实例为{key_id(key)}），不予恢复；"
                              f"请用 --key-file 指定签名时所用的密钥",
                              f"the backup was signed with another key (key id {signature.get('key_id')}, this "
                              f"instance's is {key_id(key)}); pass the signing key with --key-file")
        raise BackupError(f"备份文件签名不符：备份在签名后被改动，不予恢复；{hint_zh}",
                          f"the backup's signature does not match: it was changed after signing and is not restored; {hint_en}")
    return True


def _check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise BackupError("manifest.json应为一个对象", "manifest.json must be an object")
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("备份文件格式不受支持", "unsupported backup format")
    revision = manifest.get("revision")
    if not isinstance(revision, str) or not revision:
        raise BackupError("manifest.json缺少结构版本（revision）", "manifest.json has no schema revision (revision)")
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise BackupError("manifest.json中的tables应为“表名→行数和校验值”的对象", "manifest.json's tables must map each table to its rows and checksum")
    for name, entry in tables.items():
        if not TABLE_NAME.match(name):
            raise BackupError(f"manifest.json中的表名{name!r}无效", f"manifest.json names an invalid table {name!r}")
        if (not isinstance(entry, dict) or not isinstance(entry.get("rows"), int) or isinstance(entry.get("rows"), bool)
                or entry["rows"] < 0 or not isinstance(entry.get("sha256"), str)):
            raise BackupError(f"manifest.json中表{name}的行数或校验值无效", f"manifest.json: table {name} needs rows (a count) and sha256")


def _rows(name: str, data: bytes) -> list[dict]:
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise BackupError(f"表{name}不是UTF-8文本", f"table {name} is not UTF-8 text") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            raise BackupError(f"表{name}第{number}行不是有效的JSON对象", f"table {name}, line {number}: not a JSON object")
        rows.append(row)
    return rows


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from care_services.db import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    return {revision.revision for revision in script.walk_revisions()}


def _holds_data(engine: Engine) -> bool:
    with engine.connect() as connection:
        return any(connection.execute(select(func.count()).select_from(table)).scalar() for table in _tables(connection)
                   if table.name not in SEEDED_TABLES)


def _convert(table: Table, row: dict, number: int) -> dict:
    """A row of the file as the database takes it; an unknown column or a value that is no date refused."""
    unknown = sorted(set(row) - set(table.columns.keys()))
    if unknown:
        raise BackupError(f"表{table.name}第{number}行有未知的列：{'、'.join(unknown)}",
                          f"table {table.name}, row {number}: unknown column(s) {', '.join(unknown)}")
    converted = {}
    for name, value in row.items():
        column_type = table.columns[name].type
        try:
            if value is not None and isinstance(column_type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif value is not None and isinstance(column_type, Date):
                value = dt.date.fromisoformat(value)
            elif value is not None and isinstance(column_type, Numeric) and isinstance(value, str):
                value = decimal.Decimal(value)
        except (TypeError, ValueError, decimal.InvalidOperation):
            raise BackupError(f"表{table.name}第{number}行列{name}的值{str(value)[:40]!r}不是有效的日期、时间或数值",
                              f"table {table.name}, row {number}, column {name}: {str(value)[:40]!r} is not a valid "
                              "date, time or number") from None
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
        ready = [r for r in pending if all(r.get(c) is None or r.get(c) in done[k] or r.get(c) == r.get(k) for c, k in links)]
        if not ready:  # a cycle or a dangling reference: let the database say which
            yield from pending
            return
        for row in ready:
            for _, key in links:
                done[key].add(row.get(key))
            yield row
        chosen = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in chosen]


def restore(engine: Engine, path: Path | str, *, replace: bool = False, key: bytes | None = None,
            trust_unsigned: bool = False, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Restore a backup into ``engine``'s database (one transaction); returns the manifest. ``key``: the key it was
    signed with (default: the instance's backup key)."""
    try:
        return _restore(engine, path, replace=replace, key=key or load_key(), trust_unsigned=trust_unsigned,
                        progress=progress)
    except (DBAPIError, StatementError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]  # no row values: personal data
        raise RefusedByDatabase(f"数据库拒绝了备份中的数据，未作任何恢复（{reason}）",
                                f"the database refused the backup's rows; nothing was restored ({reason})") from None


def _restore(engine: Engine, path: Path | str, *, replace: bool, key: bytes | None, trust_unsigned: bool,
             progress: Callable[[str], None]) -> dict:
    from alembic import command

    from care_services import audit

    manifest, rows = read_backup(path, key=key, trust_unsigned=trust_unsigned)
    if manifest["revision"] not in _known_revisions():
        raise BackupError(f"备份来自更新版本的carecalc（结构版本{manifest['revision']}），请先升级",
                          f"the backup comes from a newer carecalc (revision {manifest['revision']}); upgrade first")
    if not replace and _holds_data(engine):
        raise BackupError("目标数据库已有数据；确认覆盖请加 --replace", "the database holds data; add --replace to overwrite it")
    strict = _one_transaction(engine)
    try:
        with strict.begin() as connection:
            existing = MetaData()
            existing.reflect(connection)
            existing.drop_all(connection)
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP FUNCTION IF EXISTS carecalc_append_only() CASCADE"))
            config = _alembic_config(connection)
            command.upgrade(config, manifest["revision"])
            tables = _tables(connection)
            unknown = sorted(set(rows) - {table.name for table in tables})
            if unknown:
                raise BackupError(f"备份中有结构版本{manifest['revision']}没有的表：{'、'.join(unknown)}",
                                  f"the backup has tables revision {manifest['revision']} does not: {', '.join(unknown)}")
            for table in tables:
                converted = [_convert(table, row, number) for number, row in enumerate(rows.get(table.name, []), start=1)]
                ordered = list(_parents_first(table, converted))
                if table.name in SEEDED_TABLES:  # the migration made its row: take the backup's values into it
                    for row in ordered:
                        keys = {c.name: row.get(c.name) for c in table.primary_key.columns}
                        connection.execute(table.update().filter_by(**keys).values(row))
                    ordered = []
                for start in range(0, len(ordered), 1000):
                    connection.execute(table.insert(), ordered[start:start + 1000])
                progress(f"{table.name}: {len(ordered)}")
                if connection.dialect.name == "postgresql" and ordered:
                    _advance_sequences(connection, table)
            command.upgrade(config, "head")
            chain = audit.verify(connection)
            if not chain.intact:  # raising here rolls the whole restore back
                raise BackupError(f"备份中的审计日志校验失败，未作任何恢复：{chain.problem.zh}",
                                  f"the backup's audit trail does not verify; nothing was restored: {chain.problem.en}")
            progress(f"audit_log: {chain.entries}（审计日志校验通过 / the audit chain verifies）")
    finally:
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
