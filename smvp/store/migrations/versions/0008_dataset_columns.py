"""A dataset's content stored as its typed columns (issue 9): ``dataset_blob.data``, the
columnar bytes (Arrow IPC streams, zstd; ``smvp.store.codec.dataset_columns``) that
``smvp verify`` reads straight into the engine's columns, with ``content_sha256`` their
sha256. ``content`` (the canonical JSON) becomes optional: the contents stored before
stay JSON and are read as ever; new ones are columnar (``content`` NULL).

Going down writes each columnar content back as its canonical JSON (the older smvp reads
only that), with its sha256.

Revision ID: 0008
Revises: 0007
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_blob") as batch:
        batch.alter_column("content", existing_type=sa.Text, nullable=True)
        batch.add_column(sa.Column("data", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    from smvp.store.codec import dataset_canonical_json, dataset_from_columns_blob

    bind = op.get_bind()
    blobs = sa.table("dataset_blob", sa.column("tenant_id", sa.Integer), sa.column("sha256", sa.String),
                     sa.column("content", sa.Text), sa.column("content_sha256", sa.String),
                     sa.column("data", sa.LargeBinary))
    keys = bind.execute(sa.select(blobs.c.tenant_id, blobs.c.sha256)
                        .where(blobs.c.data.is_not(None))).all()
    for tenant_id, sha in keys:  # one content in memory at a time
        data = bind.execute(sa.select(blobs.c.data).where(blobs.c.tenant_id == tenant_id,
                                                          blobs.c.sha256 == sha)).scalar_one()
        dataset, _ = dataset_from_columns_blob(bytes(data), f"dataset {sha[:12]}")
        content = dataset_canonical_json(dataset)
        bind.execute(blobs.update().where(blobs.c.tenant_id == tenant_id, blobs.c.sha256 == sha)
                     .values(content=content, data=None,
                             content_sha256=hashlib.sha256(content.encode("utf-8")).hexdigest()))
    with op.batch_alter_table("dataset_blob") as batch:
        batch.drop_column("data")
        batch.alter_column("content", existing_type=sa.Text, nullable=False)
