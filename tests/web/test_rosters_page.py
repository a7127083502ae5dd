"""The rosters page (web/rosters.py): other departments' lists imported in the browser, as `carecalc roster import`
does (宜府办发〔2023〕20号 三（二）): stored with an audit entry, shown as the list in force; bad input a 422 naming
each field in the page's language with nothing stored; only the importing departments may import."""

from __future__ import annotations

import io
import re
import os
import stat

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from care_services.db import session_scope
from care_services.model import AuditEntry, RosterEntry, RosterImport
from care_services.rosters import ROSTERS
from tests.web.test_pages import page_login
from tests.workflow.conftest import application

ROSTER_NAMES_ZH = [r.zh for r in ROSTERS.values()]


def workbook(rows, header=("姓名", "身份证号", "纳入低保日期")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def person(sequence: int) -> str:
    return application(sequence)["id_number"]


def client_of(web_app, username: str, lang: str = "zh"):
    client = web_app.test_client()
    token = page_login(client, username)
    client.get(f"/?lang={lang}")  # the language is remembered in a cookie
    return client, token


def post(client, token, *, file=None, filename="低保名册.xlsx", **fields):
    form = {"csrf_token": token, "roster": "dibao", "source_department": "袁州区民政局社会救助股",
            "source_date": "2024-02-20", "jurisdiction": "360902", **fields}
    if file is not None:
        form["file"] = (io.BytesIO(file), filename)
    return client.post("/rosters", data=form, content_type="multipart/form-data")


def stored(county) -> tuple[int, int, int]:
    with session_scope(county) as session:
        return (session.scalar(select(func.count()).select_from(RosterImport)),
                session.scalar(select(func.count()).select_from(RosterEntry)),
                session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "roster")))


def test_an_import_through_the_page_is_stored_audited_and_shown_and_its_file_was_private(web_app, county, monkeypatch):
    from web import rosters as page

    seen = []
    original = page.import_roster

    def watched(session, roster_id, path, **kwargs):
        seen.append((path, stat.S_IMODE(os.stat(path).st_mode), path.name))
        return original(session, roster_id, path, **kwargs)

    monkeypatch.setattr(page, "import_roster", watched)
    client, token = client_of(web_app, "qian")  # 民政 county reviewer of 袁州区
    form = client.get("/rosters").get_data(as_text=True)
    assert 'id="roster-form"' in form and all(name in form for name in ROSTER_NAMES_ZH)
    assert 'id="nav-rosters"' in form and "尚未导入" in form

    answer = post(client, token, file=workbook([("某某", person(1), "2020-01-01"), ("某某", person(2), None)]))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page_after = client.get(answer.headers["Location"]).get_data(as_text=True)
    message = page_after.split('id="roster-imported">')[1].split("</p>")[0]
    assert "已导入低保对象名册" in message and "袁州区民政局社会救助股" in message and "2024-02-20" in message
    assert "2人" in message and "袁州区" in message
    status = page_after.split('id="roster-status"')[1].split("</table>")[0]
    assert "袁州区民政局社会救助股" in status and "截至2024-02-20" in status

    with session_scope(county) as session:
        record = session.scalar(select(RosterImport))
        assert (record.roster, record.source_department, record.source_date.isoformat(), record.jurisdiction_code,
                record.rows, record.imported_by, record.file_name) == \
            ("dibao", "袁州区民政局社会救助股", "2024-02-20", "360902", 2, "qian", "低保名册.xlsx")
        numbers = set(session.scalars(select(RosterEntry.id_number).where(RosterEntry.import_id == record.id)))
        assert numbers == {person(1), person(2)}
        audit = session.scalar(select(AuditEntry).where(AuditEntry.entity == "roster"))
        assert audit.username == "qian" and audit.action == "import" and audit.details["rows"] == 2
        assert audit.details["source_date"] == "2024-02-20" and audit.details["roster"] == "低保对象名册"
    (path, mode, name), = seen
    assert mode == 0o600 and name == "低保名册.xlsx" and not path.exists() and not path.parent.exists()


def test_bad_fields_are_a_422_naming_each_in_chinese_and_nothing_is_stored(web_app, county):
    client, token = client_of(web_app, "qian")
    answer = post(client, token, file=workbook([("某某", person(1), None)]), roster="pension",
                  source_department=" ", source_date="2024-03-05", jurisdiction="360921")  # future; another county
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    summary = html.split('id="roster-errors"')[1].split("</div>")[0]
    for label in ("名册类别", "提供部门", "名册截至日期", "名册覆盖区划"):
        assert label in summary
    assert "请从列表中选择名册类别" in html and "必须填写" in html and "截至日期不能晚于今天（2024-03-01）" in html
    assert "只能导入本辖区的名册" in html and 'aria-invalid="true"' in html
    assert "袁州区民政局" not in html.split('id="roster-status"')[1].split("</table>")[0]
    assert stored(county) == (0, 0, 0)

    missing = post(client, token, source_date="2024-02-30")  # no file; not a date
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "请上传.xlsx文件" in html and "日期格式应为YYYY-MM-DD" in html
    assert stored(county) == (0, 0, 0)


