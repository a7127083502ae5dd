"""One payment per person and month (the county's roll; a city's is a summary), racing closings on SQLite and
PostgreSQL, late exits as correction lines, closed rolls checked whenever read, and GETs that write nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from care_services import payroll
from care_services.accounts import create_user
from care_services.casework import act
from care_services.cli import main
from care_services.db import session_scope
from care_services.model import AuditEntry, PayrollLine, PayrollMonth, PayrollPayment
from subsidy_rules.workflow import WorkflowError
from tests.conftest import travel
from tests.web.conftest import Client
from tests.workflow.conftest import PASSWORD, staff, submit, walk

CLOSED_ON = dt.date(2024, 6, 2)


@pytest.fixture
def recipients(county):
    """Two active recipients in 袁州区 (360902) and a finance approver of the city (宜春市, 360900)."""
    cases = [submit(county, 1), submit(county, 2)]
    for case_id in cases:
        walk(county, case_id)
    with session_scope(county) as session:
        create_user(session, "city_finance", PASSWORD, "finance_approver", "360900", created_by="test")
    return cases


def _counts(engine) -> dict:
    with engine.connect() as connection:
        return {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                for model in (PayrollMonth, PayrollLine, PayrollPayment, AuditEntry)}


def test_a_city_roll_is_the_summary_of_its_counties_rolls(county, recipients):
    with session_scope(county) as session:
        summary = payroll.generate(session, "2024-04", "360900", by="city_finance")
        assert isinstance(summary, payroll.Summary)
        assert [roll.header.jurisdiction_code for roll in summary.rolls] == ["360902"]
        assert summary.total == 1200 and summary.recipients == 2
        payroll.close(session, "2024-04", "360900", staff(session, "city_finance"), today=CLOSED_ON)
    with session_scope(county) as session:
        assert session.get(PayrollMonth, ("360900", "2024-04")) is None  # no second payment list
        assert session.get(PayrollMonth, ("360902", "2024-04")).status == "closed"
        with pytest.raises(WorkflowError) as refused:
            payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=CLOSED_ON)
        assert refused.value.code == "closed"
        paid = session.execute(select(PayrollPayment.case_id, PayrollPayment.month, PayrollPayment.jurisdiction_code)
                               .order_by(PayrollPayment.case_id)).all()
        assert [tuple(row) for row in paid] == [(case_id, "2024-04", "360902") for case_id in recipients]
        with pytest.raises(payroll.InputError) as township:
            payroll.generate(session, "2024-04", "360902100", by="test")
        assert "jurisdiction" in township.value.errors
    path = io.BytesIO()
    with session_scope(county) as session:
        payroll.write(path, payroll.read(session, "2024-04", "360900"), session)
    sheet = load_workbook(path)["各县汇总"]
    assert sheet["A4"].value == "360902" and sheet["B4"].value == "袁州区" and sheet["E5"].value == 1200
    with session_scope(county) as session:  # a city-level roll, as databases made before could hold, is no county's
        session.add(PayrollMonth(jurisdiction_code="360900", month="2024-05", status="draft", recipients=0, total=0,
                                 digest=payroll.digest([]), parameter_version="x", generated_by="old"))
    with session_scope(county) as session:
        assert payroll.read(session, "2024-05", "360900").rolls == []


def test_the_database_refuses_a_second_payment_of_a_case_and_month(county, recipients):
    with session_scope(county) as session:
        payroll.generate(session, "2024-04", "360902", by="test")
        payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=CLOSED_ON)
    with pytest.raises(Exception) as refused:
        with county.begin() as connection:  # a second row for the same case and month, around the code
            connection.execute(text("INSERT INTO payroll_payments (case_id, month, kind, jurisdiction_code, roll_month,"
                                    " amount) VALUES (:case_id, '2024-04', 'payment', '360902', '2024-04', 600)"),
                               {"case_id": recipients[0]})
    assert "unique" in str(refused.value).lower() or "duplicate" in str(refused.value).lower()


def _race(county, attempts) -> dict:
    start = threading.Barrier(len(attempts))
    outcomes = {}

    def run(name, attempt):
        try:
            start.wait(timeout=30)
            outcomes[name] = attempt()
        except Exception as error:  # noqa: BLE001 - the test reports what each got
            outcomes[name] = repr(error)

    threads = [threading.Thread(target=run, args=item) for item in attempts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_city_and_county_finance_closing_at_once_pay_each_recipient_once(county, recipients):
    def closing(username, jurisdiction, month):
        def attempt():
            try:
                with session_scope(county) as session:
                    payroll.generate(session, month, jurisdiction, by=username)
                    payroll.close(session, month, jurisdiction, staff(session, username), today=CLOSED_ON)
                return "done"
            except WorkflowError as error:
                return error.code
        return attempt

    months = ("2024-04", "2024-05", "2024-06")
    for month in months:  # a few rounds: who wins varies, the outcome may not
        outcomes = _race(county, {"city": closing("city_finance", "360900", month),
                                  "county": closing("zhou", "360902", month)})
        winners = [name for name, outcome in outcomes.items() if outcome == "done"]
        assert len(winners) == 1 and set(outcomes.values()) - {"done"} <= {"stale", "closed"}, outcomes
    with session_scope(county) as session:
        paid = session.execute(select(PayrollPayment.case_id, func.count()).group_by(PayrollPayment.case_id)).all()
        assert sorted(tuple(row) for row in paid) == [(case_id, len(months)) for case_id in recipients]
        assert session.scalar(select(func.count()).select_from(PayrollMonth)
                              .where(PayrollMonth.status == "closed")) == len(months)


def _web(county):
    from web import create_app

    # as tests/web's app: logins outlast the days a test's clock may move over
    return create_app({"DATABASE_URL": county.url.render_as_string(hide_password=False), "TESTING": True,
                       "SECRET_KEY": "test", "SESSION_IDLE_TIMEOUT": dt.timedelta(days=3650),
                       "PERMANENT_SESSION_LIFETIME": dt.timedelta(days=3650)})


def _record_exit(session, case_id: int, exit_date: dt.date, reason: str) -> None:
    """The exit recorded on 10 May, dated ``exit_date``. Where the server's clock records the steps (issue 14 part
    A: tests.workflow.conftest.act_on, the date an ``exit_date`` fact) that is how; before it, the step's date."""
    from tests.workflow import conftest

    if hasattr(conftest, "act_on"):
        conftest.act_on(dt.date(2024, 5, 10), session, staff(session, "zhao"), case_id, "exit", exit_reason=reason,
                        exit_date=exit_date)
    else:
        act(session, staff(session, "zhao"), case_id, "exit", on=exit_date, exit_reason=reason)


