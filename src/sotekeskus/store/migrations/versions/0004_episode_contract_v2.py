"""episode contract version 2: diagnosis_codes, visit_nature, professional_id, care_plan

Nullable columns (NULL = not recorded); existing episodes keep NULL until a file with the
columns is imported.

Revision ID: 0004
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("episodes", sa.Column("diagnosis_codes", sa.Text(), nullable=True))
    op.add_column("episodes", sa.Column("visit_nature", sa.String(length=8), nullable=True))
    op.add_column("episodes", sa.Column("professional_id", sa.String(length=64), nullable=True))
    op.add_column("episodes", sa.Column("care_plan", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_column("care_plan")
        batch_op.drop_column("professional_id")
        batch_op.drop_column("visit_nature")
        batch_op.drop_column("diagnosis_codes")
