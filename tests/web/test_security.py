"""Issue 15 replayed as an attacker would, against a fresh instance: every finding (but the workbook-writing and
backup ones, tested beside their code) is refused.

2 bombs and huge sheets · 3 login throttling · 4 cookie and headers · 5 revocation · 6 open redirect · 7 logs ·
8 file modes · 9 500s · 10 values to refuse · 12 login CSRF, the public parameters, passwords.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from care_services.db import session_scope
from care_services.identifiers import id_check_character, make_resident_id
from care_services.model import AuditEntry, CareCase, User, UserSession, utc_now
from tests.web.conftest import api_login
from tests.workflow.conftest import PASSWORD, application

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
BATCH = "/api/v1/schemes/childcare_operation/evaluate-batch"
NURSERY = {"inclusive": True, "monthly_fee": 800, "local_inclusive_price": 900, "enrolled_under_3": 30}


def app_on(county, **config):
    """Another server process on the same database (as `carecalc serve` run twice)."""
    from web import create_app

    return create_app({"DATABASE_URL": county.url.render_as_string(hide_password=False), "TESTING": True,
                       "SECRET_KEY": "test", **config})


# ------------------------------------------------------------------------------------------------ 2 uploads


def small_workbook() -> bytes:
    book = Workbook()
    book.active.append(["普惠托育机构", "月收费（元）", "当地普惠指导价（元/月）", "实际收托3岁以下婴幼儿数"])
    book.active.append(["是", 800, 900, 30])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def with_sheet(write_sheet) -> bytes:
    """A real workbook whose first sheet's XML is replaced by what ``write_sheet(file)`` streams."""
    source = zipfile.ZipFile(io.BytesIO(small_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename == "xl/worksheets/sheet1.xml":
                with target.open(part.filename, "w", force_zip64=True) as sheet:
                    write_sheet(sheet)
            else:
                target.writestr(part, source.read(part))
    return out.getvalue()


def bomb(unpacked_mb: int = 300) -> bytes:
    """A sheet that unpacks to ``unpacked_mb`` MB of blanks from well under a megabyte (issue 15's was 1 GiB)."""
    def write(sheet):
        sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        block = b" " * (1024 * 1024)
        for _ in range(unpacked_mb):
            sheet.write(block)
        sheet.write(b"</sheetData></worksheet>")
    return with_sheet(write)


def many_rows(rows: int, cell: bytes = b'<c r="A%d" t="inlineStr"><is><t>x</t></is></c>') -> bytes:
    def write(sheet):
        sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        for start in range(1, rows + 1, 10_000):
            sheet.write(b"".join(b'<row r="%d">' % n + (cell % n if b"%d" in cell else cell) + b"</row>"
                                 for n in range(start, min(start + 10_000, rows + 1))))
        sheet.write(b"</sheetData></worksheet>")
    return with_sheet(write)


def far_cell(reference: bytes) -> bytes:
    """Two cells: A1 and one far away — tiny, yet a reader lays the whole rectangle out."""
    return with_sheet(lambda sheet: sheet.write(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c></row><row><c r="' + reference + b'"><v>1</v></c></row>'
        b"</sheetData></worksheet>"))


def post_workbook(client, data: bytes):
    return client.post(BATCH, data={"file": (io.BytesIO(data), "cases.xlsx"), "jurisdiction": "360403"},
                       content_type="multipart/form-data")


def test_a_decompression_bomb_is_refused_at_once_with_bounded_memory(web_app):
    data = bomb(300)
    assert len(data) < 1024 * 1024  # under a megabyte posted
    client = web_app.test_client()  # anonymous, as in the finding
    assert post_workbook(client, small_workbook()).status_code == 200  # the server warmed up
    started = time.perf_counter()
    answer = post_workbook(client, data)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # memory on its own: tracing slows everything down
    assert post_workbook(client, data).status_code == 413
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer.status_code == 413, answer.get_json()
    assert "压缩" in answer.get_json()["error"]["fields"]["file"][0] or "解压" in answer.get_json()["error"]["fields"]["file"][0]
    assert elapsed < 2.0, elapsed  # the issue: 85 s and then a 500
    assert peak < 40 * 1024 * 1024, peak  # the issue: 7.4 GB


def test_a_bomb_whose_ratio_is_modest_is_still_held_to_the_unpacked_size(county):
    from care_services.upload_limits import WEB

    app = app_on(county, UPLOAD_LIMITS=WEB.scaled(member_bytes=2 * 1024 * 1024, ratio=1e9))
    answer = post_workbook(app.test_client(), bomb(5))
    assert answer.status_code == 413 and "MB" in answer.get_json()["error"]["fields"]["file"][0]


def test_a_sheet_of_a_million_rows_is_refused_before_it_is_read(web_app):
    data = many_rows(150_000)  # the web's limit is 100,000 rows
    started = time.perf_counter()
    answer = post_workbook(web_app.test_client(), data)
    assert answer.status_code == 422, answer.get_json()
    assert "100,000" in answer.get_json()["error"]["fields"]["file"][0]
    assert time.perf_counter() - started < 3.0


@pytest.mark.parametrize("reference", [b"XFD1048576", b"A1048576", b"ZZZ2"])
def test_a_sheet_reaching_far_away_cells_is_refused(web_app, reference):
    answer = post_workbook(web_app.test_client(), far_cell(reference))
    assert answer.status_code == 422 and "file" in answer.get_json()["error"]["fields"]


def test_cells_without_references_are_counted_as_a_reader_places_them():
    from care_services.upload_limits import WEB, UploadTooLarge, check_workbook

    wide = with_sheet(lambda sheet: sheet.write(
        b'<worksheet><sheetData><row>' + b"<c><v>1</v></c>" * 1_001 + b"</row></sheetData></worksheet>"))
    with pytest.raises(UploadTooLarge, match="1,000"):
        check_workbook(io.BytesIO(wide), WEB)
    prefixed = with_sheet(lambda sheet: sheet.write(
        b'<x:worksheet xmlns:x="x"><x:sheetData><x:row r="1"><x:c r="A200000"/></x:row></x:sheetData></x:worksheet>'))
    with pytest.raises(UploadTooLarge, match="100,000"):
        check_workbook(io.BytesIO(prefixed), WEB)
    check_workbook(io.BytesIO(small_workbook()), WEB)  # an ordinary workbook passes


def test_the_command_line_refuses_a_bomb_with_exit_2(tmp_path, capsys):
    from care_services.cli import main

    path = tmp_path / "cases.xlsx"
    path.write_bytes(far_cell(b"XFD1048576"))
    assert main(["evaluate", "childcare_operation", "--input", str(path), "--output", str(tmp_path / "out.xlsx"),
                 "--jurisdiction", "360403"]) == 2
    assert "单元格" in capsys.readouterr().err


def test_the_whole_request_is_bounded(web_app):
    answer = web_app.test_client().post(BATCH, data={"file": (io.BytesIO(b"x" * (17 * 1024 * 1024)), "big.xlsx")},
                                        content_type="multipart/form-data")
    assert answer.status_code == 413


def test_anonymous_batch_evaluation_is_rate_limited(county, login):
    app = app_on(county, ANONYMOUS_BATCH_LIMIT=3)
    client = app.test_client()
    body = {"cases": [{"facts": NURSERY}], "jurisdiction": "360403"}
    assert [client.post(BATCH, json=body).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post(BATCH, json=body)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "请求过于频繁" in refused.get_json()["error"]["message_zh"]
    # shared by every process (the database), and a logged-in user is not held to it
    assert app_on(county, ANONYMOUS_BATCH_LIMIT=3).test_client().post(BATCH, json=body).status_code == 429
    from tests.web.conftest import Client

    staff = Client(app, "li")
    assert staff.post(BATCH, json=body).status_code == 200


# ------------------------------------------------------------------------------------------------ 3 throttling


def test_repeated_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it(county):
    app = app_on(county)
    client = app.test_client()
    answers = [api_login(client, "li", "wrong password!").status_code for _ in range(5)]
    assert answers == [401] * 5
    locked = api_login(client, "li", PASSWORD)  # the right password, too late
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "密码错误次数过多" in locked.get_json()["error"]["message_zh"]
    # another server process sees the same lock
    assert api_login(app_on(county).test_client(), "li", PASSWORD).status_code == 429
    with session_scope(county) as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.entity_key == "li",
                                                                AuditEntry.action.like("login%"))))
        assert [e.action for e in entries].count("login_failed") == 5 and "login_locked" in [e.action for e in entries]
        assert all(set(e.details) <= {"failures", "minutes"} for e in entries)  # no address, no password
        assert not any("127.0.0.1" in str(e.details) or "wrong password" in str(e.details) for e in entries)
    from tests.web.conftest import Client

    admin = Client(app, "admin")
    assert admin.post("/api/v1/users/li/unlock").get_json() == {"username": "li", "was_locked": True}
    assert api_login(app.test_client(), "li", PASSWORD).status_code == 200
    assert Client(app, "li").post("/api/v1/users/li/unlock").status_code == 403  # administrators only


