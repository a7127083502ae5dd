"""initial schema: divisions, population, indicators, supply, institutions, projects, people

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 04:36:36.944744
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('divisions',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=9), nullable=True),
    sa.Column('subdistricts', sa.Integer(), nullable=True),
    sa.Column('towns', sa.Integer(), nullable=True),
    sa.Column('townships', sa.Integer(), nullable=True),
    sa.Column('other_township_units', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('childcare_institutions',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('ownership', sa.String(length=32), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('inclusive', sa.Boolean(), nullable=False),
    sa.Column('monthly_fee', sa.Float(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('elderly_institutions',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('ownership', sa.String(length=32), nullable=False),
    sa.Column('premises', sa.String(length=32), nullable=True),
    sa.Column('ordinary_beds', sa.Integer(), nullable=False),
    sa.Column('nursing_beds', sa.Integer(), nullable=False),
    sa.Column('in_central_city', sa.Boolean(), nullable=True),
    sa.Column('lease_years', sa.Float(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('facility_projects',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('list_section', sa.String(length=64), nullable=True),
    sa.Column('list_number', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('project_type', sa.String(length=64), nullable=True),
    sa.Column('ownership', sa.String(length=32), nullable=True),
    sa.Column('construction', sa.String(length=32), nullable=True),
    sa.Column('period', sa.String(length=64), nullable=True),
    sa.Column('start', sa.String(length=10), nullable=True),
    sa.Column('end', sa.String(length=10), nullable=True),
    sa.Column('location', sa.String(length=128), nullable=True),
    sa.Column('division_code', sa.String(length=9), nullable=True),
    sa.Column('capacity_added', sa.Integer(), nullable=True),
    sa.Column('capacity_added_max', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('investment_10k_cny', sa.Float(), nullable=True),
    sa.Column('organizer', sa.String(length=128), nullable=True),
    sa.Column('remark', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('people',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('hukou_division_code', sa.String(length=9), nullable=False),
    sa.Column('hukou_area', sa.String(length=16), nullable=True),
    sa.Column('dibao_household', sa.Boolean(), nullable=False),
    sa.Column('at_risk_of_poverty', sa.Boolean(), nullable=False),
    sa.Column('tekun_supported', sa.Boolean(), nullable=False),
    sa.Column('disability_certificate_number', sa.String(length=20), nullable=True),
    sa.Column('adl_eating', sa.Boolean(), nullable=True),
    sa.Column('adl_dressing', sa.Boolean(), nullable=True),
    sa.Column('adl_transfer', sa.Boolean(), nullable=True),
    sa.Column('adl_toileting', sa.Boolean(), nullable=True),
    sa.Column('adl_walking_indoors', sa.Boolean(), nullable=True),
    sa.Column('adl_bathing', sa.Boolean(), nullable=True),
    sa.Column('care_level', sa.String(length=16), nullable=True),
    sa.Column('requested_service', sa.String(length=32), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['hukou_division_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('id_number')
    )
    op.create_table('plan_indicators',
    sa.Column('jurisdiction_code', sa.String(length=9), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('baseline_2021', sa.Float(), nullable=True),
    sa.Column('target_2023', sa.Float(), nullable=True),
    sa.Column('target_2025', sa.Float(), nullable=True),
    sa.Column('at_least', sa.Boolean(), nullable=False),
    sa.Column('nature', sa.String(length=16), nullable=False),
    sa.Column('responsible', sa.String(length=128), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'domain', 'number')
    )
    op.create_table('population',
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('urban', sa.Integer(), nullable=True),
    sa.Column('aged_0_14', sa.Integer(), nullable=True),
    sa.Column('aged_60_plus', sa.Integer(), nullable=True),
    sa.Column('aged_65_plus', sa.Integer(), nullable=True),
    sa.Column('aged_80_plus', sa.Integer(), nullable=True),
    sa.Column('aged_0', sa.Integer(), nullable=True),
    sa.Column('aged_1_4', sa.Integer(), nullable=True),
    sa.Column('under_3', sa.Integer(), nullable=True),
    sa.Column('under_3_estimated', sa.Boolean(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('division_code', 'year')
    )
    op.create_table('supply_summaries',
    sa.Column('division_code', sa.String(length=9), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('elderly_institutions', sa.Integer(), nullable=True),
    sa.Column('private_elderly_institutions', sa.Integer(), nullable=True),
    sa.Column('elderly_beds', sa.Integer(), nullable=True),
    sa.Column('nursing_beds', sa.Integer(), nullable=True),
    sa.Column('childcare_institutions', sa.Integer(), nullable=True),
    sa.Column('private_childcare_institutions', sa.Integer(), nullable=True),
    sa.Column('childcare_slots', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], ),
    sa.PrimaryKeyConstraint('division_code', 'year')
    )


def downgrade() -> None:
    op.drop_table('supply_summaries')
    op.drop_table('population')
    op.drop_table('plan_indicators')
    op.drop_table('people')
    op.drop_table('facility_projects')
    op.drop_table('elderly_institutions')
    op.drop_table('childcare_institutions')
    op.drop_table('divisions')
