"""Load benchmark of the service (not a timed test): N concurrent clients for T seconds on
loopback, mixing reads and writes, on SQLite and on PostgreSQL.

    python benchmarks/bench_service.py --db sqlite --clients 50 --seconds 60
    python benchmarks/bench_service.py --db postgresql --clients 50 --seconds 60

    python benchmarks/bench_service.py --db sqlite --workers 2
    python benchmarks/bench_service.py --db sqlite --client httpx   # the earlier client

The clients (``--client``): ``raw`` (default) is the standard library's ``http.client``, one
keep-alive connection per client; ``httpx`` is the client of the earlier passes, also one
keep-alive connection per client but about three times the client CPU per request (the
clients share the machine's cores with the server: benchmarks/SERVICE.md). Both measure
the same thing — from sending the request to having read the whole response.

The server is `smvp serve`'s application (Uvicorn, ``--workers`` processes, default 1) on
127.0.0.1 with the demo tenants; PostgreSQL is a pgserver instance started here. Each
client loops: 90 % reads as the Cuneo amministratore (a run's results, one person's
numbers, the runs, the cases), 10 % score edits as the Cuneo valutatore (PUT one factor's
score of one of their people, a draft). Each client edits its own (person, factor) cells,
so the last value it wrote to each is known. Reported: requests, errors, p50/p95/p99
latency of reads and writes, and the write check, counted in the database afterwards —
the audit log holds exactly one ``score.edit`` per edit answered 200, and every cell holds
the last value written to it (no lost write).
"""

from __future__ import annotations

import argparse
import http.client
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


