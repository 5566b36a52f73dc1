"""Exports of an evaluation: .csv (people), .json (everything), .xlsx (a workbook for people).

JSON and the standard CSV (``--csv-dialect standard``, the default with English
output) follow the results contract (smvp/results.py, docs/results.md): the same
field names, money as ``1524.90`` in euro, points and percent as exact decimals.
With Italian output a .csv is for Italian Excel by default: ``;`` separated,
``1524,90``, Italian headers, UTF-8 with BOM. XLSX (smvp/xlsx.py) holds the same
fields and units as numeric cells with real number formats (€, %, points).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from smvp import results
from smvp.errors import ExportProblem, UsageProblem
from smvp.export_tables import (
    columnar,
    header,
    payout_state,
    people_table,
)
from smvp.i18n import t, yes_no
from smvp.report import Outcome
from smvp_engine.errors import Msg

FORMATS = (".csv", ".json", ".xlsx", ".parquet")


def check_format(path: Path | str) -> str:
    """The export format of ``path`` from its extension; UsageProblem (exit 2) if unknown."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageProblem(
            Msg("cannot export to {path!r}: unknown extension {suffix!r}", path=str(path), suffix=suffix)
            if suffix else Msg("cannot export to {path!r}: the file name has no extension", path=str(path)),
            hint=Msg("use a file name ending in .csv, .json or .xlsx (or .parquet: the people as a table)"),
        )
    return suffix


CSV_DIALECTS = ("it", "standard")


def csv_dialect(lang: str, dialect: str | None = None) -> str:
    """The CSV dialect to write: ``dialect`` if given (``it``/``italiano`` or ``standard``), else
    ``it`` with Italian output and ``standard`` (the results contract) otherwise. UsageProblem
    for another name."""
    if dialect is None:
        return CSV_DIALECTS[0] if lang == "it" else CSV_DIALECTS[1]
    name = {"italiano": "it", "italian": "it", "excel": "it"}.get(dialect.strip().lower(),
                                                                   dialect.strip().lower())
    if name not in CSV_DIALECTS:
        raise UsageProblem(Msg("--csv-dialect {dialect!r}: unknown dialect", dialect=dialect),
                           hint=Msg("use it (Excel in italiano: ';' e ',') or standard (the results contract)"))
    return name


def write(outcome: Outcome, path: Path | str, lang: str, *, dialect: str | None = None) -> Path:
    """Write ``outcome`` to ``path`` in the format its extension names (``dialect``: of a .csv,
    see :func:`csv_dialect`)."""
    path = Path(path)
    chosen = csv_dialect(lang, dialect)
    writer: Callable[[Outcome, Path, str], None] = {
        ".csv": write_csv if chosen == "standard" else write_csv_it,
        ".json": write_json, ".xlsx": write_xlsx, ".parquet": write_parquet,
    }[check_format(path)]
    try:
        writer(outcome, path, lang)
    except OSError as exc:
        raise ExportProblem(Msg("cannot write {path}: {why}", path=str(path), why=exc.strerror or str(exc))) from exc
    return path


# --------------------------------------------------------------------------- csv


def write_csv(outcome: Outcome, path: Path, lang: str) -> None:
    """People only, the standard dialect: the results contract's field names as header
    (smvp/results.py, docs/results.md), its representation (money ``1524.90`` in euro,
    exact decimal points and percent, ``.`` decimals, 1/0 flags, blank for null);
    comma separated; UTF-8 with BOM so that Excel reads the accents."""
    cols = results.people_csv_columns(outcome.component_ids(), outcome.reported_ids())
    state = payout_state(outcome)
    if _csv_from_columns(outcome, path, cols, [name for name, _ in cols], ",", ".", ("0", "1"), state,
                         csv.writer):
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([name for name, _ in cols])
        for values in _people_values(outcome, cols, state):
            out.writerow([results.csv_cell(kind, value) for (_, kind), value in zip(cols, values)])


def _people_values(outcome: Outcome, cols: list[tuple[str, str]], state: str) -> Iterator[list[Any]]:
    """Each person's values in the order of ``cols`` (the contract's people columns):
    ``component:<id>`` from the person's components, ``reported:<id>`` from its reported ones
    (``counts: false``), ``payout_state`` (when the row has none)
    as ``state`` for people who are paid."""
    for row in outcome.rows:
        comps = row.get("components") or {}
        values = []
        for name, _kind in cols:
            if name.startswith("component:"):
                values.append(comps.get(name.split(":", 1)[1]))
            elif name.startswith("reported:"):
                values.append((row.get("reported") or {}).get(name.split(":", 1)[1]))
            elif name == "payout_state":
                values.append(row.get(name) or (state if row.get("paid") is not None else None))
            else:
                values.append(row.get(name))
        yield values


