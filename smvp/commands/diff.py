"""``smvp diff``: what changed between two versions of a profile, in the users' words; ``--impact``.

Ways to name the two versions (docs/audit.md):

* ``smvp diff OLD NEW`` — two files; a file at a git revision is ``PATH@REV``
  (``chambers/cuneo.yaml@v2023``, read with ``git show REV:PATH``); a bare
  chamber id is ``chambers/<id>.yaml``;
* ``smvp diff --chamber cuneo --years 2022 2024`` (or ``smvp diff PROFILE
  --years 2022 2024``) — one profile's effective-dated rules in two years;
* ``smvp diff --runs 12 15`` — the profiles stored with two runs;
* ``smvp diff PROFILE --set PATH=VALUE …`` — the profile against itself with
  the edits (what-if); ``--set``/``--unset`` also apply to NEW in the other forms.

``--impact DATA`` evaluates DATA under both versions; ``--out`` writes the
changes (and the impact) to .csv, .json or .xlsx.

Exit codes: 0 no rule changed (source and wording changes are listed but do not
count, unless ``--strict``); 1 rules changed; 2 the versions could not be
compared (usage error, a profile that does not load, a git revision or run
that does not exist, a dataset that does not fit); 3 a bug.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp import engine_api, store
from smvp.errors import EdgeError, UsageProblem
from smvp.i18n import Words, error_text, format_decimal, format_money, problems_found, say, t
from smvp_engine.errors import Msg, SmvpError, SmvpErrors

EXIT_SAME, EXIT_CHANGED, EXIT_TROUBLE = 0, 1, 2

# --------------------------------------------------------------------------- words

# the kinds of rule a change is about (catalogue: diff.kind.*); those whose Italian noun is feminine
KINDS = Words("diff.kind")
FEMININE = frozenset({"curve", "component", "negative", "maggiorazione", "organisational", "precision", "economies", "conciliation", "conciliation_step", "cycle_step", "planning", "reading", "norm", "other"})

ATTRS = Words("diff.attr")  # catalogue: diff.attr.*

ENUMS = {name: Words(f"diff.enum.{name}") for name in
         ("tie_policy", "rounding", "shortfall", "method", "split")}  # catalogue: diff.enum.*
ENUMS["quota_rounding"] = ENUMS["rounding"]

TEXTS = Words("diff")  # catalogue: diff.*


def tx(key: str, lang: str, **kw: Any) -> str:
    it, en = TEXTS[key]
    return (it if lang == "it" else en).format(**kw)


def _li(pair: tuple, lang: str) -> str:
    return pair[0] if lang == "it" else pair[1]


def _num(x: Any, lang: str) -> str:
    return format_decimal(Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x),
                          lang, grouping=False)


def shown(value: Any, lang: str, attribute: str | None = None, kind: str | None = None) -> str:
    """A change value in words."""
    from smvp_engine.diff import Cut, Formula, Segment

    if value is None:
        return tx("absent", lang)
    if isinstance(value, bool):
        return tx("yes" if value else "no", lang)
    last = (attribute or "").rsplit(".", 1)[-1]
    if isinstance(value, str) and last in ENUMS and value in ENUMS[last]:
        return _li(ENUMS[last][value], lang)
    if isinstance(value, Fraction):
        text = _num(value, lang)
        return tx("scale", lang, x=text) if kind == "factor" and attribute == "max" else text
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, Cut):
        return _num(value.at, lang)
    if isinstance(value, Segment):
        return value.shown()
    if isinstance(value, tuple):
        if attribute and attribute.endswith("source") and len(value) == 2 and all(isinstance(v, str) for v in value):
            return f"{value[0]}, {value[1]}"
        if attribute == "validity":
            a, b = value
            return tx("validity_open", lang, a=a) if b is None else tx("validity_range", lang, a=a, b=b)
        if value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value):
            return "; ".join(f"{attr_name(k, lang, kind)} {shown(v, lang, k, kind)}" for k, v in value)
        return "; ".join(shown(v, lang, attribute, kind) for v in value) if any(";" in str(v) or "→" in str(v) for v in value) \
            else ", ".join(shown(v, lang, attribute, kind) for v in value)
    text = say(value, lang) if isinstance(value, dict) and last in ("reading", "note", "description") else str(value)
    if last in ("reading", "note", "description") and len(text) > 70:
        text = text[:67].rstrip() + "…"
    return f"«{text}»" if last in ("reading", "note", "description", "label", "title") and lang == "it" else \
        (f'"{text}"' if last in ("reading", "note", "description", "label", "title") else text)


def attr_name(attribute: str | None, lang: str, kind: str | None = None) -> str:
    if attribute is None:
        return ""
    if attribute == "max":
        return tx("factor_max" if kind == "factor" else "component_max", lang)
    if attribute in ATTRS:
        return _li(ATTRS[attribute], lang)
    parts = attribute.split(".")
    if parts[0] == "theoretical" and len(parts) == 4 and parts[1] == "shares":
        role, what = parts[2], parts[3]
        return tx("share_percent" if what == "percent" else "share_split", lang, role=role)
    if parts[-1] in ATTRS and len(parts) > 1:
        return ".".join(parts[:-1]) + " " + _li(ATTRS[parts[-1]], lang)
    return attribute


def head(c: Any, lang: str) -> str:
    kind = _li(KINDS[c.kind if c.kind in KINDS else "other"], lang)
    if c.kind == "other":
        kind += " " + ".".join(str(p) for p in c.path)
    if c.kind == "chamber" or not c.label:
        base = kind
    else:
        base = f"{kind} «{c.label}»" if lang == "it" else f'{kind} "{c.label}"'
    if c.context:
        base += f" ({c.context})"
    return base


def years_text(years: tuple | None, lang: str) -> str | None:
    if not years:
        return None
    a, b = years
    if b is None:
        return tx("from", lang, y=a)
    if a == b:
        return tx("in", lang, y=a)
    return tx("span", lang, a=a, b=b)


def sentence(c: Any, lang: str) -> str:
    """One change in words, e.g. ``Curva di compenso «Graduazione del compenso»: soglia 60 → 65 (dal 2025; fonte: …)``."""
    fem = (c.kind if c.kind in KINDS else "other") in FEMININE
    if c.change in ("added", "removed"):
        word = tx(f"{c.change}_{'f' if fem else 'm'}", lang)
        brief = ""
        summary = dict(c.new if c.change == "added" else c.old or ())
        if c.kind == "factor" and "max" in summary:
            brief = " (" + shown(summary["max"], lang, "max", "factor") + ")"
        elif c.kind == "component" and "max" in summary:
            brief = f" ({attr_name('max', lang, 'component')} {shown(summary['max'], lang)}, " \
                    f"{tx('level', lang, x=summary.get('objectives.level'))})"
        elif c.kind == "absence_type" and "neutral" in summary:
            brief = f" ({attr_name('neutral', lang)}: {shown(summary['neutral'], lang)})"
        elif c.kind in ("conciliation_step", "cycle_step") and summary.get("days") is not None:
            brief = f" ({attr_name('days', lang)} {shown(summary['days'], lang)})"
        body = word + brief
    elif c.attribute == "weights":
        body = attr_name("weights", lang) + ": " + ", ".join(
            f"{label} {shown(o, lang)} → {shown(n, lang)}" for label, o, n in c.details)
    elif c.attribute in ("threshold", "band_threshold"):
        o, n = c.old, c.new
        if o.below != n.below:
            fo = tx("included_below" if o.below else "included_above", lang, x=_num(o.at, lang))
            fn = tx("included_below" if n.below else "included_above", lang, x=_num(n.at, lang))
        else:
            fo, fn = _num(o.at, lang), _num(n.at, lang)
        body = f"{attr_name(c.attribute, lang)} {fo} → {fn}"
    elif c.attribute and c.attribute.endswith(".values"):
        body = attr_name(c.attribute, lang) + ": " + "; ".join(f"{o} → {n}" for _, o, n in c.details)
    else:
        numeric = all(isinstance(v, Fraction) or v is None for v in (c.old, c.new))
        body = f"{attr_name(c.attribute, lang, c.kind)}{' ' if numeric else ': '}{shown(c.old, lang, c.attribute, c.kind)}" \
               f" → {shown(c.new, lang, c.attribute, c.kind)}"
    notes = []
    y = years_text(c.years, lang)
    if y:
        notes.append(y)
    if c.source and c.category != "source":
        notes.append(tx("src", lang, s=f"{c.source[0]}, {c.source[1]}"))
    if getattr(c, "layer", None):
        notes.append(tx("layer", lang, l=c.layer))
    return f"{head(c, lang)}: {body}" + (f" ({'; '.join(notes)})" if notes else "")


# --------------------------------------------------------------------------- the two versions


@dataclass
class Side:
    label: str
    profile: Any
    year: int | None = None  # --years
    run_id: int | None = None

    def describe(self) -> dict[str, Any]:
        p = self.profile
        return {"label": self.label, "path": str(p.path), "chamber": p.chamber_id, "sha256": p.sha256,
                "validity": {"from": p.valid_from, "until": p.valid_until}, "year": self.year, "run_id": self.run_id}


@dataclass
class Options:
    profiles: list[str] = field(default_factory=list)
    chamber: str | None = None
    years: tuple[int, int] | None = None
    runs: tuple[int, int] | None = None
    sets: list[str] = field(default_factory=list)
    unsets: list[str] = field(default_factory=list)
    impact: Path | None = None
    year: int | None = None
    out: Path | None = None
    json: bool = False
    strict: bool = False
    db: str | None = None
    lang: str = "it"


def _git_text(path: str, rev: str) -> str:
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise UsageProblem(Msg("cannot read {path}@{rev}: the folder {folder} does not exist",
                                path=path, rev=rev, folder=str(folder)))
    try:
        done = subprocess.run(["git", "show", f"{rev}:./{p.name}"], cwd=folder, capture_output=True, timeout=60,
                              check=False)
    except FileNotFoundError:
        raise UsageProblem(Msg("cannot read {path}@{rev}: git is not installed", path=path, rev=rev)) from None
    if done.returncode != 0:
        msg = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git show failed"])[-1].rstrip(".")
        raise UsageProblem(Msg("cannot read {path} at revision {rev!r}: {why}", path=path, rev=rev, why=msg),
                           hint=Msg("write PATH@REV with a commit, tag or branch that has the file (git log -- PATH)"))
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageProblem(Msg("{path}@{rev} is not UTF-8 text", path=path, rev=rev)) from None


def load_side(spec: str) -> Side:
    """A profile named on the command line: PATH, PATH@REV, or a chamber id."""
    from smvp.commands.evaluate import CHAMBER_ID
    from smvp_engine.profile import load_profile

    if os.path.exists(spec):
        if os.path.isdir(spec):
            raise UsageProblem(Msg("{path} is a folder, not a profile", path=spec))
        return Side(spec, load_profile(spec))
    if "@" in spec:
        path, rev = spec.rsplit("@", 1)
        if path and rev:
            return Side(spec, load_profile(spec, text=_git_text(path, rev)))
    if CHAMBER_ID.match(spec):
        hit = engine_api.find_chamber(spec)
        if hit is not None:
            return Side(spec, load_profile(hit[1]))
    raise UsageProblem(Msg("no profile {spec!r}: not a file, not PATH@REV, not a chamber id", spec=spec),
                       hint=Msg("give a YAML file, chambers/<id>.yaml@<git revision>, or a chamber id"))


def run_side(engine: Any, run_id: int, lang: str) -> Side:
    from smvp.app.verify import get_run, stored_profile

    run = get_run(engine, run_id)
    return Side(tx("run", lang, id=run.id, chamber=run.chamber, year=run.year), stored_profile(run), run.year, run.id)


def _why(exc: ValueError) -> Any:
    """The catalogue message a what-if edit was refused with (``smvp_engine.diff``), said in
    the user's language at the edge; ``str(exc)`` when it has none."""
    said = exc.args[0] if exc.args else None
    return said if getattr(said, "template", None) is not None else str(exc)


