"""The transparency tables of art. 20 d.lgs. 33/2013 ("Dati relativi ai premi").

Art. 20 c. 1: "l'ammontare complessivo dei premi collegati alla performance
stanziati e l'ammontare dei premi effettivamente distribuiti" → table 1, per
fund: budgeted (the fund's resources), distributed, economies.

Art. 20 c. 2 (as replaced by d.lgs. 97/2016): the data on the distribution of
the premiums "in forma aggregata, al fine di dare conto del livello di
selettività utilizzato nella distribuzione dei premi e degli incentivi, nonché
i dati relativi al grado di differenziazione nell'utilizzo della premialità
sia per i dirigenti sia per i dipendenti" (the 2013 text also named "l'entità
del premio mediamente conseguibile dal personale dirigenziale e non
dirigenziale", which ANAC's publication grid still lists) → table 2, per group
(dirigenti, personale non dirigente), role and category: people, average
attainable premium (the theoretical amount), average and total distributed,
share at 100 % of the curve and at zero, and the index of differentiation;
table 3: people per band of the payout curve.

**Index of differentiation.** The coefficient of variation of the amounts
paid (population standard deviation / mean, in %): scale-free, so a group of
dirigenti and one of dipendenti with very different amounts can be compared;
0 % means everybody received the same. It is published with the share of
people in each band of the curve, which shows the selectivity directly.

**Groups.** Dirigenti are the roles ``segretario_generale`` and ``dirigente*``
(the Segretario Generale of a Chamber of Commerce is a dirigente, Area della
dirigenza); every other role is personale non dirigente.

**Small cells (personal data, art. 4 GDPR; art. 7-bis c. 4 d.lgs. 33/2013).**
No published cell describes fewer than 3 people: a row of fewer than 3 people
shows only "< 3" and no figure; a band count of 1 or 2 shows "< 3". So that a
suppressed figure cannot be recovered by difference, when exactly one row (or
band) of a group is suppressed the next smallest is suppressed too (secondary
suppression); a fund distributed to fewer than 3 people shows only its budget.
The page states this rule.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from smvp.documents import render as r
from smvp.documents.runs import DocumentProblem, RunDocument
from smvp.i18n import Words
from smvp_engine.errors import Msg

TEMPLATE = "trasparenza.html.j2"
MIN_CELL = 3
HUNDRED = Decimal(100)


class Suppressed:
    """A cell not published: it would describe fewer than :data:`MIN_CELL` people."""

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED = Suppressed()

TEXTS = Words("trasparenza", "doc", "")  # catalogue: trasparenza.*, then the shared words


def _t(lang: str):
    return r.translator(TEXTS, lang)


def is_dirigente(role_id: str) -> bool:
    return role_id == "segretario_generale" or role_id.startswith("dirigent")


@dataclass
class Row:
    """One row of table 2: a group, a role or a category within a role."""

    level: str  # "group" | "role" | "category"
    group: str
    label: str
    people: int
    attainable: Any = None  # Decimal euro (mean theoretical) or SUPPRESSED
    mean_paid: Any = None
    paid_total: Any = None
    at_100: Any = None  # Decimal percent of people
    at_zero: Any = None
    cv: Any = None  # Decimal percent
    bands: list[Any] = field(default_factory=list)  # counts (int) or SUPPRESSED

    @property
    def suppressed(self) -> bool:
        return self.people < MIN_CELL

    def suppress(self) -> None:
        self.attainable = self.mean_paid = self.paid_total = SUPPRESSED
        self.at_100 = self.at_zero = self.cv = SUPPRESSED
        self.bands = [SUPPRESSED for _ in self.bands]


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")) if values else None


def _cv(values: list[Decimal]) -> Decimal | None:
    """Population coefficient of variation in percent, 2 decimals (None: mean 0 or no values)."""
    if not values:
        return None
    n = len(values)
    mean = sum(values, Decimal(0)) / n
    if mean == 0:
        return None
    var = sum(((v - mean) ** 2 for v in values), Decimal(0)) / n
    return (var.sqrt() / mean * HUNDRED).quantize(Decimal("0.01"))


def _share(count: int, n: int) -> Decimal | None:
    return (Decimal(count) * HUNDRED / n).quantize(Decimal("0.01")) if n else None


def _band_index(segments: tuple, total: Any) -> int | None:
    from fractions import Fraction

    if total is None:
        return None
    x = Fraction(str(total))
    for i, seg in enumerate(segments):
        if seg.interval.contains(x):
            return i
    return None


@dataclass
class Tables:
    funds: list[dict[str, Any]]
    fund_totals: dict[str, Any]
    rows: list[Row]
    band_labels: list[str]
    curve_label: str
    curve_source: str | None
    not_computed: list[str]
    leak: bool = False  # a group is hidden but c. 1's overall total (required) is published


def tables(doc: RunDocument, lang: str) -> Tables:
    """Tables 1–3 with small cells already suppressed.

    Raises DocumentProblem when no role of the profile has a payout (nothing to publish).
    """
    t = _t(lang)
    rules = doc.rules
    paid_roles = [role for role in rules.roles.values() if role.payout]
    if not paid_roles:
        reasons = [f"{nd.get('label')}: {nd.get('reading')}"
                   for nd in (doc.profile.data.get("not_defined") or {}).values()
                   if "payout" in (nd.get("concerns") or [])]
        raise DocumentProblem(
            Msg("run {run} ({chamber} {year}) has no premiums: the profile links no payout to any "
                "role, so there is nothing to publish under art. 20 d.lgs. 33/2013; nothing was written",
                run=doc.run_id, chamber=doc.chamber, year=doc.year),
            hint=(reasons[0] if reasons else Msg("add roles.<role>.payout to the profile when the "
                                                 "source defines it")))
    # the curve of the first paid role defines the bands (one curve in every bundled profile)
    curve_ids = list(dict.fromkeys(role.payout[1] for role in paid_roles))
    curve = rules.curves[curve_ids[0]]
    band_labels = [str(seg.interval) for seg in curve.segments]
    if len(curve_ids) > 1:
        band_labels = []  # several curves: bands are not comparable; table 3 is left out

    # categories from the dataset's staff table (optional column)
    categories: dict[str, str] = {}
    try:
        from smvp_engine.columns import as_objects

        staff = doc.evaluation.dataset.table("staff")
        if "category" in staff.columns:
            categories = {str(p): str(c) for p, c in zip(as_objects(staff["person_id"]),
                                                          as_objects(staff["category"])) if c}
    except Exception:  # noqa: BLE001 - categories are optional detail
        categories = {}

    people = [row for row in doc.rows if row.get("paid") is not None and row.get("total") is not None]

    def stats(level: str, group: str, label: str, members: list[dict]) -> Row:
        paid = [r.dec(m["paid"]) for m in members]
        theo = [r.dec(m["theoretical"]) for m in members if m.get("theoretical") is not None]
        full = sum(1 for m in members if r.dec(m.get("payout_percent")) == HUNDRED)
        zero = sum(1 for m in members if r.dec(m["paid"]) == 0)
        bands = [0] * len(band_labels)
        for m in members:
            role = rules.roles[m["role"]]
            if band_labels and role.payout and role.payout[1] == curve.id:
                i = _band_index(curve.segments, m.get("total"))
                if i is not None:
                    bands[i] += 1
        return Row(level=level, group=group, label=label, people=len(members),
                   attainable=_mean(theo), mean_paid=_mean(paid), paid_total=sum(paid, Decimal(0)),
                   at_100=_share(full, len(members)), at_zero=_share(zero, len(members)),
                   cv=_cv(paid), bands=bands)

    out: list[Row] = []
    tree: list[tuple[Row, list[tuple[Row, list[Row]]]]] = []  # group → roles → categories
    for group in ("dirigenti", "dipendenti"):
        members = [p for p in people if is_dirigente(p["role"]) == (group == "dirigenti")]
        if not members:
            continue
        group_row = stats("group", group, t(group), members)
        roles_of_group: list[tuple[Row, list[Row]]] = []
        for role in rules.roles.values():
            rm = [p for p in members if p["role"] == role.id]
            if not rm:
                continue
            role_row = stats("role", group, role.label, rm)
            cats = sorted({c for p in rm if (c := categories.get(str(p["person_id"]))) is not None})
            cat_rows = []
            if len(cats) > 1:
                cat_rows = [stats("category", group, f"{role.label} — {c}",
                                  [p for p in rm if categories.get(str(p["person_id"])) == c])
                            for c in cats]
                _secondary(cat_rows)
            roles_of_group.append((role_row, cat_rows))
        _secondary([role_row for role_row, _ in roles_of_group])
        tree.append((group_row, roles_of_group))
        out.append(group_row)
        for role_row, cat_rows in roles_of_group:
            out.append(role_row)
            out += cat_rows
    all_row = stats("all", "all", t("all"), people) if len(tree) > 1 else None
    if all_row is not None:
        out.append(all_row)
    for row in out:
        if row.suppressed:
            row.suppress()
        else:
            _secondary_bands(row)
    # a band count hidden in one child only would come back as parent − the other children:
    # hide the parent's count too (bottom-up: categories → role → group → all staff)
    for group_row, roles_of_group in tree:
        for role_row, cat_rows in roles_of_group:
            _protect_sum(role_row, cat_rows)
        _protect_sum(group_row, [role_row for role_row, _ in roles_of_group])
    if all_row is not None:
        _protect_sum(all_row, [g for g, _ in tree])
    groups_hidden = [g for g, _ in tree if g.suppressed]
    if groups_hidden and all_row is not None:
        all_row.suppress()  # all − the other group would give the hidden group

    # table 1: funds, with a fund distributed to fewer than 3 people showing only its budget
    recipients: dict[str, int] = {}
    for p in people:
        if p.get("fund"):
            recipients[p["fund"]] = recipients.get(p["fund"], 0) + 1
    mag_counts = {m.resource: 0 for m in rules.maggiorazioni.values()}
    for p in people:
        if r.dec(p.get("maggiorazione") or 0) > 0:
            for m in rules.maggiorazioni.values():
                if p["role"] in m.roles:
                    mag_counts[m.resource] = mag_counts.get(m.resource, 0) + 1
    funds = []
    for f in doc.funds:
        fid = str(f.get("fund"))
        n = recipients.get(fid)
        if n is None:
            mres = [m for m in rules.maggiorazioni.values() if m.id == fid or m.resource == f.get("resource")]
            n = mag_counts.get(mres[0].resource, 0) if mres else 0
        funds.append({"fund": fid, "label": f.get("label") or fid, "people": n,
                      "budgeted": f.get("resources"), "distributed": f.get("distributed"),
                      "economies": f.get("economies"), "suppressed": 0 < n < MIN_CELL})
    hidden = [f for f in funds if f["suppressed"]]
    if len(hidden) == 1:
        others = sorted((f for f in funds if not f["suppressed"]),
                        key=lambda f: (r.dec(f["distributed"]) or 0))
        if others:
            others[0]["suppressed"] = True
    for f in funds:
        if f["suppressed"]:
            f["distributed"] = f["economies"] = SUPPRESSED
    totals = {k: sum((r.dec(f.get(k)) or Decimal(0) for f in doc.funds), Decimal(0))
              for k in ("resources", "distributed", "economies")}
    leak = bool(groups_hidden)
    return Tables(leak=leak, funds=funds, fund_totals={"budgeted": totals["resources"],
                                            "distributed": totals["distributed"],
                                            "economies": totals["economies"]},
                  rows=out, band_labels=band_labels, curve_label=curve.label,
                  curve_source=f"{curve.source.document}, {curve.source.section}",
                  not_computed=list(rules.not_defined))


def _secondary(rows: list[Row]) -> None:
    """If exactly one of ``rows`` is small, also suppress the next smallest (no recovery by difference)."""
    small = [x for x in rows if x.people < MIN_CELL]
    if len(small) == 1 and len(rows) > 1:
        rest = sorted((x for x in rows if x.people >= MIN_CELL), key=lambda x: x.people)
        if rest:
            rest[0].suppress()  # its count (≥ 3) stays published


def _protect_sum(parent: Row, children: list[Row]) -> None:
    """Per band column: when exactly one child's count is hidden, hide the parent's too."""
    if len(children) < 2:
        return
    for j in range(len(parent.bands)):
        hidden = [c for c in children if c.bands[j] is SUPPRESSED]
        if len(hidden) == 1:
            parent.bands[j] = SUPPRESSED


def _secondary_bands(row: Row) -> None:
    counts = row.bands
    small = [i for i, c in enumerate(counts) if isinstance(c, int) and 0 < c < MIN_CELL]
    for i in small:
        counts[i] = SUPPRESSED
    if len(small) == 1:
        rest = sorted((i for i, c in enumerate(counts) if isinstance(c, int) and c > 0),
                      key=lambda i: counts[i])
        if rest:
            counts[rest[0]] = SUPPRESSED


# --------------------------------------------------------------------------- outputs


def _cell(value: Any, kind: str, lang: str, for_csv: bool = False) -> Any:
    if value is SUPPRESSED:
        return "< 3"
    if value is None:
        return "" if for_csv else "—"
    if for_csv:
        if kind == "int":
            return str(value)
        return r.format_decimal(value, lang, places=2, grouping=False)
    if kind == "money":
        return r.format_money(value, lang)
    if kind == "percent":
        return r.format_percent(value, lang)
    return str(value)


def _tables_as_lists(tab: Tables, lang: str, for_csv: bool) -> dict[str, tuple[list[str], list[list[Any]]]]:
    t = _t(lang)
    c = lambda v, k: _cell(v, k, lang, for_csv)  # noqa: E731
    funds_head = [t("fund"), t("people"), t("budgeted"), t("distributed"), t("economies")]
    funds_rows = [[f["label"], c(f["people"], "int") if f["people"] >= MIN_CELL or not f["people"]
                   else "< 3", c(f["budgeted"], "money"), c(f["distributed"], "money"),
                   c(f["economies"], "money")] for f in tab.funds]
    funds_rows.append([t("total"), "", c(tab.fund_totals["budgeted"], "money"),
                       c(tab.fund_totals["distributed"], "money"),
                       c(tab.fund_totals["economies"], "money")])
    dist_head = [t("group"), t("people"), t("attainable"), t("mean_paid"), t("paid_total"),
                 t("at_100"), t("at_zero"), t("cv")]
    dist_rows = [[row.label, c(row.people, "int") if row.people >= MIN_CELL else "< 3",
                  c(row.attainable, "money"), c(row.mean_paid, "money"), c(row.paid_total, "money"),
                  c(row.at_100, "percent"), c(row.at_zero, "percent"), c(row.cv, "percent")]
                 for row in tab.rows]
    band_head = [t("group"), *tab.band_labels]
    band_rows = [[row.label, *[c(b, "int") for b in row.bands]] for row in tab.rows] \
        if tab.band_labels else []
    return {"c1": (funds_head, funds_rows), "c2": (dist_head, dist_rows), "bands": (band_head, band_rows)}


def csv_text(tab: Tables, lang: str) -> str:
    """The three tables in one CSV, one after the other with a title line each.

    Italian: ``;`` separated, ``,`` decimals (what Italian Excel opens); English: ``,`` and ``.``.
    The file is written UTF-8 with BOM.
    """
    t = _t(lang)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if lang == "it" else ",", lineterminator="\r\n")
    for key, (head, rows) in _tables_as_lists(tab, lang, for_csv=True).items():
        if not rows:
            continue
        w.writerow([t(key)])
        w.writerow(head)
        w.writerows(rows)
        w.writerow([])
    w.writerow([t("rule")])
    return buf.getvalue()


def xlsx_bytes(tab: Tables, lang: str, title: str) -> bytes:
    """One sheet per table (numbers as numbers, € and % formats; "< 3" as text)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = _t(lang)
    wb = Workbook()
    wb.remove(wb.active)
    raw = _raw_tables(tab, lang)
    for key, (head, rows, kinds) in raw.items():
        if not rows:
            continue
        ws = wb.create_sheet(title=t(key)[:31].replace("/", "-").replace(":", ""))
        ws.append([f"{title} — {t(key)}"])
        ws["A1"].font = Font(bold=True)
        ws.append(head)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
            for cell, kind in zip(ws[ws.max_row], kinds):
                if kind == "money" and isinstance(cell.value, (int, float)):
                    cell.number_format = '#,##0.00 "€"'
                elif kind == "percent" and isinstance(cell.value, (int, float)):
                    cell.number_format = '0.00" %"'
        ws.append([])
        ws.append([t("rule")])
        ws.column_dimensions["A"].width = 42
        for col in "BCDEFGH":
            ws.column_dimensions[col].width = 18
        ws.freeze_panes = "B3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _num(value: Any) -> Any:
    if value is SUPPRESSED:
        return "< 3"
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(r.dec(value))  # display cell: the exact figures are in the CSV and the run


