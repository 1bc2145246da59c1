"""Owners' session version, so signing out ends every copy of a session.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("owners") as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_version", sa.Integer(), nullable=False, server_default="0"
            )
        )


def downgrade():
    with op.batch_alter_table("owners") as batch_op:
        batch_op.drop_column("session_version")
