"""The one catalogue of user-facing words (issue 15): smvp/locale/<lang>/LC_MESSAGES/smvp.po.

Fails when an id lacks a translation in either language, when a compiled .mo is
stale, when the two languages do not have the same ids, or when code asks for an
id (a literal, extracted with Babel's extractors) that the catalogue does not have.
"""

from __future__ import annotations

import ast
import re
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

    # English-only grammar an Italian sentence does without (the article a/an, a plural -s)
    english_grammar = {"article_dcol", "s_if_rest_1_else"}
    it, en = _po("it"), _po("en")
    wrong = [k for k in it if "{" in it[k] + en[k]
             and not fields(en[k]) - english_grammar <= fields(it[k]) <= fields(en[k])]
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
    ("engine/*.py", "Msg", ("",)),  # the engine's messages: the id is the English text
    ("smvp/**/*.py", "Msg", ("",)),  # the edges' messages (UsageProblem, DatasetError…): the id is the English text
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
    ("smvp/service/**/*.py", "Refusal", ("",)),  # the service's refusals: Refusal(status, id, **fields)
    ("smvp/service/api.py", "not_found", ("api.no",)),
    ("smvp/service/scores_api.py", "not_found", ("api.no",)),
]
ID_ARG = {"Refusal": 1}  # calls whose id is not the first argument
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
            and len(node.args) > ID_ARG.get(keyword, 0)
            for msgid in _literals(node.args[ID_ARG.get(keyword, 0)])]


def test_every_id_the_code_names_is_in_the_catalogue():
    known = set(_po("it"))
    missing = []
    for pattern, keyword, namespaces in USES:
        for path in sorted(ROOT.glob(pattern)):
            if pattern == "smvp/**/*.py" and keyword == "t" and (
                    not _imports_t(path) or path.name in DOCUMENT_MODULES and path.parent.name == "documents"):
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


# ---------------------------------------------------------------- nothing bypasses the catalogue

ENGINE_ERRORS = {"_Bad", "DatasetError", "ProfileError", "SmvpError", "NotComputable", "error", "err"}
ENGINE_TEXT_NAMES = {"hint", "msg", "message", "reason"}  # reason: why a deadline is what it is (deadlines)
# (file, line text) of engine messages that may stay plain text: none today. Keep this short.
ENGINE_ALLOWED: set[tuple[str, str]] = set()


