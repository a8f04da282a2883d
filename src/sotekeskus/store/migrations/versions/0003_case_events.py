"""case events (the case-events file of planning.md §1)

Revision ID: 0003
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_events',
        sa.Column('case_id', sa.String(length=64), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('case_type', sa.String(length=40), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('urgency', sa.String(length=16), nullable=True),
        sa.Column('professional_group', sa.String(length=32), nullable=True),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('case_id', 'event'),
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_person_id'), ['person_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_events_case_type'), ['case_type'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_type'))
        batch_op.drop_index(batch_op.f('ix_case_events_person_id'))
    op.drop_table('case_events')
