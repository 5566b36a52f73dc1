"""The profile's JSON Schema errors are said from jsonschema's structured fields (validator,
validator_value, instance, path) through catalogue messages — never from jsonschema's own
English ``message`` — so an Italian line carries no English phrase, and both languages give
the same located facts (file, line, column, field, found) (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smvp import i18n
from smvp_engine.errors import ProfileErrors
from smvp_engine.profile import load_profile

BASE = (Path(__file__).resolve().parent / "broken" / "profiles" / "_base.yaml").read_text(encoding="utf-8")

# jsonschema's own phrases (its ValidationError.message), which must never reach the user
JSONSCHEMA_PHRASES = re.compile(
    r"was expected|is not of type|is a required property|is not one of|is less than|is greater than|"
    r"does not match|is too short|is too long|should be non-empty|Additional properties|"
    r"is not valid under any|is valid under each|is not allowed for|has non-unique|"
    r"expected to be empty|dependency|is not a multiple")

# (case, the text of _base.yaml replaced, by what, what the Italian line says, what the English says)
CASES = [
    ("const", "counts_as: ratio}", "counts_as: rapporto}", "esattamente 'ratio'", "exactly 'ratio'"),
    ("type", "total_max: 100", "total_max: [100]", "un numero", "a number"),
    ("enum", "method: pool_split", "method: pool_splitt", "uno tra", "one of"),
    ("required", "    label: Dirigente\n", "", "manca la chiave 'label'", "missing key 'label'"),
    ("additional", "  seat: Cuneo\n", "  seat: Cuneo\n  sede: Cuneo\n", "chiave sconosciuta 'sede'",
     "unknown key 'sede'"),
    ("minimum", "total_max: 100", "total_max: -5", "numero fuori dall'intervallo", "number out of range"),
    ("pattern", "    strategico: {label: Obiettivo strategico}",
     "    Strategico: {label: Obiettivo strategico}", "non è un id valido", "is not a valid id"),
    ("minLength", "title: SMVP di prova", "title: ''", "testo vuoto", "empty text"),
]


def _errors(text: str, tmp_path: Path) -> list:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileErrors) as info:
        load_profile(path)
    return info.value.errors


@pytest.mark.parametrize("case,old,new,italian,english", CASES, ids=[c[0] for c in CASES])
def test_schema_errors_in_italian_carry_no_english_phrase(case, old, new, italian, english, tmp_path):
    assert BASE.count(old) >= 1, old
    errors = _errors(BASE.replace(old, new, 1), tmp_path)
    it = [i18n.error_text(e, "it") for e in errors]
    en = [i18n.error_text(e, "en") for e in errors]
    assert any(italian in line for line in it), it
    assert any(english in line for line in en), en
    for e, line_it, line_en in zip(errors, it, en):
        assert not JSONSCHEMA_PHRASES.search(line_it), line_it
        assert not JSONSCHEMA_PHRASES.search(line_en), line_en
        assert line_en == str(e)
        # the same located facts in both languages
        head = f"{e.location}: {e.field}: " if e.field else f"{e.location}: "
        assert line_it.startswith(head) and line_en.startswith(head)
        if e.found is not None and not hasattr(e.found, "template"):
            assert f"trovato {e.found}" in line_it and f"found {e.found}" in line_en


def test_every_validator_kind_has_its_own_words():
    """Each JSON Schema keyword gives a message, an expected and a found from the catalogue,
    none of them jsonschema's English, and a keyword smvp does not know still says where,
    expected and found in the user's language."""
    import jsonschema

    from smvp_engine.profile import _schema_error_facts

    cases = [
        ({"type": "string"}, 3), ({"type": ["integer", "string"]}, []), ({"enum": ["a", "b"]}, "c"),
        ({"const": "ratio"}, "rapporto"), ({"minimum": 0}, -1), ({"maximum": 10}, 11),
        ({"exclusiveMinimum": 0}, 0), ({"exclusiveMaximum": 1}, 1), ({"multipleOf": 5}, 7),
        ({"pattern": "^[a-z][a-z0-9_]*$"}, "A"), ({"pattern": "^x+$"}, "y"), ({"minLength": 1}, ""),
        ({"minLength": 3}, "ab"), ({"maxLength": 2}, "abc"), ({"minItems": 1}, []), ({"maxItems": 1}, [1, 2]),
        ({"uniqueItems": True}, [1, 1]), ({"minProperties": 1}, {}), ({"maxProperties": 0}, {"a": 1}),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "x"), ({"not": {"type": "string"}}, "x"),
        ({"contains": {"type": "string"}}, [1]),
    ]
    for schema, instance in cases:
        error = next(iter(jsonschema.Draft202012Validator(schema).iter_errors(instance)))
        facts = _schema_error_facts(error)
        message, expected, found = facts
        for lang in ("it", "en"):
            for part in facts:
                text = i18n.say(part, lang)
                assert not JSONSCHEMA_PHRASES.search(text), (schema, lang, text)
                if part is not None and hasattr(part, "template"):
                    assert i18n.has(part.template), part.template
        assert str(message) != error.message and expected is not None and found is not None, schema
        assert i18n.say(message, "it") != i18n.say(message, "en"), schema


def test_the_profile_editor_page_says_the_errors_in_its_language(tmp_path):
    from smvp.service.web.profile_pages import located

    errors = _errors(BASE.replace("counts_as: ratio}", "counts_as: rapporto}", 1), tmp_path)
    exc = ProfileErrors(errors)
    (it,), (en,) = located(exc, "it"), located(exc, "en")
    assert (it.line, it.column, it.field, it.found) == (en.line, en.column, en.field, en.found)
    assert it.message == "valore non ammesso" and it.expected == "esattamente 'ratio' o un numero"
    assert en.message == "value not allowed" and en.expected == "exactly 'ratio' or a number"
    assert it.found == "'rapporto'"
