"""Load benchmark of the service (not a timed test): N concurrent clients for T seconds on
loopback, mixing reads and writes, on SQLite and on PostgreSQL.

    python benchmarks/bench_service.py --db sqlite --clients 50 --seconds 60
    python benchmarks/bench_service.py --db postgresql --clients 50 --seconds 60

The server is `smvp serve`'s application (Uvicorn, one process) on 127.0.0.1 with the demo
tenants; PostgreSQL is a pgserver instance started here. Each client logs in as the Cuneo
demo users and loops: 90 % reads (a run's results, one person's numbers, the cases, the
payment state), 10 % writes (an OIV validation of the run: a new row each time). Reported:
requests, errors, p50/p95/p99 latency of reads and writes, and the write check — the rows
counted in the database afterwards must equal the writes answered 201 (no lost write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PW = "demo-smvp-2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="smvp-bench-"))
    server = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'smvp.db'}"
    else:
        import pgserver

        os.chmod(tmp, 0o755)
        server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        server.psql("CREATE DATABASE bench;")
        from sqlalchemy.engine import make_url

        url = make_url(server.get_uri("bench")).set(drivername="postgresql+psycopg") \
            .render_as_string(hide_password=False)
    from smvp import store
    from smvp.service.app import create_app, demo

    app = create_app(url, secret="bench")
    demo(app.state.engine, password=PW)
    app.state.engine.dispose()
    port = free_port()
    env = dict(os.environ, SMVP_SECRET="bench", SMVP_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "smvp.service.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=str(ROOT))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as c:
            tok = {u: c.post("/api/login", json={"username": f"cuneo-{u}", "password": PW}
                             ).json()["token"] for u in ("amministratore", "oiv")}
            h = {"Authorization": f"Bearer {tok['amministratore']}"}
            run = c.get("/api/tenants/cuneo/runs", headers=h).json()[-1]["id"]
            people = [p["person_id"] for p in
                      c.get(f"/api/tenants/cuneo/runs/{run}", headers=h).json()["results"]]
        reads: list[float] = []
        writes: list[float] = []
        errors: list[str] = []
        written = [0]
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds
        oiv_date = dt.date(2025, 6, 25).isoformat()

        def client(i: int) -> None:
            rnd = random.Random(i)
            ha = {"Authorization": f"Bearer {tok['amministratore']}"}
            ho = {"Authorization": f"Bearer {tok['oiv']}"}
            with httpx.Client(base_url=base, timeout=30) as c:
                while time.monotonic() < stop:
                    x = rnd.random()
                    if x < 0.10:
                        kind, method, path, hh, body = "w", "POST", \
                            f"/api/tenants/cuneo/runs/{run}/validation", ho, {"oiv_date": oiv_date}
                    elif x < 0.40:
                        kind, method, path, hh, body = "r", "GET", \
                            f"/api/tenants/cuneo/runs/{run}/people/{rnd.choice(people)}", ha, None
                    elif x < 0.60:
                        kind, method, path, hh, body = "r", "GET", \
                            f"/api/tenants/cuneo/runs/{run}", ha, None
                    elif x < 0.80:
                        kind, method, path, hh, body = "r", "GET", "/api/tenants/cuneo/runs", \
                            ha, None
                    else:
                        kind, method, path, hh, body = "r", "GET", "/api/tenants/cuneo/cases", \
                            ha, None
                    t0 = time.perf_counter()
                    try:
                        r = c.request(method, path, headers=hh, json=body)
                        ok = r.status_code in (200, 201)
                        msg = f"{r.status_code} {path}"
                    except httpx.HTTPError as exc:
                        ok, msg = False, f"{type(exc).__name__} {path}"
                    dt_ms = (time.perf_counter() - t0) * 1000
                    with lock:
                        (writes if kind == "w" else reads).append(dt_ms)
                        if not ok:
                            errors.append(msg)
                        elif kind == "w":
                            written[0] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        eng = store.open_engine(url)
        with eng.connect() as conn:
            from sqlalchemy import text

            stored = conn.execute(text("SELECT COUNT(*) FROM run_validation")).scalar()
        eng.dispose()
        figures = {
            "db": args.db, "clients": args.clients, "seconds": args.seconds,
            "requests": len(reads) + len(writes), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5],
            "reads": len(reads), "writes": len(writes),
            "read_ms": {"p50": round(percentile(reads, 50), 1),
                        "p95": round(percentile(reads, 95), 1),
                        "p99": round(percentile(reads, 99), 1),
                        "mean": round(statistics.fmean(reads), 1) if reads else None},
            "write_ms": {"p50": round(percentile(writes, 50), 1),
                         "p95": round(percentile(writes, 95), 1),
                         "p99": round(percentile(writes, 99), 1)},
            "writes_answered_201": written[0], "rows_counted_after": stored,
            "lost_writes": written[0] - int(stored or 0),
            "throughput_rps": round((len(reads) + len(writes)) / args.seconds, 1),
        }
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 0 if not errors and figures["lost_writes"] == 0 else 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