def test_the_english_page_names_its_errors_and_rosters_in_english(web_app, county):
    client, token = client_of(web_app, "qian", "en")
    html = client.get("/rosters").get_data(as_text=True)
    assert "Subsistence allowance (dibao) roster" in html and "Deaths list" in html and "Import a roster" in html
    assert not [name for name in ROSTER_NAMES_ZH if name in html]
    answer = post(client, token, file=workbook([("某某", person(1), None)]), source_date="2024-03-05", roster="x")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "the as-of date cannot be after today (2024-03-01)" in html
    assert "choose a roster from the list" in html and "截至日期不能晚于" not in html
    assert not [name for name in ROSTER_NAMES_ZH if name in html]
    assert stored(county) == (0, 0, 0)


def test_a_bad_row_refuses_the_whole_roster_naming_the_row(web_app, county):
    client, token = client_of(web_app, "qian")
    bad = person(2)[:-1] + ("0" if person(2)[-1] != "0" else "1")  # a wrong GB 11643 check digit
    answer = post(client, token, file=workbook([("某某", person(1), None), ("某某", bad, None)]))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    error = html.split('id="error-file"')[1].split("</span>")[0]
    assert "第3行" in error
    assert stored(county) == (0, 0, 0)


def test_only_the_importing_departments_may_import_others_see_the_page_read_only(web_app, county):
    for username in ("zhao", "sun", "admin"):  # 残联, 乡村振兴, administrator: the form and the menu link
        client, _ = client_of(web_app, username)
        html = client.get("/rosters").get_data(as_text=True)
        assert 'id="roster-form"' in html and 'id="nav-rosters"' in html, username
    for username in ("li", "zhou", "wang"):  # township reviewer, finance, health assessor
        client, token = client_of(web_app, username)
        html = client.get("/rosters").get_data(as_text=True)
        assert 'id="roster-form"' not in html and 'id="roster-read-only"' in html and 'id="nav-rosters"' not in html
        refused = post(client, token, file=workbook([("某某", person(1), None)]))
        assert refused.status_code == 403, username
    anonymous = web_app.test_client()
    assert anonymous.get("/rosters").status_code == 302  # to the login form
    assert stored(county) == (0, 0, 0)


def test_the_administrator_imports_for_a_county_within_the_city_not_beyond(web_app, county):
    client, token = client_of(web_app, "admin")  # 宜春市 (360900)
    html = client.get("/rosters").get_data(as_text=True)
    picker = html.split('id="roster-jurisdiction"')[1].split("</select>")[0]
    assert 'value="360900"' in picker and 'value="360902"' in picker and 'value="360402"' not in picker
    assert post(client, token, file=workbook([("某某", person(1), None)]), jurisdiction="360402").status_code == 422
    deaths = workbook([("某某", person(1), "2024-01-05")], header=("姓名", "身份证号", "死亡日期"))
    answer = post(client, token, file=deaths, roster="deaths", jurisdiction="360902", source_department="袁州区民政局")
    assert answer.status_code == 302
    assert stored(county) == (1, 1, 1)


@pytest.mark.parametrize("case", ["not xlsx", "not a workbook", "too many rows", "too large a request"])
def test_an_upload_that_is_no_workbook_or_too_large_is_refused_before_anything_is_stored(web_app, county, case):
    from care_services.upload_limits import WEB

    client, token = client_of(web_app, "qian")
    rows = [("某某", person(n), None) for n in range(1, 8)]
    if case == "not xlsx":
        answer, status, text = post(client, token, file=b"a,b\n", filename="名册.csv"), 422, "请上传.xlsx文件"
    elif case == "not a workbook":
        answer, status, text = post(client, token, file=b"PK not a zip at all"), 422, "无法读取该文件"
    elif case == "too many rows":
        web_app.config["UPLOAD_LIMITS"] = WEB.scaled(rows=5)
        answer, status, text = post(client, token, file=workbook(rows)), 422, "行"
    else:
        web_app.config["MAX_CONTENT_LENGTH"] = 2000
        answer, status, text = post(client, token, file=workbook(rows) + b"\0" * 4000), 413, "上传文件过大"
    html = answer.get_data(as_text=True)
    assert answer.status_code == status, html[:2000]
    assert text in html
    if status == 422:
        assert 'id="error-file"' in html and 'id="roster-form"' in html
    assert stored(county) == (0, 0, 0)


def test_each_wrong_field_points_at_its_message(web_app, county):
    from tests.web.test_accessible_forms import _described

    client, token = client_of(web_app, "qian")
    html = post(client, token, source_date="2024-03-05", source_department="").get_data(as_text=True)
    assert "截至日期不能晚于今天" in _described(html, "roster-date")
    assert "必须填写" in _described(html, "roster-department")
    assert "请上传.xlsx文件" in _described(html, "roster-file")
    assert 'aria-invalid="true"' not in re.search(r'<select[^>]*id="roster-kind"[^>]*>', html).group(0)