def test_the_command_line_unlocks_an_account(county, capsys):
    from care_services.cli import main

    client = app_on(county, LOGIN_MAX_FAILURES=2).test_client()
    for _ in range(2):
        api_login(client, "qian", "wrong password!")
    assert api_login(client, "qian", PASSWORD).status_code == 429
    url = county.url.render_as_string(hide_password=False)
    assert main(["--database", url, "users", "unlock", "qian"]) == 0
    assert "已解除qian的登录锁定" in capsys.readouterr().out
    assert api_login(client, "qian", PASSWORD).status_code == 200
    assert main(["--database", url, "users", "unlock", "nobody"]) == 2


def test_failures_from_one_address_are_throttled_across_accounts(county):
    client = app_on(county, LOGIN_MAX_FAILURES_PER_ADDRESS=3).test_client()
    assert [api_login(client, name, "wrong password!").status_code for name in ("li", "ma", "wang")] == [401] * 3
    refused = api_login(client, "zhao", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    # the form answers the same
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post("/login", data={"username": "zhao", "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429 and page.headers["Retry-After"]


# ------------------------------------------------------------------------------------------------ 4 cookie, headers


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(county):
    client = app_on(county).test_client()
    answer = api_login(client, "li")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    over_https = app_on(county).test_client()
    token = over_https.get("/api/v1/session", base_url="https://localhost").get_json()["csrf_token"]
    secure = over_https.post("/api/v1/session", json={"username": "li", "password": PASSWORD},
                             headers={"X-CSRF-Token": token}, base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]
    assert "Secure" in api_login(app_on(county, SESSION_COOKIE_SECURE=True).test_client(), "li").headers["Set-Cookie"]
    proxied = app_on(county, TRUSTED_PROXIES=1).test_client()
    forwarded = {"X-Forwarded-Proto": "https"}
    token = proxied.get("/api/v1/session", headers=forwarded).get_json()["csrf_token"]
    behind = proxied.post("/api/v1/session", json={"username": "li", "password": PASSWORD},
                          headers={"X-CSRF-Token": token, **forwarded})
    assert "Secure" in behind.headers["Set-Cookie"]


@pytest.mark.parametrize("url", ["/", "/login", "/check", "/api/v1/schemes", "/api/v1/cases", "/nowhere",
                                 "/static/app.js", "/api/v1/openapi.json"])
def test_every_response_carries_the_security_headers(web_app, url):
    answer = web_app.test_client().get(url)
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_no_template_holds_inline_script_or_event_handlers():
    for template in [*TEMPLATES.glob("*.html"), *TEMPLATES.parent.parent.glob("care_services/templates/*.html")]:
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert not re.search(r"javascript:", text, re.I), template.name
        assert not re.search(r'\sstyle\s*=', text), template.name


# ------------------------------------------------------------------------------------------------ 5 revocation


def replay(app, cookie: str):
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def test_a_replayed_cookie_after_logout_is_refused(county):
    app = app_on(county)
    client = app.test_client()
    token = api_login(client, "li").get_json()["csrf_token"]
    cookie = client.get_cookie("session").value
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 204
    stolen = replay(app, cookie)
    assert stolen.get("/api/v1/session").status_code == 401
    assert stolen.post("/api/v1/cases", json=application(), headers={"X-CSRF-Token": token}).status_code == 401
    assert replay(app_on(county), cookie).get("/api/v1/cases").status_code == 401  # in every process


def test_a_password_change_or_disabling_ends_every_session(county):
    app = app_on(county)
    first, second = app.test_client(), app.test_client()
    token = api_login(first, "li").get_json()["csrf_token"]
    api_login(second, "li")
    short = first.post("/api/v1/session/password", json={"current_password": PASSWORD, "new_password": "12345678"},
                       headers={"X-CSRF-Token": token})
    assert short.status_code == 422 and "new_password" in str(short.get_json()) or "password" in short.get_json()["error"]["fields"]
    wrong = first.post("/api/v1/session/password", json={"current_password": "not it at all", "new_password": "a new long secret 7"},
                       headers={"X-CSRF-Token": token})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["fields"]
    changed = first.post("/api/v1/session/password", json={"current_password": PASSWORD, "new_password": "a new long secret 7"},
                         headers={"X-CSRF-Token": token})
    assert changed.status_code == 200 and changed.get_json()["sessions_ended"] == 1
    assert second.get("/api/v1/session").status_code == 401  # the other browser is logged out
    assert first.get("/api/v1/session").status_code == 200  # the one that changed it goes on
    # disabling ends the rest
    from tests.web.conftest import Client

    admin = Client(app, "admin")
    assert admin.post("/api/v1/users/li/disable").get_json()["sessions_ended"] == 1
    assert first.get("/api/v1/session").status_code == 401
    assert api_login(app.test_client(), "li", "a new long secret 7").status_code == 401


def test_the_command_line_password_change_ends_the_sessions(county, monkeypatch, capsys):
    from care_services.cli import main

    client = app_on(county).test_client()
    api_login(client, "ma")
    monkeypatch.setattr("sys.stdin", io.StringIO("another long secret 9\n"))
    assert main(["--database", county.url.render_as_string(hide_password=False), "users", "passwd", "ma",
                 "--password-stdin"]) == 0
    assert client.get("/api/v1/session").status_code == 401
    monkeypatch.setattr("sys.stdin", io.StringIO("        \n"))
    assert main(["--database", county.url.render_as_string(hide_password=False), "users", "passwd", "ma",
                 "--password-stdin"]) == 2
    assert "密码" in capsys.readouterr().err


def test_an_idle_session_times_out(county):
    app = app_on(county, SESSION_IDLE_TIMEOUT=dt.timedelta(minutes=30))
    client = app.test_client()
    api_login(client, "li")
    assert client.get("/api/v1/session").status_code == 200
    with session_scope(county) as session:
        # the server's clock (which tests may set), not the machine's
        session.execute(update(UserSession).values(last_seen_at=utc_now() - dt.timedelta(minutes=31)))
    assert client.get("/api/v1/session").status_code == 401


# ------------------------------------------------------------------------------------------------ 6 next

TRICKY_NEXT = ["https://evil.example/", "//evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
               "/%09/evil.example", "/%2F%2Fevil.example", "/%5C%5Cevil.example", "javascript:alert(1)",
               "JaVaScRiPt:alert(1)", "data:text/html,x", "http:/evil.example", "https:evil.example",
               "/\n/evil.example", "/\r\n/evil.example", " //evil.example", "/ /evil.example", "///evil.example",
               "/\\/evil.example", "%2F%2Fevil.example", "/.\\evil.example", "\x00//evil.example",
               "/\u3000/evil.example", "//evil.example@localhost", "/cases\\..\\//evil.example"]


@pytest.mark.parametrize("target", TRICKY_NEXT)
def test_next_only_leads_to_a_path_of_this_site(web_app, target):
    client = web_app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token, "next": target})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_next_keeps_a_path_of_this_site():
    from web.security import safe_next

    assert safe_next("/cases?state=submitted") == "/cases?state=submitted"
    assert safe_next("/cases/12") == "/cases/12"


# ------------------------------------------------------------------------------------------------ 7 logs


def test_database_errors_and_logged_values_carry_no_personal_data(county, monkeypatch, caplog):
    from care_services import casework

    applicant = application(7, name="欧阳测试", disability_certificate_number=None)

    def failing(session, data, **kwargs):  # a bug that writes a row the database refuses
        from care_services.model import Person

        session.add(Person(id_number=data["id_number"], name=data["name"], hukou_division_code="999999"))
        session.flush()

    monkeypatch.setattr(casework, "submit_application", failing)
    from tests.web.conftest import Client

    client = Client(app_on(county), "li")
    with caplog.at_level(logging.INFO):
        answer = client.post("/api/v1/cases", json=applicant)
        logging.getLogger("carecalc.test").error("applicant %s account %s", applicant["id_number"],
                                                 applicant["bank_account"])
    assert answer.status_code == 500
    logged = caplog.text + "".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "IntegrityError" in logged or "ForeignKey" in logged or "foreign key" in logged.lower()
    for secret in (applicant["id_number"], applicant["id_number"][:14], "欧阳测试", applicant["bank_account"],
                   applicant["bank_account"].replace(" ", ""), applicant["phone"]):
        assert secret not in logged, secret


def test_the_redaction_of_personal_numbers():
    from care_services.log_privacy import redact

    assert redact("Key (id_number)=(36090219600501001X) exists") == "Key (id_number)=(***) exists"
    assert "欧阳" not in redact('DETAIL:  Failing row contains (36090219600501001X, 欧阳建国, t).')
    assert redact("account 6228 4800 1234 5678 901 at 2026-12-01 10:00:00") == "account *** at 2026-12-01 10:00:00"


# ------------------------------------------------------------------------------------------------ 8 file modes


def test_files_holding_personal_data_are_private(tmp_path, monkeypatch, capsys):
    from care_services.cli import main
    from care_services.db import make_engine

    database = tmp_path / "instance" / "carecalc.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("CREATE TABLE t (x)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in database.parent.iterdir()}
    assert modes and all(mode == 0o600 for mode in modes.values()), modes  # the database, its WAL and shm
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["--database", url, "sample", "load"]) == 0
    assert main(["--database", url, "export", "divisions", "--output", "instance/divisions.xlsx"]) == 0
    for path in (tmp_path / "cli.sqlite3", tmp_path / "instance" / "divisions.xlsx"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    from web import _secret_key

    monkeypatch.delenv("CARECALC_SECRET_KEY", raising=False)
    _secret_key()
    assert stat.S_IMODE((tmp_path / "instance" / "secret_key").stat().st_mode) == 0o600


# ------------------------------------------------------------------------------------------------ 9 no 500s


def deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("url,body", [
    ("/api/v1/schemes/disability_care/evaluate", '{"facts": %s, "jurisdiction": "360902"}' % deep()),
    ("/api/v1/schemes/disability_care/evaluate", deep()),
    ("/api/v1/cases", '{"name": %s}' % deep()),
    ("/api/v1/schemes/disability_care/evaluate", '{"facts": {"a": %s}, "jurisdiction": "360902"}' % deep(40)),
])
def test_deeply_nested_json_is_a_bad_request(login, url, body):
    answer = login("li").post(url, data=body, content_type="application/json")
    assert answer.status_code in (400, 422), answer.get_json()
    (reasons,) = answer.get_json()["error"]["fields"].values()  # where, and why
    assert "嵌套" in reasons[0] and "nested" in reasons[0]


def test_a_lone_surrogate_is_refused_naming_the_field(login):
    answer = login("li").post("/api/v1/cases", data='{"name": "\\ud800李", "id_number": "x"}',
                              content_type="application/json")
    assert answer.status_code == 422 and "name" in answer.get_json()["error"]["fields"]
    evaluate = login().post("/api/v1/schemes/disability_care/evaluate",
                            data='{"facts": {}, "jurisdiction": "\\udfff"}', content_type="application/json")
    assert evaluate.status_code == 422 and "jurisdiction" in evaluate.get_json()["error"]["fields"]


# ------------------------------------------------------------------------------------------------ 10 values


@pytest.mark.parametrize("changes,field", [
    ({"id_number": make_resident_id("360902", dt.date(2099, 12, 31), 5)}, "id_number"),
    ({"id_number": "36090200010101005" + id_check_character("36090200010101005")}, "id_number"),  # 0001-01-01
    ({"name": "\u200b\u200b\u200b"}, "name"),
    ({"name": "李\u202e明"}, "name"),
    ({"name": "李\x00明"}, "name"),
    ({"proxy_name": "欧阳\u2066娜"}, "proxy_name"),
    ({"bank_account": "6228 4800 ABCD"}, "bank_account"),
])
def test_values_that_should_be_refused_are_refused(login, changes, field):
    answer = login("li").post("/api/v1/cases", json=application(3, **changes))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]


