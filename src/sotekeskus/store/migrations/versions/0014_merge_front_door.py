"""merge the branches of the front-door session (resident sessions, questionnaires, front
door contacts, pathway marks and outcomes, API OAuth tokens, episode changes and catalogue
versions) into one head, so later migrations chain from one revision

Revision ID: 0014
Revises: 0008, 0009, 0010, 0011, 0012, 0013
"""

revision = "0014"
down_revision = ("0008", "0009", "0010", "0011", "0012", "0013")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
