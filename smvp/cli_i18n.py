"""The command-line framework's own words in Italian (``Uso:``, ``Opzioni``, "Mostra questo
messaggio ed esce.").

typer formats help with gettext (``typer.core._``); the click it vendors writes a
few words as plain literals ("Usage: ", the --help option's text). Both are taken
from smvp's one gettext catalogue, ``smvp/locale/<lang>/LC_MESSAGES/smvp.mo``
(source ``.po`` beside it, compiled with Babel's ``pybabel compile``), read
through importlib.resources; their ids are the English text the framework writes.
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
    """The language the command line asks for (``--lang en``/``--lang=en``, else $SMVP_LANG)."""
    from smvp.i18n import resolve_lang

    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return resolve_lang(argv[i + 1])
        if arg.startswith("--lang="):
            return resolve_lang(arg.split("=", 1)[1])
    return resolve_lang(None)


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


def install_from_argv(argv: list[str] | None = None) -> str:
    """:func:`install` with the language of ``argv`` (default ``sys.argv[1:]``); returns it."""
    lang = lang_of(list(sys.argv[1:] if argv is None else argv))
    install(lang)
    return lang
