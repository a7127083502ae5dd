"""case records: users, cases (people's and institutions' applications), audit log, payroll

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:36:50.014200
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('parameter_version', sa.String(length=16), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('payroll_months',
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('parameter_version', sa.String(length=16), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('generated_by', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'month')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=64), nullable=False),
    sa.Column('person_id_number', sa.String(length=18), nullable=True),
    sa.Column('institution_code', sa.String(length=32), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('township_name', sa.String(length=64), nullable=True),
    sa.Column('community_name', sa.String(length=64), nullable=True),
    sa.Column('applied_by', sa.String(length=16), nullable=False),
    sa.Column('proxy_name', sa.String(length=64), nullable=True),
    sa.Column('proxy_relation', sa.String(length=32), nullable=True),
    sa.Column('proxy_id_number', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('requested_service', sa.String(length=32), nullable=True),
    sa.Column('institution_type', sa.String(length=32), nullable=True),
    sa.Column('carer_or_institution', sa.String(length=128), nullable=True),
    sa.Column('carer_relation', sa.String(length=32), nullable=True),
    sa.Column('bank_account_name', sa.String(length=128), nullable=True),
    sa.Column('bank_name', sa.String(length=128), nullable=True),
    sa.Column('bank_account', sa.String(length=40), nullable=True),
    sa.Column('two_subsidies_month', sa.Float(), nullable=True),
    sa.Column('dibao_month', sa.Float(), nullable=True),
    sa.Column('elderly_allowance_month', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('notice_from', sa.Date(), nullable=True),
    sa.Column('exited_on', sa.Date(), nullable=True),
    sa.Column('exit_reason', sa.String(length=32), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.ForeignKeyConstraint(['person_id_number'], ['people.id_number'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('payroll_lines',
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('township_name', sa.String(length=64), nullable=True),
    sa.Column('community_name', sa.String(length=64), nullable=True),
    sa.Column('requested_service', sa.String(length=32), nullable=False),
    sa.Column('payee', sa.String(length=128), nullable=True),
    sa.Column('bank_name', sa.String(length=128), nullable=True),
    sa.Column('account_masked', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('integrated', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('finance_fallback', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['jurisdiction_code', 'month'], ['payroll_months.jurisdiction_code', 'payroll_months.month'], ),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'month', 'case_id')
    )
    _append_only('audit_log')


# The audit log is append-only in the database itself, so that no tool (not even a raw SQL session) rewrites history.
SQLITE_GUARD = """CREATE TRIGGER {table}_{verb}_refused BEFORE {event} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION carecalc_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"""
POSTGRES_GUARD = """CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION carecalc_append_only()"""


def _append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb, event in (("update", "UPDATE"), ("delete", "DELETE")):
            op.execute(SQLITE_GUARD.format(table=table, verb=verb, event=event))
    elif dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_GUARD.format(table=table))


def downgrade() -> None:
    op.drop_table('payroll_lines')
    op.drop_table('cases')
    op.drop_table('users')
    op.drop_table('payroll_months')
    op.drop_table('audit_log')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS carecalc_append_only()")
