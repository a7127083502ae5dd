"""Staff language (DEVELOPERS.md, issues 17 and 18): every Chinese page and every workbook the app produces shows no
raw snake_case id and no English word; every English page shows no Chinese state, service or choice name.

The pages are rendered with sample data through the Flask test client, as the roles that see them (a township
reviewer, the health assessor, the federation, finance, the administrator, nobody). The workbooks are read back with
openpyxl. Each test gathers every finding of its pages and reports them in one message, page by page.

Pages whose templates other branches are rewriting at the same time are scanned all the same; what they still show
is reported as an expected failure (xfail) whose reason lists the page and the findings, so the merge shows what is
left. Pages of this branch (home, schemes, login, errors, the shared header) and every workbook fail outright.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from tests.web.test_pages import page_login
from tests.workflow.conftest import STEPS, SUBMITTED, act_on, staff, submit, walk

# Latin words a Chinese page or workbook may show: the product's name, file formats staff know by these names (Excel,
# xlsx, PDF, YAML), codes of standards (GB 11643) and the ADL scale's abbreviation.
ALLOWED_WORDS = {"carecalc", "excel", "wps", "xlsx", "pdf", "yaml", "gb", "adl",
                 "yyyy", "mm", "dd"}  # and the notation of a date's format (YYYY-MM)
# Codes (a project's JJ-C-32, a parameter version's hex digest, a document's number): letters with digits
CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*\d[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?![A-Za-z0-9])|"
                  r"(?<![A-Za-z0-9])[A-Za-z]+(?:-[A-Za-z0-9]+)*-\d+(?![A-Za-z0-9])")
SNAKE_ID = re.compile(r"(?<![A-Za-z0-9_.])[a-z][a-z0-9]*(?:\.[a-z0-9_]+)*_[a-z0-9_.]*[a-z0-9](?![A-Za-z0-9_])")
LATIN_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
MONTH = "2024-04"


@pytest.fixture
def engine(tmp_path):
    """The language of a page does not depend on the database: these tests use the embedded SQLite file only."""
    from care_services.db import init_db, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'language.sqlite3'}")
    init_db(engine)
    yield engine
    engine.dispose()


class _VisibleText(HTMLParser):
    """The text a user sees (and hears): element text and shown attributes, without scripts, styles and what is
    marked as another language (lang="en" on a Chinese page: the language switch) or as not to be translated
    (translate="no": a user's name). On an English page the quoted policy text (<q>) is Chinese by nature."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, skip_lang: str | None):
        super().__init__(convert_charrefs=True)
        self.skip_lang = skip_lang
        self.stack: list[bool] = []  # per open element: is its content skipped
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skipped = (bool(self.stack and self.stack[-1]) or tag in ("script", "style")
                   or attributes.get("translate") == "no" or (self.skip_lang == "zh" and tag == "q")
                   or (self.skip_lang is not None and (attributes.get("lang") or "").startswith(self.skip_lang)))
        if not skipped:
            self.parts.extend(attributes[name] for name in SHOWN_ATTRIBUTES if attributes.get(name))
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.parts.append(attributes["value"])
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, skip_lang: str | None = "en") -> list[str]:
    parser = _VisibleText(skip_lang)
    parser.feed(html)
    return parser.parts


def chinese_findings(texts) -> list[str]:
    """Raw ids and English words in texts meant for Chinese staff, each with the text it stands in."""
    findings = []
    for text in texts:
        ids = SNAKE_ID.findall(text)
        words = [w for w in LATIN_WORD.findall(CODE.sub(" ", SNAKE_ID.sub(" ", text))) if w.lower() not in ALLOWED_WORDS]
        if ids or words:
            findings.append(f"{'、'.join(dict.fromkeys(ids + words))} ← “{text[:90]}”")
    return list(dict.fromkeys(findings))


def chinese_vocabulary_names() -> set[str]:
    """The Chinese names of states, services and choices: none belongs on an English page."""
    from care_services import vocabulary as v
    from subsidy_rules import workflow as wf

    names = {*wf.STATES.values(), *wf.INSTITUTION_STATES.values(), *wf.EXIT_REASONS.values(),
             *v.SERVICE_TYPE.values(), *v.APPLIED_BY.values(), *v.PAYROLL_STATUS.values()}
    return {name for name in names if len(name) >= 2}


