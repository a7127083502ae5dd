"""The work queue (/cases): per case the rules' verdict, the monthly amount, the township's name, the days waiting in
its step by the server's clock and its state in Chinese; sortable and filterable in the database; the whole row a
link with the case number a real one; divisions picked by name on the notice and payroll forms."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import event

from care_services.db import session_scope
from tests.conftest import travel
from tests.web.test_pages import page_login
from tests.workflow.conftest import SUBMITTED, act_on, staff, submit, walk


def _rows(html: str, table: str) -> list[dict]:
    body = re.search(rf'<table id="{table}"[^>]*>.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = []
    for row in re.findall(r'<tr data-href="([^"]+)">(.*?)</tr>', body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
        rows.append({"href": row[0], "id": int(cells[0]), "verdict": cells[1], "applicant": cells[2],
                     "township": cells[4], "amount": cells[5], "state": cells[6], "waiting": cells[7]})
    return rows


def _cases(county) -> tuple[int, int, int]:
    """An eligible case at the federation's review, one whose certificate is 视力 (✘) and one still to assess."""
    eligible = submit(county, 1)
    walk(county, eligible, until="assessed")  # assessed on day 3
    visual = submit(county, 2)
    with session_scope(county) as session:
        from care_services.model import CareCase

        certificate = session.get(CareCase, visual).person_id_number + "11"
        act_on(SUBMITTED + dt.timedelta(days=1), session, staff(session, "li"), visual, "correct_facts",
               disability_certificate_number=certificate, reason="核对残疾人证原件")
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=1), session, staff(session, "ma"), visual, "township_review",
               confirm_override=True, override_reason="证号为视力残疾，报县级复核")
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=3), session, staff(session, "wang"), visual, "assess", doctor="王医生",
               failed_activities=["adl_eating", "adl_dressing", "adl_transfer", "adl_toileting"],
               assessed_on=SUBMITTED + dt.timedelta(days=2), confirm_override=True, override_reason="评估如实记录，报残联复核")
    waiting = submit(county, 3)
    return eligible, visual, waiting


def test_the_queue_shows_verdict_amount_township_days_and_state(web_app, county):
    eligible, visual, waiting = _cases(county)
    travel(SUBMITTED + dt.timedelta(days=10))
    client = web_app.test_client()
    page_login(client, "zhao")
    html = client.get("/cases").get_data(as_text=True)
    mine = {row["id"]: row for row in _rows(html, "queue")}
    assert set(mine) == {eligible, visual}  # the federation's step; the third still waits for the township
    assert mine[eligible]["verdict"] == "✔ 符合" and mine[eligible]["amount"] == "600.00"
    assert mine[visual]["verdict"] == "✘ 不符合"
    assert mine[eligible]["township"] == "测试镇 红星村"  # the division's name, never its code
    assert mine[eligible]["state"] == "已评估，待民政或残联审核"
    assert mine[eligible]["waiting"] == "7"  # assessed on 4 March, today 11 March by the server's clock
    assert f'<a href="/cases/{eligible}" id="case-{eligible}">{eligible}</a>' in html  # the number a real link
    assert mine[eligible]["href"] == f"/cases/{eligible}" and "case_rows.js" in html
    everything = {row["id"]: row for row in _rows(html, "cases")}
    assert everything[waiting]["verdict"] == "？ 待定" and everything[waiting]["waiting"] == "10"
    assert "360902100" not in re.sub(r"<[^>]+>", " ", html.split('id="notice-form"')[0])


def test_sorting_and_filtering_in_the_database(web_app, county):
    eligible, visual, waiting = _cases(county)
    travel(SUBMITTED + dt.timedelta(days=10))
    client = web_app.test_client()
    page_login(client, "zhao")
    by_waiting = [r["id"] for r in _rows(client.get("/cases").get_data(as_text=True), "cases")]
    assert by_waiting[0] == waiting  # the default: the longest waiting first (filed on day 0, never moved)
    html = client.get("/cases?sort=verdict&order=asc").get_data(as_text=True)
    assert [r["verdict"][0] for r in _rows(html, "cases")] == ["✔", "？", "✘"]
    assert 'aria-sort="ascending"' in html and 'href="/cases?sort=verdict&amp;order=desc"' in html
    descending = client.get("/cases?sort=verdict&order=desc").get_data(as_text=True)
    assert [r["verdict"][0] for r in _rows(descending, "cases")] == ["✘", "？", "✔"]
    assert [r["id"] for r in _rows(client.get("/cases?sort=id&order=asc").get_data(as_text=True), "cases")] == \
        sorted([eligible, visual, waiting])
    only_no = client.get("/cases?verdict=no&state=&scheme=disability_care").get_data(as_text=True)
    assert [r["id"] for r in _rows(only_no, "cases")] == [visual]
    submitted = client.get("/cases?state=submitted").get_data(as_text=True)
    assert [r["id"] for r in _rows(submitted, "cases")] == [waiting]
    assert 'href="/cases?state=submitted&amp;sort=amount&amp;order=desc"' in submitted  # links keep the filters
    assert client.get("/cases?sort=bogus").status_code == 422
    assert client.get("/cases?verdict=maybe").status_code == 422


def test_labelled_filters_and_division_pickers(web_app, county):
    client = web_app.test_client()
    page_login(client, "zhou")
    html = client.get("/cases").get_data(as_text=True)
    for select in ("state-filter", "scheme-filter", "verdict-filter", "notice-jurisdiction", "payroll-jurisdiction"):
        assert f'<label for="{select}">' in html and f'<select name="' in html, select
    notice = re.search(r'<select name="jurisdiction" id="notice-jurisdiction".*?</select>', html, re.S).group(0)
    assert '<option value="360902">袁州区</option>' in notice and '<option value="360902100">测试镇</option>' in notice
    roll = re.search(r'<select name="jurisdiction" id="payroll-jurisdiction".*?</select>', html, re.S).group(0)
    assert '<option value="360902">袁州区</option>' in roll and "360902100" not in roll  # a roll is a county's
    assert "<input name=\"jurisdiction\"" not in html  # no typed division code anywhere
    english = client.get("/cases?lang=en").get_data(as_text=True)
    assert "Days in this step" in english and "All verdicts" in english


def test_the_chinese_queue_shows_no_raw_ids_and_no_english(web_app, county):
    _cases(county)
    client = web_app.test_client()
    page_login(client, "zhao")
    html = client.get("/cases").get_data(as_text=True)
    main = re.search(r"(?s)<main[^>]*>(.*)</main>", html).group(1)
    main = re.sub(r"(?s)<script.*?</script>", "", main)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no raw field, state or scheme ids
    assert not re.search(r"\b[A-Za-z]{2,}\b", text), text  # no English word
    assert "测试镇" in text and "已评估，待民政或残联审核" in text and "待定" in text


def test_the_queue_is_one_query_however_many_cases(web_app, county):
    for sequence in range(1, 13):
        submit(county, sequence)
    client = web_app.test_client()
    page_login(client, "li")
    engine = web_app.extensions["carecalc_engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        html = client.get("/cases").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(_rows(html, "queue")) == 12
    case_queries = [s for s in statements if "FROM cases" in s]
    assert len(case_queries) == 1, case_queries  # not one per case
    assert not [s for s in statements if "INSERT" in s or "UPDATE audit" in s]
