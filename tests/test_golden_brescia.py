"""Golden cases for the Brescia profile, hand-computed from the source documents.

Every folder under ``tests/golden/brescia/`` holding an ``expected.yaml`` is one case: a
dataset (docs/design.md, "Dataset format") plus the numbers worked out by hand, with the
arithmetic written beside each of them. ``expected.yaml`` keys:

* ``inherit: {case, tables}``: tables taken from another case;
  the case's own files win;
* ``profile_patch: {old: new}``: text replaced in ``chambers/brescia.yaml`` for this case;
* ``people.<id>.<field>`` against ``ev.rows()`` (``reported``: ``{component: percent or null}``); ``objectives.<id>`` (achievement) and
  ``measured.<id>`` against ``ev.objectives()`` / ``ev.ente()["measured"]``;
  ``units.<unit_id>`` against ``ev.units()``; ``ente`` against ``ev.ente()``;
  ``funds.<fund>.<field>`` against ``ev.funds()``; ``reductions.<fund>`` against
  ``ev.ente()["reductions"]`` (``{}``: none); ``projects`` against ``ev.projects()``;
  ``notes`` must be in ``ev.notes``;
* ``errors``: the evaluation must fail, each fragment in the messages; ``absent``: fragments
  that must not be in them.

"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from smvp_engine.dataset import load_dataset
from smvp_engine.errors import SmvpErrors
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "chambers" / "brescia.yaml"
GOLDEN = REPO / "tests" / "golden" / "brescia"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "expected.yaml").is_file())


def _expected(case: str) -> dict[str, Any]:
    return yaml.safe_load((GOLDEN / case / "expected.yaml").read_text(encoding="utf-8"))


def _source(case: str, table: str) -> Path | None:
    """The file of ``table`` for ``case``: its own, else the one it inherits (recursively)."""
    own = GOLDEN / case / f"{table}.csv"
    if own.is_file():
        return own
    inh = _expected(case).get("inherit") or {}
    if table in inh.get("tables", []):
        return _source(inh["case"], table)
    return None


def _assemble(case: str, into: Path) -> Path:
    """The case's files, with the inherited ones, in ``into``."""
    inh = _expected(case).get("inherit") or {}
    tables = {str(p.relative_to(GOLDEN / case))[:-4] for p in (GOLDEN / case).rglob("*.csv")}
    tables |= set(inh.get("tables", []))
    for t in sorted(tables):
        src = _source(case, t)
        assert src is not None, f"case {case}: inherited table {t} not found in case {inh.get('case')}"
        (into / t).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, into / f"{t}.csv")
    return into


def _profile(case: str):
    patch = _expected(case).get("profile_patch") or {}
    text = PROFILE.read_text(encoding="utf-8")
    for old, new in patch.items():
        assert old in text, f"case {case}: profile_patch {old!r} not in the profile"
        text = text.replace(old, new)
    return load_profile(PROFILE, text=text)


def _run(case: str, tmp_path: Path):
    folder = _assemble(case, tmp_path / case)
    ds = load_dataset(folder)
    return evaluate(_profile(case), ds, year=_expected(case)["year"])


def _d(x) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _same(want, got) -> bool:
    if want is None:
        return got is None
    return isinstance(got, Decimal) and Decimal(str(want)) == got