def english_findings(texts) -> list[str]:
    names = chinese_vocabulary_names()
    findings = []
    for text in texts:
        found = sorted(name for name in names if name in text)
        if found or SNAKE_ID.search(text):
            findings.append(f"{'、'.join(found + SNAKE_ID.findall(text))} ← “{text[:90]}”")
    return list(dict.fromkeys(findings))


def workbook_texts(data: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in workbook.worksheets:
        texts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            texts.extend(value for value in row if isinstance(value, str) and value.strip())
    return texts


def report(findings: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n    " + "\n    ".join(lines) for page, lines in findings.items() if lines)


def conclude(findings: dict[str, list[str]], others: dict[str, str]) -> None:
    """Fail on any finding, except on a page listed with a known gap (``others``: the page and what is still to be
    put in staff language, issue 17): an expected failure naming the gap, so the remaining work stays visible."""
    mine = {page: lines for page, lines in findings.items() if lines and page not in others}
    assert not mine, "staff language:\n" + report(mine)
    theirs = {f"{page} [{others[page]}]": lines for page, lines in findings.items() if lines}
    if theirs:
        pytest.xfail("known gaps still to be put in staff language (issue 17):\n" + report(theirs))


# ------------------------------------------------------------------------------------------------ fixtures


def _get(client, url: str, status: int = 200) -> str:
    answer = client.get(url)
    assert answer.status_code == status, f"{url}: HTTP {answer.status_code}"
    return answer.get_data(as_text=True)


@pytest.fixture
def cases(county, clock):
    """A case just filed, one past the township's review, one the health assessor sent back to the township for
    correction, one paid (its notice published, its roll generated), one rejected by the township (its refusal letter
    is printed)."""
    from care_services.db import session_scope

    filed = submit(county, 41)
    reviewed = submit(county, 42)
    walk(county, reviewed, until="township_reviewed")
    sent_back = submit(county, 44)
    walk(county, sent_back, until="township_reviewed")
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=2), session, staff(session, "wang"), sent_back, "send_back",
               send_back_to="township_review", reason="户口本页与身份证住址不一致，请核实后补正")
    paid = submit(county, 43)
    walk(county, paid)
    rejected = submit(county, 45)
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=1), session, staff(session, "li"), rejected, "reject",
               reason="户籍不在宜春市")
    clock.travel_to(SUBMITTED + dt.timedelta(days=STEPS[-1][3] + 20))
    return {"filed": filed, "reviewed": reviewed, "paid": paid, "rejected": rejected, "sent_back": sent_back}


def _client(web_app, username: str | None, lang: str):
    client = web_app.test_client()
    token = page_login(client, username) if username else None
    client.get(f"/?lang={lang}")  # remembered in a cookie for the pages after
    return client, token


CHECK_FACTS = {"fact.hukou_division_code": "360902", "fact.birth_date": "1960-05-01", "fact.dibao_household": "是",
               "fact.has_disability_certificate": "是", "fact.disability_category": "visual",
               "fact.disability_grade": "1", "fact.requested_service": "home_care"}


def _pages_of_this_branch(web_app, lang: str) -> dict[str, str]:
    pages = {}
    anonymous, _ = _client(web_app, None, lang)
    pages["/"] = _get(anonymous, "/")
    pages["/check"] = _get(anonymous, "/check")
    pages["/login"] = _get(anonymous, "/login")
    form = anonymous.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    wrong = anonymous.post("/login", data={"username": "li", "password": "wrong 1", "csrf_token": token})
    pages["/login (wrong password)"] = wrong.get_data(as_text=True)
    pages["/no-such-page (404)"] = _get(anonymous, "/no-such-page", 404)
    li, _ = _client(web_app, "li", lang)
    pages["/ (logged in)"] = _get(li, "/")
    pages["/cases/987654 (404)"] = _get(li, "/cases/987654", 404)
    pages[f"/cases/payroll/{MONTH} as a township reviewer (403)"] = _get(li, f"/cases/payroll/{MONTH}?jurisdiction=360902", 403)
    zhou, _ = _client(web_app, "zhou", lang)
    pages["/cases/payroll/2024-13 (422)"] = _get(zhou, "/cases/payroll/2024-13?jurisdiction=360902", 422)
    return pages


