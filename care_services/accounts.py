"""Staff accounts: a role and a jurisdiction each, passwords kept only as salted hashes (werkzeug's scrypt).

A password is never stored, printed or written to the audit log; the log records who created which account
with which role and jurisdiction.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from care_services.identifiers import code_prefix
from care_services.model import AuditEntry, Division, User, UserSession, utc_now
from subsidy_rules.workflow import ROLES, Actor

MIN_PASSWORD_LENGTH = 12  # OWASP ASVS 2.1.1
MAX_PASSWORD_LENGTH = 128  # ASVS 2.1.2 allows 64 at least; scrypt hashes any length, this bounds the work
MIN_DISTINCT_CHARACTERS = 4  # aaaaaaaaaaaa, 121212121212 are not passwords
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")


@functools.cache  # made on the first login attempt, not on every import (scrypt costs ~0.2 s on each CLI start)
def _dummy_hash() -> str:
    """check_password_hash against this when the user does not exist, so a wrong name and a wrong password take as
    long."""
    return generate_password_hash("carecalc-no-such-user")


class InputError(ValueError):
    """Bad input, field by field: ``errors`` maps a field to {"reason_zh", "reason_en"} (HTTP 422, CLI exit 2)."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {e['reason_zh']} / {e['reason_en']}" for name, e in errors.items()))


def problem(zh: str, en: str) -> dict[str, str]:
    return {"reason_zh": zh, "reason_en": en}


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list (care_services/common_passwords.txt), lower-cased."""
    text = resources.files("care_services").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str | None, username: str | None = None) -> dict[str, str] | None:
    """Why a new password is refused (ASVS 2.1: length, not all blank, not common, not the user name), or None."""
    password = password or ""
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_PASSWORD_LENGTH:
        return problem(f"密码至少{MIN_PASSWORD_LENGTH}位", f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if length > MAX_PASSWORD_LENGTH:
        return problem(f"密码最多{MAX_PASSWORD_LENGTH}位", f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        return problem("密码不能全是空格", "a password cannot be all spaces")
    folded = password.strip().lower()
    if folded in common_passwords() or (username and folded == username.strip().lower()):
        return problem("该密码过于常见或与用户名相同，请换一个", "this password is too common (or the user name); choose another")
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        return problem(f"密码至少包含{MIN_DISTINCT_CHARACTERS}个不同的字符", f"a password has at least {MIN_DISTINCT_CHARACTERS} different characters")
    return None


def create_user(session: Session, username: str, password: str, role: str, jurisdiction_code: str,
                display_name: str | None = None, *, created_by: str = "system") -> User:
    errors = {}
    username = (username or "").strip()
    if not USERNAME_PATTERN.match(username):
        errors["username"] = problem("用户名为2–64位字母、数字或 _ . -", "a username has 2-64 letters, digits or _ . -")
    elif session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        errors["username"] = problem(f"用户名{username}已存在", f"the username {username} is taken")
    if (reason := password_problem(password, username)) is not None:
        errors["password"] = reason
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


def users_named(session: Session, usernames) -> list[User]:
    """The accounts of these usernames (one query; blanks and unknown names left out)."""
    wanted = {name for name in usernames if name}
    return session.scalars(select(User).where(User.username.in_(wanted))).all() if wanted else []


def display_names(session: Session, usernames) -> dict[str, str]:
    """Username → the name staff know the user by (the display name; the username where none was given)."""
    return {u.username: u.display_name or u.username for u in users_named(session, usernames)}


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (without telling which of the two was wrong)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def revoke_sessions(session: Session, user_id: int, reason: str, *, keep: int | None = None) -> int:
    """End every open session of the user (but ``keep``, the id of the one that asked); answers how many ended."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    return session.execute(statement.values(revoked_at=utc_now(), revoked_reason=reason)).rowcount


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise InputError({"username": problem(f"用户{username}不存在", f"no user {username}")})
    return user


def change_password(session: Session, user: User, new_password: str, *, by: str, keep_session: int | None = None) -> int:
    """Set a new password (checked as create_user checks it) and end the user's sessions; answers how many ended."""
    if (reason := password_problem(new_password, user.username)) is not None:
        raise InputError({"password": reason})
    user.password_hash = generate_password_hash(new_password)
    ended = revoke_sessions(session, user.id, "password", keep=keep_session)
    session.add(AuditEntry(username=by, entity="user", entity_key=user.username, action="change_password",
                           details={"sessions_ended": ended}))
    session.flush()
    return ended


def set_active(session: Session, user: User, active: bool, *, by: str) -> int:
    """Enable or disable an account; disabling ends every session of it at once. Answers sessions ended."""
    user.active = active
    ended = 0 if active else revoke_sessions(session, user.id, "disabled")
    session.add(AuditEntry(username=by, entity="user", entity_key=user.username,
                           action="enable_user" if active else "disable_user", details={"sessions_ended": ended}))
    session.flush()
    return ended


def unlock(session: Session, user: User, *, by: str) -> bool:
    """Lift the lockout after repeated wrong passwords (care_services.throttle); answers whether one was in force."""
    from care_services.throttle import account_key, clear

    lifted = clear(session, account_key(user.username)) > 0
    session.add(AuditEntry(username=by, entity="user", entity_key=user.username, action="unlock_user",
                           details={"was_locked": lifted}))
    session.flush()
    return lifted


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password or "")


def printed_names(session: Session, usernames) -> dict[str, str]:
    """What a printed Chinese document calls each member of staff: the display name where one was given (not just
    the login name again), else the Chinese name of the user's role; a name with no account (a command run as the
    system) as 系统. A login name is an id staff do not read (DEVELOPERS.md, staff language)."""
    named = {u.username: u.display_name if u.display_name and u.display_name != u.username else ROLES[u.role]
             for u in users_named(session, usernames)}
    return {name: named.get(name, "系统") for name in usernames if name}


def actor_of(user: User) -> Actor:
    """The workflow's view of a user: the jurisdiction as the prefix every code inside it starts with."""
    return Actor(user.username, user.role, code_prefix(user.jurisdiction_code))