def _is_text(node: ast.expr) -> bool:
    """A literal sentence: a string or f-string, or one glued from them (not a Msg)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def test_the_engines_user_messages_are_catalogue_messages():
    """Every message, expected and hint the engine gives a located error is a ``Msg`` (an id of
    the catalogue with its fields), so that the edge can say it in the user's language."""
    plain = []
    for path in sorted((ROOT / "engine").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            texts: list[ast.expr] = []
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if (name == "append" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                        and f.value.id in ("notes", "problems")):  # a run's notes ("avviso:"), a formula's problems
                    texts += node.args[:1]
                if name in ENGINE_ERRORS | {"_err", "_limit_error", "_row_error"}:
                    first = 1 if name == "_err" else 2 if name == "_row_error" else 0
                    texts += node.args[first:first + 1]
                    texts += [k.value for k in node.keywords if k.arg in ("expected", "hint")]
                    # what was found is mostly the data itself (a value, a number); a word for it
                    # ("blank", "none", "a blank cell") is a message
                    texts += [k.value for k in node.keywords if k.arg == "found" and isinstance(k.value, ast.Constant)]
                # a schedule's row told why (StepDeadline(reason=…), dataclasses.replace(row, reason=…))
                texts += [k.value for k in node.keywords if k.arg == "reason"]
            elif (isinstance(node, ast.Assign) and len(node.targets) == 1
                  and isinstance(node.targets[0], ast.Name) and node.targets[0].id in ENGINE_TEXT_NAMES):
                texts.append(node.value)
            elif (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
                  and node.target.id in ENGINE_TEXT_NAMES):
                texts.append(node.value)
            for text in texts:
                if _is_text(text):
                    where = (path.name, ast.get_source_segment(source, text))
                    if where not in ENGINE_ALLOWED:
                        plain.append(f"engine/{path.name}:{text.lineno}: {where[1][:80]}")
    assert plain == [], "wrap in smvp_engine.errors.Msg and add the id to both .po files"


def test_an_engine_error_in_italian_and_in_english():
    from smvp_engine.errors import DatasetError, Msg

    error = DatasetError(Msg("not a number"), file="staff.csv", line=4, field="presence_days",
                         expected=Msg("a number ≥ 0, e.g. 1 or 2.5"), found='"dieci"',
                         hint=Msg("did you mean {near!r}?", near="10"))
    assert i18n.error_text(error, "en") == str(error)
    assert i18n.error_text(error, "it") == (
        "staff.csv:4: presence_days: non è un numero (atteso un numero ≥ 0, ad es. 1 o 2,5, "
        "trovato \"dieci\"). forse '10'?")


@pytest.mark.parametrize("lang", LANGS)
def test_babels_checkers_pass(lang):
    """What ``pybabel compile`` checks (placeholders compatible between id and translation)."""
    with (LOCALE / lang / "LC_MESSAGES" / "smvp.po").open("rb") as fh:
        catalog = read_po(fh)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


# Nothing a command prints or raises for the user is a literal sentence: every one is a
# catalogue id (smvp.i18n.t and its namespaced helpers) or an edge message (Msg, whose id is
# the English text). No allow-list, no budget: a new literal sentence fails here.
OUTPUTS = {"print", "echo", "Text", "assemble", "add_row", "add_column", "add_task", "Table", "write",
           "UsageProblem", "EdgeError", "CaseProblem", "CheckFailed", "ExportProblem", "DocumentProblem",
           "StoreProblem", "DatasetError", "ProfileError", "SmvpError", "BadParameter", "Exit",
           "session_errors",  # what a storage failure says it could not do
           # the service and its application layer: an HTTP refusal's detail, the app's own errors
           "HTTPException", "UploadProblem", "TooLarge", "UnsupportedKind", "ScoreProblem", "NotFound",
           "Invalid", "Refused", "ReviewRefused", "LoginRequired",
           # the pages: what a page is given to show (a message, a problem, an error)
           "page", "_editor", "_admin_page", "_sheet_page", "_case_page", "person_page", "_render"}
# lists and maps of problems users read: ``errors.append("…")``, ``field_errors[key] = "…"``,
# ``view.problems.append("…")`` (a PersonSheet's problems), ``v.problems += ["…"]``, a
# revision's ``warnings.append("…")``
REFUSAL_HOLDERS = {"errors", "field_errors", "problems", "warnings"}


def _holder(node: ast.expr) -> bool:
    """``errors`` or ``sheet.problems``: a name or an attribute of REFUSAL_HOLDERS."""
    return (isinstance(node, ast.Name) and node.id in REFUSAL_HOLDERS
            or isinstance(node, ast.Attribute) and node.attr in REFUSAL_HOLDERS)
# calls whose string arguments are keys, not words (``row.get("total")``)
KEYS = {"get", "getattr", "pop", "setdefault", "startswith", "endswith", "split", "rsplit", "replace",
        "strip", "rstrip", "lstrip", "isoformat", "strftime", "encode", "decode", "with_suffix"}
NOT_TEXT = {"style", "justify", "no_wrap", "overflow", "header_style", "box", "min_width", "ratio", "end",
            "title_style", "width", "max_width", "vertical", "highlight", "markup", "sep",
            "title_justify", "caption_justify", "caption_style", "row_styles", "border_style", "expand",
            "file", "field", "line", "column", "encoding", "mode", "newline", "errors",
            "headers", "status_code", "media_type"}  # located facts, HTTP headers: names, not words
# a template or file name, or a URL path: not words
FILE_NAME = re.compile(r"^(?:[\w.-]+\.(?:j2|html|xlsx|pdf|zip|csv|ics|yaml)|/[^\s]*)$")
STYLE = re.compile(r"^(?:(?:bold|italic|dim|underline|not|on|red|green|yellow|blue|cyan|magenta|white|grey\d*)\b ?)+$")
WRAPPERS = {"t", "tx", "w", "wd", "tr", "word", "_li", "say", "error_text", "problems_found", "Msg", "dumps",
            "Refusal", "not_found",  # smvp.service.refusals: (status, id, **fields); api.not_found(id, …)
            "said", "said_each",  # smvp.service.refusals: an error said in the user's language
            "format_money", "format_decimal", "format_date", "format_points", "format_percent"}


def _sentences(node: ast.AST):
    """String literals with words under ``node`` that no catalogue call wraps."""
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in WRAPPERS or name in KEYS:
            return
        for arg in [*node.args, *(k.value for k in node.keywords if k.arg not in NOT_TEXT)]:
            yield from _sentences(arg)
        return
    if isinstance(node, ast.Constant):
        if (isinstance(node.value, str) and re.search(r"[A-Za-z]{3,}", node.value) and not STYLE.match(node.value)
                and not FILE_NAME.match(node.value)):
            yield node
        return
    if isinstance(node, (ast.Subscript, ast.Compare)):
        return
    for child in ast.iter_child_nodes(node):
        yield from _sentences(child)


# Besides smvp/commands: the modules whose sentences reach the command line's user, and the
# service's (its JSON answers and pages) with the application layer under it
EDGES = ("cli.py", "render.py", "export.py", "export_tables.py", "app/explain.py", "app/verify.py", "app/runs.py",
         "documents/runs.py", "documents/render.py", "documents/oiv.py", "documents/scheda.py",
         "documents/trasparenza.py", "store/db.py", "store/direct.py", "store/runs.py", "conciliation.py",
         "explain_words.py", "service/app.py", "service/api.py", "service/auth.py", "service/scores_api.py",
         "service/refusals.py", "app/accounts.py", "app/stored_runs.py", "app/visibility.py",
         *(f"service/web/{p.name}" for p in sorted((ROOT / "smvp" / "service" / "web").glob("*.py"))))


def _by_language(node: ast.IfExp) -> bool:
    """``"Schede" if lang == "it" else "Sheets"``: a choice between two languages' words."""
    names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(node.test) if isinstance(n, ast.Attribute)}
    return bool(names & {"lang", "it", "italian"})


