"""Rich rendering of an outcome and of stored runs (display only: Italian number format by default)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp.i18n import (
    format_datetime,
    format_decimal,
    format_money,
    format_percent,
    format_points,
    say,
    t,
    yes_no,
)
from smvp.report import Outcome
from smvp.results import not_computed_text

if TYPE_CHECKING:  # the store (sqlalchemy) only for the runs table, not to print an evaluation
    from smvp.store import RunListing


SHORT = {  # compact column headers for the terminal table (exports keep the full labels)
    "results": ("Risult.", "Results"), "behaviour": ("Comport.", "Behav."), "total": ("Totale", "Total"),
    "negative": ("Neg.", "Neg."), "payout_percent": ("% comp.", "Payout %"), "coefficient": ("Coeff.", "Coeff."),
    "maggiorazione": ("Magg.", "Magg."), "paid": ("Erogato", "Paid"),
}


def _short(key: str, lang: str) -> str:
    if key in SHORT:
        return SHORT[key][0 if lang == "it" else 1]
    return t(key, lang)


# Which columns a narrow terminal keeps first (money and the total are never cut: a column
# either fits whole or is left out and named below the table; --wide shows them all).
_PRIORITY = ("person_id", "total", "paid", "premium", "judgement", "name", "maggiorazione",
             "payout_percent", "negative", "results", "behaviour", "role", "unit_id", "coefficient")
_ORDER = ("person_id", "name", "role", "unit_id", "results", "behaviour", "total", "judgement",
          "negative", "payout_percent", "coefficient", "premium", "maggiorazione", "paid")
_TEXT_COLS = {"name": 10, "judgement": 9, "role": 10}  # may be cut with "…" down to this width
_RIGHT = {"results", "behaviour", "total", "payout_percent", "coefficient", "premium",
          "maggiorazione", "paid"}


def _people_cells(outcome: Outcome, lang: str, rows: Any = None) -> list[dict[str, Text]]:
    out = []
    for row in (outcome.rows if rows is None else rows):
        negative = row.get("negative")
        out.append({
            "person_id": Text(str(row.get("person_id", ""))),
            "name": Text(str(row.get("name") or "")),
            "role": Text(str(row.get("role_label") or row.get("role") or "")),
            "unit_id": Text(str(row.get("unit_id") or "")),
            "results": Text(format_points(row.get("results"), lang)),
            "behaviour": Text(format_points(row.get("behaviour"), lang)),
            "total": Text(format_points(row.get("total"), lang)),
            "judgement": Text(str(row.get("judgement_label") or row.get("judgement") or "")),
            "negative": Text(yes_no(negative, lang), style="bold red" if negative else ""),
            "payout_percent": Text(format_percent(row.get("payout_percent"), lang)),
            "coefficient": Text(format_decimal(row.get("coefficient"), lang, grouping=False)),
            "premium": Text(format_money(row.get("premium"), lang)),
            "maggiorazione": Text(format_money(row.get("maggiorazione"), lang)),
            "paid": Text(format_money(row.get("paid"), lang)),
        })
    return out


def people_layout(outcome: Outcome, lang: str, width: int, wide: bool = False, rows: Any = None
                  ) -> tuple[list[tuple[str, int]], list[str], list[dict[str, Text]], dict[str, Text]]:
    """Which columns fit in ``width`` terminal columns, each at which width.

    Returns (shown columns as (key, width) in display order, keys left out, cell texts per
    row, totals row). A column is shown whole or not at all, except name, judgement and
    role, which may be cut with "…"; ``wide`` shows every column at its full width.
    ``rows``: the rows to show (default all); the totals are always the whole run's.
    """
    cells = _people_cells(outcome, lang, rows)
    totals = outcome.totals()
    total_cells = {"person_id": Text(t("totals", lang))}
    for key in ("premium", "maggiorazione", "paid"):
        total_cells[key] = Text(format_money(totals[key], lang))
    natural = {}
    for key in _ORDER:
        values = [c[key].cell_len for c in cells] + [total_cells.get(key, Text("")).cell_len]
        natural[key] = max([len(_short(key, lang))] + values)
    shown: dict[str, int] = {}
    used = 1  # the table's left border
    for key in _PRIORITY:
        if natural[key] == len(_short(key, lang)) and not any(c[key].plain for c in cells) \
                and key not in ("person_id", "total", "paid"):
            continue  # an empty column is no use on a narrow screen
        need = natural[key]
        if not wide and used + need + 3 > width:  # a text column may be cut with "…"
            need = min(natural[key], _TEXT_COLS.get(key, natural[key]))
        if wide or used + need + 3 <= width:
            shown[key] = need
            used += need + 3
    if not wide:  # give the room left to the columns that were cut
        for key in ("judgement", "name", "role"):
            if key in shown:
                extra = min(natural[key] - shown[key], max(width - used, 0))
                shown[key] += extra
                used += extra
    order = [(k, shown[k]) for k in _ORDER if k in shown]
    left_out = [k for k in _ORDER if k not in shown and any(c[k].plain for c in cells)]
    return order, left_out, cells, total_cells


def people_table(outcome: Outcome, lang: str, width: int = 200, wide: bool = False,
                 rows: Any = None) -> Table:
    """One row per person, fitted to ``width`` columns (see ``people_layout``): money and
    points are never cut; columns that do not fit are left out (``people_left_out``)."""
    order, _, cells, total_cells = people_layout(outcome, lang, width, wide, rows)
    table = Table(title=t("people_title", lang), title_justify="left", show_lines=False)
    for key, w in order:
        table.add_column(_short(key, lang), width=w, no_wrap=True, overflow="ellipsis",
                         justify="right" if key in _RIGHT else ("center" if key == "negative" else "left"))
    for row in cells:
        table.add_row(*(row[k] for k, _ in order))
    if outcome.rows:
        table.add_section()
        table.add_row(*(total_cells.get(k, "") for k, _ in order), style="bold")
    return table


def people_left_out(outcome: Outcome, lang: str, width: int, wide: bool = False,
                    rows: Any = None) -> list[str]:
    """The column headers ``people_table`` leaves out at ``width``."""
    return [_short(k, lang) for k in people_layout(outcome, lang, width, wide, rows)[1]]


def funds_table(outcome: Outcome, lang: str) -> Table:
    table = Table(title=t("funds_title", lang), title_justify="left")
    table.add_column(t("fund", lang))
    for key in ("resources", "distributed", "economies"):
        table.add_column(t(key, lang), justify="right", no_wrap=True)
    for fund in outcome.funds:
        table.add_row(Text(str(fund.get("label") or fund.get("fund") or "")),
                      format_money(fund.get("resources"), lang),
                      format_money(fund.get("distributed"), lang),
                      format_money(fund.get("economies"), lang))
    if len(outcome.funds) > 1:
        totals = outcome.totals()
        table.add_section()
        table.add_row(t("totals", lang), format_money(totals["resources"], lang),
                      format_money(totals["distributed"], lang),
                      format_money(totals["economies"], lang), style="bold")
    return table


def _summary_value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, Decimal):
        return format_decimal(value, lang)
    return str(value)


def _summary_lines(data: Any, lang: str, indent: int = 0) -> list[str]:
    """Generic rendering of summary entries smvp does not know (yet)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list, tuple)) and value:
                lines.append(f"{pad}{key}:")
                lines.extend(_summary_lines(value, lang, indent + 1))
            elif not isinstance(value, (dict, list, tuple)):
                lines.append(f"{pad}{key}: {_summary_value(value, lang)}")
    elif isinstance(data, (list, tuple)):
        for item in data:
            if isinstance(item, dict):
                lines.append(f"{pad}- " + ", ".join(
                    f"{k}: {_summary_value(v, lang)}" for k, v in item.items()))
            else:
                lines.append(f"{pad}- {_summary_value(item, lang)}")
    else:
        lines.append(pad + _summary_value(data, lang))
    return lines


