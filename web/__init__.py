"""carecalc web app: the application factory (as in Flask's tutorial), one blueprint per area."""

from __future__ import annotations

from flask import Flask, jsonify

from care_services.db import init_db, make_engine


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=None,  # None: $CARECALC_DATABASE_URL or instance/carecalc.sqlite3
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.config.update(config or {})
    engine = make_engine(app.config["DATABASE_URL"])
    init_db(engine)
    app.extensions["carecalc_engine"] = engine

    from web import database, divisions, downloads, i18n

    i18n.init_app(app)
    app.teardown_appcontext(database.close_session)
    app.register_blueprint(divisions.bp)
    app.register_blueprint(downloads.bp)

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    @app.errorhandler(404)
    def not_found(error):
        return i18n.error_response(404, "页面或资源不存在", "not found")

    @app.errorhandler(413)
    def too_large(error):
        return i18n.error_response(413, "上传文件过大", "upload too large")

    @app.errorhandler(500)
    def internal(error):  # never a traceback page
        return i18n.error_response(500, "服务器内部错误", "internal server error")

    return app
