"""pathways: stored risk-model runs, professionals' justified / not-justified marks, outcome
measurements and experience responses (docs/pathways.md, docs/models.md)

Revision ID: 0011
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'risk_model_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('model', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('parameters', sa.Text(), nullable=False),
        sa.Column('evaluation', sa.Text(), nullable=False),
        sa.Column('card', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_risk_model_runs_model', 'risk_model_runs', ['model'])
    op.create_table(
        'risk_marks',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('model', sa.String(length=32), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.String(length=200), nullable=False),
        sa.Column('list_day', sa.Date(), nullable=False),
        sa.Column('justified', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('marked_by', sa.String(length=100), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['risk_model_runs.id'],
                                name='fk_risk_marks_run_id'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_risk_marks_model_person', 'risk_marks',
                    ['model', 'person_id', 'list_day'])
    op.create_table(
        'outcome_measurements',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('instrument', sa.String(length=64), nullable=False),
        sa.Column('measured_on', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.String(length=200), nullable=False),
        sa.Column('service_area', sa.String(length=32), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'instrument', 'measured_on', 'unit_id',
                            'service_area', name='uq_outcome_measurements_key'),
    )
    op.create_table(
        'experience_responses',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('batch_sha256', sa.String(length=64), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('responded_on', sa.Date(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('batch_sha256', 'line', name='uq_experience_responses_line'),
    )


def downgrade() -> None:
    op.drop_table('experience_responses')
    op.drop_table('outcome_measurements')
    op.drop_index('ix_risk_marks_model_person', table_name='risk_marks')
    op.drop_table('risk_marks')
    op.drop_index('ix_risk_model_runs_model', table_name='risk_model_runs')
    op.drop_table('risk_model_runs')
