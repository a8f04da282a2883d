"""resident front door: resident sessions and identifications in progress

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["person_pk"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resident_sessions_person_pk", "resident_sessions", ["person_pk"])
    op.create_table(
        "resident_sign_ins",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resident_sign_ins_created_at", "resident_sign_ins", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_resident_sign_ins_created_at", table_name="resident_sign_ins")
    op.drop_table("resident_sign_ins")
    op.drop_index("ix_resident_sessions_person_pk", table_name="resident_sessions")
    op.drop_table("resident_sessions")
