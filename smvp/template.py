"""``smvp init --data-template --chamber ID``: the year's dataset as an empty Excel workbook.

One sheet per table of the dataset format (engine/dataset.py ``TABLES``), the
header row in the format's column names (each with an Italian comment saying
what goes there, required or not), and data-validation lists from the profile
where a cell must be one of its ids: roles, behaviour factors, absence types,
unit levels, fund resources, results components, indicator directions. The
workbook loads as it is (``smvp evaluate --data``) once filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smvp_engine.dataset import TABLES

#: Italian description of each column (shown as the header cell's comment).
COLUMN_HELP: dict[str, str] = {
    "unit_id": "codice dell'unità organizzativa", "label": "descrizione",
    "level": "livello (dall'elenco)", "parent_id": "codice dell'unità superiore",
    "objective_id": "codice dell'obiettivo", "person_id": "matricola",
    "weight": "peso (vuoto = 1)", "type": "tipo (dall'elenco)",
    "attested_percent": "percentuale attestata dall'OIV (95 = 95 %)",
    "attestation_note": "nota dell'attestazione", "indicator_id": "codice dell'indicatore",
    "target": "valore atteso", "actual": "valore effettivo",
    "direction": "higher se migliora crescendo, lower se migliora diminuendo",
    "name": "cognome e nome", "role": "ruolo (dall'elenco)",
    "part_time": "part-time come frazione (1 = tempo pieno; 0,5 o 50%)",
    "presence_days": "giorni di presenza", "time_coefficient": "coefficiente temporale (1 = anno intero)",
    "theoretical_premium": "premio teorico in euro", "category": "categoria",
    "pool_share": "quota del fondo", "position_pay": "retribuzione di posizione in euro",
    "tie_breaker": "criterio di parità (più alto prima)", "factor": "fattore di comportamento (dall'elenco)",
    "score": "punteggio", "days": "giorni", "component": "componente dei risultati (dall'elenco)",
    "resource": "voce di risorse (dall'elenco)", "amount": "importo in euro",
    "relevance": "rilevanza", "funds": "fondi che lo finanziano (codici separati da +; vuoto = quelli del profilo)", "note": "nota", "linked_objective_id": "obiettivo collegato",
    "step": "passo del ciclo", "date": "data (gg/mm/aaaa)", "key": "chiave", "value": "valore",
}


def _ids(mapping: Any) -> list[str]:
    return [str(k) for k in mapping] if isinstance(mapping, dict) else []


def validation_lists(data: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(table, column) → allowed values, from the profile's data."""
    roles = data.get("roles") or {}
    factors: dict[str, None] = {}
    components: dict[str, None] = {}
    for role in roles.values():
        if not isinstance(role, dict):
            continue
        for fid in _ids((role.get("behaviours") or {}).get("factors") if isinstance(role.get("behaviours"), dict) else {}):
            factors.setdefault(fid, None)
        for cid in _ids((role.get("results") or {}).get("components") if isinstance(role.get("results"), dict) else {}):
            components.setdefault(cid, None)
    levels = _ids((data.get("organisational") or {}).get("levels"))
    resources: dict[str, None] = {}
    for fund in (data.get("funds") or {}).values():
        if isinstance(fund, dict) and fund.get("resource"):
            resources.setdefault(str(fund["resource"]), None)
    lists = {
        ("staff", "role"): _ids(roles),
        ("behaviours", "factor"): list(factors),
        ("absences", "type"): _ids(data.get("absence_types")),
        ("units", "level"): levels,
        ("objectives", "level"): levels + ["individuale"],
        ("assignments", "component"): list(components),
        ("resources", "resource"): list(resources),
        ("indicators", "direction"): ["higher", "lower"],
    }
    return {k: v for k, v in lists.items() if v}


def write_template(data: dict[str, Any], path: Path, *, year: int | None = None, rows: int = 1000) -> Path:
    """Write the empty dataset workbook for the profile ``data`` to ``path`` (validations on
    ``rows`` rows below the header). Lists are inline (no extra sheet: the loader reads every
    sheet as a table); a list longer than Excel's 255 characters is given in the header's comment."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = validation_lists(data)
    wb = Workbook()
    wb.remove(wb.active)
    for name, spec in TABLES.items():
        ws = wb.create_sheet(name)
        ws.append(spec.column_names)
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True)
            note = COLUMN_HELP.get(col.name, col.name) + (" — obbligatoria" if col.required else "")
            cell.comment = Comment(note, "smvp")
            ws.column_dimensions[get_column_letter(i)].width = max(len(col.name) + 4, 14)
            allowed = lists.get((name, col.name))
            if not allowed:
                continue
            letter = get_column_letter(i)
            formula = '"' + ",".join(allowed) + '"'
            if len(formula) > 255:  # Excel's limit for an inline list: the values in the comment
                cell.comment = Comment(note + "\nValori: " + ", ".join(allowed), "smvp")
                continue
            dv = DataValidation(type="list", formula1=formula, allow_blank=not col.required,
                                showErrorMessage=True, errorTitle="Valore non previsto",
                                error=f"Scegliere un valore dell'elenco ({COLUMN_HELP.get(col.name, col.name)}).")
            dv.add(f"{letter}2:{letter}{rows + 1}")
            ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    if year is not None:
        wb["meta"].append(["year", year])
    wb.save(path)
    return path