class RawClient:
    """One keep-alive HTTP/1.1 connection (``http.client``): ``request`` sends, reads the
    whole response and returns (status, JSON document — or the bytes with ``decode=False``);
    an idle connection the server dropped is reopened once for a GET (never a write: it is
    sent once, and what it did is counted afterwards)."""

    def __init__(self, host: str, port: int, timeout: float = 30):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, headers: dict | None = None, body: object = None,
                decode: bool = True) -> tuple[int, object]:
        hh = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hh["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data, headers=hh)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt or method != "GET":
                    raise
        return r.status, (json.loads(raw) if decode and raw else raw)

    def close(self) -> None:
        self.conn.close()


class HttpxClient:
    """The same interface over an ``httpx.Client`` (the client of the earlier passes)."""

    def __init__(self, host: str, port: int, timeout: float = 30):
        self.c = httpx.Client(base_url=f"http://{host}:{port}", timeout=timeout)

    def request(self, method: str, path: str, headers: dict | None = None, body: object = None,
                decode: bool = True) -> tuple[int, object]:
        r = self.c.request(method, path, headers=headers, json=body)
        return r.status_code, (r.json() if decode and r.content else r.content)

    def close(self) -> None:
        self.c.close()


CLIENTS = {"raw": RawClient, "httpx": HttpxClient}
CLIENT_ERRORS = (httpx.HTTPError, http.client.HTTPException, OSError)


def start_database(db: str, tmp: Path) -> tuple[str, object, Path | None]:
    """(SQLAlchemy URL, pgserver handle or None, PostgreSQL data folder or None)."""
    if db == "sqlite":
        return f"sqlite:///{tmp / 'smvp.db'}", None, None
    import pgserver
    from sqlalchemy.engine import make_url

    os.chmod(tmp, 0o755)
    server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
    server.psql("CREATE DATABASE bench;")
    url = make_url(server.get_uri("bench")).set(drivername="postgresql+psycopg") \
        .render_as_string(hide_password=False)
    return url, server, tmp / "pg"


def wait_until_up(host: str, port: int) -> None:
    for _ in range(300):
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().split(")")[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


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
    ap.add_argument("--workers", type=int, default=1, help="Uvicorn processes")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--client", choices=sorted(CLIENTS), default="raw",
                    help="the clients' HTTP library (raw: http.client; httpx: the earlier one)")
    args = ap.parse_args()
    make = CLIENTS[args.client]

    tmp = Path(tempfile.mkdtemp(prefix="smvp-bench-"))
    url, server, _pg_dir = start_database(args.db, tmp)
    from smvp import store
    from smvp.service.app import create_app, demo

    app = create_app(url, secret="bench")
    demo(app.state.engine, password=PW)
    app.state.engine.dispose()
    port = free_port()
    env = dict(os.environ, SMVP_SECRET="bench", SMVP_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "smvp.service.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--workers", str(args.workers), "--timeout-keep-alive", "30"],
        env=env, cwd=str(ROOT))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up("127.0.0.1", port)
        for _ in range(200):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as c:
            tok = {u: c.post("/api/login", json={"username": f"cuneo-{u}", "password": PW}
                             ).json()["token"] for u in ("amministratore", "valutatore")}
            h = {"Authorization": f"Bearer {tok['amministratore']}"}
            run = c.get("/api/tenants/cuneo/runs", headers=h).json()[-1]["id"]
            people = [p["person_id"] for p in
                      c.get(f"/api/tenants/cuneo/runs/{run}", headers=h).json()["results"]]
            hv = {"Authorization": f"Bearer {tok['valutatore']}"}
            ds = c.get("/api/tenants/cuneo/scores", headers=hv).json()[0]["id"]
            sheets = c.get(f"/api/tenants/cuneo/scores/{ds}", headers=hv).json()["people"]
            cells = [(p["person_id"], f["id"], int(float(f["max"]))) for p in sheets
                     for f in p["factors"]]
        reads: list[float] = []
        writes: list[float] = []
        errors: list[str] = []
        written = [0]
        by_kind: dict[str, list[float]] = {}
        last: dict[tuple[str, str], int] = {}  # (person, factor) → last value answered 200
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(i: int) -> None:
            rnd = random.Random(i)
            ha = {"Authorization": f"Bearer {tok['amministratore']}"}
            mine = cells[i::args.clients] or [cells[i % len(cells)]]
            c = make("127.0.0.1", port)
            try:
                while time.monotonic() < stop:
                    x = rnd.random()
                    cell = None
                    if x < 0.10:
                        person, factor, top = cell = rnd.choice(mine)
                        value = rnd.randint(0, top)
                        kind, method, path, hh, body = "w", "PUT", \
                            f"/api/tenants/cuneo/scores/{ds}/{person}", hv, \
                            {"scores": {factor: value}}
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
                        status, _ = c.request(method, path, hh, body, decode=False)
                        ok = status in (200, 201)
                        if ok and cell is not None:
                            with lock:
                                last[cell[:2]] = value
                        msg = f"{status} {path}"
                    except CLIENT_ERRORS as exc:
                        ok, msg = False, f"{type(exc).__name__} {path}"
                    dt_ms = (time.perf_counter() - t0) * 1000
                    label = method + " " + "/".join(
                        "{x}" if part.isdigit() or part.startswith("P0") else part
                        for part in path.split("/")[4:])
                    with lock:
                        by_kind.setdefault(label, []).append(dt_ms)
                        (writes if kind == "w" else reads).append(dt_ms)
                        if not ok:
                            errors.append(msg)
                        elif kind == "w":
                            written[0] += 1
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        server_cpu0, clients_cpu0 = cpu_seconds(proc.pid), sum(os.times()[:2])
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        server_cpu = cpu_seconds(proc.pid) - server_cpu0  # the first process (--workers 1)
        clients_cpu = sum(os.times()[:2]) - clients_cpu0
        eng = store.open_engine(url)
        with eng.connect() as conn:
            from sqlalchemy import text

            stored = conn.execute(text("SELECT COUNT(*) FROM audit_entry "
                                       "WHERE action = 'score.edit'")).scalar()
            held = {(p, f): v for p, f, v in conn.execute(text(
                "SELECT s.person_id, e.factor, e.score_cp FROM score_entry e "
                "JOIN score_sheet s ON s.id = e.sheet_id"))}
        eng.dispose()
        wrong_cells = sum(1 for cell, v in last.items() if held.get(cell) != v * 100)
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
            "by_request_ms": {k: {"n": len(v), "p50": round(percentile(v, 50), 1),
                                  "p95": round(percentile(v, 95), 1)}
                              for k, v in sorted(by_kind.items())},
            "workers": args.workers, "client": args.client,
            "cpu_ms_per_request": {
                "server": round(1000 * server_cpu / max(1, len(reads) + len(writes)), 2)
                if args.workers == 1 else None,
                "clients": round(1000 * clients_cpu / max(1, len(reads) + len(writes)), 2)},
            "writes_answered_200": written[0], "audit_entries_counted_after": stored,
            "lost_writes": written[0] - int(stored or 0),
            "cells_written": len(last), "cells_not_holding_their_last_value": wrong_cells,
            "throughput_rps": round((len(reads) + len(writes)) / args.seconds, 1),
        }
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 0 if not errors and figures["lost_writes"] == 0 and not wrong_cells else 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
