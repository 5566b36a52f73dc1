"""The schema before tenants (smvp.db files made by smvp up to the store/app split).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = sa.String
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dataset_blob",
        sa.Column("sha256", S(64), primary_key=True),
        sa.Column("content_sha256", S(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False))
    op.create_table(
        "run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chamber", S, nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("profile_path", S, nullable=False),
        sa.Column("profile_text", sa.Text, nullable=False),
        sa.Column("profile_sha256", S(64), nullable=False, index=True),
        sa.Column("dataset_path", S, nullable=False),
        sa.Column("dataset_sha256", S(64), sa.ForeignKey("dataset_blob.sha256"), nullable=False,
                  index=True),
        sa.Column("engine_version", S, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("totals", sa.JSON, nullable=False))
    op.create_table(
        "person_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("person_id", S, nullable=False),
        *[sa.Column(c, S) for c in ("name", "role", "role_label", "unit_id", "fund")],
        *[sa.Column(c, sa.Integer) for c in ("results_cp", "behaviour_cp", "total_cp")],
        sa.Column("judgement", S), sa.Column("judgement_label", S),
        sa.Column("negative", sa.Boolean),
        sa.Column("payout_percent", S), sa.Column("coefficient_name", S),
        sa.Column("coefficient", S),
        *[sa.Column(c, sa.Integer) for c in ("theoretical_cents", "premium_cents",
                                              "maggiorazione_cents", "paid_cents",
                                              "maggiorazione_rank")],
        sa.Column("components", sa.JSON, nullable=False))
    op.create_table(
        "fund_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("fund", S, nullable=False),
        sa.Column("label", S),
        *[sa.Column(c, sa.Integer) for c in ("resources_cents", "distributed_cents",
                                              "economies_cents")])
    op.create_table(
        "conciliation_case",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chamber", S, nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("person_id", S, nullable=False),
        sa.Column("base_event", S, nullable=False),
        sa.Column("delivered", sa.Date, nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("outcome", S),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("chamber", "number"))
    op.create_table(
        "run_validation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("oiv_date", sa.Date, nullable=False),
        sa.Column("requests_closed", sa.Date),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("note", sa.Text))
    op.create_table(
        "sheet_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("person_id", S),
        sa.Column("delivered", sa.Date, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False))
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("conciliation_case.id")),
        sa.Column("person_id", S, nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("previous", sa.JSON, nullable=False),
        sa.Column("engine_version", S, nullable=False),
        sa.Column("totals", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_id", "number"))
    op.create_table(
        "conciliation_step",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("conciliation_case.id"), nullable=False,
                  index=True),
        sa.Column("step", S, nullable=False),
        sa.Column("done_on", sa.Date, nullable=False),
        sa.Column("due", sa.Date),
        sa.Column("status", S, nullable=False),
        sa.Column("days_late", sa.Integer),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revision.id")),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("case_id", "step"))
    op.create_table(
        "revision_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revision.id"), nullable=False,
                  index=True),
        sa.Column("person_id", S, nullable=False),
        sa.Column("behaviour_cp", sa.Integer), sa.Column("total_cp", sa.Integer),
        sa.Column("judgement", S), sa.Column("negative", sa.Boolean),
        sa.Column("payout_percent", S),
        *[sa.Column(c, sa.Integer) for c in ("premium_cents", "maggiorazione_cents",
                                              "paid_cents", "maggiorazione_rank")])


def downgrade() -> None:
    for name in ("revision_result", "conciliation_step", "revision", "sheet_delivery",
                 "run_validation", "conciliation_case", "fund_result", "person_result", "run",
                 "dataset_blob"):
        op.drop_table(name)
