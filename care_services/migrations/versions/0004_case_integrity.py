"""case integrity: the applicant's facts kept with each case; at most one open case per person and scheme

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SNAPSHOT = ("name", "hukou_division_code", "hukou_area", "dibao_household", "at_risk_of_poverty", "tekun_supported",
            "disability_certificate_number", "adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
            "adl_walking_indoors", "adl_bathing")
OPEN = "state NOT IN ('exited', 'rejected')"


def upgrade() -> None:
    op.add_column('cases', sa.Column('person_facts', sa.JSON(), nullable=True))
    connection = op.get_bind()
    # The cases filed before this revision were decided on the shared person record: keep it as their facts.
    people = sa.table('people', *(sa.column(name) for name in ('id_number', *SNAPSHOT)))
    cases = sa.table('cases', sa.column('id'), sa.column('person_id_number'), sa.column('person_facts', sa.JSON()))
    rows = connection.execute(sa.select(cases.c.id, *people.c).join(
        people, people.c.id_number == cases.c.person_id_number)).mappings().all()
    for row in rows:
        connection.execute(cases.update().where(cases.c.id == row['id']).values(
            person_facts={name: row[name] for name in SNAPSHOT}))
    duplicates = connection.execute(sa.text(
        f"SELECT person_id_number, scheme, count(*) FROM cases WHERE person_id_number IS NOT NULL AND {OPEN} "
        "GROUP BY person_id_number, scheme HAVING count(*) > 1")).all()
    if duplicates:
        raise RuntimeError(
            f"有{len(duplicates)}人在同一项目下有多个在办申请，请先办理驳回或退出后再升级 / "
            f"{len(duplicates)} people have more than one open case of a scheme; reject or exit the extra ones first")
    op.create_index('one_open_case_per_person', 'cases', ['person_id_number', 'scheme'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index('one_open_case_per_person', table_name='cases')
    op.drop_column('cases', 'person_facts')
