"""The one catalogue of user-facing words (issue 15): smvp/locale/<lang>/LC_MESSAGES/smvp.po.

Fails when an id lacks a translation in either language, when a compiled .mo is
stale, when the two languages do not have the same ids, or when code asks for an
id (a literal, extracted with Babel's extractors) that the catalogue does not have.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from smvp import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "smvp" / "locale"
LANGS = ("it", "en")


def _po(lang: str) -> dict[str, str]:
    with (LOCALE / lang / "LC_MESSAGES" / "smvp.po").open("rb") as fh:
        catalog = read_po(fh)
    return {m.id: m.string for m in catalog if m.id}


def test_both_languages_have_the_same_ids_each_translated():
    it, en = _po("it"), _po("en")
    assert len(it) > 500
    assert sorted(set(it) ^ set(en)) == [], "ids in one language only"
    for lang, messages in (("it", it), ("en", en)):
        assert [k for k, v in messages.items() if not v.strip()] == [], f"untranslated in {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_is_current(lang):
    compiled = i18n.catalogue(lang)
    stale = [k for k, v in _po(lang).items() if compiled.gettext(k) != v]
    assert stale == [], f"run: pybabel compile -D smvp -d smvp/locale  ({len(stale)} stale)"


def test_placeholders_agree_between_languages():
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    it, en = _po("it"), _po("en")
    wrong = [k for k in it if "{" in it[k] + en[k] and fields(it[k]) != fields(en[k])]
    assert wrong == []


def test_an_unknown_id_is_caught():
    assert i18n.has("problems") and not i18n.has("no_such_id")
    assert i18n.t("problems", "it", n=2) == "2 problemi" and i18n.t("problems", "en", n=2) == "2 problems"
    assert i18n.Words("diff.attr")["threshold"] == ("soglia", "threshold")
    with pytest.raises(KeyError):
        i18n.Words("diff.attr")["no_such_id"]


# Where code names ids: (files, the function whose first argument is an id, the ids' namespaces)
USES = [
    ("smvp/**/*.py", "t", ("",)),  # smvp.i18n.t (files that import it; see _imports_t)
    ("smvp/commands/diff.py", "tx", ("diff",)),
    ("smvp/commands/lint.py", "w", ("lint",)),
    ("smvp/commands/explain.py", "w", ("explain",)),
    ("smvp/explain_words.py", "w", ("explain",)),
    ("smvp/commands/compare.py", "wd", ("compare",)),
    ("smvp/app/verify.py", "tr", ("verify",)),
    ("smvp/documents/render.py", "word", ("doc", "")),
    ("smvp/documents/oiv.py", "t", ("oiv", "doc", "")),
    ("smvp/documents/scheda.py", "t", ("scheda", "doc", "")),
    ("smvp/documents/trasparenza.py", "t", ("trasparenza", "doc", "")),
    ("smvp/documents/templates/report.html.j2", "t", ("oiv", "doc", "")),
    ("smvp/documents/templates/scheda.html.j2", "t", ("scheda", "doc", "")),
    ("smvp/documents/templates/trasparenza.html.j2", "t", ("trasparenza", "doc", "")),
    ("smvp/documents/templates/base.html.j2", "t", ("doc", "")),
]
DOCUMENT_MODULES = {"oiv.py", "scheda.py", "trasparenza.py"}


def _imports_t(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.ImportFrom) and node.module == "smvp.i18n"
               and any(alias.name == "t" and not alias.asname for alias in node.names)
               for node in ast.walk(tree))


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):  # t("a" if x else "b", lang)
        return _literals(node.body) + _literals(node.orelse)
    return []


def _ids(path: Path, keyword: str) -> list[tuple[int, str]]:
    """The literal ids passed to ``keyword(...)``: Babel's Jinja extractor for templates, the
    syntax tree for Python (Babel's Python extractor joins ``"a" if x else "b"`` into one id)."""
    if path.suffix == ".j2":
        found = extract_from_file("jinja2.ext:babel_extract", str(path), keywords={keyword: None},
                                  comment_tags=(), options={}, strip_comment_tags=False)
        return [(line, msg) for line, msg, _, _ in found if isinstance(msg, str)]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, msgid) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == keyword
            and node.args for msgid in _literals(node.args[0])]


def test_every_id_the_code_names_is_in_the_catalogue():
    known = set(_po("it"))
    missing = []
    for pattern, keyword, namespaces in USES:
        for path in sorted(ROOT.glob(pattern)):
            if pattern == "smvp/**/*.py" and (not _imports_t(path) or path.name in DOCUMENT_MODULES
                                             and path.parent.name == "documents"):
                continue
            for line, msgid in _ids(path, keyword):
                if not any((f"{ns}.{msgid}" if ns else msgid) in known for ns in namespaces):
                    missing.append(f"{path.relative_to(ROOT)}:{line}: {msgid}")
    assert missing == []


def test_the_wheel_ships_the_catalogue():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["smvp"]
    assert "locale/*/LC_MESSAGES/*.mo" in patterns
    for lang in LANGS:
        assert (LOCALE / lang / "LC_MESSAGES" / "smvp.mo").is_file()