def _edits(opts: Options) -> list:
    from smvp_engine.diff import parse_edit

    out = []
    for text in opts.sets:
        try:
            out.append(parse_edit(text))
        except ValueError as exc:
            raise UsageProblem(Msg("--set {edit}: {why}", edit=text, why=_why(exc))) from None
    for text in opts.unsets:
        try:
            out.append(parse_edit(text, unset=True))
        except ValueError as exc:
            raise UsageProblem(Msg("--unset {edit}: {why}", edit=text, why=_why(exc))) from None
    return out


def versions(opts: Options) -> tuple[Side, Side, str]:
    """(old, new, mode) from the options; mode is profiles or years."""
    from smvp_engine.diff import what_if

    edits = _edits(opts)
    if opts.runs and (opts.years or opts.profiles):
        raise UsageProblem(Msg("--runs compares the profiles of two stored runs: give no profiles and no --years"))
    if opts.runs:
        engine = store.open_engine(opts.db, create=False)
        try:
            old, new = run_side(engine, opts.runs[0], opts.lang), run_side(engine, opts.runs[1], opts.lang)
        finally:
            engine.dispose()
        mode = "profiles"
    elif opts.years:
        if len(opts.profiles) > 1 or (opts.profiles and opts.chamber):
            raise UsageProblem(Msg("--years compares one profile with itself: give --chamber ID or one profile"))
        if edits:
            raise UsageProblem(Msg("--set/--unset cannot be used with --years"),
                               hint=Msg("compare the profile with its edited self: smvp diff PROFILE --set …"))
        spec = opts.profiles[0] if opts.profiles else opts.chamber
        if not spec:
            raise UsageProblem(Msg("--years needs the profile: --chamber ID or a profile path"))
        side = load_side(spec)
        y0, y1 = opts.years
        return (Side(f"{side.label} {y0}", side.profile, y0), Side(f"{side.label} {y1}", side.profile, y1), "years")
    else:
        specs = list(opts.profiles)
        if opts.chamber and len(specs) < 2:
            specs = [opts.chamber] + specs
        if len(specs) == 1 and edits:
            specs = specs * 2
        if len(specs) != 2:
            raise UsageProblem(Msg("give two profiles (OLD NEW), or --chamber ID --years Y1 Y2, or --runs N M, "
                                   "or one profile with --set PATH=VALUE"))
        old, new = load_side(specs[0]), load_side(specs[1])
        mode = "profiles"
    if edits:
        new = Side(new.label + " + " + ", ".join(e.text for e in edits), what_if(new.profile, edits), new.year, new.run_id)
    return old, new, mode


