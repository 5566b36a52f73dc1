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

from smvp.errors import EdgeError
from smvp.i18n import resolve_lang
from smvp_engine.errors import Msg, SmvpError, SmvpErrors

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    name="smvp",
    help="Valutazione della performance (SMVP) da un profilo YAML e dai dati di un anno.",
    add_completion=True,  # smvp --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        from smvp import engine_api

        print(app.info.name, engine_api.engine_version())  # the program's name and version
        raise typer.Exit(0)


class Lang(str, Enum):
    it = "it"
    en = "en"


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Mostra la versione di smvp ed esce.")] = False,
    lang: Annotated[Lang | None, typer.Option(
        "--lang", case_sensitive=False, show_default=False,
        help="Lingua di ogni comando: it (default) o en (smvp --lang en evaluate …). "
             "Anche SMVP_LANG, o --lang dopo il comando.")] = None,
) -> None:
    """Valutazione della performance (SMVP) da un profilo YAML e dai dati di un anno."""


LangOpt = Annotated[Lang | None, typer.Option(
    "--lang", case_sensitive=False, show_default=False,
    help="Lingua delle etichette: it (default) o en. Anche SMVP_LANG.",
)]
DbOpt = Annotated[str | None, typer.Option(
    "--db", metavar="URL",
    help="URL del database (default: $SMVP_DATABASE_URL, altrimenti SQLite in $SMVP_HOME "
         "o nella cartella dati dell'utente, ~/.local/share/smvp/smvp.db su Linux).",
)]
ChamberOpt = Annotated[str | None, typer.Option(
    "--chamber", "-c", metavar="CAMERA", help="Camera: id del profilo, cercato in --profile, poi $SMVP_CHAMBERS_DIR, "
    "poi ./chambers nella cartella corrente, poi i profili inclusi in smvp (smvp chambers li elenca).")]
CsvDialectOpt = Annotated[str | None, typer.Option(
    "--csv-dialect", metavar="it|standard",
    help="Formato del .csv: it (Excel in italiano: ';', decimali con la virgola, intestazioni "
    "in italiano; predefinito con l'output in italiano) o standard (il contratto dei risultati: "
    "',', decimali col punto, nomi dei campi; predefinito con --lang en).")]


def _root_lang() -> str | None:
    """The ``--lang`` given before the command (``smvp --lang en evaluate``), if any."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    value = ctx.find_root().params.get("lang") if ctx is not None else None
    return value.value if isinstance(value, Enum) else value


def _lang(lang: Lang | None) -> str:
    """The command's language: its own ``--lang``, else ``smvp --lang``, else $SMVP_LANG, else Italian."""
    return resolve_lang(lang.value if lang else _root_lang())


def _consoles() -> tuple[Console, Console]:
    """Consoles bound to the current stdout/stderr (created per command, for test runners)."""
    out = Console()
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(width=200)  # redirected to a file or a pipe: keep the whole table readable
    return out, Console(stderr=True)


def _print_error(err: Console, error: object) -> None:
    err.print(Text(str(error), style="red"), soft_wrap=True)


