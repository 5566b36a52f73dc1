"""The OIV's differentiation report for a stored run.

The OIV validates the Relazione sulla performance and checks that evaluations
are differentiated (d.lgs. 150/2009 art. 14 c. 4 lett. a–d; art. 19 as
replaced by d.lgs. 74/2017: "differenziazione dei giudizi"; art. 9 c. 1 lett.
d: the dirigenti's "capacità di valutazione dei propri collaboratori, dimostrata
tramite una significativa differenziazione dei giudizi"). One page with:

* per role: people scored, mean, median, minimum, maximum, standard deviation
  and coefficient of variation of the total points, the share in each
  judgement band, share at 100 % of the payout curve and at zero;
* the distribution of the totals per role and per organisational unit (box
  plots drawn by matplotlib, embedded as SVG: text stays text);
* the organisational results per unit (grado di raggiungimento);
* the funds (resources, distributed, economies) and the maggiorazione;
* with ``--compare-run M``: the same figures of another stored run of the same
  Chamber (previous year, or a what-if) side by side, with the change.

The report is for the OIV, not for publication: it shows groups of any size
(the transparency tables of ``smvp trasparenza`` are the published ones).
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smvp.documents import render as r
from smvp.documents.runs import DocumentProblem, RunDocument
from smvp.i18n import Words
from smvp_engine.errors import Msg

TEMPLATE = "report.html.j2"
HUNDRED = Decimal(100)
Q2 = Decimal("0.01")

TEXTS = Words("oiv", "doc", "")  # catalogue: oiv.*, then the shared words


def _t(lang: str):
    return r.translator(TEXTS, lang)


def _q(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(Q2)


@dataclass
class RoleStats:
    role: str
    label: str
    people: int
    mean: Decimal | None
    median: Decimal | None
    min: Decimal | None
    max: Decimal | None
    sd: Decimal | None
    cv: Decimal | None
    at_100: Decimal | None
    at_zero: Decimal | None
    bands: list[tuple[str, int]]
    totals: list[float]  # for the plot only


def _stats(values: list[Decimal]) -> dict[str, Decimal | None]:
    if not values:
        return {k: None for k in ("mean", "median", "min", "max", "sd", "cv")}
    n = len(values)
    mean = sum(values, Decimal(0)) / n
    sd = (sum(((v - mean) ** 2 for v in values), Decimal(0)) / n).sqrt()
    return {"mean": _q(mean), "median": _q(statistics.median(values)), "min": min(values),
            "max": max(values), "sd": _q(sd), "cv": _q(sd / mean * HUNDRED) if mean else None}


def role_stats(doc: RunDocument) -> list[RoleStats]:
    """Per role of the profile (in its order), the statistics of the scored people's totals."""
    rules = doc.rules
    out = []
    for role in rules.roles.values():
        rows = [x for x in doc.rows if x["role"] == role.id]
        if not rows:
            continue
        scored = [x for x in rows if x.get("total") is not None]
        totals = [r.dec(x["total"]) for x in scored]
        s = _stats(totals)
        bands: list[tuple[str, int]] = []
        if role.judgement and role.judgement in rules.judgements:
            for band in rules.judgements[role.judgement].bands:
                bands.append((band.label, sum(1 for x in scored if x.get("judgement") == band.id)))
        paid = [x for x in scored if x.get("paid") is not None]
        n = len(paid)
        out.append(RoleStats(
            role=role.id, label=role.label, people=len(scored), bands=bands,
            at_100=_q(Decimal(sum(1 for x in paid if r.dec(x.get("payout_percent")) == HUNDRED))
                      * HUNDRED / n) if n else None,
            at_zero=_q(Decimal(sum(1 for x in paid if r.dec(x["paid"]) == 0)) * HUNDRED / n) if n else None,
            totals=[float(v) for v in totals], **s))
    return out


def unit_totals(doc: RunDocument) -> list[tuple[str, list[float]]]:
    """(unit label, totals of its scored people), units in first-seen order."""
    by: dict[str, list[float]] = {}
    for x in doc.rows:
        if x.get("total") is None:
            continue
        unit = str(x.get("unit_id") or "—")
        label = doc.units.get(unit, unit)
        by.setdefault(label, []).append(float(r.dec(x["total"])))  # display only
    return list(by.items())


# --------------------------------------------------------------------------- plots


