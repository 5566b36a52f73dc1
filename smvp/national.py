"""Every body in one run: many tenants' profiles and years, evaluated on all cores.

``smvp evaluate --chambers-dir DIR --data-root ROOT`` evaluates each profile
``DIR/<tenant>.yaml`` on its year ``ROOT/<tenant>/<year>/`` (a folder of CSV or
Parquet tables, or ``<year>.xlsx``; without ``--year`` the latest year there;
a folder of tables directly in ``ROOT/<tenant>/`` works too).

Tenants are independent: they are handed to worker processes in chunks
(:class:`concurrent.futures.ProcessPoolExecutor`, one per core by default),
each worker loads profiles through a :class:`~smvp.profile_cache.ProfileCache`
(compiled profiles by content hash; on disk with ``cache``), loads the year,
evaluates and returns a lean result — the people as an Arrow table (the
results contract's fields, see :func:`people_table`) and one summary record —
or the tenant's located errors. A tenant that fails never stops the others.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

TENANT = "tenant"


@dataclass(frozen=True)
class Tenant:
    """One body of the run: its id (the profile's file name), profile, and year's data (None: none found)."""

    id: str
    profile: Path
    data: Path | None


@dataclass
class TenantResult:
    """What a worker gives back for one tenant.

    ``record``: the summary line (JSON-able: tenant, status, chamber, year, people,
    run, funds, summary — or errors); ``line``: the record as :func:`summary_line`
    writes it (encoded by the worker: the main process only writes it). ``people``:
    the people table as one Arrow IPC record-batch message of :data:`PEOPLE_SCHEMA`
    (:func:`read_ipc`), None on failure. ``seconds``: the worker's time for the tenant.
    """

    tenant: str
    ok: bool
    record: dict[str, Any]
    people: bytes | None = None
    seconds: float = 0.0
    internal: bool = False  # an unexpected exception (a bug), not a located problem
    line: str = ""


def discover(chambers_dir: Path, data_root: Path, year: int | None = None) -> list[Tenant]:
    """Tenants of ``chambers_dir/*.yaml`` (sorted by id) with their data under ``data_root``."""
    out = []
    for profile in sorted(Path(chambers_dir).glob("*.yaml")):
        out.append(Tenant(profile.stem, profile, _year_data(Path(data_root) / profile.stem, year)))
    return out


def _year_data(folder: Path, year: int | None) -> Path | None:
    try:  # one listing of the folder (a national run discovers thousands before starting)
        with os.scandir(folder) as it:
            entries = list(it)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if any(e.name.endswith((".csv", ".parquet")) for e in entries):
        return folder
    years: dict[int, Path] = {}
    for e in entries:
        p = folder / e.name
        if e.name.isdigit() and e.is_dir():
            years[int(e.name)] = p
        elif p.suffix == ".xlsx" and p.stem.isdigit():
            years.setdefault(int(p.stem), p)
    if year is not None:
        return years.get(year)
    return years[max(years)] if years else None


# --------------------------------------------------------------------------- the worker

_CACHE: Any = None


def _init_worker(cache_dir: str | None, worker: bool = False) -> None:
    global _CACHE
    from smvp.profile_cache import ProfileCache
    from smvp_engine import profile as engine_profile

    engine_profile.SCHEMA_BY_BLOCK_TEXT = True  # many profiles sharing blocks: see there
    if worker:  # one tenant's tables are small: pyarrow's thread pools only add hand-offs
        from smvp_engine import columnar

        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)
        columnar.SMALL_READS_ON_POOL = True  # the pool's one thread, not a new thread a file

    _CACHE = ProfileCache(Path(cache_dir) if cache_dir else None)


def evaluate_tenant(tenant: Tenant, year: int | None = None, people: bool = True,
                    lang: str = "it") -> TenantResult:
    """Load, evaluate and summarise one tenant; errors are caught and returned, located, said
    in ``lang`` (the same file, line and field in every language).
    ``people``: also return the people table (else only the summary record)."""
    from smvp import engine_api
    from smvp.i18n import error_text, say
    from smvp_engine.errors import Msg, SmvpError, SmvpErrors

    start = time.perf_counter()
    base: dict[str, Any] = {TENANT: tenant.id, "profile_path": str(tenant.profile)}
    try:
        if _CACHE is None:
            _init_worker(None)
        profile = _CACHE.load(tenant.profile)
        if tenant.data is None:
            missing = (Msg("{profile}: no data for {tenant!r} in {year} (expected a folder "
                           "<data-root>/<tenant>/<year>/ or <year>.xlsx)", profile=str(tenant.profile),
                           tenant=tenant.id, year=year) if year else
                       Msg("{profile}: no data for {tenant!r} (expected a folder <data-root>/<tenant>/<year>/ "
                           "or <year>.xlsx)", profile=str(tenant.profile), tenant=tenant.id))
            return _failed(tenant, base, [say(missing, lang)], start)
        chamber = str(profile.chamber_id)
        dataset = engine_api.load_dataset(tenant.data, profile=profile, year=year)
        y = year if year is not None else getattr(dataset, "year", None)
        if y is None:
            return _failed(tenant, base, [say(Msg("{data}: the dataset does not say which year it is "
                                                  "(give --year)", data=str(tenant.data)), lang)], start)
        ev = engine_api.evaluate(profile, dataset, year=int(y))
        table = people_table(ev, tenant.id) if people else None
        n = table.num_rows if table is not None else len(np.asarray(ev.individual.role_index))
        record = _record(base, profile, dataset, ev, int(y), chamber, n)
        return TenantResult(tenant.id, True, record, _ipc(table) if table is not None else None,
                            time.perf_counter() - start, line=summary_line(record))
    except SmvpErrors as exc:
        return _failed(tenant, base, [error_text(e, lang) for e in exc.errors], start)
    except SmvpError as exc:
        return _failed(tenant, base, [error_text(exc, lang)], start)
    except Exception as exc:  # noqa: BLE001 - a bug: reported for this tenant, the run goes on
        bug = Msg("internal error (bug in smvp): {kind}: {detail}", kind=type(exc).__name__, detail=str(exc))
        result = _failed(tenant, base, [say(bug, lang)], start)
        result.internal = True
        return result


def _failed(tenant: Tenant, base: dict, errors: list[str], start: float) -> TenantResult:
    record = dict(base, status="error", errors=errors)
    return TenantResult(tenant.id, False, record, None, time.perf_counter() - start, line=summary_line(record))


def _record(base: dict, profile: Any, dataset: Any, ev: Any, year: int, chamber: str, people: int) -> dict:
    """The tenant's summary line: the contract's run, funds and summary records (no people)."""
    from smvp import engine_api, results

    run = {"run_id": None, "chamber": chamber, "year": year, "created_at": None,
           "profile_path": str(profile.path), "profile_sha256": str(profile.sha256),
           "dataset_path": str(dataset.path), "dataset_sha256": str(dataset.sha256),
           "engine_version": engine_api.engine_version()}
    summary = dict(ev.summary() or {})
    return dict(base, status="ok", chamber=chamber, chamber_name=str(profile.chamber_name), year=year,
                people=people, run=results.run_record(dict(run, payout_state="provvisorio")),
                funds=[results.fund_record(f) for f in ev.funds()],
                summary=results.summary_record(summary))


# --------------------------------------------------------------------------- people as columns

#: the people columns of the national output, after ``tenant`` (the results contract's
#: fields; ``components`` as a map component id → points, ``reported`` as a map component id →
#: grado di raggiungimento of the components marked ``counts: false``: reported, not counted)
PEOPLE_SCHEMA = pa.schema([
    (TENANT, pa.string()), ("person_id", pa.string()), ("name", pa.string()), ("role", pa.string()),
    ("role_label", pa.string()), ("unit_id", pa.string()), ("results", pa.string()),
    ("behaviour", pa.string()), ("total", pa.string()), ("judgement", pa.string()),
    ("judgement_label", pa.string()), ("negative", pa.bool_()), ("payout_percent", pa.string()),
    ("coefficient_name", pa.string()), ("coefficient", pa.string()), ("fund", pa.string()),
    ("theoretical", pa.string()), ("premium", pa.string()), ("maggiorazione", pa.string()),
    ("paid", pa.string()), ("maggiorazione_rank", pa.int64()),
    ("components", pa.map_(pa.string(), pa.string())),
    ("reported", pa.map_(pa.string(), pa.string())),
])


def people_table(ev: Any, tenant: str) -> pa.Table:
    """The tenant's people from the engine's columns (smvp.results_columns), as :data:`PEOPLE_SCHEMA`."""
    from smvp.results_columns import people_columns, reported_columns

    cols, components = people_columns(ev)
    n = len(np.asarray(ev.individual.role_index))
    arrays: list[pa.Array] = [pa.array([tenant] * n, pa.string())]
    for f in PEOPLE_SCHEMA:
        if f.name in (TENANT, "components", "reported"):
            continue
        arrays.append(cols[f.name].cast(f.type) if cols[f.name].type != f.type else cols[f.name])
    arrays.append(_components_map(ev, components, n))
    arrays.append(_components_map(ev, reported_columns(ev), n))
    return pa.Table.from_arrays(arrays, schema=PEOPLE_SCHEMA)


def _components_map(ev: Any, components: dict, n: int) -> pa.Array:
    """Each person's results components (of their role) as a map id → points text."""
    role_index = np.asarray(ev.individual.role_index)
    role_ids = list(ev.individual.role_ids)
    count = np.zeros(n, dtype=np.int64)
    per_role = []
    for rid, comps in components.items():
        who = np.flatnonzero(role_index == role_ids.index(rid))
        count[who] = len(comps)
        per_role.append((who, comps))
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(count, out=offsets[1:])
    total = int(offsets[-1])
    keys = np.empty(total, dtype=object)
    take = np.zeros(total, dtype=np.int64)  # slot -> position in the concatenated values
    pieces: list[pa.Array] = []
    base = 0
    for who, comps in per_role:
        for j, (cid, col) in enumerate(comps.items()):
            slots = offsets[who] + j
            keys[slots] = cid
            take[slots] = base + who
            pieces.append(col)
            base += n
    values = (pa.concat_arrays([p.cast(pa.string()) for p in pieces]).take(pa.array(take))
              if pieces else pa.array([], pa.string()))
    return pa.MapArray.from_arrays(pa.array(offsets), pa.array(keys, pa.string()), values)


def _ipc(table: pa.Table) -> bytes:
    """The people table (:data:`PEOPLE_SCHEMA`) as one IPC record-batch message, without the
    schema (both ends know it: a stream's schema and end messages cost more than the rows)."""
    batches = table.combine_chunks().to_batches()
    batch = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=PEOPLE_SCHEMA)
    return batch.serialize().to_pybytes()


def read_ipc(data: bytes) -> pa.RecordBatch:
    """The people of :func:`_ipc`'s message (a record batch of :data:`PEOPLE_SCHEMA`)."""
    return pa.ipc.read_record_batch(pa.py_buffer(data), PEOPLE_SCHEMA)


# --------------------------------------------------------------------------- the run


@dataclass
class RunStats:
    tenants: int = 0
    ok: int = 0
    failed: int = 0
    internal: int = 0
    people: int = 0
    worker_seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)


def default_jobs() -> int:
    """Worker processes: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run(tenants: list[Tenant], *, year: int | None = None, jobs: int | None = None,
        cache_dir: Path | None = None, chunksize: int | None = None,
        people: bool = True, lang: str = "it") -> Iterator[TenantResult]:
    """Evaluate every tenant; yields their results in the order of ``tenants`` (errors said
    in ``lang``).

    ``jobs`` worker processes (default: one per core; 1 evaluates in this process);
    tenants are sent in chunks of ``chunksize`` (default: about 8 chunks per worker,
    at most 16 tenants: a chunk's people cross the pipe in one message, and the last
    chunks decide how long one worker waits for the other at the end).
    """
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(tenants) <= 1:
        _init_worker(str(cache_dir) if cache_dir else None)
        for t in tenants:
            yield evaluate_tenant(t, year, people, lang)
        return
    import multiprocessing
    from functools import partial

    chunksize = chunksize or max(1, min(16, len(tenants) // (jobs * 8)))
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                             initializer=_init_worker,
                             initargs=(str(cache_dir) if cache_dir else None, True)) as pool:
        yield from pool.map(partial(evaluate_tenant, year=year, people=people, lang=lang), tenants, chunksize=chunksize)


def summary_line(record: dict) -> str:
    """A tenant's record as one line of JSON (UTF-8 text, no NaN)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
