"""Persistence: the tables (``tables``), where the database is (``db``), the exact-number
and dataset codec (``codec``), and the queries over runs (``runs``) and conciliation
cases (``cases``). Tables and queries only: the rules live in ``smvp_engine`` and
``smvp.conciliation``, the use cases in ``smvp.app``.

A run is written in ONE transaction: if anything fails, the database is as it was.
"""

from smvp.errors import StoreProblem
from smvp.store import cycle, tenancy, tenants
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
from smvp.store.db import (
    database_url,
    default_database_path,
    display_url,
    open_engine,
    short_error,
)
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
    run_summaries,
    save_run,
    totals_json,
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
)
from smvp.store.tenancy import require_tenant, scoped

__all__ = [
    "ApiToken", "AuditEntry", "DatasetUpload", "Membership", "ProfileVersion", "User",
    "TABLES", "ConciliationCase", "cycle", "ConciliationStep", "DatasetBlob", "FundResult",
    "PersonResult", "Revision", "RevisionResult", "Run", "RunListing", "RunSummary",
    "person_rows", "run_summaries", "RunValidation", "SheetDelivery",
    "StoreProblem", "Tenant", "TenantOwned", "canonical_json", "counts", "database_url", "dataset_canonical_json",
    "dataset_content", "dataset_document", "default_database_path", "display_url", "exact_str",
    "find_run", "from_hundredths", "fund_record", "fund_results", "get_blob",
    "iter_person_results", "list_runs", "open_engine", "person_record", "save_run",
    "require_tenant", "scoped", "short_error", "tenancy", "tenants", "to_centipoints", "to_cents", "to_hundredths", "totals_json",
]
