"""Benchmark: the smvp engine against hand-written numpy on synthetic Cuneo staff.

    python benchmarks/bench_cuneo.py [--sizes 10000 100000 1000000] [--repeat 3]
                                     [--offices N] [--no-stages] [--results FILE]

For each size the script generates a deterministic synthetic Chamber (numpy
RNG, fixed seed): one Segretario Generale, a dirigente per area, an E.Q. per
servizio and, for everyone else, dipendenti spread over ``size // 50`` uffici
(or ``--offices``) under 4 aree × 4 servizi, each ufficio with 1–2 objectives
of 1–2 indicators. The dataset is built in memory with the text id
columns as :class:`engine.columns.Categorical`, the objectives' and indicators' decimal
columns as :class:`engine.columns.Decimals` (as the loader types them), and handed to
:func:`engine.pipeline.evaluate`; beside it, :func:`numpy_evaluate` applies the
same Cuneo rules by hand with numpy, from the same columns (codes and int
arrays), exact to the cent. Both are timed in the same process, best of
``--repeat``; their results are asserted equal person by person (total,
behaviour, negative flag, theoretical amount, premium, maggiorazione) before any
time is reported.

The workload is that of ../shared/PERFORMANCE.md (dipendenti: results 5·Ente +
25·ufficio, four behaviour factors, curve ≤60/≤90/>90, presence =
min(1, days·part_time/250), premium to the cent half-up, negative flag, art. 81
maggiorazione to the best 40% of the staff above 60 with ties at the cut left
out, 40% of the mean premium), plus the few dirigenti/E.Q. a Chamber has.

What is timed: ``evaluate(profile, dataset, year=2024)`` — the whole pipeline
(dataset-against-profile checks, organisational, individual, payout with funds
and maggiorazione), from in-memory columns to per-person results. Not timed:
generating the data, building the :class:`~smvp_engine.dataset.Dataset` (it is
constructed directly from typed columns: :func:`engine.dataset.dataset_from_columns`
validates every cell in Python, which is loading, not evaluation — the smoke
test checks at a small size that the synthetic data passes it and gives the
same results), and ``Evaluation.rows()``/``summary()`` (report views).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from smvp_engine.columns import Categorical, Decimals, decimals
from smvp_engine.dataset import SCALE, TABLES, Dataset, Table

PROFILE = REPO / "chambers" / "cuneo.yaml"
SEED = 20240501
YEAR = 2024

LEVELS = ("ente", "area", "servizio", "ufficio")
INDIVIDUALE = len(LEVELS)  # objective level code for "individuale"
ROLES = ("segretario_generale", "dirigente", "elevata_qualificazione", "dipendente")
SG, DIR, EQ, DIP = range(4)
ROLE_FACTORS = {  # factor id, max points (chambers/cuneo.yaml)
    SG: (("capacita_direzionale", 5), ("responsabilizzazione_leadership", 5),
         ("qualita_prestazione_innovazione", 5), ("valutazione_collaboratori", 5)),
    EQ: (("responsabilizzazione", 10), ("cooperazione_team_working", 10),
         ("orientamento_utenza", 10), ("valutazione_collaboratori", 10)),
    DIP: (("problem_solving_autonomia", 20), ("orientamento_utenza", 20),
          ("cooperazione_team_working", 15), ("esecuzione_compiti", 15)),
}
ROLE_FACTORS[DIR] = ROLE_FACTORS[SG]
FACTORS = tuple(sorted({f for fs in ROLE_FACTORS.values() for f, _ in fs}))
ABSENCE_TYPES = ("maternita", "paternita", "congedo_parentale", "malattia", "altro")
NEUTRAL = np.array([True, True, False, False, False])  # congedo_parentale: not presence (art. 71 c. 5 d.l. 112/2008, cuneo.yaml)
PART_TIMES = np.array([1_000_000, 500_000, 750_000, 833_300], dtype=np.int64)  # millionths
PART_TIME_P = (0.80, 0.07, 0.08, 0.05)
AREAS, SERVIZI_PER_AREA = 4, 4


@dataclass
class Synthetic:
    """One synthetic Chamber-year as plain typed columns (codes and int64 arrays).

    Units: points in centipoints, days in hundredths, money in cents, fractions
    in millionths (as the dataset loader types them); indicator targets and
    actuals in tenths, attested percents in tenths of a percent (-1: none).
    """

    n: int
    unit_ids: np.ndarray  # object array of str
    unit_level: np.ndarray  # code into LEVELS
    unit_parent: np.ndarray  # unit index, -1 for the top
    # staff
    person_ids: np.ndarray  # object array of str
    role: np.ndarray  # code into ROLES
    unit: np.ndarray  # unit index
    part_time: np.ndarray
    presence: np.ndarray
    time_coef: np.ndarray
    theo: np.ndarray  # 0 where blank
    theo_missing: np.ndarray
    category: np.ndarray  # code into cat_names, -1 blank
    cat_names: np.ndarray
    cat_amount: np.ndarray
    # behaviours
    b_person: np.ndarray
    b_factor: np.ndarray  # code into FACTORS
    b_score: np.ndarray
    # absences
    a_person: np.ndarray
    a_type: np.ndarray  # code into ABSENCE_TYPES
    a_days: np.ndarray
    # objectives and indicators
    o_level: np.ndarray  # code into LEVELS, or INDIVIDUALE
    o_unit: np.ndarray  # unit index, -1 none
    o_person: np.ndarray  # person index, -1 none
    o_weight: np.ndarray  # integer weights
    o_attested: np.ndarray  # tenths of a percent, -1 none
    i_obj: np.ndarray
    i_target: np.ndarray  # tenths
    i_actual: np.ndarray  # tenths
    i_weight: np.ndarray
    i_lower: np.ndarray  # bool
    resources: dict[str, int] = field(default_factory=dict)  # cents


def generate(n: int, seed: int = SEED, offices: int | None = None) -> Synthetic:
    """A deterministic synthetic Cuneo-like Chamber with ``n`` staff (n ≥ 100)."""
    if n < 100:
        raise ValueError("at least 100 staff")
    rng = np.random.default_rng(seed + n)
    # -- units: ente, 4 aree, 16 servizi, uffici under the servizi round robin
    n_serv = AREAS * SERVIZI_PER_AREA
    n_uff = max(n_serv, offices if offices is not None else n // 50)
    area0, serv0, uff0 = 1, 1 + AREAS, 1 + AREAS + n_serv
    n_units = uff0 + n_uff
    unit_ids = np.empty(n_units, dtype=object)
    unit_ids[:] = (["CCIAA"] + [f"A{a + 1}" for a in range(AREAS)] + [f"S{s + 1:02d}" for s in range(n_serv)]
                   + [f"U{u + 1:06d}" for u in range(n_uff)])
    unit_level = np.concatenate([[0], np.full(AREAS, 1), np.full(n_serv, 2), np.full(n_uff, 3)]).astype(np.int64)
    unit_parent = np.concatenate([[-1], np.zeros(AREAS), area0 + np.arange(n_serv) // SERVIZI_PER_AREA,
                                  serv0 + np.arange(n_uff) % n_serv]).astype(np.int64)

    # -- staff: SG, one dirigente per area, one E.Q. per servizio, then dipendenti
    n_lead = 1 + AREAS + n_serv
    role = np.full(n, DIP, dtype=np.int64)
    role[0], role[1:1 + AREAS], role[1 + AREAS:n_lead] = SG, DIR, EQ
    unit = np.empty(n, dtype=np.int64)
    unit[0] = area0
    unit[1:1 + AREAS] = area0 + np.arange(AREAS)
    unit[1 + AREAS:n_lead] = serv0 + np.arange(n_serv)
    unit[n_lead:] = uff0 + rng.integers(0, n_uff, n - n_lead)
    dip = role == DIP
    part_time = np.where(dip, PART_TIMES[rng.choice(4, n, p=PART_TIME_P)], 1_000_000).astype(np.int64)
    kind = rng.random(n)
    presence = np.where(kind < 0.85, rng.integers(20_000, 25_001, n),  # 200–250 days, 2 decimals
                        np.where(kind < 0.97, rng.integers(5_000, 20_000, n),
                                 np.where(kind < 0.99, rng.integers(25_000, 26_001, n), 0))).astype(np.int64)
    time_coef = np.where((role == EQ) & (rng.random(n) < 0.2), 500_000, 1_000_000).astype(np.int64)
    cat_names = np.empty(12, dtype=object)
    cat_names[:] = [f"{c}{k}" for c in "BCD" for k in range(1, 5)]
    cat_amount = np.sort(rng.integers(90_000, 250_000, len(cat_names))).astype(np.int64)
    category = np.where(dip, rng.integers(0, len(cat_names), n), -1).astype(np.int64)
    given = (dip & (rng.random(n) < 0.10)) | (role == EQ)
    theo = np.where(given, np.where(role == EQ, rng.integers(250_000, 400_000, n), rng.integers(80_000, 300_000, n)),
                    0).astype(np.int64)

    # -- behaviours: one row per factor of the person's role, half points
    ability = np.clip(rng.beta(5, 2, n), 0, 1)
    ability[rng.random(n) < 0.03] *= 0.3  # a few negative evaluations
    b_person, b_factor, b_score = [], [], []
    for r, factors in ROLE_FACTORS.items():
        who = np.flatnonzero(role == r)
        for fname, mx in factors:
            noisy = ability[who] + rng.normal(0, 0.08, len(who))
            halves = np.clip(np.rint(noisy * 2 * mx), 0, 2 * mx).astype(np.int64)
            b_person.append(who)
            b_factor.append(np.full(len(who), FACTORS.index(fname)))
            b_score.append(halves * 50)
    order = np.lexsort((np.concatenate(b_factor), np.concatenate(b_person)))  # person by person
    b_person = np.concatenate(b_person)[order].astype(np.int64)
    b_factor = np.concatenate(b_factor)[order].astype(np.int64)
    b_score = np.concatenate(b_score)[order].astype(np.int64)

    # -- absences: about 3% of dipendenti, some with two rows
    absent = np.flatnonzero(dip & (rng.random(n) < 0.03))
    twice = absent[rng.random(len(absent)) < 0.2]
    a_person = np.sort(np.concatenate([absent, twice])).astype(np.int64)
    a_type = rng.integers(0, len(ABSENCE_TYPES), len(a_person)).astype(np.int64)
    # 1–49.5 days in half days: with two rows and 250 days of presence, within the year
    a_days = (rng.integers(2, 100, len(a_person)) * 50).astype(np.int64)

    # -- objectives: 3 ente, one per area and servizio, 1–2 per ufficio, one individual per leader
    o_level = [np.zeros(3), np.ones(AREAS), np.full(n_serv, 2)]
    o_unit = [np.zeros(3), area0 + np.arange(AREAS), serv0 + np.arange(n_serv)]
    per_uff = 1 + (rng.random(n_uff) < 0.5)
    o_level.append(np.full(per_uff.sum(), 3))
    o_unit.append(np.repeat(uff0 + np.arange(n_uff), per_uff))
    o_level.append(np.full(n_lead, INDIVIDUALE))
    o_unit.append(np.full(n_lead, -1))
    o_level = np.concatenate(o_level).astype(np.int64)
    o_unit = np.concatenate(o_unit).astype(np.int64)
    n_obj = len(o_level)
    o_person = np.full(n_obj, -1, dtype=np.int64)
    o_person[-n_lead:] = np.arange(n_lead)
    o_weight = rng.integers(1, 3, n_obj).astype(np.int64)
    o_attested = np.full(n_obj, -1, dtype=np.int64)
    att = np.flatnonzero((o_level == INDIVIDUALE) & (rng.random(n_obj) < 0.5))
    o_attested[att] = rng.integers(750, 1001, len(att))
    with_ind = np.flatnonzero(o_attested < 0)
    per_obj = 1 + (rng.random(len(with_ind)) < 0.5)
    i_obj = np.repeat(with_ind, per_obj).astype(np.int64)
    m = len(i_obj)
    i_target = rng.integers(100, 10_000, m).astype(np.int64)
    i_lower = rng.random(m) < 0.2
    perf = rng.uniform(0.72, 1.08, m)
    i_actual = np.maximum(1, np.rint(np.where(i_lower, i_target / perf, i_target * perf))).astype(np.int64)
    i_weight = rng.integers(1, 4, m).astype(np.int64)

    person_ids = np.empty(n, dtype=object)
    person_ids[:] = [f"P{i + 1:07d}" for i in range(n)]
    theo_dip = np.where(theo > 0, theo, cat_amount[np.maximum(category, 0)])[dip].sum()
    resources = {
        "risultato_dirigenza": 3_000_007,
        "risultato_eq": int(theo[role == EQ].sum()),
        "produttivita": int(theo_dip),
        "maggiorazione": int(theo_dip) // 5,  # ≥ 16% of the premiums: always enough
    }
    return Synthetic(n=n, unit_ids=unit_ids, unit_level=unit_level, unit_parent=unit_parent,
                     person_ids=person_ids, role=role, unit=unit, part_time=part_time, presence=presence,
                     time_coef=time_coef, theo=theo, theo_missing=~given, category=category,
                     cat_names=cat_names, cat_amount=cat_amount, b_person=b_person, b_factor=b_factor,
                     b_score=b_score, a_person=a_person, a_type=a_type, a_days=a_days,
                     o_level=o_level, o_unit=o_unit, o_person=o_person, o_weight=o_weight,
                     o_attested=o_attested, i_obj=i_obj, i_target=i_target, i_actual=i_actual,
                     i_weight=i_weight, i_lower=i_lower, resources=resources)


# ====================================================================== the engine's dataset

def _obj(values) -> np.ndarray:
    values = list(values)
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


def _tenths(x: int) -> Decimal:
    return Decimal(int(x)).scaleb(-1)


def _columns(s: Synthetic) -> dict[str, dict[str, object]]:
    """The synthetic data as typed dataset columns (text ids as Categorical)."""
    person_cats = s.person_ids
    unit_cats = s.unit_ids
    n_obj = len(s.o_level)
    obj_ids = _obj(f"O{i + 1:06d}" for i in range(n_obj))
    level_names = _obj(LEVELS + ("individuale",))
    none_n = Categorical(np.full(s.n, -1, dtype=np.int64), _obj([]))
    return {
        "meta": {"key": _obj(["year", "chamber"]), "value": _obj([str(YEAR), "cuneo"])},
        "units": {  # ids, levels and parents as codes, as the loader gives them (one vocabulary of unit ids)
            "unit_id": Categorical(np.arange(len(unit_cats), dtype=np.int64), unit_cats),
            "label": _obj(f"Unità {u}" for u in s.unit_ids),
            "level": Categorical(np.asarray(s.unit_level, dtype=np.int64), _obj(LEVELS)),
            "parent_id": Categorical(np.asarray(s.unit_parent, dtype=np.int64), unit_cats),
        },
        "objectives": {  # ids, levels and units as codes, as the loader gives them
            "objective_id": Categorical(np.arange(n_obj, dtype=np.int64), obj_ids),
            "label": _obj(f"Obiettivo {o}" for o in obj_ids),
            "level": Categorical(np.asarray(s.o_level, dtype=np.int64), level_names),
            "unit_id": Categorical(np.asarray(s.o_unit, dtype=np.int64), unit_cats),
            "person_id": _obj(None if p < 0 else s.person_ids[p] for p in s.o_person),
            "weight": decimals(_obj(Decimal(int(w)) for w in s.o_weight)),
            "attested_percent": decimals(_obj(None if a < 0 else _tenths(a) for a in s.o_attested)),
        },
        "indicators": {
            "indicator_id": Categorical(np.arange(len(s.i_obj), dtype=np.int64),
                                        _obj(f"I{i + 1:06d}" for i in range(len(s.i_obj)))),
            "objective_id": Categorical(np.asarray(s.i_obj, dtype=np.int64), obj_ids),  # the objectives' categories
            "target": decimals(_obj(_tenths(t) for t in s.i_target)),
            "actual": decimals(_obj(_tenths(a) for a in s.i_actual)),
            "weight": decimals(_obj(Decimal(int(w)) for w in s.i_weight)),
            "direction": _obj("lower" if lo else "higher" for lo in s.i_lower),
        },
        "staff": {
            "person_id": Categorical(np.arange(s.n, dtype=np.int64), person_cats),
            "name": none_n,
            "role": Categorical(s.role, _obj(ROLES)),
            "unit_id": Categorical(s.unit, unit_cats),
            "part_time": s.part_time,
            "presence_days": s.presence,
            "time_coefficient": s.time_coef,
            "theoretical_premium": s.theo,
            "category": Categorical(s.category, s.cat_names),
        },
        "categories": {"category": s.cat_names.copy(), "theoretical_premium": s.cat_amount},
        "behaviours": {
            "person_id": Categorical(s.b_person, person_cats),  # the same categories object as staff
            "factor": Categorical(s.b_factor, _obj(FACTORS)),
            "score": s.b_score,
        },
        "absences": {
            "person_id": Categorical(s.a_person, person_cats),
            "type": Categorical(s.a_type, _obj(ABSENCE_TYPES)),
            "days": s.a_days,
        },
        "resources": {"resource": _obj(s.resources), "amount": np.array(list(s.resources.values()), dtype=np.int64)},
    }


def build_dataset(s: Synthetic) -> Dataset:
    """The engine's in-memory Dataset, constructed directly (no cell-by-cell validation)."""
    given = _columns(s)
    given["staff"]["theoretical_premium"] = s.theo
    blanks = {("staff", "theoretical_premium"): s.theo_missing, ("staff", "name"): np.ones(s.n, dtype=bool),
              ("staff", "category"): s.category < 0}
    tables: dict[str, Table] = {}
    for name, spec in TABLES.items():
        cols = given.get(name, {})
        n = len(next(iter(cols.values()))) if cols else 0
        columns: dict[str, object] = {}
        missing: dict[str, np.ndarray] = {}
        for c in spec.columns:
            if c.name in cols:
                columns[c.name] = cols[c.name]
                if (c.kind not in SCALE and not isinstance(cols[c.name], (Categorical, Decimals))
                        and c.default is not None):
                    arr = cols[c.name]
                    columns[c.name] = np.where(np.equal(arr, None), c.default, arr)
            elif c.kind in SCALE:
                columns[c.name] = np.full(n, c.default if c.default is not None else 0, dtype=np.int64)
            else:
                columns[c.name] = np.full(n, c.default, dtype=object)
            blank = blanks.get((name, c.name))
            if blank is None and c.name not in cols:
                blank = np.ones(n, dtype=bool)
            if blank is None and c.kind not in SCALE and not isinstance(cols[c.name], Categorical):
                blank = np.array([v is None for v in cols[c.name]], dtype=bool)
            if not c.required and c.default is None and n and blank is not None and blank.any():
                missing[c.name] = blank
        tables[name] = Table(name=name, file=f"<synthetic>[{name}]", columns=columns, missing=missing,
                             rows=np.arange(2, n + 2, dtype=np.int64))
    return Dataset(path="<synthetic>", tables=tables, sha256="synthetic-not-hashed", year=YEAR)


