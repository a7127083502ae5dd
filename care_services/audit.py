"""The audit trail's hash chain: every entry seals its content and the entry before it.

Each entry of ``audit_log`` carries ``entry_hash`` = SHA-256 over its own content (id, time, who, what, the
details and the rules engine's explanation, as canonical JSON) and ``previous_hash``, the hash of the entry before
it (64 zeros for the first). ``audit_chain_head`` holds the id and hash of the newest entry. So:

- an entry rewritten in the database no longer matches its own hash;
- an entry removed breaks the link of the one after it (or, removed at the end, the head);
- an entry inserted either breaks the link of the one after it or stands beyond the head.

Appends are serialised by the head row: the first statement of an append is an UPDATE of that row, which holds
PostgreSQL's row lock (and SQLite's write lock) until the transaction ends, so two transactions never chain onto
the same predecessor; ``previous_hash`` is also unique in the database, so a fork could not be stored anyway. Ids
are assigned here, one after the head, so the log has no gaps.

The database triggers (migrations 0002 and 0005) refuse UPDATE, DELETE and a re-insert of an existing id (SQLite's
REPLACE INTO). The chain is what shows a change made around them (a raw file edit, a dropped trigger).

The content hashed is frozen: changing ``canonical_content`` would make every stored entry fail verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, inspect, select, text
from sqlalchemy.orm import Session

from care_services.model import AuditChainHead, AuditEntry, utc_now

GENESIS = "0" * 64
HASHED_FIELDS = ("id", "at", "username", "role", "entity", "entity_key", "action", "from_state", "to_state", "reason",
                 "details", "parameter_version", "explanation")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


def canonical_content(values: dict[str, Any], previous_hash: str) -> bytes:
    """The bytes an entry's hash covers: its fields and the previous hash, as sorted compact JSON."""
    content = {name: _plain(values.get(name)) for name in HASHED_FIELDS}
    content["previous_hash"] = previous_hash
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(values: dict[str, Any], previous_hash: str) -> str:
    return hashlib.sha256(canonical_content(values, previous_hash)).hexdigest()


def _round_trip(value: Any) -> Any:
    """A JSON column's value as it will be read back (tuples become lists, keys strings), so the hash verifies."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False))


def _utc_naive(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return utc_now()
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def lock_head(connection: Connection) -> tuple[int, str]:
    """Take the chain's lock (held to the end of the transaction) and read the newest entry's id and hash."""
    connection.execute(text("UPDATE audit_chain_head SET last_id = last_id WHERE id = 1"))
    row = connection.execute(text("SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1")).one()
    return row.last_id, row.last_hash


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context, _instances) -> None:
    entries = sorted((o for o in session.new if isinstance(o, AuditEntry)), key=lambda o: inspect(o).insert_order)
    if not entries:
        return
    connection = session.connection()
    last_id, last_hash = lock_head(connection)
    for entry in entries:
        last_id += 1
        entry.id, entry.at = last_id, _utc_naive(entry.at)
        entry.details, entry.explanation = _round_trip(entry.details), _round_trip(entry.explanation)
        entry.previous_hash = last_hash
        entry.entry_hash = last_hash = entry_hash({name: getattr(entry, name) for name in HASHED_FIELDS}, last_hash)
    connection.execute(text("UPDATE audit_chain_head SET last_id = :id, last_hash = :hash WHERE id = 1"),
                       {"id": last_id, "hash": last_hash})


# ------------------------------------------------------------------------------------------------ verification


@dataclass
class Break:
    """Where the chain first fails: the entry named and what happened to it."""

    entry_id: int | None
    kind: str  # rewritten / removed / inserted / head
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass
class Verification:
    entries: int
    head_hash: str
    problem: Break | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(connection: Connection | Session) -> Verification:
    """Walk the whole log in id order and report the first entry that was rewritten, removed or inserted."""
    table = AuditEntry.__table__
    columns = [table.c[name] for name in HASHED_FIELDS] + [table.c.previous_hash, table.c.entry_hash]
    expected, before_previous, previous_id, count = GENESIS, None, None, 0
    for row in connection.execute(select(*columns).order_by(table.c.id)).mappings():
        count += 1
        values = dict(row)
        if row["entry_hash"] is None or entry_hash(values, row["previous_hash"] or "") != row["entry_hash"]:
            return Verification(count, expected, Break(
                row["id"], "rewritten", f"审计日志第{row['id']}条的内容已被改写（与其校验值不符）",
                f"audit entry {row['id']} was rewritten (its content no longer matches its hash)"))
        if row["previous_hash"] != expected:
            if previous_id is not None and row["previous_hash"] == before_previous:
                return Verification(count, expected, Break(
                    previous_id, "inserted", f"审计日志第{previous_id}条是后来插入的（链条中本无此条）",
                    f"audit entry {previous_id} was inserted (it is not part of the chain)"))
            if previous_id is not None and row["id"] == previous_id + 1:  # no gap: the one before was replaced
                return Verification(count, expected, Break(
                    previous_id, "rewritten", f"审计日志第{previous_id}条已被改写或替换（第{row['id']}条不再与之相连）",
                    f"audit entry {previous_id} was rewritten or replaced (entry {row['id']} no longer links to it)"))
            where = f"第{previous_id}条与第{row['id']}条之间" if previous_id is not None else f"第{row['id']}条之前"
            where_en = (f"between entries {previous_id} and {row['id']}" if previous_id is not None
                        else f"before entry {row['id']}")
            return Verification(count, expected, Break(
                row["id"], "removed", f"审计日志{where}有记录被删除（第{row['id']}条的前序校验值不符）",
                f"an audit entry was removed {where_en} (entry {row['id']} does not link to its predecessor)"))
        before_previous, expected, previous_id = expected, row["entry_hash"], row["id"]
    head = connection.execute(select(AuditChainHead.last_id, AuditChainHead.last_hash)
                              .where(AuditChainHead.id == 1)).one_or_none()
    if head is None:
        return Verification(count, expected, Break(None, "head", "审计日志链头记录缺失", "the audit chain head is missing"))
    if (head.last_id or 0) != (previous_id or 0) or head.last_hash != expected:
        last = previous_id or 0
        if (head.last_id or 0) > last:
            problem = Break(last + 1, "removed", f"审计日志第{last + 1}条至第{head.last_id}条（最新的记录）已被删除",
                            f"the newest audit entries {last + 1} to {head.last_id} were removed")
        elif (head.last_id or 0) == last:
            problem = Break(last, "rewritten", f"审计日志第{last}条（最新一条）已被改写（与链头记录不符）",
                            f"audit entry {last}, the newest, was rewritten (it does not match the chain head)")
        else:
            first = (head.last_id or 0) + 1
            problem = Break(first, "inserted", f"审计日志第{first}条是后来插入的（链头记录的最新一条为第{head.last_id}条）",
                            f"audit entry {first} was inserted after the chain head (entry {head.last_id})")
        return Verification(count, expected, problem)
    return Verification(count, expected, None)
