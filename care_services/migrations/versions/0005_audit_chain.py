"""audit chain (hash per entry, chain head, re-inserts refused); payments paid once per case and month; correction lines

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 09:30:00

Existing audit entries are chained in id order (the chain then vouches for them from now on). Existing closed rolls
are written into payroll_payments; where an old database already holds a second closed roll paying the same case
and month (issue 14: a city roll and a county roll), the roll closed first keeps the payment and the later one is
left as it is, unpaid in the ledger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

AUDIT = sa.table(
    "audit_log", *(sa.column(name, type_) for name, type_ in (
        ("id", sa.Integer()), ("at", sa.DateTime()), ("username", sa.String()), ("role", sa.String()),
        ("entity", sa.String()), ("entity_key", sa.String()), ("action", sa.String()), ("from_state", sa.String()),
        ("to_state", sa.String()), ("reason", sa.Text()), ("details", sa.JSON()),
        ("parameter_version", sa.String()), ("explanation", sa.JSON()), ("previous_hash", sa.String()),
        ("entry_hash", sa.String()))))

# A row whose id exists already is refused before SQLite's REPLACE can delete the old one (its delete trigger does
# not fire for REPLACE); PostgreSQL refuses such an INSERT by the primary key, and ON CONFLICT DO UPDATE is an UPDATE.
SQLITE_REINSERT_GUARD = """CREATE TRIGGER audit_log_reinsert_refused BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entry exists'); END"""
SQLITE_GUARD = """CREATE TRIGGER {table}_{verb}_refused BEFORE {event} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is {what}'); END"""
POSTGRES_GUARD = """CREATE TRIGGER {table}_{name} BEFORE {events} ON {table}
FOR EACH ROW EXECUTE FUNCTION carecalc_append_only()"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('audit_log', sa.Column('previous_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('entry_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_audit_log_previous_hash', 'audit_log', ['previous_hash'], unique=True)
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _chain_existing_entries(dialect)

    op.create_table('payroll_payments',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('roll_month', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['jurisdiction_code', 'roll_month'], ['payroll_months.jurisdiction_code', 'payroll_months.month'], ),
    sa.PrimaryKeyConstraint('case_id', 'month', 'kind')
    )
    op.create_table('payroll_corrections',
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('corrected_month', sa.String(length=7), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('payee', sa.String(length=128), nullable=True),
    sa.Column('account_masked', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['jurisdiction_code', 'month'], ['payroll_months.jurisdiction_code', 'payroll_months.month'], ),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'month', 'case_id', 'corrected_month')
    )
    _record_closed_payments()

    if dialect == "sqlite":
        op.execute(SQLITE_REINSERT_GUARD)
        op.execute(SQLITE_GUARD.format(table="audit_chain_head", verb="delete", event="DELETE", what="kept (the audit chain head)"))
        for verb, event in (("update", "UPDATE"), ("delete", "DELETE")):
            op.execute(SQLITE_GUARD.format(table="payroll_payments", verb=verb, event=event, what="append-only"))
    elif dialect == "postgresql":
        op.execute(POSTGRES_GUARD.format(table="audit_chain_head", name="kept", events="DELETE"))
        op.execute(POSTGRES_GUARD.format(table="payroll_payments", name="append_only", events="UPDATE OR DELETE"))


def _chain_existing_entries(dialect: str) -> None:
    from care_services.audit import GENESIS, HASHED_FIELDS, entry_hash

    bind = op.get_bind()
    rows = [dict(row) for row in bind.execute(sa.select(AUDIT).order_by(AUDIT.c.id)).mappings()]
    last_id, last_hash = 0, GENESIS
    if rows:  # the append-only guard of 0002 is lifted for this one rewrite of the new columns
        if dialect == "sqlite":
            op.execute("DROP TRIGGER audit_log_update_refused")
        elif dialect == "postgresql":
            op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        for row in rows:
            digest = entry_hash({name: row[name] for name in HASHED_FIELDS}, last_hash)
            bind.execute(AUDIT.update().where(AUDIT.c.id == row["id"]).values(previous_hash=last_hash, entry_hash=digest))
            last_id, last_hash = row["id"], digest
        if dialect == "sqlite":
            op.execute("CREATE TRIGGER audit_log_update_refused BEFORE UPDATE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        elif dialect == "postgresql":
            op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    bind.execute(sa.text("INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, :id, :hash)"),
                 {"id": last_id, "hash": last_hash})


def _record_closed_payments() -> None:
    bind = op.get_bind()
    lines = bind.execute(sa.text(
        "SELECT l.case_id, l.month, l.jurisdiction_code, l.amount FROM payroll_lines l "
        "JOIN payroll_months m ON m.jurisdiction_code = l.jurisdiction_code AND m.month = l.month "
        "WHERE m.status = 'closed' AND l.amount IS NOT NULL ORDER BY m.closed_at, l.jurisdiction_code, l.case_id"))
    paid = set()
    for line in lines:
        if (line.case_id, line.month) in paid:
            continue
        paid.add((line.case_id, line.month))
        bind.execute(sa.text("INSERT INTO payroll_payments (case_id, month, kind, jurisdiction_code, roll_month, amount) "
                             "VALUES (:case_id, :month, 'payment', :jurisdiction, :month, :amount)"),
                     {"case_id": line.case_id, "month": line.month, "jurisdiction": line.jurisdiction_code,
                      "amount": line.amount})


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_reinsert_refused")
    op.drop_table('payroll_corrections')
    op.drop_table('payroll_payments')
    op.drop_table('audit_chain_head')
    op.drop_index('ix_audit_log_previous_hash', table_name='audit_log')
    if dialect == "sqlite":  # SQLite drops a column by rebuilding the table: keep 0002's guards around it
        op.execute("DROP TRIGGER IF EXISTS audit_log_update_refused")
        op.execute("DROP TRIGGER IF EXISTS audit_log_delete_refused")
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_column('entry_hash')
        batch.drop_column('previous_hash')
    if dialect == "sqlite":
        for verb, event in (("update", "UPDATE"), ("delete", "DELETE")):
            op.execute(SQLITE_GUARD.format(table="audit_log", verb=verb, event=event, what="append-only"))