# --------------------------------------------------------------------------- impact


def compute_impact(opts: Options, old: Side, new: Side, mode: str) -> Any:
    from smvp_engine.diff import impact

    path = opts.impact
    assert path is not None
    dataset = engine_api.load_dataset(path)
    if mode == "years":
        assert old.year is not None and new.year is not None  # --years gives both
        ds = dataclasses.replace(dataset, year=None)  # the same data under the rules of each year
        return impact(engine_api.evaluate(old.profile, ds, year=int(old.year)),
                      engine_api.evaluate(new.profile, ds, year=int(new.year)))
    year = opts.year if opts.year is not None else dataset.year
    if year is None:
        raise UsageProblem(Msg("no year: the dataset {path} does not say which year it is", path=path),
                           hint=Msg("give --year"))
    return impact(engine_api.evaluate(old.profile, dataset, year=int(year)),
                  engine_api.evaluate(new.profile, dataset, year=int(year)))


def _money(x: Any, lang: str) -> str:
    return "" if x is None else format_money(x, lang)


def _signed_money(x: Decimal, lang: str) -> str:
    if x == 0:
        return format_money(Decimal("0.00"), lang)
    return ("+" if x > 0 else "") + format_money(x, lang)


def _pts(x: Any, lang: str) -> str:
    return "" if x is None else format_decimal(x, lang, places=2)


