"""The people of a run as columns, under the results contract (smvp/results.py).

For a large run the per-person dicts of ``Evaluation.rows()`` are the slow part
of the output (a million people: a minute to build, another to write as JSON).
This module builds the same values from the engine's columns (codes and
integer units) with no per-person Python: each field of :data:`results.PEOPLE`
as a pyarrow column holding exactly what the contract writes (decimal strings
for points, percent, fractions and money; text; flags; counts; null for a
missing value), then

* :func:`write_json` streams the results document (``smvp evaluate --json``),
  byte for byte the text :func:`smvp.results.dumps` gives for the same run;
* :func:`people_table` gives the people as a pyarrow Table (one column per
  results component, ``component:<id>``, as in the contract's CSV) for
  Parquet and CSV writers.

Every value goes through the contract's rules: points and money as integer
units written with their decimals (``decimal_from_units``), payout percent and
coefficient rounded half up from the exact fractions (as ``Evaluation.rows``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smvp import phases, results, textblocks
from smvp_engine.columnar import json_texts
from smvp_engine.columns import as_objects

_NULL_STR = pa.scalar(None, pa.string())


# --------------------------------------------------------------------------- value columns


def decimal_texts(units: np.ndarray, digits: int, valid: np.ndarray | None = None) -> pa.Array:
    """Integers in 1/10**digits as exact decimal strings with ``digits`` places (7401, 2 → "74.01");
    null where ``valid`` is False. Zero is "0.00" (never "-0.00")."""
    units = np.asarray(units, dtype=np.int64)
    text = pc.cast(pa.array(np.abs(units)), pa.string())
    if digits:
        padded = pc.utf8_lpad(text, digits + 1, "0")
        text = pc.binary_join_element_wise(pc.utf8_slice_codeunits(padded, 0, -digits),
                                           pc.utf8_slice_codeunits(padded, -digits), ".")
    negative = units < 0
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    if valid is not None and not valid.all():
        text = pc.if_else(pa.array(valid), text, _NULL_STR)
    return text


def _rounded(num: np.ndarray, den: np.ndarray, scale: int) -> np.ndarray | None:
    """round_half_up(num/den · scale) per row in int64; None if it could overflow."""
    num = np.asarray(num)
    den = np.asarray(den)
    if num.dtype == object or den.dtype == object:
        return None
    top = int(np.abs(num).max(initial=0))
    if top and top > (1 << 61) // (2 * scale):
        return None
    n = num.astype(np.int64) * scale
    d = den.astype(np.int64)
    sign = np.where(n < 0, -1, 1)
    return sign * ((2 * np.abs(n) + d) // (2 * d))


def _exact_units(q, scale: int, digits: int, valid: np.ndarray) -> pa.Array:
    """An exact column (engine.exact.Q) rounded half up to 1/scale, as decimal strings."""
    units = _rounded(q.num, q.den, scale)
    if units is None:  # very large numerators: by distinct fraction, exactly
        from smvp_engine.exact import round_fraction

        fr = q.fractions()
        units = np.array([round_fraction(f, scale) for f in fr], dtype=object)
        units = np.array([int(u) for u in units], dtype=np.int64)
    return decimal_texts(units, digits, valid)


def _from_codes(codes: np.ndarray, values: list) -> pa.Array:
    """Text by code (-1: null)."""
    dictionary = pa.array([None if v is None else str(v) for v in values] + [None], pa.string())
    return dictionary.take(pa.array(np.where(codes < 0, len(values), codes)))


def _text(column) -> pa.Array:
    """A dataset text column (object array or Categorical) as a string column."""
    from smvp_engine.columns import Categorical

    if isinstance(column, Categorical):
        return _from_codes(column.codes, list(column.categories))
    return pa.array(as_objects(column), pa.string())


def people_columns(ev: Any) -> tuple[dict[str, pa.Array], dict[str, dict[str, pa.Array]]]:
    """The people section as columns: (field -> column, role id -> {component id -> column}).

    Fields are those of :data:`results.PEOPLE` but ``components``; the component
    columns of a role hold that role's people's points (null when not scored).
    """
    staff = ev.dataset.table("staff")
    ind, pay, rules = ev.individual, ev.payout, ev.rules
    n = len(staff)
    role_index = np.asarray(ind.role_index)
    scored = np.asarray(ind.scored, dtype=bool)
    has_pay = np.asarray(pay.fund_code) >= 0
    role_ids = list(ind.role_ids)
    cols: dict[str, pa.Array] = {
        "person_id": _text(staff["person_id"]),
        "name": _text(staff["name"]),
        "role": _from_codes(role_index, role_ids),
        "role_label": _from_codes(role_index, [rules.roles[r].label for r in role_ids]),
        "unit_id": _text(staff["unit_id"]),
        "results": decimal_texts(ind.results, 2, scored),
        "behaviour": decimal_texts(ind.behaviour, 2, scored),
        "total": decimal_texts(ind.total, 2, scored),
        "judgement": _from_codes(np.asarray(ind.judgement_code), list(ind.judgement_ids)),
        "judgement_label": _from_codes(np.asarray(ind.judgement_code), list(ind.judgement_labels)),
        "negative": pa.array(np.asarray(ind.negative, dtype=bool), mask=~scored),
        "payout_percent": _exact_units(pay.factor, 10_000, 2, has_pay),
        "coefficient_name": _from_codes(np.asarray(pay.coefficient_code), list(pay.coefficient_ids)),
        "coefficient": _exact_units(pay.coefficient, 1_000_000, 6, has_pay),
        "fund": _from_codes(np.asarray(pay.fund_code), list(pay.fund_ids)),
        "theoretical": decimal_texts(pay.theoretical, 2, has_pay),
        "premium": decimal_texts(pay.premium, 2, has_pay),
        "maggiorazione": decimal_texts(pay.maggiorazione, 2, has_pay),
        "paid": decimal_texts(np.asarray(pay.premium) + np.asarray(pay.maggiorazione), 2, has_pay),
        "maggiorazione_rank": pa.array(np.asarray(pay.maggiorazione_rank, dtype=np.int64),
                                       mask=np.asarray(pay.maggiorazione_rank) == 0),
    }
    components: dict[str, dict[str, pa.Array]] = {}
    for k, rid in enumerate(role_ids):
        here = role_index == k
        if not here.any():
            continue
        comps = {}
        for c in rules.roles[rid].components:
            if not c.counts:  # reported, worth no points: not a points column (see reported_columns)
                continue
            comps[c.id] = decimal_texts(ind.components[f"{rid}.{c.id}"], 2, scored)
        components[rid] = comps
    assert all(len(c) == n for c in cols.values())
    return cols, components


def reported_columns(ev: Any) -> dict[str, dict[str, pa.Array]]:
    """Role id -> {component id -> column} of the components the profile marks ``counts: false``:
    the grado di raggiungimento (percent, ``achievement_decimals`` places) each person's row
    reports (``Evaluation.rows()[i]["reported"]``), null where the person's unit has none."""
    ind, rules = ev.individual, ev.rules
    role_index = np.asarray(ind.role_index)
    digits = rules.achievement_decimals
    out: dict[str, dict[str, pa.Array]] = {}
    for k, rid in enumerate(ind.role_ids):
        if not (role_index == k).any():
            continue
        cols = {}
        for c in rules.roles[rid].components:
            if c.counts:
                continue
            units = np.asarray(ind.component_achievement[f"{rid}.{c.id}"], dtype=np.int64)
            cols[c.id] = decimal_texts(units, digits, units >= 0)
        out[rid] = cols
    return out