# the application layer under the edges: the conciliation's use cases and store queries, the
# reviews, answers, scores, uploads and cycle dates (their refusals reach the CLI, the API, the pages)
EDGES += ("app/conciliation.py", "store/cases.py", "app/review.py", "app/answers.py", "app/cycle.py",
          "app/scores.py", "app/delivery.py", "app/uploads.py")
# the national run's per-body errors, a 422 the service could not read, the workbooks people open
EDGES += ("national.py", "service/invalid.py", "xlsx.py", "report.py")


def _command_sentences() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in [*sorted((ROOT / "smvp" / "commands").glob("*.py")), *(ROOT / "smvp" / name for name in EDGES)]:
        source = path.read_text(encoding="utf-8")
        hits = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.IfExp) and _by_language(node):
                hits.update(f"{c.lineno}: {c.value!r}" for branch in (node.body, node.orelse)
                            for c in _sentences(branch))
            if (isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Subscript) and _holder(target.value) for target in node.targets)):
                hits.update(f"{c.lineno}: {c.value!r}" for c in _sentences(node.value))
            if isinstance(node, ast.AugAssign) and _holder(node.target):  # problems += ["…"]
                hits.update(f"{c.lineno}: {c.value!r}" for c in _sentences(node.value))
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in ("append", "extend", "insert") and _holder(f.value):
                hits.update(f"{c.lineno}: {c.value!r}" for arg in node.args for c in _sentences(arg))
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name not in OUTPUTS:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg not in NOT_TEXT)]:
                hits.update(f"{c.lineno}: {c.value!r}" for c in _sentences(arg))
        found[str(path.relative_to(ROOT))] = sorted(hits)
    return found


def test_commands_say_nothing_outside_the_catalogue():
    found = {f: hits for f, hits in _command_sentences().items() if hits}
    assert found == {}, "a sentence bypasses the catalogue (smvp.i18n.t, or Msg for an edge error)"


