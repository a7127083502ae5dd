"""Counters shared by every server process through the database: login failures per account and per client
address, and anonymous batch evaluations per address (OWASP ASVS 2.2.1, 11.1.4).

A counter is one row per key holding the start of its window and the hits in it; a hit after the window has passed
starts a new window. The update is one statement (an upsert on SQLite and PostgreSQL), so processes counting at the
same time never lose a hit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from care_services.model import ThrottleCounter, utc_now

TABLE = ThrottleCounter.__table__


@dataclass(frozen=True)
class Limit:
    """At most ``hits`` in ``window``; the next one waits until the window is over."""

    hits: int
    window: dt.timedelta


def account_key(username: str) -> str:
    return f"login-account:{(username or '').strip().lower()[:64]}"


def address_key(scope: str, address: str | None) -> str:
    return f"{scope}-address:{(address or 'unknown')[:64]}"


def _reset_or_count(now: dt.datetime, cutoff: dt.datetime) -> dict:
    expired = TABLE.c.window_start <= cutoff
    return {"hits": case((expired, 1), else_=TABLE.c.hits + 1),
            "window_start": case((expired, now), else_=TABLE.c.window_start)}


def hit(connection, key: str, limit: Limit, now: dt.datetime | None = None) -> int:
    """Count one hit of ``key``; answers the hits in the current window, this one included."""
    now = now or utc_now()
    cutoff = now - limit.window
    name = (connection.get_bind() if hasattr(connection, "get_bind") else connection).dialect.name  # Session or Connection
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(TABLE).values(key=key, window_start=now, hits=1)
        statement = statement.on_conflict_do_update(index_elements=[TABLE.c.key], set_=_reset_or_count(now, cutoff))
        connection.execute(statement)
    else:  # any other database: update, else insert (a concurrent insert of the same key is then an update)
        counted = update(TABLE).where(TABLE.c.key == key).values(**_reset_or_count(now, cutoff))
        if connection.execute(counted).rowcount == 0:
            try:
                connection.execute(TABLE.insert().values(key=key, window_start=now, hits=1))
            except IntegrityError:
                connection.execute(counted)
    return connection.execute(select(TABLE.c.hits).where(TABLE.c.key == key)).scalar_one()


def retry_after(connection, key: str, limit: Limit, now: dt.datetime | None = None) -> int | None:
    """Seconds until ``key`` may go on, when it has used up its hits in the current window; else None."""
    now = now or utc_now()
    row = connection.execute(select(TABLE.c.hits, TABLE.c.window_start).where(TABLE.c.key == key)).first()
    if row is None or row.hits < limit.hits:
        return None
    left = (row.window_start + limit.window - now).total_seconds()
    return max(1, int(left + 0.999)) if left > 0 else None


def clear(connection, key: str) -> int:
    """Forget ``key``'s hits (an administrator unlocking an account, a successful login); answers rows removed."""
    return connection.execute(delete(TABLE).where(TABLE.c.key == key)).rowcount
