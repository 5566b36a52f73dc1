"""The worker's whole path on the first N bodies of a roll-out, in this process (for callgrind).

    python benchmarks/national_loop.py ROOT N
    valgrind --tool=callgrind python benchmarks/national_loop.py ROOT N   # "Collected" instructions

Each body as a national run's worker does it (benchmarks/bench_national.py's roll-out under
ROOT): profile compiled (no cache folder), year loaded, evaluated, people table and summary.
Instructions per body = (Collected at N=33 − Collected at N=13) / 20: the difference leaves out
start-up and the first bodies' block caches, and does not move with the machine's load.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str]) -> int:
    from smvp import national

    root, n = Path(argv[0]), int(argv[1])
    tenants = national.discover(root / "chambers", root / "data")[:n]
    national._init_worker(None, worker=True)
    start = time.process_time()
    for t in tenants:
        result = national.evaluate_tenant(t)
        if not result.ok:
            print(result.record.get("errors"), file=sys.stderr)
            return 1
    print(f"{len(tenants)} bodies, {(time.process_time() - start) * 1e3 / max(1, len(tenants)):.1f} CPU ms a body")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
