"""Staff accounts: a role and a jurisdiction each, passwords kept only as salted hashes (werkzeug's scrypt).

A password is never stored, printed or written to the audit log; the log records who created which account
with which role and jurisdiction.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from care_services.identifiers import code_prefix
from care_services.model import AuditEntry, Division, User
from subsidy_rules.workflow import ROLES, Actor

MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
# check_password_hash against this when the user does not exist, so a wrong name and a wrong password take as long
_DUMMY_HASH = generate_password_hash("carecalc-no-such-user")


class InputError(ValueError):
    """Bad input, field by field: ``errors`` maps a field to {"reason_zh", "reason_en"} (HTTP 422, CLI exit 2)."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {e['reason_zh']} / {e['reason_en']}" for name, e in errors.items()))


def problem(zh: str, en: str) -> dict[str, str]:
    return {"reason_zh": zh, "reason_en": en}


def create_user(session: Session, username: str, password: str, role: str, jurisdiction_code: str,
                display_name: str | None = None, *, created_by: str = "system") -> User:
    errors = {}
    username = (username or "").strip()
    if not USERNAME_PATTERN.match(username):
        errors["username"] = problem("用户名为2–64位字母、数字或 _ . -", "a username has 2-64 letters, digits or _ . -")
    elif session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        errors["username"] = problem(f"用户名{username}已存在", f"the username {username} is taken")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = problem(f"密码至少{MIN_PASSWORD_LENGTH}位", f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if role not in ROLES:
        errors["role"] = problem(f"角色应为：{'、'.join(ROLES)}", f"the role must be one of {', '.join(ROLES)}")
    if session.get(Division, jurisdiction_code or "") is None:
        errors["jurisdiction"] = problem(f"行政区划{jurisdiction_code}不存在", f"no division with code {jurisdiction_code}")
    if errors:
        raise InputError(errors)
    user = User(username=username, display_name=(display_name or username).strip(), role=role,
                jurisdiction_code=jurisdiction_code, password_hash=generate_password_hash(password), active=True)
    session.add(user)
    session.add(AuditEntry(username=created_by, entity="user", entity_key=username, action="create_user",
                           details={"role": role, "jurisdiction": jurisdiction_code}))
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (without telling which of the two was wrong)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def actor_of(user: User) -> Actor:
    """The workflow's view of a user: the jurisdiction as the prefix every code inside it starts with."""
    return Actor(user.username, user.role, code_prefix(user.jurisdiction_code))
