"""Indexes for the dashboard: counts per status and totals per currency.

With 10,000 invoices the totals query read every invoice row (11 ms a
request) and each status count scanned the owner's rows; both are now
answered from an index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 18:10:00

"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_invoices_owner_status", "invoices", ["owner_id", "status"])
    op.create_index(
        "ix_invoices_owner_totals",
        "invoices",
        ["owner_id", "currency", "status", "due_date", "total_minor"],
    )


def downgrade():
    op.drop_index("ix_invoices_owner_totals", table_name="invoices")
    op.drop_index("ix_invoices_owner_status", table_name="invoices")