def _pair(o: Any, n: Any, fmt) -> str:
    a, b = fmt(o), fmt(n)
    return a if a == b else f"{a} → {b}"


def impact_tables(imp: Any, lang: str, limit: int = 50) -> list[Any]:
    out: list[Any] = []
    changed = imp.changed_people
    t = Table(title=tx("people", lang), title_justify="left")
    for k in ("c_person", "c_name", "c_role", "c_total", "c_judgement", "c_premium", "c_magg", "c_paid", "c_delta"):
        t.add_column(tx(k, lang), justify="right" if k in ("c_total", "c_premium", "c_magg", "c_paid", "c_delta") else "left")
    for p in changed[:limit]:
        o, n = p["old"] or {}, p["new"] or {}
        t.add_row(str(p["person_id"]), str(p["name"] or ""), str(p["role_label"] or ""),
                  _pair(o.get("total"), n.get("total"), lambda v: _pts(v, lang)),
                  _pair(o.get("judgement_label"), n.get("judgement_label"), lambda v: v or ""),
                  _pair(o.get("premium"), n.get("premium"), lambda v: _money(v, lang)),
                  _pair(o.get("maggiorazione"), n.get("maggiorazione"), lambda v: _money(v, lang)),
                  _pair(o.get("paid"), n.get("paid"), lambda v: _money(v, lang)),
                  _signed_money(p["delta"]["paid"], lang))
    if changed:
        out.append(t)
    if len(changed) > limit:
        out.append(tx("more", lang, n=len(changed) - limit))
    r = Table(title=tx("roles_t", lang), title_justify="left")
    for k in ("c_role", "c_people", "c_changed", "c_premium", "c_magg", "c_paid", "c_delta"):
        r.add_column(tx(k, lang), justify="left" if k == "c_role" else "right")
    for x in imp.roles:
        r.add_row(str(x["role_label"] or x["role"]), str(x["people"]), str(x["changed"]),
                  _pair(x["premium_old"], x["premium_new"], lambda v: _money(v, lang)),
                  _pair(x["maggiorazione_old"], x["maggiorazione_new"], lambda v: _money(v, lang)),
                  _pair(x["paid_old"], x["paid_new"], lambda v: _money(v, lang)),
                  _signed_money(x["paid_delta"], lang))
    out.append(r)
    f = Table(title=tx("funds_t", lang), title_justify="left")
    for k in ("c_fund", "c_resources", "c_distributed", "c_economies"):
        f.add_column(tx(k, lang), justify="left" if k == "c_fund" else "right")
    for x in imp.funds:
        f.add_row(str(x["label"] or x["fund"]), _pair(x["resources_old"], x["resources_new"], lambda v: _money(v, lang)),
                  _pair(x["distributed_old"], x["distributed_new"], lambda v: _money(v, lang)),
                  _pair(x["economies_old"], x["economies_new"], lambda v: _money(v, lang)))
    tt = imp.totals
    f.add_section()
    f.add_row(tx("totals_t", lang), _pair(tt["resources_old"], tt["resources_new"], lambda v: _money(v, lang)),
              _pair(tt["distributed_old"], tt["distributed_new"], lambda v: _money(v, lang)),
              _pair(tt["economies_old"], tt["economies_new"], lambda v: _money(v, lang)), style="bold")
    out.append(f)
    return out


