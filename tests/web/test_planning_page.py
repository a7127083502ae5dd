"""The planning result page as a planner reads it: the verdict in plain words (the solver's figures folded away),
money in 万元 with thousands separators, only the plan year's targets, an indicator × district table of met / short,
the units short grouped by indicator; the English page in English."""

from __future__ import annotations

import re

import pytest

from tests.web.test_pages import _finish, page_login

SOLVER_WORDS = ("已证明最优", "objective", "bound", "gap", "highs", "目标值 objective", "界 bound")
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _visible(html: str) -> str:
    """The text a reader sees in the page's main part, without the folded solver details."""
    main = html[html.index("<main"):] if "<main" in html else html
    main = re.sub(r'<details id="solver">.*?</details>', "", main, flags=re.S)
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def _text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()


def test_the_plan_page_speaks_to_planners(web_app):
    """The 2025 plan of the Jiujiang sample (counties, 5亿), its Chinese and English result pages (one run: a plan
    takes half a minute)."""
    client = web_app.test_client()
    token = page_login(client, "admin")
    job = client.post("/planning", data={"csrf_token": token, "sample": "on", "year": "2025", "budget": "5亿"})
    zh = _finish(client, job.get_data(as_text=True))
    url = re.search(r'data-result-url="([^"]+)"', job.get_data(as_text=True)).group(1)
    en = client.get(f"{url}?lang=en").get_data(as_text=True)
    client.get(f"{url}?lang=zh")
    _the_verdict_speaks_to_planners_and_the_solver_figures_are_folded(zh, en)
    _money_is_in_wan_yuan_with_thousands_separators(zh, en)
    _only_the_plan_years_targets_are_shown(zh, en)
    _the_indicator_by_district_table_says_met_or_short_by_how_much(zh, en)
    _units_short_never_show_their_level_after_the_plan_at_the_target(zh, en)
    _the_chinese_page_has_no_raw_ids_and_the_english_page_no_chinese_labels(zh, en)
    _the_english_page_has_no_chinese_but_place_and_project_names(en)
    _the_chinese_page_has_no_english_words(zh)


def _the_verdict_speaks_to_planners_and_the_solver_figures_are_folded(zh, en):
    heading = _text(re.search(r"<h1>(.*?)</h1>", zh, re.S).group(1))
    assert heading in {"设施规划：方案已最优", "设施规划：已得出可行方案（时限内未能确认为最优，可延长计算时限后重算）"}
    seen = _visible(zh)
    for word in SOLVER_WORDS:
        assert word.lower() not in seen.lower(), word
    details = re.search(r'<details id="solver">(.*?)</details>', zh, re.S).group(1)
    assert "目标函数值" in details and "与最优界的差距" in details and "第一步：缺口最小" in details
    assert "objective" not in details.lower()  # even folded, the Chinese page names them in Chinese


def _money_is_in_wan_yuan_with_thousands_separators(zh, _):
    summary = _text(re.search(r'<ul class="explanation" id="summary">(.*?)</ul>', zh, re.S).group(1))
    invested = re.search(r"项目投资([\d,]+\.\d\d)万元", summary)
    assert invested, summary
    assert float(invested.group(1).replace(",", "")) >= 1000 and "," in invested.group(1)
    assert not re.search(r"\d{7,}", summary)  # never 487918300 元
    plan = re.search(r'<table id="plan">(.*?)</table>', zh, re.S).group(1)
    total = re.search(r"<tfoot>.*?合计.*?</tfoot>", plan, re.S)
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", total.group(0), re.S)]
    assert cells[1] == invested.group(1)  # the 合计 row of the projects is the plan's investment


def _only_the_plan_years_targets_are_shown(zh, _):
    indicators = re.search(r'<table id="indicators">(.*?)</table>', zh, re.S).group(1)
    assert "2025年规划指标完成情况" in zh
    # the sample plan has 2023 checkpoints; they are not rows of the page, only pointed to
    assert "2023" not in _text(indicators) and re.search(r"2023(、\d{4})*年的阶段性目标见Excel方案", zh)


