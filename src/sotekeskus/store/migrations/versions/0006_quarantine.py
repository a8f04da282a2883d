"""quarantine: rejected rows of an import kept with their reasons (docs/data-quality.md);
api_clients: scoped API tokens of the FHIR API (docs/fhir.md)

Revision ID: 0006
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'quarantine',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('file_name', sa.String(length=500), nullable=False),
        sa.Column('line', sa.Integer(), nullable=True),
        sa.Column('episode_id', sa.String(length=200), nullable=True),
        sa.Column('unit_id', sa.String(length=200), nullable=True),
        sa.Column('professional_group', sa.String(length=32), nullable=True),
        sa.Column('professional_raw', sa.String(length=200), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=True),
        sa.Column('column_name', sa.String(length=64), nullable=True),
        sa.Column('value', sa.Text(), nullable=True),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('quarantined_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_source_file', ['source', 'file_name'],
                              unique=False)
        batch_op.create_index('ix_quarantine_unit_month', ['unit_id', 'month'], unique=False)
    op.create_table(
        'api_clients',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('units', sa.Text(), nullable=False),
        sa.Column('scopes', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_api_clients_name'),
        sa.UniqueConstraint('token_sha256', name='uq_api_clients_token'),
    )


def downgrade() -> None:
    op.drop_table('api_clients')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_unit_month')
        batch_op.drop_index('ix_quarantine_source_file')
    op.drop_table('quarantine')
