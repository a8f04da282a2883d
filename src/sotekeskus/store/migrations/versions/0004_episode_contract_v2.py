"""episode contract version 2: diagnosis_codes, visit_nature, professional_id, care_plan;
no secondary indexes on episodes

Nullable columns (NULL = not recorded); existing episodes keep NULL until a file with the
columns is imported. The secondary indexes (person_id, unit_id, status + urgency) go: no
query of the store uses them (the analytics read the DuckDB snapshot; units come from
``units``), and keeping them up to date was ~40 % of a large import. A feature that looks
episodes up in the store adds the index it needs; the import keeps any index it finds.

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
    op.drop_index("ix_episodes_person_id", table_name="episodes")
    op.drop_index("ix_episodes_unit_id", table_name="episodes")
    op.drop_index("ix_episodes_status_urgency", table_name="episodes")


def downgrade() -> None:
    op.create_index("ix_episodes_status_urgency", "episodes", ["status", "urgency"])
    op.create_index("ix_episodes_unit_id", "episodes", ["unit_id"])
    op.create_index("ix_episodes_person_id", "episodes", ["person_id"])
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_column("care_plan")
        batch_op.drop_column("professional_id")
        batch_op.drop_column("visit_nature")
        batch_op.drop_column("diagnosis_codes")
