"""``smvp init --chamber NAME``: write a commented profile skeleton that validates.

The skeleton declares what every profile needs (chamber, validity, documents,
organisational levels and achievement) and marks the individual rules as
``defined: false`` until the onboarding office fills them in from its SMVP:
``smvp validate`` then passes with a warning that says what is still missing
(see docs/onboarding.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp import engine_api
from smvp.errors import UsageProblem
from smvp.i18n import say, t
from smvp_engine.errors import Msg, SmvpErrors
from smvp_engine.profile import load_profile

SKELETON = '''\
# yaml-language-server: $schema={schema}
#
# {name} — Sistema di Misurazione e Valutazione della Performance (SMVP)
# as an smvp profile. Written by `smvp init`; fill it in from your SMVP,
# section by section, and run `smvp validate {path}` after each change.
# Reference of every key: docs/profile.md; walk-through: docs/onboarding.md.
#
# Every rule cites `source: {{document, section}}` (a document id of
# `documents` below). Where your SMVP is silent, keep `defined: false` and say
# why in `reading:`; smvp will not compute what is not defined.
format: 1

chamber:
  id: {chamber_id}
  name: {name}
  seat: {seat}                 # city of the seat: its patron saint extends legal terms
  validity:
    from: {year}               # first year this SMVP governs
    until: null                # last year (e.g. before a merger); null = still in force
    source: {{document: smvp, section: "Frontespizio"}}
    reading: TODO say which act adopted the SMVP and from which cycle it applies.

documents:
  smvp:
    title: TODO full title of the SMVP and the act that adopted it (delibera n. …, data)
    # file: the text of the SMVP, if you keep it beside the profile
  dlgs150:
    title: "D.lgs. 27 ottobre 2009, n. 150"

precision:
  achievement_decimals: 2      # grado di raggiungimento, in percent
  points_decimals: 2           # punteggi
  rounding: half_up
  source: {{document: smvp, section: "TODO"}}
  reading: TODO say how your SMVP rounds percentages and points, or that it is silent.

money:
  currency: EUR
  rounding: half_up            # to the cent
  source: {{document: smvp, section: "TODO"}}

organisational:
  source: {{document: smvp, section: "TODO performance organizzativa"}}
  levels:                      # your organisational units, top to bottom
    ente: {{label: Ente}}
    area: {{label: Area}}
    servizio: {{label: Servizio}}
    ufficio: {{label: Ufficio}}
  achievement:
    cap_percent: 100           # null = no cap
    source: {{document: smvp, section: "TODO indicatori e target"}}
    reading: actual/target (target/actual when lower is better), capped at 100%.

roles:
  dipendente:
    label: Dipendente
    source: {{document: smvp, section: "TODO"}}
    evaluator: {{label: TODO chi valuta i dipendenti}}
    # Fill in the results components (max points each, the objectives' level)
    # and the behaviour factors (max points each); their maxima must add up to
    # total_max. Until then they are marked as not defined:
    results:
      defined: false
      source: {{document: smvp, section: "TODO scheda di valutazione, risultati"}}
      reading: TODO the weights of the results components.
      components:
        ufficio: {{label: "Obiettivo d'ufficio", objectives: {{level: ufficio}}}}
    behaviours:
      defined: false
      source: {{document: smvp, section: "TODO scheda di valutazione, comportamenti"}}
      reading: TODO the behaviour factors and their scales.
      factors:
        esempio_fattore: {{label: TODO nome del fattore}}

conciliation:
  source: {{document: smvp, section: "TODO procedure di conciliazione"}}
  steps:
    richiesta_riesame:
      label: Richiesta di riesame al valutatore
      actor: valutato
      from_event: consegna_scheda
      days: null               # the term in days, or null when the SMVP sets none
'''


def _seat(name: str) -> str:
    m = re.search(r".*\bdi\s+(.+)$", name)  # the last "di …": "Camera di Commercio di Mantova" → Mantova
    return m.group(1).strip() if m else name


def data_template(*, chamber: str, out_path: Path | None, year: int | None, force: bool,
                  out: Console, lang: str = "it") -> int:
    """``smvp init --data-template``: the empty dataset workbook of an existing chamber's profile
    (smvp/template.py), with data-validation lists from the profile."""
    from smvp.commands.evaluate import Options, resolve_profile_path
    from smvp.template import write_template

    target = out_path or Path(f"{chamber}-dati.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise UsageProblem(Msg("cannot write {path}: expected a file name ending in {ext}", path=str(target),
                               ext=".xlsx"))
    if target.exists() and not force:
        raise UsageProblem(Msg("{path} already exists", path=str(target)),
                           hint=Msg("choose another --out or pass --force to overwrite it"))
    profile = engine_api.load_profile(resolve_profile_path(Options(chamber=chamber)))
    write_template(profile.data, target, year=year)
    out.print(Text(t("written", lang, path=target)), soft_wrap=True)
    return 0


def run(*, chamber: str, name: str | None, out_path: Path | None, year: int, force: bool, out: Console,
        seat: str | None = None, lang: str = "it") -> int:
    """Write the skeleton for ``chamber`` and check that it validates.

    Raises:
        UsageProblem: a bad chamber id, or a file that exists (without --force).
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", chamber):
        raise UsageProblem(Msg("chamber id {chamber!r} is not valid", chamber=chamber),
                           hint=Msg("use lower-case letters, digits and _ (e.g. mantova, toscana_nord_ovest)"))
    target = out_path or engine_api.chambers_dir() / f"{chamber}.yaml"
    if target.exists() and not force:
        raise UsageProblem(Msg("{path} already exists", path=str(target)),
                           hint=Msg("choose another --out or pass --force to overwrite it"))
    name = name or f"Camera di Commercio di {chamber.replace('_', ' ').title()}"
    from smvp_engine.resources import schema_path

    schema = schema_path()
    seat = seat or _seat(name)
    text = SKELETON.format(chamber_id=chamber, name=name, seat=seat, year=year,
                           path=target, schema=schema.as_uri())
    try:
        profile = load_profile(target, text=text)
    except SmvpErrors as exc:
        if any((e.field or "").startswith("calendar") for e in exc.errors):
            raise UsageProblem(Msg("no patron-saint day is known for the seat {seat!r}", seat=seat),
                               hint=Msg("pass --seat with the city of the seat (e.g. --seat Lucca)")) from None
        raise RuntimeError(f"the profile skeleton does not validate: {exc}") from exc  # a bug
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(Text(t("written", lang, path=target), style="bold green"), soft_wrap=True)
    for warning in profile.warnings:
        out.print(Text(f"  {t('warning', lang)}: {say(warning, lang)}", style="yellow"), soft_wrap=True)
    out.print(t("init.next", lang, path=target), highlight=False, markup=False, soft_wrap=True)
    return 0
