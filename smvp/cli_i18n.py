"""The command-line framework's own words in Italian (``Uso:``, ``Opzioni``, "Mostra questo
messaggio ed esce.") and smvp's command help in the user's language.

typer formats help with gettext (``typer.core._``); the click it vendors writes a
few words as plain literals ("Usage: ", the --help option's text). Both are taken
from smvp's one gettext catalogue, ``smvp/locale/<lang>/LC_MESSAGES/smvp.mo``
(source ``.po`` beside it, compiled with Babel's ``pybabel compile``), read
through importlib.resources; their ids are the English text the framework writes.
smvp's own help (command docstrings, option and argument help) is written in Italian in
the code; that text is its catalogue id, and English users get the catalogue's English.
:func:`install` is called once, before the command line is parsed, with the language of ``--lang``/``SMVP_LANG``.
"""

from __future__ import annotations

import gettext
import sys


def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (the one catalogue, :func:`smvp.i18n.catalogue`)."""
    from smvp.i18n import catalogue as smvp_catalogue

    return smvp_catalogue(lang)


def lang_of(argv: list[str]) -> str:
    """The language the command line asks for (``--lang en``/``--lang=en`` before or after the
    command; the last one wins, as the command's own option wins over ``smvp --lang``), else
    $SMVP_LANG."""
    from smvp.i18n import resolve_lang

    found = None
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return resolve_lang(found)


def install(lang: str) -> None:
    """Use ``lang``'s catalogue for the framework's words (idempotent; English restores them)."""
    import typer.core as typer_core
    from typer._click import core as click_core
    from typer._click import formatting

    tr = catalogue(lang)
    typer_core._ = tr.gettext  # type: ignore[attr-defined]

    original_usage = getattr(formatting.HelpFormatter, "_smvp_original_write_usage", None)
    if original_usage is None:
        original_usage = formatting.HelpFormatter.write_usage
        formatting.HelpFormatter._smvp_original_write_usage = original_usage  # type: ignore[attr-defined]

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for word in ("[OPTIONS]", "COMMAND", "[ARGS]..."):
            args = args.replace(word, tr.gettext(word))
        original_usage(self, prog, args, tr.gettext("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    original_help = getattr(click_core.Command, "_smvp_original_get_help_option", None)
    if original_help is None:
        original_help = click_core.Command.get_help_option
        click_core.Command._smvp_original_get_help_option = original_help  # type: ignore[attr-defined]

    def get_help_option(self, ctx):  # type: ignore[no-untyped-def]
        option = original_help(self, ctx)
        if option is not None:
            option.help = tr.gettext("Show this message and exit.")
        return option

    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]

    # typer's own options (--install-completion, --show-completion) carry English help, and
    # smvp's own help (option and argument help) is its Italian text as catalogue id: both are
    # said in ``lang`` when the help is shown
    for kind in (typer_core.TyperOption, typer_core.TyperArgument):
        _say_help_record(kind, tr)

    original_format = getattr(click_core.Command, "_smvp_original_format_help", None)
    if original_format is None:
        original_format = click_core.Command.format_help
        click_core.Command._smvp_original_format_help = original_format  # type: ignore[attr-defined]

    def format_help(self, ctx, formatter):  # type: ignore[no-untyped-def]
        for command in [self, *getattr(self, "commands", {}).values()]:  # a group lists its commands
            said(command, "help", tr)
            said(command, "short_help", tr)
        for param in self.params:  # placeholders written in the code: ANNO → YEAR
            said(param, "metavar", tr)
        return original_format(self, ctx, formatter)

    click_core.Command.format_help = format_help  # type: ignore[method-assign]

    # the framework's errors name an argument by its placeholder ("Missing argument 'RUN'"):
    # the placeholders are said in ``lang`` before the command line is parsed too
    original_parse = getattr(click_core.Command, "_smvp_original_parse_args", None)
    if original_parse is None:
        original_parse = click_core.Command.parse_args
        click_core.Command._smvp_original_parse_args = original_parse  # type: ignore[attr-defined]

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        for param in self.params:
            said(param, "metavar", tr)
        return original_parse(self, ctx, args)

    click_core.Command.parse_args = parse_args  # type: ignore[method-assign]
    _install_metavars(lang)
    _install_errors(lang)


def said(obj: object, attr: str, tr: gettext.NullTranslations) -> None:
    """Set ``obj.attr`` (a help text) to its catalogue text in ``tr``'s language. The text the
    code wrote is kept (``_smvp_<attr>_id``) as the id, so a later language starts from it."""
    key = f"_smvp_{attr}_id"
    if not hasattr(obj, key):
        setattr(obj, key, getattr(obj, attr, None))
    text = getattr(obj, key)
    if text:
        setattr(obj, attr, tr.gettext(text))


def help_texts(command: object, path: tuple[str, ...] = ("smvp",)):
    """Every help text of ``command`` and its subcommands (as written in the code, the catalogue
    ids): ``(where, text)`` pairs, for tests/test_catalogue.py."""
    for attr in ("help", "short_help"):
        text = getattr(command, f"_smvp_{attr}_id", getattr(command, attr, None))
        if text:
            yield " ".join(path), text
    for param in getattr(command, "params", []):
        text = getattr(param, "_smvp_help_id", getattr(param, "help", None))
        if text:
            yield " ".join(path) + " " + str(param.name), text
    for name, sub in getattr(command, "commands", {}).items():
        yield from help_texts(sub, path + (name,))


# Placeholders in help (typer writes the Python type: ``<int range>``, ``<list[Path]>``): what
# the user is to write, by the option's name, else by its type (catalogue ids ``metavar.*``).
METAVAR_BY_NAME = {"year": "metavar.year", "years": "metavar.year", "run": "metavar.run",
                   "run_id": "metavar.run", "compare_run": "metavar.run", "person": "metavar.person",
                   "chamber": "metavar.chamber", "tenant": "metavar.chamber", "seat": "metavar.city",
                   "name": "metavar.text", "username": "metavar.user", "role": "metavar.role",
                   "case": "metavar.case", "case_id": "metavar.case"}
METAVAR_BY_TYPE = {"str": "metavar.text", "int": "metavar.number", "int range": "metavar.number",
                   "float": "metavar.number", "float range": "metavar.number", "file": "metavar.file",
                   "path": "metavar.path", "directory": "metavar.folder", "datetime": "metavar.date",
                   "date": "metavar.date", "Path": "metavar.path"}


def metavar(param: object, label: str, lang: str) -> str:
    """What to write for ``param`` (typer's ``<type>`` ``label``) in ``lang``: ``ANNO``, ``FILE``…"""
    from smvp.i18n import t

    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    many = inner.startswith("list[") and inner.endswith("]")
    if many:
        inner = inner[5:-1]
    name = getattr(param, "name", None)
    msgid = METAVAR_BY_NAME.get(name or "") or METAVAR_BY_TYPE.get(inner)
    if msgid is None:
        return inner + ("..." if many else "")  # choices: it|en
    return t(msgid, lang) + ("..." if many else "")


def _install_metavars(lang: str) -> None:
    import typer.core as typer_core

    base = typer_core._TyperParameter
    original = base.__dict__.get("_smvp_original_display_type") or base.__dict__["display_type"]
    base._smvp_original_display_type = original  # type: ignore[attr-defined]

    def display_type(self, ctx):  # type: ignore[no-untyped-def]
        return metavar(self, original(self, ctx), lang)

    base.display_type = display_type  # type: ignore[method-assign]

    argument = typer_core.TyperArgument
    original_rich = argument.__dict__.get("_smvp_original_display_type_rich") or argument.__dict__.get(
        "display_type_rich", base.display_type_rich)
    argument._smvp_original_display_type_rich = original_rich  # type: ignore[attr-defined]

    def display_type_rich(self, ctx):  # type: ignore[no-untyped-def]
        if self.metavar is not None:
            return None  # the argument's name is its metavar already: no type after it
        return original_rich(self, ctx)

    argument.display_type_rich = display_type_rich  # type: ignore[method-assign]


# The framework's error sentences (typer's click writes them as f-strings): an English
# pattern and the catalogue id of the sentence, whose fields are the pattern's groups.
# Applied in this order to what ``show()`` would print, when the language is not English.
ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^Try '(?P<command>[^']*)' for help\.$", "click.try_help"),
    (r"^Error: ", "click.error"),
    (r"Invalid value for (?P<hint>.+?): ", "click.invalid_value_for"),
    (r"Invalid value: ", "click.invalid_value"),
    (r"Missing option (?P<hint>.+?)\.", "click.missing_option"),
    (r"Missing argument (?P<hint>.+?)\.", "click.missing_argument"),
    (r"Missing parameter: (?P<name>\S+)", "click.missing_parameter"),
    (r"No such option: (?P<name>\S+)", "click.no_such_option"),
    (r"No such command (?P<name>'[^']*')\.", "click.no_such_command"),
    (r"\(Possible options: (?P<options>[^)]*)\)", "click.possible_options"),
    (r"Did you mean (?P<choices>.+?)\?", "click.did_you_mean"),
    (r"Got unexpected extra arguments? \((?P<args>[^)]*)\)", "click.extra_arguments"),
    (r"Option (?P<name>'[^']*') requires an argument\.", "click.requires_argument"),
    (r"Option (?P<name>'[^']*') requires (?P<n>\d+) arguments\.", "click.requires_arguments"),
    (r"Input should be less than or equal to (?P<n>\S+)", "click.at_most"),
    (r"Input should be greater than or equal to (?P<n>\S+)", "click.at_least"),
    (r"Input should be less than (?P<n>\S+)", "click.less_than"),
    (r"Input should be greater than (?P<n>\S+)", "click.greater_than"),
    (r"Input should be a valid integer[^.]*", "click.not_integer"),
    (r"Input should be a valid number[^.]*", "click.not_number"),
    (r"Input should be (?P<choices>'[^\n]*)", "click.one_of"),
    (r"(?P<value>'[^']*') is not one of (?P<choices>.+?)\.", "click.not_one_of"),
    (r"Value (?P<value>'[^']*') is not a valid (?P<kind>[^.]+)\.", "click.not_valid"),
    (r"(?i:(?P<kind>file|directory|path)) (?P<path>'[^']*') does not exist\.", "click.does_not_exist"),
    (r"(?i:(?P<kind>file|directory|path)) (?P<path>'[^']*') is a directory\.", "click.is_a_directory"),
    (r"(?i:(?P<kind>file|directory|path)) (?P<path>'[^']*') is a file\.", "click.is_a_file"),
    (r"(?i:(?P<kind>file|directory|path)) (?P<path>'[^']*') is not readable\.", "click.not_readable"),
    (r"^Aborted!$", "click.aborted"),
)
KINDS = {"file": "click.kind_file", "directory": "click.kind_directory", "path": "click.kind_path"}


