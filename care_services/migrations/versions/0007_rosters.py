"""rosters of other departments (低保, 易返贫致贫 monitoring, deaths, 特困 support); other care benefits on cases

Revision ID: 0007
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster', sa.String(length=16), nullable=False),
    sa.Column('source_department', sa.String(length=128), nullable=False),
    sa.Column('source_date', sa.Date(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('roster_entries',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['roster_imports.id'], ),
    sa.PrimaryKeyConstraint('import_id', 'id_number')
    )
    op.create_index(op.f('ix_roster_entries_id_number'), 'roster_entries', ['id_number'], unique=False)
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('other_care_benefits_month', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('other_care_benefits_month')
    op.drop_index(op.f('ix_roster_entries_id_number'), table_name='roster_entries')
    op.drop_table('roster_entries')
    op.drop_table('roster_imports')