def _plain(x: Any) -> Decimal:
    """An exact number without trailing zeros (27.0000 → 27, 41.4190 → 41.419)."""
    d = Decimal(str(x))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _pv_num(x: Any, lang: str) -> str:
    return "" if x is None else format_decimal(_plain(x), lang)


def _pv_pct(x: Any, lang: str) -> str:
    return "" if x is None else format_decimal(_plain(x), lang) + " %"


def projects_summary(imp: Any, lang: str) -> str | None:
    """One line when the project valuation does not change (its totals, so the OIV sees the money)."""
    pj = imp.projects
    if not pj or pj["changed"]:
        return None
    funds = "; ".join(tx("pv_fund_line", lang, label=f["label"] or f["fund"], total=_money(f["total_new"], lang),
                         points=_pv_num(f["points_new"], lang), unit=_money(f["unit_value_new"], lang),
                         pct=_pv_pct(f["percent_of_fund_new"], lang)) for f in pj["funds"])
    return tx("pv_same", lang, funds=funds)


def project_tables(imp: Any, lang: str, limit: int = 50) -> list[Any]:
    """What the change does to the project valuation: per fund, per project, per unit, per person."""
    pj = imp.projects
    if not pj or not pj["changed"]:
        return []
    out: list[Any] = []
    money = lambda v: _money(v, lang)  # noqa: E731
    f = Table(title=tx("pv_funds_t", lang), title_justify="left")
    for k in ("c_fund", "c_unit_value", "c_points", "c_total", "c_percent", "c_delta_value"):
        f.add_column(tx(k, lang), justify="left" if k == "c_fund" else "right")
    for x in pj["funds"]:
        f.add_row(str(x["label"] or x["fund"]), _pair(x["unit_value_old"], x["unit_value_new"], money),
                  _pair(x["points_old"], x["points_new"], lambda v: _pv_num(v, lang)),
                  _pair(x["total_old"], x["total_new"], money),
                  _pair(x["percent_of_fund_old"], x["percent_of_fund_new"], lambda v: _pv_pct(v, lang)),
                  _signed_money(x["total_delta"], lang))
    out.append(f)
    labels = {x["fund"]: x["label"] or x["fund"] for x in pj["funds"]}
    for key, rows, cols in (
            ("pv_projects_t", [x for x in pj["projects"] if x["value_old"] != x["value_new"]],
             ("c_objective", "c_fund", "c_value", "c_delta_value")),
            ("pv_units_t", [x for x in pj["units"] if x["amount_old"] != x["amount_new"] or x["key_old"] != x["key_new"]],
             ("c_unit", "c_fund", "c_key", "c_amount", "c_delta_value")),
            ("pv_people_t", [x for x in pj["people"] if x["amount_old"] != x["amount_new"] or x["key_old"] != x["key_new"]],
             ("c_person", "c_name", "c_unit", "c_fund", "c_key", "c_amount", "c_delta_value"))):
        if not rows:
            continue
        t = Table(title=tx(key, lang), title_justify="left")
        for k in cols:
            t.add_column(tx(k, lang), justify="right" if k in ("c_value", "c_key", "c_amount", "c_delta_value") else "left")
        for x in rows[:limit]:
            if key == "pv_projects_t":
                t.add_row(f"{x['objective_id']} {x['label'] or ''}".strip(), labels.get(x["fund"], x["fund"]),
                          _pair(x["value_old"], x["value_new"], money), _signed_money(x["delta"], lang))
            elif key == "pv_units_t":
                t.add_row(str(x["label"] or x["unit_id"]), labels.get(x["fund"], x["fund"]),
                          _pair(x["key_old"], x["key_new"], lambda v: _pv_num(v, lang)),
                          _pair(x["amount_old"], x["amount_new"], money), _signed_money(x["delta"], lang))
            else:
                t.add_row(str(x["person_id"]), str(x["name"] or ""), str(x["unit_id"] or ""),
                          labels.get(x["fund"], x["fund"]), _pair(x["key_old"], x["key_new"], lambda v: _pv_num(v, lang)),
                          _pair(x["amount_old"], x["amount_new"], money), _signed_money(x["delta"], lang))
        out.append(t)
        if len(rows) > limit:
            out.append(tx("more", lang, n=len(rows) - limit))
    out.append(tx("pv_people_note", lang))
    return out


