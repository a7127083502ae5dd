"""The OpenAPI 3 document of the JSON API, written by apispec from the marshmallow schemas that validate the input
(so the document cannot drift from what the server accepts). Served at /api/v1/openapi.json."""

from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify
from marshmallow import Schema, fields

from web import schemas

bp = Blueprint("openapi", __name__)


class ErrorBody(Schema):
    status = fields.Integer()
    code = fields.String()
    message_zh = fields.String()
    message_en = fields.String()
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class Error(Schema):
    error = fields.Nested(ErrorBody)


def _errors(*statuses: int) -> dict:
    return {str(status): {"description": description, "content": {"application/json": {"schema": "Error"}}}
            for status, description in ((400, "请求有误 / bad request"), (401, "请先登录 / log in"),
                                        (403, "无权操作 / forbidden"), (404, "不存在 / not found"),
                                        (409, "数据已被更新或状态不允许 / stale or conflicting"),
                                        (413, "上传文件过大或超出行列限制 / upload too large"),
                                        (415, "应为JSON / JSON expected"), (422, "输入有误（逐项说明） / invalid input, by field"),
                                        (429, "请求过于频繁或运行中的任务过多，请按Retry-After稍后再试 / too many attempts or runs; retry after Retry-After seconds"))
            if status in statuses}


def _ok(description: str, status: int = 200, media: str = "application/json") -> dict:
    return {str(status): {"description": description, "content": {media: {"schema": {"type": "object"}}}}}


