"""The conciliation domain: procedure, steps and terms, case views, the payment gate's state.

Pure: no database import. The stored records (``smvp.store`` tables) are read
here only through their attributes; the use cases that open, step and close
cases in a database are ``smvp.app.conciliation``.

* A **case** is one person's conciliation procedure about one stored run. It
  belongs to the run's Chamber and is numbered per Chamber (``cuneo-1``,
  ``cremona-1``).
* Its **steps** are the profile's ``conciliation.steps`` (ids, or the aliases
  of :data:`ALIASES`); the terms are computed by ``smvp_engine.deadlines`` on
  the Chamber's calendar, from the profile stored with the run.
* The **payment gate** (art. 14 c. 6 d.lgs. 150/2009): a run's payouts are
  *provvisori* until the OIV validation of the Relazione sulla performance is
  recorded and every conciliation term of the run has expired or its case is
  closed; then *definitivi*. See docs/conciliation.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from smvp.errors import EdgeError, UsageProblem
from smvp_engine import deadlines
from smvp_engine.deadlines import StepDeadline, WorkingCalendar
from smvp_engine.errors import Day, Msg, ProfileError, ProfileErrors, text_of

# --------------------------------------------------------------------------- errors, dates

class CaseProblem(EdgeError):
    """A step or case refused (out of order, closed case, wrong chamber…): exit 1."""

    exit_code = 1


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today, or ``$SMVP_TODAY`` (YYYY-MM-DD) when set (tests, "as of" views)."""
    env = os.environ.get("SMVP_TODAY")
    if env:
        return parse_date(env, "SMVP_TODAY")
    return dt.date.today()


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str | dt.date, what: str) -> dt.date:
    """``YYYY-MM-DD`` or ``dd/mm/yyyy``; UsageProblem naming ``what`` otherwise."""
    if isinstance(text, dt.date):
        return text
    s = str(text).strip()
    try:
        m = _DMY.match(s)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(s)
    except ValueError:
        raise UsageProblem(Msg("{what}: not a date (expected YYYY-MM-DD or dd/mm/yyyy, found {found!r})",
                               what=what, found=s)) from None


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- procedure

#: Aliases accepted for ``--event`` (docs/conciliation.md): alias → prefixes of step ids.
#: An alias names the one step of the profile whose id starts with a prefix.
ALIASES: dict[str, tuple[str, ...]] = {
    "request": ("richiesta",),
    "richiesta": ("richiesta",),
    "interview": ("colloquio",),
    "colloquio": ("colloquio",),
    "review": ("scheda_riesaminata", "riesame"),
    "riesame": ("scheda_riesaminata", "riesame"),
    "answer": ("risposta",),
    "response": ("risposta",),
    "risposta": ("risposta",),
    "activation": ("attivazione",),
    "attivazione": ("attivazione",),
    "proposal": ("proposta",),
    "proposta": ("proposta",),
    "appeal": ("ricorso",),
    "ricorso": ("ricorso",),
    "decision": ("decisione",),
    "decisione": ("decisione",),
}

ENGLISH_ALIASES = ("request", "interview", "review", "answer", "response", "activation",
                   "proposal", "appeal", "decision")

OUTCOMES = ("confermata", "modificata", "ritirata", "decaduta")
OUTCOME_ALIASES = {"confirmed": "confermata", "changed": "modificata", "withdrawn": "ritirata",
                   "lapsed": "decaduta"}


