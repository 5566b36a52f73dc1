"""``smvp serve --workers N``: every worker process serves the pages beside the API (the
workers are started by Uvicorn from ``smvp.service.web:app_from_env``), in the language given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_workers_serve_the_pages_and_the_api(tmp_path):
    port = _free_port()
    env = {**os.environ, "SMVP_HOME": str(tmp_path), "SMVP_SECRET": "test-secret-of-the-workers"}
    env.pop("SMVP_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "smvp", "serve", "--port", str(port), "--workers", "2",
                             "--db", f"sqlite:///{tmp_path / 'smvp.db'}", "--lang", "en"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                login = httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the service did not start in 60 s"
                time.sleep(0.3)
        assert login.status_code == 200 and "<form" in login.text  # a page, not the API's 404
        assert 'lang="en"' in login.text
        health = httpx.get(base + "/openapi.json", timeout=5)
        assert health.status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