def test_the_sentence_finder_finds_a_problem_appended_for_users(tmp_path, monkeypatch):
    """A literal sentence appended to a list of problems users read (a PersonSheet's
    ``problems``, a revision's ``warnings``, a page's ``errors``) is found, by name or attribute."""
    module = tmp_path / "smvp" / "app" / "planted.py"
    module.parent.mkdir(parents=True)
    module.write_text('def f(view, v, warnings, lang):\n'
                      '    view.problems.append("role is not in the profile")\n'
                      '    v.problems += ["could not re-evaluate"]\n'
                      '    warnings.append(f"{lang}: fund changed")\n'
                      '    view.problems.append(Msg("role {role!r} is not in the profile", role=1))\n'
                      '    notes.append("not a holder")\n', encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "EDGES", ("app/planted.py",))
    (tmp_path / "smvp" / "commands").mkdir()
    found = _command_sentences()["smvp/app/planted.py"]
    assert found == ["2: 'role is not in the profile'", "3: 'could not re-evaluate'", "4: ': fund changed'"]


def test_the_sentence_finder_finds_a_sentence():
    tree = ast.parse('out.print(f"{n} problems found:")\nout.print(t("problems", lang))\n'
                     'table.add_row(row.get("total"), Text("Totale", style="bold"))')
    found = [c.value for call in ast.walk(tree) if isinstance(call, ast.Call) and
             getattr(call.func, "attr", None) in OUTPUTS for arg in call.args for c in _sentences(arg)]
    assert found == [" problems found:", "Totale"]


def test_every_command_help_is_in_the_catalogue():
    """Command docstrings, option and argument help and the placeholders the code writes are
    ids of the catalogue (their Italian text): each has its English, so ``--lang en`` help is
    English. A help text added without its translation fails here."""
    import typer

    from smvp import cli, cli_i18n

    it, en = _po("it"), _po("en")
    command = typer.main.get_command(cli.app)
    texts = list(cli_i18n.help_texts(command))
    assert len(texts) > 150
    typer_own = {"Install completion for the current shell.",
                 "Show completion for the current shell, to copy it or customize the installation."}
    missing = [f"{where}: {text[:60]!r}" for where, text in texts if text not in typer_own
               and (it.get(text) != text or not en.get(text) or en[text] == text)]
    assert missing == [], "add the help text (its Italian as id) with its English to both .po files"


def test_every_placeholder_the_code_writes_is_in_the_catalogue():
    """The ``metavar=`` placeholders of smvp's commands (``ESECUZIONE``, ``AAAA-MM-GG``) are ids
    of the catalogue, written in Italian in the code, with their English: ``--lang en`` help
    says ``RUN``, ``YYYY-MM-DD``. A placeholder added without its entries fails here."""
    import typer

    from smvp import cli

    it, en = _po("it"), _po("en")

    def metavars(command, path=("smvp",)):
        for param in getattr(command, "params", []):
            text = getattr(param, "_smvp_metavar_id", getattr(param, "metavar", None))
            if text:
                yield " ".join(path) + " " + str(param.name), text
        for name, sub in getattr(command, "commands", {}).items():
            yield from metavars(sub, path + (name,))

    found = list(metavars(typer.main.get_command(cli.app)))
    assert len(found) > 30
    missing = [f"{where}: {text!r}" for where, text in found if it.get(text) != text or not en.get(text)]
    assert missing == [], "add the placeholder (its Italian as id) with its English to both .po files"



# ---------------------------------------------------------------- the web pages' templates

# Every HTML template the package ships: the web pages' (smvp/service/web/templates, words through
# label("web.…")) and the documents' (smvp/documents/templates, words through t(…)).
TEMPLATES = ROOT / "smvp"
# Templates whose words are still Italian literals, as paths under smvp/. Issue 15 emptied it;
# it may only stay empty (a template leaves it once every visible word goes through the catalogue).
TEMPLATES_NOT_YET: set[str] = set()
# Words that read the same in both languages (acronyms, format names)
SAME_IN_BOTH = {"SMVP", "OIV", "PDF", "CSV", "XLSX", "JSON", "ID", "Password", "Excel", "PEC", "smvp"}
VISIBLE_ATTRS = {"title", "placeholder", "aria-label", "alt"}


