"""the work queue's columns of a case: the rules' latest verdict and monthly amount, when it entered its state

Revision ID: 0010_case_forms
Revises: 0008

Filled for the cases already filed from their audit trails (care_services.case_verdicts keeps them from now on).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_case_forms'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('verdict', sa.String(length=8), nullable=True))
    op.add_column('cases', sa.Column('amount_month', sa.Float(), nullable=True))
    op.add_column('cases', sa.Column('state_since', sa.DateTime(), nullable=True))
    from care_services.case_verdicts import columns_of

    bind = op.get_bind()
    log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('entity', sa.String),
                   sa.column('entity_key', sa.String), sa.column('from_state', sa.String),
                   sa.column('to_state', sa.String), sa.column('at', sa.DateTime), sa.column('explanation', sa.JSON))
    entries = bind.execute(sa.select(log.c.entity_key, log.c.from_state, log.c.to_state, log.c.at, log.c.explanation)
                           .where(log.c.entity == 'case', log.c.to_state.isnot(None)).order_by(log.c.id))
    changes: dict[str, dict] = {}
    for key, from_state, to_state, at, explanation in entries:
        changes.setdefault(key, {}).update(columns_of(from_state, to_state, at, explanation))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('verdict', sa.String),
                     sa.column('amount_month', sa.Float), sa.column('state_since', sa.DateTime))
    for key, values in changes.items():
        if key.isdigit():
            bind.execute(cases.update().where(cases.c.id == int(key)).values(**values))


def downgrade() -> None:
    for name in ('state_since', 'amount_month', 'verdict'):
        op.drop_column('cases', name)
