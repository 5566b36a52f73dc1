"""A national roll-out, generated: many tenant profiles and their year data.

    python benchmarks/national_data.py --tenants 10000 [--staff 320] [--root /tmp/smvp-national]
                                       [--seed 2026] [--bad 0]

Writes ``ROOT/chambers/<tenant>.yaml`` (one profile per body) and
``ROOT/data/<tenant>/<year>/*.csv`` (its year), the layout of
``smvp evaluate --chambers-dir ROOT/chambers --data-root ROOT/data``.

Each tenant is a varied copy of one of the bundled profiles (Cuneo, Brescia,
Cremona, Lucca, in that proportion 4:2:2:2), as a real national roll-out
would have: bodies start from a model SMVP and change the numbers their own
Giunta decides — thresholds of the payout curve and of the judgement bands,
the negative-evaluation threshold, the dirigenza pool split, the maggiorazione
quota and share, the tie policy, the achievement cap. Identity (id, name,
seat) is the tenant's own. Every choice is drawn from a seeded RNG, so the same
arguments give the same files.

Its data is the base chamber's bundled sample year grown to ``--staff``
people: the sample's staff repeated (``P012``, ``P012-1``, ``P012-2``, …)
with their behaviour scores (and the presence days of those with no absences)
shuffled among the copies of the same role, individual objectives copied per person, the funds
scaled to the staff (±10%). Units, the organisation's objectives and
indicators are the sample's.

``--bad N`` makes the last N tenants' profiles invalid (an unknown key), to
see the run report them and go on.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHAMBERS = REPO / "chambers"

#: base chamber -> (sample year, weight in the roll-out)
BASES = {"cuneo": (2024, 4), "brescia": (2021, 2), "cremona": (2021, 2), "lucca": (2011, 2)}

# Variations: (regular expression, group-replacement choices). A choice is a function of
# the RNG giving the replacement text for the match.


def _threshold(low: int, high: int):
    return lambda rng: rng.choice(range(low, high + 1, 5))


def _vary_cuneo(text: str, rng: random.Random) -> str:
    t60 = rng.choice((55, 60, 60, 65))
    t90 = rng.choice((85, 90, 90, 95))
    text = text.replace('"[0, 60]"', f'"[0, {t60}]"').replace('"(60, 90]"', f'"({t60}, {t90}]"')
    text = text.replace('"(90, 100]"', f'"({t90}, 100]"').replace('"(60, 100]"', f'"({t60}, 100]"')
    text = text.replace('eligible: "total > 60"', f'eligible: "total > {t60}"')
    quota = rng.choice((30, 40, 40, 50))
    text = text.replace("quota_percent: 40", f"quota_percent: {quota}")
    share = rng.choice(("0.30", "0.40", "0.40", "0.50"))
    text = text.replace('amount: "0.40 * mean(premium)"', f'amount: "{share} * mean(premium)"')
    sg = rng.choice((50, 60, 60, 70))
    text = text.replace("segretario_generale: {percent: 60,", f"segretario_generale: {{percent: {sg},")
    text = text.replace("dirigente: {percent: 40,", f"dirigente: {{percent: {100 - sg},")
    below = rng.choice((12, 15, 15, 18))
    text = text.replace("behaviour_below: 15", f"behaviour_below: {below}")
    if rng.random() < 0.3:
        text = text.replace("tie_policy: exclude_tied", "tie_policy: include_tied")
    return text


def _vary_bands(text: str, rng: random.Random) -> str:
    low = rng.choice((55, 60, 60, 65))
    high = low + rng.choice((15, 20, 20, 25))
    text = text.replace('"[0, 60)"', f'"[0, {low})"').replace('"[60, 80)"', f'"[{low}, {high})"')
    text = text.replace('"[80, inf)"', f'"[{high}, inf)"')
    cap = rng.choice((100, 100, 110, 120))
    text = text.replace("cap_percent: 100", f"cap_percent: {cap}")
    return text


VARY = {"cuneo": _vary_cuneo, "brescia": _vary_bands, "cremona": _vary_bands, "lucca": _vary_bands}


def tenant_ids(n: int) -> list[tuple[str, str]]:
    """``[(tenant id, base chamber)]``: the bases in proportion, ids ``ente_00001``…"""
    cycle = [b for b, (_, w) in BASES.items() for _ in range(w)]
    return [(f"ente_{k + 1:05d}", cycle[k % len(cycle)]) for k in range(n)]


def profile_text(base: str, tenant: str, rng: random.Random, bad: bool = False) -> str:
    """A varied copy of ``chambers/<base>.yaml`` for ``tenant``."""
    text = (CHAMBERS / f"{base}.yaml").read_text(encoding="utf-8")
    number = int(tenant.rsplit("_", 1)[1])
    text = re.sub(r"(?m)^chamber:\n  id: \S+\n  name: .*$",
                  f"chamber:\n  id: {tenant}\n  name: Ente pubblico n. {number} (modello {base.capitalize()})",
                  text, count=1)
    text = VARY[base](text, rng)
    if bad:
        text = text.replace("\nroles:\n", "\nroles:\n  pesi_sbagliati: 3\n", 1)
    return text


# ---------------------------------------------------------------------------------- data


def _read(folder: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    tables = {}
    for f in sorted(folder.glob("*.csv")):
        with open(f, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            tables[f.stem] = (list(reader.fieldnames or []), rows)
    return tables


def _write(folder: Path, tables: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, header, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


def grown_tables(sample: dict, tenant: str, staff: int, rng: random.Random) -> dict:
    """The sample year grown to ``staff`` people (see the module's docstring)."""
    s_head, s_rows = sample["staff"]
    copies = -(-staff // len(s_rows))
    people: list[tuple[str, dict]] = []  # (new id, original row)
    for j in range(copies):
        for row in s_rows:
            if len(people) < staff:
                people.append((row["person_id"] + (f"-{j}" if j else ""), row))
    new_ids = {new for new, _ in people}

    def pid(old: str, j: int) -> str:
        return old + (f"-{j}" if j else "")

    out = {name: (head, rows) for name, (head, rows) in sample.items()}
    new_staff = []
    by_role: dict[str, list[int]] = {}
    for new, row in people:
        r = dict(row, person_id=new)
        by_role.setdefault(r["role"], []).append(len(new_staff))
        new_staff.append(r)
    absent = {r["person_id"] for r in sample.get("absences", ((), []))[1]}
    for idx in by_role.values():  # presence days shuffled among people of a role with no absences
        idx = [i for i in idx if people[i][1]["person_id"] not in absent]
        days = [new_staff[i].get("presence_days", "") for i in idx]
        rng.shuffle(days)
        for i, d in zip(idx, days):
            if "presence_days" in new_staff[i]:
                new_staff[i]["presence_days"] = d
    out["staff"] = (s_head, new_staff)

    role_of = {r["person_id"]: r["role"] for r in s_rows}
    for name in ("behaviours", "absences", "assignments"):
        if name not in sample:
            continue
        head, rows = sample[name]
        grown = []
        for j in range(copies):
            for row in rows:
                if pid(row["person_id"], j) in new_ids:
                    grown.append(dict(row, person_id=pid(row["person_id"], j)))
        if name == "behaviours":  # a factor's scores shuffled among the people of a role
            groups: dict[tuple, list[int]] = {}
            for i, row in enumerate(grown):
                groups.setdefault((role_of[row["person_id"].split("-")[0]], row["factor"]), []).append(i)
            for idx in groups.values():
                scores = [grown[i]["score"] for i in idx]
                rng.shuffle(scores)
                for i, sc in zip(idx, scores):
                    grown[i]["score"] = sc
        out[name] = (head, grown)

    # individual objectives: one per person copy
    if "objectives" in sample:
        head, rows = sample["objectives"]
        obj_map: dict[str, list[str]] = {}
        grown_o = []
        for row in rows:
            if not row.get("person_id"):
                grown_o.append(row)
                continue
            for j in range(copies):
                if pid(row["person_id"], j) in new_ids:
                    oid = pid(row["objective_id"], j)
                    obj_map.setdefault(row["objective_id"], []).append(oid)
                    grown_o.append(dict(row, objective_id=oid, person_id=pid(row["person_id"], j)))
        out["objectives"] = (head, grown_o)
        for name in ("indicators", "projects"):
            if name not in sample:
                continue
            h, rws = sample[name]
            g = []
            for row in rws:
                if row["objective_id"] in obj_map:
                    for oid in obj_map[row["objective_id"]]:
                        extra = {"indicator_id": row["indicator_id"] + oid[len(row["objective_id"]):]} \
                            if "indicator_id" in row else {}
                        g.append(dict(row, objective_id=oid, **extra))
                else:
                    g.append(row)
            out[name] = (h, g)
        if "assignments" in out:
            h, rws = out["assignments"]
            out["assignments"] = (h, [dict(r, objective_id=r["objective_id"] + (
                "-" + r["person_id"].rsplit("-", 1)[1] if "-" in r["person_id"] else ""))
                if r["objective_id"] in obj_map else r for r in rws])
    if "resources" in sample:
        head, rows = sample["resources"]
        factor = Decimal(copies) * Decimal(rng.randint(100, 110)) / 100  # every role grows ≤ copies×
        out["resources"] = (head, [dict(r, amount=str((Decimal(r["amount"]) * factor)
                                                       .quantize(Decimal("0.01"))))
                                   for r in rows])
    if "meta" in sample:
        head, rows = sample["meta"]
        out["meta"] = (head, [dict(r, value=tenant) if r["key"] == "chamber" else r for r in rows])
    return out


def generate(root: Path, tenants: int, staff: int = 320, seed: int = 2026, bad: int = 0,
             verbose: bool = True) -> list[tuple[str, str]]:
    """Write the roll-out under ``root`` (replacing what was there); returns ``[(tenant, base)]``."""
    chambers, data = root / "chambers", root / "data"
    for d in (chambers, data):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    samples = {b: _read(CHAMBERS / "data" / b / str(y)) for b, (y, _) in BASES.items()}
    ids = tenant_ids(tenants)
    t0 = time.perf_counter()
    for k, (tenant, base) in enumerate(ids):
        rng = random.Random(f"{seed}-{tenant}")
        year = BASES[base][0]
        (chambers / f"{tenant}.yaml").write_text(
            profile_text(base, tenant, rng, bad=k >= tenants - bad), encoding="utf-8")
        _write(data / tenant / str(year), grown_tables(samples[base], tenant, staff, rng))
        if verbose and (k + 1) % 1000 == 0:
            print(f"  {k + 1} tenants written ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return ids


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", type=int, default=10_000)
    ap.add_argument("--staff", type=int, default=320)
    ap.add_argument("--root", type=Path, default=Path("/tmp/smvp-national"))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--bad", type=int, default=0, help="the last N profiles invalid")
    args = ap.parse_args(argv)
    generate(args.root, args.tenants, args.staff, args.seed, args.bad)
    print(f"{args.tenants} tenants × {args.staff} staff under {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
