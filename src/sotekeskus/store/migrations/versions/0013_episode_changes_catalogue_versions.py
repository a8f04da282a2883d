"""incremental snapshot refresh and editable catalogue: the episode change log
(``episode_changes``: which episode rows each workdesk data-version bump changed) and the
versions of the service catalogue and routing rules an administrator uploaded
(``catalogue_versions``)

Revision ID: 0013
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'episode_changes',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('version_from', sa.String(64), nullable=False),
        sa.Column('version_to', sa.String(64), nullable=False),
        sa.Column('episode_id', sa.String(64), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('seq'))
    op.create_index('ix_episode_changes_version_from', 'episode_changes', ['version_from'])
    op.create_index('ix_episode_changes_changed_at', 'episode_changes', ['changed_at'])
    op.create_table(
        'catalogue_versions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('version', sa.String(64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('kind', 'version'))


def downgrade() -> None:
    op.drop_table('catalogue_versions')
    op.drop_index('ix_episode_changes_changed_at', 'episode_changes')
    op.drop_index('ix_episode_changes_version_from', 'episode_changes')
    op.drop_table('episode_changes')
