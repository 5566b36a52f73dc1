"""The service: accounts, roles per tenant, bearer tokens, profile versions, uploaded
datasets, the append-only audit log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(128), nullable=False, unique=True),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("created_at", TZ, nullable=False))
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False,
                  index=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("person_id", sa.String),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("tenant_id", "user_id", "role"))
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False,
                  index=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False))
    op.create_table(
        "profile_version",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chamber", sa.String, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("app_user.id")))
    op.create_table(
        "dataset_upload",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("filename", sa.String, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("profile_version_id", sa.Integer, sa.ForeignKey("profile_version.id"),
                  nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("app_user.id")))
    op.create_table(
        "audit_entry",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), nullable=False,
                  index=True),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id")),
        sa.Column("username", sa.String),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("object_kind", sa.String, nullable=False),
        sa.Column("object_id", sa.String, nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON))


def downgrade() -> None:
    for name in ("audit_entry", "dataset_upload", "profile_version", "api_token", "membership",
                 "app_user"):
        op.drop_table(name)
