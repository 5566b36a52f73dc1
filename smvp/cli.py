"""smvp command line (typer). Commands live in ``smvp/commands``; errors are handled here, once.

Exit codes: 0 ok; 1 a problem in the user's profile, dataset or environment
(each problem printed in red on stderr); 2 a usage error; 3 a bug in smvp.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from engine.errors import SmvpError, SmvpErrors
from smvp.errors import EdgeError
from smvp.i18n import resolve_lang

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    name="smvp",
    help="Valutazione della performance (SMVP) da un profilo YAML e dai dati di un anno.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



class Lang(str, Enum):
    it = "it"
    en = "en"


LangOpt = Annotated[Lang | None, typer.Option(
    "--lang", case_sensitive=False, show_default=False,
    help="Lingua delle etichette: it (default) o en. Anche SMVP_LANG.",
)]
DbOpt = Annotated[str | None, typer.Option(
    "--db", metavar="URL",
    help="Database URL (default: $SMVP_DATABASE_URL, else sqlite in $SMVP_HOME "
         "or ~/.local/share/smvp/smvp.db).",
)]
ChamberOpt = Annotated[str | None, typer.Option(
    "--chamber", "-c", help="Camera (id del profilo in chambers/<chamber>.yaml).")]


def _lang(lang: Lang | None) -> str:
    return resolve_lang(lang.value if lang else None)


def _consoles() -> tuple[Console, Console]:
    """Consoles bound to the current stdout/stderr (created per command, for test runners)."""
    out = Console()
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(width=200)  # redirected to a file or a pipe: keep the whole table readable
    return out, Console(stderr=True)


def _print_error(err: Console, error: object) -> None:
    err.print(Text(str(error), style="red"), soft_wrap=True)


def handle(command: Callable[[], int]) -> int:
    """Run ``command`` and map what it raises to an exit code. The one error handler."""
    err = Console(stderr=True)
    try:
        return int(command())
    except SmvpErrors as exc:
        n = len(exc.errors)
        err.print(Text(f"{n} problem{'s' if n != 1 else ''} found:", style="bold red"))
        for error in exc.errors:
            _print_error(err, "  " + str(error))
        return EXIT_USER
    except SmvpError as exc:
        _print_error(err, exc)
        return EXIT_USER
    except EdgeError as exc:
        label = "usage error" if exc.exit_code == EXIT_USAGE else "error"
        _print_error(err, f"{label}: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print(Text("interrupted", style="red"))
        return 130
    except Exception as exc:  # noqa: BLE001 - everything else is a bug
        if type(exc).__module__.split(".")[0] in ("typer", "click"):
            raise  # exits and usage errors belong to typer (which vendors click from 0.2x on)
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        err.print(Text(f"internal error (bug in smvp): {type(exc).__name__}: {exc}{where}",
                       style="bold red"), soft_wrap=True)
        if os.environ.get("SMVP_DEBUG"):
            err.print(Text("".join(traceback.format_exception(exc)), style="red"))
        else:
            err.print(Text("Run again with SMVP_DEBUG=1 to see the traceback, "
                           "and please report it.", style="red"))
        return EXIT_BUG


def _exit(code: int) -> None:
    raise typer.Exit(code)


# --------------------------------------------------------------------------- commands


@app.command()
def evaluate(
    chamber: ChamberOpt = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", "-p", exists=True, dir_okay=False, readable=True,
        help="Profilo YAML (default: chambers/<chamber>.yaml).")] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", "-d", exists=True, help="Cartella di CSV o file .xlsx dei dati "
        "(default: il campione chambers/data/<chamber>/<anno più recente>/).")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", "-y", min=1900, max=2999,
        help="Anno valutato (default: quello dichiarato nei dati).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, help="Esporta in FILE: .csv, .json o .xlsx.")] = None,
    json_: Annotated[bool, typer.Option(
        "--json", help="Stampa JSON su stdout (niente tabelle).")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Non salvare l'esecuzione.")] = False,
) -> None:
    """Valuta un anno: profilo + dati → punteggi, compensi, fondi."""
    from smvp.commands import evaluate as command

    opts = command.Options(chamber=chamber, profile=profile, data=data, year=year, out=out,
                           json=json_, db=db, lang=_lang(lang), store=not no_store)
    out_console, err_console = _consoles()
    _exit(handle(lambda: command.run(opts, out=out_console, err=err_console)))


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(
        exists=True, dir_okay=False, readable=True, metavar="PATH...",
        help="Profili YAML da validare.")],
    lang: LangOpt = None,
) -> None:
    """Valida uno o più profili (schema e semantica)."""
    from smvp.commands import validate as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(paths, lang=_lang(lang), out=out_console)))


@app.command()
def runs(
    chamber: Annotated[str | None, typer.Option(
        "--chamber", "-c", help="Solo questa camera.")] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Elenca le esecuzioni salvate."""
    from smvp.commands import runs as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(chamber=chamber, db=db, lang=_lang(lang), out=out_console)))


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point (``smvp = smvp.cli:main``)."""
    try:
        app(args=argv, prog_name="smvp", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
