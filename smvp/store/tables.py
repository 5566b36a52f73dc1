"""The stored tables (SQLModel over SQLAlchemy): runs and their results, conciliation.

Exact numbers only: money is stored as integer cents, points as integer
centipoints, percentages and coefficients as exact decimal strings. Stored
runs are never modified: a changed evaluation is a ``revision`` record with
the whole run's recomputed results (``revision_result``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKeyConstraint,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from smvp.store.tenancy import TenantOwned  # the mixin and the listeners that scope it

# --------------------------------------------------------------------------- tenants


class Tenant(SQLModel, table=True):
    """One deployment's customer: a Chamber (its people, runs, cases, accounts).

    Every other stored row belongs to exactly one tenant (``tenant_id``); the
    scoping of every query to one tenant is done in ONE place,
    ``smvp.store.tenancy``.
    """

    __tablename__ = "tenant"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64, description="url id, e.g. cuneo")
    name: str = Field(description="display name, e.g. Camera di commercio di Cuneo")
    chamber: str = Field(description="the profile's chamber id the tenant evaluates with")
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


# --------------------------------------------------------------------------- tables


class DatasetBlob(TenantOwned, table=True):
    """The content of a dataset as loaded (its typed tables), per tenant, named by the
    dataset's hash.

    ``sha256`` is the dataset's identity, ``Dataset.sha256``: the engine's hash of the
    typed content (``smvp_engine.dataset``), the same whatever the files' format and
    however the content is stored here — what runs record, what ``smvp diff``/impact, the
    dedup of contents and the service compare. The content itself is held one of two ways:

    - ``data``: the typed columns (Arrow IPC streams, zstd; ``smvp.store.codec.dataset_columns``),
      ``content`` NULL — every content stored since schema 0008;
    - ``content``: the canonical JSON of the tables (``codec.dataset_canonical_json``),
      ``data`` NULL — contents stored before, read as ever.

    ``content_sha256`` is the sha256 of the stored bytes (of ``data``, else of ``content``
    as UTF-8): ``smvp verify`` checks it (a tampered content), then checks that the dataset
    read back has the hash ``sha256`` (a content edited together with its own hash).
    """

    __tablename__ = "dataset_blob"

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True)
    sha256: str = Field(primary_key=True, max_length=64,
                        description="dataset.sha256 (hash of the typed content)")
    content_sha256: str = Field(max_length=64, description="sha256 of `data`, else of `content`")
    content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Run(TenantOwned, table=True):
    __tablename__ = "run"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "dataset_sha256"],
                                           ["dataset_blob.tenant_id", "dataset_blob.sha256"]),)

    id: int | None = Field(default=None, primary_key=True)
    chamber: str = Field(index=True)
    year: int = Field(index=True)
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    profile_path: str
    profile_text: str = Field(sa_column=Column(Text, nullable=False))
    profile_sha256: str = Field(max_length=64, index=True)
    dataset_path: str
    dataset_sha256: str = Field(max_length=64, index=True)
    engine_version: str
    people: int
    totals: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # the layer the profile extends (national/italia), as it was: verify re-evaluates with it
    layer_name: str | None = Field(default=None)
    layer_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    layer_sha256: str | None = Field(default=None, max_length=64)


class PersonResult(TenantOwned, table=True):
    __tablename__ = "person_result"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str
    name: str | None = None
    role: str | None = None
    role_label: str | None = None
    unit_id: str | None = None
    fund: str | None = None
    results_cp: int | None = Field(default=None, description="centipoints")
    behaviour_cp: int | None = Field(default=None, description="centipoints")
    total_cp: int | None = Field(default=None, description="centipoints")
    judgement: str | None = None
    judgement_label: str | None = None
    negative: bool | None = None
    payout_percent: str | None = Field(default=None, description="exact decimal string")
    coefficient_name: str | None = None
    coefficient: str | None = Field(default=None, description="exact decimal string")
    theoretical_cents: int | None = None
    premium_cents: int | None = None
    maggiorazione_cents: int | None = None
    paid_cents: int | None = None
    maggiorazione_rank: int | None = None
    components: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                             description="component id → centipoints")


class FundResult(TenantOwned, table=True):
    __tablename__ = "fund_result"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    fund: str
    label: str | None = None
    resources_cents: int | None = None
    distributed_cents: int | None = None
    economies_cents: int | None = None



# --------------------------------------------------------------------------- conciliation


class ConciliationCase(TenantOwned, table=True):
    """One person's conciliation procedure about one stored run."""

    __tablename__ = "conciliation_case"
    __table_args__ = (UniqueConstraint("tenant_id", "chamber", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    chamber: str = Field(index=True)
    number: int = Field(description="per-chamber case number: <chamber>-<number>")
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str
    base_event: str = Field(description="the profile's starting event, e.g. data_scheda")
    delivered: dt.date = Field(description="day of the starting event")
    opened_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_on: dt.date | None = None
    outcome: str | None = Field(default=None,
                                description="confermata | modificata | ritirata | decaduta")
    note: str | None = Field(default=None, sa_column=Column(Text))


class ConciliationStep(TenantOwned, table=True):
    """A step of a case, as recorded (with its term as computed when it was recorded)."""

    __tablename__ = "conciliation_step"
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="conciliation_case.id", index=True)
    step: str = Field(description="step id of the profile's conciliation.steps")
    done_on: dt.date
    due: dt.date | None = Field(default=None, description="null: the profile sets no term")
    status: str = Field(description="smvp_engine.deadlines status: nei_termini, in_ritardo, …")
    days_late: int | None = None
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revision_id: int | None = Field(default=None, foreign_key="revision.id")
    note: str | None = Field(default=None, sa_column=Column(Text))


class Revision(TenantOwned, table=True):
    """New behaviour scores of one person of a run (the run itself is never modified)."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    number: int = Field(description="1, 2, … per run; later revisions apply over earlier ones")
    case_id: int | None = Field(default=None, foreign_key="conciliation_case.id")
    person_id: str
    decided_on: dt.date
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    scores: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                         description="factor id → new centipoints")
    previous: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                           description="factor id → centipoints before this revision")
    engine_version: str
    totals: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                         description="cents per fund after the revision, and the maggiorazioni")


class RevisionResult(TenantOwned, table=True):
    """Every person's result after a revision (the run's current numbers)."""

    __tablename__ = "revision_result"

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revision.id", index=True)
    person_id: str
    behaviour_cp: int | None = None
    total_cp: int | None = None
    judgement: str | None = None
    negative: bool | None = None
    payout_percent: str | None = None
    premium_cents: int | None = None
    maggiorazione_cents: int | None = None
    paid_cents: int | None = None
    maggiorazione_rank: int | None = None


class RunValidation(TenantOwned, table=True):
    """The OIV's validation of the Relazione sulla performance, recorded for a run."""

    __tablename__ = "run_validation"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    oiv_date: dt.date
    requests_closed: dt.date | None = Field(
        default=None, description="from this day no new conciliation request is admissible")
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))


