"""Persistence: the tables (``tables``), where the database is (``location``, ``db``), the
exact-number and dataset codec (``codec``), a dataset's stored content, columnar or
JSON (``content``), the queries over runs (``runs``) and
conciliation cases (``cases``), and a run written straight to an SQLite store with the
standard library (``direct``). Tables and queries only: the rules live in ``smvp_engine``
and ``smvp.conciliation``, the use cases in ``smvp.app``.

A run is written in ONE transaction: if anything fails, the database is as it was.

Importing this package costs nothing: its names (``store.open_engine``, ``store.Run``…)
load SQLAlchemy, SQLModel and the tables at their first use, all together as before (the
tenant scoping, the cycle table); ``smvp.store.location``, ``codec``, ``bulk`` and
``direct`` import no SQLAlchemy, so that ``smvp evaluate`` stores a run in an SQLite
database at the newest schema without it (benchmarks/STARTUP.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smvp.errors import StoreProblem
    from smvp.store import cycle, db, tenancy, tenants
    from smvp.store.codec import (
        canonical_json,
        dataset_canonical_json,
        dataset_document,
        exact_str,
        from_hundredths,
        to_centipoints,
        to_cents,
        to_hundredths,
    )
    from smvp.store.db import display_url, open_engine, short_error
    from smvp.store.direct import totals_json
    from smvp.store.location import database_url, default_database_path
    from smvp.store.runs import (
        RunListing,
        RunSummary,
        counts,
        dataset_content,
        find_run,
        fund_record,
        fund_results,
        get_blob,
        iter_person_results,
        list_runs,
        person_record,
        person_rows,
        read_dataset,
        run_summaries,
        save_run,
    )
    from smvp.store.tables import (
        TABLES,
        ApiToken,
        AuditEntry,
        ConciliationCase,
        ConciliationStep,
        DatasetBlob,
        DatasetUpload,
        FundResult,
        Membership,
        PersonResult,
        ProfileVersion,
        Revision,
        RevisionResult,
        Run,
        RunValidation,
        SheetDelivery,
        Tenant,
        TenantOwned,
        User,
        row_id,
    )
    from smvp.store.tenancy import require_tenant, scoped

#: name → the module that defines it
_FROM = {
    **dict.fromkeys(["StoreProblem"], "smvp.errors"),
    **dict.fromkeys(["canonical_json", "dataset_canonical_json", "dataset_document", "exact_str",
                     "from_hundredths", "to_centipoints", "to_cents", "to_hundredths"],
                    "smvp.store.codec"),
    **dict.fromkeys(["display_url", "open_engine", "short_error"], "smvp.store.db"),
    **dict.fromkeys(["database_url", "default_database_path"], "smvp.store.location"),
    **dict.fromkeys(["RunListing", "RunSummary", "counts", "dataset_content", "find_run",
                     "fund_record", "fund_results", "get_blob", "iter_person_results",
                     "list_runs", "person_record", "person_rows", "read_dataset", "run_summaries",
                     "save_run"],
                    "smvp.store.runs"),
    **dict.fromkeys(["totals_json"], "smvp.store.direct"),
    **dict.fromkeys(["TABLES", "ApiToken", "AuditEntry", "ConciliationCase", "ConciliationStep",
                     "DatasetBlob", "DatasetUpload", "FundResult", "Membership", "PersonResult",
                     "ProfileVersion", "Revision", "RevisionResult", "Run", "RunValidation",
                     "SheetDelivery", "Tenant", "TenantOwned", "User", "row_id"],
                    "smvp.store.tables"),
    **dict.fromkeys(["require_tenant", "scoped"], "smvp.store.tenancy"),
}
#: what ``import smvp.store`` loaded before it was lazy: loaded together at the first use of
#: any name above, so that every table (the cycle's too) and the tenant scoping are there
_ORM = ("smvp.store.tables", "smvp.store.tenancy", "smvp.store.cycle", "smvp.store.tenants",
        "smvp.store.db", "smvp.store.runs")
#: submodules without SQLAlchemy (any other one loads the ones above with it)
_LIGHT = {"bulk", "codec", "content", "direct", "location"}
_SUBMODULES = {*_LIGHT, "cases", "cycle", "db", "runs", "scores", "tables", "tenancy", "tenants"}

__all__ = ["ApiToken", "AuditEntry", "ConciliationCase", "ConciliationStep", "DatasetBlob",
    "DatasetUpload", "FundResult", "Membership", "PersonResult", "ProfileVersion", "Revision",
    "RevisionResult", "Run", "RunListing", "RunSummary", "RunValidation", "SheetDelivery",
    "StoreProblem", "TABLES", "Tenant", "TenantOwned", "User", "canonical_json", "counts",
    "cycle", "database_url", "dataset_canonical_json", "dataset_content", "dataset_document",
    "db", "default_database_path", "display_url", "exact_str", "find_run", "from_hundredths",
    "fund_record", "fund_results", "get_blob", "iter_person_results", "list_runs", "open_engine",
    "person_record", "person_rows", "read_dataset", "require_tenant", "row_id", "run_summaries", "save_run", "scoped",
    "short_error", "tenancy", "tenants", "to_centipoints", "to_cents", "to_hundredths",
    "totals_json"]


def __getattr__(name: str) -> Any:
    if name not in _SUBMODULES and name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _LIGHT:
        for orm in _ORM:
            importlib.import_module(orm)
    if name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        value = getattr(importlib.import_module(_FROM[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM, *_SUBMODULES})