# --------------------------------------------------------------------------- exports


def _change_rows(result: Any, lang: str) -> list[dict[str, Any]]:
    return [{"category": tx(f"cat_{c.category}", lang), "change": sentence(c, lang), **{
        k: v for k, v in c.as_dict().items() if k in ("path", "kind", "attribute", "change")},
        "old": json.dumps(c.as_dict()["old"], ensure_ascii=False) if c.old is not None else "",
        "new": json.dumps(c.as_dict()["new"], ensure_ascii=False) if c.new is not None else "",
        "years": years_text(c.years, lang) or ""} for c in result.changes]


def _people_rows(imp: Any) -> list[dict[str, Any]]:
    rows = []
    for p in imp.people:
        o, n = p["old"] or {}, p["new"] or {}
        rows.append({"person_id": p["person_id"], "name": p["name"], "role": p["role"],
                     "total_old": o.get("total"), "total_new": n.get("total"),
                     "judgement_old": o.get("judgement_label"), "judgement_new": n.get("judgement_label"),
                     "premium_old": o.get("premium"), "premium_new": n.get("premium"),
                     "maggiorazione_old": o.get("maggiorazione"), "maggiorazione_new": n.get("maggiorazione"),
                     "paid_old": o.get("paid"), "paid_new": n.get("paid"), "paid_delta": p["delta"]["paid"],
                     "changed": p["changed"]})
    return rows