def _current_lang() -> str:
    """The language of the command being run (its ``--lang``, else $SMVP_LANG, else Italian)."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    value = ctx.params.get("lang") if ctx is not None else None
    return resolve_lang(value.value if isinstance(value, Enum) else value or _root_lang())


def handle(command: Callable[[], int]) -> int:
    """Run ``command`` and map what it raises to an exit code. The one error handler."""
    err = Console(stderr=True)
    try:
        return int(command())
    except SmvpErrors as exc:
        from smvp.i18n import error_text, problems_found

        lang = _current_lang()
        err.print(Text(problems_found(len(exc.errors), lang), style="bold red"))
        for error in exc.errors:
            _print_error(err, "  " + error_text(error, lang))
        return EXIT_USER
    except SmvpError as exc:
        from smvp.i18n import error_text

        _print_error(err, error_text(exc, _current_lang()))
        return EXIT_USER
    except EdgeError as exc:
        from smvp.i18n import say, t

        lang = _current_lang()
        label = t("usage_error" if exc.exit_code == EXIT_USAGE else "error_label", lang)
        hint = f". {say(exc.hint, lang)}" if exc.hint else ""
        _print_error(err, f"{label}: {say(exc.message, lang)}{hint}")
        return exc.exit_code
    except KeyboardInterrupt:
        from smvp.i18n import t

        err.print(Text(t("interrupted", _current_lang()), style="red"))
        return 130
    except Exception as exc:  # noqa: BLE001 - everything else is a bug
        if type(exc).__module__.split(".")[0] in ("typer", "click"):
            raise  # exits and usage errors belong to typer (which vendors click from 0.2x on)
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" ({tb[-1].filename}:{tb[-1].lineno})" if tb else ""
        from smvp.i18n import t

        lang = _current_lang()
        err.print(Text(t("bug.internal", lang, kind=type(exc).__name__, error=exc, where=where),
                       style="bold red"), soft_wrap=True)
        if os.environ.get("SMVP_DEBUG"):
            err.print(Text("".join(traceback.format_exception(exc)), style="red"))
        else:
            err.print(Text(t("bug.report", lang), style="red"))
        return EXIT_BUG


def _exit(code: int) -> None:
    raise typer.Exit(code)


# --------------------------------------------------------------------------- commands


@app.command()
def evaluate(
    chamber: ChamberOpt = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", "-p", exists=True, dir_okay=False, readable=True, metavar="FILE",
        help="Profilo YAML. Senza --profile: $SMVP_CHAMBERS_DIR/<camera>.yaml, poi "
        "./chambers/<camera>.yaml, poi il profilo incluso in smvp.")] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", "-d", exists=True, metavar="DATI", help="Cartella di CSV (o .parquet) o file .xlsx dei dati "
        "(default: il campione chambers/data/<chamber>/<anno più recente>/).")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", "-y", min=1900, max=2999, metavar="ANNO",
        help="Anno valutato (default: quello dichiarato nei dati).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, metavar="FILE", help="Esporta in FILE: .csv, .json, .xlsx o .parquet.")] = None,
    json_: Annotated[bool, typer.Option(
        "--json", help="Stampa JSON su stdout (niente tabelle).")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Non salvare l'esecuzione.")] = False,
    csv_dialect: CsvDialectOpt = None,
    wide: Annotated[bool, typer.Option(
        "--wide", help="Tabella delle persone con tutte le colonne, anche oltre la larghezza "
        "del terminale (senza --wide le colonne che non entrano intere sono omesse e nominate).")] = False,
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Tutte le persone nel terminale (senza --all, oltre 200 persone si vedono "
        "le prime 20, il riepilogo e i fondi; -o FILE le esporta tutte).")] = False,
    chambers_dir: Annotated[Path | None, typer.Option(
        "--chambers-dir", file_okay=False, metavar="CARTELLA",
        help="Tutti gli enti in una esecuzione: un profilo CARTELLA/<ente>.yaml per ente, con i dati in "
        "--data-root/<ente>/<anno>/ (docs/cli.md, 'Tutti gli enti'). Con -o FILE.parquet le persone di tutti.")] = None,
    data_root: Annotated[Path | None, typer.Option(
        "--data-root", file_okay=False, metavar="CARTELLA",
        help="Con --chambers-dir: la cartella che contiene i dati di ogni ente (<ente>/<anno>/).")] = None,
    tenants_out: Annotated[Path | None, typer.Option(
        "--tenants", dir_okay=False, metavar="FILE.jsonl",
        help="Con --chambers-dir: una riga JSON per ente (fondi, riepilogo, o gli errori).")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, max=256, metavar="N",
        help="Con --chambers-dir: processi in parallelo (default: uno per core).")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", file_okay=False, metavar="CARTELLA",
        help="Con --chambers-dir: conserva i profili compilati qui, per impronta del contenuto "
        "(un profilo invariato non si ricompila alla prossima esecuzione).")] = None,
) -> None:
    """Valuta un anno: profilo + dati → punteggi, compensi, fondi."""
    if chambers_dir is not None or data_root is not None:
        _exit(handle(lambda: _evaluate_national(
            chamber, profile, data, chambers_dir, data_root, year, out, tenants_out, json_, jobs,
            cache_dir, _lang(lang))))
    from smvp.commands import evaluate as command

    opts = command.Options(chamber=chamber, profile=profile, data=data, year=year, out=out,
                           json=json_, db=db, lang=_lang(lang), store=not no_store, wide=wide,
                           all_rows=all_rows, csv_dialect=csv_dialect)
    out_console, err_console = _consoles()
    _exit(handle(lambda: command.run(opts, out=out_console, err=err_console)))


def _evaluate_national(chamber, profile, data, chambers_dir, data_root, year, out, tenants_out,
                       json_, jobs, cache_dir, lang) -> int:
    from smvp.commands import evaluate_national as command
    from smvp.errors import UsageProblem

    if chambers_dir is None or data_root is None:
        raise UsageProblem(Msg("--chambers-dir and --data-root go together"),
                           hint=Msg("give the folder of the profiles and the folder of their data"))
    if chamber or profile or data:
        raise UsageProblem(Msg("--chambers-dir evaluates every profile of the folder: "
                               "--chamber, --profile and --data are for one body"))
    opts = command.Options(chambers_dir=chambers_dir, data_root=data_root, year=year, out=out,
                           tenants_out=tenants_out, json=json_, jobs=jobs, cache_dir=cache_dir, lang=lang)
    out_console, err_console = _consoles()
    return command.run(opts, out=out_console, err=err_console)


@app.command()
def chambers(
    json_: Annotated[bool, typer.Option("--json", help="JSON su stdout.")] = False,
    lang: LangOpt = None,
) -> None:
    """Elenca le camere disponibili e da dove viene ciascun profilo."""
    from smvp.commands import chambers as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(json_out=json_, out=out_console, lang=_lang(lang))))


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[PERCORSO|CAMERA]...",
        help="Profili YAML da validare, o id di camere (regola di ricerca dei profili); "
             "senza argomenti, tutte le camere di 'smvp chambers'.")] = None,
    national: Annotated[bool, typer.Option(
        "--national", help="Anche il controllo di conformità alle norme nazionali (come 'smvp lint').")] = False,
    lang: LangOpt = None,
) -> None:
    """Valida uno o più profili (schema e semantica)."""
    from smvp.commands import validate as command

    out_console, _ = _consoles()

    def both() -> int:
        resolved = command.resolve(paths or [])
        code = command.run(resolved, lang=_lang(lang), out=out_console)
        if not national:
            return code
        from smvp.commands import lint as lint_command

        return max(code, lint_command.run(resolved, lang=_lang(lang), out=out_console))

    _exit(handle(both))


@app.command()
def lint(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[PERCORSO|CAMERA]...",
        help="Profili YAML o id di camere; senza argomenti, tutte le camere di 'smvp chambers'.")] = None,
    year: Annotated[list[int] | None, typer.Option(
        "--year", "-y", help="Anni da controllare (ripetibile; default: tutti quelli di validità del profilo).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="I rilievi in JSON su stdout.")] = False,
    lang: LangOpt = None,
) -> None:
    """Controlla ogni profilo rispetto alle norme nazionali (chambers/national/italia.yaml): errori e
    avvisi, con la fonte nazionale e quella del profilo. Uscita 1 se c'è un errore."""
    from smvp.commands import lint as command
    from smvp.commands import validate as validate_command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(validate_command.resolve(paths or []), lang=_lang(lang), out=out_console,
                                     json_out=json_, years=year or None)))


