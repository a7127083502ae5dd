"""Chinese first, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request

LANGUAGES = ("zh", "en")

TEXT = {
    "title": ("carecalc 一老一小服务测算", "carecalc elderly & childcare services"),
    "counties": ("县（市、区）概况", "County overview"),
    "code": ("行政区划代码", "Code"),
    "name": ("名称", "Name"),
    "population": ("常住人口", "Residents"),
    "aged_60_plus": ("60岁及以上", "Aged 60+"),
    "share_60_plus": ("老龄化率", "Share 60+"),
    "aged_80_plus": ("80岁及以上", "Aged 80+"),
    "under_3": ("3岁以下（估算）", "Under 3 (estimate)"),
    "townships": ("乡级单位数", "Township-level units"),
    "total": ("合计", "Total"),
    "supply": ("供给现状", "Current supply"),
    "targets": ("规划指标", "Plan targets"),
    "projects": ("项目清单", "Project list"),
    "elderly_projects": ("养老项目", "Elderly-care projects"),
    "childcare_projects": ("托育项目", "Childcare projects"),
    "beds_or_slots": ("新增床位（托位）", "Beds or places added"),
    "investment": ("总投资（万元）", "Investment (10k CNY)"),
    "templates": ("导入模板下载", "Import templates"),
    "source": ("数据来源", "Source"),
    "elderly_institutions": ("养老机构", "Elderly-care institutions"),
    "elderly_beds": ("养老床位", "Elderly-care beds"),
    "nursing_beds": ("护理型床位", "Nursing beds"),
    "childcare_institutions": ("托育机构", "Childcare institutions"),
    "childcare_slots": ("托位", "Childcare places"),
    "no_data": ("数据库中尚无示例数据，请运行 make run 或 carecalc sample load。",
                "No data yet: run make run or carecalc sample load."),
    "language": ("English", "中文"),
    "indicator": ("指标", "Indicator"),
    "baseline": ("2021年基期值", "2021 baseline"),
    "target_2023": ("2023年规划值", "2023 target"),
    "target_2025": ("2025年规划值", "2025 target"),
    "census_note": ("人口为第七次全国人口普查（2020）数据；3岁以下人口为估算（0岁加1-4岁的一半）。",
                    "Population from the 2020 census; under-3 is an estimate (age 0 plus half of ages 1-4)."),
}


def choose_language() -> str:
    """Chinese unless the user picked English (staff browsers are often set to English; the service is Chinese)."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    return wanted if wanted in LANGUAGES else "zh"


def t(key: str) -> str:
    zh, en = TEXT[key]
    return en if g.get("lang") == "en" else zh


def error_response(status: int, zh: str, en: str):
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error={"status": status, "message_zh": zh, "message_en": en}), status
    return render_template("error.html", status=status, zh=zh, en=en), status


def init_app(app: Flask) -> None:
    @app.before_request
    def _language():
        g.lang = choose_language()

    @app.after_request
    def _remember(response):
        if request.args.get("lang") in LANGUAGES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        return response

    app.jinja_env.globals["t"] = t
