"""Administrators' commands: users add/list, payroll, notice, backup/restore (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from care_services.backup import BackupError, RefusedByDatabase, backup, restore
from care_services.casework import history
from care_services.cli import main
from care_services.db import make_engine, session_scope
from care_services.model import AuditEntry, CareCase, Division, PayrollMonth, User
from tests.conftest import travel
from tests.workflow.conftest import PASSWORD, act_on, staff, submit, walk


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_users_add_reads_the_password_from_stdin_and_never_prints_it(county, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret 42\n"))
    assert main(["--database", url_of(county), "users", "add", "chen", "--role", "finance_approver",
                 "--jurisdiction", "360902", "--name", "陈会计", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--database", url_of(county), "users", "add", "chen", "--role", "finance_approver",
                 "--jurisdiction", "369999", "--password-stdin"]) == 2
    out = capsys.readouterr()
    assert "用户名chen已存在" in out.err and "密码至少12位" in out.err and "行政区划369999不存在" in out.err
    assert main(["--database", url_of(county), "users", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    users = json.loads(listed)
    assert {"username": "chen", "name": "陈会计", "role": "finance_approver", "jurisdiction": "360902",
            "active": True} in users
    assert "a long secret" not in listed and "scrypt" not in listed
    with session_scope(county) as session:
        assert staff(session, "chen").password_hash != "a long secret 42"
    with pytest.raises(SystemExit) as exited:  # argparse: an unknown role
        main(["--database", url_of(county), "users", "add", "x", "--role", "king", "--jurisdiction", "360902"])
    assert exited.value.code == 2


def test_payroll_and_notice_from_the_command_line(county, tmp_path, capsys):
    case_id = submit(county)
    walk(county, case_id)
    database = ["--database", url_of(county)]
    roll = tmp_path / "2024-04.xlsx"
    assert main([*database, "payroll", "2024-04", "--jurisdiction", "360902", "--output", str(roll)]) == 0
    assert "1人，合计600.00元" in capsys.readouterr().out
    travel(dt.date(2024, 4, 25))  # a month's roll closes in that month, by the server's clock
    assert main([*database, "payroll", "2024-04", "--jurisdiction", "360902", "--output", str(roll),
                 "--close", "--by", "zhou"]) == 0
    assert "已关账" in capsys.readouterr().out
    assert load_workbook(roll)["发放名册"]["I5"].value == 600
    assert main([*database, "payroll", "2024-04", "--jurisdiction", "360902", "--output", str(roll),
                 "--close", "--by", "zhou"]) == 2
    assert "已关账" in capsys.readouterr().err
    for bad in (["2024-4"], ["2024-05", "--close"], ["2024-05", "--close", "--by", "li"]):
        assert main([*database, "payroll", *bad, "--jurisdiction", "360902", "--output", str(roll)]) == 2
    with session_scope(county) as session:
        assert session.scalar(select(PayrollMonth.status).where(PayrollMonth.month == "2024-05")) is None
    assert main([*database, "notice", "--jurisdiction", "360902100", "--output", str(tmp_path / "n.html")]) == 0
    assert "公示名单0人" in capsys.readouterr().out  # the case is active now: its notice is over
    assert main([*database, "notice", "--jurisdiction", "360902", "--output", str(tmp_path / "n.pdf")]) == 2


def _fill(engine) -> int:
    case_id = submit(engine)
    walk(engine, case_id)
    with session_scope(engine) as session:
        from care_services import payroll

        payroll.generate(session, "2024-04", "360902", by="test")
    return case_id


def test_backup_and_restore_round_trip_across_databases(county, tmp_path, capsys):
    case_id = _fill(county)
    archive = tmp_path / "backup.zip"
    assert main(["--database", url_of(county), "backup", str(archive)]) == 0
    assert "已备份" in capsys.readouterr().out
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    assert main(["--database", target_url, "restore", str(archive)]) == 0
    target = make_engine(target_url)
    with session_scope(county) as before, session_scope(target) as after:
        for model in (Division, User, CareCase, AuditEntry, PayrollMonth):
            assert before.scalar(select(func.count()).select_from(model)) == \
                after.scalar(select(func.count()).select_from(model)), model
        assert [(e.action, e.at, e.explanation) for e in history(before, case_id)] == \
            [(e.action, e.at, e.explanation) for e in history(after, case_id)]
        restored = after.get(CareCase, case_id)
        assert (restored.state, restored.version, restored.approved_on) == ("active", 8, before.get(CareCase, case_id).approved_on)
    # the restored database keeps working: a new application gets a fresh number
    assert submit(target, 2) == case_id + 1
    # restoring over data needs --replace
    assert main(["--database", target_url, "restore", str(archive)]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["--database", target_url, "restore", str(archive), "--replace"]) == 0
    with session_scope(target) as session:
        assert session.scalar(select(func.count()).select_from(CareCase)) == 1
    target.dispose()


def test_restore_into_postgresql_or_sqlite_and_new_ids_continue(engine, tmp_path, clock):
    """The `engine` fixture is empty (migrated): restore a SQLite backup into it, then add a case."""
    from tests.workflow.conftest import TOWNSHIP

    source = make_engine(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    from care_services.db import init_db
    from care_services.store import load_sample

    init_db(source)
    load_sample(source)
    with session_scope(source) as session:
        from care_services.accounts import create_user

        session.merge(Division(code=TOWNSHIP, name="测试镇", level="township", parent_code="360902", source="测试数据（测试用乡镇）"))
        session.flush()
        create_user(session, "li", PASSWORD, "township_reviewer", TOWNSHIP)
    first = submit(source)
    backup(source, tmp_path / "b.zip")
    restore(engine, tmp_path / "b.zip")
    assert submit(engine, 2) == first + 1


def test_a_bad_or_damaged_backup_is_refused_and_the_database_left_as_it_was(county, tmp_path):
    case_id = _fill(county)
    good = tmp_path / "good.zip"
    backup(county, good)
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(BackupError):
        restore(county, tmp_path / "junk.zip", replace=True)
    # a table changed after the backup was written: the checksum says so
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/cases.jsonl":
                data = data.replace(b'"active"', b'"exited"')
            target.writestr(item, data)
    with pytest.raises(BackupError) as refused:
        restore(county, tampered, replace=True)
    assert "cases" in refused.value.en
    # consistent checksums but a row the database refuses (a case of an unknown person): the whole restore is undone
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/cases.jsonl":
                row = json.loads(data.decode().splitlines()[0])
                data = (json.dumps({**row, "id": 99, "person_id_number": "110101190001010010"}) + "\n").encode() + data
                manifest["tables"]["cases"] = {"rows": manifest["tables"]["cases"]["rows"] + 1,
                                               "sha256": __import__("hashlib").sha256(data).hexdigest()}
            if item.filename != "manifest.json":
                target.writestr(item, data)
        target.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(BackupError) as unsigned:  # its checksums were recomputed: the signature no longer fits
        restore(county, broken, replace=True)
    assert "signature" in unsigned.value.en
    with pytest.raises(RefusedByDatabase) as failed:  # trusted anyway: the database refuses the row
        restore(county, broken, replace=True, trust_unsigned=True)
    assert "nothing was restored" in failed.value.en and "110101190001010010" not in str(failed.value)
    with session_scope(county) as session:
        assert session.get(CareCase, case_id).state == "active"
        assert len(history(session, case_id)) == 8
        assert session.scalar(select(func.count()).select_from(PayrollMonth)) == 1


def test_the_budget_projects_the_approved_cases_from_the_month_after_approval_to_the_exit(county, capsys):
    """Two cases: one active from April 2024 (600 a month), one exited in June (1,000 a month, April–June)."""
    from care_services.casework import act

    home = submit(county, 1)
    institution = submit(county, 2, requested_service="institutional_care", institution_type="private",
                         carer_or_institution="宜春康养中心", bank_account="36050112345678")
    walk(county, home)
    walk(county, institution)
    with session_scope(county) as session:
        act_on(dt.date(2024, 6, 10), session, staff(session, "zhao"), institution, "exit", exit_reason="death",
               exit_date=dt.date(2024, 6, 10))
    assert main(["--database", url_of(county), "budget", "--cases", "--from", "2024", "--to", "2025", "--json"]) == 0
    printed = capsys.readouterr().out
    answer = json.loads(printed)  # --json: stdout holds the JSON only (the summary lines go to stderr)
    years = {row["year"]: row["amount"] for row in answer["scenarios"][0]["by_year"]}
    assert years == {2024: 600 * 9 + 1000 * 3, 2025: 600 * 12}
