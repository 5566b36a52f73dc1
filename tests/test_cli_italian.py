"""The command-line framework's own words come from the gettext catalogue (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from smvp import cli_i18n

PO = Path(__file__).resolve().parents[1] / "smvp" / "locale" / "it" / "LC_MESSAGES" / "smvp.po"


def test_every_msgid_is_translated_and_the_compiled_catalogue_is_current():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    messages = {m.id: m.string for m in catalog if m.id}
    assert messages and all(messages.values()), [k for k, v in messages.items() if not v]
    compiled = cli_i18n.catalogue("it")
    for msgid, text in messages.items():
        assert compiled.gettext(msgid) == text, f"{msgid!r}: run pybabel compile -D smvp -d smvp/locale"


def _help(*args: str, env: dict | None = None) -> str:
    import os

    run = subprocess.run([sys.executable, "-m", "smvp", *args], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120", **(env or {})}, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_help_in_italian_with_metavars_that_say_what_is_expected():
    text = _help("evaluate", "--help", env={"SMVP_LANG": "it"})
    assert text.startswith("Uso: smvp evaluate") and "Opzioni:" in text
    assert "Mostra questo messaggio ed esce." in text and "Show this message" not in text
    assert "--year ANNO" in text and "--out FILE" in text and "--chamber CAMERA" in text
    assert "<int range>" not in text and "<str>" not in text
    assert "URL del database" in text  # --db help no longer English


def test_commands_help_in_english_with_lang_en_and_italian_by_default():
    en = _help("--lang", "en", "evaluate", "--help")
    assert "Evaluate a year: profile + data → scores, premiums, funds." in en
    assert "--year YEAR" in en and "--chamber CHAMBER" in en and "--data DATA" in en
    assert "Database URL" in en and "Year evaluated" in en
    for italian in ("Valuta un anno", "Anno valutato", "URL del database", "Esporta in FILE", "Lingua delle",
                    "Non salvare", "ANNO", "CAMERA", "DATI"):
        assert italian not in en
    assert "Evaluate a year" in _help("evaluate", "--help", env={"SMVP_LANG": "en"})
    assert "Evaluate a year: profile" in _help("--help", env={"SMVP_LANG": "en"})  # the list of commands
    it = _help("evaluate", "--help", env={"SMVP_LANG": "it"})
    assert "Valuta un anno" in it and "Anno valutato" in it and "Evaluate a year" not in it
    assert "Valuta un anno" in _help("--help", env={"SMVP_LANG": ""})  # Italian by default


def test_help_in_english_with_lang_en():
    text = _help("evaluate", "--help", "--lang", "en")
    assert text.startswith("Usage: smvp evaluate") and "Show this message and exit." in text
    assert "Commands:" in _help("--help", env={"SMVP_LANG": "en"})
    assert "Comandi:" in _help("--help", env={"SMVP_LANG": "it"})


def _fail(*args: str, env: dict | None = None) -> str:
    import os

    run = subprocess.run([sys.executable, "-m", "smvp", *args], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120", **(env or {})}, check=False)
    assert run.returncode == 2, (run.stdout, run.stderr)
    return run.stderr


def test_the_frameworks_errors_in_italian_and_in_english():
    text = _fail("evaluate", "--year", "5000", env={"SMVP_LANG": "it"})
    assert "Uso: smvp evaluate [OPZIONI]" in text and "Per l'aiuto: 'smvp evaluate --help'." in text
    assert "Errore: Valore non valido per '--year' / '-y': il valore deve essere al massimo 2999" in text
    assert "Error:" not in text and "Invalid" not in text and "Usage" not in text
    text = _fail("init", env={"SMVP_LANG": "it"})
    assert "Errore: Manca l'opzione '--chamber' / '-c'." in text
    text = _fail("runs", "--bogus", env={"SMVP_LANG": "it"})
    assert "Errore: Opzione inesistente: --bogus" in text
    text = _fail("evaluat", env={"SMVP_LANG": "it"})
    assert "Errore: Comando inesistente 'evaluat'. Forse 'evaluate'" in text
    text = _fail("evaluate", "--year", "5000", "--lang", "en")
    assert "Usage: smvp evaluate [OPTIONS]" in text and "Error: Invalid value for '--year'" in text
    assert "Error: Missing option '--chamber' / '-c'." in _fail("init", env={"SMVP_LANG": "en"})


COMMANDS = ["evaluate", "chambers", "validate", "lint", "init", "runs", "calendar", "scheda", "trasparenza",
            "report", "diff", "compare", "explain", "verify", "serve", "conciliation open",
            "conciliation deliver", "conciliation step", "conciliation close", "conciliation status",
            "conciliation show", "run validate", "run state", "run export", "user add", "user grant",
            "user revoke"]


def test_every_command_says_what_to_write_not_the_python_type():
    import re

    from typer.testing import CliRunner

    from smvp import cli

    cli_i18n.install("it")
    try:
        python_types = re.compile(r"<(str|int|int range|float|file|path|directory|datetime|list\[[^\]]*\])>")
        for command in COMMANDS:
            result = CliRunner().invoke(cli.app, [*command.split(), "--help"], env={"COLUMNS": "200"})
            assert result.exit_code == 0, (command, result.output)
            assert not python_types.search(result.output), (command, python_types.findall(result.output))
            assert "[OPZIONI]" in result.output and "Mostra questo messaggio ed esce." in result.output
            assert "Show this message" not in result.output and "Install completion" not in result.output
    finally:
        cli_i18n.install("it")


def test_lang_before_the_command_applies_to_every_command():
    """``smvp --lang en <command>`` (the option of smvp itself), the command's own ``--lang``
    (kept: it wins when both are given) and SMVP_LANG all choose the language."""
    from typer.testing import CliRunner

    from smvp import cli

    runner = CliRunner()
    english = runner.invoke(cli.app, ["--lang", "en", "validate", "cuneo"], env={"SMVP_LANG": None})
    assert english.exit_code == 0, english.output
    assert english.stdout.startswith("OK ") and "valid 2022" in english.stdout
    italian = runner.invoke(cli.app, ["validate", "cuneo"], env={"SMVP_LANG": None})
    assert italian.stdout.startswith("VALIDO ") and "valido dal 2022" in italian.stdout
    own = runner.invoke(cli.app, ["--lang", "en", "validate", "cuneo", "--lang", "it"], env={"SMVP_LANG": None})
    assert own.stdout.startswith("VALIDO "), own.output
    env = runner.invoke(cli.app, ["validate", "cuneo"], env={"SMVP_LANG": "en"})
    assert env.stdout.startswith("OK ")
    # commands that had no --lang of their own follow smvp's
    chambers = runner.invoke(cli.app, ["--lang", "en", "chambers"], env={"SMVP_LANG": None})
    assert "Available chambers" in chambers.stdout and "Camere disponibili" not in chambers.stdout
    # errors too (the edge's usage errors)
    bad = runner.invoke(cli.app, ["--lang", "en", "diff", "--years", "2023", "2024"], env={"SMVP_LANG": None})
    assert bad.exit_code == 2 and "--years needs the profile" in bad.output, bad.output
    bad_it = runner.invoke(cli.app, ["diff", "--years", "2023", "2024"], env={"SMVP_LANG": None})
    assert "--years richiede il profilo" in bad_it.output, bad_it.output


def test_lang_before_the_command_translates_the_frameworks_words():
    assert _help("--lang", "en", "evaluate", "--help").startswith("Usage: smvp evaluate")
    assert _help("--lang", "it", "evaluate", "--help", env={"SMVP_LANG": "en"}).startswith("Uso: smvp evaluate")
    assert "--lang" in _help("--help", env={"SMVP_LANG": "it"})


def test_lint_findings_in_italian_and_in_english():
    """The national rules' findings are catalogue messages: the same facts in both languages."""
    from typer.testing import CliRunner

    from smvp import cli

    runner = CliRunner()
    italian = runner.invoke(cli.app, ["lint", "cuneo"], env={"SMVP_LANG": None, "COLUMNS": "200"})
    english = runner.invoke(cli.app, ["--lang", "en", "lint", "cuneo"], env={"SMVP_LANG": None, "COLUMNS": "200"})
    assert italian.exit_code == english.exit_code == 1
    assert "nessuna maggiorazione del premio individuale, mentre il profilo paga premi individuali " \
           "(elevata_qualificazione, dipendente)" in italian.stdout
    assert "no maggiorazione del premio individuale, while the profile pays individual premiums " \
           "(elevata_qualificazione, dipendente)" in english.stdout
    assert "pesano 45 punti su 100 (45%)" in italian.stdout and "weigh 45 of 100 points (45%)" in english.stdout
    assert " the " not in italian.stdout.replace("«", "").split("norma nazionale")[0]


