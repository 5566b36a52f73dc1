"""Labels and number formatting for the edges, in Italian (default) and English.

The language comes from ``--lang`` or the ``SMVP_LANG`` environment variable;
Italian is the default. Only the edges are translated: the engine's own labels
(roles, judgements, funds from the profile) are shown as the profile writes them.
"""

from __future__ import annotations

import os
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
    # run info
    "run_id": ("Id esecuzione", "Run id"),
    "chamber": ("Camera", "Chamber"),
    "year": ("Anno", "Year"),
    "created_at": ("Data (UTC)", "When (UTC)"),
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


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_decimal(value: object, lang: str, *, places: int | None = None,
                   grouping: bool = True) -> str:
    """Display a number exactly: ``1.234,50`` in Italian, ``1,234.50`` in English.

    ``places`` quantizes (only for display of values the engine already
    rounded: no precision is invented or lost silently — quantizing never
    rounds a value with more digits than ``places``, it shows them all).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, lang)
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not d.is_finite():
        return str(d)
    if places is not None:
        exp = d.as_tuple().exponent
        if isinstance(exp, int) and -exp <= places:
            d = d.quantize(Decimal(1).scaleb(-places))
    text = format(d, "f")
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, _, frac = text.partition(".")
    thousands, point = (".", ",") if lang == "it" else (",", ".")
    if grouping:
        whole = _group(whole, thousands)
    return sign + whole + (point + frac if frac else "")


def format_money(value: object, lang: str) -> str:
    """``1.234,50 €`` in Italian, ``€1,234.50`` in English."""
    if value is None:
        return ""
    text = format_decimal(value, lang, places=2)
    if lang == "it":
        return f"{text} €"
    if text.startswith("-"):
        return f"-€{text[1:]}"
    return f"€{text}"


def format_points(value: object, lang: str) -> str:
    return format_decimal(value, lang, places=2)


def format_percent(value: object, lang: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, lang, places=2) + " %" if lang == "it" else \
        format_decimal(value, lang, places=2) + "%"


BABEL_LOCALES = {"it": "it_IT", "en": "en_GB"}


def format_date(value: object, lang: str, style: str = "long") -> str:
    """A date for people, by Babel (CLDR) for the language's locale.

    ``style``: ``"long"`` → ``12 maggio 2025`` / ``12 May 2025``; ``"short"`` →
    ``12/05/25``; ``"medium"`` → ``12 mag 2025``; or a CLDR pattern such as
    ``"dd/MM/yyyy"``. ``None`` → ``""``.
    """
    if value is None:
        return ""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format=style, locale=BABEL_LOCALES.get(lang, "it_IT"))
