"""The work queue's columns of a case (care_services.case_verdicts): kept from each step's stored answer without
touching the case's version, and filled by migration 0010_case_forms for cases filed before it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from care_services.db import _alembic_config, session_scope
from care_services.model import CareCase
from tests.workflow.conftest import SUBMITTED, act_on, staff, submit, walk


def _columns(engine) -> dict[int, tuple]:
    with session_scope(engine) as session:
        return {c.id: (c.verdict, c.amount_month, c.state_since, c.version) for c in session.scalars(select(CareCase))}


def test_each_step_sets_the_verdict_amount_and_state_time_and_keeps_the_version(county):
    case_id = submit(county, 1)
    verdict, amount, since, version = _columns(county)[case_id]
    assert (verdict, amount, version) == ("pending", None, 1)  # no amount before the ADL answers; version untouched
    assert since == dt.datetime(2024, 3, 1, 2)  # 10:00 in Beijing, stored in UTC
    walk(county, case_id, until="assessed")
    verdict, amount, since, version = _columns(county)[case_id]
    assert (verdict, amount, version) == ("yes", 600.0, 3)  # two steps: two versions, no more
    assert since == dt.datetime(2024, 3, 4, 2)  # assessed on day 3
    with session_scope(county) as session:
        certificate = session.get(CareCase, case_id).person_id_number + "11"  # 视力: outside 三（一）第4项
        act_on(SUBMITTED + dt.timedelta(days=5), session, staff(session, "zhao"), case_id, "correct_facts",
               disability_certificate_number=certificate, reason="核对残疾人证原件")
    verdict, _, corrected_since, _ = _columns(county)[case_id]
    assert verdict == "no" and corrected_since == since  # a correction re-evaluates but keeps the step's start


def test_the_migration_fills_the_columns_of_cases_filed_before(county):
    from alembic import command

    first, second = submit(county, 1), submit(county, 2)
    walk(county, first, until="sector_reviewed")
    before = _columns(county)
    with county.begin() as connection:
        command.downgrade(_alembic_config(connection), "0008")
    with county.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
    assert _columns(county) == before and before[first][0] == "yes" and before[second][0] == "pending"