@app.command()
def init(
    chamber: Annotated[str, typer.Option("--chamber", "-c", help="Id della nuova camera (es. mantova).")],
    name: Annotated[str | None, typer.Option("--name", help="Denominazione (es. 'Camera di Commercio di Mantova').")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", dir_okay=False,
                                             help="Dove scrivere il profilo (default: <chambers>/<chamber>.yaml).")] = None,
    year: Annotated[int, typer.Option("--year", "-y", help="Primo anno di validità (con --data-template: l'anno dei dati).")] = 2025,
    force: Annotated[bool, typer.Option("--force", help="Sovrascrive un file esistente.")] = False,
    seat: Annotated[str | None, typer.Option("--seat", help="Città della sede (default: dalla denominazione).")] = None,
    data_template: Annotated[bool, typer.Option(
        "--data-template", help="Invece del profilo, scrive la cartella di lavoro Excel vuota dei dati "
        "dell'anno per la camera --chamber (già esistente), con gli elenchi di ruoli, fattori, tipi di "
        "assenza e livelli dal profilo (default: <camera>-dati.xlsx).")] = False,
    lang: LangOpt = None,
) -> None:
    """Scrive lo scheletro commentato di un nuovo profilo, già valido (o, con --data-template,
    il modello Excel dei dati dell'anno)."""
    from smvp.commands import init as command

    out_console, _ = _consoles()
    if data_template:
        _exit(handle(lambda: command.data_template(chamber=chamber, out_path=out, year=year,
                                                   force=force, out=out_console, lang=_lang(lang))))
        return
    _exit(handle(lambda: command.run(chamber=chamber, name=name, out_path=out, year=year, force=force,
                                     out=out_console, seat=seat, lang=_lang(lang))))


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


