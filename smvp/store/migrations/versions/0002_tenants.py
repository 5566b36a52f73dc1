"""Tenants: every row belongs to one tenant; existing rows go to the tenant of their run's chamber.

Revision ID: 0002
Revises: 0001

An smvp.db made before tenants is upgraded in place: one tenant per chamber
found in its runs (slug = chamber id), every row given the tenant of its run
(steps through their case, revision results through their revision), dataset
contents keyed by (tenant, sha256) — copied when runs of two chambers share one.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from smvp_engine.errors import Msg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAMES = {
    "cuneo": "Camera di commercio di Cuneo",
    "cremona": "Camera di commercio di Cremona",
    "brescia": "Camera di commercio di Brescia",
    "lucca": "Camera di commercio di Lucca",
}

# table → SQL giving a row's tenant (correlated on the table's own columns)
VIA_RUN = "(SELECT run.tenant_id FROM run WHERE run.id = {t}.run_id)"
OWNED = {
    "person_result": VIA_RUN,
    "fund_result": VIA_RUN,
    "conciliation_case": VIA_RUN,
    "run_validation": VIA_RUN,
    "sheet_delivery": VIA_RUN,
    "revision": VIA_RUN,
    "conciliation_step": "(SELECT c.tenant_id FROM conciliation_case c WHERE c.id = {t}.case_id)",
    "revision_result": "(SELECT r.tenant_id FROM revision r WHERE r.id = {t}.revision_id)",
}

# SQLite's constraints made by create_all have no names: batch mode names them by convention
CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
}


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    tenant = op.create_table(
        "tenant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("chamber", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    chambers = sorted({row[0] for row in bind.execute(sa.text(
        "SELECT DISTINCT chamber FROM run UNION SELECT DISTINCT chamber FROM conciliation_case"))})
    now = dt.datetime.now(dt.UTC)
    if chambers:
        op.bulk_insert(tenant, [{"slug": c, "name": NAMES.get(c, c), "chamber": c,
                                 "created_at": now} for c in chambers])

    op.add_column("run", sa.Column("tenant_id", sa.Integer, nullable=True))
    op.execute("UPDATE run SET tenant_id = (SELECT tenant.id FROM tenant "
               "WHERE tenant.slug = run.chamber)")
    for table, via in OWNED.items():  # in dependency order: cases before steps, …
        op.add_column(table, sa.Column("tenant_id", sa.Integer, nullable=True))
        op.execute(f"UPDATE {table} SET tenant_id = {via.format(t=table)}")

    # dataset contents per tenant: (tenant_id, sha256)
    op.create_table(
        "dataset_blob_t",
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenant.id"), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.execute("INSERT INTO dataset_blob_t (tenant_id, sha256, content_sha256, content, "
               "created_at) SELECT DISTINCT run.tenant_id, b.sha256, b.content_sha256, "
               "b.content, b.created_at FROM dataset_blob b JOIN run ON run.dataset_sha256 = "
               "b.sha256")
    fk_blob = "fk_run_dataset_sha256_dataset_blob" if sqlite else "run_dataset_sha256_fkey"
    with op.batch_alter_table("run", naming_convention=CONVENTION) as batch:
        batch.drop_constraint(fk_blob, type_="foreignkey")
    op.drop_table("dataset_blob")
    op.rename_table("dataset_blob_t", "dataset_blob")
    with op.batch_alter_table("run", naming_convention=CONVENTION) as batch:
        batch.alter_column("tenant_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key("fk_run_tenant_id_tenant", "tenant", ["tenant_id"], ["id"])
        batch.create_foreign_key("fk_run_tenant_id_dataset_blob", "dataset_blob",
                                 ["tenant_id", "dataset_sha256"], ["tenant_id", "sha256"])
        batch.create_index("ix_run_tenant_id", ["tenant_id"])

    for table in OWNED:
        with op.batch_alter_table(table, naming_convention=CONVENTION) as batch:
            batch.alter_column("tenant_id", existing_type=sa.Integer, nullable=False)
            batch.create_foreign_key(f"fk_{table}_tenant_id_tenant", "tenant", ["tenant_id"],
                                     ["id"])
            batch.create_index(f"ix_{table}_tenant_id", ["tenant_id"])
            if table == "conciliation_case":
                batch.drop_constraint("uq_conciliation_case_chamber_number" if sqlite
                                      else "conciliation_case_chamber_number_key",
                                      type_="unique")
                batch.create_unique_constraint("uq_conciliation_case_tenant_id_chamber_number",
                                               ["tenant_id", "chamber", "number"])


def downgrade() -> None:
    """Back to the schema without tenants: the rows stay (every tenant's, together), the
    tenant table and the tenant_id columns go; a dataset content stored by several tenants
    is kept once. Refused (nothing changed: one transaction) when two tenants of one
    chamber both have a case of the same number — the old schema numbers cases per
    chamber and cannot hold both."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    clash = bind.execute(sa.text(
        "SELECT chamber, number FROM conciliation_case GROUP BY chamber, number "
        "HAVING COUNT(*) > 1")).first()
    if clash is not None:
        raise RuntimeError(Msg("cannot go back to the schema without tenants: case {case} exists in "
                               "more than one tenant", case=f"{clash[0]}-{clash[1]}"))
    for table in reversed(list(OWNED)):
        with op.batch_alter_table(table, naming_convention=CONVENTION) as batch:
            if table == "conciliation_case":
                batch.drop_constraint("uq_conciliation_case_tenant_id_chamber_number",
                                      type_="unique")
                batch.create_unique_constraint("uq_conciliation_case_chamber_number" if sqlite
                                               else "conciliation_case_chamber_number_key",
                                               ["chamber", "number"])
            batch.drop_index(f"ix_{table}_tenant_id")
            batch.drop_constraint(f"fk_{table}_tenant_id_tenant", type_="foreignkey")
            batch.drop_column("tenant_id")
    with op.batch_alter_table("run", naming_convention=CONVENTION) as batch:
        batch.drop_constraint("fk_run_tenant_id_dataset_blob", type_="foreignkey")
        batch.drop_constraint("fk_run_tenant_id_tenant", type_="foreignkey")
        batch.drop_index("ix_run_tenant_id")
        batch.drop_column("tenant_id")
    op.create_table(
        "dataset_blob_o",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.execute("INSERT INTO dataset_blob_o (sha256, content_sha256, content, created_at) "
               "SELECT b.sha256, b.content_sha256, b.content, b.created_at FROM dataset_blob b "
               "WHERE b.tenant_id = (SELECT MIN(b2.tenant_id) FROM dataset_blob b2 "
               "WHERE b2.sha256 = b.sha256)")
    op.drop_table("dataset_blob")
    op.rename_table("dataset_blob_o", "dataset_blob")
    if not sqlite:  # PostgreSQL keeps the old table's primary key name on a renamed table
        op.execute("ALTER TABLE dataset_blob RENAME CONSTRAINT dataset_blob_o_pkey "
                   "TO dataset_blob_pkey")
    with op.batch_alter_table("run", naming_convention=CONVENTION) as batch:
        batch.create_foreign_key("fk_run_dataset_sha256_dataset_blob" if sqlite
                                 else "run_dataset_sha256_fkey",
                                 "dataset_blob", ["dataset_sha256"], ["sha256"])
    op.drop_table("tenant")
