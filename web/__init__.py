"""carecalc web app: the application factory (as in Flask's tutorial), one blueprint per area.

Areas: divisions (home), downloads (import templates), auth (login), eligibility (pre-check and its API),
cases (workflow, notice, payroll), budget, planning, parameters, rosters (other
departments' lists); the OpenAPI document describes the JSON API.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from flask import Flask, jsonify

from care_services.db import init_db, make_engine
from web import json_input

SECRET_KEY_VARIABLE = "CARECALC_SECRET_KEY"


def _secret_key() -> str:
    """$CARECALC_SECRET_KEY, else a random key kept in instance/secret_key (so logins survive a restart)."""
    if os.environ.get(SECRET_KEY_VARIABLE):
        return os.environ[SECRET_KEY_VARIABLE]
    path = Path("instance") / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    from care_services.upload_limits import WEB as WEB_UPLOAD_LIMITS
    from web import security

    from care_services import log_privacy

    log_privacy.install()  # no personal data in any log record of the process
    app = Flask(__name__)
    app.json = json_input.JSONProvider(app)
    app.config.update(
        DATABASE_URL=None,  # None: $CARECALC_DATABASE_URL or instance/carecalc.sqlite3
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,  # a whole request (a workbook upload) of up to 16 MB: 413 beyond
        UPLOAD_LIMITS=WEB_UPLOAD_LIMITS,  # a workbook unpacked, its rows and columns (care_services/upload_limits.py)
        **security.DEFAULTS,  # cookies, idle timeout, login throttles (web/security.py)
        JSON_AS_ASCII=False,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),  # a working day
        JOB_WORKERS=int(os.environ.get("CARECALC_JOB_WORKERS", 2)),  # job threads in this process; 0: none (M
        # `carecalc worker` processes run them instead)
        JOB_MAX_PENDING=8,
        JOB_MAX_WAIT=300.0,  # seconds an API call may ask to wait (?wait=) for its job
        JOB_LEASE_SECONDS=30.0,  # a running job whose worker stops renewing it this long is queued again
        JOB_KEEP_DAYS=7.0,  # finished jobs (results, workbooks) are deleted this long after they end
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key()
    app.json.ensure_ascii = False
    engine = make_engine(app.config["DATABASE_URL"])
    init_db(engine)
    app.extensions["carecalc_engine"] = engine

    from web import auth, budget, case_forms, cases, database, divisions, downloads, eligibility, errors, i18n, openapi
    from web import parameters, planning, rosters
    from web.batcher import EvaluationBatcher
    from web.jobs import job_queue

    app.extensions["carecalc_batcher"] = EvaluationBatcher()
    app.extensions["carecalc_jobs"] = job_queue(engine, app.config)
    i18n.init_app(app)
    security.init_app(app)
    json_input.init_app(app)
    errors.init_app(app)
    app.teardown_appcontext(database.close_session)
    for area in (divisions, downloads, auth, eligibility, cases, case_forms, budget, planning, parameters, rosters,
                 openapi):
        app.register_blueprint(area.bp)

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    return app
