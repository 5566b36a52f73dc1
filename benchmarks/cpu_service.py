"""Server CPU per read request (not a timed test): the service (Uvicorn, 1 process) on a
demo SQLite database (``URL=`` another), K client threads reading for S seconds as the
Cuneo amministratore; prints the server's user+sys CPU per request (from /proc, Linux).

    ONLY=run K=6 S=10 python benchmarks/cpu_service.py   # ONLY=person|run|runs|cases; unset: the mix
"""

from __future__ import annotations

import os
import random
import socket
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


def cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().split(")")[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    from smvp.service.app import create_app, demo

    tmp = Path(tempfile.mkdtemp(prefix="smvp-cpu-"))
    url = os.environ.get("URL") or f"sqlite:///{tmp / 'smvp.db'}"
    app = create_app(url, secret="b")
    demo(app.state.engine, password=PW)
    app.state.engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SMVP_SECRET="b", SMVP_DATABASE_URL=url)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "smvp.service.app:create_app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        c = httpx.Client(base_url=base)
        tok = c.post("/api/login", json={"username": "cuneo-amministratore", "password": PW}
                     ).json()["token"]
        h = {"Authorization": f"Bearer {tok}"}
        run = c.get("/api/tenants/cuneo/runs", headers=h).json()[-1]["id"]
        people = [p["person_id"] for p in
                  c.get(f"/api/tenants/cuneo/runs/{run}", headers=h).json()["results"]]
        print("server pid", proc.pid, flush=True)
        k, seconds = int(os.environ.get("K", "8")), float(os.environ.get("S", "20"))
        only = os.environ.get("ONLY")
        stop = time.monotonic() + seconds
        count = [0]

        def worker(i: int) -> None:
            rnd = random.Random(i)
            with httpx.Client(base_url=base, headers=h) as cc:
                while time.monotonic() < stop:
                    x = rnd.random()
                    kind = only or ("person" if x < 1 / 3 else "run" if x < 5 / 9
                                    else "runs" if x < 7 / 9 else "cases")
                    path = {"person": f"/api/tenants/cuneo/runs/{run}/people/"
                                      f"{rnd.choice(people)}",
                            "run": f"/api/tenants/cuneo/runs/{run}",
                            "runs": "/api/tenants/cuneo/runs",
                            "cases": "/api/tenants/cuneo/cases"}[kind]
                    assert cc.get(path).status_code == 200
                    count[0] += 1

        c0 = cpu_of(proc.pid)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        used = cpu_of(proc.pid) - c0
        print(f"{only or 'mix'}: requests {count[0]}  server CPU {used:.2f} s  = "
              f"{1000 * used / max(1, count[0]):.2f} ms CPU/request", flush=True)
    finally:
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
