"""Benchmark: ``smvp evaluate`` end to end, from files to files, phase by phase.

    python benchmarks/bench_cli.py [--sizes 100000 1000000] [--repeat 3]
                                   [--root /tmp/perf-bench] [--format csv|parquet|xlsx]
                                   [--store] [--out results.json|.parquet|.csv]
                                   [--results FILE]

For each size, the synthetic Cuneo Chamber of ``benchmarks/bench_cuneo.py``
(same generator, same seed) is written once as a dataset folder under
``--root`` (``<root>/<format>-<size>/``; kept between runs, never inside the
repository), then the installed command is run in a fresh process::

    smvp evaluate --chamber cuneo --data DIR --no-store --json > /dev/null

(``--store`` stores the run in a throw-away SQLite database instead of
``--no-store``; ``--out FILE`` exports instead of ``--json``). Reported per run:
wall time of the whole process (interpreter start-up included), its CPU time (user +
system: on a shared machine the fairer figure, as it does not count the time spent
waiting for a core), the phases the
command times itself (``SMVP_PHASES``, smvp/phases.py: profile, load,
evaluate, build_output, store, export, write) and the peak resident memory of
the process (``ru_maxrss`` from ``wait4``). Median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bench_cuneo as bench  # noqa: E402

PHASES = ("profile", "load", "evaluate", "build_output", "store", "export", "write")


# ---------------------------------------------------------------------------- writing datasets


def _scaled_text(values: np.ndarray, scale: int) -> list[str]:
    """Integers in 1/scale units as decimal text without trailing zeros (1250, 100 -> "12.5")."""
    digits = len(str(scale)) - 1
    out = []
    for v in values.tolist():
        q, r = divmod(int(v), scale)
        out.append(str(q) if r == 0 else f"{q}.{r:0{digits}d}".rstrip("0"))
    return out


def _blank_where(texts: list[str], blank: np.ndarray) -> list[str]:
    return ["" if b else t for t, b in zip(texts, blank.tolist())]


def tables_of(s: bench.Synthetic) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The synthetic Chamber as CSV tables: name -> (header, columns of text)."""
    pid = s.person_ids
    n_obj = len(s.o_level)
    obj_ids = [f"O{i + 1:06d}" for i in range(n_obj)]
    levels = list(bench.LEVELS) + ["individuale"]
    uid = s.unit_ids
    return {
        "meta": (["key", "value"], [["year", "chamber"], [str(bench.YEAR), "cuneo"]]),
        "units": (["unit_id", "label", "level", "parent_id"], [
            list(uid), [f"Unità {u}" for u in uid], [bench.LEVELS[k] for k in s.unit_level],
            ["" if p < 0 else uid[p] for p in s.unit_parent]]),
        "objectives": (["objective_id", "label", "level", "unit_id", "person_id", "weight",
                        "attested_percent"], [
            obj_ids, [f"Obiettivo {o}" for o in obj_ids], [levels[k] for k in s.o_level],
            ["" if u < 0 else uid[u] for u in s.o_unit], ["" if p < 0 else pid[p] for p in s.o_person],
            [str(w) for w in s.o_weight.tolist()],
            _blank_where(_scaled_text(np.maximum(s.o_attested, 0), 10), s.o_attested < 0)]),
        "indicators": (["indicator_id", "objective_id", "target", "actual", "weight", "direction"], [
            [f"I{i + 1:06d}" for i in range(len(s.i_obj))], [obj_ids[i] for i in s.i_obj.tolist()],
            _scaled_text(s.i_target, 10), _scaled_text(s.i_actual, 10),
            [str(w) for w in s.i_weight.tolist()], ["lower" if lo else "higher" for lo in s.i_lower.tolist()]]),
        "staff": (["person_id", "role", "unit_id", "part_time", "presence_days", "time_coefficient",
                   "theoretical_premium", "category"], [
            list(pid), [bench.ROLES[r] for r in s.role.tolist()], [uid[u] for u in s.unit.tolist()],
            _scaled_text(s.part_time, 1_000_000), _scaled_text(s.presence, 100),
            _scaled_text(s.time_coef, 1_000_000),
            _blank_where(_scaled_text(s.theo, 100), s.theo_missing),
            ["" if c < 0 else s.cat_names[c] for c in s.category.tolist()]]),
        "categories": (["category", "theoretical_premium"], [list(s.cat_names), _scaled_text(s.cat_amount, 100)]),
        "behaviours": (["person_id", "factor", "score"], [
            [pid[i] for i in s.b_person.tolist()], [bench.FACTORS[f] for f in s.b_factor.tolist()],
            _scaled_text(s.b_score, 100)]),
        "absences": (["person_id", "type", "days"], [
            [pid[i] for i in s.a_person.tolist()], [bench.ABSENCE_TYPES[t] for t in s.a_type.tolist()],
            _scaled_text(s.a_days, 100)]),
        "resources": (["resource", "amount"], [list(s.resources),
                                               _scaled_text(np.array(list(s.resources.values())), 100)]),
    }


