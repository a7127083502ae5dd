"""County overrides of floor parameters, kept in the database and applied on top of the shipped YAML files.

Where a text says 不低于 the value is a floor a county may raise, never lower. An administrator records the
county's own value with a start date and the reason (its document); ParameterSet.with_changes applies it and
checks the floor, so a value below the city's or province's is refused, and the change is an audit entry. A value
recorded before a newer policy raised the floor above it gives way to the higher floor from that date (shown on the
parameters page), so a policy update never stops the system.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from care_services.accounts import InputError, problem
from care_services.identifiers import IdentifierError, division_level, within
from care_services.model import AuditEntry, Division, ParameterOverride, User
from subsidy_rules.parameters import Change, ParameterError, ParameterSet, default_parameters

_CACHE: dict[tuple, ParameterSet] = {}
_LOCK = threading.Lock()
# The columns the set is built from, as plain rows through Core (one statement, compiled once): every evaluation
# asks, and the ORM's path (a Session, loading into it) cost five times the query itself (bench/web_load.py).
_ROWS = select(ParameterOverride.id, ParameterOverride.name, ParameterOverride.jurisdiction_code,
               ParameterOverride.start, ParameterOverride.value).order_by(ParameterOverride.id)


def _changes(rows) -> list[Change]:
    return [Change(row.name, row.value, row.jurisdiction_code, row.start) for row in rows]


def effective_parameters(session: Session) -> ParameterSet:
    """The shipped parameters with every county override applied, as the session's transaction sees them."""
    if session.autoflush and session.new:  # an override added but not yet flushed counts, as with an ORM query
        session.flush()
    return parameters_on(session.connection())


def parameters_on(connection: Connection) -> ParameterSet:
    """The shipped parameters with every county override the connection sees applied.

    The overrides are read on every call — one small query, no cache to go stale: a county's value written by any
    process (or a restored backup) is seen by the next evaluation in every process. Only building the set is
    cached, keyed by the rows' whole content, so the same rows give the very same ParameterSet (the batcher groups
    by it) and new rows a new one."""
    rows = connection.execute(_ROWS).all()
    if not rows:
        return default_parameters()
    key = tuple((row.id, row.name, row.jurisdiction_code, row.start, repr(row.value)) for row in rows)
    with _LOCK:
        if key not in _CACHE:
            _CACHE.clear()
            # a county value recorded before the city or province raised the floor above it gives way to the
            # higher floor (不低于) rather than stopping every evaluation
            _CACHE[key] = default_parameters().with_changes(_changes(rows), lift_to_floors=True)
        return _CACHE[key]


def add_override(session: Session, user: User, name: str, jurisdiction: str, start: dt.date, value: float,
                 reason: str) -> ParameterOverride:
    """Record a county's value of a floor parameter; raises InputError (field by field) if it cannot stand."""
    errors = {}
    if user.role != "administrator":
        raise InputError({"user": problem("只有管理员可以设置县级参数", "only an administrator sets county values")})
    try:
        level = division_level(jurisdiction or "")
    except IdentifierError as error:
        level = None
        errors["jurisdiction"] = problem(error.reason_zh, error.reason_en)
    if level is not None and (level != "county" or session.get(Division, jurisdiction) is None):
        errors["jurisdiction"] = problem("请选择一个县（市、区）", "choose a county")
    elif level is not None and not within(jurisdiction, user.jurisdiction_code):
        errors["jurisdiction"] = problem(f"不在您的辖区（{user.jurisdiction_code}）内", "outside your jurisdiction")
    current = effective_parameters(session)
    chain = current.chain(name, jurisdiction) if "jurisdiction" not in errors else []
    if not any(key[0] == name for key in current.parameters):
        errors["name"] = problem(f"没有名为{name}的参数", f"no parameter named {name}")
    elif "jurisdiction" not in errors and not chain:
        errors["name"] = problem("该参数不适用于此县", "the parameter does not apply to this county")
    elif chain and chain[0].kind != "floor":
        errors["name"] = problem("只有“不低于”的参数可由县级提高；其他参数由政策文件确定",
                                 "only floor (不低于) parameters can be raised by a county; others are fixed by the text")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        errors["value"] = problem("应为不小于0的数", "a number of 0 or more")
    if not (reason or "").strip():
        errors["reason"] = problem("请写明依据（如县级文件文号）", "give the basis (e.g. the county's document)")
    if errors:
        raise InputError(errors)
    try:
        updated = current.with_changes([Change(name, value, jurisdiction, start)])
    except ParameterError as error:
        floor = chain[0].at(start) if chain else None
        raise InputError({"value": problem(f"不得低于上级规定的标准{floor}（不低于：只可提高，不可降低）",
                                           f"below the floor set above ({error})")}) from None
    row = ParameterOverride(name=name, jurisdiction_code=jurisdiction, start=start, value=value,
                            reason=reason.strip(), created_by=user.username)
    session.add(row)
    session.add(AuditEntry(username=user.username, role=user.role, entity="parameter",
                           entity_key=f"{name}@{jurisdiction}", action="override", reason=reason.strip(),
                           details={"value": value, "start": start.isoformat(),
                                    "previous": _previous(chain, start)},
                           parameter_version=updated.version))
    session.flush()
    return row


def _previous(chain, start: dt.date):
    for parameter in chain:
        try:
            value = parameter.at(start)
        except LookupError:
            continue
        return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
    return None
