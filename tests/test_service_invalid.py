"""A request FastAPI cannot read (issue 15): a 422 in the service's error shape (``detail``,
``id``, ``fields``, ``errors``) in the request's language — naming where and which field, what
was expected and what was found — never pydantic's English (smvp.service.invalid)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from smvp.service.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('invalid') / 'smvp.db'}", secret="s")
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def _both(c: TestClient, **kw) -> tuple[dict, dict]:
    it = c.post("/api/login", **kw)
    en = c.post("/api/login", params={"lang": "en"}, **kw)
    assert it.status_code == en.status_code == 422, (it.text, en.text)
    return it.json(), en.json()


def test_an_unexpected_field_is_named_with_what_was_found_in_both_languages(client):
    it, en = _both(client, json={"username": "anna", "password": "x", "colour": "red"})
    assert it["detail"] == ('campo colour del corpo JSON: campo non previsto: toglierlo (la richiesta accetta '
                            'solo i campi documentati in docs/api.md) (trovato "red")')
    assert en["detail"] == ('field colour of the JSON body: unexpected field: remove it (the request takes '
                            'only the fields documented in docs/api.md) (found "red")')
    assert it["id"] == en["id"] == "api.invalid.extra"
    assert it["fields"] == en["fields"] == {"where": "body", "field": "colour", "loc": ["body", "colour"],
                                            "type": "extra_forbidden", "found": '"red"'}
    assert it["errors"] == [it["detail"]] and en["errors"] == [en["detail"]]


def test_several_problems_each_say_what_was_expected(client):
    it, en = _both(client, json={"username": "", "password": 5})
    assert it["detail"] == "richiesta non valida: 2 problemi" and en["detail"] == "invalid request: 2 problems"
    assert it["id"] == en["id"] == "api.invalid" and it["fields"] == en["fields"] == {"n": 2}
    assert it["errors"] == [
        'campo username del corpo JSON: troppo corto (atteso una lunghezza minima di 1, trovato "")',
        "campo password del corpo JSON: valore non valido (string_type) (atteso un testo, trovato 5)"]
    assert en["errors"] == [
        'field username of the JSON body: too short (expected a minimum length of 1, found "")',
        "field password of the JSON body: invalid value (string_type) (expected a text, found 5)"]
    assert [p["fields"] for p in it["problems"]] == [p["fields"] for p in en["problems"]]
    assert it["problems"][0]["fields"]["limits"] == {"min_length": 1}


def test_a_missing_field_and_a_body_that_is_not_json(client):
    it, en = _both(client, json={"username": "anna"})
    assert it["detail"] == "campo password del corpo JSON: manca (è obbligatorio)"
    assert en["detail"] == "field password of the JSON body: missing (it is required)"
    assert it["fields"]["found"] is None and it["fields"]["type"] == "missing"
    it, en = _both(client, content=b'{"username": "a",\n nope', headers={"content-type": "application/json"})
    assert it["id"] == en["id"] == "api.invalid.json"
    assert it["detail"] == "corpo JSON: il corpo non è JSON leggibile (atteso un documento JSON, errore al carattere 19)"
    assert en["detail"] == "JSON body: the body is not readable JSON (expected a JSON document, error at character 19)"
    assert it["fields"] == en["fields"] == {"where": "body", "field": "", "loc": ["body", 19], "type": "json_invalid",
                                            "found": None, "at": 19}


def test_pydantics_english_never_reaches_the_answer(client):
    it, en = _both(client, json={"username": "a" * 200, "password": "x", "extra": [1]})
    words = str(it) + str(en)
    for english in ("Field required", "Extra inputs are not permitted", "String should have", "Input should be"):
        assert english not in words
    assert "una lunghezza massima di 128" in it["errors"][0] and "a maximum length of 128" in en["errors"][0]


def test_every_pydantic_type_the_module_knows_has_its_words():
    from smvp import i18n
    from smvp.service import invalid

    ids = {f"api.invalid.{what}" for what, _ in invalid.TYPES.values()}
    ids |= {f"api.expected.{e}" for _, e in invalid.TYPES.values() if e}
    ids |= {f"api.invalid.{k}_{p}" for k in ("field_in", "whole") for p in invalid.PLACES}
    assert sorted(i for i in ids if not i18n.has(i)) == []


def test_the_choices_of_a_literal_are_listed_without_pydantics_or():
    from smvp.service import invalid

    said = invalid.problem({"type": "literal_error", "loc": ("query", "lang"), "input": "fr",
                            "ctx": {"expected": "'it' or 'en'"}}, "it")
    assert said["detail"] == 'parametro lang dell\'indirizzo: valore non valido (literal_error) (atteso uno tra it, en, trovato "fr")'
