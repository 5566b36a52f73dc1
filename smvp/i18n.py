"""Labels and number formatting for the edges, in Italian (default) and English.

The language comes from ``--lang`` or the ``SMVP_LANG`` environment variable;
Italian is the default. Only the edges are translated: the engine's own labels
(roles, judgements, funds from the profile) are shown as the profile writes them.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation

LANGS = ("it", "en")
DEFAULT_LANG = "it"

LABELS: dict[str, tuple[str, str]] = {
    # key: (italiano, english)
    # people
    "person_id": ("Matricola", "Person id"),
    "name": ("Nome", "Name"),
    "role": ("Ruolo", "Role"),
    "role_label": ("Ruolo", "Role"),
    "unit_id": ("Unità", "Unit"),
    "components": ("Componenti", "Components"),
    "component": ("Componente", "Component"),
    "results": ("Punti risultati", "Results points"),
    "behaviour": ("Punti comportamenti", "Behaviour points"),
    "total": ("Punteggio totale", "Total points"),
    "judgement": ("Giudizio", "Judgement"),
    "judgement_label": ("Giudizio", "Judgement"),
    "negative": ("Valutazione negativa", "Negative evaluation"),
    "payout_percent": ("% compenso", "Payout %"),
    "coefficient_name": ("Nome coefficiente", "Coefficient name"),
    "coefficient": ("Coefficiente", "Coefficient"),
    "theoretical": ("Importo teorico", "Theoretical amount"),
    "premium": ("Premio", "Premium"),
    "maggiorazione": ("Maggiorazione", "Maggiorazione"),
    "maggiorazione_rank": ("Posizione maggiorazione", "Maggiorazione rank"),
    "paid": ("Totale erogato", "Total paid"),
    "fund": ("Fondo", "Fund"),
    # funds
    "label": ("Descrizione", "Label"),
    "resources": ("Risorse", "Resources"),
    "distributed": ("Distribuito", "Distributed"),
    "economies": ("Economie", "Economies"),
    # objectives
    "objective_id": ("Obiettivo", "Objective"),
    "level": ("Livello", "Level"),
    "achievement": ("% raggiungimento", "Achievement %"),
    "status": ("Stato", "Status"),
    "attested": ("Attestato", "Attested"),
    "note": ("Nota", "Note"),
    "resource": ("Voce di risorse", "Resource"),
    # sheets
    "sheet_people": ("persone", "people"),
    "sheet_funds": ("fondi", "funds"),
    "sheet_objectives": ("obiettivi", "objectives"),
    "sheet_run": ("esecuzione", "run"),
    "sheet_summary": ("riepilogo", "summary"),
    "scored": ("Persone valutate", "People scored"),
    "reduction": ("Riduzione", "Reduction"),
    "status_label": ("Stato (descrizione)", "Status (label)"),
    "measured": ("Valore misurato (%)", "Measured (%)"),
    "type": ("Tipo", "Type"),
    # run info
    "run_id": ("Id esecuzione", "Run id"),
    "chamber": ("Camera", "Chamber"),
    "year": ("Anno", "Year"),
    "created_at": ("Data (ora italiana)", "When (Italian time)"),
    "profile_path": ("Profilo", "Profile"),
    "profile_sha256": ("SHA-256 profilo", "Profile SHA-256"),
    "profile_hash": ("Hash profilo", "Profile hash"),
    "dataset_path": ("Dati", "Dataset"),
    "dataset_sha256": ("SHA-256 dati", "Dataset SHA-256"),
    "dataset_hash": ("Hash dati", "Dataset hash"),
    "engine_version": ("Versione motore", "Engine version"),
    "people": ("Persone", "People"),
    "distributed_total": ("Totale distribuito", "Distributed total"),
    "not_computed": ("Non calcolato", "Not computed"),
    "note_label": ("nota", "note"),
    "header_line": (
        "anno {year} — profilo {profile} ({profile_hash}) — dati {data} ({data_hash})",
        "year {year} — profile {profile} ({profile_hash}) — data {data} ({data_hash})",
    ),
    "ente_line": (
        "{label}: {final} (calcolata {computed}; attestata dall'OIV: {attested})",
        "{label}: {final} (computed {computed}; attested by the OIV: {attested})",
    ),
    "not_attested": ("non attestata", "not attested"),
    "fund_reductions": (
        "Riduzione dei fondi in proporzione alla performance dell'Ente",
        "Funds reduced in proportion to the Ente's performance",
    ),
    "reduction_line": (
        "{resources} × {percent} = {reduced} (riduzione {reduction})",
        "{resources} × {percent} = {reduced} (reduction {reduction})",
    ),
    "project_valuation_title": ("Valorizzazione dei progetti", "Project valuation"),
    "project_fund_line": (
        "{fund}: valore del punto {unit_value}, punti {points}, totale {total} ({percent} del fondo)",
        "{fund}: point value {unit_value}, points {points}, total {total} ({percent} of the fund)",
    ),
    "allocation": ("ripartizione", "allocation"),
    "valid_from_text": ("valido {validity}", "valid {validity}"),
    "columns_left_out": (
        "Colonne non mostrate a questa larghezza: {columns} (--wide le mostra tutte; "
        "-o risultati.xlsx le esporta)",
        "Columns not shown at this width: {columns} (--wide shows them all; "
        "-o results.xlsx exports them)",
    ),
    "first_rows": (
        "Prime {shown} persone di {people} (--all le mostra tutte; -o risultati.xlsx, .csv, "
        ".json o .parquet le esporta)",
        "First {shown} people of {people} (--all shows them all; -o results.xlsx, .csv, "
        ".json or .parquet exports them)",
    ),
    "stage_write": ("Scrittura dei risultati…", "Writing the results…"),
    "key": ("Voce", "Item"),
    "value": ("Valore", "Value"),
    # words
    "yes": ("sì", "yes"),
    "no": ("no", "no"),
    "none": ("—", "—"),
    "totals": ("Totali", "Totals"),
    "summary": ("Riepilogo", "Summary"),
    "funds_title": ("Fondi", "Funds"),
    "people_title": ("Valutazioni individuali", "Individual evaluations"),
    "judgements_title": ("Giudizi", "Judgements"),
    "thresholds_title": ("Soglie", "Thresholds"),
    "above": ("sopra", "above"),
    "at_or_below": ("fino a", "at or below"),
    "negatives": ("Valutazioni negative", "Negative evaluations"),
    "people_scored": ("Persone: {people} (valutate: {scored})", "People: {people} (scored: {scored})"),
    "payout_intervals": ("Fasce di compenso", "Payout intervals"),
    "people_count": ("{n} persone", "{n} people"),
    "maggiorazioni_title": ("Maggiorazioni", "Maggiorazioni"),
    "population": ("popolazione", "population"),
    "eligible": ("ammessi", "eligible"),
    "quota": ("quota", "quota"),
    "recipients": ("beneficiari", "recipients"),
    "amount_each": ("importo ciascuno", "amount each"),
    "reduced_pro_rata": ("ridotta pro rata", "reduced pro rata"),
    "tie_policy": ("parità", "ties"),
    "notes": ("Note", "Notes"),
    "nothing_not_computed": ("Tutto è stato calcolato.", "Everything was computed."),
    "runs_title": ("Esecuzioni salvate", "Stored runs"),
    "no_runs": ("Nessuna esecuzione salvata.", "No stored runs."),
    "stored_as": ("Esecuzione salvata con id {id} in {db}", "Run stored as id {id} in {db}"),
    "not_stored": ("Esecuzione non salvata (--no-store).", "Run not stored (--no-store)."),
    "written": ("Scritto {path}", "Wrote {path}"),
    # progress stages
    "stage_profile": ("Caricamento del profilo…", "Loading the profile…"),
    "stage_dataset": ("Caricamento dei dati…", "Loading the dataset…"),
    "stage_evaluate": ("Valutazione…", "Evaluating…"),
    "stage_store": ("Salvataggio dell'esecuzione…", "Storing the run…"),
    "stage_export": ("Esportazione…", "Exporting…"),
    # validate
    "valid_from": ("valido dal {start}", "valid {start}–"),
    "valid_range": ("valido {start}–{end}", "valid {start}–{end}"),
    "warning": ("avviso", "warning"),
    "problems": ("{n} problemi", "{n} problems"),
    "problem": ("1 problema", "1 problem"),
    # conciliation, calendar, payment gate (smvp/conciliation.py, commands conciliation/calendar/run)
    "payout_state": ("Stato pagamenti", "Payout state"),
    "state_provvisorio": ("provvisorio", "provisional"),
    "state_definitivo": ("definitivo", "final"),
    "gate_no_oiv": (
        "validazione OIV della Relazione non registrata",
        "OIV validation of the Relazione not recorded",
    ),
    "gate_open_cases": (
        "casi di conciliazione aperti: {n} ({cases})",
        "open conciliation cases: {n} ({cases})",
    ),
    "gate_undelivered": (
        "persone senza consegna della scheda registrata: {n} (smvp conciliation deliver)",
        "people without a recorded sheet delivery: {n} (smvp conciliation deliver)",
    ),
    "gate_terms_running": (
        "persone con il termine per la richiesta in corso: {n} (fino al {until})",
        "people whose request term is running: {n} (until {until})",
    ),
    "gate_no_term": (
        (
            "persone per cui il profilo non fissa un termine per la richiesta: {n} (registrare smvp "
            "run validate … --requests-closed)"
        ),
        (
            "people for whom the profile sets no request term: {n} (record smvp run validate … "
            "--requests-closed)"
        ),
    ),
    "gate_profile": (
        "la procedura di conciliazione del profilo salvato non si legge: {error}",
        "the stored profile's conciliation procedure cannot be read: {error}",
    ),
    "revisions_n": ("revisioni: {n}", "revisions: {n}"),
    "revision_line": (
        "Revisione {n} dell'esecuzione {run} ({date}): {scores}",
        "Revision {n} of run {run} ({date}): {scores}",
    ),
    "case": ("Caso", "Case"),
    "cases_title": ("Casi di conciliazione", "Conciliation cases"),
    "no_cases": ("Nessun caso di conciliazione aperto.", "No open conciliation cases."),
    "no_cases_any": ("Nessun caso di conciliazione.", "No conciliation cases."),
    "run": ("Esecuzione", "Run"),
    "delivered": ("Scheda", "Sheet"),
    "last_step": ("Ultimo passo", "Last step"),
    "next_step": ("Prossimo passo", "Next step"),
    "due": ("Scadenza", "Due"),
    "days_left": ("Giorni", "Days left"),
    "case_state": ("Stato", "State"),
    "step": ("Passo", "Step"),
    "actor": ("Chi", "Who"),
    "done_on": ("Compiuto", "Done"),
    "why": ("Motivo", "Why"),
    "source": ("Fonte", "Source"),
    "nominal": ("Scadenza nominale", "Nominal date"),
    "moved_because": ("Spostata perché", "Moved because"),
    "actual": ("Effettivo", "Actual"),
    "outcome": ("Esito", "Outcome"),
    "open": ("aperto", "open"),
    "closed_on": ("chiuso il {date} ({outcome})", "closed on {date} ({outcome})"),
    "lapsed": ("termine del valutato scaduto", "the person's term expired"),
    "overdue_by": ("scaduto da {n} giorni", "overdue by {n} days"),
    "no_term": ("nessun termine", "no term"),
    "out_confermata": ("valutazione confermata", "evaluation confirmed"),
    "out_modificata": ("valutazione modificata", "evaluation changed"),
    "out_ritirata": ("ritirata", "withdrawn"),
    "out_decaduta": ("decaduta", "lapsed"),
    "st_nessun_termine": ("nessun termine previsto", "no term set"),
    "st_in_attesa": ("in attesa", "waiting"),
    "st_aperto": ("in corso", "open"),
    "st_presunto": ("presunto", "presumed"),
    "st_scaduto": ("scaduto da {n} giorni", "overdue by {n} days"),
    "st_nei_termini": ("nei termini", "on time"),
    "st_in_ritardo": ("in ritardo di {n} giorni", "late by {n} days"),
    "st_incoerente": ("prima dell'evento di partenza", "before its starting event"),
    "st_condizionato": ("solo se in ritardo", "only if late"),
    "st_non_applicabile": ("non dovuto", "not due"),
    "st_sostituito": ("sostituito", "replaced"),
    "optional": ("facoltativo", "optional"),
    "case_opened": (
        "Aperto il caso {case}: {person} ({name}), esecuzione {run}, {event} {date}.",
        "Opened case {case}: {person} ({name}), run {run}, {event} {date}.",
    ),
    "step_recorded": (
        "Caso {case}: registrato «{label}» il {date}.",
        "Case {case}: recorded «{label}» on {date}.",
    ),
    "step_late": (
        "Registrato IN RITARDO di {n} giorni: la scadenza era {due}.",
        "Recorded LATE by {n} days: it was due {due}.",
    ),
    "step_on_time": ("Nei termini (scadenza {due}).", "On time (due {due})."),
    "step_no_term": (
        "Il profilo non prevede un termine per questo passo.",
        "The profile sets no term for this step.",
    ),
    "case_closed": (
        "Caso {case} chiuso il {date}: {outcome}.",
        "Case {case} closed on {date}: {outcome}.",
    ),
    "next_deadline": (
        "Prossima scadenza: «{label}» entro {due} ({days}).",
        "Next deadline: «{label}» by {due} ({days}).",
    ),
    "next_no_term": (
        "Prossimo passo: «{label}» (nessun termine previsto).",
        "Next step: «{label}» (no term set).",
    ),
    "days_n": ("tra {n} giorni", "in {n} days"),
    "days_today": ("oggi", "today"),
    "delivered_recorded": (
        "Registrata la consegna delle schede dell'esecuzione {run} il {date} ({n} persone).",
        "Recorded the delivery of run {run}'s sheets on {date} ({n} people).",
    ),
    "revision_stored": (
        (
            "Revisione {n} dell'esecuzione {run} salvata ({person}); l'esecuzione originale resta "
            "invariata."
        ),
        "Revision {n} of run {run} stored ({person}); the original run is unchanged.",
    ),
    "revision_none": (
        (
            "I punteggi indicati sono quelli già registrati: valutazione confermata, nessuna "
            "revisione."
        ),
        "The scores given are the stored ones: evaluation confirmed, no revision.",
    ),
    "scores_title": ("Punteggi rivisti di {person}", "Revised scores of {person}"),
    "factor": ("Fattore", "Factor"),
    "before": ("Prima", "Before"),
    "after": ("Dopo", "After"),
    "affected_title": (
        "Chi cambia (ricalcolo dell'intera esecuzione)",
        "Who is affected (whole run recomputed)",
    ),
    "affected_none": ("Nessun importo cambia.", "No amount changes."),
    "delta_paid": ("Δ erogato", "Δ paid"),
    "rank": ("Posizione", "Rank"),
    "validated": (
        "Validazione OIV della Relazione registrata per l'esecuzione {run}: {date}.",
        "OIV validation of the Relazione recorded for run {run}: {date}.",
    ),
    "payout_state_line": ("Pagamenti dell'esecuzione {run}: {state}", "Run {run} payouts: {state}"),
    "calendar_title": (
        "Ciclo della performance {year} — {chamber}",
        "Performance cycle {year} — {chamber}",
    ),
    "calendar_none": (
        "Il profilo di {chamber} non definisce il calendario del ciclo: {reading}",
        "The {chamber} profile defines no cycle calendar: {reading}",
    ),
    "not_in_ics": (
        "Senza data o non dovuti (non esportati nel calendario): {steps}",
        "Without a date or not due (not in the .ics): {steps}",
    ),
}


# Who acts in a step of the cycle or of the conciliation procedure (profiles' ``actor`` ids).
ACTORS: dict[str, tuple[str, str]] = {
    "giunta": ("Giunta camerale", "Giunta (executive board)"),
    "consiglio": ("Consiglio camerale", "Consiglio (council)"),
    "oiv": ("OIV", "OIV (independent evaluation body)"),
    "segretario_generale": ("Segretario Generale", "Secretary General"),
    "dirigente": ("Dirigente", "Manager (dirigente)"),
    "valutato": ("Valutato", "Person evaluated"),
    "valutatore": ("Valutatore", "Evaluator"),
    "conciliatore": ("Conciliatore", "Conciliator"),
    "responsabile_trasparenza": ("Responsabile della trasparenza", "Transparency officer"),
    "presidente": ("Presidente", "President"),
}


def actor_label(actor: str | None, lang: str, roles: dict[str, str] | None = None) -> str:
    """A readable name for an ``actor`` id: the known actors, else the profile's role label
    (``roles``: id → label), else the id with spaces (``ufficio_personale`` → ``Ufficio personale``)."""
    if not actor:
        return ""
    if actor in ACTORS:
        return ACTORS[actor][0 if lang == "it" else 1]
    if roles and roles.get(actor):
        return str(roles[actor])
    text = str(actor).replace("_", " ")
    return text[:1].upper() + text[1:]


def resolve_lang(lang: str | None = None) -> str:
    """``lang`` if given, else ``$SMVP_LANG``, else Italian; unknown values fall back to Italian."""
    value = (lang or os.environ.get("SMVP_LANG") or DEFAULT_LANG).strip().lower()
    value = value.split("_")[0].split("-")[0].split(".")[0]
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The label for ``key`` in ``lang`` (the key itself when unknown)."""
    pair = LABELS.get(key)
    if pair is None:
        text = key
    else:
        text = pair[0] if lang == "it" else pair[1]
    return text.format(**fmt) if fmt else text


