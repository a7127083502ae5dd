"""Logins, sessions, CSRF, throttles and the security headers of every response (OWASP ASVS level 2, chapters 2-4
and 14).

- A login is a row of ``user_sessions`` (care_services.model.UserSession); Flask's signed cookie carries only its
  random token. The server ends it: logging out, a password change or disabling the account revokes the row (in
  every server process at once, since they share the database), and a session idle for SESSION_IDLE_TIMEOUT or
  older than PERMANENT_SESSION_LIFETIME no longer counts. Replaying an old cookie answers 401.
- Every state-changing request made with a session cookie — a form or a JSON call — must carry the session's CSRF
  token (form field ``csrf_token`` or header ``X-CSRF-Token``). Logging in always needs one: the login form carries
  it, and an API client reads it from ``GET /api/v1/session`` (answered before any login) so no other site can log a
  browser in under an account of its choosing. Requests without any session (the anonymous pre-check) change
  nothing and need no token.
- Wrong passwords are counted per account and per client address in the database (care_services.throttle): after
  LOGIN_MAX_FAILURES (per account) or LOGIN_MAX_FAILURES_PER_ADDRESS in LOGIN_FAILURE_WINDOW the answer is 429 with
  Retry-After until the window is over, even for the right password; an administrator can unlock the account
  (``carecalc users unlock NAME`` or ``POST /api/v1/users/NAME/unlock``). Failures and lockouts are audited with
  the user name only.
- The cookie is HttpOnly and SameSite=Lax, and Secure when SESSION_COOKIE_SECURE is set or the request came over
  HTTPS (behind TRUSTED_PROXIES proxies, as their X-Forwarded-Proto says).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from care_services import throttle
from care_services.model import AuditEntry, User, UserSession, utc_now
from web.database import session as db_session

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
LOGIN_ENDPOINTS = ("auth.login", "auth.create_session")
TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen_at is written at most once a minute per session

SECURE_COOKIES_VARIABLE = "CARECALC_SECURE_COOKIES"
TRUSTED_PROXIES_VARIABLE = "CARECALC_TRUSTED_PROXIES"

DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Secure always when asked for; otherwise whenever the request itself came over HTTPS
    "SESSION_COOKIE_SECURE": os.environ.get(SECURE_COOKIES_VARIABLE, "").lower() in ("1", "true", "yes"),
    "SESSION_IDLE_TIMEOUT": dt.timedelta(minutes=30),  # ASVS 3.3.2
    "TRUSTED_PROXIES": int(os.environ.get(TRUSTED_PROXIES_VARIABLE, "0") or 0),  # X-Forwarded-For/-Proto hops
    "LOGIN_MAX_FAILURES": 5,  # per account
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FAILURE_WINDOW": dt.timedelta(minutes=15),
    "ANONYMOUS_BATCH_LIMIT": 20,  # batch evaluations per client address without a login
    "ANONYMOUS_BATCH_WINDOW": dt.timedelta(minutes=1),
}


class Throttled(Exception):
    """Too many attempts: answered 429 with Retry-After (web/errors.py)."""

    def __init__(self, retry_after: int, zh: str, en: str):
        super().__init__(en)
        self.retry_after, self.zh, self.en = retry_after, zh, en


def _seconds(value) -> dt.timedelta:
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))


def _engine():
    return current_app.extensions["carecalc_engine"]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


# ------------------------------------------------------------------------------------------------ CSRF


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    """Any unsafe request in a session, and every login, must send the session's token back."""
    login = request.endpoint in LOGIN_ENDPOINTS
    if request.method not in UNSAFE_METHODS or ("csrf" not in session and not login):
        return
    expected = session.get("csrf") or ""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not expected or not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"),
                                                           expected.encode("utf-8", "replace")):
        abort(400, description="csrf")


# ------------------------------------------------------------------------------------------------ sessions


def _session_row() -> UserSession | None:
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    row = db_session().scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utc_now()
    idle = _seconds(current_app.config["SESSION_IDLE_TIMEOUT"])
    lifetime = _seconds(current_app.config["PERMANENT_SESSION_LIFETIME"])
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        return None
    if now - row.last_seen_at > min(TOUCH_EVERY, idle / 4):
        with _engine().begin() as connection:  # its own transaction: the request's may roll back
            connection.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return row


def current_user():
    """The logged-in, active user of this request, or None."""
    if "user" not in g:
        row = _session_row()
        user = db_session().get(User, row.user_id) if row is not None else None
        g.user = user if user is not None and user.active else None
        g.user_session_id = row.id if g.user is not None else None
    return g.user


def current_session_id() -> int | None:
    current_user()
    return g.get("user_session_id")


def log_in(user) -> None:
    """A new session (a new cookie, a new CSRF token: no fixation) recorded on the server."""
    token = secrets.token_urlsafe(32)
    with _engine().begin() as connection:
        row_id = connection.execute(UserSession.__table__.insert().values(
            token_hash=_token_hash(token), user_id=user.id, created_at=utc_now(), last_seen_at=utc_now())
        ).inserted_primary_key[0]
    session.clear()
    session["sid"] = token
    session.permanent = True
    g.user, g.user_session_id = user, row_id
    csrf_token()