# --------------------------------------------------------------------------- JSON


def _json_table(values: pa.Array) -> np.ndarray:
    """Distinct texts (no nulls) as JSON texts, then ``null`` last: a textblocks table."""
    return textblocks.table(pa.concat_arrays([json_texts(values.cast(pa.string())),
                                              pa.array(["null"], pa.string())]))


def _coded(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes with -1 (blank) sent to the table's last row (``null``)."""
    codes = np.asarray(codes)
    return np.where(codes < 0, n_values, codes)


def _text_lookup(column) -> tuple[np.ndarray, np.ndarray]:
    """A dataset text column (Categorical or object array) as (codes, JSON text table)."""
    from smvp_engine.columns import Categorical

    if isinstance(column, Categorical):
        values = pa.array(list(column.categories), pa.string())
        return _coded(column.codes, len(values)), _json_table(values)
    enc = pc.dictionary_encode(pa.array(as_objects(column), pa.string()))
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return _coded(codes, len(enc.dictionary)), _json_table(enc.dictionary)


def _list_lookup(codes: np.ndarray, values: list) -> tuple[np.ndarray, np.ndarray]:
    """Codes into a list of values (None → null) as (codes, JSON text table)."""
    texts = [json.dumps(None if v is None else str(v), ensure_ascii=False) for v in values]
    return _coded(codes, len(values)), textblocks.table_of(texts + ["null"])


def _exact_int_units(q, scale: int) -> np.ndarray:
    units = _rounded(q.num, q.den, scale)
    if units is None:  # very large numerators: by distinct fraction, exactly
        from smvp_engine.exact import round_fraction

        units = np.array([int(round_fraction(f, scale)) for f in q.fractions()], dtype=np.int64)
    return units


def person_layout(ev: Any, indent: int = 2, separator: str = ",\n") -> textblocks.Layout:
    """Each person as the JSON text ``results.dumps`` writes inside the people list, followed
    by ``separator``: a :class:`smvp.textblocks.Layout` over the engine's columns.

    Raises ValueError when a text cannot be written that way (a NUL byte in a value).
    """
    staff = ev.dataset.table("staff")
    ind, pay, rules = ev.individual, ev.payout, ev.rules
    role_index = np.asarray(ind.role_index)
    scored = np.asarray(ind.scored, dtype=bool)
    has_pay = np.asarray(pay.fund_code) >= 0
    role_ids = list(ind.role_ids)
    pad_item, pad_key, pad_sub = " " * (2 * indent), " " * (3 * indent), " " * (4 * indent)
    role_codes = _coded(role_index, len(role_ids))  # -1: no role (the last table row)
    lay = textblocks.Layout()

    def key(name: str, first: bool = False) -> None:
        lay.text((f"{pad_item}{{\n" if first else ",\n") + f"{pad_key}{json.dumps(name)}: ")

    def points(units, show) -> None:
        lay.decimal(units, 2, show=show, quote='"')

    for k, name in enumerate(results.PEOPLE):
        key(name, k == 0)
        if name in ("person_id", "name", "unit_id"):
            lay.lookup(*_text_lookup(staff[name]))
        elif name == "role":
            lay.lookup(*_list_lookup(role_index, role_ids))
        elif name == "role_label":
            lay.lookup(*_list_lookup(role_index, [rules.roles[r].label for r in role_ids]))
        elif name == "components":
            _component_pieces(lay, ev, role_codes, role_ids, scored, pad_key, pad_sub)
        elif name == "reported":
            _component_pieces(lay, ev, role_codes, role_ids, scored, pad_key, pad_sub, reported=True)
        elif name in ("results", "behaviour", "total"):
            points(getattr(ind, name), scored)
        elif name in ("judgement", "judgement_label"):
            values = ind.judgement_ids if name == "judgement" else ind.judgement_labels
            lay.lookup(*_list_lookup(np.asarray(ind.judgement_code), list(values)))
        elif name == "negative":
            flags = np.asarray(ind.negative, dtype=bool).astype(np.int64)
            lay.lookup(np.where(scored, flags, 2), textblocks.table_of(["false", "true", "null"]))
        elif name == "payout_percent":
            points(_exact_int_units(pay.factor, 10_000), has_pay)
        elif name == "coefficient":
            lay.decimal(_exact_int_units(pay.coefficient, 1_000_000), 6, show=has_pay, quote='"')
        elif name == "coefficient_name":
            lay.lookup(*_list_lookup(np.asarray(pay.coefficient_code), list(pay.coefficient_ids)))
        elif name == "fund":
            lay.lookup(*_list_lookup(np.asarray(pay.fund_code), list(pay.fund_ids)))
        elif name == "paid":
            points(np.asarray(pay.premium, dtype=np.int64) + np.asarray(pay.maggiorazione, dtype=np.int64),
                   has_pay)
        elif name in ("theoretical", "premium", "maggiorazione"):
            points(getattr(pay, name), has_pay)
        elif name == "maggiorazione_rank":
            rank = np.asarray(pay.maggiorazione_rank, dtype=np.int64)
            lay.decimal(rank, 0, show=rank != 0)
        else:  # a field of the contract this writer does not know: the row-by-row writer
            raise ValueError(f"no column writer for {name!r}")
    lay.text(f"\n{pad_item}}}" + separator)
    return lay


def _put(units: np.ndarray, here: np.ndarray, ind: Any, key: str, reported: bool) -> None:
    """``units[here]`` = the rows ``here`` of the engine's column ``key`` (points, or with
    ``reported`` the grado di raggiungimento, -1 for none), taken from its parts
    (``Individual.component_parts`` / ``achievement_parts``) when it has them: the writers
    need one role's rows of each column, and the whole columns (``Individual.components``,
    ``component_achievement``: int64 a row for every role's component) held 192 MB for a
    million people of the Cuneo profile until the end of the run."""
    parts = getattr(ind, "achievement_parts" if reported else "component_parts", None)
    part = parts.get(key) if parts else None
    if part is None:
        source = ind.component_achievement if reported else ind.components
        units[here] = np.asarray(source[key], dtype=np.int64)[here]
        return
    rows, values, index = part
    if rows is None:  # the whole column, or a value per slot and a slot per row
        units[here] = values[here] if index is None else values[index[here]]
        return
    units[here] = -1 if reported else 0  # stages._column's fill where the part has no row
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    keep = here[rows]
    at = rows[keep]
    units[at] = values[keep] if index is None else values[index[at]]


def _component_pieces(lay: textblocks.Layout, ev: Any, role_codes: np.ndarray, role_ids: list,
                      scored: np.ndarray, pad_key: str, pad_sub: str, reported: bool = False) -> None:
    """``{"<component>": "<points>", ...}`` of each person's role (``{}`` for a role without
    components, or no role): per component slot, the key by role and the points. With
    ``reported``: the components marked ``counts: false`` and their grado di raggiungimento
    (percent; null where the person's unit has none), as ``Evaluation.rows()[i]["reported"]``."""
    ind, rules = ev.individual, ev.rules
    present = np.bincount(role_codes, minlength=len(role_ids) + 1)[: len(role_ids)] > 0
    comps = [[c.id for c in rules.roles[rid].components if c.counts != reported] if present[k] else []
             for k, rid in enumerate(role_ids)]
    digits = rules.achievement_decimals if reported else 2
    slots = max((len(c) for c in comps), default=0)
    for j in range(max(slots, 1)):
        heads = []
        for cids in comps + [[]]:  # the last row: no role
            if j < len(cids):
                heads.append(("{\n" if j == 0 else ",\n") + f"{pad_sub}{json.dumps(cids[j], ensure_ascii=False)}: ")
            else:
                heads.append("{}" if j == 0 and not cids else "")
        lay.lookup(role_codes, textblocks.table_of(heads))
        if j >= slots:
            break
        units = np.zeros(len(role_codes), dtype=np.int64)
        has = np.zeros(len(role_codes), dtype=bool)
        for k, cids in enumerate(comps):
            if j < len(cids):
                here = role_codes == k
                _put(units, here, ind, f"{role_ids[k]}.{cids[j]}", reported)
                has |= here
        show = has & (units >= 0) if reported else has & scored
        lay.decimal(units, digits, show=show, null_rows=has, quote='"')
    tails = [f"\n{pad_key}}}" if cids else "" for cids in comps] + [""]
    lay.lookup(role_codes, textblocks.table_of(tails))


_MARK = "\u0000smvp-people\u0000"

#: people rendered at once by the writers: a chunk's byte matrix, its text and the text without
#: padding are each about 1 KB a person, so 16,384 people stay under glibc's 32 MiB threshold and
#: reuse the heap's memory; 100,000 people mapped and unmapped some 200 MB of fresh pages a chunk
#: (a million people: 440,000 page faults, ~300 MiB of peak memory, in the write phase)
CHUNK = 16_384


def write_json(out: TextIO, document_without_people: dict, ev: Any,
               progress: Callable[[int], None] | None = None, chunk: int = CHUNK) -> None:
    """Write the results document to ``out``: the people streamed from columns, in chunks.

    ``document_without_people``: the document of :func:`results.document` built
    with no people (run, funds, objectives, summary); the text written is the
    same as ``results.dumps`` of the whole document, followed by a newline.
    The people are written as bytes to ``out.buffer`` when ``out`` has one.
    """
    n = len(ev.individual.role_index)
    if n == 0:
        out.write(results.dumps(document_without_people) + "\n")
        return
    doc = dict(document_without_people)
    doc["people"] = [_MARK]
    try:
        layout = person_layout(ev)
    except ValueError:  # e.g. a NUL byte in a name: the people as records, one by one
        doc["people"] = [results.person_record(dict(r)) for r in ev.rows()]
        out.write(results.dumps(doc) + "\n")
        return
    head, tail = results.dumps(doc).split(f'\n    {json.dumps(_MARK)}\n', 1)
    out.write(head + "\n")
    raw = getattr(out, "buffer", None)
    if raw is not None:
        out.flush()
        write: Callable[[Any], Any] = raw.write
    else:
        write = lambda data: out.write(bytes(data).decode("utf-8"))  # noqa: E731
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        data = layout.render(start, stop)
        write(memoryview(data)[:-2] if stop == n else data)  # no separator after the last person
        phases.tick(stop, n)
        if progress is not None:
            progress(stop)
    if raw is not None:
        raw.flush()
    out.write("\n" + tail + "\n")


# --------------------------------------------------------------------------- tables


def people_table(ev: Any, payout_state: str | None = None) -> pa.Table:
    """The people as a table: the contract's fields, ``component:<id>`` columns after
    ``unit_id`` (null for people of roles without that component), and ``payout_state``."""
    cols, components = people_columns(ev)
    role_index = np.asarray(ev.individual.role_index)
    role_ids = list(ev.individual.role_ids)
    n = len(role_index)

    def merged(by_role: dict[str, dict[str, pa.Array]]) -> dict[str, pa.Array]:
        out: dict[str, pa.Array] = {}
        for rid, comps in by_role.items():
            here = pa.array(role_index == role_ids.index(rid))
            for cid, col in comps.items():
                prev = out.get(cid, pa.nulls(n, pa.string()))
                out[cid] = pc.if_else(here, col, prev)
        return out

    comp_cols = merged(components)
    reported_cols = merged(reported_columns(ev))
    names, arrays = [], []
    for name in results.PEOPLE:
        if name in results.MAPS:
            continue
        names.append(name)
        arrays.append(cols[name])
        if name == "unit_id":
            for cid, col in comp_cols.items():
                names.append(f"component:{cid}")
                arrays.append(col)
            for cid, col in reported_cols.items():
                names.append(f"reported:{cid}")
                arrays.append(col)
    if payout_state is not None:
        names.append("payout_state")
        has_pay = np.asarray(ev.payout.fund_code) >= 0
        arrays.append(pc.if_else(pa.array(has_pay), payout_state, _NULL_STR))
    return pa.table(arrays, names=names)


# --------------------------------------------------------------------------- CSV


def component_ids(ev: Any, reported: bool = False) -> list[str]:
    """Component ids of the people's roles in first-seen order over the people (as
    ``Outcome.component_ids`` finds them in the rows), without building a row; with
    ``reported``, the ids of the components marked ``counts: false`` instead."""
    role_index = np.asarray(ev.individual.role_index)
    role_ids = list(ev.individual.role_ids)
    valid = role_index[role_index >= 0]
    if not len(valid):
        return []
    roles, first = np.unique(valid, return_index=True)
    seen: dict[str, None] = {}
    for k in roles[np.argsort(first, kind="stable")].tolist():
        for c in ev.rules.roles[role_ids[k]].components:
            if getattr(c, "counts", True) == reported:
                continue
            seen.setdefault(str(c.id), None)
    return list(seen)


def _csv_quoted(text: str, delimiter: str) -> str:
    """A text as Python's csv module writes it (QUOTE_MINIMAL, doubled quotes)."""
    if any(c in text for c in (delimiter, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_table(values: list, delimiter: str) -> np.ndarray:
    """Texts (None: blank) quoted for CSV, then a blank last row: a textblocks table."""
    return textblocks.table_of([_csv_quoted("" if v is None else str(v), delimiter) for v in values] + [""])


def _csv_text_lookup(column, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    from smvp_engine.columns import Categorical

    if isinstance(column, Categorical):
        values = list(column.categories)
        codes = column.codes
    else:
        enc = pc.dictionary_encode(pa.array(as_objects(column), pa.string()))
        values = enc.dictionary.to_pylist()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return _coded(codes, len(values)), _csv_table(values, delimiter)


def csv_layout(ev: Any, columns: list[tuple[str, str]], *, delimiter: str, point: str,
               flags: tuple[str, str], state: str, line_end: str = "\r\n") -> textblocks.Layout:
    """Each person as a CSV line of ``columns`` (``results.people_csv_columns``): texts quoted as
    the csv module does, decimals with ``point``, ``flags`` (no, yes), ``state`` in
    ``payout_state`` for the people who are paid, blank for null.

    Raises ValueError for a column this writer does not know (the caller writes the rows).
    """
    staff = ev.dataset.table("staff")
    ind, pay, rules = ev.individual, ev.payout, ev.rules
    role_index = np.asarray(ind.role_index)
    role_ids = list(ind.role_ids)
    role_codes = _coded(role_index, len(role_ids))
    scored = np.asarray(ind.scored, dtype=bool)
    has_pay = np.asarray(pay.fund_code) >= 0
    premium = np.asarray(pay.premium, dtype=np.int64)
    magg = np.asarray(pay.maggiorazione, dtype=np.int64)
    rank = np.asarray(pay.maggiorazione_rank, dtype=np.int64)
    money = {"theoretical": np.asarray(pay.theoretical, dtype=np.int64), "premium": premium,
             "maggiorazione": magg, "paid": premium + magg}
    by_code = {"role": (role_index, role_ids),
               "role_label": (role_index, [rules.roles[r].label for r in role_ids]),
               "judgement": (np.asarray(ind.judgement_code), list(ind.judgement_ids)),
               "judgement_label": (np.asarray(ind.judgement_code), list(ind.judgement_labels)),
               "coefficient_name": (np.asarray(pay.coefficient_code), list(pay.coefficient_ids)),
               "fund": (np.asarray(pay.fund_code), list(pay.fund_ids))}
    lay = textblocks.Layout()
    for k, (name, _kind) in enumerate(columns):
        if k:
            lay.text(delimiter)
        if name in ("person_id", "name", "unit_id"):
            lay.lookup(*_csv_text_lookup(staff[name], delimiter))
        elif name in by_code:
            codes, values = by_code[name]
            lay.lookup(_coded(codes, len(values)), _csv_table(values, delimiter))
        elif name.startswith("component:"):
            cid = name.split(":", 1)[1]
            units = np.zeros(len(role_index), dtype=np.int64)
            has = np.zeros(len(role_index), dtype=bool)
            for r, rid in enumerate(role_ids):
                if any(str(c.id) == cid and getattr(c, "counts", True) for c in rules.roles[rid].components):
                    here = role_codes == r
                    if here.any():
                        _put(units, here, ind, f"{rid}.{cid}", False)
                        has |= here
            lay.decimal(units, 2, show=has & scored, point=point, null="")
        elif name.startswith("reported:"):
            cid = name.split(":", 1)[1]
            units = np.full(len(role_index), -1, dtype=np.int64)
            for r, rid in enumerate(role_ids):
                if any(str(c.id) == cid and not getattr(c, "counts", True) for c in rules.roles[rid].components):
                    here = role_codes == r
                    if here.any():
                        _put(units, here, ind, f"{rid}.{cid}", True)
            lay.decimal(units, rules.achievement_decimals, show=units >= 0, point=point, null="")
        elif name in ("results", "behaviour", "total"):
            lay.decimal(getattr(ind, name), 2, show=scored, point=point, null="")
        elif name == "negative":
            shown = np.asarray(ind.negative, dtype=bool).astype(np.int64)
            lay.lookup(np.where(scored, shown, 2), textblocks.table_of([flags[0], flags[1], ""]))
        elif name == "payout_percent":
            lay.decimal(_exact_int_units(pay.factor, 10_000), 2, show=has_pay, point=point, null="")
        elif name == "coefficient":
            lay.decimal(_exact_int_units(pay.coefficient, 1_000_000), 6, show=has_pay, point=point, null="")
        elif name in money:
            lay.decimal(money[name], 2, show=has_pay, point=point, null="")
        elif name == "maggiorazione_rank":
            lay.decimal(rank, 0, show=rank != 0, null="")
        elif name == "payout_state":
            lay.lookup(has_pay.astype(np.int64), _csv_table(["", state], delimiter)[:2])
        else:
            raise ValueError(f"no column writer for {name!r}")
    lay.text(line_end)
    return lay


def write_lines(fh: Any, layout: textblocks.Layout, n: int, chunk: int = CHUNK,
                progress: Callable[[int], None] | None = None) -> None:
    """Rows ``0:n`` of ``layout`` to the binary file ``fh``, a chunk at a time."""
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        fh.write(layout.render(start, stop))
        phases.tick(stop, n)
        if progress is not None:
            progress(stop)
