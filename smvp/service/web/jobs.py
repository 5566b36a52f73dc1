"""Long work of a page in the background, with its progress: the schede of a whole run.

One in-process registry per app (``app.state.jobs``): a job runs in a worker thread, keeps
how far it is (``done`` of ``total``, the phase) and, when finished, its result (bytes and
file name) or its error. A job belongs to the tenant and the user who started it: anyone
else asking for it gets None (the pages answer 404). Finished jobs are forgotten after an
hour; the registry keeps at most 50. Nothing is stored in the database: a restart forgets
the jobs (the page then says the job is not found, and the user starts it again).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from smvp.i18n import DEFAULT_LANG, t

KEEP_SECONDS = 3600
MAX_JOBS = 50


@dataclass
class Job:
    """One background job: who started it, how far it is, its outcome."""

    id: str
    tenant: str
    user_id: int
    title: str
    total: int
    done: int = 0
    phase: str = ""
    result: bytes | None = None
    filename: str = ""
    error: str | None = None
    lang: str = DEFAULT_LANG
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cpu_seconds: float | None = None

    @property
    def over(self) -> bool:
        return self.finished is not None

    def step(self, done: int, phase: str = "") -> None:
        self.done = done
        if phase:
            self.phase = phase


class Jobs:
    """The app's jobs (thread-safe); ``workers`` threads run them."""

    def __init__(self, workers: int = 1) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smvp-job")

    def start(self, *, tenant: str, user_id: int, title: str, total: int, filename: str,
              work: Callable[[Job], bytes], lang: str = DEFAULT_LANG) -> Job:
        """Start ``work(job)`` in the background; it calls ``job.step`` as it goes and returns
        the result's bytes. An exception becomes ``job.error``, said in ``lang`` (the language
        of the request that started the job: :func:`failure`)."""
        job = Job(id=secrets.token_urlsafe(12), tenant=tenant, user_id=user_id, title=title,
                  total=total, filename=filename, lang=lang)
        with self._lock:
            self._forget()
            self._jobs[job.id] = job

        def run() -> None:
            cpu = time.thread_time()
            try:
                job.result = work(job)
            except Exception as exc:  # shown on the job's page
                job.error = failure(exc, job.lang)
            finally:
                job.cpu_seconds = time.thread_time() - cpu
                job.finished = time.monotonic()

        self._pool.submit(run)
        return job

    def get(self, job_id: str, *, tenant: str, user_id: int) -> Job | None:
        """The job ``job_id`` when it is this tenant's and this user's, else None."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.tenant != tenant or job.user_id != user_id:
            return None
        return job

    def _forget(self) -> None:
        now = time.monotonic()
        for jid in [j.id for j in self._jobs.values()
                    if j.finished is not None and now - j.finished > KEEP_SECONDS]:
            del self._jobs[jid]
        while len(self._jobs) >= MAX_JOBS:
            oldest = min(self._jobs.values(), key=lambda j: (j.finished is None, j.started))
            del self._jobs[oldest.id]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def failure(exc: BaseException, lang: str) -> str:
    """What the job's page says of ``exc`` in ``lang``: a catalogue error (a refusal, a located
    engine error, an edge error with its ``Msg``: ``smvp.service.refusals.said``) with its
    facts; any other exception — a defect, its text not meant for users — as the catalogue's
    "unexpected error" naming its kind (the traceback goes to the server's log)."""
    import logging

    from smvp.service.refusals import Refusal, said
    from smvp_engine.errors import SmvpError

    if isinstance(exc, (Refusal, SmvpError)) or getattr(exc, "message", None) is not None:
        return said(exc, lang)
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        from smvp.service.refusals import said_each

        return "; ".join(said_each(exc, lang))
    logging.getLogger(__name__).error("job failed", exc_info=exc)
    return t("web.jobs.unexpected", lang, kind=type(exc).__name__)


def registry(app: Any) -> Jobs:
    """The app's registry, made at first use."""
    jobs = getattr(app.state, "jobs", None)
    if jobs is None:
        jobs = app.state.jobs = Jobs()
    return jobs
