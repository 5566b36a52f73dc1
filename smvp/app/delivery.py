"""When a person's scheda di valutazione counts as delivered: the day the terms of the
conciliation procedure run from (its starting event, e.g. Cuneo's ``data_scheda``,
Cremona's ``consegna_scheda``). The ONE rule used by the request of review
(``smvp.app.review``), by ``open_case`` without a delivery day, by the payment gate
(``smvp.app.conciliation.payout_state``) and by the pages.

The sources start the person's term from the moment they have the scheda:

* Cuneo, SMVP 2024 §3.4: «nel termine di 10 giorni dalla data posta sulla stessa»;
* Cremona, SMVP 2021 Cap. 6: «Dalla data di consegna il dipendente avrà 3 giorni di
  calendario per la proposizione della richiesta di riesame»;
* Brescia, SMVP 2021 §4.4: «Ricevuta la scheda di valutazione, ciascun dipendente può
  chiedere al valutatore il riesame» (no term);
* Lucca, ciclo 2011 §5: no procedure (the profile says ``defined: false``);
* d.lgs. 150/2009 art. 7 c. 3 lett. b: the procedures are about the application of the
  system to the person, i.e. to the evaluation the person is given.

What the person contests is the whole evaluation — the behaviour scores the valutatore
dated and the numbers computed from them (total, judgement, premium) — which exists only
once the evaluation is run. A scheda the valutatore dated before the run cannot have been
delivered to the person with its numbers, so (reading, stated in docs/conciliation.md):

1. a delivery recorded for the person (``smvp conciliation deliver --person``): that day
   (``deliver`` refuses a day before the run);
2. else the later of a delivery recorded for every sheet of the run and the date the
   valutatore put on the person's final scheda in the dataset the run evaluated
   (``smvp.app.scores.set_scheda_date``), **but never before the day the run was made**:
   the latest of these (for Cuneo, a scheda dated before the run carries the
   run's day as the day from which «la data posta sulla stessa» can be read by the person);
3. else no delivery: no request can be made yet and the payment gate counts the person
   as undelivered.

When the day considered (``as_of``) is itself before the run was made (dates replayed, as
``smvp.conciliation.delivery_problem`` allows), the run's day is not a bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from smvp.conciliation import run_day

#: how the delivery day was found (``Delivery.source``)
RECORDED, SCHEDA, RUN = "recorded", "scheda", "run"


@dataclass(frozen=True)
class Delivery:
    """The day a person's scheda counts as delivered, and why.

    ``source``: ``recorded`` (a recorded delivery), ``scheda`` (the valutatore's date on
    the final scheda), ``run`` (the scheda was dated before the run: the run's day).
    ``scheda_date``: the valutatore's date, when there is one; ``run_made``: the run's day.
    """

    day: dt.date
    source: str
    scheda_date: dt.date | None = None
    run_made: dt.date | None = None


def deliveries(session: Session, run: Any, *, as_of: dt.date,
               person_ids: Any = None) -> dict[str, Delivery]:
    """Every person of ``run`` (or of ``person_ids``) whose scheda counts as delivered, with
    its :class:`Delivery` (module doc for the rule); people without one are left out."""
    from smvp.store.tables import DatasetUpload, ScoreSheet, SheetDelivery

    wanted = None if person_ids is None else set(person_ids)
    made = run_day(run)
    bound = made if made is not None and made <= as_of else None
    recorded = session.exec(select(SheetDelivery).where(SheetDelivery.run_id == run.id)
                            .order_by(col(SheetDelivery.id))).all()
    every = [r.delivered for r in recorded if r.person_id is None]
    own: dict[str, dt.date] = {}
    for r in recorded:
        if r.person_id is not None:
            own[r.person_id] = r.delivered  # the latest record counts
    out: dict[str, Delivery] = {}
    ups = session.exec(select(DatasetUpload).where(
        DatasetUpload.sha256 == run.dataset_sha256,
        DatasetUpload.tenant_id == run.tenant_id)).all()
    ids = {u.derived_from or u.id for u in ups}
    if ids:
        stmt = select(ScoreSheet).where(col(ScoreSheet.dataset_id).in_(ids),
                                        ScoreSheet.tenant_id == run.tenant_id,
                                        col(ScoreSheet.scheda_date).is_not(None))
        if wanted is not None:
            stmt = stmt.where(col(ScoreSheet.person_id).in_(wanted))
        dated: dict[str, dt.date] = {}
        for sh in session.exec(stmt).all():
            if sh.scheda_date is not None:
                dated[sh.person_id] = max(sh.scheda_date, dated.get(sh.person_id, sh.scheda_date))
        for pid, day in dated.items():
            if bound is not None and day < bound:
                out[pid] = Delivery(bound, RUN, scheda_date=day, run_made=made)
            else:
                out[pid] = Delivery(day, SCHEDA, scheda_date=day, run_made=made)
    if every:  # a delivery of every sheet: never before the person's own scheda's day
        from smvp.store.tables import PersonResult

        people = session.exec(select(PersonResult.person_id).where(
            PersonResult.run_id == run.id)).all()
        for pid in people:
            if (wanted is None or pid in wanted) and (pid not in out or out[pid].day <= every[-1]):
                out[pid] = Delivery(every[-1], RECORDED, run_made=made,
                                    scheda_date=out[pid].scheda_date if pid in out else None)
    for pid, day in own.items():
        if wanted is None or pid in wanted:
            out[pid] = Delivery(day, RECORDED, run_made=made,
                                scheda_date=out[pid].scheda_date if pid in out else None)
    return out


def delivery(session: Session, run: Any, person_id: str, *, as_of: dt.date) -> Delivery | None:
    """The :class:`Delivery` of ``person_id``'s scheda in ``run`` as of ``as_of``, or None
    when it is not delivered yet (module doc for the rule)."""
    return deliveries(session, run, as_of=as_of, person_ids=[person_id]).get(person_id)