def _json_body(schema: str | dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(schema: str) -> dict:
    return {"in": "query", "schema": schema}


SESSION = [{"session": []}]


@functools.cache
def document() -> dict:
    from subsidy_rules.engine import all_schemes

    spec = APISpec(title="carecalc API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "一老一小补贴测算、申请办理、预算与规划 / subsidies, cases, budgets and planning. "
                                        "Read the csrf_token from GET /api/v1/session (answered before any login), "
                                        "log in with POST /api/v1/session sending it as X-CSRF-Token, and send the "
                                        "answered csrf_token as X-CSRF-Token with every change."})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    spec.components.schema("Error", schema=Error)
    for name in ("EvaluateRequest", "BatchRequest", "LoginRequest", "ApplicationRequest",
                 "InstitutionApplicationRequest", "TransitionRequest", "BudgetRequest", "AllocationRequest",
                 "OverrideRequest", "PasswordChangeRequest"):
        spec.components.schema(name, schema=getattr(schemas, name))
    scheme_ids = sorted(s.id for s in all_schemes())
    scheme = _path("scheme", {"type": "string", "enum": scheme_ids})
    case_id = _path("case_id", {"type": "integer", "minimum": 1, "maximum": 2147483647})
    month = _path("month", {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"})
    job_id = _path("job_id", {"type": "string"})
    paths = {
        "/api/v1/divisions": {"get": {"summary": "各市县概况 / cities and counties", "parameters": [_query(schemas.CityQuery)],
                                      "responses": {**_ok("概况 / overview"), **_errors(400)}}},
        "/api/v1/session": {
            "post": {"summary": "登录（须带X-CSRF-Token） / log in (with X-CSRF-Token)", "requestBody": _json_body("LoginRequest"),
                     "responses": {**_ok("用户和CSRF令牌 / the user and the CSRF token"), **_errors(400, 401, 422, 429)}},
            "get": {"summary": "当前登录；未登录时也答复CSRF令牌 / who is logged in; the CSRF token even without a login",
                    "responses": {**_ok("用户 / the user"), **_errors(401)}},
            "delete": {"summary": "退出（服务器端结束会话） / log out (the session ends on the server)",
                       "parameters": [{"name": "everywhere", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
                       "responses": {"204": {"description": "已退出 / logged out"}}}},
        "/api/v1/session/password": {"post": {
            "summary": "修改本人密码（结束其他会话） / change my password (ends my other sessions)", "security": SESSION,
            "requestBody": _json_body("PasswordChangeRequest"),
            "responses": {**_ok("已修改 / changed"), **_errors(400, 401, 422)}}},
        "/api/v1/users/{username}/unlock": {"post": {
            "summary": "解除登录锁定（管理员） / lift a login lockout (administrators)", "security": SESSION,
            "parameters": [_path("username", {"type": "string"})],
            "responses": {**_ok("已解锁 / unlocked"), **_errors(401, 403, 422)}}},
        "/api/v1/users/{username}/disable": {"post": {
            "summary": "停用账号并结束其全部会话（管理员） / disable an account and end its sessions (administrators)",
            "security": SESSION, "parameters": [_path("username", {"type": "string"})],
            "responses": {**_ok("已停用 / disabled"), **_errors(401, 403, 422)}}},
        "/api/v1/schemes": {"get": {"summary": "补贴项目 / schemes", "responses": _ok("列表 / list")}},
        "/api/v1/schemes/{scheme}": {"get": {"summary": "补贴项目的事实和条件 / a scheme's facts and criteria",
                                             "parameters": [scheme], "responses": {**_ok("说明 / description"), **_errors(404)}}},
        "/api/v1/schemes/{scheme}/evaluate": {"post": {
            "summary": "测算一个案例 / evaluate one case", "parameters": [scheme],
            "requestBody": _json_body("EvaluateRequest"),
            "responses": {**_ok("资格、逐项条件及条款、金额、资金来源 / eligibility, criteria, amount, funding"),
                          **_errors(404, 415, 422)}}},
        "/api/v1/schemes/{scheme}/evaluate-batch": {"post": {
            "summary": "批量测算（JSON数组或上传.xlsx） / evaluate many (JSON array or an .xlsx upload)",
            "parameters": [scheme, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "xlsx"]}}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": "BatchRequest"},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}, "jurisdiction": {"type": "string"},
                    "date": {"type": "string", "format": "date"}}, "required": ["file"]}}}},
            "responses": {**_ok("每个案例的答复 / one answer per case"), **_errors(404, 413, 415, 422, 429)}}},
        "/api/v1/cases": {
            "get": {"summary": "辖区内的申请 / cases in my jurisdiction", "security": SESSION,
                    "parameters": [_query(schemas.CaseListQuery)], "responses": {**_ok("列表 / list"), **_errors(401, 422)}},
            "post": {"summary": "提交申请（个人或机构） / submit an application (a person's or an institution's)",
                     "security": SESSION,
                     "requestBody": _json_body({"oneOf": [{"$ref": "#/components/schemas/ApplicationRequest"},
                                                          {"$ref": "#/components/schemas/InstitutionApplicationRequest"}]}),
                     "responses": {**_ok("申请 / the case", 201), **_errors(400, 401, 422)}}},
        "/api/v1/cases/{case_id}": {"get": {"summary": "申请、办理记录和审计日志 / a case with its history",
                                            "security": SESSION, "parameters": [case_id],
                                            "responses": {**_ok("申请 / the case"), **_errors(401, 404)}}},
        "/api/v1/cases/{case_id}/transitions": {"post": {
            "summary": "办理一个环节 / take a step", "security": SESSION, "parameters": [case_id],
            "requestBody": _json_body("TransitionRequest"),
            "responses": {**_ok("申请 / the case"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/notice": {"get": {"summary": "公示名单（脱敏） / the public notice, masked", "security": SESSION,
                                   "parameters": [_query(schemas.NoticeQuery)],
                                   "responses": {**_ok("HTML或xlsx / HTML or xlsx", media="text/html"), **_errors(401, 403, 422)}}},
        "/api/v1/payroll/{month}": {
            "get": {"summary": "已生成的月度发放名册（县），或市、省的各县汇总；只读 / the stored roll of a county, or a "
                               "city's summary of its counties' rolls; reading never generates",
                    "security": SESSION, "parameters": [month, _query(schemas.RollQuery)],
                    "responses": {**_ok("名册 / the roll"), **_errors(401, 403, 404, 409, 422)}},
            "post": {"summary": "生成（更新）名册草稿 / generate (or update) the draft roll", "security": SESSION,
                     "parameters": [month, _query(schemas.RollQuery)],
                     "responses": {**_ok("名册 / the roll"), **_ok("已生成 / generated", 201),
                                   **_errors(401, 403, 409, 422)}}},
        "/api/v1/payroll/{month}/bank-list": {"post": {
            "summary": "银行代发清单（完整账号和身份证号，仅财政，记入审计日志） / the bank list (full accounts and ID numbers; "
                       "finance only, audited)", "security": SESSION, "parameters": [month, _query(schemas.RollQuery)],
            "responses": {**_ok("xlsx", media="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                          **_errors(401, 403, 404, 409, 422)}}},
        "/api/v1/payroll/{month}/close": {"post": {"summary": "关账 / close the month", "security": SESSION,
                                                   "parameters": [month, _query(schemas.RollQuery)],
                                                   "responses": {**_ok("已关账 / closed"), **_errors(401, 403, 409, 422)}}},
        "/api/v1/budget/projections": {"post": {
            "summary": "预算测算（后台任务） / a budget projection (a job)", "security": SESSION,
            "parameters": [{"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 300}}],
            "requestBody": _json_body("BudgetRequest"),
            "responses": {**_ok("任务完成 / done"), **_ok("任务已开始 / started", 202), **_errors(401, 422, 429)}}},
        "/api/v1/budget/projections/{job_id}": {"get": {"summary": "测算任务状态和结果 / status and result",
                                                        "security": SESSION, "parameters": [job_id],
                                                        "responses": {**_ok("任务 / the job"), **_errors(401, 404)}}},
        "/api/v1/allocations": {"post": {
            "summary": "设施规划（后台任务） / a planning run (a job)", "security": SESSION,
            "parameters": [{"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 300}}],
            "requestBody": _json_body("AllocationRequest"),
            "responses": {**_ok("任务完成 / done"), **_ok("任务已开始 / started", 202), **_errors(401, 422, 429)}}},
        "/api/v1/allocations/{job_id}": {"get": {"summary": "规划任务状态和结果 / status and result",
                                                 "security": SESSION, "parameters": [job_id],
                                                 "responses": {**_ok("任务 / the job"), **_errors(401, 404)}}},
        "/api/v1/parameters": {"get": {"summary": "全部参数及其出处 / every parameter with its citation",
                                       "parameters": [_query(schemas.ParameterQuery)], "responses": _ok("参数 / parameters")}},
        "/api/v1/parameters/overrides": {"post": {
            "summary": "县级提高“不低于”标准（管理员） / a county raises a floor (administrators)", "security": SESSION,
            "requestBody": _json_body("OverrideRequest"),
            "responses": {**_ok("已保存 / saved", 201), **_errors(401, 403, 422)}}},
    }
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(document())