def test_racing_closings_through_the_api_answer_200_and_409_never_500(county, recipients):
    app = _web(county)
    city, zhou = Client(app, "city_finance"), Client(app, "zhou")
    for client, jurisdiction in ((city, "360900"), (zhou, "360902")):
        assert client.post(f"/api/v1/payroll/2024-04?jurisdiction={jurisdiction}").status_code in (200, 201)
    travel(CLOSED_ON)  # closing is done once the month has begun, by the server's clock
    outcomes = _race(county, {
        "city": lambda: city.post("/api/v1/payroll/2024-04/close?jurisdiction=360900"),
        "county": lambda: zhou.post("/api/v1/payroll/2024-04/close?jurisdiction=360902")})
    statuses = sorted(answer.status_code for answer in outcomes.values())
    assert statuses == [200, 409], {name: answer.get_json() for name, answer in outcomes.items()}
    loser = next(answer for answer in outcomes.values() if answer.status_code == 409).get_json()["error"]
    assert "2024-04" in json.dumps(loser, ensure_ascii=False), loser
    with session_scope(county) as session:
        assert session.scalar(select(func.count()).select_from(PayrollPayment)) == len(recipients)


def test_an_exit_dated_in_a_closed_month_becomes_a_correction_on_the_next_open_roll(county, recipients, tmp_path):
    first, second = recipients
    with session_scope(county) as session:
        april = payroll.generate(session, "2024-04", "360902", by="test")
        payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=CLOSED_ON)
    with session_scope(county) as session:  # recorded in May: the person died on 31 March
        _record_exit(session, first, dt.date(2024, 3, 31), "death")
    with session_scope(county) as session:
        closed = payroll.read(session, "2024-04", "360902")
        assert closed.lines == april.lines and closed.header.status == "closed"  # April is not rewritten
        may = payroll.generate(session, "2024-05", "360902", by="test")
        assert [line["case_id"] for line in may.lines] == [second]
        assert [(c["case_id"], c["corrected_month"], c["amount"]) for c in may.corrections] == [(first, "2024-04", -600)]
        assert "2024-03-31" in may.corrections[0]["reason"] and "死亡" in may.corrections[0]["reason"]
        assert may.total == 0 and may.header.total == 0  # 600 paid to the second, 600 recovered from the first
        payroll.write_roll(tmp_path / "may.xlsx", may, "袁州区")
        payroll.close(session, "2024-05", "360902", staff(session, "zhou"), today=CLOSED_ON)
    with session_scope(county) as session:
        recovery = session.get(PayrollPayment, (first, "2024-04", "recovery"))
        assert recovery.roll_month == "2024-05" and recovery.amount == -600
        assert payroll.read(session, "2024-05", "360902").corrections == may.corrections  # verified on reading
        june = payroll.generate(session, "2024-06", "360902", by="test")
        assert june.corrections == []  # recovered once only
    cells = [[cell.value for cell in row] for row in load_workbook(tmp_path / "may.xlsx")["发放名册"].iter_rows()]
    heading = next(i for i, row in enumerate(cells) if row[0] and str(row[0]).startswith("更正：追回"))
    assert cells[heading + 1][:6] == ["序号", "姓名", "收款人（照护人或机构）", "账号", "所更正月份", "追回金额（元）"]
    recovery_row = cells[heading + 2]
    assert recovery_row[0] == 1 and recovery_row[5] == -600 and "2024-03-31" in recovery_row[6]
    assert next(row for row in cells if row[0] == "合计（本月实发）：0.00元")