# summary keys shown elsewhere (funds table, header) or by the specific renderers below
_SHOWN = {"chamber", "year", "people", "scored", "judgements", "negative", "payout_intervals",
          "maggiorazioni", "resources", "distributed", "economies", "not_computed", "notes",
          "organisational", "statuses", "ente_performance", "project_valuation"}
_LEVELS = {"ente": ("Ente", "Ente"), "area": ("Area", "Area"), "servizio": ("Servizio", "Service"),
           "ufficio": ("Ufficio", "Office")}


def organisational_table(outcome: Outcome, lang: str) -> Table | None:
    """Performance organizzativa: weighted achievement and status per unit and for the Ente."""
    units = outcome.summary.get("organisational") or []
    if not units:
        return None
    it = lang == "it"
    table = Table(title=t("org.title", lang), title_justify="left")
    table.add_column(t("org.level", lang), max_width=16)
    table.add_column(t("unit_id", lang), no_wrap=True)
    table.add_column(t("org.name", lang), overflow="ellipsis", max_width=48)
    table.add_column(t("org.objectives", lang), justify="right")
    table.add_column(t("org.achievement", lang), justify="right", no_wrap=True)
    has_status = any(u.get("status_label") for u in units)
    if has_status:
        table.add_column(t("org.status", lang), no_wrap=True)
    for u in units:
        level = str(u.get("level", ""))
        level_text = _LEVELS[level][0 if it else 1] if level in _LEVELS else \
            str(u.get("level_label") or level.replace("_", " ").capitalize())
        cells = [level_text, str(u.get("unit_id") or ""),
                 str(u.get("unit_label") or ""), str(u.get("objectives", "")),
                 format_percent(u.get("achievement"), lang)]
        if has_status:
            cells.append(str(u.get("status_label") or ""))
        table.add_row(*cells)
    return table