@dataclass(frozen=True)
class Procedure:
    """A profile's conciliation procedure, on the Chamber's calendar."""

    chamber: str
    steps: dict[str, dict[str, Any]]  # id → raw step, in the profile's order
    calendar: WorkingCalendar
    base_event: str  # the event the first terms run from (data_scheda, consegna_scheda)
    events: dict[str, str] = field(default_factory=dict)  # event id → label

    @property
    def order(self) -> list[str]:
        return list(self.steps)

    def label(self, sid: str) -> str:
        if sid in self.steps:
            return str(self.steps[sid].get("label") or sid)
        return self.events.get(sid, sid)

    def actor(self, sid: str) -> str | None:
        return (self.steps.get(sid) or {}).get("actor")

    def optional(self, sid: str) -> bool:
        return bool((self.steps.get(sid) or {}).get("optional"))

    def required(self, sid: str) -> bool:
        """Not optional — or every step is optional (Brescia: each step is the person's choice)."""
        return not self.optional(sid) or all(self.optional(s) for s in self.steps)

    @property
    def final(self) -> str:
        """The last required step: recording it ends the procedure."""
        return [s for s in self.steps if self.required(s)][-1]

    def resolve(self, event: str) -> str:
        """A step id from an id or an alias; UsageProblem listing the choices otherwise."""
        name = event.strip()
        if name in self.steps:
            return name
        key = name.lower().replace("-", "_")
        if key in self.steps:
            return key
        prefixes = ALIASES.get(key)
        if prefixes:
            for prefix in prefixes:
                found = [s for s in self.steps if s.startswith(prefix)]
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    raise UsageProblem(
                        Msg("--event {event}: the {chamber} procedure has several steps for {event!r} ({steps})",
                            event=event, chamber=self.chamber, steps=", ".join(found)), hint=Msg("give the step id"))
        choices = self.choices()
        near = difflib.get_close_matches(key, [*self.steps, *self._aliases()], n=1)
        raise UsageProblem(
            Msg("--event {event}: not a step of the {chamber} conciliation procedure "
                "(expected one of {choices}, found {event!r})", event=event, chamber=self.chamber, choices=choices),
            hint=Msg("did you mean {near}?", near=near[0]) if near else None)

    def _try(self, alias: str) -> str | None:
        for prefix in ALIASES.get(alias, ()):
            found = [s for s in self.steps if s.startswith(prefix)]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    def _aliases(self) -> list[str]:
        return [a for a in ALIASES if self._try(a) is not None]

    def alias_of(self, sid: str) -> list[str]:
        """English aliases that name ``sid`` (for help and listings)."""
        return [a for a in ENGLISH_ALIASES if self._try(a) == sid]

    def choices(self) -> str:
        parts = []
        for s in self.steps:
            aliases = self.alias_of(s)
            parts.append(f"{s} ({'/'.join(aliases)})" if aliases else s)
        return ", ".join(parts)

    def schedule(self, events: Mapping[str, dt.date], *, as_of: dt.date | None = None
                 ) -> list[StepDeadline]:
        return deadlines.conciliation_schedule(self.steps, events, self.calendar, as_of=as_of)


def profile_data(text: str, path: str = "<stored profile>") -> dict[str, Any]:
    """The parsed YAML of a (stored) profile, without schema validation."""
    from smvp_engine.yamlload import load_yaml

    try:
        data = load_yaml(text, path).data
    except ProfileError as e:
        raise ProfileErrors([e]) from None
    if not isinstance(data, dict):
        raise ProfileErrors([ProfileError(Msg("a profile must be a mapping"), file=path)])
    return data


def procedure_from_profile(data: Mapping[str, Any], chamber: str, where: str | Msg = "") -> Procedure:
    """The conciliation procedure a profile declares; CaseProblem when it declares none."""
    block = data.get("conciliation")
    steps = (block or {}).get("steps") if isinstance(block, Mapping) else None
    if not steps or (isinstance(block, Mapping) and block.get("defined") is False):
        reading = (block or {}).get("reading") if isinstance(block, Mapping) else None
        raise CaseProblem(
            Msg("the {chamber} profile{where} defines no conciliation procedure "
                "(expected conciliation.steps, found {found})", chamber=chamber, where=where,
                found="defined: false" if isinstance(block, Mapping) and block.get("defined") is False
                else Msg("nothing")),
            hint=text_of(reading) or Msg("smvp does not invent one: add conciliation.steps to the profile "
                                "with the document's steps and terms"))
    cal = deadlines.calendar_from_profile(data)
    deadlines.conciliation_schedule(steps, {}, cal)  # raises ProfileErrors for bad steps
    bases = [st.get("from_event") for st in steps.values()
             if st.get("from_event") and st.get("from_event") not in steps]
    bases = list(dict.fromkeys(bases))
    if len(bases) != 1:
        raise ProfileErrors([ProfileError(
            Msg("the conciliation steps must run from one starting event (the sheet's date or delivery)"),
            field="conciliation.steps", expected=Msg("one event such as data_scheda"),
            found=", ".join(map(str, bases)) or Msg("nothing"))])
    events = {k: str((v or {}).get("label") or k)
              for k, v in ((block or {}).get("events") or {}).items()}
    events.setdefault(bases[0], {"data_scheda": "Data della scheda di valutazione",
                                 "consegna_scheda": "Consegna della scheda di valutazione"}
                      .get(bases[0], bases[0]))
    return Procedure(chamber=chamber, steps=dict(steps), calendar=cal, base_event=bases[0],
                     events=events)


def run_procedure(run: Any) -> Procedure:
    """The procedure of the profile stored with ``run``."""
    data = profile_data(run.profile_text, run.profile_path)
    return procedure_from_profile(data, run.chamber, where=Msg(" of run {run}", run=run.id))


# --------------------------------------------------------------------------- delivery


