"""Input as Excel gives it: one self-contained step before the loader types a table.

The loader (:mod:`smvp_engine.dataset`) calls four functions and nothing else:

* :func:`decode` — a CSV file's bytes as UTF-8 (BOM removed). A file that is not
  UTF-8 but is valid Windows-1252 (what Italian Excel writes with "CSV (delimitato
  da separatore di elenco)") is converted, with a note saying so; anything else is
  left to the loader's "not UTF-8" error.
* :func:`table_name` and :func:`column_name` — a file, sheet or header name as the
  dataset format's name: case, accents, spaces and hyphens do not matter, and the
  Italian names of :data:`TABLE_ALIASES` and :data:`COLUMN_ALIASES` are accepted
  (``matricola`` → ``person_id``, ``personale`` → ``staff``).
* :func:`keyword` — a keyword cell in the format's word (``decrescente`` → ``lower``).
* :func:`grouped_number` — a number written with thousands separators where that is
  unambiguous (``1.234,56``, ``1,234.56``, ``1.234.567``, ``1 234,5``) as canonical
  text (``1234.56``); None when it is not such a number, or is ambiguous (``1.234``:
  one thousand two hundred thirty-four, or one point two three four?), which the
  loader reports as before, naming the cell.

The tables are documented for users in docs/profile.md's dataset section and
docs/it/dati.md; :func:`alias_table` gives them as rows.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["COLUMN_ALIASES", "KEYWORD_ALIASES", "TABLE_ALIASES", "alias_table", "column_name",
           "decode", "grouped_number", "keyword", "table_name"]

#: Italian (and common) table names → the format's table (files ``<name>.csv``, sheets).
TABLE_ALIASES: dict[str, str] = {
    "unita": "units", "unita_organizzative": "units", "strutture": "units",
    "obiettivi": "objectives",
    "indicatori": "indicators",
    "personale": "staff", "dipendenti": "staff", "persone": "staff",
    "categorie": "categories",
    "comportamenti": "behaviours", "valutazioni_comportamenti": "behaviours",
    "assenze": "absences",
    "assegnazioni": "assignments",
    "risorse": "resources", "fondi": "resources",
    "progetti": "projects",
    "collegamenti": "objective_links", "collegamenti_obiettivi": "objective_links",
    "ciclo": "cycle", "calendario": "cycle",
    "info": "meta", "metadati": "meta",
}

#: Italian column names → the format's column (the same name in every table that has it).
COLUMN_ALIASES: dict[str, str] = {
    # people
    "matricola": "person_id", "id_persona": "person_id", "codice_dipendente": "person_id",
    "nome": "name", "cognome_e_nome": "name", "nominativo": "name", "nome_e_cognome": "name",
    "ruolo": "role", "profilo_di_valutazione": "role",
    "unita": "unit_id", "codice_unita": "unit_id", "id_unita": "unit_id", "struttura": "unit_id",
    "part_time": "part_time", "percentuale_part_time": "part_time", "quota_part_time": "part_time",
    "giorni_di_presenza": "presence_days", "giorni_presenza": "presence_days",
    "coefficiente_temporale": "time_coefficient", "coefficiente_di_presenza": "time_coefficient",
    "premio_teorico": "theoretical_premium", "importo_teorico": "theoretical_premium",
    "categoria": "category",
    "quota_fondo": "pool_share", "quota_del_fondo": "pool_share",
    "retribuzione_di_posizione": "position_pay",
    "criterio_di_parita": "tie_breaker", "spareggio": "tie_breaker",
    # units
    "descrizione": "label", "denominazione": "label", "etichetta": "label",
    "livello": "level",
    "unita_superiore": "parent_id", "unita_padre": "parent_id", "codice_unita_superiore": "parent_id",
    # objectives and indicators
    "obiettivo": "objective_id", "codice_obiettivo": "objective_id", "id_obiettivo": "objective_id",
    "peso": "weight",
    "tipo": "type", "tipologia": "type",
    "percentuale_attestata": "attested_percent", "attestato_percentuale": "attested_percent",
    "nota_attestazione": "attestation_note", "note_attestazione": "attestation_note",
    "indicatore": "indicator_id", "codice_indicatore": "indicator_id", "id_indicatore": "indicator_id",
    "valore_atteso": "target", "valore_obiettivo": "target",
    "valore_effettivo": "actual", "consuntivo": "actual", "valore_raggiunto": "actual",
    "direzione": "direction", "verso": "direction", "polarita": "direction",
    # behaviours, absences, assignments
    "fattore": "factor", "punteggio": "score", "voto": "score",
    "giorni": "days",
    "componente": "component",
    # resources, projects, links, cycle, meta
    "voce": "resource", "risorsa": "resource", "voce_di_risorse": "resource",
    "importo": "amount", "ammontare": "amount",
    "rilevanza": "relevance", "nota": "note", "note": "note",
    "finanziato_da": "funds", "fondi_finanziatori": "funds",
    "obiettivo_collegato": "linked_objective_id",
    "passo": "step", "fase": "step", "data": "date",
    "chiave": "key", "valore": "value",
}

#: Keyword cells: column → {Italian word: the format's word}.
KEYWORD_ALIASES: dict[str, dict[str, str]] = {
    "direction": {
        "crescente": "higher", "maggiore": "higher", "piu_alto": "higher", "aumento": "higher",
        "alto": "higher",
        "decrescente": "lower", "minore": "lower", "piu_basso": "lower", "diminuzione": "lower",
        "basso": "lower",
    },
}

_NAME_JUNK = re.compile(r"[\s\-./]+")


def _plain(text: str) -> str:
    """Lower case, no accents, spaces/hyphens/dots as ``_``: ``Unità superiore`` → ``unita_superiore``."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NAME_JUNK.sub("_", text).strip("_")