def yes_no(value: object, lang: str) -> str:
    if value is None:
        return ""
    return t("yes" if value else "no", lang)


# ---------------------------------------------------------------- formatting (Babel, CLDR data)
#
# Numbers, money, percentages, dates and times for people go through Babel with
# the locale of the language (it → it_IT, en → en_GB: ``1.524,90 €`` / ``€1,524.90``,
# ``96,79 %`` / ``96.79%``, ``12/05/2025`` in both). Values are shown exactly: a
# pattern with as many fraction digits as the value has (at least ``places``), so
# display never rounds. Babel's no-break spaces are written as plain spaces (what
# the outputs, their tests and Excel's "paste" expect).

LOCALES = {"it": "it_IT", "en": "en_GB"}
TIMEZONE = "Europe/Rome"
_NBSP = ("\u00a0", "\u202f")


def locale_of(lang: str) -> str:
    """The Babel locale identifier for ``lang`` (``it_IT`` unless ``lang`` is ``en``)."""
    return LOCALES.get(lang, LOCALES[DEFAULT_LANG])


def _plain(text: str) -> str:
    for ch in _NBSP:
        text = text.replace(ch, " ")
    return text


def _as_decimal(value: object) -> Decimal | None:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _pattern(d: Decimal, places: int | None, grouping: bool) -> str:
    exp = d.as_tuple().exponent
    digits = max(-exp if isinstance(exp, int) and exp < 0 else 0, places or 0)
    return ("#,##0" if grouping else "0") + ("." + "0" * digits if digits else "")