def _pages_of_others(web_app, cases, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """(pages, owner of each page) for the pages other branches are rewriting; a page without an owner (None) is
    done and fails outright."""
    pages, owners = {}, {}

    def add(name, owner, html):
        pages[name] = html
        if owner:
            owners[name] = owner

    anonymous, _ = _client(web_app, None, lang)
    add("/check/disability_care", "hc: check.html", _get(anonymous, "/check/disability_care"))
    form = anonymous.get("/check/disability_care").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = anonymous.post("/check/disability_care", data={"csrf_token": token, "jurisdiction": "360902",
                                                             "date": "2024-04-01", **CHECK_FACTS})
    add("/check/disability_care answer (visual, not eligible)", "hc: answer.html, eligibility.py",
        answer.get_data(as_text=True))
    wrong = anonymous.post("/check/disability_care", data={"csrf_token": token, "jurisdiction": "360902",
                                                            "fact.two_subsidies_month": "-5"})
    add("/check/disability_care with an error", "hc: check.html", wrong.get_data(as_text=True))
    li, _ = _client(web_app, "li", lang)
    add("/cases as the township reviewer", "hq: cases.html", _get(li, "/cases"))
    add("/cases/new", "hw: new_case.html", _get(li, "/cases/new"))
    add("case page, filed, as the township reviewer", None, _get(li, f"/cases/{cases['filed']}"))
    wang, _ = _client(web_app, "wang", lang)
    add("case page, reviewed, as the health assessor", None, _get(wang, f"/cases/{cases['reviewed']}"))
    add("case page, sent back for correction, as the health assessor", None, _get(wang, f"/cases/{cases['sent_back']}"))
    li_client, li_token = _client(web_app, "li", lang)
    add("补正通知书 (print view)", None, _paper(li_client, li_token, cases["sent_back"], "correction"))
    zhao, zhao_token = _client(web_app, "zhao", lang)
    add("case page, paid, as the federation", None, _get(zhao, f"/cases/{cases['paid']}"))
    add("/cases/notice", None, _get(zhao, "/cases/notice?jurisdiction=360902"))
    add("case papers page, paid", None, _get(zhao, f"/cases/{cases['paid']}/forms"))
    add("print view: approval form, paid", None, _paper(zhao, zhao_token, cases["paid"], "approval"))
    add("print view: approval form, rejected", None, _paper(zhao, zhao_token, cases["rejected"], "approval"))
    add("print view: refusal letter", None, _paper(zhao, zhao_token, cases["rejected"], "rejection"))
    zhou, token = _client(web_app, "zhou", lang)
    add("/cases as finance", "hq: cases.html", _get(zhou, "/cases"))
    generated = zhou.post(f"/cases/payroll/{MONTH}", data={"csrf_token": token, "jurisdiction": "360902"})
    assert generated.status_code == 302, generated.get_data(as_text=True)[:500]
    add(f"/cases/payroll/{MONTH}", "hq: payroll.html", _get(zhou, f"/cases/payroll/{MONTH}?jurisdiction=360902"))
    add("/budget", None, _get(zhou, "/budget"))
    add("/planning", "planning form", _get(zhou, "/planning"))
    add("/parameters", None, _get(anonymous, "/parameters"))
    admin, _ = _client(web_app, "admin", lang)
    add("/parameters as the administrator", None, _get(admin, "/parameters"))
    add(f"/cases/payroll/{MONTH} city summary", "hq: payroll.html",
        _get(admin, f"/cases/payroll/{MONTH}?jurisdiction=360900"))
    _roster_pages(web_app, lang, add)  # last: an imported roster would change the roll above
    return pages, owners


def _roster_pages(web_app, lang: str, add) -> None:
    """The rosters page: its form, its errors, the message after an import, and the read-only view."""
    from tests.web.test_rosters_page import person, workbook

    qian, token = _client(web_app, "qian", lang)
    add("/rosters as the civil-affairs reviewer", None, _get(qian, "/rosters"))
    form = {"csrf_token": token, "roster": "dibao", "source_department": "袁州区民政局", "jurisdiction": "360902"}
    wrong = qian.post("/rosters", data={**form, "roster": "", "source_date": "2099-01-01",
                                        "file": (io.BytesIO(b"a,b"), "list.csv")}, content_type="multipart/form-data")
    assert wrong.status_code == 422
    add("/rosters with errors", None, wrong.get_data(as_text=True))
    bad_row = qian.post("/rosters", data={**form, "source_date": "2024-03-20",
                                          "file": (io.BytesIO(workbook([("某某", "123", None)])), "名册.xlsx")},
                        content_type="multipart/form-data")
    assert bad_row.status_code == 422
    add("/rosters with a bad row", None, bad_row.get_data(as_text=True))
    done = qian.post("/rosters", data={**form, "source_date": "2024-03-20",
                                       "file": (io.BytesIO(workbook([("某某", person(41), None)])), "名册.xlsx")},
                     content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    add("/rosters after an import", None, _get(qian, done.headers["Location"]))
    li, _ = _client(web_app, "li", lang)
    add("/rosters as the township reviewer (read-only)", None, _get(li, "/rosters"))


def _paper(client, token: str, case_id: int, form: str) -> str:
    """A case paper's print view (a POST: producing one is audited)."""
    answer = client.post(f"/cases/{case_id}/forms/{form}", data={"csrf_token": token, "format": "html"})
    assert answer.status_code == 200, f"{form} of case {case_id}: HTTP {answer.status_code}"
    return answer.get_data(as_text=True)


def _job(client, url: str, body: dict) -> dict:
    started = client.post(url, json=body, headers={"X-CSRF-Token": client.token})
    assert started.status_code in (200, 202), started.get_data(as_text=True)[:500]
    done = client.get(started.get_json()["status_url"] + "?wait=240").get_json()
    assert done["status"] == "done", done
    return done


# ------------------------------------------------------------------------------------------------ the scans


def test_the_pages_of_the_shared_layout_home_login_and_errors_speak_chinese(web_app):
    findings = {name: chinese_findings(visible_text(html)) for name, html in _pages_of_this_branch(web_app, "zh").items()}
    conclude(findings, {})


def test_the_english_pages_of_the_shared_layout_name_nothing_in_chinese(web_app):
    findings = {name: english_findings(visible_text(html, skip_lang="zh"))
                for name, html in _pages_of_this_branch(web_app, "en").items()}
    conclude(findings, {})


def test_every_other_chinese_page_speaks_chinese(web_app, cases):
    pages, owners = _pages_of_others(web_app, cases, "zh")
    conclude({name: chinese_findings(visible_text(html)) for name, html in pages.items()}, owners)


def test_every_other_english_page_names_no_state_service_or_choice_in_chinese(web_app, cases):
    pages, owners = _pages_of_others(web_app, cases, "en")
    conclude({name: english_findings(visible_text(html, skip_lang="zh")) for name, html in pages.items()}, owners)


def test_the_result_pages_of_budget_and_planning_speak_chinese(web_app, login):
    zhou = login("zhou")
    budget = _job(zhou, "/api/v1/budget/projections", {
        "first_year": 2024, "last_year": 2025, "caseload": "synthetic", "synthetic": 100, "projects": "sample",
        "scenarios": [{"name": "居家照护700元", "parameters": {"disability_care.home_care_month": 700}}]})
    plan = _job(zhou, "/api/v1/allocations", {"sample": True, "year": 2025, "budget": "5亿", "time_limit": 10})
    pages = {"budget result": zhou.get(budget["report_url"].removesuffix("/report.xlsx")).get_data(as_text=True),
             "planning result": zhou.get(plan["report_url"].removesuffix("/plan.xlsx")).get_data(as_text=True)}
    conclude({name: chinese_findings(visible_text(html)) for name, html in pages.items()}, {})


def test_every_workbook_speaks_chinese(web_app, login, cases):
    """Budget report, plan, payroll, notice, batch result and every import template, read back with openpyxl."""
    from care_services.model import ENTITY_MODELS

    zhou = login("zhou")
    workbooks = {}

    def add(name, answer):
        assert answer.status_code == 200, f"{name}: HTTP {answer.status_code} {answer.get_data(as_text=True)[:300]}"
        workbooks[name] = answer.data

    budget = _job(zhou, "/api/v1/budget/projections", {
        "first_year": 2024, "last_year": 2025, "caseload": "synthetic", "synthetic": 100, "projects": "sample",
        "scenarios": [{"name": "居家照护700元", "parameters": {"disability_care.home_care_month": 700}}]})
    add("budget report", zhou.get(budget["report_url"]))
    plan = _job(zhou, "/api/v1/allocations", {"sample": True, "year": 2025, "budget": "5亿", "time_limit": 10})
    add("plan", zhou.get(plan["report_url"]))
    generated = zhou.post(f"/api/v1/payroll/{MONTH}?jurisdiction=360902", json={"jurisdiction": "360902"},
                          headers={"X-CSRF-Token": zhou.token})
    assert generated.status_code in (200, 201), generated.get_data(as_text=True)[:300]
    add("payroll", zhou.get(f"/cases/payroll/{MONTH}?jurisdiction=360902&format=xlsx"))
    add("notice", login("zhao").get("/cases/notice?jurisdiction=360902&format=xlsx"))
    add("补正通知书", login("li").post(f"/cases/{cases['sent_back']}/forms/correction", data={"format": "xlsx"}))
    add("batch result", zhou.post(
        "/api/v1/schemes/disability_care/evaluate-batch?format=xlsx", headers={"X-CSRF-Token": zhou.token},
        json={"jurisdiction": "360902", "date": "2024-04-01", "cases": [
            {"facts": {"birth_date": "1960-05-01", "disability_category": "physical", "disability_grade": 1}},
            {"facts": {"birth_date": "1960-05-01", "disability_category": "visual", "disability_grade": 1}}]}))
    for entity in ENTITY_MODELS:
        add(f"template {entity}", zhou.get(f"/templates/{entity}.xlsx"))
    for table in ("districts", "projects"):
        add(f"planning template {table}", zhou.get(f"/planning/template/{table}.xlsx"))
    # every workbook is this branch's now (issue 18 fixed them all): a finding fails outright
    conclude({name: chinese_findings(workbook_texts(data)) for name, data in workbooks.items()}, {})


def test_every_workbook_the_cli_writes_speaks_chinese(county, tmp_path):
    """The CLI's templates (batch evaluation per scheme, caseload, every entity) and exports, read back."""
    import contextlib

    from care_services.cli import main
    from care_services.model import ENTITY_MODELS
    from subsidy_rules.engine import all_schemes

    database = county.url.render_as_string(hide_password=False)
    commands = {f"template {entity}": ["template", entity] for entity in ENTITY_MODELS}
    commands.update({f"template cases --scheme {s.id}": ["template", "cases", "--scheme", s.id] for s in all_schemes()})
    commands["template caseload"] = ["template", "caseload"]
    commands.update({f"export {entity}": ["export", entity] for entity in ("divisions", "projects", "districts")})
    workbooks = {}
    for name, command in commands.items():
        path = tmp_path / f"{len(workbooks)}.xlsx"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as errors:
            code = main(["--database", database, *command, "--output", str(path)])
        assert code == 0, f"carecalc {name}: exit {code} {errors.getvalue()[:300]}"
        workbooks[name] = path.read_bytes()
    findings = {name: chinese_findings(workbook_texts(data)) for name, data in workbooks.items()}
    conclude(findings, {})  # no owner elsewhere: a finding fails outright


# ------------------------------------------------------------------------------------------------ the scanner


def test_the_scanner_finds_ids_and_english_and_allows_what_staff_use():
    """The scan itself: it must catch what issue 17 found and let through what belongs."""
    found = chinese_findings(["还需要：hukou_division_code、birth_date", "/ not met: grade 1-2 physical",
                              "参数 disability_care.home_care_month", "baseline"])
    assert len(found) == 4 and "hukou_division_code" in found[0] and "physical" in found[1]
    assert "disability_care.home_care_month" in found[2]
    assert not chinese_findings(["carecalc 一老一小服务测算", "下载Excel报告", "GB 11643 校验", "九府办字[2022]113号",
                                 "面积（m²）", "360902100", "2024-05-01 10:00:00", "ADL评估",
                                 "用YAML文本填写方案"])
    assert visible_text('<p>中文<a lang="en">English</a><script>var x_y = 1</script></p><input placeholder="搜索">'
                        '<span translate="no">li</span>') == ["中文", "搜索"]
    assert not chinese_findings(["项目 JJ-C-32", "参数版本 f492aa61d931", "月份格式应为YYYY-MM"])
    assert english_findings(["State: 享受中", "home_care"]) and not english_findings(["Receiving payments 欧阳建国"])
