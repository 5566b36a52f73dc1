"""Behaviour scores entered by the valutatore (smvp.app.scores, /api/tenants/{t}/scores), on
SQLite and on a real PostgreSQL: who sees and edits which sheet, the factor's scale, draft
then final, the motivation of a negative judgement, the audit log, and the evaluation
that uses the final scores.

Tenant A is Cuneo 2024 (sample data): the valutatore is P001, the Segretario generale
(unit AREA1), who evaluates, as cuneo.yaml's evaluator rules say, the dirigente P002 and the
people of AREA1 and its sub-units (P003–P006, P011–P045), not themselves nor AREA2.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smvp import store
from smvp.app import accounts, uploads
from smvp.service.app import _zip_folder, create_app

PW = "scores-password-1"
ROOT = Path(__file__).resolve().parents[1]
CHAMBERS = ROOT / "chambers"


def _tenant(engine: Any, slug: str, data: Path) -> int:
    t = store.tenants.create_tenant(engine, slug)
    scoped = store.scoped(engine, int(t.id or 0))
    pv = uploads.add_profile_version(scoped, text=(CHAMBERS / f"{slug}.yaml").read_text("utf-8"),
                                     filename=f"{slug}.yaml", user=None)
    got = uploads.add_dataset(scoped, data=_zip_folder(data), filename=f"{slug}.zip",
                              version_id=pv.id, year=None, user=None)
    return int(got.upload.id or 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def svc(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scores') / 'smvp.db'}"
    else:
        from tests.conftest import new_pg_database

        url = new_pg_database(request.getfixturevalue("pg_server"))
    app = create_app(url, secret="test-secret")
    engine = app.state.engine
    ids = {"cuneo": _tenant(engine, "cuneo", CHAMBERS / "data" / "cuneo" / "2024"),
           "brescia": _tenant(engine, "brescia", CHAMBERS / "data" / "brescia" / "2021")}
    users = {"val": ("cuneo", "valutatore", "P001"), "val2": ("cuneo", "valutatore", "P002"),
             "adm": ("cuneo", "amministratore", None), "oiv": ("cuneo", "oiv", None),
             "dip": ("cuneo", "dipendente", "P012"), "bval": ("brescia", "valutatore", "P001")}
    for name, (tenant, role, person) in users.items():
        accounts.add_user(engine, name, PW)
        accounts.grant(engine, name, tenant, role, person_id=person)
    client = TestClient(app)
    yield app, client, ids
    client.close()
    engine.dispose()


def auth(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/login", json={"username": username, "password": PW})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def url(ds: int, person: str = "", tail: str = "") -> str:
    return f"/api/tenants/cuneo/scores/{ds}" + (f"/{person}" if person else "") + tail


def audit(client: TestClient) -> list[dict[str, Any]]:
    return client.get("/api/tenants/cuneo/audit?limit=1000", headers=auth(client, "oiv")).json()


# --------------------------------------------------------------------------- who sees whom


def test_a_valutatore_lists_the_people_the_profile_says_they_evaluate(svc):
    # cuneo.yaml, roles.*.evaluator (§3.1, §3.3): the Segretario generale P001 evaluates the
    # dirigente P002 (scope ente) and, heading AREA1, its E.Q. and dipendenti (scope head);
    # the dirigente P002 those of AREA2. Nobody evaluates themself.
    _app, c, ids = svc
    h = auth(c, "val")
    listing = c.get("/api/tenants/cuneo/scores", headers=h).json()
    assert [d["id"] for d in listing] == [ids["cuneo"]]
    people = [p["person_id"] for p in c.get(url(ids["cuneo"]), headers=h).json()["people"]]
    expected = [f"P{n:03d}" for n in [2, *range(3, 7), *range(11, 46)]]
    assert people == expected  # P002 and AREA1's people; not P001 themselves, not AREA2
    other = [p["person_id"] for p in c.get(url(ids["cuneo"]), headers=auth(c, "val2")).json()
             ["people"]]
    assert "P007" in other and not set(other) & set(expected) and "P002" not in other
    assert "P001" not in other  # the Segretario generale: the Giunta's (scope external)
    assert c.get(url(ids["cuneo"], "P002"), headers=auth(c, "val2")).status_code == 404
    assert c.get(url(ids["cuneo"], "P007"), headers=h).status_code == 404
    assert c.get(url(ids["cuneo"], "P001"), headers=h).status_code == 404
    everyone = c.get(url(ids["cuneo"]), headers=auth(c, "oiv")).json()["people"]
    assert len(everyone) == 80


def test_another_tenant_never_sees_the_sheets(svc):
    _app, c, ids = svc
    hb = auth(c, "bval")
    assert c.get(url(ids["cuneo"]), headers=hb).status_code == 404  # no role in cuneo
    h = auth(c, "val")  # A's valutatore asking A's endpoints for B's dataset
    for method, path, body in [("GET", url(ids["brescia"]), None),
                               ("GET", url(ids["brescia"], "P011"), None),
                               ("PUT", url(ids["brescia"], "P011"), {"scores": {}}),
                               ("POST", url(ids["brescia"], "P011", "/scheda"),
                                {"scheda_date": "2025-03-01"})]:
        r = c.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)


def test_only_the_valutatore_of_the_person_changes_scores(svc):
    _app, c, ids = svc
    body = {"scores": {"orientamento_utenza": 10}}
    assert c.put(url(ids["cuneo"], "P012"), headers=auth(c, "adm"), json=body).status_code == 403
    assert c.put(url(ids["cuneo"], "P012"), headers=auth(c, "dip"), json=body).status_code == 403
    assert c.put(url(ids["cuneo"], "P012"), headers=auth(c, "val2"), json=body).status_code == 404


# --------------------------------------------------------------------------- scales and states


def test_a_score_outside_the_scale_is_refused_naming_the_scale(svc):
    _app, c, ids = svc
    h = auth(c, "val")
    before = len(audit(c))
    r = c.put(url(ids["cuneo"], "P013"), headers=h,
              json={"scores": {"problem_solving_autonomia": 18, "orientamento_utenza": 20.5}})
    assert r.status_code == 422
    assert r.json()["detail"] == ("orientamento_utenza: 20.5 è fuori dalla scala 0–20 di "
                                  "«Orientamento all'utenza» (Dipendente)")
    fields = {"factor": "orientamento_utenza", "value": 20.5, "max": "20",
              "label": "Orientamento all'utenza", "role": "Dipendente"}
    assert r.json()["fields"] == fields
    r = c.put(url(ids["cuneo"], "P013"), headers=h, params={"lang": "en"},
              json={"scores": {"problem_solving_autonomia": 18, "orientamento_utenza": 20.5}})
    assert r.status_code == 422 and r.json()["fields"] == fields
    assert r.json()["detail"] == ("orientamento_utenza: 20.5 is outside the scale 0–20 of "
                                  "«Orientamento all'utenza» (Dipendente)")
    for bad, msg, english in [
            ({"cooperazione_team_working": -1}, "fuori dalla scala 0–15", "outside the scale 0–15"),
            ({"cooperazione_team_working": "12.345"}, "12.345 ha più di 2 decimali", "12.345 has more than 2 decimals"),
            ({"cooperazione_team_working": "molto"}, "atteso un numero di punti, trovato 'molto'",
             "expected a number of points, found 'molto'"),
            ({"capacita_direzionale": 3}, "non è un fattore di comportamento di Dipendente",
             "not a behaviour factor of Dipendente")]:
        r = c.put(url(ids["cuneo"], "P013"), headers=h, json={"scores": bad})
        assert r.status_code == 422 and msg in r.json()["detail"], (bad, r.text)
        r = c.put(url(ids["cuneo"], "P013"), headers=h, params={"lang": "en"}, json={"scores": bad})
        assert r.status_code == 422 and english in r.json()["detail"], (bad, r.text)
    sheet = c.get(url(ids["cuneo"], "P013"), headers=h).json()
    assert sheet["state"] == "uploaded" and not any(f["entered"] for f in sheet["factors"])
    assert len(audit(c)) == before  # nothing stored, nothing logged


def test_draft_then_final_then_refused(svc):
    _app, c, ids = svc
    h = auth(c, "val")
    r = c.put(url(ids["cuneo"], "P014"), headers=h, json={"scores": {"orientamento_utenza": 12}})
    assert r.status_code == 200 and r.json()["state"] == "draft"
    r = c.put(url(ids["cuneo"], "P014"), headers=h,
              json={"scores": {"orientamento_utenza": "13.5", "esecuzione_compiti": 11}})
    got = {f["id"]: f["score"] for f in r.json()["factors"]}
    assert got["orientamento_utenza"] == "13.5" and got["esecuzione_compiti"] == "11"
    # the dipendente does not see a draft, not even their own kind of sheet
    assert c.get(url(ids["cuneo"], "P014"), headers=auth(c, "dip")).status_code == 404
    r = c.post(url(ids["cuneo"], "P014", "/scheda"), headers=h, json={"scheda_date": "2025-03-03"})
    assert r.status_code == 201, r.text
    final = r.json()
    assert final["state"] == "final" and final["scheda_date"] == "2025-03-03"
    assert all(f["entered"] for f in final["factors"])  # every factor frozen on the sheet
    r = c.put(url(ids["cuneo"], "P014"), headers=h, json={"scores": {"orientamento_utenza": 1}})
    assert r.status_code == 409 and "la scheda di P014 è definitiva (datata 03/03/2025)" in r.json()["detail"]
    r = c.put(url(ids["cuneo"], "P014"), headers=h, params={"lang": "en"},
              json={"scores": {"orientamento_utenza": 1}})
    assert r.status_code == 409 and "the scheda of P014 is final (dated 03/03/2025)" in r.json()["detail"]
    assert r.json()["fields"] == {"person": "P014", "day": "2025-03-03"}
    r = c.post(url(ids["cuneo"], "P014", "/scheda"), headers=h, json={"scheda_date": "2025-04-01"})
    assert r.status_code == 409
    assert c.get(url(ids["cuneo"], "P014"), headers=h).json() == final
    log = [e for e in audit(c) if e["object_id"] == f"{ids['cuneo']}/P014"]
    assert [e["action"] for e in log] == ["score.final", "score.edit", "score.edit"]
    assert log[-1]["before"]["scores"] == {} and log[-1]["after"]["scores"] == {
        "orientamento_utenza": "12"}
    assert log[-2]["before"]["scores"] == {"orientamento_utenza": "12"}
    assert log[0]["user"] == "val" and log[0]["after"]["scheda_date"] == "2025-03-03"


def test_the_dipendente_sees_their_own_sheet_once_final(svc):
    _app, c, ids = svc
    h, hd = auth(c, "val"), auth(c, "dip")
    assert c.get(url(ids["cuneo"]), headers=hd).json()["people"] == []
    assert c.post(url(ids["cuneo"], "P012", "/scheda"), headers=h,
                  json={"scheda_date": "2025-03-04"}).status_code == 201
    assert [p["person_id"] for p in c.get(url(ids["cuneo"]), headers=hd).json()["people"]] \
        == ["P012"]
    assert c.get(url(ids["cuneo"], "P012"), headers=hd).json()["state"] == "final"
    assert c.get(url(ids["cuneo"], "P014"), headers=hd).status_code == 404


def test_a_negative_judgement_needs_its_motivation(svc):
    _app, c, ids = svc
    h = auth(c, "val")
    low = {"problem_solving_autonomia": 4, "orientamento_utenza": 4,
           "cooperazione_team_working": 3, "esecuzione_compiti": 3}  # 14 < 15
    r = c.put(url(ids["cuneo"], "P015"), headers=h, json={"scores": low})
    assert r.json()["negative"] is True and r.json()["behaviour"] == "14"
    r = c.post(url(ids["cuneo"], "P015", "/scheda"), headers=h, json={"scheda_date": "2025-03-05"})
    assert r.status_code == 422 and "P015: il giudizio è negativo (comportamenti 14 < 15)" in r.json()["detail"]
    r = c.post(url(ids["cuneo"], "P015", "/scheda"), headers=h, params={"lang": "en"},
               json={"scheda_date": "2025-03-05"})
    assert r.status_code == 422 and "P015: the judgement is negative (behaviour 14 < 15)" in r.json()["detail"]
    assert c.get(url(ids["cuneo"], "P015"), headers=h).json()["state"] == "draft"
    why = "Ripetuti ritardi nelle pratiche assegnate, documentati nei colloqui intermedi."
    r = c.post(url(ids["cuneo"], "P015", "/scheda"), headers=h,
               json={"scheda_date": "2025-03-05", "motivation": why})
    assert r.status_code == 201 and r.json()["motivation"] == why
    entry = next(e for e in audit(c) if e["object_id"] == f"{ids['cuneo']}/P015"
                 and e["action"] == "score.final")
    assert entry["after"]["motivation"] == why


# --------------------------------------------------------------------------- evaluation


def test_the_evaluation_uses_the_final_scores_and_not_the_drafts(svc):
    app, c, ids = svc
    h, ha = auth(c, "val"), auth(c, "adm")
    ds = ids["cuneo"]
    c.put(url(ds, "P016"), headers=h, json={"scores": {"orientamento_utenza": 1}})  # a draft
    before = {p["person_id"]: p for p in c.get(url(ds), headers=ha).json()["people"]}
    r = c.post("/api/tenants/cuneo/runs", headers=ha, json={"dataset_id": ds})
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["dataset_id"] != ds and run["final_score_sheets"] >= 3
    derived = c.get(f"/api/tenants/cuneo/datasets/{run['dataset_id']}", headers=ha).json()
    assert derived["derived_from"] == ds
    results = {p["person_id"]: p for p in
               c.get(f"/api/tenants/cuneo/runs/{run['id']}", headers=ha).json()["results"]}
    for person in ("P012", "P014", "P015"):
        assert results[person]["behaviour_cp"] == int(float(before[person]["behaviour"]) * 100)
    assert results["P015"]["behaviour_cp"] == 1400 and results["P015"]["negative"] is True
    p16 = before["P016"]  # the draft is not used: the uploaded scores are
    assert results["P016"]["behaviour_cp"] == sum(
        int(float(f["uploaded"]) * 100) for f in p16["factors"])
    assert c.get(f"/api/tenants/cuneo/runs/{run['id']}/verify", headers=ha).json()["identical"]
    again = c.post("/api/tenants/cuneo/runs", headers=ha, json={"dataset_id": ds}).json()
    assert again["dataset_id"] == run["dataset_id"]  # same final scores: same version
    # scores are entered on the uploaded dataset only
    assert c.get(url(run["dataset_id"]), headers=h).status_code == 404
    assert any(e["action"] == "dataset.derive" for e in audit(c))


# --------------------------------------------------------------------------- concurrency


def test_simultaneous_edits_of_one_sheet_are_all_kept(svc):
    _app, c, ids = svc
    h = auth(c, "val")
    factors = {"problem_solving_autonomia": 17, "orientamento_utenza": 16,
               "cooperazione_team_working": 12, "esecuzione_compiti": 13}
    out: dict[str, Any] = {}

    def put(factor: str, value: int) -> None:
        out[factor] = c.put(url(ids["cuneo"], "P020"), headers=h,
                            json={"scores": {factor: value}})

    threads = [threading.Thread(target=put, args=kv) for kv in factors.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {k: r.status_code for k, r in out.items()} == {k: 200 for k in factors}
    sheet = c.get(url(ids["cuneo"], "P020"), headers=h).json()
    assert {f["id"]: f["score"] for f in sheet["factors"]} == {k: str(v) for k, v in
                                                               factors.items()}
    assert sum(1 for e in audit(c) if e["object_id"] == f"{ids['cuneo']}/P020") == 4


def test_an_edit_racing_the_scheda_date_is_either_kept_or_refused(svc):
    _app, c, ids = svc
    h = auth(c, "val")
    out: dict[str, Any] = {}

    def edit() -> None:
        out["edit"] = c.put(url(ids["cuneo"], "P021"), headers=h,
                            json={"scores": {"esecuzione_compiti": 5}})

    def final() -> None:
        out["final"] = c.post(url(ids["cuneo"], "P021", "/scheda"), headers=h,
                              json={"scheda_date": "2025-03-06"})

    threads = [threading.Thread(target=edit), threading.Thread(target=final)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out["final"].status_code == 201, out["final"].text
    sheet = c.get(url(ids["cuneo"], "P021"), headers=h).json()
    score = next(f["score"] for f in sheet["factors"] if f["id"] == "esecuzione_compiti")
    if out["edit"].status_code == 200:  # the edit came first: the final sheet holds it
        assert score == "5"
    else:  # the scheda came first: the edit was refused, nothing changed after it
        assert out["edit"].status_code == 409
        assert score == next(f["uploaded"] for f in sheet["factors"]
                             if f["id"] == "esecuzione_compiti")