def document(old: Side, new: Side, result: Any, imp: Any, lang: str) -> dict[str, Any]:
    doc = {"old": old.describe(), "new": new.describe(), **result.as_dict(),
           "sentences": [sentence(c, lang) for c in result.changes], "impact": imp.as_dict() if imp else None}
    return doc


def _cell(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v) if v == v.quantize(Decimal("0.01")) else str(v)
    return v


def write_out(path: Path, old: Side, new: Side, result: Any, imp: Any, lang: str) -> None:
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            path.write_text(json.dumps(document(old, new, result, imp, lang), ensure_ascii=False, indent=2, default=str)
                            + "\n", encoding="utf-8")
        elif suffix == ".csv":
            rows = _people_rows(imp) if imp else _change_rows(result, lang)
            with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                wr = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["change"])
                wr.writeheader()
                for r in rows:
                    wr.writerow({k: ("" if v is None else (int(v) if isinstance(v, bool) else v)) for k, v in r.items()})
        else:
            from openpyxl import Workbook
            from openpyxl.styles import Font

            wb = Workbook()
            sheets = [(tx("sheet_changes", lang), _change_rows(result, lang))]
            if imp:
                sheets += [(tx("sheet_people", lang), _people_rows(imp)),
                           (tx("sheet_roles", lang), imp.as_dict()["roles"]),
                           (tx("sheet_funds", lang), imp.as_dict()["funds"])]
            wb.remove(wb.active)
            for name, rows in sheets:
                ws = wb.create_sheet(name)
                cols = list(rows[0]) if rows else ["change"]
                ws.append(cols)
                for c in ws[1]:
                    c.font = Font(bold=True)
                for r in rows:
                    ws.append([_cell(r.get(k)) for k in cols])
                ws.freeze_panes = "A2"
            wb.save(path)
    except OSError as exc:
        raise UsageProblem(Msg("cannot write {path}: {why}", path=str(path), why=exc.strerror or str(exc))) from None


# --------------------------------------------------------------------------- command


def _print_errors(err: Console, exc: BaseException, lang: str) -> None:
    errors = exc.errors if isinstance(exc, SmvpErrors) else [exc]
    err.print(Text(problems_found(len(errors), lang), style="bold red"))
    for e in errors:
        err.print(Text("  " + error_text(e, lang), style="red"), soft_wrap=True)


