"""English that reached Italian users outside the templates (issue 15): a failed background
job, a storage failure's "what", the payment gate's profile reason — each said from the
catalogue in the user's language, with the same located facts in Italian and in English."""

from __future__ import annotations

import time

import pytest

from smvp_engine.errors import DatasetError, Msg


def _failed_job(exc: BaseException, lang: str) -> str:
    from smvp.service.web.jobs import Jobs

    jobs = Jobs()

    def work(job):
        raise exc

    job = jobs.start(tenant="cuneo", user_id=1, title="x", total=1, filename="x.zip", work=work,
                     lang=lang)
    deadline = time.monotonic() + 10
    while not job.over and time.monotonic() < deadline:
        time.sleep(0.01)
    jobs.shutdown()
    assert job.over and job.result is None
    return job.error or ""


def test_a_failed_job_says_a_located_error_in_the_jobs_language():
    error = DatasetError(Msg("not a number"), file="staff.csv", line=4, field="presence_days",
                         expected=Msg("a number ≥ 0, e.g. 1 or 2.5"), found='"dieci"')
    it, en = _failed_job(error, "it"), _failed_job(error, "en")
    assert it.startswith("staff.csv:4: presence_days: non è un numero (atteso")
    assert en == str(error)
    for text in (it, en):  # the same located facts
        assert "staff.csv:4" in text and '"dieci"' in text


def test_a_failed_job_says_an_edge_error_in_the_jobs_language():
    from smvp.errors import StoreProblem

    error = StoreProblem(Msg("cannot {what} in {url}: {error}; nothing was stored",
                             what=Msg("store the dataset and its run"), url="smvp.db", error="locked"))
    it, en = _failed_job(error, "it"), _failed_job(error, "en")
    assert "salvare i dati e la loro esecuzione" in it and "smvp.db" in it and "locked" in it
    assert en == "cannot store the dataset and its run in smvp.db: locked; nothing was stored"


@pytest.mark.parametrize(("lang", "words"), [("it", "errore imprevisto (KeyError)"),
                                             ("en", "unexpected error (KeyError)")])
def test_a_defect_in_a_job_is_not_shown_as_its_english_text(lang, words):
    text = _failed_job(KeyError("internal detail"), lang)
    assert text.startswith(words) and "internal detail" not in text


def test_a_storage_failure_names_what_it_could_not_do_in_the_users_language():
    from sqlalchemy.exc import OperationalError

    from smvp.errors import StoreProblem
    from smvp.i18n import say
    from smvp.store.cases import session_errors

    class Engine:
        url = "sqlite:///smvp.db"

    with pytest.raises(StoreProblem) as caught:
        with session_errors(Engine(), Msg("store the dataset and its run")):
            raise OperationalError("INSERT", {}, Exception("database is locked"))
    it, en = say(caught.value.message, "it"), say(caught.value.message, "en")
    assert it.startswith("impossibile salvare i dati e la loro esecuzione in ")
    assert en.startswith("cannot store the dataset and its run in ")
    assert "smvp.db" in it and "smvp.db" in en


def test_the_payment_gates_profile_reason_says_the_located_error_in_the_users_language():
    import datetime as dt

    from smvp.conciliation import Gate
    from smvp_engine.errors import ProfileError

    error = ProfileError(Msg("the conciliation steps must run from one starting event (the sheet's date or delivery)"),
                         file="cuneo.yaml", field="conciliation.steps",
                         expected=Msg("one event such as data_scheda"), found="a, b")
    gate = Gate(run_id=3, state="provisional", as_of=dt.date(2025, 6, 1),
                reasons=[("gate_profile", {"error": error})])
    (it,), (en,) = gate.said("it"), gate.said("en")
    assert it.startswith("la procedura di conciliazione del profilo salvato non si legge: cuneo.yaml")
    assert "atteso" in it and "one event" not in it
    assert en.startswith("the stored profile's conciliation procedure cannot be read: cuneo.yaml")
    assert en.endswith(str(error))
    for text in (it, en):
        assert "conciliation.steps" in text and "a, b" in text


def test_a_run_without_a_procedure_is_named_in_the_users_language():
    from types import SimpleNamespace

    from smvp.conciliation import CaseProblem, run_procedure
    from smvp.i18n import say

    run = SimpleNamespace(id=7, chamber="cuneo", profile_text="conciliation: {defined: false}\n",
                          profile_path="cuneo.yaml")
    with pytest.raises(CaseProblem) as caught:
        run_procedure(run)
    assert "il profilo cuneo dell'esecuzione 7 non definisce" in say(caught.value.message, "it")
    assert "the cuneo profile of run 7 defines no" in say(caught.value.message, "en")


