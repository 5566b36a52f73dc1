"""The tables an export writes, shared by every format (smvp/export.py for .csv, .json and
.parquet, smvp/xlsx.py for the workbook): the people's columns in order and their headers in
the user's language, the funds and objectives tables, the run's summary lines and the
payout state (provvisorio / definitivo).
"""

from __future__ import annotations

from typing import Any

from smvp.i18n import say, t
from smvp.report import (
    LazyRows,
    Outcome,
)
from smvp.results import not_computed_text

# people columns, in order (components are inserted after unit_id)
PEOPLE_COLUMNS = (
    "person_id", "name", "role", "role_label", "unit_id",
    "results", "behaviour", "total", "judgement", "judgement_label", "negative",
    "payout_percent", "coefficient_name", "coefficient", "theoretical", "premium",
    "maggiorazione", "paid", "maggiorazione_rank", "fund", "payout_state",
)


def _component_key(cid: str) -> str:
    return f"component:{cid}"


def people_columns(outcome: Outcome) -> list[str]:
    """The people table's column keys in order: :data:`PEOPLE_COLUMNS` with each results
    component (``component:<id>``, points) and each reported one (``reported:<id>``, grado di
    raggiungimento in %) after ``unit_id``."""
    cols = list(PEOPLE_COLUMNS)
    at = cols.index("unit_id") + 1
    cols[at:at] = ([_component_key(c) for c in outcome.component_ids()]
                   + [f"reported:{c}" for c in outcome.reported_ids()])
    return cols


def header(key: str, lang: str) -> str:
    """A column key's header in ``lang`` ("it" or "en")."""
    if key.startswith("component:"):
        return f"{t('component', lang)} {key.split(':', 1)[1]}"
    if key.startswith("reported:"):  # a counts: false component: grado di raggiungimento, no points
        return t("reported_component", lang, id=key.split(":", 1)[1])
    if key == "role":
        return t("role", lang) + " (id)"
    if key == "judgement":
        return t("judgement", lang) + " (id)"
    return t(key, lang)


def payout_state(outcome: Outcome) -> str:
    """"provvisorio" or "definitivo" (smvp/conciliation.py): a run is provisional until the OIV has
    validated the Relazione and its conciliation terms are over (``smvp run export`` sets it)."""
    return str(getattr(outcome.info, "payout_state", None) or "provvisorio")


def people_table(outcome: Outcome, lang: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """The people as rows of :func:`people_columns` (values as the results contract has them);
    the payout state in ``lang``, or as its id without one."""
    cols = people_columns(outcome)
    state = payout_state(outcome)
    shown_state = t(f"state_{state}", lang) if lang else state
    rows = []
    for row in outcome.rows:
        comps = row.get("components") or {}
        line = []
        for key in cols:
            if key.startswith("component:"):
                line.append(comps.get(key.split(":", 1)[1]))
            elif key.startswith("reported:"):
                line.append((row.get("reported") or {}).get(key.split(":", 1)[1]))
            elif key == "payout_state":
                line.append(row.get(key) or (shown_state if row.get("paid") is not None else None))
            else:
                line.append(row.get(key))
        rows.append(line)
    return cols, rows


def run_table(outcome: Outcome, lang: str) -> list[tuple[str, Any]]:
    """The run's summary as (label in ``lang``, value) lines: its record, the people, the payout
    state, the totals (euro) and what could not be computed."""
    info = outcome.info.as_dict()
    items: list[tuple[str, Any]] = [(t(k, lang), v) for k, v in info.items()]
    items.append((t("people", lang), len(outcome.rows)))
    items.append((t("payout_state", lang), t(f"state_{payout_state(outcome)}", lang)))
    for name, value in outcome.totals().items():
        items.append((f"{t('totals', lang)}: {t(name, lang)}", value))
    for item in outcome.not_computed:
        items.append((t("not_computed", lang), say(not_computed_text(item), lang)))
    return items


def columnar(outcome: Outcome) -> Any:
    """The evaluation the people can be written from as columns (an outcome of this process's
    evaluation, whether or not its rows were built), or None (e.g. a run read back from the
    store)."""
    rows = outcome.rows
    return rows.evaluation if isinstance(rows, LazyRows) and rows.columnar else None
