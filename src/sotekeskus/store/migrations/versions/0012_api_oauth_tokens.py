"""api_client_secrets and api_access_tokens: OAuth2 client credentials for the FHIR API
(docs/fhir.md): a client's argon2-hashed secret, and the short-lived bearer tokens issued
for it (only their SHA-256 is kept).

Revision ID: 0012
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_client_secrets',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id']),
        sa.PrimaryKeyConstraint('client_id'),
    )
    op.create_table(
        'api_access_tokens',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.Text(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_sha256'),
    )
    with op.batch_alter_table('api_access_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_access_tokens_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_access_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_access_tokens_expires_at')
    op.drop_table('api_access_tokens')
    op.drop_table('api_client_secrets')