def format_decimal(value: object, lang: str, *, places: int | None = None,
                   grouping: bool = True) -> str:
    """Display a number exactly: ``1.234,50`` in Italian, ``1,234.50`` in English (Babel).

    ``places``: at least that many fraction digits (for values the engine already
    rounded); a value with more digits shows them all — display never rounds.
    None → ""; a bool → sì/no; something that is not a number → ``str(value)``.
    """
    from babel.numbers import format_decimal as babel_decimal

    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, lang)
    d = _as_decimal(value)
    if d is None or not d.is_finite():
        return str(value if d is None else d)
    return _plain(babel_decimal(d, format=_pattern(d, places, grouping), locale=locale_of(lang),
                                decimal_quantization=False))


def format_money(value: object, lang: str) -> str:
    """Euro, exactly (at least 2 decimals): ``1.234,50 €`` in Italian, ``€1,234.50`` in English."""
    from babel.numbers import format_currency

    if value is None:
        return ""
    d = _as_decimal(value)
    if d is None or not d.is_finite():
        return str(value)
    return _plain(format_currency(d, "EUR", locale=locale_of(lang), decimal_quantization=False))


def format_points(value: object, lang: str) -> str:
    """Points (at least 2 decimals): ``29,26`` / ``29.26``."""
    return format_decimal(value, lang, places=2)


