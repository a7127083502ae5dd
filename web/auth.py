"""Accounts area: the login page, logging out, and the same as a JSON session for API clients; a user changes
their own password, an administrator disables an account or lifts a lockout (web/security.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from care_services import accounts
from web.database import session as db_session
from web.schemas import LoginRequest, PasswordChangeRequest, ValidationError, load
from web.security import (authenticate_throttled, csrf_token, current_session_id, current_user, log_in, log_out,
                          login_required, roles_required, safe_next)

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    return safe_next(target) or url_for("divisions.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next"), error=None)
    try:
        form = load(LoginRequest(), request.form)
    except ValidationError:
        return render_template("login.html", next=request.form.get("next"), error="missing",
                               username=request.form.get("username", "")[:64]), 422
    user = authenticate_throttled(form["username"], form["password"])
    if user is None:
        return render_template("login.html", next=form["next"], error="wrong", username=form["username"]), 401
    log_in(user)
    return redirect(_safe_next(form["next"]))


@bp.post("/logout")
def logout():
    log_out()
    return redirect(url_for("divisions.index"))


def _me(user) -> dict:
    return {"username": user.username, "name": user.display_name, "role": user.role,
            "jurisdiction": user.jurisdiction_code}


@bp.post("/api/v1/session")
def create_session():
    """Log in: answers the user and the CSRF token to send as X-CSRF-Token with every change."""
    data = load(LoginRequest(), request.get_json(silent=True) if request.is_json else request.form)
    user = authenticate_throttled(data["username"], data["password"])
    if user is None:
        return jsonify(error={"status": 401, "code": "login", "message_zh": "用户名或密码错误",
                              "message_en": "wrong username or password"}), 401
    log_in(user)
    return jsonify(user=_me(user), csrf_token=csrf_token())


@bp.get("/api/v1/session")
def show_session():
    """The user and the CSRF token; without a login a 401 that still carries the token a login must send."""
    user = current_user()
    if user is None:
        return jsonify(error={"status": 401, "message_zh": "未登录", "message_en": "not logged in"},
                       csrf_token=csrf_token()), 401
    return jsonify(user=_me(user), csrf_token=csrf_token())


@bp.delete("/api/v1/session")
def delete_session():
    """Log out: the session ends on the server (?everywhere=1: every session of the user)."""
    log_out(everywhere=request.args.get("everywhere") in ("1", "true"))
    return "", 204


@bp.post("/api/v1/session/password")
@login_required
def change_password():
    """A new password for the logged-in user: every other session of theirs ends; this one goes on."""
    data = load(PasswordChangeRequest(), request.get_json(silent=True) if request.is_json else request.form)
    user = current_user()
    if not accounts.check_password(user, data["current_password"]):
        raise accounts.InputError({"current_password": accounts.problem("当前密码不正确", "the current password is wrong")})
    session = db_session()
    ended = accounts.change_password(session, user, data["new_password"], by=user.username,
                                     keep_session=current_session_id())
    session.commit()
    return jsonify(sessions_ended=ended)


def _user_named(username: str):
    return accounts.find_user(db_session(), username)


@bp.post("/api/v1/users/<username>/unlock")
@roles_required("administrator")
def unlock_user(username: str):
    """Lift the lockout after repeated wrong passwords."""
    session = db_session()
    lifted = accounts.unlock(session, _user_named(username), by=current_user().username)
    session.commit()
    return jsonify(username=username, was_locked=lifted)


@bp.post("/api/v1/users/<username>/disable")
@roles_required("administrator")
def disable_user(username: str):
    """Disable an account: every session of it ends at once."""
    session = db_session()
    ended = accounts.set_active(session, _user_named(username), False, by=current_user().username)
    session.commit()
    return jsonify(username=username, active=False, sessions_ended=ended)