def _csv_from_columns(outcome: Outcome, path: Path, cols: list[tuple[str, str]], head: list[str],
                      delimiter: str, point: str, flags: tuple[str, str], state: str,
                      writer: Any) -> bool:
    """Write the people CSV from the engine's columns (smvp/results_columns.py: the same text
    as the row writers, streamed in parts); False when the outcome has no columns or a
    value cannot be written that way (the caller writes the rows)."""
    ev = columnar(outcome)
    if ev is None:
        return False
    from smvp import results_columns

    try:
        layout = results_columns.csv_layout(ev, cols, delimiter=delimiter, point=point,
                                            flags=flags, state=state)
    except ValueError:
        return False
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer(fh).writerow(head)
        fh.flush()
        results_columns.write_lines(fh.buffer, layout, len(outcome.rows))
    return True


def _it_cell(kind: str, value: Any, lang: str) -> str:
    """A value for Italian Excel: ``1524,90`` (no grouping, no €: a number Excel sums), flags sì/no."""
    if value is None:
        return ""
    if kind == results.FLAG:
        return yes_no(bool(value), lang)
    shown = results.csv_cell(kind, value)
    if kind in (results.MONEY, results.POINTS, results.PERCENT, results.FRACTION):
        return shown.replace(".", ",")
    return shown


def write_csv_it(outcome: Outcome, path: Path, lang: str) -> None:
    """People for Italian Excel (the default with Italian output): ``;`` separated, ``,`` decimals
    without grouping (``1524,90``: euro; percent as ``96,79``; points ``74,01``), sì/no flags,
    headers in ``lang`` (the contract's name in brackets is not repeated: ``--csv-dialect standard``
    writes those), UTF-8 with BOM so that Excel opens it directly with its accents."""
    cols = results.people_csv_columns(outcome.component_ids(), outcome.reported_ids())
    state = payout_state(outcome)
    shown_state = t(f"state_{state}", lang)
    if _csv_from_columns(outcome, path, cols, [header(name, lang) for name, _ in cols], ";", ",",
                         (yes_no(False, lang), yes_no(True, lang)), shown_state,
                         lambda fh: csv.writer(fh, delimiter=";", lineterminator="\r\n")):
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        out.writerow([header(name, lang) for name, _ in cols])
        for values in _people_values(outcome, cols, shown_state):
            out.writerow([_it_cell(kind, value, lang) for (_, kind), value in zip(cols, values)])


# --------------------------------------------------------------------------- json


def contract_document(outcome: Outcome) -> dict[str, Any]:
    """The results document (smvp/results.py, schema/results.schema.json) of ``outcome``."""
    return results.document(
        run=dict(outcome.info.as_dict(), payout_state=payout_state(outcome)),
        people=outcome.rows, funds=outcome.funds, objectives=outcome.objectives,
        summary=outcome.summary)


def to_json(outcome: Outcome) -> str:
    """``smvp evaluate --json``: the results document as JSON text."""
    return results.dumps(contract_document(outcome))


def _document_without_people(outcome: Outcome) -> dict[str, Any]:
    return results.document(
        run=dict(outcome.info.as_dict(), payout_state=payout_state(outcome)),
        people=[], funds=outcome.funds, objectives=outcome.objectives, summary=outcome.summary)


def stream_json(outcome: Outcome, out: TextIO) -> None:
    """Write the results document (the text of :func:`to_json` and a newline) to ``out``;
    the people streamed from the engine's columns when no per-person rows were built."""
    ev = columnar(outcome)
    if ev is None:
        out.write(to_json(outcome) + "\n")
        return
    from smvp import results_columns

    results_columns.write_json(out, _document_without_people(outcome), ev)


def write_json(outcome: Outcome, path: Path, lang: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        stream_json(outcome, fh)


def write_parquet(outcome: Outcome, path: Path, lang: str) -> None:
    """The people as a Parquet table (the contract's fields and representations: ids and
    labels as text, points and euro as exact decimal strings, ``component:<id>`` columns,
    ``payout_state``); the rest of the results document (run, funds, objectives, summary)
    in the file's metadata under ``smvp.results`` (JSON)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from smvp import results_columns

    ev = columnar(outcome)
    if ev is not None:
        table = results_columns.people_table(ev, payout_state(outcome))
    else:
        cols, rows = people_table(outcome)
        table = pa.table({c: pa.array([results.csv_cell(_kind(c), r[k]) if r[k] is not None else None
                                       for r in rows], pa.string())
                          for k, c in enumerate(cols)})
    meta = dict(table.schema.metadata or {})
    meta[b"smvp.results"] = results.dumps(_document_without_people(outcome)).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(meta), path)


def _kind(column: str) -> str:
    if column.startswith("component:"):
        return results.POINTS
    if column.startswith("reported:"):
        return results.PERCENT
    return results.PEOPLE.get(column, results.TEXT)


# --------------------------------------------------------------------------- xlsx


def write_xlsx(outcome: Outcome, path: Path, lang: str) -> None:
    """The results workbook for people (smvp/xlsx.py)."""
    from smvp.xlsx import write_xlsx as write_workbook

    write_workbook(outcome, path, lang)