def plain_tables(s: Synthetic) -> dict[str, dict[str, list]]:
    """The same data as plain Python values for :func:`engine.dataset.dataset_from_columns` (small sizes)."""
    out: dict[str, dict[str, list]] = {}
    for name, cols in _columns(s).items():
        out[name] = {}
        for c, v in cols.items():
            if isinstance(v, Categorical):
                v = list(v.to_objects())
            else:
                v = [x if not isinstance(x, np.integer) else int(x) for x in v]
            out[name][c] = v
    out["staff"]["theoretical_premium"] = [None if m else int(t) for t, m in zip(s.theo, s.theo_missing)]
    out["staff"]["name"] = [None] * s.n
    return out


# ====================================================================== hand-written numpy

_I62 = 1 << 62


def _half_up(a: np.ndarray, b) -> np.ndarray:
    """round(a / b) half away from zero, for a ≥ 0, b > 0 (integers, exact)."""
    return (2 * a + b) // (2 * b)


def _group_sum(idx: np.ndarray, vals: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of ``vals`` by ``idx`` (int64 ``add.at``: no float, and in numpy ≥ 2
    faster than a weighted bincount)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, idx, vals)
    return out


def _wmean(idx, ach, w, size) -> np.ndarray:
    """Weighted mean of achievements by group, rounded half up; -1 for an empty group."""
    sw = _group_sum(idx, w, size)
    saw = _group_sum(idx, ach * w, size)
    return np.where(sw > 0, _half_up(saw, np.maximum(sw, 1)), -1)


