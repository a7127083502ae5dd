"""Login sessions and CSRF protection.

A login keeps the user's id in Flask's signed session cookie (HttpOnly, SameSite=Lax). Every state-changing
request made with that cookie — a form or a JSON call — must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``), so another site cannot act in a logged-in user's name. Requests without
a session (the anonymous eligibility pre-check) change nothing and need no token.
"""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import Flask, abort, g, request, session

from web.database import session as db_session

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def current_user():
    """The logged-in, active user of this request, or None."""
    if "user" not in g:
        from care_services.model import User

        user_id = session.get("user_id")
        user = db_session().get(User, user_id) if user_id is not None else None
        g.user = user if user is not None and user.active else None
    return g.user


def log_in(user) -> None:
    session.clear()  # a new session id for the new identity (no fixation)
    session["user_id"] = user.id
    session.permanent = True
    g.user = user
    csrf_token()


def log_out() -> None:
    session.clear()
    g.user = None


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


def _check_csrf() -> None:
    """Any unsafe request in a browser session that has a token must send it back (a client without a session —
    a script logging in through the API, an anonymous pre-check — has nothing to forge)."""
    if request.method not in UNSAFE_METHODS or "csrf" not in session:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="csrf")


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
