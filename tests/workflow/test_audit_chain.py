"""The audit trail is a hash chain: a rewritten, removed or inserted entry is found and named; REPLACE INTO and
re-inserts are refused by the database; appends racing in threads still form one chain."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from care_services import audit
from care_services.cli import main
from care_services.db import session_scope
from care_services.model import AuditEntry
from tests.workflow.conftest import submit, walk


def _verify_cli(engine) -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = main(["--database", engine.url.render_as_string(hide_password=False), "audit", "verify"])
    return code, output.getvalue()


@contextlib.contextmanager
def _guards_lifted(engine):
    """What an insider with the database's owner rights can do: switch the append-only triggers off."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for name in ("audit_log_update_refused", "audit_log_delete_refused", "audit_log_reinsert_refused"):
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        yield connection


def _a_few_entries(engine) -> list[int]:
    case_id = submit(engine)
    walk(engine, case_id, until="approved")
    with engine.connect() as connection:
        return list(connection.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def test_an_intact_log_verifies_and_the_cli_says_so(county):
    ids = _a_few_entries(county)
    assert ids == list(range(1, len(ids) + 1))  # assigned one after the head: no gaps
    with county.connect() as connection:
        result = audit.verify(connection)
    assert result.intact and result.entries == len(ids)
    code, output = _verify_cli(county)
    assert code == 0 and "审计日志完整" in output and "intact" in output and result.head_hash in output


@pytest.mark.tampers_audit
def test_a_rewritten_entry_is_named(county):
    ids = _a_few_entries(county)
    with _guards_lifted(county) as connection:
        connection.execute(text("UPDATE audit_log SET username = 'nobody' WHERE id = :id"), {"id": ids[3]})
    code, output = _verify_cli(county)
    assert code == 1 and f"审计日志第{ids[3]}条的内容已被改写" in output and f"audit entry {ids[3]} was rewritten" in output


@pytest.mark.tampers_audit
def test_a_rewrite_with_its_hash_recomputed_is_found_by_the_next_entry(county):
    ids = _a_few_entries(county)
    with county.connect() as connection:
        row = connection.execute(select(AuditEntry.__table__).where(AuditEntry.id == ids[2])).mappings().one()
    forged = {**row, "reason": "forged"}
    forged_hash = audit.entry_hash(forged, row["previous_hash"])
    with _guards_lifted(county) as connection:
        connection.execute(text("UPDATE audit_log SET reason = 'forged', entry_hash = :h WHERE id = :id"),
                           {"h": forged_hash, "id": ids[2]})
    code, output = _verify_cli(county)
    assert code == 1 and f"audit entry {ids[2]} was rewritten or replaced" in output


@pytest.mark.tampers_audit
@pytest.mark.parametrize("position", ["middle", "last"])
def test_a_removed_entry_is_found(county, position):
    ids = _a_few_entries(county)
    removed = ids[2] if position == "middle" else ids[-1]
    with _guards_lifted(county) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": removed})
    code, output = _verify_cli(county)
    assert code == 1 and "removed" in output and "删除" in output
    with county.connect() as connection:
        problem = audit.verify(connection).problem
    assert problem.kind == "removed" and problem.entry_id == (ids[3] if position == "middle" else removed)


@pytest.mark.tampers_audit
def test_an_inserted_entry_is_found_even_with_a_valid_hash(county):
    ids = _a_few_entries(county)
    with county.connect() as connection:
        last = connection.execute(select(AuditEntry.__table__).where(AuditEntry.id == ids[-1])).mappings().one()
    planted = {name: None for name in audit.HASHED_FIELDS}
    planted.update(id=ids[-1] + 1, at=dt.datetime(2024, 3, 20, 8, 0), username="admin", entity="user",
                   entity_key="mallory", action="create_user")
    planted_hash = audit.entry_hash(planted, last["entry_hash"])
    with county.begin() as connection:  # an INSERT needs no lifted guard: it is the chain that shows it
        connection.execute(AuditEntry.__table__.insert().values(**planted, previous_hash=last["entry_hash"],
                                                                entry_hash=planted_hash))
    code, output = _verify_cli(county)
    assert code == 1 and f"audit entry {ids[-1] + 1} was inserted" in output and "插入" in output


def test_replace_and_reinserts_of_an_existing_id_are_refused(county):
    _a_few_entries(county)
    statements = ["INSERT INTO audit_log (id, at, username, entity, entity_key, action) "
                  "VALUES (1, '2024-01-01 00:00:00', 'x', 'case', '1', 'submit')"]
    if county.dialect.name == "sqlite":
        statements += [s.replace("INSERT INTO", variant) for s in statements[:1]
                       for variant in ("REPLACE INTO", "INSERT OR REPLACE INTO")]
    else:
        statements += [statements[0] + " ON CONFLICT (id) DO UPDATE SET username = 'x'"]
    for statement in statements:
        with pytest.raises(DBAPIError):
            with county.begin() as connection:
                connection.exec_driver_sql(statement)
    with county.connect() as connection:
        assert connection.scalar(select(AuditEntry.username).where(AuditEntry.id == 1)) != "x"
        assert audit.verify(connection).intact


def test_appends_racing_in_threads_form_one_chain(county):
    threads_count, each = 6, 5
    start = threading.Barrier(threads_count)
    failures = []

    def append(number: int) -> None:
        try:
            start.wait(timeout=30)
            for step in range(each):
                with session_scope(county) as session:
                    session.add(AuditEntry(username=f"t{number}", entity="test", entity_key=f"{number}/{step}",
                                           action="note", details={"step": step}))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))

    with county.connect() as connection:
        before = connection.scalar(select(func.count()).select_from(AuditEntry))
    threads = [threading.Thread(target=append, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with county.connect() as connection:
        ids = list(connection.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        result = audit.verify(connection)
    assert len(ids) == before + threads_count * each and ids == list(range(1, len(ids) + 1))
    assert result.intact, result.problem
