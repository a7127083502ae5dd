"""Every error as an answer a person can act on: the status, the reason in Chinese and English, and for bad input
each field with its reason. Views raise; these handlers answer (JSON under /api/, a page elsewhere). Never a
traceback: anything unexpected is logged and answered as a plain 500."""

from __future__ import annotations

from flask import Flask, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from care_services.accounts import InputError
from care_services.upload_limits import UploadTooLarge
from subsidy_rules.workflow import WorkflowError
from web.i18n import error_response, wants_json
from web.jobs import Busy
from web.security import Throttled

# A refused step: the case moved on (409), the user may not (403), or the input is wrong (422).
WORKFLOW_STATUS = {"stale": 409, "state": 409, "notice": 409, "closed": 409, "not_generated": 409, "future": 409,
                   "duplicate": 409, "not_accepted": 409, "tampered": 409, "paid": 409, "no_roll": 404,
                   "role": 403, "segregation": 403, "jurisdiction": 403, "inactive": 403, "not_found": 404}

MESSAGES = {
    400: ("请求有误", "bad request"),
    401: ("请先登录", "please log in"),
    403: ("您无权执行此操作", "you may not do this"),
    404: ("页面或资源不存在", "not found"),
    405: ("不支持该请求方法", "method not allowed"),
    409: ("数据已被更新，请刷新后重试", "the data changed; reload and try again"),
    413: ("上传文件过大", "upload too large"),
    415: ("不支持的文件或内容类型", "unsupported media type"),
    422: ("输入有误，请按提示修改", "invalid input; see the fields"),
    500: ("服务器内部错误", "internal server error"),
    503: ("数据库正忙（其他操作正在写入），本次操作未保存，请稍后重试",
          "the database is busy with another change; nothing was saved, try again in a moment"),
}

# A database that could not take the change in time: SQLite's "database is locked" after its busy wait, and
# PostgreSQL's lock_not_available (55P03), serialization_failure (40001) and deadlock_detected (40P01). The
# transaction was rolled back, so the request may simply be repeated: 503 with Retry-After, not a 500.
BUSY_SQLSTATES = {"55P03", "40001", "40P01"}
BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
RETRY_AFTER_SECONDS = 5


def database_busy(error: OperationalError) -> bool:
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return any(message in str(original).lower() for message in BUSY_MESSAGES)


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"cases.0.facts.age": ["…"]}."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(flatten(value, name))
            else:
                out[name] = [str(m) for m in value] if isinstance(value, list) else [str(value)]
        return out
    return {prefix or "_schema": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}


def input_fields(errors: dict[str, dict]) -> dict[str, list[str]]:
    return {name: [f"{e['reason_zh']} / {e['reason_en']}"] for name, e in errors.items()}


def init_app(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def invalid(error: ValidationError):
        fields = flatten(error.messages)
        if set(fields) == {"_body"}:  # not JSON at all (or not an object): the request itself is bad
            zh, en = MESSAGES[400]
            return error_response(400, zh, en, fields, "bad_body")
        zh, en = MESSAGES[422]
        return error_response(422, zh, en, fields, "invalid")

    @app.errorhandler(InputError)
    def bad_input(error: InputError):
        zh, en = MESSAGES[422]
        return error_response(422, zh, en, input_fields(error.errors), "invalid")

    @app.errorhandler(WorkflowError)
    def refused(error: WorkflowError):
        return error_response(WORKFLOW_STATUS.get(error.code, 422), error.zh, error.en, code=error.code)

    @app.errorhandler(Busy)
    def busy(error: Busy):
        return error_response(429, error.zh, error.en, code="busy")

    @app.errorhandler(UploadTooLarge)
    def too_large(error: UploadTooLarge):
        zh, en = MESSAGES[error.status]
        return error_response(error.status, zh, en, {getattr(error, "field", "file"): [str(error)]}, "upload_limit")

    @app.errorhandler(Throttled)
    def throttled(error: Throttled):
        response, status = error_response(429, error.zh, error.en, code="throttled")
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http(error: HTTPException):
        status = error.code or 500
        if status == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path))
        zh, en = MESSAGES.get(status, (error.name, error.name))
        if status == 400 and error.description == "csrf":
            zh, en = "页面已过期或来源不明（CSRF校验失败），请刷新后重试", "missing or wrong CSRF token; reload the page"
        return error_response(status, zh, en, code="csrf" if error.description == "csrf" else None)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        if not database_busy(error):
            return unexpected(error)
        app.logger.warning("database busy on %s %s: %s", request.method, request.path, type(error.orig).__name__)
        g.setdefault("user", None)  # the page's menu must not ask the busy database who is logged in
        zh, en = MESSAGES[503]
        response, status = error_response(503, zh, en, code="database_busy")
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # never a traceback page
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        zh, en = MESSAGES[500]
        return error_response(500, zh, en)
