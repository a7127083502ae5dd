"""A database that cannot take a change in time (another writer holds the lock) is a 503 with Retry-After in
Chinese and English, never a 500, and nothing is half saved: the same request succeeds once the lock is gone."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from web.errors import database_busy


def test_a_locked_sqlite_database_answers_503_and_the_repeat_succeeds(web_app, login, county):
    if county.url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's own lock; PostgreSQL's lock errors are classified below")
    zhao = login("zhao")
    holder = sqlite3.connect(county.url.database, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing: SQLite gives up after its busy wait (5 s)
    try:
        answer = zhao.get("/api/v1/cases")
        page = zhao.get("/cases")
    finally:
        holder.rollback()
        holder.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    error = answer.get_json()["error"]
    assert error["code"] == "database_busy" and "稍后重试" in error["message_zh"] and "try again" in error["message_en"]
    assert page.status_code == 503 and "数据库正忙" in page.get_data(as_text=True)
    assert zhao.get("/api/v1/cases").status_code == 200


class _PostgresError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__("could not obtain lock")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate, busy", [("55P03", True), ("40001", True), ("40P01", True), ("42P01", False)])
def test_postgresql_lock_serialization_and_deadlock_errors_count_as_busy_and_others_do_not(sqlstate, busy):
    assert database_busy(OperationalError("SELECT 1", {}, _PostgresError(sqlstate))) is busy


def test_an_operational_error_that_is_not_a_lock_stays_a_logged_500(web_app, login, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: cases"))

    zhao = login("zhao")
    monkeypatch.setitem(web_app.view_functions, "cases.list_cases", broken)
    answer = zhao.get("/api/v1/cases")
    assert answer.status_code == 500 and "Traceback" not in answer.get_data(as_text=True)


def test_a_postgresql_row_lock_held_elsewhere_is_answered_busy_within_the_lock_timeout(county, monkeypatch):
    """A change that waits for another session's row lock gives up after CARECALC_LOCK_TIMEOUT_MS (55P03, busy)
    instead of holding its request for ever."""
    if county.url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout; SQLite's busy wait is tested above")
    import time

    from sqlalchemy import text

    from care_services.db import make_engine

    monkeypatch.setenv("CARECALC_LOCK_TIMEOUT_MS", "300")
    url = county.url.render_as_string(hide_password=False)
    holder_engine, waiter_engine = make_engine(url), make_engine(url)
    try:
        with holder_engine.connect() as holder, waiter_engine.connect() as waiter:
            assert waiter.execute(text("SHOW lock_timeout")).scalar() == "300ms"
            waiter.rollback()
            holder.execute(text("SELECT id FROM users ORDER BY id LIMIT 1 FOR UPDATE"))
            began = time.monotonic()
            with pytest.raises(OperationalError) as failed:
                waiter.execute(text("SELECT id FROM users ORDER BY id LIMIT 1 FOR UPDATE"))
            assert time.monotonic() - began < 5
            assert database_busy(failed.value)
            holder.rollback()
    finally:
        holder_engine.dispose()
        waiter_engine.dispose()