def translate_error(text: str, lang: str) -> str:
    """The framework's error ``text`` (usage line, hint, ``Error: …``) in ``lang``."""
    import re

    from smvp.i18n import t

    if lang == "en":
        return text
    lines = []
    for line in text.split("\n"):
        for pattern, msgid in ERROR_PATTERNS:
            def said(m: "re.Match[str]", msgid: str = msgid) -> str:
                fields = m.groupdict()
                if fields.get("kind") and fields["kind"].lower() in KINDS:
                    fields["kind"] = t(KINDS[fields["kind"].lower()], lang)
                return t(msgid, lang, **fields)

            line = re.sub(pattern, said, line)
        lines.append(line)
    return "\n".join(lines)


def _install_errors(lang: str) -> None:
    import io

    from typer._click import exceptions
    from typer._click.utils import echo

    for cls in (exceptions.ClickException, exceptions.UsageError):
        original = cls.__dict__.get("_smvp_original_show") or cls.__dict__["show"]
        cls._smvp_original_show = original  # type: ignore[attr-defined]

        def show(self, file=None, _original=original):  # type: ignore[no-untyped-def]
            from typer._click._compat import get_text_stderr

            buffer = io.StringIO()
            _original(self, file=buffer)
            echo(translate_error(buffer.getvalue(), lang), file=file or get_text_stderr(), nl=False)

        cls.show = show  # type: ignore[method-assign]


def install_from_argv(argv: list[str] | None = None) -> str:
    """:func:`install` with the language of ``argv`` (default ``sys.argv[1:]``); returns it."""
    lang = lang_of(list(sys.argv[1:] if argv is None else argv))
    install(lang)
    return lang


def _say_help_record(kind: type, tr: gettext.NullTranslations) -> None:
    """Patch ``kind.get_help_record`` (once: the original is kept on the class) to say the
    parameter's help through ``tr`` first."""
    original = getattr(kind, "_smvp_original_get_help_record", None)
    if original is None:
        original = kind.get_help_record  # type: ignore[attr-defined]
        kind._smvp_original_get_help_record = original  # type: ignore[attr-defined]

    def get_help_record(self, ctx):  # type: ignore[no-untyped-def]
        said(self, "help", tr)
        return original(self, ctx)

    kind.get_help_record = get_help_record  # type: ignore[attr-defined]