def _status_lines(console: Console, summary: dict, lang: str) -> None:
    statuses = summary.get("statuses") or {}
    for key, counts in statuses.items():
        if isinstance(counts, dict) and counts:
            label = t(f"org.status_{key}", lang) if key in ("indicators", "objectives") else key
            _line(console, f"{label}: " + "; ".join(f"{k} {v}" for k, v in counts.items()))
_TIE_POLICY = {
    "exclude_tied": ("esclusi tutti i pari merito al taglio (la quota non è mai superata)",
                     "everyone tied at the cut left out (the quota is never exceeded)"),
    "include_tied": ("inclusi tutti i pari merito al taglio (la quota può essere superata)",
                     "everyone tied at the cut included (the quota may be exceeded)"),
}
_MAGG_KEYS = ("population", "eligible", "quota", "recipients", "amount_each",
              "reduced_pro_rata", "tie_policy")


def _line(console: Console, text: str, style: str = "") -> None:
    console.print(Text(text, style=style), soft_wrap=True)


def _ente_lines(console: Console, outcome: Outcome, lang: str) -> None:
    """The Ente's performance (``organisational.ente``): final value, areas, fund reductions."""
    e = outcome.summary.get("ente_performance")
    if not isinstance(e, dict):
        return
    attested = e.get("attested")
    _line(console, t("ente_line", lang, label=e.get("label") or "", final=format_percent(e.get("final"), lang),
                     computed=format_percent(e.get("computed"), lang),
                     attested=format_percent(attested, lang) if attested is not None
                     else t("not_attested", lang)), "bold")
    for label, value in (e.get("areas") or {}).items():
        _line(console, f"  {label}: {format_percent(value, lang)}")
    reductions = e.get("reductions") or {}
    if reductions:
        names = {str(f.get("fund")): str(f.get("label") or f.get("fund")) for f in outcome.funds}
        _line(console, f"{t('fund_reductions', lang)}:")
        for fund, r in reductions.items():
            if isinstance(r, dict):
                text = t("reduction_line", lang, resources=format_money(r.get("resources"), lang),
                         percent=format_percent(r.get("percent"), lang),
                         reduced=format_money(r.get("reduced"), lang),
                         reduction=format_money(r.get("reduction"), lang))
            else:  # a stored run from before the structured summary
                text = str(r)
            _line(console, f"  {names.get(str(fund), fund)}: {text}")


