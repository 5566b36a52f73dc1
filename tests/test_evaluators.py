"""Who evaluates whom: each role's ``evaluator.by_role`` / ``scope`` in the profile
(docs/profile.md, roles), read in one place (``smvp.app.visibility.evaluatees``) by the API's
runs, people and score sheets.

Per chamber, on the demo deployment (a tenant per bundled chamber, its sample year
evaluated), the people a valutatore sees are written out by hand from the chamber's
document and the sample data's staff and units — not computed by the rule under test:

* Cremona (SMVP 2021, Cap. 5 §5.1): the Segretario by the Giunta on the OIV's proposal
  (nobody here); the Dirigenti by the Segretario generale; P.O. and the other staff by
  the Dirigenti responsabili of their units.
* Brescia (SMVP 2021, §4.3): the Segretario by the Presidente; the Dirigenti and the P.O.
  by the Segretario Generale; the other staff by the dirigente of their Area — the
  Segretario Generale for the Area Amministrativa (Appendice, scheda d)).
* Cuneo (SMVP 2024, §3.1, §3.3): the Segretario generale by the Giunta; the Dirigente by
  the Segretario generale; E.Q. and the other staff by the dirigente responsible for their
  units — the Segretario generale for AREA1, which they head in the sample data.
* Lucca (Ciclo 2011, §5): the Segretario Generale by the OIV/Giunta; the Dirigenti by the
  Segretario Generale; P.O. and dipendenti by the Dirigente of their Area.

A valutatore sees the people they evaluate and themself; anyone else of the run is 404, and
a score sheet of someone they do not evaluate is 404 too.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from smvp.app import accounts
from smvp.app.visibility import evaluatees
from smvp.service.app import create_app, demo

PW = "evaluators-pw-1"


def _ids(prefix: str, numbers, width: int = 3) -> set[str]:
    return {f"{prefix}{n:0{width}d}" for n in numbers}


#: chamber → valutatore's person id → the people they evaluate (hand-written, module doc)
EXPECTED: dict[str, dict[str, set[str]]] = {
    "cremona": {
        "P001": {"P002", "P003"},                               # the two Dirigenti
        "P002": {"P004", "P006", "P007", "P008", "P009"},       # AREA_AG: SERV_RI, SERV_RM
        "P003": {"P005", "P010", "P011"},                       # AREA_PR: SERV_PE, SERV_AC
    },
    "brescia": {
        # Dirigenti P02-P03, every P.O. P04-P07, the dipendenti of AMM (P08-P11)
        "P01": _ids("P", range(2, 12), 2),
        "P02": _ids("P", range(12, 17), 2),                     # ANA's dipendenti
        "P03": _ids("P", range(17, 20), 2),                     # PROM's dipendenti
    },
    "cuneo": {
        "P001": {"P002"} | _ids("P", range(3, 7)) | _ids("P", range(11, 46)),  # + AREA1
        "P002": _ids("P", range(7, 11)) | _ids("P", range(46, 81)),            # AREA2
    },
    "lucca": {
        "L001": {"L002", "L003", "L004"},
        "L002": {"L005", "L007", "L008"},                       # AREA_ANA
        "L003": {"L009"},                                       # AREA_PRO
        "L004": {"L006", "L010"},                               # AREA_AMM
    },
}


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('evaluators') / 'smvp.db'}",
                     secret="test-secret")
    engine = app.state.engine
    demo(engine, password=PW)
    for chamber, valutatori in EXPECTED.items():
        for person in valutatori:
            name = f"{chamber}-val-{person}"
            accounts.add_user(engine, name, PW)
            accounts.grant(engine, name, chamber, "valutatore", person_id=person)
    client = TestClient(app)
    yield client
    client.close()
    engine.dispose()


def _auth(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/login", json={"username": username, "password": PW})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


CASES = [(c, p) for c, people in EXPECTED.items() for p in people]


@pytest.mark.parametrize(("chamber", "person"), CASES)
def test_a_valutatore_sees_and_scores_whom_the_profile_says(svc, chamber, person):
    c = svc
    admin = _auth(c, f"{chamber}-amministratore")
    base = f"/api/tenants/{chamber}"
    run = c.get(f"{base}/runs", headers=admin).json()[-1]["id"]
    everyone = {r["person_id"] for r in c.get(f"{base}/runs/{run}", headers=admin)
                .json()["results"]}
    mine = EXPECTED[chamber][person]
    assert mine < everyone and person in everyone

    h = _auth(c, f"{chamber}-val-{person}")
    seen = {r["person_id"] for r in c.get(f"{base}/runs/{run}", headers=h).json()["results"]}
    assert seen == mine | {person}
    for other in sorted(everyone - mine - {person}):
        r = c.get(f"{base}/runs/{run}/people/{other}", headers=h)
        assert r.status_code == 404, (other, r.status_code)
    for p in sorted(mine)[:3]:
        assert c.get(f"{base}/runs/{run}/people/{p}", headers=h).status_code == 200

    ds = c.get(f"{base}/scores", headers=h).json()[0]["id"]
    sheets = {s["person_id"] for s in c.get(f"{base}/scores/{ds}", headers=h).json()["people"]}
    assert sheets == mine  # the sheets they fill in: never their own
    stranger = sorted(everyone - mine)[0]
    r = c.put(f"{base}/scores/{ds}/{stranger}", headers=h, json={"scores": {}})
    assert r.status_code == 404, r.text
    r = c.put(f"{base}/scores/{ds}/{sorted(mine)[0]}", headers=h, json={"scores": {}})
    # theirs: edited (200), or refused for a role whose factors the source leaves undefined
    assert r.status_code in (200, 422), r.text


def test_brescias_staff_of_the_segreteria_has_no_valutatore_here(svc):
    """P20 works in SEG, the Segretario Generale's staff office directly under the Chamber:
    no dirigente nor the Segretario Generale (who sits in AMM) heads it or a unit above it,
    so no valutatore account sees them: their scores come with the upload."""
    assert not any("P20" in mine for mine in EXPECTED["brescia"].values())
    c = svc
    h = _auth(c, "brescia-val-P01")
    run = c.get("/api/tenants/brescia/runs", headers=h).json()[-1]["id"]
    assert c.get(f"/api/tenants/brescia/runs/{run}/people/P20", headers=h).status_code == 404


# --------------------------------------------------------------------------- the rule itself

R = SimpleNamespace  # an EvaluatorRule's shape: by_roles, scope

#: ENTE ─ A (head: dir1) ─ A1 (head: dir2) ─ A1x (emp3)
#:      │                └ (emp2 in A1)
#:      │ (emp1 in A)
#:      └ B (dir3, emp4)
PARENT = {"ENTE": None, "A": "ENTE", "A1": "A", "A1x": "A1", "B": "ENTE"}
STAFF = {
    "sg": {"role": "sg", "unit_id": "ENTE"},
    "dir1": {"role": "dir", "unit_id": "A"},
    "dir2": {"role": "dir", "unit_id": "A1"},
    "dir3": {"role": "dir", "unit_id": "B"},
    "emp1": {"role": "emp", "unit_id": "A"},
    "emp2": {"role": "emp", "unit_id": "A1"},
    "emp3": {"role": "emp", "unit_id": "A1x"},
    "emp4": {"role": "emp", "unit_id": "B"},
}


@pytest.mark.parametrize(("scope", "who", "expected"), [
    ("own_unit", "dir1", {"emp1"}),
    ("own_unit", "dir2", {"emp2"}),
    ("unit_tree", "dir1", {"emp1", "emp2", "emp3"}),
    ("unit_tree", "dir2", {"emp2", "emp3"}),
    ("head", "dir1", {"emp1"}),            # A1's people have a nearer head: dir2
    ("head", "dir2", {"emp2", "emp3"}),
    ("head", "dir3", {"emp4"}),
    ("ente", "dir3", {"emp1", "emp2", "emp3", "emp4"}),
    ("external", "dir1", set()),
])
def test_each_scope(scope, who, expected):
    rules = {"emp": R(by_roles=() if scope == "external" else ("dir",), scope=scope),
             "dir": R(by_roles=("sg",), scope="ente"), "sg": R(by_roles=(), scope="external")}
    assert evaluatees(STAFF, PARENT, rules, {who}) == expected
    assert evaluatees(STAFF, PARENT, rules, {"sg"}) == {"dir1", "dir2", "dir3"}


def test_without_a_rule_the_people_of_the_own_unit_and_below():
    """The default when the profile says neither by_role nor scope (docs/profile.md)."""
    assert evaluatees(STAFF, PARENT, {}, {"dir1"}) == {"emp1", "dir2", "emp2", "emp3"}
    assert evaluatees(STAFF, PARENT, {}, {"sg"}) == set(STAFF) - {"sg"}


def test_a_role_the_valutatore_does_not_hold_evaluates_nobody():
    rules = {"emp": R(by_roles=("dir",), scope="ente")}
    # no rule for dir and sg: the default (emp1's unit A and below), never a fellow emp
    assert evaluatees(STAFF, PARENT, rules, {"emp1"}) == {"dir1", "dir2"}
    assert evaluatees(STAFF, PARENT, {"emp": rules["emp"], "dir": R(by_roles=("sg",),
                      scope="ente"), "sg": R(by_roles=(), scope="external")}, {"emp1"}) == set()