@pytest.mark.parametrize("case", CASES)
def test_golden_brescia(case: str, tmp_path: Path) -> None:
    exp = _expected(case)
    if "errors" in exp:
        with pytest.raises(SmvpErrors) as info:
            _run(case, tmp_path)
        text = "\n".join(str(e) for e in info.value.errors)
        for fragment in exp["errors"]:
            assert fragment in text, f"case {case}: {fragment!r} not in:\n{text}"
        for fragment in exp.get("absent", []):
            assert fragment not in text, f"case {case}: {fragment!r} should not be in:\n{text}"
        return
    ev = _run(case, tmp_path)
    problems: list[str] = []

    def check(where: str, want, got) -> None:
        if isinstance(want, bool) or (isinstance(want, str) and not _is_number(want)):
            if want != got:
                problems.append(f"{where}: expected {want!r}, got {got!r}")
        elif not _same(want, got):
            problems.append(f"{where}: expected {want}, got {got!r}")

    rows = {r["person_id"]: r for r in ev.rows()}
    for pid, fields in (exp.get("people") or {}).items():
        for f, want in fields.items():
            if f == "reported":  # {component: percent or null}, exactly these components
                got = rows[pid]["reported"]
                if set(got) != set(want):
                    problems.append(f"person {pid} reported: components {sorted(got)} ≠ {sorted(want)}")
                for cid, w in want.items():
                    check(f"person {pid} reported {cid}", w, got.get(cid))
                continue
            check(f"person {pid} {f}", want, rows[pid][f])
    objs = {o["objective_id"]: o for o in ev.objectives()}
    for oid, want in (exp.get("objectives") or {}).items():
        check(f"objective {oid} achievement", want, objs[oid]["achievement"])
    ente = ev.ente()
    for oid, want in (exp.get("measured") or {}).items():
        check(f"objective {oid} measured", want, ente["measured"].get(oid))
    for k, want in (exp.get("ente") or {}).items():
        check(f"ente {k}", want, ente[k])
    units = {u["unit_id"]: u for u in ev.units()}
    for uid, want in (exp.get("units") or {}).items():
        check(f"unit {uid}", want, units[uid]["achievement"])
    funds = {f["fund"]: f for f in ev.funds()}
    for fid, fields in (exp.get("funds") or {}).items():
        for k, want in fields.items():
            check(f"fund {fid} {k}", want, funds[fid][k])
    if "reductions" in exp:
        got = {r["fund"]: r for r in ente["reductions"]}
        if set(got) != set(exp["reductions"]):
            problems.append(f"reductions: expected funds {sorted(exp['reductions'])}, got {sorted(got)}")
        for fid, fields in exp["reductions"].items():
            for k, want in fields.items():
                check(f"reduction {fid} {k}", want, got.get(fid, {}).get(k))
    pv = exp.get("projects")
    if pv:
        got = ev.projects()
        assert got is not None, f"case {case}: no project valuation"
        gf = {f["fund"]: f for f in got["funds"]}
        for fid, fields in (pv.get("funds") or {}).items():
            for k, want in fields.items():
                if k == "allocation":
                    alloc = {a["unit_id"]: a["amount"] for a in gf[fid]["allocation"]}
                    if set(alloc) != set(want):
                        problems.append(f"fund {fid} allocation: units {sorted(alloc)} ≠ {sorted(want)}")
                    for u, w in want.items():
                        check(f"fund {fid} allocation {u}", w, alloc.get(u))
                    total = sum(alloc.values(), Decimal(0))
                    if total != gf[fid]["total"]:
                        problems.append(f"fund {fid}: allocation adds up to {total}, not {gf[fid]['total']}")
                else:
                    check(f"fund {fid} {k}", want, gf[fid][k])
        gp = {p["objective_id"]: p for p in got["projects"]}
        for oid, values in (pv.get("projects") or {}).items():
            if set(values) != set(gp[oid]["values"]):  # the funds that finance it, exactly
                problems.append(f"project {oid}: valued for {sorted(gp[oid]['values'])}, expected {sorted(values)}")
                continue
            for fid, want in values.items():
                check(f"project {oid} {fid}", want, gp[oid]["values"][fid])
        gg = {g["objective_id"]: g for g in got["weight_gaps"]}
        for oid, want in (pv.get("weight_gaps") or {}).items():
            check(f"weight gap {oid}", want, gg[oid]["gap"])
            if not gg[oid]["ok"]:
                problems.append(f"weight gap {oid}: not ok")
    for note in exp.get("notes") or []:
        if note not in ev.notes:
            problems.append(f"note {note!r} not in {list(ev.notes)}")
    assert not problems, f"case {case}:\n" + "\n".join(problems)


def _is_number(s: str) -> bool:
    try:
        Decimal(s)
    except ArithmeticError:
        return False
    return True


