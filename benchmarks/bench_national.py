"""Benchmark: every body in one run (``smvp evaluate --chambers-dir --data-root``).

    python benchmarks/bench_national.py [--tenants 10000] [--staff 320] [--root /tmp/smvp-national]
                                        [--jobs N] [--sample 200] [--no-run]

1. Writes the roll-out with benchmarks/national_data.py under ``--root`` (kept
   between runs when the tenant and staff counts match: ``ROOT/.made``).
2. Per tenant, in this process, on ``--sample`` tenants spread over the run
   (one process, so the phases add up): compiling the profile (cold; and from
   the content-hash cache folder), loading the year, evaluating, building the
   people table and the summary line. Medians of CPU milliseconds (process
   time: on a shared machine, wall time mostly measures the wait for a core).
3. The command itself, in a fresh process, twice: with an empty ``--cache-dir``
   (every profile compiled) and again with the cache it left (profiles read
   from it)::

       smvp evaluate --chambers-dir ROOT/chambers --data-root ROOT/data \\
           --out ROOT/out/people.parquet --tenants ROOT/out/tenants.jsonl --cache-dir ROOT/cache

   Reported: wall time, CPU time of the command and its workers (user + system,
   from ``getrusage(RUSAGE_CHILDREN)``: on a shared machine the fairer figure),
   the cores kept busy (CPU / wall: at most the core count, on a quiet machine),
   the times a body's processes gave up their core to wait (voluntary context
   switches: pipes, locks, hand-offs to threads; they do not grow with the load),
   the largest process's peak memory, people per second, output sizes.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import national_data  # noqa: E402
from benchmarks.bench_cli import smvp_command  # noqa: E402


def ensure(root: Path, tenants: int, staff: int) -> float:
    """Generate the roll-out unless ``root`` holds this one; returns the seconds spent."""
    made = root / ".made"
    want = f"{tenants} {staff}"
    if made.is_file() and made.read_text() == want:
        return 0.0
    t = time.perf_counter()
    national_data.generate(root, tenants, staff)
    made.write_text(want)
    return time.perf_counter() - t


def phases(root: Path, sample: int) -> dict[str, float]:
    """Median milliseconds per tenant of each phase, on ``sample`` tenants (one process)."""
    import tempfile

    from smvp import engine_api, national
    from smvp.profile_cache import ProfileCache

    national._init_worker(None, worker=True)  # as in a worker: pyarrow on one thread, schema by block text
    tenants = national.discover(root / "chambers", root / "data")
    step = max(1, len(tenants) // sample)
    picked = tenants[::step][:sample]
    cold = ProfileCache(None)
    times: dict[str, list[float]] = {k: [] for k in
                                     ("profile (compiled)", "profile (from cache folder)", "load year",
                                      "evaluate", "people table + summary", "whole tenant")}
    with tempfile.TemporaryDirectory(prefix="smvp-bench-cache-") as tmp:
        ProfileCache(Path(tmp)).load(picked[0].profile)  # the layer and imports, once
        for t in picked:
            clock = time.process_time
            a = clock()
            profile = ProfileCache(None).load(t.profile)  # compiled (no cache)
            b = clock()
            ProfileCache(Path(tmp)).load(t.profile)  # written to the folder …
            c = clock()
            ProfileCache(Path(tmp)).load(t.profile)  # … read back
            d = clock()
            ds = engine_api.load_dataset(t.data, profile=profile)
            e = clock()
            ev = engine_api.evaluate(profile, ds, year=int(ds.year))
            f = clock()
            table = national.people_table(ev, t.id)
            national._ipc(table)
            national.summary_line(national._record({}, profile, ds, ev, int(ds.year), t.id, table.num_rows))
            g = clock()
            national._CACHE = cold
            national.evaluate_tenant(t)  # the worker's whole path, profile from memory after the first
            h = clock()
            for k, v in zip(times, (b - a, d - c, e - d, f - e, g - f, h - g)):
                times[k].append(v * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def run_command(root: Path, jobs: int | None, cache: Path) -> dict:
    out = root / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    smvp = smvp_command()
    cmd = [smvp, "evaluate", "--chambers-dir", str(root / "chambers"), "--data-root", str(root / "data"),
           "--out", str(out / "people.parquet"), "--tenants", str(out / "tenants.jsonl"),
           "--cache-dir", str(cache), "--lang", "en"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"smvp failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    lines = (out / "tenants.jsonl").read_text(encoding="utf-8").splitlines()
    import pyarrow.parquet as pq

    people = pq.ParquetFile(out / "people.parquet").metadata.num_rows
    return {
        "command": " ".join(["smvp"] + cmd[1:]),
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_mib": after.ru_maxrss / 1024,
        # a process gives up its core only to wait (a pipe, a lock, a thread it handed work to):
        # those waits, unlike the preemptions, do not grow with the machine's load
        "waits": after.ru_nvcsw - before.ru_nvcsw,
        "tenants": len(lines),
        "people": people,
        "parquet_mib": (out / "people.parquet").stat().st_size / 2 ** 20,
        "jsonl_mib": (out / "tenants.jsonl").stat().st_size / 2 ** 20,
        "stdout": done.stdout.strip().splitlines()[0] if done.stdout.strip() else "",
    }


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}, load average {os.getloadavg()[0]:.1f} at start")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", type=int, default=10_000)
    ap.add_argument("--staff", type=int, default=320)
    ap.add_argument("--root", type=Path, default=Path("/tmp/smvp-national"))
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--sample", type=int, default=200, help="tenants timed phase by phase (0: none)")
    ap.add_argument("--no-run", action="store_true", help="only the per-tenant phases")
    ap.add_argument("--runs", nargs="+", choices=("cold", "warm"), default=["cold", "warm"],
                    help="the command with an empty cache folder (cold), then with the one it left (warm)")
    args = ap.parse_args(argv)

    print(f"Machine: {machine()}")
    made = ensure(args.root, args.tenants, args.staff)
    if made:
        print(f"generated {args.tenants} tenants × {args.staff} staff in {made:.0f} s")
    if args.sample:
        ph = phases(args.root, args.sample)
        print(f"\nPer tenant, median of {args.sample} tenants, one process (CPU ms):\n")
        print("| phase | CPU ms |\n|---|---:|")
        for k, v in ph.items():
            print(f"| {k} | {v:.1f} |")
    if args.no_run:
        return 0
    cache = args.root / "cache"
    if "cold" in args.runs:
        shutil.rmtree(cache, ignore_errors=True)
    print("\n| run | tenants | people | wall s | CPU s | cores busy (CPU / wall) | waits a body | "
          "people/s (wall) | largest process MiB | Parquet MiB | JSONL MiB |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"cold": "profiles compiled (empty cache)", "warm": "profiles from the cache folder"}
    for run in args.runs:
        label = labels[run]
        r = run_command(args.root, args.jobs, cache)
        print(f"| {label} | {r['tenants']:,} | {r['people']:,} | {r['wall']:.1f} | {r['cpu']:.1f} | "
              f"{r['cpu'] / r['wall']:.2f} | {r['waits'] / max(1, r['tenants']):.0f} | "
              f"{r['people'] / r['wall']:,.0f} | {r['peak_mib']:,.0f} | {r['parquet_mib']:.1f} | "
              f"{r['jsonl_mib']:.1f} |", flush=True)
    print(f"\nCommand: `{r['command']}`\n{r['stdout']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
