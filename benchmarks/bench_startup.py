"""Start-up of the smvp command, whole process, as a user runs it.

Three commands, each run ``--runs`` times (default 10) after one warm-up run,
in a fresh empty directory with its own ``SMVP_HOME``:

* ``smvp --help``
* ``smvp evaluate --chamber cuneo --no-store`` (the bundled Cuneo sample, 80 people)
* ``smvp evaluate --chamber cuneo`` (the same, stored in the embedded SQLite database)
* the first again with ``SMVP_NO_CACHE=1``: as the very first run on a machine, without
  what smvp keeps in its cache folder (smvp/cache.py: the profile's schema pass and
  the year's holiday tables, which the warm-up run of the others fills)

For each: wall-clock and CPU (user + sys of the child) seconds, median, min and
max. On a shared machine the wall clock depends on the load: CPU seconds are
the steadier figure; quote medians. Then ``python -X importtime`` of the main
job, summed by top-level package (self time), so one sees what start-up costs.

Targets (issue 13): ``--help`` ≤ 0.2 s, no store ≤ 0.5 s, with store ≤ 0.7 s.

Usage::

    python benchmarks/bench_startup.py                   # the smvp of this interpreter
    python benchmarks/bench_startup.py --python /path/to/venv/bin/python --runs 10
    python benchmarks/bench_startup.py --json results.json

The interpreter given must have smvp installed (``pip install .`` or the wheel;
an editable install adds the cost of its import hook, a few tens of ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "help": ["--help"],
    "evaluate --no-store": ["evaluate", "--chamber", "cuneo", "--no-store"],
    "evaluate (store)": ["evaluate", "--chamber", "cuneo"],
    "no-store, no cache": ["evaluate", "--chamber", "cuneo", "--no-store"],
}
#: extra environment of a command: the first run on a machine, without smvp's cache folder
ENV = {"no-store, no cache": {"SMVP_NO_CACHE": "1"}}
TARGETS = {"help": 0.2, "evaluate --no-store": 0.5, "evaluate (store)": 0.7, "no-store, no cache": 0.5}


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole process; raises if it fails."""
    cpu0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall, cpu


def measure(python: str, runs: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="smvp-startup-") as tmp:
        cwd = Path(tmp) / "work"
        cwd.mkdir()
        env = dict(os.environ, SMVP_HOME=str(Path(tmp) / "home"), COLUMNS="120")
        for var in ("SMVP_DATABASE_URL", "SMVP_CHAMBERS_DIR", "SMVP_PHASES"):
            env.pop(var, None)
        for name, args in COMMANDS.items():
            argv = [python, "-m", "smvp", *args]
            env_c = {**env, **ENV.get(name, {})}
            time_once(argv, env_c, cwd)  # warm-up (disk cache; creates the database; fills smvp's cache)
            walls, cpus = [], []
            for _ in range(runs):
                w, c = time_once(argv, env_c, cwd)
                walls.append(w)
                cpus.append(c)
            out[name] = {"wall_median": statistics.median(walls), "wall_min": min(walls),
                         "wall_max": max(walls), "cpu_median": statistics.median(cpus),
                         "cpu_min": min(cpus), "cpu_max": max(cpus), "runs": runs}
    return out


def importtime(python: str, top: int = 15) -> tuple[list[tuple[str, float]], str]:
    """Self import time of the main job (no store), summed by top-level package, in ms, and
    the raw ``python -X importtime`` output. The job runs twice, as a user runs it again: the
    second run, with the cache folder the first one filled (smvp/cache.py), is the one kept."""
    with tempfile.TemporaryDirectory(prefix="smvp-importtime-") as tmp:
        env = dict(os.environ, SMVP_HOME=str(Path(tmp) / "home"))
        for _ in range(2):
            done = subprocess.run([python, "-X", "importtime", "-m", "smvp",
                                   *COMMANDS["evaluate --no-store"]],
                                  env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, check=True)
    by_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.split(":", 1)[1].split("|")
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(self_us) / 1000
    total = sum(by_package.values())
    rows = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    return [("(all imports)", total), *rows], done.stderr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter with smvp installed")
    ap.add_argument("--runs", type=int, default=10, help="counted runs of each command (default 10)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--importtime-out", type=Path,
                    help="also write the raw python -X importtime output of the main job here")
    args = ap.parse_args(argv)

    figures = measure(args.python, args.runs)
    print(f"smvp start-up, {args.runs} runs each after a warm-up; seconds: median (min–max)")
    print(f"{'command':<22} {'wall':>22} {'cpu (user+sys)':>22} {'target':>7}")
    for name, f in figures.items():
        print(f"{name:<22} {f['wall_median']:>8.3f} ({f['wall_min']:.3f}–{f['wall_max']:.3f})"
              f" {f['cpu_median']:>8.3f} ({f['cpu_min']:.3f}–{f['cpu_max']:.3f}) {TARGETS[name]:>7.1f}")
    try:
        load = os.getloadavg()[0]
        print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
    except OSError:  # pragma: no cover
        load = None
    imports, raw = importtime(args.python)
    if args.importtime_out:
        args.importtime_out.write_text(raw, encoding="utf-8")
    print("\npython -X importtime, evaluate --chamber cuneo --no-store (self time by package, ms):")
    for name, ms in imports:
        print(f"  {ms:8.1f}  {name}")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "importtime_ms": imports, "load": load,
                                         "importtime_raw": raw.splitlines()}, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