def in_the_future(option: str, day: dt.date, as_of: dt.date) -> Msg:
    """``--on 01/06/2025 is in the future (expected a day up to 30/05/2025)``: a day after today
    (the days are message fields, shown in the locale's format)."""
    return Msg("{option} {day} is in the future (expected a day up to {today})", option=option,
               day=Day(day), today=Day(as_of))


def delivery_problem(delivered: dt.date, *, year: int, run_made: dt.date | None,
                     as_of: dt.date, option: str = "--delivered") -> Msg | None:
    """Why a sheet cannot have been delivered on ``delivered``; None when it can.

    A run's evaluation sheet (scheda di valutazione) is about the whole evaluated
    ``year``: it cannot be delivered before that year is over (art. 7 and 9 d.lgs.
    150/2009: annual evaluation), nor before the run that produced it was made
    (``run_made``), nor after ``as_of`` (today). When ``as_of`` is itself before the
    run was made (dates replayed with ``--as-of``), the run's day is not a bound.
    """
    if delivered > as_of:
        return in_the_future(option, delivered, as_of)
    first = dt.date(year + 1, 1, 1)
    if delivered < first:
        return Msg("{option} {day} is before the end of the evaluated year {year}: a sheet about {year} "
                   "cannot be delivered before it is over (expected a day from {first})", option=option,
                   day=Day(delivered), year=year, first=Day(first))
    if run_made is not None and run_made <= as_of and delivered < run_made:
        return Msg("{option} {day} is before the run was made ({made}): its sheets cannot have been "
                   "delivered before (expected a day from {made})", option=option,
                   day=Day(delivered), made=Day(run_made))
    return None


def run_day(run: Any) -> dt.date | None:
    created = run.created_at
    if created is None:
        return None
    if created.tzinfo is None:  # SQLite drops the offset; runs are stored in UTC
        created = created.replace(tzinfo=dt.UTC)
    return created.astimezone(dt.UTC).date()


# --------------------------------------------------------------------------- references


def case_ref(case: Any) -> str:
    return f"{case.chamber}-{case.number}"


def parse_case_ref(ref: str, chamber: str | None) -> tuple[str, int]:
    """``cuneo-3`` → ("cuneo", 3); ``3`` needs ``chamber``."""
    s = ref.strip()
    m = re.match(r"^([a-z0-9][a-z0-9_-]*?)-(\d+)$", s)
    if m:
        ch, n = m.group(1), int(m.group(2))
        if chamber and ch != chamber:
            raise CaseProblem(Msg("case {case} is not a {chamber} case (expected {chamber}-<n>, found {case})",
                                  case=s, chamber=chamber),
                              hint=Msg("a Chamber's commands only see its own cases"))
        return ch, n
    if s.isdigit():
        if not chamber:
            raise UsageProblem(Msg("case {case}: which chamber? (expected <chamber>-<number>, e.g. cuneo-{case}, "
                                   "found {case!r})", case=s), hint=Msg("or add --chamber"))
        return chamber, int(s)
    raise UsageProblem(Msg("not a case (expected <chamber>-<number>, e.g. cuneo-1, found {case!r})", case=s))


# --------------------------------------------------------------------------- case views


@dataclass
class CaseView:
    """A case with its schedule as of a day (for status, show and messages)."""

    case: Any  # smvp.store.ConciliationCase
    procedure: Procedure
    schedule: list[StepDeadline]
    steps: list[Any]  # smvp.store.ConciliationStep
    person_name: str | None
    as_of: dt.date

    @property
    def ref(self) -> str:
        return case_ref(self.case)

    @property
    def closed(self) -> bool:
        return self.case.closed_on is not None and self.case.closed_on <= self.as_of

    @property
    def last(self) -> Any:
        return self.steps[-1] if self.steps else None

    def pending(self) -> list[StepDeadline]:
        """Required steps not done whose starting event happened."""
        if self.closed:
            return []
        return [r for r in self.schedule if r.done is None and self.procedure.required(r.step)
                and r.status in ("aperto", "scaduto", "nessun_termine") and r.start is not None]

    @property
    def next(self) -> StepDeadline | None:
        pending = self.pending()
        dated = sorted((r for r in pending if r.due is not None), key=lambda r: r.due)
        return (dated or pending or [None])[0]

    @property
    def days_left(self) -> int | None:
        nxt = self.next
        return None if nxt is None or nxt.due is None else (nxt.due - self.as_of).days

    @property
    def lapsed(self) -> bool:
        """The valutato's next term expired without the step: the procedure is over for them."""
        nxt = self.next
        return (nxt is not None and nxt.status == "scaduto"
                and (self.procedure.actor(nxt.step) or "valutato") == "valutato")