def write_dataset(n: int, folder: Path, fmt: str = "csv", offices: int | None = None) -> Path:
    """Write the synthetic Chamber of ``n`` staff to ``folder`` (CSV files, Parquet files or one
    workbook ``folder/data.xlsx``); return the path to give to ``--data``. Kept when it exists."""
    target = folder / "data.xlsx" if fmt == "xlsx" else folder
    done = folder / ".complete"
    if done.exists():
        return target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    tables = tables_of(bench.generate(n, offices=offices))
    if fmt == "csv":
        for name, (header, cols) in tables.items():
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(zip(*cols))
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        for name, (header, cols) in tables.items():
            arrays = [pa.array([None if v == "" else v for v in c], pa.string()) for c in cols]
            pq.write_table(pa.table(arrays, names=header), folder / f"{name}.parquet")
    elif fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        for name, (header, cols) in tables.items():
            ws = wb.create_sheet(name)
            ws.append(header)
            for row in zip(*cols):
                ws.append([v if v != "" else None for v in row])
        wb.save(target)
    else:
        raise ValueError(fmt)
    done.write_text("")
    return target


# ---------------------------------------------------------------------------- running the CLI


def _timed(cmd: list[str], env: dict, cwd: str, err_path: Path) -> tuple[float, Any, int]:
    """Run ``cmd`` (stdout to /dev/null): wall seconds, its rusage, exit code."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage, os.waitstatus_to_exitcode(status)


def smvp_command() -> str:
    """The ``smvp`` command of the Python running the benchmark (its environment's, next to
    ``sys.executable``), else the first on PATH: a worktree's own venv measures its own code,
    not whichever checkout PATH's ``smvp`` happens to run."""
    own = Path(sys.executable).with_name("smvp")
    return str(own) if own.exists() else (shutil.which("smvp") or str(own))


def run_cli(data: Path, *, store: bool, out: str | None, extra: list[str] | None = None,
            verify: bool = False) -> dict:
    """One fresh ``smvp evaluate`` process: wall seconds, phases, peak RSS (MiB), exit code;
    with ``verify`` (and ``store``) then one ``smvp verify --run 1`` of the stored run."""
    smvp = smvp_command()
    with tempfile.TemporaryDirectory(prefix="perf-cli-") as tmp:
        cmd = [smvp, "evaluate", "--chamber", "cuneo", "--data", str(data)]
        cmd += ["--db", f"sqlite:///{tmp}/smvp.db"] if store else ["--no-store"]
        cmd += ["--out", str(Path(tmp) / out)] if out else ["--json"]
        cmd += extra or []
        env = dict(os.environ, SMVP_PHASES=str(Path(tmp) / "phases.json"), SMVP_HOME=tmp)
        start = time.perf_counter()
        with open(os.devnull, "wb") as devnull, open(Path(tmp) / "stderr", "wb") as err:
            proc = subprocess.Popen(cmd, stdout=devnull, stderr=err, env=env, cwd=tmp)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                             + (Path(tmp) / "stderr").read_text(errors="replace")[-3000:])
        phases_file = Path(tmp) / "phases.json"
        phases = json.loads(phases_file.read_text()) if phases_file.exists() else {}
        checked = {}
        if verify and store:
            vcmd = [smvp, "verify", "--run", "1", "--db", f"sqlite:///{tmp}/smvp.db", "--json"]
            vwall, vusage, code = _timed(vcmd, env, tmp, Path(tmp) / "stderr")
            if code != 0:
                raise SystemExit(f"{' '.join(vcmd)} failed ({code}):\n"
                                 + (Path(tmp) / "stderr").read_text(errors="replace")[-3000:])
            checked = {"verify_wall": vwall, "verify_cpu": vusage.ru_utime + vusage.ru_stime,
                       "verify_rss_mib": vusage.ru_maxrss / 1024}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "phases": phases, **checked}