def _project_lines(console: Console, outcome: Outcome, lang: str) -> None:
    """Project valuation (``project_valuation``): point value, points, total, share, allocation."""
    pv = outcome.summary.get("project_valuation")
    if not isinstance(pv, dict):
        return
    _line(console, f"{t('project_valuation_title', lang)}:", "bold")
    for label, f in pv.items():
        if not isinstance(f, dict):
            continue
        _line(console, "  " + t("project_fund_line", lang, fund=label,
                                unit_value=format_money(f.get("unit_value"), lang),
                                points=format_decimal(f.get("points"), lang),
                                total=format_money(f.get("total"), lang),
                                percent=format_percent(f.get("percent_of_fund"), lang)))
        allocation = f.get("allocation") or {}
        if allocation:
            _line(console, f"    {t('allocation', lang)}: " + "; ".join(
                f"{unit} {format_money(amount, lang)}" for unit, amount in allocation.items()))


def print_summary(console: Console, outcome: Outcome, lang: str) -> None:
    summary = outcome.summary
    org = organisational_table(outcome, lang)
    if org is not None:
        console.print(org)
        console.print()
    if outcome.funds:
        console.print(funds_table(outcome, lang))
        console.print()
    _line(console, t("summary", lang), "bold")

    people = summary.get("people")
    if people is None:
        people = len(outcome.rows)
    scored = summary.get("scored")
    if scored is None:
        scored = sum(1 for r in outcome.rows if r.get("total") is not None)
    _line(console, t("people_scored", lang, people=people, scored=scored))

    judgements = summary.get("judgements")
    if not isinstance(judgements, dict):
        judgements = dict(Counter(str(r.get("judgement_label") or r.get("judgement"))
                                  for r in outcome.rows if r.get("judgement") is not None))
    if judgements:
        _line(console, f"{t('judgements_title', lang)}: " + "; ".join(
            f"{label} {n}" for label, n in judgements.items()))
    negatives = summary.get("negative")
    if negatives is None:
        negatives = sum(1 for r in outcome.rows if r.get("negative"))
    _line(console, f"{t('negatives', lang)}: {negatives}")
    _status_lines(console, summary, lang)

    intervals = summary.get("payout_intervals") or []
    if intervals:
        curves: dict[str, list[dict[str, Any]]] = {}
        for band in intervals:
            curves.setdefault(str(band.get("curve", "")), []).append(band)
        for curve, bands in curves.items():
            _line(console, f"{t('payout_intervals', lang)} ({curve}):")
            for band in bands:
                _line(console, f"  {band.get('interval', '')} → {band.get('value', '')}: "
                               f"{t('people_count', lang, n=band.get('people', '?'))}")

    maggiorazioni = summary.get("maggiorazioni") or []
    if maggiorazioni:
        _line(console, f"{t('maggiorazioni_title', lang)}:")
        for m in maggiorazioni:
            if not isinstance(m, dict):
                _line(console, f"  {m}")
                continue
            parts = []
            for key in _MAGG_KEYS:
                if key not in m:
                    continue
                value = m[key]
                if key == "amount_each":
                    shown = format_money(value, lang)
                elif key == "reduced_pro_rata":
                    if not value:
                        continue
                    parts.append(t(key, lang))
                    continue
                elif key == "tie_policy":
                    shown = _TIE_POLICY.get(str(value), (value, value))[0 if lang == "it" else 1]
                else:
                    shown = _summary_value(value, lang)
                parts.append(f"{t(key, lang)} {shown}")
            _line(console, f"  {m.get('label') or m.get('id')}: " + ", ".join(parts))

    _ente_lines(console, outcome, lang)
    _project_lines(console, outcome, lang)

    rest = {k: v for k, v in summary.items() if k not in _SHOWN}
    for line in _summary_lines(rest, lang):
        _line(console, line)

    for note in summary.get("notes") or []:
        _line(console, f"{t('notes', lang)}: {say(not_computed_text(note), lang)}")

    not_computed = outcome.not_computed
    if not_computed:
        _line(console, t("not_computed", lang), "bold yellow")
        for item in not_computed:
            _line(console, "  - " + say(not_computed_text(item), lang), "yellow")
    else:
        _line(console, t("nothing_not_computed", lang))