def test_an_id_born_in_the_year_1_is_refused():
    from care_services.identifiers import IdentifierError, id_check_character, validate_resident_id

    first17 = "36090200010101001"
    with pytest.raises(IdentifierError, match="1900-01-01"):
        validate_resident_id(first17 + id_check_character(first17))


def test_full_width_digits_are_stored_as_digits(login, county):
    full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    data = application(4)
    data["id_number"] = data["id_number"].translate(full_width)
    data["bank_account"] = "６２２８ ４８００ １２３４ ５６７８ ９０１"
    data["disability_certificate_number"] = None
    answer = login("li").post("/api/v1/cases", json=data)
    assert answer.status_code == 201, answer.get_json()
    with session_scope(county) as session:
        case = session.get(CareCase, answer.get_json()["id"])
        assert case.person_id_number == application(4)["id_number"] and case.bank_account == "6228480012345678901"


def test_an_unknown_jurisdiction_is_refused(login, capsys, tmp_path, monkeypatch):
    answer = login().post("/api/v1/schemes/childcare_operation/evaluate",
                          json={"facts": NURSERY, "jurisdiction": "999999"})
    assert answer.status_code == 422 and "999999" in answer.get_json()["error"]["fields"]["jurisdiction"][0]
    batch = login().post(BATCH, json={"cases": [{"facts": NURSERY}], "jurisdiction": "999999"})
    assert batch.status_code == 422
    from care_services.cli import main

    monkeypatch.chdir(tmp_path)
    facts = tmp_path / "facts.json"
    facts.write_text('{"inclusive": true}')
    assert main(["evaluate", "childcare_operation", "--facts", str(facts), "--jurisdiction", "999999"]) == 2
    assert "999999" in capsys.readouterr().err
    assert main(["evaluate", "childcare_operation", "--facts", str(facts), "--jurisdiction", "360403"]) == 0


