"""Benchmark: reading a year's workbook — openpyxl (read-only) against python-calamine.

    python benchmarks/bench_xlsx.py [--sizes 80 20000] [--repeat 3] [--root /tmp/smvp-xlsx]

For each size, the synthetic Cuneo Chamber of benchmarks/bench_cuneo.py is
written as one workbook (benchmarks/bench_cli.py ``write_dataset(fmt="xlsx")``:
sheets staff, behaviours, units, objectives, indicators, …; size 80 is the
bundled sample ``chambers/data/cuneo/2024.xlsx`` instead). Timed, best of
``--repeat``, each in this process:

- ``openpyxl values``: ``load_workbook(read_only=True, data_only=True)`` and
  every row of every sheet with ``values_only=True`` (the least openpyxl can do);
- ``openpyxl cells``: the same, reading each cell's value, number format and
  data type — what smvp's loader reads (engine/dataset.py ``_read_xlsx``: a
  ``%`` number format makes 0.95 mean 95 %, data type ``e`` is a formula error);
- ``calamine``: ``python_calamine.load_workbook`` and ``to_python()`` of every
  sheet (values only: calamine gives no number formats and no formulas);
- ``load_dataset``: smvp's whole loader on the workbook (reading + typing +
  validation), for scale.

python-calamine is not a dependency of smvp: install it to run this
(``pip install python-calamine``); without it the calamine column is skipped.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def openpyxl_values(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += len(row)
    wb.close()
    return n


def openpyxl_cells(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1):
            for c in row:
                _ = (c.value, getattr(c, "number_format", None), getattr(c, "data_type", None))
                n += 1
    wb.close()
    return n


def calamine(path: Path) -> int:
    from python_calamine import load_workbook

    wb = load_workbook(str(path))
    n = 0
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).to_python():
            n += len(row)
    wb.close()
    return n


def load_dataset(path: Path) -> int:
    from smvp_engine.dataset import load_dataset as load

    return len(load(path).table("staff"))


def workbook(size: int, root: Path) -> Path:
    if size == 80:
        return REPO / "chambers" / "data" / "cuneo" / "2024.xlsx"
    from benchmarks import bench_cli

    return bench_cli.write_dataset(size, root / f"xlsx-{size}", fmt="xlsx")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[80, 20_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--root", type=Path, default=Path("/tmp/smvp-xlsx"))
    args = ap.parse_args(argv)
    try:
        import python_calamine  # noqa: F401
        have_calamine = True
    except ImportError:
        have_calamine = False
    print("| staff | workbook MiB | cells | openpyxl values s | openpyxl cells s | calamine s | "
          "cells ÷ calamine | load_dataset s |\n|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        path = workbook(size, args.root)
        cells = openpyxl_values(path)
        ov = _best(lambda p=path: openpyxl_values(p), args.repeat)
        oc = _best(lambda p=path: openpyxl_cells(p), args.repeat)
        ca = _best(lambda p=path: calamine(p), args.repeat) if have_calamine else float("nan")
        ld = _best(lambda p=path: load_dataset(p), args.repeat)
        print(f"| {size:,} | {path.stat().st_size / 2**20:.2f} | {cells:,} | {ov:.3f} | {oc:.3f} | "
              f"{ca:.3f} | {oc / ca:.1f}× | {ld:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