def test_expected_files_are_consistent() -> None:
    """The allocations in expected.yaml add up to the totals, and inherited cases exist."""
    for case in CASES:
        exp = _expected(case)
        if exp.get("inherit"):
            assert exp["inherit"]["case"] in CASES, case
        for fid, f in ((exp.get("projects") or {}).get("funds") or {}).items():
            if "allocation" in f and "total" in f:
                assert sum(Decimal(v) for v in f["allocation"].values()) == Decimal(f["total"]), (case, fid)


# ---------------------------------------------------------------- the profile itself

def test_profile_records_the_printed_ottimo_band_and_its_reading() -> None:
    profile = load_profile(PROFILE)
    rules = profile.for_year(2021)
    bands = rules.judgements["valutazione_finale"].bands
    assert [(b.id, b.printed, b.interval.text) for b in bands] == [
        ("non_soddisfacente", "1 – 25", "[0, 26)"),
        ("sufficiente", "26 – 40", "[26, 41)"),
        ("discreto", "41 – 55", "[41, 56)"),
        ("buono", "56 – 70", "[56, 71)"),
        ("ottimo", "71 – 85", "[71, 86)"),
        ("eccellente", "86 – 100", "[86, 100]"),
    ]
    raw = profile.data["judgements"]["valutazione_finale"]
    ottimo = next(b for b in raw["bands"] if b["id"] == "ottimo")
    assert ottimo["erratum"]["printed"] == "51 – 85" and "Discreto" in ottimo["erratum"]["reading"]["en"]
    assert "70.5" in raw["integer_ranges"]["reading"]["en"] and "70,5" in raw["integer_ranges"]["reading"]["it"]


def test_profile_roles_and_undefined_rules() -> None:
    profile = load_profile(PROFILE)
    rules = profile.for_year(2021)
    assert set(rules.roles) == {"segretario_generale", "dirigente", "posizione_organizzativa", "dipendente"}
    assert rules.roles["dipendente"].scorable and rules.roles["dipendente"].per_person_scale
    assert not any(rules.roles[r].scorable for r in ("segretario_generale", "dirigente", "posizione_organizzativa"))
    po = rules.roles["posizione_organizzativa"]
    assert [f.id for f in po.factors] == ["autonomia_decisionale", "realizzazione_obiettivi",
                                          "qualita_apporto_personale", "comportamento_organizzativo"]
    pv = rules.project_valuation
    assert {k: int(v.coefficient) for k, v in pv.relevance.items()} == {"bassa": 1, "media": 3, "alta": 5}
    assert (pv.funds["dirigenti"].percent_per_point, pv.funds["dipendenti"].percent_per_point) == (2, 1)
    assert pv.bounds.text == "[25, 50]" and pv.bounds_per == "combined" and pv.max_weight_gap == 20
    assert pv.financing_default == ("dirigenti", "dipendenti")
    # conciliation: no day limits in the document
    steps = profile.data["conciliation"]["steps"]
    assert all(s["days"] is None for s in steps.values())
    assert "rappresentante sindacale" in steps["ricorso_segretario_generale"]["note"]["it"]