@pytest.mark.parametrize("alteration", ["line", "line_and_digest"])
def test_a_closed_roll_altered_in_the_database_is_an_error_naming_the_month(county, recipients, tmp_path,
                                                                           alteration):
    with session_scope(county) as session:
        roll = payroll.generate(session, "2024-04", "360902", by="test")
        payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=CLOSED_ON)
    with county.begin() as connection:
        connection.execute(text("UPDATE payroll_lines SET amount = 6000 WHERE case_id = :id"), {"id": recipients[0]})
        if alteration == "line_and_digest":  # the digest recomputed too: the audit trail still holds the true one
            lines = [{**line, "amount": 6000.0} if line["case_id"] == recipients[0] else line for line in roll.lines]
            connection.execute(text("UPDATE payroll_months SET digest = :d, total = :t WHERE month = '2024-04'"),
                               {"d": payroll.digest(lines), "t": sum(line["amount"] for line in lines)})
    with session_scope(county) as session:
        for reading in (lambda: payroll.read(session, "2024-04", "360902"),
                        lambda: payroll.generate(session, "2024-04", "360902", by="test"),
                        lambda: payroll.read(session, "2024-04", "360900")):
            with pytest.raises(payroll.RollTampered) as refused:
                reading()
            assert "2024-04" in refused.value.zh and "2024-04" in refused.value.en and "篡改" not in refused.value.en
    database = ["--database", county.url.render_as_string(hide_password=False)]
    output = tmp_path / "roll.xlsx"
    assert main([*database, "payroll", "2024-04", "--jurisdiction", "360902", "--output", str(output)]) == 2
    assert not output.exists()
    app = _web(county)
    zhou = Client(app, "zhou")
    for url in ("/api/v1/payroll/2024-04?jurisdiction=360902", "/api/v1/payroll/2024-04?jurisdiction=360902&format=xlsx",
                "/cases/payroll/2024-04?jurisdiction=360902"):
        answer = zhou.get(url)
        assert answer.status_code == 409 and "2024-04" in answer.get_data(as_text=True), url


def test_opening_the_roll_page_or_api_writes_nothing_and_generating_is_a_post(county, recipients):
    app = _web(county)
    zhou = Client(app, "zhou")
    before = _counts(county)
    page = zhou.get("/cases/payroll/2024-04?jurisdiction=360902")
    assert page.status_code == 200 and 'id="roll-none"' in page.get_data(as_text=True)
    assert zhou.get("/api/v1/payroll/2024-04?jurisdiction=360902").status_code == 404
    assert zhou.get("/api/v1/payroll/2024-04?jurisdiction=360902&format=xlsx").status_code == 404
    assert zhou.get("/api/v1/payroll/2024-04?jurisdiction=360900").status_code == 403  # not zhou's
    city = Client(app, "city_finance")
    assert city.get("/api/v1/payroll/2024-04?jurisdiction=360900").get_json()["counties"] == []
    assert 'id="roll-generate-form"' in city.get("/cases/payroll/2024-04?jurisdiction=360900").get_data(as_text=True)
    assert _counts(county) == before  # no draft, no audit entry
    html = page.get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="roll-generate-form">.*?name="csrf_token" '
                     r'value="([^"]+)"', html, re.S)
    assert form, html
    assert zhou.http.post(form.group(1), data={"jurisdiction": "360902"}).status_code == 400  # no CSRF token
    assert _counts(county) == before
    made = zhou.http.post(form.group(1), data={"jurisdiction": "360902", "csrf_token": form.group(2)})
    assert made.status_code == 302
    after = _counts(county)
    assert after["payroll_months"] == before["payroll_months"] + 1 and after["audit_log"] == before["audit_log"] + 1
    shown = zhou.get("/cases/payroll/2024-04?jurisdiction=360902")
    text_shown = shown.get_data(as_text=True)
    assert 'data-status="draft"' in text_shown and "欧阳建国" in text_shown and 'id="roll-close-form"' in text_shown
    assert _counts(county) == after  # reading it again writes nothing
    download = zhou.get("/cases/payroll/2024-04?jurisdiction=360902&format=xlsx")
    assert load_workbook(io.BytesIO(download.data))["发放名册"]["I5"].value == 600
    english = zhou.get("/cases/payroll/2024-04?jurisdiction=360902&lang=en").get_data(as_text=True)
    assert "home care" in english and "草稿" not in english