def measure(n: int, args) -> dict:
    folder = Path(args.root) / f"{args.format}-{n}"
    t0 = time.perf_counter()
    data = write_dataset(n, folder, args.format, args.offices)
    made = time.perf_counter() - t0
    if made > 1:
        print(f"  dataset {data} written in {made:.1f} s", file=sys.stderr)
    runs = [run_cli(data, store=args.store, out=args.out, verify=args.verify) for _ in range(args.repeat)]
    med = {"n": n, "wall": statistics.median(r["wall"] for r in runs),
           "cpu": statistics.median(r["cpu"] for r in runs),
           "rss_mib": statistics.median(r["rss_mib"] for r in runs), "phases": {},
           "walls": [r["wall"] for r in runs]}
    for key in ("verify_wall", "verify_cpu", "verify_rss_mib"):
        if all(key in r for r in runs):
            med[key] = statistics.median(r[key] for r in runs)
    for p in PHASES:
        vals = [r["phases"][p] for r in runs if p in r["phases"]]
        if vals:
            med["phases"][p] = statistics.median(vals)
    return med


def table_md(rows: list[dict]) -> str:
    used = [p for p in PHASES if any(p in r["phases"] for r in rows)]
    head = "| staff | wall | CPU | peak RSS | " + " | ".join(used) + " |"
    sep = "|---:|---:|---:|---:|" + "---:|" * len(used)
    checked = any("verify_wall" in r for r in rows)
    if checked:
        head += " verify wall | verify CPU | verify peak RSS |"
        sep += "---:|---:|---:|"
    lines = [head, sep]
    for r in rows:
        cells = [f"{r['n']:,}", f"{r['wall']:.2f} s", f"{r['cpu']:.2f} s", f"{r['rss_mib']:,.0f} MiB"]
        cells += [f"{r['phases'][p]:.2f} s" if p in r["phases"] else "–" for p in used]
        if checked:
            cells += [f"{r['verify_wall']:.2f} s", f"{r['verify_cpu']:.2f} s",
                      f"{r['verify_rss_mib']:,.0f} MiB"] if "verify_wall" in r else ["–"] * 3
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        load = float("nan")
    return (f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
            f"load average {load:.1f} at start")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--root", default="/tmp/perf-bench", help="where the generated datasets are kept")
    ap.add_argument("--format", choices=("csv", "parquet", "xlsx"), default="csv")
    ap.add_argument("--offices", type=int, default=None)
    ap.add_argument("--store", action="store_true", help="store the run (throw-away SQLite) instead of --no-store")
    ap.add_argument("--verify", action="store_true",
                    help="with --store: then time `smvp verify --run 1` of the stored run")
    ap.add_argument("--out", default=None, help="export to this file name (in a temporary folder) instead of --json")
    ap.add_argument("--results", help="also append the table to this markdown file")
    args = ap.parse_args(argv)
    if args.verify and not args.store:
        ap.error("--verify needs --store")
    print(machine(), file=sys.stderr)
    rows = []
    for n in args.sizes:
        r = measure(n, args)
        print(f"  {n:,}: wall {r['wall']:.2f} s (runs {', '.join(f'{w:.2f}' for w in r['walls'])}), "
              f"CPU {r['cpu']:.2f} s, "
              f"peak {r['rss_mib']:,.0f} MiB, " + ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
              + (f"; verify {r['verify_wall']:.2f} s (CPU {r['verify_cpu']:.2f} s, "
                 f"peak {r['verify_rss_mib']:,.0f} MiB)" if "verify_wall" in r else ""),
              file=sys.stderr)
        rows.append(r)
    table = table_md(rows)
    print(table)
    if args.results:
        cmd = "python benchmarks/bench_cli.py " + " ".join(argv if argv is not None else sys.argv[1:])
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(f"\n`{cmd}` — {machine()}, median of {args.repeat}\n\n{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