def test_every_rule_cites_a_declared_source() -> None:
    profile = load_profile(PROFILE)
    docs = set(profile.data["documents"])
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("source"), dict):
                found.append(node["source"]["document"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(profile.data)
    assert found and set(found) <= docs


def test_sample_dataset_evaluates() -> None:
    """``smvp evaluate --chamber brescia`` works on the bundled sample, project valuation included."""
    profile = load_profile(PROFILE)
    ds = load_dataset(REPO / "chambers" / "data" / "brescia" / "2021")
    ev = evaluate(profile, ds)
    ente = ev.ente()
    assert ente["final"] is not None and {a["objective_id"] for a in ente["areas"]} == {"1", "2", "3"}
    assert not any("projects table" in n for n in ev.notes)
    assert ev.projects() is not None


# ---------------------------------------------------------------- smvp diff of the readings (issue 12 §3)

def test_diff_of_the_readings_is_the_golden_file(monkeypatch) -> None:
    """What changed and for whom: `smvp diff old.yaml new.yaml --impact data` (tests/golden/readings/brescia_2021);
    the project valuation does not move, its money is shown."""
    from tests.readings_support import assert_diff_is_golden

    case = "tests/golden/readings/brescia_2021"
    assert_diff_is_golden(monkeypatch, "brescia_2021", f"{case}/old.yaml", f"{case}/new.yaml",
                          "--impact", f"{case}/data")


def test_diff_impact_shows_the_project_money_per_project_and_person(monkeypatch) -> None:
    """A change that touches projects: the yearly unit value (§5.2 «Ogni anno viene stabilito il valore
    unitario per punto di coefficiente») of the dipendenti's fund 1 % → 1.2 % of its stable resources:
    money per fund, project, Area and person, worked out by hand in tests/golden/readings/brescia_2021/README.md."""
    from tests.readings_support import assert_diff_is_golden

    case = "tests/golden/readings/brescia_2021"
    assert_diff_is_golden(monkeypatch, "brescia_2021", f"{case}/new.yaml",
                          "--set", "project_valuation.funds.dipendenti.percent_per_point=1.2",
                          "--impact", f"{case}/data", name="expected_unit_value.txt")



def test_profile_checks_counts_false_and_financing() -> None:
    """A reported component cannot also carry points; financing.default names valued funds."""
    from smvp_engine.errors import ProfileErrors

    text = PROFILE.read_text(encoding="utf-8")
    bad = text.replace("          counts: false\n", "          counts: false\n          max: 10\n", 1)
    with pytest.raises(ProfileErrors, match="counts: false .* and a 'max'"):
        load_profile(PROFILE, text=bad)
    bad = text.replace("    default: [dirigenti, dipendenti]\n", "    default: [dirigenti, dipendent]\n", 1)
    with pytest.raises(ProfileErrors, match="unknown valued fund 'dipendent'; did you mean 'dipendenti'"):
        load_profile(PROFILE, text=bad)


def test_diff_json_carries_the_project_impact(monkeypatch) -> None:
    """`smvp diff --json`: impact.projects per fund, project, unit and person (exact decimal strings)."""
    import json

    from tests.readings_support import diff_lines

    case = "tests/golden/readings/brescia_2021"
    doc = json.loads("\n".join(diff_lines(monkeypatch, f"{case}/new.yaml", "--set",
                                          "project_valuation.funds.dipendenti.percent_per_point=1.2",
                                          "--impact", f"{case}/data", "--json")))
    pj = doc["impact"]["projects"]
    assert pj["changed"] is True
    dip = next(f for f in pj["funds"] if f["fund"] == "dipendenti")
    assert (dip["unit_value_old"], dip["unit_value_new"], dip["total_delta"]) == ("4123.46", "4948.15", "23916.01")
    v = {(p["objective_id"], p["fund"]): p for p in pj["projects"]}
    assert (v["1.1", "dipendenti"]["value_new"], v["1.1", "dipendenti"]["delta"]) == ("24740.75", "4123.45")
    assert v["3.2", "dirigenti"]["delta"] == "0.00" and ("3.2", "dipendenti") not in v  # financed by the dirigenti only
    units = {(u["fund"], u["unit_id"]): u["amount_new"] for u in pj["units"]}
    assert units["dipendenti", "AMM"] == "55190.91" and units["dipendenti", "ANA"] == "44152.72"
    people = {(p["fund"], p["person_id"]): p for p in pj["people"]}
    assert people["dipendenti", "P04"]["amount_new"] == "11038.19" and people["dipendenti", "P10"]["delta"] == "1839.70"
    assert ("dipendenti", "P17") not in people  # in no Area: not allocated
    assert sum(Decimal(p["amount_new"]) for (f, _), p in people.items() if f == "dipendenti") == Decimal("143496.35")
    assert people["dirigenti", "P01"]["amount_new"] == people["dirigenti", "P01"]["amount_old"]