# --------------------------------------------------------------------------- conciliation, run, calendar
# (issue 4: smvp/commands/conciliation.py, run_validate.py, calendar.py; docs/conciliation.md)

conciliation_app = typer.Typer(
    help="Procedure di conciliazione: casi, passi, scadenze, revisioni delle valutazioni.",
    no_args_is_help=True, rich_markup_mode=None)
app.add_typer(conciliation_app, name="conciliation")
run_app = typer.Typer(help="Un'esecuzione salvata: validazione OIV, stato dei pagamenti, export.",
                      no_args_is_help=True, rich_markup_mode=None)
app.add_typer(run_app, name="run")

CaseArg = Annotated[str, typer.Argument(
    metavar="CASO", help="Il caso: <camera>-<numero>, es. cuneo-1 (o il numero con --chamber).")]
RunArg = Annotated[int, typer.Argument(metavar="ESECUZIONE", help="Id dell'esecuzione (smvp runs).")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="AAAA-MM-GG",
    help="Situazione a questa data (default: oggi, o $SMVP_TODAY).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Nota libera, salvata.")]
OnOpt = Annotated[str, typer.Option(
    "--on", metavar="AAAA-MM-GG", help="Il giorno in cui il passo è avvenuto (anche gg/mm/aaaa).")]


@conciliation_app.command("open")
def conciliation_open(
    chamber: Annotated[str, typer.Option("--chamber", "-c", help="Camera.")],
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione valutata.")],
    person: Annotated[str, typer.Option("--person", help="Matricola (person_id) del valutato.")],
    delivered: Annotated[str | None, typer.Option(
        "--delivered", metavar="AAAA-MM-GG",
        help="Data della scheda / della sua consegna: l'evento da cui decorrono i termini "
             "(default: la consegna registrata con 'deliver').")] = None,
    note: NoteOpt = None, db: DbOpt = None, lang: LangOpt = None, as_of: AsOfOpt = None,
) -> None:
    """Apre un caso di conciliazione su una valutazione salvata."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.open_(chamber=chamber, run_id=run_id, person=person,
                                       delivered=delivered, note=note, db=db, lang=_lang(lang),
                                       as_of=as_of, out=out_console)))


@conciliation_app.command("deliver")
def conciliation_deliver(
    chamber: Annotated[str, typer.Option("--chamber", "-c", help="Camera.")],
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione.")],
    on: OnOpt,
    person: Annotated[list[str] | None, typer.Option(
        "--person", help="Solo queste matricole (ripetibile; default: tutte).")] = None,
    db: DbOpt = None, lang: LangOpt = None, as_of: AsOfOpt = None,
) -> None:
    """Registra la consegna delle schede di valutazione (inizio dei termini)."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.deliver(chamber=chamber, run_id=run_id, on=on,
                                         persons=list(person or []), db=db, lang=_lang(lang),
                                         as_of=as_of, out=out_console)))


