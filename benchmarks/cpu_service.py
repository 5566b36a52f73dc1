"""CPU per request of the service (not a timed test): the service (Uvicorn, 1 process) on a
demo database, K client threads for S seconds; prints the CPU (user+sys, from /proc, Linux)
per request of the server process, of the clients (this process) and, on PostgreSQL, of
the database server (the postmaster and its backends).

    ONLY=run K=6 S=10 python benchmarks/cpu_service.py   # ONLY=person|run|runs|cases|put; unset: the mix
    DB=postgresql ONLY=run K=6 S=10 python benchmarks/cpu_service.py     # a pgserver started here
    CLIENT=httpx ... python benchmarks/cpu_service.py    # the client: raw (default, http.client) or httpx
    UVICORN="--http h11 --loop asyncio" ...              # extra arguments of uvicorn

The mix is bench_service.py's: 10 % score edits as the valutatore (PUT), then reads as the
amministratore — 30 % one person, 20 % the run, 20 % the runs, 20 % the cases.
"""

from __future__ import annotations

import os
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_service import PW, HttpxClient, RawClient, start_database, wait_until_up  # noqa: E402


def cpu_of(pid: int, children: bool = False) -> float:
    """The process's user+sys CPU in seconds (with ``children``: also its reaped children's)."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().split(")")[1].split()
    ticks = int(parts[11]) + int(parts[12])
    if children:
        ticks += int(parts[13]) + int(parts[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU of ``root``, its reaped children and its live children (PostgreSQL's backends)."""
    total = cpu_of(root, children=True)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().split(")")[1].split()[1])
                if ppid == root:
                    total += cpu_of(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return total


def postmaster_pid(data_dir: Path) -> int | None:
    pidfile = data_dir / "postmaster.pid"
    return int(pidfile.read_text().split()[0]) if pidfile.exists() else None


def main() -> int:
    from smvp.service.app import create_app, demo

    tmp = Path(tempfile.mkdtemp(prefix="smvp-cpu-"))
    db = os.environ.get("DB", "sqlite")
    url, server, pg_dir = start_database(db, tmp)
    app = create_app(url, secret="b")
    demo(app.state.engine, password=PW)
    app.state.engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SMVP_SECRET="b", SMVP_DATABASE_URL=url)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "smvp.service.app:create_app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning",
                             *shlex.split(os.environ.get("UVICORN", ""))], env=env, cwd=ROOT)
    make = {"raw": RawClient, "httpx": HttpxClient}[os.environ.get("CLIENT", "raw")]
    try:
        wait_until_up("127.0.0.1", port)
        c = make("127.0.0.1", port)
        tok = {u: c.request("POST", "/api/login", None,
                            {"username": f"cuneo-{u}", "password": PW})[1]["token"]
               for u in ("amministratore", "valutatore")}
        h = {"Authorization": f"Bearer {tok['amministratore']}"}
        hv = {"Authorization": f"Bearer {tok['valutatore']}"}
        run = c.request("GET", "/api/tenants/cuneo/runs", h)[1][-1]["id"]
        people = [p["person_id"] for p in
                  c.request("GET", f"/api/tenants/cuneo/runs/{run}", h)[1]["results"]]
        ds = c.request("GET", "/api/tenants/cuneo/scores", hv)[1][0]["id"]
        sheets = c.request("GET", f"/api/tenants/cuneo/scores/{ds}", hv)[1]["people"]
        cells = [(p["person_id"], f["id"], int(float(f["max"]))) for p in sheets
                 for f in p["factors"]]
        c.close()
        print("server pid", proc.pid, flush=True)
        k, seconds = int(os.environ.get("K", "8")), float(os.environ.get("S", "20"))
        only = os.environ.get("ONLY")
        stop = time.monotonic() + seconds
        count = [0]

        def worker(i: int) -> None:
            rnd = random.Random(i)
            cc = make("127.0.0.1", port)
            while time.monotonic() < stop:
                x = rnd.random()
                kind = only or ("put" if x < 0.1 else "person" if x < 0.4 else "run"
                                if x < 0.6 else "runs" if x < 0.8 else "cases")
                if kind == "put":
                    person, factor, top = rnd.choice(cells)
                    status, _ = cc.request("PUT", f"/api/tenants/cuneo/scores/{ds}/{person}",
                                           hv, {"scores": {factor: rnd.randint(0, top)}},
                                           decode=False)
                else:
                    path = {"person": f"/api/tenants/cuneo/runs/{run}/people/"
                                      f"{rnd.choice(people)}",
                            "run": f"/api/tenants/cuneo/runs/{run}",
                            "runs": "/api/tenants/cuneo/runs",
                            "cases": "/api/tenants/cuneo/cases"}[kind]
                    status, _ = cc.request("GET", path, h, decode=False)
                assert status == 200, (status, kind)
                count[0] += 1
            cc.close()

        pm = postmaster_pid(pg_dir) if pg_dir else None
        c0, m0, p0 = cpu_of(proc.pid), sum(os.times()[:2]), tree_cpu(pm) if pm else 0.0
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        used, mine = cpu_of(proc.pid) - c0, sum(os.times()[:2]) - m0
        pg = tree_cpu(pm) - p0 if pm else None
        n = max(1, count[0])
        line = (f"{db} {only or 'mix'} ({make.__name__}): requests {count[0]} ({n / seconds:.0f}/s)"
                f"  CPU/request: server {1000 * used / n:.2f} ms, clients {1000 * mine / n:.2f} ms")
        if pg is not None:
            line += f", postgres {1000 * pg / n:.2f} ms"
        print(line, flush=True)
    finally:
        proc.terminate()
        proc.wait()
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
