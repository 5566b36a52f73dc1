"""Behaviour scores entered by the valutatore (score_sheet, score_entry), and datasets
derived from an upload by applying the final scores (dataset_upload.derived_from).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("dataset_upload", naming_convention=CONVENTION) as batch:
        batch.add_column(sa.Column("derived_from", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_dataset_upload_derived_from_dataset_upload",
                                 "dataset_upload", ["derived_from"], ["id"])
    op.create_table(
        "score_sheet",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("dataset_upload.id"), nullable=False,
                  index=True),
        sa.Column("person_id", sa.String, nullable=False),
        sa.Column("scheda_date", sa.Date),
        sa.Column("motivation", sa.Text),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("finalised_by", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.UniqueConstraint("tenant_id", "dataset_id", "person_id"))
    op.create_table(
        "score_entry",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sheet_id", sa.Integer, sa.ForeignKey("score_sheet.id"), nullable=False,
                  index=True),
        sa.Column("factor", sa.String, nullable=False),
        sa.Column("score_cp", sa.Integer, nullable=False),
        sa.UniqueConstraint("sheet_id", "factor"))


def downgrade() -> None:
    op.drop_table("score_entry")
    op.drop_table("score_sheet")
    with op.batch_alter_table("dataset_upload", naming_convention=CONVENTION) as batch:
        batch.drop_constraint("fk_dataset_upload_derived_from_dataset_upload",
                              type_="foreignkey")
        batch.drop_column("derived_from")