def table_name(name: str) -> str:
    """A file stem or sheet name as the format's table name (``Personale`` → ``staff``).
    A name that is neither a table nor an alias is returned lower-cased (the loader reports it)."""
    raw = name.strip().lower()
    if raw.endswith(".csv"):
        raw = raw[:-4].strip()
    plain = _plain(raw)
    return TABLE_ALIASES.get(plain, plain if plain and plain.isascii() else raw)


def column_name(name: str) -> str:
    """A header cell's text as the format's column name (``Matricola`` → ``person_id``,
    ``Person ID`` → ``person_id``). Unknown names come back normalised (the loader reports them)."""
    plain = _plain(name)
    return COLUMN_ALIASES.get(plain, plain if plain.isascii() else name.strip().lower())


def keyword(column: str, value: str) -> str:
    """A keyword cell of ``column`` in the format's word (``decrescente`` → ``lower``);
    other values come back lower-cased and stripped."""
    plain = _plain(value)
    return KEYWORD_ALIASES.get(column, {}).get(plain, value.strip().lower())


_WINDOWS_1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def decode(data: bytes) -> tuple[bytes, str | None]:
    """A CSV file's bytes as UTF-8 without BOM, and a note when they were converted.

    UTF-8 (with or without BOM) passes unchanged. Bytes that are not UTF-8 but are
    Windows-1252 (no byte of the five it leaves undefined) are converted, noting
    ``"read as Windows-1252 (the file is not UTF-8)"``. Anything else is returned as
    is, for the loader's located "not UTF-8" error.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], None
    if data.isascii():  # plain ASCII is UTF-8: no need to decode a copy to know it
        return data, None
    try:
        data.decode("utf-8")
        return data, None
    except UnicodeDecodeError:
        pass
    if _WINDOWS_1252_UNDEFINED.intersection(data):
        return data, None
    return data.decode("cp1252").encode("utf-8"), "read as Windows-1252 (the file is not UTF-8)"


_SIGN = r"[+-]?"
_IT_GROUPED = re.compile(_SIGN + r"\d{1,3}(?:\.\d{3})+,\d+")        # 1.234,56
_EN_GROUPED = re.compile(_SIGN + r"\d{1,3}(?:,\d{3})+\.\d+")        # 1,234.56
_MANY_GROUPS = re.compile(_SIGN + r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})+")  # 1.234.567
_SPACE_GROUPED = re.compile(_SIGN + r"\d{1,3}(?:[ '\u00a0\u202f]\d{3})+(?:[.,]\d+)?")  # 1 234,5


def grouped_number(text: str) -> str | None:
    """An unambiguous number with thousands separators as canonical text, else None.

    ``1.234,56`` and ``1,234.56`` → ``1234.56``; ``1.234.567`` → ``1234567``;
    ``1 234,5`` (space, no-break space or apostrophe between groups) → ``1234.5``.
    ``1.234`` or ``1,234`` (one separator before three digits) is ambiguous: None.
    """
    s = text.strip().replace("\u2212", "-")
    if _IT_GROUPED.fullmatch(s):
        return s.replace(".", "").replace(",", ".")
    if _EN_GROUPED.fullmatch(s):
        return s.replace(",", "")
    if _MANY_GROUPS.fullmatch(s):
        return s.replace(".", "").replace(",", "")
    if _SPACE_GROUPED.fullmatch(s):
        return re.sub(r"[ '\u00a0\u202f]", "", s).replace(",", ".")
    return None


def alias_table() -> list[tuple[str, str, str]]:
    """Every alias as (kind, Italian name, format name), kind in table/column/keyword (for docs)."""
    rows = [("table", k, v) for k, v in TABLE_ALIASES.items()]
    rows += [("column", k, v) for k, v in COLUMN_ALIASES.items() if k != v]
    rows += [("keyword", k, v) for col in KEYWORD_ALIASES.values() for k, v in col.items()]
    return rows