def case_events(case: Any, steps: Iterable[Any]) -> dict[str, dt.date]:
    """Event id → day: the case's starting event and its recorded steps."""
    ev = {case.base_event: case.delivered}
    for s in steps:
        ev[s.step] = s.done_on
    return ev


# --------------------------------------------------------------------------- steps


@dataclass
class StepOutcome:
    view: CaseView
    step: Any  # smvp.store.ConciliationStep
    row: StepDeadline
    closed: bool
    revision: RevisionOutcome | None = None


def parse_scores(text: str) -> dict[str, int]:
    """``factor=points,factor=points`` → factor → centipoints (≤ 2 decimals, dot decimal)."""
    out: dict[str, int] = {}
    for part in [p for p in re.split(r"[,;]\s*(?=[A-Za-z_])", text.strip()) if p.strip()]:
        if "=" not in part:
            raise UsageProblem(Msg("--scores: {part!r} is not factor=points "
                                   "(expected e.g. orientamento_utenza=17.5,esecuzione_compiti=12)", part=part))
        factor, _, value = part.partition("=")
        out[factor.strip()] = _centipoints(value, f"--scores {factor.strip()}")
    if not out:
        raise UsageProblem(Msg("--scores: no scores (expected factor=points, …)"))
    return out


def _centipoints(value: Any, what: str) -> int:
    s = str(value).strip().replace(",", ".")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise UsageProblem(Msg("{what}: not a number of points (expected e.g. 17.5, found {found!r})",
                               what=what, found=s)) from None
    scaled = d.scaleb(2)
    if not d.is_finite() or scaled != scaled.to_integral_value() or d < 0:
        raise UsageProblem(Msg("{what}: points ≥ 0 with at most 2 decimals (found {found!r})", what=what, found=s))
    return int(scaled)


def read_scores_file(path: Path, person_id: str | None = None) -> dict[str, int]:
    """Revised scores from a file: CSV ``factor,score`` (optional ``person_id`` column, which must
    be the case's person), or YAML ``{factor: score}``."""
    if not path.is_file():
        raise UsageProblem(Msg("--scores-file {path}: no such file", path=str(path)))
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CaseProblem(Msg("{path}: not valid YAML: {why}", path=str(path), why=str(exc).splitlines()[0])) from None
        if not isinstance(data, dict) or not data:
            raise CaseProblem(Msg("{path}: expected a mapping factor: points, found {found}", path=str(path),
                                  found=type(data).__name__))
        return {str(k): _centipoints(v, f"{path}: {k}") for k, v in data.items()}
    if path.suffix.lower() != ".csv":
        raise UsageProblem(Msg("--scores-file {path}: expected a .csv or .yaml file", path=str(path)))
    import csv

    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    out: dict[str, int] = {}
    for i, row in enumerate(rows, 2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if "factor" not in row or "score" not in row:
            raise CaseProblem(Msg("{path}:1: expected the columns factor,score (and optionally person_id), "
                                  "found {found}", path=str(path), found=", ".join(row)))
        if person_id and row.get("person_id") and row["person_id"] != person_id:
            raise CaseProblem(Msg("{path}:{row}: person_id {found!r} is not the case's person (expected {person!r})",
                                  path=str(path), row=i, found=row["person_id"], person=person_id))
        out[row["factor"]] = _centipoints(row["score"], f"{path}:{i}: score")
    if not out:
        raise CaseProblem(Msg("{path}: no scores (expected rows factor,score)", path=str(path)))
    return out


# --------------------------------------------------------------------------- revisions


@dataclass
class RevisionOutcome:
    """What a revision changed: the stored record and who is affected."""

    revision: Any  # smvp.store.Revision | None: the scores given are the current ones (no change)
    person_id: str
    previous: dict[str, int | None]  # factor → score before (None: the person had none)
    scores: dict[str, int]
    changes: list[Any]  # smvp_engine.revision.PersonChange
    maggiorazioni_before: list[dict[str, Any]]
    maggiorazioni_after: list[dict[str, Any]]
    funds_before: list[dict[str, Any]]
    funds_after: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


PROVISIONAL, FINAL = "provvisorio", "definitivo"


@dataclass
class Gate:
    """A run's payment state as of a day, with the reasons it is not final."""

    run_id: int
    state: str  # PROVISIONAL | FINAL
    as_of: dt.date
    oiv_date: dt.date | None = None
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # i18n key, params

    @property
    def final(self) -> bool:
        return self.state == FINAL

    def said(self, lang: str) -> list[str]:
        """Each reason as a sentence in ``lang`` (a reason's field that is a located error or a
        catalogue message said in ``lang`` too)."""
        from smvp.i18n import said_fields, t

        return [t(key, lang, **said_fields(params, lang)) for key, params in self.reasons]