def _the_indicator_by_district_table_says_met_or_short_by_how_much(zh, _):
    matrix = re.search(r'<table id="matrix">(.*?)</table>', zh, re.S).group(1)
    header = [_text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', matrix, re.S)]
    assert header[0] == "区域" and "每千人口托位数" in header
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", matrix, re.S)
    names = [_text(name) for name, _ in rows]
    assert names[0] == "全市" and "濂溪区" in names and "修水县" in names
    cells = [_text(c) for _, row in rows for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert all(len(re.findall(r"<td", row)) == len(header) - 1 for _, row in rows)
    assert any(c == "✔ 达标" for c in cells)
    short = [c for c in cells if c.startswith("✘")]
    assert short and all(re.fullmatch(r"✘ 缺 [\d,]+ \S+", c) for c in short), short
    # every short cell is a unit in the grouped list below, with the same shortfall
    groups = re.findall(r'<details class="unmet-group"[^>]*><summary>(.*?)</summary>(.*?)</details>', zh, re.S)
    listed = sum(len(re.findall(r'<tr class="fail">', body)) for _, body in groups)
    assert listed == len(short)
    assert f"未达标的目标（{listed}）" in zh
    for summary, body in groups:
        total = re.search(r"共缺([\d,]+)", _text(summary)).group(1)
        shortfalls = [int(_text(c).split()[0].replace(",", "")) for c in
                      re.findall(r'<td class="num">([\d,]+ [^<]*)</td>\s*<td>', body)]
        assert sum(shortfalls) == int(total.replace(",", "")), summary


def _units_short_never_show_their_level_after_the_plan_at_the_target(zh, _):
    for body in re.findall(r'<details class="unmet-group"[^>]*>(.*?)</details>', zh, re.S):
        for row in re.findall(r'<tr class="fail">(.*?)</tr>', body, re.S):
            cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            target, after = (float(cells[i].rstrip("%").replace(",", "")) for i in (1, 3))
            assert after < target, cells


def _the_chinese_page_has_no_raw_ids_and_the_english_page_no_chinese_labels(zh, en):
    seen = _visible(zh)
    assert not SNAKE_CASE.findall(seen), SNAKE_CASE.findall(seen)[:5]
    english = re.findall(r"[A-Za-z]{4,}", seen)
    assert set(english) <= {"Excel"}, sorted(set(english))
    en_seen = _visible(en)
    assert "Targets of 2025" in en_seen and "Met or short, by district and indicator" in en_seen
    assert "✔ Met" in en_seen and "City-wide" in en_seen
    for label in ("未达标", "达标", "缺口", "万元", "规划指标"):
        assert label not in en_seen, label


def test_the_waiting_line_of_a_plan_is_for_people():
    from allocator.solver import Progress
    from web.planning import progress_line

    line, fraction = progress_line(Progress(12.4, 16218.0, 16000.0))
    assert line.startswith("正在计算方案：已用12秒") and "界" not in line and "差距" not in line and fraction is None
    line, fraction = progress_line(Progress(3.0, None, None, done=(4, 13)))
    assert "已完成4/13个区划" in line and fraction == pytest.approx(4 / 13)
    from web.jobs import said_both

    zh, en = said_both(line)
    assert zh == "正在计算方案：已用3秒，已完成4/13个区划" and en == "computing the plan: 3 s, 4 of 13 districts done"


def test_the_planning_form_labels_every_field_and_ties_errors_to_them(web_app):
    client = web_app.test_client()
    token = page_login(client, "admin")
    page = client.get("/planning").get_data(as_text=True)
    for field in re.findall(r'<(?:input|select)(?![^>]*type="(?:hidden|checkbox)")[^>]*id="([^"]+)"', page):
        assert f'<label for="{field}">' in page, field
    seen = _visible(page)
    assert not SNAKE_CASE.findall(seen) and "元，可写" not in seen
    assert set(re.findall(r"[A-Za-z][\w-]*", seen)) <= {"Excel", "xlsx"}, sorted(set(re.findall(r"[A-Za-z]\w*", seen)))
    bad = client.post("/planning", data={"csrf_token": token, "sample": "on", "year": "twenty", "budget": "lots"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'id="budget"[^>]*aria-describedby="budget-hint error-budget"[^>]*aria-invalid="true"', text)
    assert re.search(r'id="year"[^>]*aria-describedby="error-year"', text)
    assert '<span class="field-error" id="error-budget">金额格式有误' in text and "应为整数" in text
    summary = re.search(r'id="form-errors">(.*?)</div>', text, re.S).group(1)
    assert '<a href="#budget">总预算</a>' in summary and "not an amount" not in summary and "<code>" not in summary
    english = client.post("/planning?lang=en", data={"csrf_token": token, "sample": "on", "year": "2025",
                                                     "budget": "lots"}).get_data(as_text=True)
    assert "not an amount" in english and "金额格式有误" not in english
    en_seen = _visible(client.get("/planning?lang=en").get_data(as_text=True))
    assert not re.search(r"[\u4e00-\u9fff]", en_seen.replace("中文", "")), re.findall(r"[\u4e00-\u9fff]+", en_seen)[:5]


def test_the_waiting_page_and_its_status_speak_one_language(web_app):
    """The progress line is stored as "中文 / English"; the status JSON carries each half, and the waiting page (and
    app.js, by <html lang>) shows only the page's one."""
    client = web_app.test_client()
    token = page_login(client, "admin")
    page = client.post("/planning?lang=en", data={"csrf_token": token, "sample": "on", "year": "2025",
                                                  "budget": "5亿"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert not re.search(r"[\u4e00-\u9fff]", _visible(page).replace("中文", "")), _visible(page)
    status_url = re.search(r'data-status-url="([^"]+)"', page).group(1)
    status = client.get(f"{status_url}?wait=5").get_json()
    assert status["message_zh"] and status["message_en"]
    assert not re.search(r"[\u4e00-\u9fff]", status["message_en"]), status["message_en"]
    assert not re.search(r"[A-Za-z]{3,}", status["message_zh"]), status["message_zh"]
    script = client.get("/static/app.js").get_data(as_text=True)
    assert "status.message_en : status.message_zh" in script and '" / "' not in script
    zh = client.get(re.search(r'data-result-url="([^"]+)"', page).group(1) + "?lang=zh").get_data(as_text=True)
    if 'id="job"' in zh:  # still running: the Chinese waiting page
        assert not re.findall(r"[A-Za-z]{3,}", _visible(zh)), _visible(zh)
    _finish(client, page)


def test_a_job_message_splits_into_its_two_languages():
    from web.jobs import said_both

    assert said_both("完成 / done") == ("完成", "done")
    assert said_both("已排队") == ("已排队", "已排队") and said_both(None) == ("", "")


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _the_english_page_has_no_chinese_but_place_and_project_names(en):
    """Place and project names are the data's own (the divisions table holds them in Chinese only); every other
    word of the English page — verdict, summary, citations, reasons, headings — is English."""
    from allocator.sample import jiujiang_county_table, jiujiang_projects

    names = {str(n) for n in jiujiang_county_table()["name"]} | {str(n) for n in jiujiang_projects()["name"]}
    seen = re.sub(r"\s+", " ", _visible(en))
    for name in sorted(names, key=len, reverse=True):
        seen = seen.replace(name, " ")
    assert not CJK.findall(seen), sorted(set(CJK.findall(seen)))[:10]
    assert "Jiujiang Government Office Document [2022] No. 113, section 2(2), table 1 item" in seen
    details = re.search(r'<details id="solver">(.*?)</details>', en, re.S).group(1)
    assert not CJK.findall(re.sub(r"<[^>]+>", " ", details)), CJK.findall(details)


def _the_chinese_page_has_no_english_words(zh):
    """Beside the Excel download and the project codes (JJ-C-…, the data's own ids), no Latin words; the folded
    solver details may name the solver (HiGHS, CP-SAT)."""
    seen = re.sub(r"\bJJ-[A-Z]-\d+\b", " ", _visible(zh))
    assert set(re.findall(r"[A-Za-z][A-Za-z_-]*", seen)) <= {"Excel", "xlsx"}, re.findall(r"[A-Za-z]\w*", seen)[:10]
    details = re.sub(r"<[^>]+>", " ", re.search(r'<details id="solver">(.*?)</details>', zh, re.S).group(1))
    assert set(re.findall(r"[A-Za-z][A-Za-z_-]*", details)) <= {"HiGHS", "CP-SAT", "SCIP"}, details