@conciliation_app.command("step")
def conciliation_step(
    case: CaseArg,
    event: Annotated[str, typer.Option(
        "--event", "-e", help="Il passo: id del profilo (es. richiesta_riesame) o alias "
                              "(request, answer, activation, proposal, review, appeal, decision).")],
    on: OnOpt,
    scores: Annotated[str | None, typer.Option(
        "--scores", metavar="FATTORE=PUNTI,...",
        help="Valutazione modificata: nuovi punteggi dei comportamenti; chiude il caso e "
             "ricalcola i compensi dell'esecuzione.")] = None,
    scores_file: Annotated[Path | None, typer.Option(
        "--scores-file", dir_okay=False,
        help="Come --scores, da un file .csv (factor,score) o .yaml (factor: score).")] = None,
    chamber: ChamberOpt = None, note: NoteOpt = None, db: DbOpt = None, lang: LangOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Registra un passo di un caso (in ritardo: accettato e segnalato; fuori ordine: rifiutato)."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.step(ref=case, chamber=chamber, event=event, on=on,
                                      scores=scores, scores_file=scores_file, note=note, db=db,
                                      lang=_lang(lang), as_of=as_of, out=out_console)))


@conciliation_app.command("close")
def conciliation_close(
    case: CaseArg, on: OnOpt,
    outcome: Annotated[str, typer.Option(
        "--outcome", help="confermata (confirmed), ritirata (withdrawn) o decaduta (lapsed).")
    ] = "confermata",
    chamber: ChamberOpt = None, note: NoteOpt = None, db: DbOpt = None, lang: LangOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Chiude un caso senza modificare la valutazione."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.close(ref=case, chamber=chamber, on=on, outcome=outcome,
                                       note=note, db=db, lang=_lang(lang), as_of=as_of,
                                       out=out_console)))


@conciliation_app.command("status")
def conciliation_status(
    chamber: Annotated[str | None, typer.Option("--chamber", "-c", help="Solo questa camera.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Anche i casi chiusi.")] = False,
    db: DbOpt = None, lang: LangOpt = None, as_of: AsOfOpt = None,
) -> None:
    """Casi aperti: prossima scadenza, giorni mancanti, scaduti in rosso."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.status(chamber=chamber, include_closed=all_, db=db,
                                        lang=_lang(lang), as_of=as_of, out=out_console)))


@conciliation_app.command("show")
def conciliation_show(
    case: CaseArg, chamber: ChamberOpt = None, db: DbOpt = None, lang: LangOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Un caso: ogni passo con scadenza, data, esito e motivo."""
    from smvp.commands import conciliation as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.show(ref=case, chamber=chamber, db=db, lang=_lang(lang),
                                      as_of=as_of, out=out_console)))


@run_app.command("validate", short_help="Registra la validazione OIV e mostra lo stato dei pagamenti.")
def run_validate(
    run_id: RunArg,
    oiv_date: Annotated[str, typer.Option(
        "--oiv-date", metavar="AAAA-MM-GG",
        help="Data della validazione OIV della Relazione sulla performance.")],
    requests_closed: Annotated[str | None, typer.Option(
        "--requests-closed", metavar="AAAA-MM-GG",
        help="Da questa data non sono ammesse nuove richieste di conciliazione (serve quando il "
             "profilo non fissa un termine, o le consegne non sono registrate).")] = None,
    chamber: ChamberOpt = None, note: NoteOpt = None, db: DbOpt = None, lang: LangOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Registra la validazione OIV (art. 14 c. 6 d.lgs. 150/2009) e mostra lo stato dei pagamenti."""
    from smvp.commands import run_validate as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.validate(run_id=run_id, oiv_date=oiv_date,
                                          requests_closed=requests_closed, note=note,
                                          chamber=chamber, db=db, lang=_lang(lang), as_of=as_of,
                                          out=out_console)))


@run_app.command("state")
def run_state(run_id: RunArg, chamber: ChamberOpt = None, db: DbOpt = None,
              lang: LangOpt = None, as_of: AsOfOpt = None) -> None:
    """Stato dei pagamenti di un'esecuzione: provvisorio o definitivo, e perché."""
    from smvp.commands import run_validate as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.state(run_id=run_id, chamber=chamber, db=db, lang=_lang(lang),
                                       as_of=as_of, out=out_console)))