# Cuneo rules (chambers/cuneo.yaml), in the units of the data
COMPONENTS = {  # role → (level code, max points)
    SG: ((0, 15), (1, 45), (INDIVIDUALE, 20)),
    DIR: ((0, 15), (1, 45), (INDIVIDUALE, 20)),
    EQ: ((0, 10), (2, 30), (INDIVIDUALE, 20)),
    DIP: ((0, 5), (2, 0), (3, 25)),
}
NEGATIVE_BELOW = np.array([800, 800, 1000, 1500], dtype=np.int64)  # centipoints


def numpy_evaluate(s: Synthetic) -> dict[str, np.ndarray]:
    """The Cuneo rules by hand with numpy, exact (integer arithmetic throughout)."""
    n, n_units = s.n, len(s.unit_ids)
    # -- organisational: indicator achievement in 1/100 %, capped at 100 %
    hi = ~s.i_lower
    num = np.where(hi, s.i_actual, s.i_target) * 10_000  # ratio × 100 % × 100 units
    den = np.where(hi, s.i_target, s.i_actual)
    assert (den > 0).all()
    ach_i = np.minimum(_half_up(num, den), 10_000)
    n_obj = len(s.o_level)
    ach_o = _wmean(s.i_obj, ach_i, s.i_weight, n_obj)
    ach_o = np.where(s.o_attested >= 0, s.o_attested * 10, ach_o)
    org = s.o_level != INDIVIDUALE
    unit_ach = _wmean(s.o_unit[org], ach_o[org], s.o_weight[org], n_units)
    ente_ach = _wmean(np.zeros(int((s.o_level == 0).sum()), dtype=np.int64), ach_o[s.o_level == 0],
                      s.o_weight[s.o_level == 0], 1)[0]
    ind = s.o_level == INDIVIDUALE
    who, where_ = np.unique(s.o_person[ind], return_inverse=True)  # the few people with own objectives
    person_ach = np.full(n, -1, dtype=np.int64)
    person_ach[who] = _wmean(where_, ach_o[ind], s.o_weight[ind], len(who))
    # ancestor of every unit at every level
    anc = np.full((len(LEVELS), n_units), -1, dtype=np.int64)
    cur = np.arange(n_units)
    for _ in range(len(LEVELS)):
        ok = cur >= 0
        lv = np.where(ok, s.unit_level[np.maximum(cur, 0)], -1)
        for k in range(len(LEVELS)):
            set_ = ok & (lv == k) & (anc[k] < 0)
            anc[k, set_] = cur[set_]
        cur = np.where(ok, s.unit_parent[np.maximum(cur, 0)], -1)

    # -- individual: results per (role, unit) table + individual objectives per person
    table = np.zeros((len(ROLES), n_units), dtype=np.int64)
    indiv_max = np.zeros(len(ROLES), dtype=np.int64)
    for r, comps in COMPONENTS.items():
        for level, mx in comps:
            if level == INDIVIDUALE:
                indiv_max[r] = mx
                continue
            if level == 0:
                a = np.full(n_units, ente_ach)
            else:
                at = anc[level]
                a = np.where(at >= 0, unit_ach[np.maximum(at, 0)], -1)
            table[r] += np.where(a >= 0, _half_up(np.maximum(a, 0) * mx, 100), 0)
    results = table[s.role, s.unit]
    lead = np.flatnonzero(indiv_max[s.role] > 0)
    results[lead] += _half_up(np.maximum(person_ach[lead], 0) * indiv_max[s.role[lead]], 100)
    behaviour = _group_sum(s.b_person, s.b_score, n)
    total = results + behaviour
    negative = behaviour < NEGATIVE_BELOW[s.role]

    # -- payout: factor (in 1/10000) from the curve, coefficient as cn/cd per row
    f = np.where(total > 9_000, 10_000, np.where(total > 6_000, total, 0))
    neutral = NEUTRAL[s.a_type]
    days = s.presence + _group_sum(s.a_person[neutral], s.a_days[neutral], n)
    g = int(np.gcd(np.gcd.reduce(s.part_time), 1_000_000))  # part_time = pt/ptd, reduced by the column gcd
    pt, ptd = s.part_time // g, 1_000_000 // g
    dip = s.role == DIP
    cd_p = 100 * 250 * ptd  # presence_days × part_time / 250 = days·pt / (100·250·ptd)
    cn = np.where(dip, np.minimum(days * pt, cd_p), s.time_coef)  # dipendenti × time_coef too (profile: a product), 1 in these data
    cd = np.where(dip, cd_p, 1_000_000)
    # theoretical: given, else category; dirigenza pool split by largest remainder
    theo = np.where(s.theo_missing, s.cat_amount[np.maximum(s.category, 0)], s.theo)
    pool = s.resources["risultato_dirigenza"]
    sgs, dirs = np.flatnonzero(s.role == SG), np.flatnonzero(s.role == DIR)
    shares = [Fraction(pool * 60, 100 * len(sgs))] * len(sgs) + [Fraction(pool * 40, 100 * len(dirs))] * len(dirs)
    floors = [sh.numerator // sh.denominator for sh in shares]
    left = int(sum(shares, Fraction(0))) - sum(floors)
    for i in sorted(range(len(shares)), key=lambda i: (floors[i] - shares[i], i))[:left]:
        floors[i] += 1
    theo[np.concatenate([sgs, dirs])] = floors
    x = theo * f
    # row-wise bound in float64 (relative error ~1e-16, far inside the factor-2 margin)
    if float((x * cn.astype(np.float64)).max()) * 2 + 10_000 * float(cd.max()) < _I62:
        premium = _half_up(x * cn, 10_000 * cd)
    else:  # not provably inside int64: exact Python integers
        premium = np.array([(2 * int(a) * int(b) + 10_000 * int(c)) // (20_000 * int(c))
                            for a, b, c in zip(x, cn, cd)], dtype=np.int64)

    # -- art. 81 maggiorazione: dipendenti with total > 60, best 40%, ties at the cut left out
    eligible = dip & (total > 6_000)
    el = int(np.count_nonzero(eligible))
    quota = 40 * el // 100
    t_el = total[eligible]
    if quota >= el:
        winners = eligible
    elif quota == 0:
        winners = np.zeros(n, dtype=bool)
    else:
        counts = np.bincount(t_el, minlength=10_001)
        at_least = np.cumsum(counts[::-1])[::-1]  # at_least[v] = how many have total ≥ v
        cut = int(np.flatnonzero(at_least >= quota)[-1])  # the quota-th best total
        winners = eligible & ((total > cut) if at_least[cut] > quota else (total >= cut))
    take = int(np.count_nonzero(winners))
    amount = 0
    if take:
        amount = int(_half_up(2 * int(premium[eligible].sum()), 5 * el))  # 0.40 × mean, in cents
        if amount * take > s.resources["maggiorazione"]:
            amount = s.resources["maggiorazione"] // take
    magg = np.where(winners, amount, 0)
    return {"total": total, "behaviour": behaviour, "negative": negative, "theoretical": theo,
            "premium": premium, "maggiorazione": magg}


# ====================================================================== the engine

def engine_evaluate(profile, dataset):
    from smvp_engine.pipeline import evaluate

    return evaluate(profile, dataset, year=YEAR)


def engine_columns(ev) -> dict[str, np.ndarray]:
    ind, pay = ev.individual, ev.payout
    return {"total": ind.total, "behaviour": ind.behaviour, "negative": ind.negative & ind.scored,
            "theoretical": pay.theoretical, "premium": pay.premium, "maggiorazione": pay.maggiorazione}


def compare(engine: dict[str, np.ndarray], hand: dict[str, np.ndarray], person_ids=None) -> list[str]:
    """Per-person differences between the two implementations (empty when identical)."""
    problems = []
    for key, want in hand.items():
        got = np.asarray(engine[key])
        bad = np.flatnonzero(got != want)
        if bad.size:
            who = [person_ids[i] if person_ids is not None else int(i) for i in bad[:5]]
            problems.append(f"{key}: {bad.size} people differ, e.g. {who}: engine {got[bad[:5]].tolist()} "
                            f"numpy {np.asarray(want)[bad[:5]].tolist()}")
    return problems


def load_profile():
    from smvp_engine.profile import load_profile as lp

    return lp(PROFILE)


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def stage_times(profile, dataset, repeat: int) -> dict[str, float]:
    """Best time of each pipeline stage on its own (same calls as smvp_engine.pipeline.evaluate);
    "organisational" is ``organisational()`` and the Ente's ``performance()`` that follows it."""
    from smvp_engine.checks import check_dataset
    from smvp_engine.individual import individual
    from smvp_engine.organisational import organisational, performance
    from smvp_engine.payout import payout

    rules = profile.for_year(YEAR)
    more = max(repeat, 5)  # the per-person stages vary with the memory the process already holds
    t = {}
    t["checks"], _ = _best(lambda: check_dataset(rules, dataset, profile), more)
    t["organisational"], org = _best(lambda: _organisational(rules, dataset, organisational, performance), more)
    t["individual"], ind = _best(lambda: individual(rules, dataset, org), more)
    t["payout"], _ = _best(lambda: payout(rules, dataset, ind), more)
    return t


def _organisational(rules, dataset, organisational, performance):
    org = organisational(rules, dataset)
    performance(rules, dataset, org)
    return org


def run(sizes, repeat: int, stages: bool = True, offices: int | None = None):
    """Generate, check agreement, then time both implementations at each size."""
    profile = load_profile()
    rows, breakdown = [], {}
    for n in sizes:
        row, stage = _measure(profile, n, repeat, stages, offices)
        rows.append(row)
        if stage:
            breakdown[n] = stage
        print(f"  n={n:>9,}: engine {row['engine']:.3f} s, numpy {row['numpy']:.3f} s, × {row['ratio']:.2f} "
              f"(exact: all {n:,} totals, premiums, maggiorazioni equal)", file=sys.stderr)
    return rows, breakdown


def _measure(profile, n: int, repeat: int, stages: bool, offices: int | None):
    s = generate(n, offices=offices)
    ds = build_dataset(s)
    hand = numpy_evaluate(s)
    problems = compare(engine_columns(engine_evaluate(profile, ds)), hand, s.person_ids)
    assert not problems, f"engine and numpy differ at n={n}:\n" + "\n".join(problems)
    # interleave the two so that neither benefits from a warmer machine
    t_np, t_en = float("inf"), float("inf")
    for _ in range(repeat):
        t_np = min(t_np, _best(lambda: numpy_evaluate(s), 1)[0])
        t_en = min(t_en, _best(lambda: engine_evaluate(profile, ds), 1)[0])
    row = {"size": n, "engine": t_en, "numpy": t_np, "ratio": t_en / t_np,
           "uffici": int(np.count_nonzero(s.unit_level == 3)), "objectives": len(s.o_level),
           "indicators": len(s.i_obj), "magg": int(np.count_nonzero(hand["maggiorazione"]))}
    return row, (stage_times(profile, ds, repeat) if stages else None)


def table_md(rows) -> str:
    out = ["| staff | uffici / objectives / indicators | engine s | numpy s | engine rows/s | numpy rows/s | × numpy |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['size']:,} | {r['uffici']:,} / {r['objectives']:,} / {r['indicators']:,} | {r['engine']:.3f} | "
                   f"{r['numpy']:.3f} | {_rate(r['size'] / r['engine'])} | {_rate(r['size'] / r['numpy'])} | "
                   f"{r['ratio']:.2f} |")
    return "\n".join(out)


def stages_md(breakdown, rows) -> str:
    if not breakdown:
        return ""
    numpy_s = {r["size"]: r["numpy"] for r in rows}
    out = [("| staff | checks s | organisational s | individual s | payout s | all but organisational s | "
            "that × numpy |"), "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, t in breakdown.items():
        rest = t["checks"] + t["individual"] + t["payout"]
        out.append(f"| {n:,} | {t['checks']:.3f} | {t['organisational']:.3f} | {t['individual']:.3f} | "
                   f"{t['payout']:.3f} | {rest:.3f} | {rest / numpy_s[n]:.2f} |")
    return "\n".join(out)


def _rate(x: float) -> str:
    return f"{x / 1e6:.1f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, numpy {np.__version__}, "
            f"{platform.system()} {platform.machine()}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--offices", type=int, default=None, help="number of uffici (default: staff // 50)")
    ap.add_argument("--no-stages", action="store_true", help="skip the per-stage breakdown")
    ap.add_argument("--results", help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    rows, breakdown = run(args.sizes, args.repeat, stages=not args.no_stages, offices=args.offices)
    text, stages = table_md(rows), stages_md(breakdown, rows)
    print(text)
    if stages:
        print()
        print(stages)
    if args.results:
        cmd = "python benchmarks/bench_cuneo.py " + " ".join(argv if argv is not None else sys.argv[1:])
        Path(args.results).write_text(_results_doc(cmd.strip(), text, stages), encoding="utf-8")
    return 0


def _results_doc(cmd: str, table: str, stages: str) -> str:
    return f"""## `{cmd}`

Machine: {_machine()}.

{table}

Engine stages on their own (best of at least 5 runs; organisational includes the Ente's performance()):

{stages}
"""


if __name__ == "__main__":
    raise SystemExit(main())