def log_out(everywhere: bool = False) -> None:
    """End this session on the server (``everywhere``: every session of the user) and forget the cookie."""
    row = _session_row()
    if row is not None:
        with _engine().begin() as connection:
            statement = update(UserSession).where(UserSession.revoked_at.is_(None))
            statement = statement.where(UserSession.user_id == row.user_id) if everywhere else \
                statement.where(UserSession.id == row.id)
            connection.execute(statement.values(revoked_at=utc_now(), revoked_reason="logout"))
    session.clear()
    g.user, g.user_session_id = None, None


def login_required(view):
    """401 without a login (a page redirects to the login form instead)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            abort(401)
        return view(*args, **kwargs)
    return wrapped


def roles_required(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user().role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


# ------------------------------------------------------------------------------------------------ throttles


def _audit(username: str, action: str, details: dict) -> None:
    from care_services.db import session_scope

    with session_scope(_engine()) as audit:
        name = (username or "").strip()[:64] or "-"
        audit.add(AuditEntry(username=name, entity="user", entity_key=name, action=action, details=details))


def _login_limits() -> tuple[throttle.Limit, throttle.Limit]:
    config, window = current_app.config, _seconds(current_app.config["LOGIN_FAILURE_WINDOW"])
    return (throttle.Limit(config["LOGIN_MAX_FAILURES"], window),
            throttle.Limit(config["LOGIN_MAX_FAILURES_PER_ADDRESS"], window))


def _locked_out(wait: int) -> Throttled:
    minutes = max(1, round(wait / 60))
    return Throttled(wait, f"密码错误次数过多，请{minutes}分钟后再试，或请管理员解锁",
                     f"too many wrong passwords; try again in {minutes} min or ask an administrator to unlock")


def authenticate_throttled(username: str, password: str):
    """The user for these credentials, or None; raises Throttled while the account or the address is locked."""
    from care_services.accounts import authenticate

    per_account, per_address = _login_limits()
    account, address = throttle.account_key(username), throttle.address_key("login", request.remote_addr)
    with _engine().begin() as connection:
        wait = max(throttle.retry_after(connection, account, per_account) or 0,
                   throttle.retry_after(connection, address, per_address) or 0)
    if wait:
        raise _locked_out(wait)
    user = authenticate(db_session(), username, password)
    with _engine().begin() as connection:
        if user is not None:
            throttle.clear(connection, account)
            return user
        failures = throttle.hit(connection, account, per_account)
        from_address = throttle.hit(connection, address, per_address)
    _audit(username, "login_failed", {"failures": failures})
    if failures == per_account.hits:
        _audit(username, "login_locked", {"failures": failures, "minutes": int(per_account.window.total_seconds() // 60)})
    if from_address == per_address.hits:
        _audit(username, "login_locked_address", {"failures": from_address})
    return None


def anonymous_rate_limited(scope: str):
    """Without a login, at most ANONYMOUS_BATCH_LIMIT calls per client address in ANONYMOUS_BATCH_WINDOW (429)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if current_user() is None:
                limit = throttle.Limit(current_app.config["ANONYMOUS_BATCH_LIMIT"],
                                       _seconds(current_app.config["ANONYMOUS_BATCH_WINDOW"]))
                key = throttle.address_key(scope, request.remote_addr)
                with _engine().begin() as connection:
                    hits = throttle.hit(connection, key, limit)
                    wait = throttle.retry_after(connection, key, limit) if hits > limit.hits else None
                if wait:
                    raise Throttled(wait, f"请求过于频繁，请{wait}秒后再试（登录后不受此限）",
                                    f"too many requests; try again in {wait} s (or log in)")
            return view(*args, **kwargs)
        return wrapped
    return decorate


# ------------------------------------------------------------------------------------------------ redirects

_SAFE_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of this site, else None: no scheme, no host, no backslash, no control or blank
    character (browsers drop tabs and newlines, so /\\t/evil.example is //evil.example), and none once decoded."""
    if not isinstance(target, str) or len(target) > 2000:
        return None
    for candidate in (target, unquote(target)):
        if not _SAFE_PATH.match(candidate) or "\\" in candidate:
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or candidate.startswith("//"):
            return None
    return target


# ------------------------------------------------------------------------------------------------ headers


def _style_hashes() -> str:
    """The inline <style> of the printable notice page (care_services/templates/notice.html), allowed by its hash."""
    path = Path(__file__).resolve().parent.parent / "care_services" / "templates" / "notice.html"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    blocks = re.findall(r"<style>(.*?)</style>", text, flags=re.S)
    return "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)


def content_security_policy() -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self'" + _style_hashes() + "; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def _headers(response):
    """Each header unless the view set its own: one pass over the response's headers (werkzeug's setdefault scans
    them, raising and catching a KeyError, once per header)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    wanted = [("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"]),
              ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
              ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", "max-age=31536000"))
    if not request.path.startswith("/static/"):
        wanted.append(("Cache-Control", "no-store"))  # pages and answers hold personal data (ASVS 8.2.1)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure also whenever the request itself is HTTPS.

    A request without the cookie (an API client, the anonymous pre-check, /healthz) has nothing to verify, and an
    empty session nobody touched has nothing to write: both skip what Flask would build for nothing (the signer, the
    cookie's attributes), which cost more per request than the JSON API's own checks (bench/web_load.py). The
    signer is made once per secret key. Verification itself is Flask's own, unchanged."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("carecalc_session_signer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["carecalc_session_signer"] = cached
        return cached[1]

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified:  # as Flask does: no cookie to set or delete
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.config.setdefault("CONTENT_SECURITY_POLICY", content_security_policy())
    app.session_interface = SessionInterface()
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