def format_percent(value: object, lang: str) -> str:
    """A value already in percent units (96.79 → ``96,79 %`` / ``96.79%``), at least 2 decimals."""
    if value is None:
        return ""
    text = format_decimal(value, lang, places=2)
    if _as_decimal(value) is None:
        return text
    return text + (" %" if lang == "it" else "%")


def format_date(day: object, lang: str, style: str = "dd/MM/yyyy") -> str:
    """A calendar day: ``12/05/2025`` (dd/mm/yyyy in both languages); None → "".

    ``style`` is a CLDR pattern or Babel's ``"long"`` (``12 maggio 2025`` /
    ``12 May 2025``, as printed on the documents), ``"medium"``, ``"short"``.
    """
    import datetime as dt

    from babel.dates import format_date as babel_date

    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = to_rome(day).date()
    if not isinstance(day, dt.date):
        return str(day)
    return babel_date(day, style, locale=locale_of(lang))


def to_rome(when: object):
    """A datetime in Europe/Rome (a naive value is read as UTC, as the database stores it)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    assert isinstance(when, dt.datetime)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZoneInfo(TIMEZONE))


def format_datetime(when: object, lang: str, *, seconds: bool = False) -> str:
    """A moment in Italian time (Europe/Rome): ``12/05/2025 14:03``; None → ""."""
    import datetime as dt

    from babel.dates import format_datetime as babel_datetime

    if when is None:
        return ""
    if not isinstance(when, dt.datetime):
        return format_date(when, lang)
    pattern = "dd/MM/yyyy HH:mm" + (":ss" if seconds else "")
    return babel_datetime(to_rome(when), pattern, locale=locale_of(lang))


_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:\.\d+)?(?![\w])")


def localize_numbers(text: str, lang: str) -> str:
    """The numbers of a canonical engine expression (``4.84 + 0.00 = 4.84``) in ``lang``'s format.

    Every number keeps its digits (``96.793333…`` → ``96,793333…``); numbers glued to
    letters (ids like ``OBE1.1``) are left alone. In Italian, where ``,`` is the decimal
    separator, the argument separator ``, `` becomes ``; `` (``min(117,65…; 100)``).
    English text is returned unchanged.
    """
    if lang == "en" or not text:
        return text
    text = text.replace(", ", "; ")
    text = _NUMBER.sub(lambda m: format_decimal(Decimal(m.group(0)), lang), text)
    return re.sub(r"(\d)%", r"\1 %", text)