def run(opts: Options, *, out: Console, err: Console) -> int:
    """Exit 0 (no rule change), 1 (rule changes), 2 (could not compare); bugs propagate (3)."""
    try:
        return _run(opts, out, err)
    except (SmvpErrors, SmvpError) as exc:
        _print_errors(err, exc, opts.lang)
        return EXIT_TROUBLE
    except EdgeError as exc:
        if exc.exit_code == 1:  # database or file problems: cannot compare
            hint = f". {say(exc.hint, opts.lang)}" if exc.hint else ""
            err.print(Text(f"{t('error_label', opts.lang)}: {say(exc.message, opts.lang)}{hint}", style="red"),
                      soft_wrap=True)
            return EXIT_TROUBLE
        raise


def _run(opts: Options, out: Console, err: Console) -> int:
    from smvp_engine.diff import diff_profiles, diff_years

    lang = opts.lang
    if opts.out is not None and opts.out.suffix.lower() not in (".csv", ".json", ".xlsx"):
        raise UsageProblem(Msg("cannot export to {path!r}", path=str(opts.out)),
                           hint=Msg("use a file name ending in .csv, .json or .xlsx"))
    try:
        old, new, mode = versions(opts)
    except ValueError as exc:  # a --set path that does not exist
        raise UsageProblem(_why(exc)) from None
    if mode == "years":
        assert old.year is not None and new.year is not None  # --years gives both
        result = diff_years(old.profile, int(old.year), int(new.year))
    else:
        result = diff_profiles(old.profile, new.profile)
    imp = compute_impact(opts, old, new, mode) if opts.impact is not None else None
    if opts.out is not None:
        write_out(opts.out, old, new, result, imp, lang)
    counted = result.changes if opts.strict else result.rule_changes
    code = EXIT_CHANGED if counted else EXIT_SAME
    if opts.json:
        sys.stdout.write(json.dumps(document(old, new, result, imp, lang), ensure_ascii=False, indent=2, default=str) + "\n")
        sys.stdout.flush()
        return code
    for line in render_lines(old, new, result, lang):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if imp is not None:
        out.print()
        out.print(tx("impact", lang, data=opts.impact, year=imp.year_new if mode != "years" else f"{old.year} → {new.year}",
                     changed=imp.totals["people_changed"], people=imp.totals["people"]), highlight=False, markup=False)
        if not imp.totals["people_changed"] and not any(f["distributed_delta"] or f["economies_delta"] for f in imp.funds):
            out.print(tx("no_impact_projects" if imp.projects_changed else "no_impact", lang),
                      highlight=False, markup=False)
        else:
            for t in impact_tables(imp, lang):
                out.print(t)
        same = projects_summary(imp, lang)
        if same is not None:
            out.print(same, highlight=False, markup=False, soft_wrap=True)
        for t in project_tables(imp, lang):
            out.print(t, highlight=False, markup=False) if isinstance(t, str) else out.print(t)
    if opts.out is not None:
        out.print(tx("written", lang, path=opts.out), highlight=False, markup=False)
    return code


def render_lines(old: Side, new: Side, result: Any, lang: str) -> list[str]:
    """The changes as plain lines (what the golden tests compare)."""
    lines = [tx("head", lang, old=old.label, new=new.label),
             tx("years", lang, y=", ".join(map(str, result.years)))]
    groups = [("rules", [c for c in result.changes if c.category == "rule"]),
              ("sources", [c for c in result.changes if c.category == "source"]),
              ("texts", [c for c in result.changes if c.category == "text"])]
    if not result.changes:
        return lines + [tx("none", lang)]
    for key, items in groups:
        if items:
            lines.append(tx(key, lang, n=len(items)) + ":")
            lines += [f"  • {sentence(c, lang)}" for c in items]
    counts = {k: len(v) for k, v in groups}
    if not counts["rules"]:
        lines.append(tx("no_rules", lang))
    lines.append(tx("count", lang, r=counts["rules"], s=counts["sources"], t=counts["texts"]))
    return lines
