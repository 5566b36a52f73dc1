"""The libraries' own words inside smvp's messages (issue 15): PyYAML's problem, Python's
SyntaxError and simpleeval's refusals are catalogue messages (smvp_engine.library_text), so an
Italian message says them in Italian; the English keeps the library's text; a text the tables
do not know stays as the library wrote it, marked as such in Italian."""

from __future__ import annotations

import pytest
import simpleeval

from smvp import i18n
from smvp_engine import formula, library_text
from smvp_engine.errors import ProfileError
from smvp_engine.exact import Q
from smvp_engine.yamlload import load_yaml


def _yaml_error(text: str) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_yaml(text, "profilo.yaml")
    return info.value


@pytest.mark.parametrize(("text", "it", "en"), [
    ("a: b: c\n", "qui non può stare un valore di mappa", "mapping values are not allowed in this context"),
    ("a:\n\tb: 1\n", "trovato un carattere che non può iniziare un elemento (una tabulazione?",
     "found character that cannot start any token"),
    ("a: 1\nb\nc: 2\n", "non si trovano i due punti ':' attesi", "could not find expected ':'"),
    ("a: {x: 1\n", "non si trova la ',' o la '}' attesa", "did not find expected ',' or '}'"),
])
def test_a_yaml_syntax_error_in_both_languages(text, it, en):
    error = _yaml_error(text)
    said_it, said_en = i18n.error_text(error, "it"), i18n.error_text(error, "en")
    assert f"errore di sintassi YAML: {it}" in said_it
    assert f"YAML syntax error: {en}." in said_en and said_en == str(error)
    assert said_it.split(": ")[0] == said_en.split(": ")[0]  # profilo.yaml:line:column
    assert en not in said_it


def test_pyyamls_pure_python_wording_too():
    """The pure-Python scanner says the same problems in other words (a quoted character)."""
    tab = library_text.yaml_problem("found character '\\t' that cannot start any token")
    assert i18n.say(tab, "it") == ("trovato il carattere '\\t', che non può iniziare un elemento "
                                   "(il rientro si fa con spazi, non con tabulazioni)")
    assert i18n.say(tab, "en") == str(tab) == "found character '\\t' that cannot start any token"
    here = library_text.yaml_problem("mapping values are not allowed here")
    assert i18n.say(here, "it").startswith("qui non può stare un valore di mappa")


def test_a_library_text_the_catalogue_does_not_know_is_marked_in_italian():
    error = _yaml_error("%YAML 1.1\n%YAML 1.1\n---\na: 1\n")
    assert "errore di sintassi YAML: (testo della libreria, in inglese: found duplicate %YAML directive)" \
        in i18n.error_text(error, "it")
    assert "YAML syntax error: found duplicate %YAML directive." in i18n.error_text(error, "en")
    odd = library_text.syntax_problem("something Python 3.14 says")
    assert i18n.say(odd, "it") == "(testo della libreria, in inglese: something Python 3.14 says)"
    assert i18n.say(odd, "en") == "something Python 3.14 says"


@pytest.mark.parametrize(("expr", "it", "en"), [
    ("a +", "formula non valida: sintassi non valida alla colonna", "not a valid formula: invalid syntax at column"),
    ("(a + b", "formula non valida: la parentesi '(' non è mai chiusa alla colonna 1",
     "not a valid formula: '(' was never closed at column 1"),
    ("a + b)", "parentesi ')' senza la sua apertura", "unmatched ')'"),
    ("a €", "carattere non valido '€' (U+20AC)", "invalid character '€' (U+20AC)"),
])
def test_a_formulas_syntax_error_in_both_languages(expr, it, en):
    [problem] = formula.check(expr, {"a", "b"})
    assert it in i18n.say(problem, "it") and en in i18n.say(problem, "en")
    assert i18n.say(problem, "en") == str(problem)


def test_pythons_eof_message_of_older_versions():
    assert i18n.say(library_text.syntax_problem("unexpected EOF while parsing"), "it") == \
        "la formula finisce prima del previsto"


@pytest.mark.parametrize(("expr", "it", "en"), [
    ("b + 1", "il nome 'b' non è definito", "name 'b' is not defined"),
    ("foo(1)", "la funzione 'foo' non è definita", "function 'foo' is not defined"),
    ("a.x", "accesso agli attributi", "attribute access is not allowed"),
    ("a ** 2", "l'operatore Pow non è ammesso", "operator Pow is not allowed in a profile formula"),
])
def test_simpleevals_refusal_in_both_languages(expr, it, en):
    """evaluate() of a formula check() would refuse (the sandbox's own refusal, said by smvp)."""
    with pytest.raises(formula.FormulaError) as info:
        formula.evaluate(expr, {"a": Q.of(1)})
    message = info.value.args[0]
    assert i18n.say(message, "it").startswith(f"la formula {expr!r} non si può calcolare: ")
    assert it in i18n.say(message, "it")
    assert i18n.say(message, "en") == f"formula {expr!r} cannot be evaluated: " + i18n.say(message.params["problem"], "en")
    assert en in i18n.say(message, "en")


def test_simpleevals_sorry_texts():
    too_long = library_text.formula_evaluation_problem(
        simpleeval.IterableTooLong("Sorry, I will not evaluate something that long."))
    assert i18n.say(too_long, "it") == "la formula calcolerebbe un valore troppo grande"
    imported = library_text.formula_evaluation_problem(simpleeval.FeatureNotAvailable("Sorry, 'import' is not allowed."))
    assert i18n.say(imported, "it") == "'import': non ammesso in una formula del profilo"
    other = library_text.formula_evaluation_problem(simpleeval.FeatureNotAvailable("Something else entirely"))
    assert i18n.say(other, "it") == "(testo della libreria, in inglese: Something else entirely)"


def test_every_library_text_in_the_tables_is_in_the_catalogue():
    """Each text of the tables is an id of the catalogue, recognised from the library's wording
    and said in Italian (not marked as the library's)."""
    fields = {name: "'x'" for name in ("char", "name", "token", "paren", "close", "open", "line", "code")}
    for table, read in ((library_text.YAML_PROBLEMS, library_text.yaml_problem),
                        (library_text.SYNTAX_PROBLEMS, library_text.syntax_problem)):
        for template in table:
            assert i18n.has(template), template
            message = read(template.format(**fields))
            assert message.template == template
            assert "testo della libreria" not in i18n.say(message, "it"), template
            assert i18n.say(message, "en") == template.format(**fields)