def header_text(outcome: Outcome, lang: str) -> Text:
    """Chamber, year and profile version (no machine paths): ``Camera di Commercio di Cuneo —
    anno 2024 — profilo cuneo.yaml, valido 2024– (2dd4ec7b6143) — dati 2024 (a1b2c3d4e5f6)``."""
    info = outcome.info
    version = f", {t('valid_from_text', lang, validity=info.profile_version)}" \
        if info.profile_version else ""
    return Text.assemble(
        (info.chamber_name or info.chamber, "bold"),
        " — " + t("header_line", lang, year=info.year,
                  profile=_base_name(info.profile_path) + version, profile_hash=info.profile_sha256[:12],
                  data=_base_name(info.dataset_path), data_hash=info.dataset_sha256[:12]))


def _base_name(path: str) -> str:
    from pathlib import PurePath

    return PurePath(str(path)).name or str(path)


#: a run with more people than this shows its first FIRST_ROWS (``--all`` shows every row)
LARGE_RUN = 200
FIRST_ROWS = 20


def shown_rows(outcome: Outcome, all_rows: bool = False) -> Any:
    """The rows the terminal shows: every row, or the first FIRST_ROWS of a large run."""
    rows = outcome.rows
    if all_rows or len(rows) <= LARGE_RUN:
        return rows
    head = getattr(rows, "head", None)
    return head(FIRST_ROWS) if head is not None else list(rows[:FIRST_ROWS])


def print_outcome(console: Console, outcome: Outcome, lang: str, *, wide: bool = False,
                  all_rows: bool = False) -> None:
    console.print(header_text(outcome, lang))
    rows = shown_rows(outcome, all_rows)
    if any(r.get("total") is not None for r in rows):  # nobody scored: no empty table
        table = people_table(outcome, lang, console.width, wide, rows)
        if wide:
            order = people_layout(outcome, lang, console.width, wide, rows)[0]
            needed = sum(w + 3 for _, w in order) + 1
            before = console.width
            console.width = max(before, needed)  # lines wider than the terminal (e.g. for less -S)
            try:
                console.print(table, crop=False)
            finally:
                console.width = before
        else:
            console.print(table)
        left_out = people_left_out(outcome, lang, console.width, wide, rows)
        if left_out:
            _line(console, t("columns_left_out", lang, columns=", ".join(left_out)), "dim")
        if len(rows) < len(outcome.rows):
            _line(console, t("first_rows", lang, shown=len(rows), people=len(outcome.rows)), "dim")
        console.print()
    print_summary(console, outcome, lang)


def runs_table(runs: list[RunListing], lang: str, states: dict[int, str] | None = None,
               width: int | None = None) -> Table:
    """The stored runs. Narrower than 120 columns (``width``, the terminal's), the hashes and the
    engine version are left out (``smvp runs --json`` and ``smvp verify`` give them), so that the
    id, chamber, year, date, total and state are shown whole."""
    from smvp.store import from_hundredths

    narrow = width is not None and width < 120
    table = Table(title=t("runs_title", lang), title_justify="left",
                  caption=t("runs_narrow", lang) if narrow else None, caption_justify="left")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column(t("chamber", lang), no_wrap=True)
    table.add_column(t("year", lang), justify="right", no_wrap=True)
    table.add_column(t("created_at", lang), no_wrap=not narrow)
    if not narrow:
        table.add_column(t("profile_hash", lang), no_wrap=True)
        table.add_column(t("dataset_hash", lang), no_wrap=True)
        table.add_column(t("engine_version", lang))
    table.add_column(t("people", lang), justify="right", no_wrap=True)
    money = [format_money(from_hundredths(run.distributed_cents), lang) for run in runs]
    table.add_column(t("distributed_total", lang), justify="right",  # the amounts whole, the header may wrap
                     min_width=max(map(len, money), default=0) or None)
    if states is not None:  # wrapped between words, never cut inside one
        longest = max((len(word) for text in states.values() for word in text.split()), default=0)
        table.add_column(t("payout_state", lang), min_width=min(longest, 20) or None)
    for run, amount in zip(runs, money):
        cells: list[str | Text] = [str(run.id), Text(run.chamber), str(run.year), format_datetime(run.created_at, lang)]
        if not narrow:
            cells += [run.profile_sha256[:12], run.dataset_sha256[:12], run.engine_version]
        cells += [str(run.people), amount]
        if states is not None:
            cells.append(states.get(run.id, ""))
        table.add_row(*cells)
    return table
