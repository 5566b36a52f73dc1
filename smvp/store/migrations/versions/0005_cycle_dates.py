"""The performance cycle's actual dates per tenant and year (cycle_date), recorded by the
amministratore on the calendar page.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycle_date",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("step", sa.String, nullable=False),
        sa.Column("done_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.UniqueConstraint("tenant_id", "year", "step"))


def downgrade() -> None:
    op.drop_table("cycle_date")