@run_app.command("export")
def run_export(
    run_id: RunArg,
    out: Annotated[Path, typer.Option("--out", "-o", dir_okay=False,
                                      help="File .csv, .json o .xlsx.")],
    chamber: ChamberOpt = None, db: DbOpt = None, lang: LangOpt = None, as_of: AsOfOpt = None,
    csv_dialect: CsvDialectOpt = None,
) -> None:
    """Esporta un'esecuzione con le revisioni applicate e lo stato dei pagamenti."""
    from smvp.commands import run_validate as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.export_run(run_id=run_id, out_path=out, chamber=chamber, db=db,
                                            lang=_lang(lang), as_of=as_of, out=out_console,
                                            csv_dialect=csv_dialect)))


@app.command("calendar")
def calendar(
    year: Annotated[int, typer.Option("--year", "-y", min=1990, max=2100,
                                      help="Anno del ciclo della performance.")],
    chamber: ChamberOpt = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", "-p", exists=True, dir_okay=False, readable=True,
        help="Profilo YAML (default: chambers/<chamber>.yaml).")] = None,
    actual: Annotated[Path | None, typer.Option(
        "--actual",
        help="Date effettive: CSV step,date, cartella dei dati con cycle.csv, "
             "o cartella di lavoro .xlsx con il foglio 'cycle'.")
    ] = None,
    ics: Annotated[Path | None, typer.Option("--ics", dir_okay=False,
                                             help="Scrive le scadenze in un file .ics.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", dir_okay=False,
                                                 help="Scrive le scadenze in un file .csv.")
    ] = None,
    lang: LangOpt = None, as_of: AsOfOpt = None,
) -> None:
    """Le scadenze del ciclo della performance di un anno, dal profilo (con esiti ed export)."""
    from smvp.commands import calendar as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(chamber=chamber, profile=profile, year=year, actual=actual,
                                     ics=ics, csv_path=csv_out, as_of=as_of, lang=_lang(lang),
                                     out=out_console)))


# --------------------------------------------------------------------------- documents (issue 14: smvp/documents/)


OutDirOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Cartella in cui scrivere i documenti (creata se manca).")]