def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "smvp"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def boxplot_svg(groups: list[tuple[str, list[float]]], title: str, xlabel: str,
                xmax: float | None) -> str | None:
    """A horizontal box plot (one box per group, points overlaid) as inline SVG text."""
    groups = [(label, values) for label, values in groups if values]
    if not groups:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = 0.9 + 0.32 * len(groups)
    fig, ax = plt.subplots(figsize=(7.0, height))
    labels = [f"{label} (n={len(values)})" for label, values in groups]
    data = [values for _, values in groups]
    ax.boxplot(data, orientation="horizontal", widths=0.55, patch_artist=True,
               boxprops={"facecolor": "#dbe6f1", "edgecolor": "#1f4e79"},
               medianprops={"color": "#8a1c1c"}, flierprops={"markersize": 3})
    for i, values in enumerate(data, 1):
        ax.scatter(values, [i] * len(values), s=6, color="#1f4e79", alpha=0.45, zorder=3)
    ax.set_yticks(range(1, len(groups) + 1), labels=labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    if xmax:
        ax.set_xlim(0, xmax)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", color="#e3e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    return _svg(fig)


# --------------------------------------------------------------------------- the report


def _compare(doc: RunDocument, other: RunDocument, mine: list[RoleStats], theirs: list[RoleStats],
             t: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    by = {s.role: s for s in theirs}
    for s in mine:
        o = by.get(s.role)
        for key, kind in (("people", "int"), ("mean", "points"), ("cv", "percent"),
                          ("at_100", "percent"), ("at_zero", "percent")):
            a = getattr(s, key)
            b = getattr(o, key) if o else None
            delta = (a - b) if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)) else None
            rows.append({"what": f"{s.label} — {t(key)}", "this": a, "other": b, "delta": delta,
                         "kind": kind})
    mf = {f["fund"]: f for f in doc.funds}
    of = {f["fund"]: f for f in other.funds}
    for fid in list(mf) + [f for f in of if f not in mf]:
        a, b = mf.get(fid), of.get(fid)
        label = (a or b or {}).get("label") or fid
        for key in ("resources", "distributed", "economies"):
            va = r.dec(a.get(key)) if a else None
            vb = r.dec(b.get(key)) if b else None
            rows.append({"what": f"{label} — {t(key)}", "this": va, "other": vb,
                         "delta": (va - vb) if va is not None and vb is not None else None,
                         "kind": "money"})
    return rows


def model(doc: RunDocument, lang: str, other: RunDocument | None = None) -> dict[str, Any]:
    t = _t(lang)
    stats = role_stats(doc)
    total_max = max((float(role.total_max) for role in doc.rules.roles.values()
                     if role.total_max is not None), default=None)
    scored = any(s.people for s in stats)
    plot_roles = boxplot_svg([(s.label, s.totals) for s in stats], t("plot_roles"),
                             t("points"), total_max) if scored else None
    plot_units = boxplot_svg(unit_totals(doc), t("plot_units"), t("points"), total_max) \
        if scored else None
    units = doc.evaluation.units()
    summary = doc.evaluation.summary() or {}
    mags = list(summary.get("maggiorazioni") or [])
    funds = [{"label": f.get("label") or f.get("fund"), "resources": f.get("resources"),
              "distributed": f.get("distributed"), "economies": f.get("economies")}
             for f in doc.funds]
    fund_totals = {k: sum((r.dec(f.get(k)) or Decimal(0) for f in doc.funds), Decimal(0))
                   for k in ("resources", "distributed", "economies")}
    compare = None
    if other is not None:
        compare = {"title": t("compare", run=other.run_id, chamber=other.chamber_name,
                              year=other.year),
                   "other": t("other_run", run=other.run_id),
                   "rows": _compare(doc, other, stats, role_stats(other), t)}
    return {"t": t, "head": r.header(doc, t("title"), lang), "stats": stats,
            "scored": scored, "plot_roles": plot_roles, "plot_units": plot_units, "units": units,
            "funds": funds, "fund_totals": fund_totals, "maggiorazioni": mags, "compare": compare}


def html(doc: RunDocument, lang: str, other: RunDocument | None = None) -> str:
    if other is not None and other.chamber != doc.chamber:
        raise DocumentProblem(
            Msg("--compare-run {other} is a run of {found}, run {run} of {chamber}: the report compares "
                "runs of the same Chamber (expected a run of {chamber}, found {found})",
                other=other.run_id, found=other.chamber, run=doc.run_id, chamber=doc.chamber),
            hint=Msg("'smvp runs' lists the stored runs"))
    return r.render(TEMPLATE, lang, **model(doc, lang, other))