def test_the_national_layers_unverified_sources_say_so_in_both_languages():
    """The national layer's source sections are Italian (what an Italian user reads in lint,
    explain and the documents); each section that is NOT verified says so there and in a
    ``note`` in Italian and in English."""
    import re
    from pathlib import Path

    import yaml

    layer = Path(__file__).resolve().parents[1] / "chambers" / "national" / "italia.yaml"
    data = yaml.safe_load(layer.read_text(encoding="utf-8"))
    sections = []
    for block in data.values():
        for item in (block or {}).values() if isinstance(block, dict) else ():
            if isinstance(item, dict) and isinstance(item.get("source"), dict):
                sections.append((item, str(item["source"].get("section"))))
    english = re.compile(r"\b(not|the|of|list|verified|clause|according|only|cited|no source)\b", re.I)
    assert [s for _, s in sections if english.search(s.replace("NON VERIFICAT", ""))] == []
    unverified = [(item, s) for item, s in sections if "NON VERIFICAT" in s]
    assert len(unverified) == 3
    for item, _ in unverified:
        assert "NON" in item["note"]["it"] and "VERIFICAT" in item["note"]["it"]
        assert "NOT VERIFIED" in item["note"]["en"]


def test_the_chambers_source_sections_and_document_titles_are_italian():
    """What an Italian user reads after "fonte:" (lint, diff, explain, the documents) is Italian
    in every bundled profile: each ``source.section`` and each document's ``title``. A quoted
    citation («…», "…") is the source's own words and is not checked."""
    import re
    from pathlib import Path

    import yaml

    chambers = Path(__file__).resolve().parents[1] / "chambers"
    english = re.compile(r"\b(no|not|the|and|of|only|stated|given|cited|default|weights|thresholds|"
                         r"used|where|rule|link|payment|validation|among|exceptions?|printed)\b", re.I)
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "section" and isinstance(value, str):
                    found.append((where, value))
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    for path in sorted([*chambers.glob("*.yaml"), *chambers.glob("national/*.yaml")]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        walk(data, path.name)
        found += [(f"{path.name} documents.{k}", d["title"]) for k, d in (data.get("documents") or {}).items()]
    assert len(found) > 200
    unquoted = [(w, t) for w, t in found if english.search(re.sub(r"«[^»]*»|\"[^\"]*\"", "", t))]
    assert unquoted == []


@pytest.mark.parametrize("case, lang, words", [
    ("limit_key_length", "it", ("chiave più lunga di 64 caratteri", "atteso al massimo 64 caratteri",
                                "trovato 65 caratteri", "parole brevi in minuscolo")),
    ("limit_key_length", "en", ("key longer than 64 characters", "expected at most 64 characters",
                                "found 65 characters", "short lower-case words")),
    ("unknown_formula_name", "it", ("nome sconosciuto 'presenze'; forse 'presence_days'?",)),
    ("unknown_formula_name", "en", ("unknown name 'presenze'; did you mean 'presence_days'?",)),
    ("limit_formula_nodes", "it", ("formula troppo complessa (125 parti, al massimo 120)",)),
    ("limit_formula_nodes", "en", ("formula too complex (125 parts, at most 120)",)),
])
def test_a_profiles_limits_and_formula_problems_are_said_in_the_users_language(case, lang, words):
    """A profile over a limit, or a formula with an unknown name, is refused with its located
    facts (file, line, field, expected, found) in the user's language, not the engine's English."""
    from pathlib import Path

    from smvp.i18n import error_text
    from smvp_engine.errors import ProfileErrors
    from smvp_engine.profile import load_profile

    broken = Path(__file__).resolve().parent / "broken" / "profiles" / f"{case}.yaml"
    with pytest.raises(ProfileErrors) as info:
        load_profile(broken)
    text = error_text(info.value.errors[0], lang)
    assert f"{case}.yaml:" in text
    assert all(w in text for w in words), text


@pytest.mark.parametrize("lang, words", [("it", "formula 'x / y': divisione per zero"),
                                         ("en", "formula 'x / y': division by zero")])
def test_a_formula_that_fails_on_the_data_says_so_in_the_users_language(lang, words):
    """A formula dividing by zero on the year's data: the formula and the fact in the user's
    language (the engine raises a catalogue message, not Python's English)."""
    from smvp.i18n import say
    from smvp_engine import formula
    from smvp_engine.exact import Q

    with pytest.raises(formula.FormulaError) as info:
        formula.evaluate("x / y", {"x": Q.of(1), "y": Q.of(0)}, 1)
    assert say(info.value.args[0], lang) == words


def test_a_score_sheets_problems_are_said_in_the_users_language():
    """A PersonSheet's problems (catalogue messages) in the API's language, and joined into one
    refusal still said per language (not glued as English text)."""
    from smvp.app import scores
    from smvp.i18n import say

    sheet = scores.PersonSheet(person_id="P1", name=None, role="x", role_label=None, unit_id=None,
                               state="uploaded", scheda_date=None, motivation=None,
                               problems=[Msg("role {role!r} is not in the profile", role="x"),
                                         Msg("role {role!r} is not in the profile", role="y")])
    it, en = sheet.as_dict("it")["problems"], sheet.as_dict("en")["problems"]
    assert en == ["role 'x' is not in the profile", "role 'y' is not in the profile"]
    assert it != en and all("'x'" in a or "'y'" in a for a in it) and "profile" not in " ".join(it)
    with pytest.raises(scores.Invalid) as refused:
        scores._check_editable(sheet, None)
    assert say(refused.value.message, "it") == f"P1: {it[0]}; {it[1]}"
    assert say(refused.value.message, "en") == f"P1: {en[0]}; {en[1]}"


def test_a_reversed_interval_in_a_profile_is_refused_in_the_users_language(tmp_path):
    """``[90, 60]`` is refused with the file, line and field, said in Italian by default and in
    English with --lang en (the interval's own message is a catalogue message)."""
    from pathlib import Path

    from typer.testing import CliRunner

    from smvp import cli

    source = Path(__file__).resolve().parents[1] / "chambers" / "cuneo.yaml"
    text = source.read_text(encoding="utf-8")
    assert text.count('{interval: "(60, 90]", value: "total / 100"}') == 1
    bad = tmp_path / "cuneo.yaml"
    bad.write_text(text.replace('{interval: "(60, 90]", value: "total / 100"}',
                                '{interval: "(90, 60]", value: "total / 100"}'), encoding="utf-8")
    runner = CliRunner()
    it = runner.invoke(cli.app, ["validate", str(bad)], env={"SMVP_LANG": "it", "COLUMNS": "250"})
    en = runner.invoke(cli.app, ["--lang", "en", "validate", str(bad)], env={"COLUMNS": "250"})
    assert it.exit_code == en.exit_code == 1, it.output + en.output
    assert "'(90, 60]' è vuoto: l'estremo inferiore non è sotto quello superiore" in it.output
    assert "'(90, 60]' is empty: its lower end is not below its upper end" in en.output
    for out in (it.output, en.output):
        assert "cuneo.yaml:169" in out and "interval" in out


def test_the_bundled_profiles_source_sections_are_italian():
    """What a source section adds to the document's section number (a remark in brackets) is
    Italian, like the document it cites: Italian users read it in explain, lint and the
    documents. Words quoted from the document («…») are left out of the check."""
    import re
    from pathlib import Path

    import yaml

    english = re.compile(r"\b(not|the|of|no|stated|given|only|cited|printed|default|thresholds|weights|"
                         r"validation|conciliation|payment|verified|clause|according|list)\b")

    def sections(node):
        if isinstance(node, dict):
            if isinstance(node.get("source"), dict):
                yield str(node["source"].get("section"))
            for value in node.values():
                yield from sections(value)
        elif isinstance(node, list):
            for value in node:
                yield from sections(value)

    chambers = Path(__file__).resolve().parents[1] / "chambers"
    found = [f"{path.name}: {s}" for path in sorted(chambers.rglob("*.yaml")) if "data" not in path.parts
             for s in sections(yaml.safe_load(path.read_text(encoding="utf-8")))
             if english.search(re.sub("«[^»]*»", "", s))]
    assert found == []


def test_the_valutatore_list_says_a_sheets_problems_in_the_pages_language():
    """valutazioni.html.j2 shows each sheet's problems (catalogue messages) through ``said``:
    joined as they are, they read in English on an Italian page."""
    import html
    from importlib import resources

    from smvp.service.web.render import environment
    from smvp_engine.errors import Msg

    text = resources.files("smvp.service.web").joinpath("templates", "valutazioni.html.j2").read_text("utf-8")
    expression = text[text.index("{{ s.problems"):].split("}}")[0] + "}}"
    problems = [Msg("role {role!r} is not in the profile", role="x")]
    shown = {lang: html.unescape(environment(lang).from_string(expression).render(s={"problems": problems}))
             for lang in ("it", "en")}
    assert shown == {"it": "il ruolo 'x' non è nel profilo", "en": "role 'x' is not in the profile"}
