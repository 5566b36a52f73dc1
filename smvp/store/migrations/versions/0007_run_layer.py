"""The national layer a run's profile extends, stored with the run (issue 12): its name, text and
sha256, so that `smvp verify` re-evaluates the run with the layer it was evaluated with, not with
today's (the layer gives absence types, readings and norms that move money).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("layer_name", sa.String, nullable=True))
        batch.add_column(sa.Column("layer_text", sa.Text, nullable=True))
        batch.add_column(sa.Column("layer_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("layer_sha256")
        batch.drop_column("layer_text")
        batch.drop_column("layer_name")