@app.command()
def scheda(
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione salvata (smvp runs).")],
    person: Annotated[list[str] | None, typer.Option(
        "--person", help="Matricola (person_id); ripetibile.")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Tutte le persone dell'esecuzione (un file ciascuna e un PDF unico).")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Anche il PDF di ogni scheda.")] = False,
    out: OutDirOpt = Path("."),
    date: Annotated[str | None, typer.Option(
        "--date", metavar="AAAA-MM-GG",
        help="Data posta sulla scheda, da cui decorre il termine per il riesame "
             "(default: la consegna registrata con smvp conciliation deliver, altrimenti oggi "
             "o $SMVP_TODAY).")] = None,
    template: Annotated[Path | None, typer.Option(
        "--template", dir_okay=False,
        help="Modello Jinja2 alternativo (estende base.html.j2; stesse variabili).")] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """La scheda di valutazione di una persona (HTML, PDF con --pdf), o di tutte con --all."""
    from smvp.commands import documents as command

    out_console, err_console = _consoles()
    _exit(handle(lambda: command.scheda(run_id=run_id, persons=list(person or []), all_=all_,
                                        pdf=pdf, out_dir=out, sheet_date=date, template=template,
                                        db=db, lang=_lang(lang), out=out_console,
                                        err=err_console)))


@app.command(short_help="Dati relativi ai premi, art. 20 d.lgs. 33/2013: CSV, XLSX e pagina HTML.")
def trasparenza(
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione salvata (smvp runs).")],
    out: OutDirOpt = Path("."),
    pdf: Annotated[bool, typer.Option("--pdf", help="Anche il PDF della pagina.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Dati relativi ai premi (art. 20 d.lgs. 33/2013): CSV, XLSX e pagina HTML da pubblicare."""
    from smvp.commands import documents as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.trasparenza(run_id=run_id, out_dir=out, pdf=pdf, db=db,
                                             lang=_lang(lang), out=out_console)))


@app.command()
def report(
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione salvata (smvp runs).")],
    compare_run: Annotated[int | None, typer.Option(
        "--compare-run", help="Confronta con un'altra esecuzione della stessa Camera "
        "(anno precedente o what-if).")] = None,
    out: OutDirOpt = Path("."),
    pdf: Annotated[bool, typer.Option("--pdf", help="Anche il PDF.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Relazione dell'OIV sulla differenziazione delle valutazioni (HTML, PDF con --pdf)."""
    from smvp.commands import documents as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.report(run_id=run_id, compare_run=compare_run, out_dir=out,
                                        pdf=pdf, db=db, lang=_lang(lang), out=out_console)))


# --------------------------------------------------------------------------- audit: diff, compare, explain, verify
# (issue 5: smvp/commands/diff.py, compare.py, explain.py, verify.py; docs/audit.md)


@app.command()
def diff(
    profiles: Annotated[list[str] | None, typer.Argument(
        metavar="[VECCHIO] [NUOVO]", show_default=False,
        help="Due profili: file, FILE@REVISIONE git (es. chambers/cuneo.yaml@v2023) o id di camera.")] = None,
    chamber: ChamberOpt = None,
    years: Annotated[tuple[int, int] | None, typer.Option(
        "--years", metavar="A1 A2", help="Le regole di un profilo in due anni.")] = None,
    runs: Annotated[tuple[int, int] | None, typer.Option(
        "--runs", metavar="N M", help="I profili salvati con due esecuzioni.")] = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", metavar="PERCORSO=VALORE", help="Modifica un valore del profilo NUOVO (what-if), es. "
        "curves.graduazione.thresholds.0=65. Ripetibile.")] = None,
    unsets: Annotated[list[str] | None, typer.Option(
        "--unset", metavar="PERCORSO", help="Toglie una chiave del profilo NUOVO (what-if). Ripetibile.")] = None,
    impact: Annotated[Path | None, typer.Option(
        "--impact", metavar="DATI", exists=True,
        help="Valuta questi dati con le due versioni: persone, ruoli, fondi.")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", "-y", min=1900, max=2999, help="Anno valutato con --impact (default: quello dei dati).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, help="Esporta modifiche (e impatto) in .csv, .json o .xlsx.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON su stdout.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Esce con 1 anche per modifiche solo di fonti o testi.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Confronta due versioni di un profilo, regola per regola (exit 0 uguali, 1 regole cambiate, 2 errore)."""
    from smvp.commands import diff as command

    opts = command.Options(profiles=list(profiles or []), chamber=chamber, years=years, runs=runs,
                           sets=list(sets or []), unsets=list(unsets or []), impact=impact, year=year, out=out,
                           json=json_, strict=strict, db=db, lang=_lang(lang))
    out_console, err_console = _consoles()
    _exit(handle(lambda: command.run(opts, out=out_console, err=err_console)))


@app.command()
def compare(
    chambers: Annotated[list[str], typer.Argument(
        metavar="CAMERA...", help="Camere (id) o file di profilo da affiancare.")],
    year: Annotated[int | None, typer.Option(
        "--year", "-y", min=1900, max=2999, help="Anno delle regole (default: l'ultimo periodo di ogni profilo).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON su stdout.")] = False,
    data: Annotated[str | None, typer.Option(
        "--data", help="Dataset (cartella o .xlsx): mostra l'effetto delle maggiorazioni di ogni profilo su questi dati.")] = None,
    lang: LangOpt = None,
) -> None:
    """Affianca le stesse regole di più camere (pesi, scale, soglie, curve, conciliazione)."""
    from smvp.commands import compare as command

    out_console, err_console = _consoles()
    _exit(handle(lambda: command.run(specs=chambers, year=year, lang=_lang(lang), json_out=json_,
                                     out=out_console, err=err_console, data=data)))


@app.command()
def explain(
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione salvata (smvp runs).")],
    person: Annotated[str, typer.Option("--person", help="Matricola (person_id).")],
    json_: Annotated[bool, typer.Option("--json", help="L'albero del calcolo in JSON.")] = False,
    text: Annotated[bool, typer.Option(
        "--text", help="Testo semplice numerato, da incollare in una risposta di conciliazione.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Il calcolo completo di una persona: ogni valore, la regola, i dati, la fonte."""
    from smvp.commands import explain as command

    fmt = "json" if json_ else ("text" if text else "tree")
    out_console, _ = _consoles()
    _exit(handle(lambda: command.run(run_id=run_id, person=person, db=db, lang=_lang(lang), fmt=fmt,
                                     out=out_console)))


@app.command()
def verify(
    run_id: Annotated[int, typer.Option("--run", help="Id dell'esecuzione salvata (smvp runs).")],
    json_: Annotated[bool, typer.Option("--json", help="JSON su stdout.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Ricalcola un'esecuzione salvata e conferma i risultati al centesimo (exit 0), o elenca le differenze (1)."""
    from smvp.commands import verify as command

    out_console, err_console = _consoles()
    _exit(handle(lambda: command.run(run_id=run_id, db=db, lang=_lang(lang), json_out=json_,
                                     out=out_console, err=err_console)))


# --------------------------------------------------------------------------- service


user_app = typer.Typer(help="Account del servizio: creazione, ruoli per tenant.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(metavar="UTENTE", help="Nome utente.")],
    password: Annotated[str | None, typer.Option(
        "--password", help="Password (meglio --password-stdin o la richiesta interattiva).")] = None,
    stdin: Annotated[bool, typer.Option("--password-stdin",
                                        help="Legge la password dalla prima riga di stdin.")] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Crea un account (password con hash Argon2)."""
    from smvp.commands import service as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.user_add(username=username, password=password, stdin=stdin,
                                          db=db, out=out_console, lang=_lang(lang))))


@user_app.command("grant")
def user_grant(
    username: Annotated[str, typer.Argument(metavar="UTENTE", help="Nome utente.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant (id della Camera).")],
    role: Annotated[str, typer.Option(
        "--role", "-r", help="amministratore, valutatore, dipendente, oiv o revisore.")],
    person: Annotated[str | None, typer.Option(
        "--person", help="person_id dell'utente nei dati (dipendente, valutatore).")] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Assegna un ruolo in un tenant (creato se manca)."""
    from smvp.commands import service as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.user_grant(username=username, tenant=tenant, role=role,
                                            person=person, db=db, out=out_console, lang=_lang(lang))))


@user_app.command("revoke")
def user_revoke(
    username: Annotated[str, typer.Argument(metavar="UTENTE", help="Nome utente.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant (id della Camera).")],
    role: Annotated[str | None, typer.Option(
        "--role", "-r", help="Il ruolo da revocare (default: tutti nel tenant).")] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Revoca un ruolo (o tutti) in un tenant."""
    from smvp.commands import service as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.user_revoke(username=username, tenant=tenant, role=role, db=db,
                                             out=out_console, lang=_lang(lang))))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Indirizzo di ascolto.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Porta.")] = 8000,
    db: DbOpt = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Un tenant dimostrativo per ogni Camera inclusa, con dati e utenti.")] = False,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help="Cookie di sessione solo su HTTPS (dietro un proxy TLS).")] = False,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="Processi Uvicorn (più richieste in parallelo; $SMVP_SECRET condiviso).")] = 1,
    lang: LangOpt = None,
) -> None:
    """Avvia il servizio multi-tenant (FastAPI su Uvicorn): pagine web su /login, API JSON su /api, OpenAPI su /docs."""
    from smvp.commands import service as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.serve(host=host, port=port, db=db, demo=demo,
                                       secure_cookies=secure_cookies, workers=workers,
                                       out=out_console, lang=_lang(lang))))


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(
        metavar="REVISIONE", help="Revisione di arrivo: head (la più recente), base (vuoto) o 0001…")] = "head",
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Porta lo schema del database a una revisione (Alembic), anche all'indietro."""
    from smvp.commands import service as command

    out_console, _ = _consoles()
    _exit(handle(lambda: command.migrate(revision=revision, db=db, out=out_console, lang=_lang(lang))))


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point (``smvp = smvp.cli:main``)."""
    from smvp.cli_i18n import install_from_argv
    from smvp.streams import legible_streams

    legible_streams()  # a cp850 / ASCII terminal gets "unita'", "EUR" instead of a crash
    install_from_argv(argv)  # the framework's words (Uso, Opzioni, --help) in the chosen language
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
