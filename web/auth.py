"""Accounts area: the login page, logging out, and the same as a JSON session for API clients."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from care_services.accounts import authenticate
from web.database import session as db_session
from web.schemas import LoginRequest, ValidationError, load
from web.security import csrf_token, current_user, log_in, log_out

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("divisions.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next"), error=None)
    try:
        form = load(LoginRequest(), request.form)
    except ValidationError:
        return render_template("login.html", next=request.form.get("next"), error="missing"), 422
    user = authenticate(db_session(), form["username"], form["password"])
    if user is None:
        return render_template("login.html", next=form["next"], error="wrong"), 401
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
    user = authenticate(db_session(), data["username"], data["password"])
    if user is None:
        return jsonify(error={"status": 401, "code": "login", "message_zh": "用户名或密码错误",
                              "message_en": "wrong username or password"}), 401
    log_in(user)
    return jsonify(user=_me(user), csrf_token=csrf_token())


@bp.get("/api/v1/session")
def show_session():
    user = current_user()
    if user is None:
        return jsonify(error={"status": 401, "message_zh": "未登录", "message_en": "not logged in"}), 401
    return jsonify(user=_me(user), csrf_token=csrf_token())


@bp.delete("/api/v1/session")
def delete_session():
    log_out()
    return "", 204