def _raw_tables(tab: Tables, lang: str) -> dict[str, tuple[list[str], list[list[Any]], list[str]]]:
    t = _t(lang)
    funds = [[f["label"], f["people"] if f["people"] >= MIN_CELL or not f["people"] else "< 3",
              _num(f["budgeted"]), _num(f["distributed"]), _num(f["economies"])] for f in tab.funds]
    funds.append([t("total"), None, _num(tab.fund_totals["budgeted"]),
                  _num(tab.fund_totals["distributed"]), _num(tab.fund_totals["economies"])])
    dist = [[row.label, row.people if row.people >= MIN_CELL else "< 3", _num(row.attainable),
             _num(row.mean_paid), _num(row.paid_total), _num(row.at_100), _num(row.at_zero),
             _num(row.cv)] for row in tab.rows]
    bands = [[row.label, *[_num(b) for b in row.bands]] for row in tab.rows] if tab.band_labels else []
    return {
        "c1": ([t("fund"), t("people"), t("budgeted"), t("distributed"), t("economies")], funds,
               ["text", "int", "money", "money", "money"]),
        "c2": ([t("group"), t("people"), t("attainable"), t("mean_paid"), t("paid_total"),
                t("at_100"), t("at_zero"), t("cv")], dist,
               ["text", "int", "money", "money", "money", "percent", "percent", "percent"]),
        "bands": ([t("group"), *tab.band_labels], bands, ["text"] + ["int"] * len(tab.band_labels)),
    }


def html(doc: RunDocument, tab: Tables, lang: str) -> str:
    t = _t(lang)
    lists = _tables_as_lists(tab, lang, for_csv=False)
    return r.render(TEMPLATE, lang, t=t, head=r.header(doc, t("title"), lang), tables=lists,
                    rows=tab.rows, levels=[row.level for row in tab.rows], curve_label=tab.curve_label, curve_source=tab.curve_source,
                    not_computed=tab.not_computed, leak=tab.leak)

