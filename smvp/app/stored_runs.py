"""Stored runs as the reads of the service serve them, kept per process.

A stored run never changes: no code path updates or deletes a ``run``, its
``person_result`` or its ``fund_result`` rows (a conciliation's revision is a row of its
own, ``smvp.app.conciliation``), and a run id is never reused. So what a read needs of a
run — its summary, its people's rows, its funds — is read from the store once per
process and kept, with the JSON of each person and of the whole run encoded once (orjson).

The cache belongs to one service (``create_app``: one per database) and is keyed by
``(tenant_id, run_id)``; it is filled only through the tenant-scoped store, so a run of
another tenant is never found in it (the service answers 404 as before). At most
``size`` runs are kept, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from smvp import store
from smvp.store.runs import run_ids
from smvp.store.tenancy import tenant_of


def dumps(value: Any) -> bytes:
    """JSON bytes of plain JSON types (orjson)."""
    return orjson.dumps(value)


@dataclass
class StoredRun:
    """One stored run, ready to serve: ``summary`` (``store.RunSummary``), ``rows`` (its
    people's stored columns, in stored order), ``funds``, and JSON encoded on first use."""

    summary: Any
    rows: list[dict[str, Any]]
    funds: list[dict[str, Any]]
    by_person: dict[str, dict[str, Any]] = field(default_factory=dict)
    _json: dict[Any, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_person = {r["person_id"]: r for r in self.rows}

    def encoded(self, key: Any, make: Callable[[], Any]) -> bytes:
        """The JSON of ``make()`` kept under ``key`` (the value depends on the run only)."""
        got = self._json.get(key)
        if got is None:
            got = self._json[key] = dumps(make())
        return got

    def person_json(self, person_id: str) -> bytes | None:
        if person_id not in self.by_person:
            return None
        return self.encoded(("person", person_id), lambda: self.by_person[person_id])


class StoredRuns:
    """The runs read by one service (module doc)."""

    def __init__(self, size: int = 64, summaries: int = 10_000):
        self.size, self.max_summaries = size, summaries
        self.lock = threading.Lock()
        self.runs: OrderedDict[tuple[int, int], StoredRun] = OrderedDict()
        self.summaries: dict[tuple[int, int], Any] = {}  # (tenant, run) → store.RunSummary
        self.summary_jsons: dict[tuple[int, int, Any], bytes] = {}  # (tenant, run, key) → JSON

    def listing(self, engine: Engine) -> list[Any]:
        """Every run of the tenant ``engine`` is scoped to, oldest first (``RunSummary``):
        their ids from the store (a new run appears at once, from any process), each
        summary read once."""
        tenant = int(tenant_of(engine) or 0)
        if not tenant:
            return store.run_summaries(engine)
        ids = run_ids(engine)
        with self.lock:
            known = {i: self.summaries.get((tenant, i)) for i in ids}
        missing = [i for i, s in known.items() if s is None]
        if missing:
            read = {s.id: s for s in store.run_summaries(engine)} if len(missing) > 1 else \
                {s.id: s for s in store.run_summaries(engine, missing[0])}
            with self.lock:
                if len(self.summaries) + len(read) > self.max_summaries:
                    self.summaries.clear()
                    self.summary_jsons.clear()
                for i, s in read.items():
                    self.summaries[(tenant, i)] = known[i] = s
        return [known[i] for i in ids if known[i] is not None]

    def summary_json(self, engine: Engine, summary: Any, key: Any, make: Callable[[], Any]
                     ) -> bytes:
        """The JSON of ``make()`` for the run ``summary`` of the tenant ``engine`` is scoped
        to, kept under ``key`` (it must depend on the run only, as the listing's row of a
        run for a role does): the runs listing encodes each run once."""
        k = (int(tenant_of(engine) or 0), int(summary.id), key)
        with self.lock:
            got = self.summary_jsons.get(k)
        if got is None:
            got = dumps(make())
            if k[0]:
                with self.lock:
                    if len(self.summary_jsons) >= 2 * self.max_summaries:
                        self.summary_jsons.clear()
                    self.summary_jsons[k] = got
        return got

    def get(self, engine: Engine, run_id: int) -> StoredRun | None:
        """Run ``run_id`` of the tenant ``engine`` is scoped to, or None (not the tenant's)."""
        tenant = tenant_of(engine)
        key = (int(tenant or 0), int(run_id))
        with self.lock:
            got = self.runs.get(key)
            if got is not None:
                self.runs.move_to_end(key)
                return got
        found = store.run_summaries(engine, run_id)
        if not found:
            return None
        got = StoredRun(found[0], store.person_rows(engine, run_id), _funds(engine, run_id))
        if tenant is None:  # the operator's unscoped store: not kept
            return got
        with self.lock:
            self.runs[key] = got
            while len(self.runs) > self.size:
                self.runs.popitem(last=False)
        return got


def _funds(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """The run's funds: plain columns (cents as integers), without tenant and run ids."""
    return [{k: v for k, v in f.model_dump().items() if k not in ("tenant_id", "run_id")}
            for f in store.fund_results(engine, run_id)]