def _template_literals(text: str) -> list[str]:
    """The words a template shows outside ``{{ }}``, ``{% %}`` and ``{# #}``: HTML text nodes and
    the visible attributes (title, placeholder, aria-label, alt; a button's value)."""
    from html.parser import HTMLParser

    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
    found: list[str] = []

    def words(s: str) -> None:
        ws = [w for w in re.findall(r"[^\W\d_][\w'’]*", s) if w not in SAME_IN_BOTH]
        if ws:
            found.append(" ".join(s.split())[:60])

    class Scan(HTMLParser):
        skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style"):
                self.skip += 1
            a = dict(attrs)
            for name, value in attrs:
                # a <button>'s value is the form's data, its content is what it shows
                if value and (name in VISIBLE_ATTRS or name == "value" and tag == "input" and
                              a.get("type") in ("submit", "button", "reset")):
                    words(value)

        def handle_endtag(self, tag):
            if tag in ("script", "style"):
                self.skip = max(0, self.skip - 1)

        def handle_data(self, data):
            if not self.skip:
                words(data)

    Scan().feed(bare)
    return found


def test_the_web_templates_say_nothing_outside_the_catalogue():
    literal = {p.relative_to(TEMPLATES).as_posix(): _template_literals(p.read_text(encoding="utf-8"))
               for p in sorted(TEMPLATES.rglob("*.html.j2"))}
    assert len(literal) >= 27 and "service/web/templates/review.html.j2" in literal
    offenders = {name: found for name, found in literal.items() if found and name not in TEMPLATES_NOT_YET}
    assert offenders == {}, "words outside label(…)/t(…) in the templates"
    done = sorted(name for name in TEMPLATES_NOT_YET if name in literal and not literal[name])
    assert done == [], "catalogued now: take these off TEMPLATES_NOT_YET"


def test_the_template_scan_catches_a_literal():
    assert _template_literals('<p title="Salva">{{ label("x") }}</p>') == ["Salva"]
    assert _template_literals('<h1>Valutazione {{ x }}</h1><input type="submit" value="Esci">'
                              '<button value="bozza">{{ y }}</button>') == ["Valutazione", "Esci"]
    assert _template_literals('<input type="submit" value="Invia"><input value="{{ v }}">') == ["Invia"]
    assert _template_literals('<p>{{ label("a") }} — {{ n }} (PDF)</p><script>var a = "x";</script>') == []


def test_every_status_of_a_step_has_its_words():
    """The pages say a schedule's step status (smvp_engine.deadlines.STATUSES) through
    web.status.<key>: Italian as the engine writes it, English beside it."""
    from smvp import i18n
    from smvp_engine.deadlines import STATUSES

    assert {k: i18n.t(f"web.status.{k}", "it") for k in STATUSES} == STATUSES
    assert [k for k in STATUSES if i18n.t(f"web.status.{k}", "en") in (STATUSES[k], f"web.status.{k}")] == []


def _iso_days(tree: ast.AST) -> list[int]:
    """Lines where a message (``Msg``, ``t``/``tr``, a ``Refusal``) is given a day as ISO text
    (``day=d.isoformat()``): people read dd/mm/yyyy (a ``Day`` or date field, said by
    ``smvp.i18n.say`` in the locale's format)."""
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name not in ("Msg", "t", "tr", "Refusal"):
            continue
        for k in node.keywords:
            v = k.value
            if (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "isoformat"):
                hits.append(v.lineno)
    return hits


def test_messages_show_days_in_the_locales_format():
    found = {}
    for path in sorted([*(ROOT / "smvp").rglob("*.py"), *(ROOT / "engine").glob("*.py")]):
        hits = _iso_days(ast.parse(path.read_text(encoding="utf-8")))
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}, "a day given to a message as ISO text: pass the date (or smvp_engine.errors.Day)"


def test_the_iso_day_finder_finds_one():
    tree = ast.parse('Msg("closed on {day}", day=case.closed_on.isoformat())\n'
                     'Msg("closed on {day}", day=Day(case.closed_on))\n')
    assert _iso_days(tree) == [1]
