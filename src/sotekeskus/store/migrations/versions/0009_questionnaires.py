"""questionnaires (FHIR R4 Questionnaire versions with their outcome rules) and
questionnaire_responses (answers, outcome, fired rule, case); the shipped example
questionnaires are loaded (docs/questionnaires.md)

Revision ID: 0009
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'questionnaires',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('url', sa.String(length=300), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('fhir_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('resource', sa.Text(), nullable=False),
        sa.Column('rules', sa.Text(), nullable=False),
        sa.Column('uploaded_by', sa.String(length=100), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('url', 'version', name='uq_questionnaires_url_version'),
    )
    op.create_index('ix_questionnaires_fhir_id', 'questionnaires', ['fhir_id'])
    op.create_table(
        'questionnaire_responses',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('questionnaire_url', sa.String(length=300), nullable=False),
        sa.Column('questionnaire_version', sa.String(length=64), nullable=False),
        sa.Column('person_pk', sa.Integer(), sa.ForeignKey('persons.id'), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('rule_id', sa.String(length=100), nullable=False),
        sa.Column('service_id', sa.String(length=64), nullable=True),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('resource', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_questionnaire_responses_person_pk', 'questionnaire_responses',
                    ['person_pk'])
    op.create_index('ix_questionnaire_responses_case_id', 'questionnaire_responses',
                    ['case_id'])
    op.create_index('ix_questionnaire_responses_version', 'questionnaire_responses',
                    ['questionnaire_url', 'questionnaire_version'])
    from sotekeskus.care.questionnaires.examples import seed_examples

    seed_examples(op.get_bind())


def downgrade() -> None:
    op.drop_table('questionnaire_responses')
    op.drop_table('questionnaires')