def test_placeholders_written_in_the_code_are_said_in_the_users_language():
    """``metavar=`` placeholders (ESECUZIONE, CASO, AAAA-MM-GG, PERCORSO=VALORE) in Italian by
    default, in English with ``--lang en`` (RUN, CASE, YYYY-MM-DD, PATH=VALUE)."""
    words = {"it": ("ESECUZIONE", "AAAA-MM-GG", "CASO", "PERCORSO=VALORE", "[VECCHIO] [NUOVO]"),
             "en": ("RUN", "YYYY-MM-DD", "CASE", "PATH=VALUE", "[OLD] [NEW]")}
    for lang, other in (("it", "en"), ("en", "it")):
        text = "".join(_help("--lang", lang, *cmd, "--help") for cmd in (
            ("run", "validate"), ("conciliation", "step"), ("diff",)))
        assert all(w in text for w in words[lang]), text
        assert not any(w in text for w in words[other]), text


def test_arguments_are_named_by_their_placeholder_in_help_and_in_errors_in_both_languages():
    """An argument shows what to write in the user's language, never its Python name
    (``{username}``, ``[revision]``): in the usage line, in the arguments list, and in the
    framework's "missing argument" error (the same fact, the argument, in both languages)."""
    import os

    def said(*args: str) -> str:
        run = subprocess.run([sys.executable, "-m", "smvp", *args], capture_output=True, text=True,
                             env={**os.environ, "COLUMNS": "120"}, check=False)
        return run.stdout + run.stderr

    italian = said("user", "add", "--help") + said("migrate", "--help")
    english = said("--lang", "en", "user", "add", "--help") + said("--lang", "en", "migrate", "--help")
    assert "{UTENTE}" in italian and "[REVISIONE]" in italian, italian
    assert "{USER}" in english and "[REVISION]" in english, english
    both = italian + english
    assert "{username}" not in both and "[revision]" not in both and "  username " not in both

    for lang, words in (("it", ("Manca l'argomento 'UTENTE'", "Manca l'argomento 'ESECUZIONE'")),
                        ("en", ("Missing argument 'USER'", "Missing argument 'RUN'"))):
        errors = said("--lang", lang, "user", "add") + said("--lang", lang, "run", "state")
        assert all(w in errors for w in words), errors


def _commands(command, path=("smvp",)):
    for name, sub in getattr(command, "commands", {}).items():
        yield " ".join((*path, name)), sub
        yield from _commands(sub, (*path, name))


def test_command_lists_never_cut_a_help_line_at_an_abbreviation() -> None:
    """click cuts a command's line in ``smvp --help`` at its first ". ": a help starting
    "Registra la validazione OIV (art. 14 …" was listed as "Registra la validazione OIV (art."."""
    import re

    import typer

    from smvp.cli import app

    cut = []
    for where, command in _commands(typer.main.get_command(app)):
        line = command.get_short_help_str(limit=500)
        if re.search(r"\b(art|c|n|d\.lgs|d\.l|ecc|cfr)\.$", line) or line.count("(") != line.count(")"):
            cut.append(f"{where}: {line}")
    assert not cut, cut