class SheetDelivery(TenantOwned, table=True):
    """When evaluation sheets were delivered (the starting event of the terms)."""

    __tablename__ = "sheet_delivery"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str | None = Field(default=None, description="null: every sheet of the run")
    delivered: dt.date
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))



def row_id(row: Any) -> int:
    """The primary key of a row read back from the database (a model's ``id`` is typed
    ``int | None``: None only before the row is stored). Raises ValueError on an unstored row."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: not stored")
    return int(row.id)


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a mapped class (``model.__table__``, which SQLModel does not
    declare to a type checker)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


TABLES = [table_of(m) for m in (Tenant, DatasetBlob, Run, PersonResult, FundResult,
                                ConciliationCase, Revision, ConciliationStep, RevisionResult,
                                RunValidation, SheetDelivery)]


# --------------------------------------------------------------------------- service: accounts


class User(SQLModel, table=True):
    """A person who logs in to the service (accounts are global; roles are per tenant)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=128)
    password_hash: str = Field(description="Argon2id (argon2-cffi)")
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Membership(SQLModel, table=True):
    """A role of a user in a tenant (amministratore, valutatore, dipendente, oiv, revisore)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str
    person_id: str | None = Field(default=None,
                                  description="the user's person_id in the tenant's data")
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token of a user (only its sha256 is stored)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_sha256: str = Field(unique=True, max_length=64)
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AuthEpoch(SQLModel, table=True):
    """One row: a counter bumped by every change to accounts, roles or tokens (grant,
    revoke, logout). A service process caches who a token or a session is and their roles,
    and drops that cache when the counter moved: a revoke takes effect at the next request
    in every process (one primary-key read per request instead of three lookups)."""

    __tablename__ = "auth_epoch"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


# --------------------------------------------------------------------------- service: tenant data


class ProfileVersion(TenantOwned, table=True):
    """A version of the tenant's profile (the YAML text as uploaded, validated)."""

    __tablename__ = "profile_version"

    id: int | None = Field(default=None, primary_key=True)
    chamber: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    filename: str
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")


class DatasetUpload(TenantOwned, table=True):
    """A dataset uploaded to the service, validated against a profile version; its content is
    the tenant's ``dataset_blob`` of the same sha256."""

    __tablename__ = "dataset_upload"

    id: int | None = Field(default=None, primary_key=True)
    filename: str
    sha256: str = Field(max_length=64)
    year: int
    people: int
    profile_version_id: int = Field(foreign_key="profile_version.id")
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    derived_from: int | None = Field(
        default=None, foreign_key="dataset_upload.id",
        description="the uploaded dataset this one was made from by applying the valutatori's "
                    "final behaviour scores (null: uploaded as is)")


class ScoreSheet(TenantOwned, table=True):
    """The behaviour part of one person's scheda di valutazione, as the valutatore enters it,
    for one uploaded dataset: a draft until the valutatore sets the scheda date, then final."""

    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("tenant_id", "dataset_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset_upload.id", index=True)
    person_id: str
    scheda_date: dt.date | None = Field(default=None, description="null: draft; set: final")
    motivation: str | None = Field(default=None, sa_column=Column(Text),
                                   description="the motivation of a negative judgement")
    updated_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    finalised_by: int | None = Field(default=None, foreign_key="app_user.id")


class ScoreEntry(TenantOwned, table=True):
    """One behaviour factor's score on a sheet (centipoints; replaces the uploaded score)."""

    __tablename__ = "score_entry"
    __table_args__ = (UniqueConstraint("sheet_id", "factor"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="score_sheet.id", index=True)
    factor: str
    score_cp: int = Field(description="centipoints")


class AuditEntry(TenantOwned, table=True):
    """Append-only: who did what, when, to which object, with the before and after."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    username: str | None = None
    action: str = Field(description="e.g. profile.upload, dataset.upload, run.evaluate")
    object_kind: str
    object_id: str
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


TABLES += [table_of(m) for m in (User, Membership, ApiToken, AuthEpoch, ProfileVersion,
                                 DatasetUpload, AuditEntry, ScoreSheet, ScoreEntry)]
