"""The work queue's columns of a case (``cases.verdict``, ``amount_month``, ``state_since``), kept from its audit
trail as each step is written.

Every step (and a correction) stores the rules engine's whole answer in its audit entry — some 15 kB of JSON with
the criteria, quotes and parameters. A queue that read the verdict out of that JSON for thousands of cases would
parse megabytes per page; so when a step's entry is flushed, its verdict (yes / no / pending), monthly amount and,
for a change of state, the time the case entered it are copied onto the case. They are derived data, never input:
written with a plain UPDATE that leaves the case's version (optimistic locking) and ``updated_at`` alone, so a
form's version stays valid, and migration 0010_case_forms fills them for cases filed before.
"""

from __future__ import annotations

import numbers
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from care_services.model import AuditEntry, CareCase


def verdict_of(explanation: Any) -> str:
    """✔ / ✘ / 待定 of a stored answer: ``yes``, ``no`` or ``pending`` (facts missing, or no answer)."""
    eligible = explanation.get("eligible") if isinstance(explanation, dict) else None
    return "yes" if eligible is True else "no" if eligible is False else "pending"


def amount_of(explanation: Any) -> float | None:
    amount = explanation.get("amount") if isinstance(explanation, dict) else None
    return float(amount) if isinstance(amount, numbers.Real) and not isinstance(amount, bool) else None


def columns_of(entry_from: str | None, entry_to: str | None, at, explanation: Any) -> dict[str, Any]:
    """What one step's audit entry sets on its case (nothing for an entry that is not a step)."""
    if entry_to is None:  # not a step: a printed form, an export
        return {}
    values: dict[str, Any] = {"verdict": verdict_of(explanation), "amount_month": amount_of(explanation)}
    if entry_from is None or entry_from != entry_to:  # the case entered a state (a correction keeps it)
        values["state_since"] = at
    return values


@event.listens_for(Session, "after_flush")
def _keep_queue_columns(session: Session, context) -> None:
    entries = sorted((obj for obj in session.new if isinstance(obj, AuditEntry) and obj.entity == "case"),
                     key=lambda entry: entry.id)
    changes: dict[int, dict[str, Any]] = {}
    for entry in entries:
        values = columns_of(entry.from_state, entry.to_state, entry.at, entry.explanation)
        if values:
            changes.setdefault(int(entry.entity_key), {}).update(values)
    table = CareCase.__table__
    for case_id, values in changes.items():
        session.connection().execute(update(table).where(table.c.id == case_id)
                                     .values(**values, updated_at=table.c.updated_at))
        case = session.identity_map.get(session.identity_key(CareCase, case_id))
        if case is not None:  # the session's copy says what the row now holds
            for name, value in values.items():
                set_committed_value(case, name, value)
