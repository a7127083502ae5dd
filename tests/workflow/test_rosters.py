"""宜府办发〔2023〕20号 三（二） dynamic management: imported rosters, and the check before a roll is paid."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from care_services import payroll, rosters
from care_services.accounts import InputError
from care_services.casework import act
from care_services.cli import main
from care_services.db import session_scope
from care_services.model import AuditEntry, RosterImport
from subsidy_rules.parameters import default_parameters
from tests.workflow.conftest import act_on, application, staff, submit, walk


def roster_file(tmp_path, name, rows, date_header="日期"):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", date_header])
    for number, date in rows:
        sheet.append(["某某", number, date])
    path = tmp_path / name
    book.save(path)
    return path


def person(sequence):
    return application(sequence)["id_number"]


def load(session, tmp_path, roster, rows, date=dt.date(2024, 3, 20), jurisdiction="360902"):
    return rosters.import_roster(session, roster, roster_file(tmp_path, f"{roster}.xlsx", rows),
                                 source_department="袁州区民政局", source_date=date, jurisdiction=jurisdiction, by="test")


def test_rosters_flag_who_left_died_or_entered_tekun_and_the_roll_keeps_them(county, tmp_path):
    cases = [submit(county, n) for n in (1, 2, 3, 4)]
    for case in cases:
        walk(county, case)
    with session_scope(county) as session:
        # 低保 roster as of 2024-03-20 lacks person 2; person 3 died on 2024-04-10; person 4 entered 特困 support
        load(session, tmp_path, "dibao", [(person(1), "2020-01-01"), (person(3), "2020-01-01"), (person(4), "2020-01-01")])
        load(session, tmp_path, "monitoring", [(person(1), "2021-05-01")])
        load(session, tmp_path, "deaths", [(person(3), "2024-04-10")], date=dt.date(2024, 4, 15))
        load(session, tmp_path, "tekun", [(person(4), "2024-05-02")], date=dt.date(2024, 5, 3))
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "roster")).first()
        assert entry.details["source_department"] == "袁州区民政局" and entry.details["source_date"] == "2024-03-20"
        assert entry.details["rows"] == 3 and "身份证" not in str(entry.details)  # no ID numbers in the audit log
    with session_scope(county) as session:
        april = rosters.findings_before_roll(session, "360902", "2024-04", default_parameters())
        found = {(f.case_id, f.kind, f.exit_reason) for f in april}
        assert found == {(cases[1], "left_low_income", "left_dibao"), (cases[2], "died", "death")}
        died = next(f for f in april if f.kind == "died")
        assert died.date == dt.date(2024, 4, 10) and "三（二）" in died.clause
        may = {(f.case_id, f.kind) for f in rosters.findings_before_roll(session, "360902", "2024-05", default_parameters())}
        assert (cases[3], "entered_tekun") in may and (cases[3], "entered_tekun") not in {(f.case_id, f.kind) for f in april}
        roll = payroll.generate(session, "2024-04", "360902", by="test")
        lines = {line["case_id"]: line for line in roll.lines}
        assert set(lines) == set(cases)  # flagged, never silently dropped
        assert lines[cases[2]]["amount"] is None and "死亡" in lines[cases[2]]["problem"]
        assert lines[cases[1]]["amount"] is None and "低保" in lines[cases[1]]["problem"]
        assert lines[cases[0]]["amount"] == 600 and lines[cases[0]]["problem"] is None
        # staff record the exit through the workflow: the finding goes away from the next month
        act_on(dt.date(2024, 4, 30), session, staff(session, "zhao"), cases[2], "exit", exit_reason="death",
               exit_date=dt.date(2024, 4, 10))
    with session_scope(county) as session:
        june = rosters.findings_before_roll(session, "360902", "2024-06", default_parameters())
        assert cases[2] not in {f.case_id for f in june}


def test_a_bad_roster_is_refused_whole_and_named_by_row(county, tmp_path):
    with session_scope(county) as session:
        with pytest.raises(InputError) as bad:
            load(session, tmp_path, "deaths", [(person(1), "2024-01-01"), ("360902196005011234", "2024-01-02")])
        assert set(bad.value.errors) == {"row.3"}
        with pytest.raises(InputError) as bad:
            rosters.import_roster(session, "nonsense", tmp_path / "none.xlsx", source_department="", source_date=dt.date(2024, 1, 1),
                                  jurisdiction="999999", by="test")
        assert {"roster", "source_department", "jurisdiction", "file"} <= set(bad.value.errors)
        assert session.scalar(select(RosterImport)) is None


def test_roster_cli(county, tmp_path, monkeypatch, capsys):
    walk(county, submit(county, 1))
    monkeypatch.setenv("CARECALC_DATABASE_URL", county.url.render_as_string(hide_password=False))
    path = roster_file(tmp_path, "deaths.xlsx", [(person(1), "2024-04-03")], date_header="死亡日期")
    assert main(["roster", "import", "deaths", str(path), "--department", "袁州区公安分局", "--date", "2024-04-05",
                 "--jurisdiction", "360902"]) == 0
    assert "1人" in capsys.readouterr().out
    assert main(["roster", "check", "--jurisdiction", "360902", "--month", "2024-04"]) == 0
    out = capsys.readouterr().out
    assert "死亡" in out and "三（二）" in out and "低保对象名册：尚未导入" in out
    assert main(["roster", "import", "deaths", str(path), "--department", "x", "--date", "2024-13-01",
                 "--jurisdiction", "360902"]) == 2
