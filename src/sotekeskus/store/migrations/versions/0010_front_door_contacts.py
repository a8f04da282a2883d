"""front door channels: a contact's line, form data, resolution and first-contact
resolution (case_contacts, one row per case a resident opened at the front door)

Revision ID: 0010
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_contacts',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('line_id', sa.String(64), nullable=False),
        sa.Column('form_id', sa.String(64), nullable=True),
        sa.Column('form_data', sa.Text(), nullable=False),
        sa.Column('resolution', sa.String(32), nullable=True),
        sa.Column('resolved_first_contact', sa.Boolean(), nullable=True),
        sa.Column('closed_by', sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('case_id'))
    op.create_index('ix_case_contacts_line_kind', 'case_contacts', ['line_id', 'kind'])


def downgrade() -> None:
    op.drop_index('ix_case_contacts_line_kind', table_name='case_contacts')
    op.drop_table('case_contacts')