# ------------------------------------------------------------------------------------------------ 12 CSRF, names, passwords


def test_a_login_without_a_csrf_token_is_refused(web_app):
    client = web_app.test_client()
    assert client.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 400
    assert client.post("/api/v1/session", json={"username": "li", "password": PASSWORD}).status_code == 400
    assert client.post("/api/v1/session", data={"username": "li", "password": PASSWORD}).status_code == 400
    assert client.get("/api/v1/session").status_code == 401  # nobody was logged in


def test_the_public_parameters_show_the_department_not_the_user(login, web_app):
    admin = login("admin")
    created = admin.post("/api/v1/parameters/overrides", json={
        "name": "disability_care.home_care_month", "jurisdiction": "360902", "start": "2024-01-01",
        "value": 700, "reason": "袁府办字〔2024〕1号"})
    assert created.status_code == 201, created.get_json()
    public = web_app.test_client()
    listed = public.get("/api/v1/parameters").get_json()["overrides"]
    assert listed and listed[0]["department"] == {"jurisdiction": "360900", "name": "宜春市", "role": "administrator"}
    assert "'admin'" not in str(listed) and "by" not in listed[0]  # the role is there, the user name is not
    page = public.get("/parameters").get_data(as_text=True)
    assert "宜春市管理员" in page and ">admin<" not in page and " admin " not in page


@pytest.mark.parametrize("password", ["12345678", " " * 8, " " * 16, "password1234", "PASSWORD1234", "aaaaaaaaaaaaaaa",
                                      "1212121212121212", "newbie"])
def test_weak_passwords_are_refused(county, password):
    from care_services.accounts import InputError, create_user

    with session_scope(county) as session, pytest.raises(InputError) as refused:
        create_user(session, "newbie", password, "township_reviewer", "360902")
    assert "password" in refused.value.errors


def test_the_common_password_list_is_shipped_as_package_data():
    import tomllib

    from care_services.accounts import common_passwords

    assert len(common_passwords()) >= 100 and "password1234" in common_passwords()
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert "common_passwords.txt" in project["tool"]["setuptools"]["package-data"]["care_services"]
