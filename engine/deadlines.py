"""Legal terms: conciliation deadlines and the performance-cycle calendar.

Pure computation: no CLI, no rendering, no database (see docs/design.md and
docs/deadlines.md).

The rule (art. 2963 c.c., art. 1187 c.c., art. 155 c.p.c.):

* a term of N days does not count the day of the event (*dies a quo non
  computatur*): the nominal end is ``start + N`` calendar days;
* days are calendar days: non-working days inside the term still count;
* a term that ends on a non-working day is extended to the next working day.

Which days are non-working is a property of the Chamber's calendar
(:class:`WorkingCalendar`): Sundays, the national holidays (L. 260/1949 as
amended, including 4 October from 2026, L. 8 ottobre 2025 n. 151), the patron
saint of the Chamber's seat (CCNL), optionally Saturdays (art. 155 c. 5 c.p.c.)
and any closure the profile declares.

National holidays and the patron-saint days come from the ``holidays``
package (``holidays.Italy``, province subdivisions, Italian names). This
module adds only what the package does not model: ordinary Sundays, the
Saturday policy, extra closures, the label "<santo>, patrono di <sede>", and a
profile override of the patron day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from smvp_engine.errors import (
    DatasetError,
    DatasetErrors,
    Day,
    Msg,
    ProfileError,
    ProfileErrors,
    Text,
)

__all__ = [
    "SEATS",
    "STATUSES",
    "WEEKDAYS",
    "Closure",
    "Deadline",
    "Seat",
    "StepDeadline",
    "WorkingCalendar",
    "calendar_for_seat",
    "calendar_from_profile",
    "conciliation_schedule",
    "cycle_schedule",
    "fixed_term",
    "schedule",
    "term_end",
]

WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
SATURDAY, SUNDAY = 5, 6

#: Sources of the rule, quoted in explanations and in docs/deadlines.md.
SOURCE_TERMS = "art. 2963 c.c.; art. 1187 c.c.; art. 155 c.p.c."
SOURCE_NATIONAL = "L. 27 maggio 1949, n. 260, art. 2, come modificata (da ultimo L. 8 ottobre 2025, n. 151: 4 ottobre)"
SOURCE_PATRON = (
    "CCNL Regioni-Autonomie locali 6.7.1995, art. 18 c. 6: la ricorrenza del Santo Patrono "
    "della località in cui il dipendente presta servizio è giorno festivo se cade in giorno lavorativo"
)
SOURCE_SATURDAY = "art. 155 c. 5 c.p.c. (sabato, per gli atti da compiere fuori udienza)"


# --------------------------------------------------------------------------- seats


@dataclass(frozen=True)
class Seat:
    """A Chamber's seat: where the offices are, hence which patron day closes them."""

    name: str
    subdivision: str  # holidays.Italy subdivision (province code) whose patron day is the seat's
    patron_month: int
    patron_day: int
    patron_label: str  # Italian label of the closure, as printed in explanations
    source: str
    patron_label_en: str = ""  # the same label in English (``smvp calendar --lang en``)


_PATRON_LIST = (
    "holidays.Italy (province subdivision, patron of the capoluogo; ref. "
    "it.wikipedia.org/wiki/Santi_patroni_cattolici_delle_città_capoluogo_di_provincia_italiane)"
)

#: Seat table: seat → province code and patron saint day. Each patron day is
#: also provided by ``holidays.Italy(subdiv=<code>)``; the table adds the short
#: label used in explanations and documents the source. A profile overrides it
#: with ``calendar.patron``.
SEATS: dict[str, Seat] = {
    "Cremona": Seat(
        "Cremona",
        "CR",
        11,
        13,
        "Sant'Omobono, patrono di Cremona",
        f"{SOURCE_PATRON}; 13/11 da {_PATRON_LIST}",
        "Saint Homobonus, patron saint of Cremona",
    ),
    "Brescia": Seat(
        "Brescia",
        "BS",
        2,
        15,
        "Santi Faustino e Giovita, patroni di Brescia",
        f"{SOURCE_PATRON}; 15/02 da {_PATRON_LIST}",
        "Saints Faustinus and Jovita, patron saints of Brescia",
    ),
    "Cuneo": Seat(
        "Cuneo",
        "CN",
        9,
        29,
        "San Michele, patrono di Cuneo",
        f"{SOURCE_PATRON}; 29/09 da {_PATRON_LIST}",
        "Saint Michael, patron saint of Cuneo",
    ),
    "Lucca": Seat(
        "Lucca",
        "LU",
        7,
        12,
        "San Paolino, patrono di Lucca",
        f"{SOURCE_PATRON}; 12/07 da {_PATRON_LIST}",
        "Saint Paulinus, patron saint of Lucca",
    ),
}


def _seat_key(name: str) -> str | None:
    for key in SEATS:
        if key.casefold() == name.strip().casefold():
            return key
    return None


def _holidays() -> Any:
    """The ``holidays`` package, imported on first use (it loads every country: ~0.1 s)."""
    import holidays

    return holidays


def _library_subdivision(name: str) -> str | None:
    """The holidays.Italy subdivision for a seat name or code, if the library knows it."""
    holidays = _holidays()
    name = name.strip()
    if name in holidays.Italy.subdivisions:
        return name
    aliases = getattr(holidays.Italy, "subdivisions_aliases", {}) or {}
    for alias, code in aliases.items():
        if alias.casefold() == name.casefold():
            return code
    upper = name.upper()
    return upper if upper in holidays.Italy.subdivisions else None


# --------------------------------------------------------------------------- library


#: The library's tables already computed, to be kept between processes by the caller:
#: ``"<holidays version>|<subdivision>|<year>"`` → ``{"YYYY-MM-DD": [names]}``. Importing
#: ``holidays`` loads every country (~0.1 s), a large part of a short command's start-up;
#: smvp keeps this mapping in its cache folder (smvp/cache.py), so that a year already
#: seen is read back instead. Keyed by the installed version of ``holidays``: a new
#: version of the library computes its tables again.
LIBRARY_DAYS: dict[str, dict[str, list[str]]] = {}


@cache
def _holidays_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:  # pragma: no cover - holidays is a dependency
        return None


@cache
def _library_days(subdivision: str | None, year: int, language: str = "it_IT") -> dict[date, tuple[str, ...]]:
    """Public holidays of ``year`` from holidays.Italy, names in ``language`` (the library's
    ``it_IT`` or ``en_US``; national if no subdivision).

    Read from :data:`LIBRARY_DAYS` when the same version of the library computed them before.
    """
    lib_version = _holidays_version()
    key = f"{lib_version}|{subdivision or ''}|{year}" + ("" if language == "it_IT" else f"|{language}")
    known = LIBRARY_DAYS.get(key) if lib_version else None
    if isinstance(known, dict):
        try:
            return {date.fromisoformat(d): tuple(map(str, n)) for d, n in sorted(known.items())}
        except (TypeError, ValueError):  # a damaged entry: computed again below
            pass
    holidays = _holidays()
    cal = holidays.Italy(
        subdiv=subdivision, years=year, language=language, categories=(holidays.PUBLIC,)
    )
    days = {d: tuple(cal.get_list(d)) for d in sorted(cal)}
    if lib_version:
        LIBRARY_DAYS[key] = {d.isoformat(): list(n) for d, n in days.items()}
    return days


def _local_library_days(subdivision: str, year: int) -> dict[date, tuple[str, ...]]:
    """Days the library adds for the subdivision (its patron day), over the national ones."""
    national = _library_days(None, year)
    out: dict[date, tuple[str, ...]] = {}
    for d, names in _library_days(subdivision, year).items():
        extra = tuple(n for n in names if n not in national.get(d, ()))
        if extra:
            out[d] = extra
    return out


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class Closure:
    """A day the offices are closed.

    ``year`` None means every year on ``month``/``day`` (from ``from_year``).
    """

    month: int
    day: int
    label: str
    year: int | None = None
    from_year: int | None = None
    source: Any = field(default=None, compare=False, hash=False)

    def on(self, year: int) -> date | None:
        if self.year is not None and self.year != year:
            return None
        if self.from_year is not None and year < self.from_year:
            return None
        try:
            return date(year, self.month, self.day)
        except ValueError:  # 29 February in a common year
            return None


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days extend a term, for one Chamber's seat.

    Build it with :func:`calendar_for_seat` or :func:`calendar_from_profile`.

    Attributes:
        seat: seat name (used in labels: "San Michele, patrono di Cuneo").
        subdivision: holidays.Italy subdivision whose patron day closes the
            offices, or None.
        saturdays_extend: whether a term ending on Saturday moves on.
        patron: a profile override of the patron day (replaces the library's
            local days), or None to use the library's.
        patron_label: label of the library's patron day ("San Michele, patrono
            di Cuneo"), from the seat table.
        patron_label_en: the same label in English, from the seat table.
        patron_date: (month, day) of the seat table's patron day.
        closures: extra closures declared by the profile.
        source: where the profile takes this calendar from.
    """

    seat: str
    subdivision: str | None = None
    saturdays_extend: bool = False
    patron: Closure | None = None
    patron_label: str | None = None
    patron_label_en: str | None = None
    patron_date: tuple[int, int] | None = None
    closures: tuple[Closure, ...] = ()
    source: Any = field(default=None, compare=False, hash=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    # -- per-year tables

    def _year(self, year: int) -> dict[date, tuple[str, ...]]:
        """Holiday labels of ``year`` (national, patron, closures), without weekends."""
        if year in self._cache:
            return self._cache[year]
        days: dict[date, list[str]] = {d: list(n) for d, n in _library_days(None, year).items()}
        # Fill: holidays 0.86 does not list Easter Sunday (0.109 does; a Sunday, so
        # only the label is at stake); name it the day before Lunedì dell'Angelo
        # so that explanations do not depend on the library version.
        if not any("Pasqua" in names for names in days.values()):
            for d, names in list(days.items()):
                if "Lunedì dell'Angelo" in names:
                    days.setdefault(d - timedelta(days=1), []).append("Pasqua")
        if self.patron is not None:
            patron_day = self.patron.on(year)
            if patron_day is not None:
                days.setdefault(patron_day, []).append(self.patron.label)
        elif self.subdivision is not None:
            local = _local_library_days(self.subdivision, year)
            for d, local_names in local.items():
                if self.patron_date == (d.month, d.day) and self.patron_label:
                    days.setdefault(d, []).append(self.patron_label)
                else:
                    for n in local_names:
                        days.setdefault(d, []).append(f"{n}, festività locale di {self.seat}")
            if self.patron_date is not None and self.patron_label:
                # Fill: the seat table knows a patron day the library lacks.
                fill: date | None
                try:
                    fill = date(year, *self.patron_date)
                except ValueError:
                    fill = None
                if fill is not None and fill not in local:
                    days.setdefault(fill, []).append(self.patron_label)
        for c in self.closures:
            closed = c.on(year)
            if closed is not None:
                days.setdefault(closed, []).append(c.label)
        table = {d: tuple(dict.fromkeys(v)) for d, v in days.items()}
        self._cache[year] = table
        return table

    # -- public API

    def holiday_labels(self, d: date) -> tuple[str, ...]:
        """Holidays and closures on ``d`` (no weekday labels)."""
        return self._year(d.year).get(d, ())

    def closure_reasons(self, d: date) -> tuple[str, ...]:
        """Why ``d`` is not a working day, in Italian; empty if it is one."""
        reasons: list[str] = []
        wd = d.weekday()
        if wd == SUNDAY:
            reasons.append("domenica")
        elif wd == SATURDAY and self.saturdays_extend:
            reasons.append("sabato")
        reasons.extend(self.holiday_labels(d))
        return tuple(reasons)

    def closure_reason(self, d: date) -> str | None:
        """``closure_reasons`` joined ("domenica", "Natale", "San Michele, patrono di Cuneo")."""
        reasons = self.closure_reasons(d)
        return "; ".join(reasons) if reasons else None

    def working_days(self, year: int, *, saturdays: bool = True) -> int:
        """Days of ``year`` an office can be open: Monday to Saturday (``saturdays``)
        or Monday to Friday, less the holidays and closures of this calendar.

        The most days anyone can be present in ``year`` (CCNL Funzioni Locali: the
        36 weekly hours are spread over five or six days).
        """
        last = 5 if saturdays else 4
        table = self._year(year)
        first = date(year, 1, 1)
        weeks, rest = divmod((date(year + 1, 1, 1) - first).days, 7)
        n = weeks * (last + 1) + sum(1 for i in range(rest) if (first.weekday() + i) % 7 <= last)
        # less the holidays and closures of the year on those weekdays (counted once each)
        return n - sum(1 for d in table if type(d) is date and d.year == year and d.weekday() <= last)

    def is_working(self, d: date) -> bool:
        return not self.closure_reasons(d)

    def next_working(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        while not self.is_working(d):
            d += timedelta(days=1)
        return d

    def skip_label(self, d: date, *, with_year: bool = False) -> Msg:
        """One link of a "moved because" chain, a catalogue message: "domenica 05/10",
        "25/12 Natale" (the holidays' and closures' names as the library and the profile
        write them; the weekday in the user's language)."""
        pattern = "dd/MM/yyyy" if with_year else "dd/MM"
        if d.weekday() in (SATURDAY, SUNDAY):
            pattern = "EEEE " + pattern
        labels = self.holiday_labels(d)
        if labels:
            names = Text({"it": "; ".join(labels), "en": "; ".join(_english_name(self, d, n) for n in labels)})
            return Msg("{day} {holidays}", day=Day(d, pattern), holidays=names)
        return Msg("{day}", day=Day(d, pattern))


def _english_name(cal: WorkingCalendar, d: date, label: str) -> str:
    """The English name of the holiday or closure ``label`` on ``d``: the library's ``en_US``
    name of a national or local holiday (same day, same place in the day's list), the seat
    table's English patron label; a profile's own closure keeps its label."""
    if label == cal.patron_label and cal.patron_label_en:
        return cal.patron_label_en
    if label == "Pasqua":
        return "Easter Sunday"
    national = _library_name_en(None, d, label)
    if national is not None:
        return national
    local = f", festività locale di {cal.seat}"
    if cal.subdivision is not None and label.endswith(local):
        name = _library_name_en(cal.subdivision, d, label.removesuffix(local))
        if name is not None:
            return f"{name}, local holiday of {cal.seat}"
    return label


def _library_name_en(subdivision: str | None, d: date, name: str) -> str | None:
    """The library's ``en_US`` name of its Italian holiday ``name`` on ``d`` (same place in the
    day's list), or None when the library has no such holiday."""
    it = _library_days(subdivision, d.year).get(d, ())
    en = _library_days(subdivision, d.year, "en_US").get(d, ())
    return en[it.index(name)] if name in it and it.index(name) < len(en) else None


def _long(d: date) -> Day:
    """"lunedì 30/06/2025" / "Monday 30/06/2025" (a field of a catalogue message)."""
    return Day(d, "EEEE dd/MM/yyyy")


def _days(n: int) -> Msg:
    """"1 giorno" / "3 giorni" ("1 day" / "3 days")."""
    return Msg("1 day") if n == 1 else Msg("{n} days", n=n)


def _months(n: int) -> Msg:
    return Msg("1 month") if n == 1 else Msg("{n} months", n=n)


def calendar_for_seat(
    seat: str,
    *,
    saturdays_extend: bool = False,
    subdivision: str | None = None,
    patron: Closure | None = None,
    closures: Iterable[Closure] = (),
    source: Any = None,
) -> WorkingCalendar:
    """The working calendar of a Chamber whose offices are in ``seat``.

    The patron day comes from ``holidays.Italy(subdiv=...)`` for the seat's
    province (seat table :data:`SEATS`, else the library's own city/province
    names), unless ``patron`` overrides it. A seat that neither the table nor
    the library knows needs an explicit ``patron`` (or ``subdivision``).
    """
    key = _seat_key(seat)
    entry = SEATS.get(key) if key else None
    name = entry.name if entry else seat.strip()
    if subdivision is not None:
        sub = _library_subdivision(subdivision)
        if sub is None:
            raise ProfileError(
                Msg('unknown subdivision {subdivision!r} for holidays.Italy', subdivision=subdivision),
                field="calendar.subdivision",
                expected=Msg('an Italian province code such as CN, CR, BS, LU'),
                found=repr(subdivision),
            )
    elif entry is not None:
        sub = entry.subdivision
    else:
        sub = _library_subdivision(seat)
    if patron is None and sub is None:
        raise ProfileError(
            Msg('no patron-saint day known for seat {seat!r}', seat=seat),
            field="calendar.patron",
            expected=Msg('a seat in the seat table or a province known to holidays.Italy'),
            found=repr(seat),
            hint=Msg('declare calendar: {{patron: {{date: "MM-DD", label: ...}}}} or calendar.subdivision'),
        )
    table_entry = entry if entry is not None and (subdivision is None or sub == entry.subdivision) \
        else None
    return WorkingCalendar(
        seat=name,
        subdivision=sub,
        saturdays_extend=bool(saturdays_extend),
        patron=patron,
        patron_label=table_entry.patron_label if table_entry else None,
        patron_label_en=(table_entry.patron_label_en or None) if table_entry else None,
        patron_date=(table_entry.patron_month, table_entry.patron_day) if table_entry else None,
        closures=tuple(closures),
        source=source if source is not None else (entry.source if entry else None),
    )


END_OF_MONTH = 0  # day value of "MM-end": the last day of that month in the year concerned


def _parse_month_day(value: Any, where: str, allow_end: bool = False) -> tuple[int | None, int, int]:
    """``"MM-DD"`` or ``"MM-end"`` (every year) or ``"YYYY-MM-DD"``/a date (that day only).

    ``"02-end"`` is the last day of February of the year concerned (28 or 29):
    for texts such as "nel mese di febbraio". Its day is :data:`END_OF_MONTH`.
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.year, value.month, value.day
    if isinstance(value, str):
        parts = value.strip().split("-")
        try:
            if len(parts) == 2 and parts[1] == "end" and allow_end:
                m = int(parts[0])
                date(2000, m, 1)
                return None, m, END_OF_MONTH
            if len(parts) == 2:
                m, d = int(parts[0]), int(parts[1])
                date(2000, m, d)  # leap year: accepts 02-29
                return None, m, d
            if len(parts) == 3:
                x = date.fromisoformat(value.strip())
                return x.year, x.month, x.day
        except ValueError:
            pass
    raise ProfileError(
        Msg('not a valid day'),
        field=where,
        expected=Msg('"MM-DD" or "MM-end" (every year) or "YYYY-MM-DD"'),
        found=repr(value),
    )


def calendar_from_profile(profile: Mapping[str, Any] | Any) -> WorkingCalendar:
    """The working calendar declared by a profile (its ``calendar`` block).

    ``profile`` is the parsed YAML mapping, or an ``engine.profile.Profile``
    (anything with a ``data`` mapping).

    Without a ``calendar`` block the seat is ``chamber.seat`` and the defaults
    apply (Sundays, national holidays, the seat's patron; Saturdays do not
    extend). See docs/deadlines.md for the block.
    """
    if not isinstance(profile, Mapping) and isinstance(getattr(profile, "data", None), Mapping):
        profile = profile.data
    errors: list[ProfileError] = []
    block = profile.get("calendar") or {}
    if not isinstance(block, Mapping):
        raise ProfileErrors(
            [ProfileError(Msg('must be a mapping'), field="calendar", found=type(block).__name__)]
        )
    seat = block.get("seat") or (profile.get("chamber") or {}).get("seat")
    if not isinstance(seat, str) or not seat.strip():
        raise ProfileErrors(
            [
                ProfileError(
                    Msg("no seat: the calendar needs the Chamber's seat"),
                    field="calendar.seat",
                    expected=Msg('a city name (calendar.seat or chamber.seat)'),
                    found=repr(seat),
                )
            ]
        )
    sat = block.get("saturdays_extend", False)
    if not isinstance(sat, bool):
        errors.append(
            ProfileError(
                Msg('must be true or false'), field="calendar.saturdays_extend", found=repr(sat)
            )
        )
        sat = False

    patron = None
    raw_patron = block.get("patron")
    if raw_patron is not None:
        if (
            not isinstance(raw_patron, Mapping)
            or "date" not in raw_patron
            or not raw_patron.get("label")
        ):
            errors.append(
                ProfileError(
                    Msg("must give the patron day and the saint's name"),
                    field="calendar.patron",
                    expected=Msg('{{date: "MM-DD", label: <santo>, source: ...}}'),
                    found=repr(raw_patron),
                )
            )
        else:
            try:
                y, m, d = _parse_month_day(raw_patron["date"], "calendar.patron.date")
                if y is not None:
                    raise ProfileError(
                        Msg('the patron day recurs every year'),
                        field="calendar.patron.date",
                        expected=Msg('"MM-DD"'),
                        found=repr(raw_patron["date"]),
                    )
                patron = Closure(m, d, str(raw_patron["label"]), source=raw_patron.get("source"))
            except ProfileError as e:
                errors.append(e)

    closures: list[Closure] = []
    raw_closures = block.get("closures") or []
    if not isinstance(raw_closures, list):
        errors.append(
            ProfileError(Msg('must be a list'), field="calendar.closures", found=repr(raw_closures))
        )
        raw_closures = []
    for i, c in enumerate(raw_closures):
        where = f"calendar.closures[{i}]"
        if not isinstance(c, Mapping) or "date" not in c or not c.get("label"):
            errors.append(
                ProfileError(
                    Msg('a closure needs a day and a label'),
                    field=where,
                    expected=Msg('{{date: "MM-DD" or "YYYY-MM-DD", label: ..., source: ...}}'),
                    found=repr(c),
                )
            )
            continue
        try:
            y, m, d = _parse_month_day(c["date"], where + ".date")
        except ProfileError as e:
            errors.append(e)
            continue
        from_year = c.get("from")
        if from_year is not None and (
            isinstance(from_year, bool) or not isinstance(from_year, int)
        ):
            errors.append(
                ProfileError(Msg('must be a year'), field=where + ".from", found=repr(from_year))
            )
            from_year = None
        closures.append(
            Closure(m, d, str(c["label"]), year=y, from_year=from_year, source=c.get("source"))
        )

    sub = block.get("subdivision")
    try:
        cal = calendar_for_seat(
            seat,
            saturdays_extend=sat,
            subdivision=sub,
            patron=patron,
            closures=closures,
            source=block.get("source"),
        )
    except ProfileError as e:
        errors.append(e)
        cal = None
    if errors:
        raise ProfileErrors(errors)
    assert cal is not None
    return cal


# --------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Deadline:
    """The end of a term.

    Attributes:
        nominal: ``start + days`` (or the fixed date), before any extension.
        due: the last day to act: ``nominal`` or the next working day.
        moved_because: one label per skipped day, in order, each a catalogue message
            (:class:`~smvp_engine.errors.Msg`; in Italian "25/12 Natale", "26/12 Santo
            Stefano", "domenica 27/12"); empty if the deadline did not move.
        start: the day of the event the term runs from (None for a fixed date).
        days: the term in days (None for a fixed date or a term in months).
        months: the term in months (art. 2963 c. 4 c.c.), else None.
    """

    nominal: date
    due: date
    moved_because: tuple[Msg, ...] = ()
    start: date | None = None
    days: int | None = None
    months: int | None = None

    @property
    def moved(self) -> bool:
        return self.due != self.nominal

    @property
    def reason(self) -> Msg | None:
        """The chain of skipped days and the landing day, or None if not moved: a catalogue
        message (smvp says it in the user's language with ``smvp.i18n.say``).

        e.g. "29/09 San Michele, patrono di Cuneo → martedì 30/09".
        """
        if not self.moved:
            return None
        with_year = self.nominal.year != self.due.year
        chain: Msg = Msg("{day}", day=Day(self.due, "EEEE dd/MM/yyyy" if with_year else "EEEE dd/MM"))
        for link in reversed(self.moved_because):
            chain = Msg("{before} → {after}", before=link, after=chain)
        return chain

    def explain(self) -> Msg:
        """One sentence, a catalogue message: the term, its nominal end and, if moved, why
        ("Termine di 10 giorni dal 19/09/2025 (venerdì), escluso il giorno di partenza: …")."""
        if self.months is not None and self.start is not None:
            head = Msg("A term of {term} from {start} ({weekday}), by the common calendar",
                       term=_months(self.months), start=Day(self.start), weekday=Day(self.start, "EEEE"))
        elif self.days is not None and self.start is not None:
            head = Msg("A term of {term} from {start} ({weekday}), not counting the starting day",
                       term=_days(self.days), start=Day(self.start), weekday=Day(self.start, "EEEE"))
        else:
            head = Msg("Deadline fixed on {date} ({weekday})",
                       date=Day(self.nominal), weekday=Day(self.nominal, "EEEE"))
        counted = self.days is not None or self.months is not None
        if not self.moved:
            if counted:
                return Msg("{head}: due {due}.", head=head, due=_long(self.due))
            return Msg("{head}: a working day.", head=head)
        if counted:
            return Msg("{head}: nominal end {nominal}, a non-working day, extended to {due} ({chain}).",
                       head=head, nominal=_long(self.nominal), due=_long(self.due), chain=self.reason)
        return Msg("{head}, a non-working day, extended to {due} ({chain}).",
                   head=head, due=_long(self.due), chain=self.reason)


def _extend(nominal: date, cal: WorkingCalendar) -> tuple[date, tuple[Msg, ...]]:
    due = nominal
    skipped: list[date] = []
    while not cal.is_working(due):
        skipped.append(due)
        due += timedelta(days=1)
    with_year = nominal.year != due.year
    return due, tuple(cal.skip_label(d, with_year=with_year) for d in skipped)


def term_end(start: date, days: int, cal: WorkingCalendar) -> Deadline:
    """End of a term of ``days`` calendar days from the event on ``start``.

    The day of the event is not counted; a term ending on a non-working day
    moves to the next working day (art. 2963 c.c.; art. 155 c.p.c.).
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, not {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be ≥ 0, not {days}")
    if isinstance(start, datetime):
        start = start.date()
    nominal = start + timedelta(days=days)
    due, why = _extend(nominal, cal)
    return Deadline(nominal=nominal, due=due, moved_because=why, start=start, days=days)


def add_months(start: date, months: int) -> date:
    """The day corresponding to ``start`` ``months`` later, or the last day of that month
    when it has no such day (art. 2963 c. 4 c.c.: 31/01 + 1 month → 28/02 or 29/02)."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def term_end_months(start: date, months: int, cal: WorkingCalendar) -> Deadline:
    """End of a term of ``months`` months from the event on ``start``.

    Months follow the common calendar: the term ends on the day of the final
    month corresponding to the starting day, or on that month's last day if it
    has none (art. 2963 c. 4 c.c.); a non-working end moves to the next working
    day (art. 2963 c. 3 c.c.; art. 155 c.p.c.).
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be an int ≥ 1, not {months!r}")
    if isinstance(start, datetime):
        start = start.date()
    nominal = add_months(start, months)
    due, why = _extend(nominal, cal)
    return Deadline(nominal=nominal, due=due, moved_because=why, start=start, months=months)


def month_day(year: int, month: int, day: int) -> date:
    """``date(year, month, day)``, where day :data:`END_OF_MONTH` is the month's last day."""
    if day == END_OF_MONTH:
        day = calendar.monthrange(year, month)[1]
    return date(year, month, day)


def fixed_term(nominal: date, cal: WorkingCalendar) -> Deadline:
    """A deadline fixed by the calendar ("entro il 30 giugno"), extended if non-working."""
    if isinstance(nominal, datetime):
        nominal = nominal.date()
    due, why = _extend(nominal, cal)
    return Deadline(nominal=nominal, due=due, moved_because=why)


# --------------------------------------------------------------------------- schedules

#: Status of a step in a schedule.
STATUSES = {
    "nessun_termine": "nessun termine previsto",
    "in_attesa": "in attesa dell'evento di partenza",
    "aperto": "termine in corso",
    "presunto": "scadenza presunta: l'evento di partenza si assume compiuto l'ultimo giorno utile",
    "scaduto": "termine scaduto senza che il passo risulti compiuto",
    "nei_termini": "compiuto nei termini",
    "in_ritardo": "compiuto in ritardo",
    "incoerente": "compiuto prima dell'evento di partenza",
    # conditional steps (``if_late``/``replaces``, e.g. Cuneo's monitoring at the end of
    # the third quarter when the objectives were approved late)
    "condizionato": "dovuto solo se il passo da cui dipende è compiuto oltre il termine",
    "non_applicabile": "non dovuto: il passo da cui dipende è stato compiuto nei termini",
    "sostituito": "non dovuto: sostituito da un altro passo",
}


@dataclass(frozen=True)
class StepDeadline:
    """One step of a schedule (conciliation procedure or performance cycle).

    Attributes:
        step: step id (also the event id of the step having happened).
        label, actor: from the profile.
        from_event: the event the term runs from (None for a fixed date).
        days: the term in days; None when the profile sets no term.
        start: when ``from_event`` happened (or is presumed to, if ``projected``).
        deadline: the computed term, or None (no term, or event not happened).
        done: when the step happened (``events[step]``), or None.
        status: a key of :data:`STATUSES`.
        days_late: calendar days after ``due`` (done late, or overdue at
            ``as_of``); 0 when in time; None when it cannot be said.
        projected: ``start`` is presumed: an earlier step assumed to happen on
            its due date.
        reason: the explanation, a catalogue message (:class:`~smvp_engine.errors.Msg`,
            English as ``str``; ``smvp.i18n.say`` says it in the user's language).
    """

    step: str
    label: str
    actor: str | None
    from_event: str | None
    days: int | None
    start: date | None
    deadline: Deadline | None
    done: date | None
    status: str
    days_late: int | None
    projected: bool
    reason: Msg

    @property
    def due(self) -> date | None:
        return self.deadline.due if self.deadline else None

    @property
    def late(self) -> bool | None:
        """True if done (or overdue) after the due date; None if no due date or not done."""
        if self.status in ("in_ritardo", "scaduto"):
            return True
        if self.status == "nei_termini":
            return False
        return None


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DatasetError(Msg('not a date'), field=where, expected=Msg('a date YYYY-MM-DD'), found=repr(value))


@dataclass(frozen=True)
class _Step:
    id: str
    label: str
    actor: str | None
    from_event: str | None
    days: int | None
    fixed: tuple[int, int, int] | None  # (month, day, year_offset)
    if_late: str | None = None  # due only if that step is done (or overdue) after its term
    replaces: str | None = None  # when this step is due, that step is not
    months: int | None = None  # a term in months instead of days (art. 2963 c. 4 c.c.)


def _parse_steps(steps: Mapping[str, Any], where: str) -> list[_Step]:
    errors: list[ProfileError] = []
    out: list[_Step] = []
    if not isinstance(steps, Mapping):
        raise ProfileErrors(
            [ProfileError(Msg('must be a mapping of steps'), field=where, found=repr(steps))]
        )
    for sid, raw in steps.items():
        at = f"{where}.{sid}"
        if not isinstance(raw, Mapping):
            errors.append(ProfileError(Msg('a step must be a mapping'), field=at, found=repr(raw)))
            continue
        days = raw.get("days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            errors.append(
                ProfileError(
                    Msg('not a number of days'),
                    field=at + ".days",
                    expected=Msg('a whole number ≥ 0, or no days key when the document sets no term'),
                    found=repr(days),
                )
            )
            days = None
        months = raw.get("months")
        if months is not None and (isinstance(months, bool) or not isinstance(months, int) or months < 1):
            errors.append(ProfileError(Msg('not a number of months'), field=at + ".months",
                                       expected=Msg('a whole number ≥ 1'), found=repr(months)))
            months = None
        if months is not None and days is not None:
            errors.append(ProfileError(Msg('a term is in days or in months, not both'), field=at,
                                       expected=Msg('either days or months'), found=repr(dict(raw))))
            continue
        fixed = None
        if raw.get("date") is not None:
            try:
                y, m, d = _parse_month_day(raw["date"], at + ".date", allow_end=True)
            except ProfileError as e:
                errors.append(e)
                continue
            offset = raw.get("year_offset", 0)
            if y is not None or isinstance(offset, bool) or not isinstance(offset, int):
                errors.append(
                    ProfileError(
                        Msg('a fixed cycle date is MM-DD with an integer year_offset'),
                        field=at,
                        expected=Msg('date: "MM-DD", year_offset: 0|1|…'),
                        found=repr(dict(raw)),
                    )
                )
                continue
            if raw.get("from_event") is not None or days is not None or months is not None:
                errors.append(
                    ProfileError(
                        Msg('a step has either a fixed date or from_event + days, not both'),
                        field=at,
                        found=repr(dict(raw)),
                    )
                )
                continue
            fixed = (m, d, offset)
        elif raw.get("from_event") is None and days is None and raw.get("days") is None and months is None:
            pass  # a step without a term (the document sets neither a date nor a term)
        elif not isinstance(raw.get("from_event"), str) or not raw.get("from_event"):
            errors.append(
                ProfileError(
                    Msg('the step does not say which event its term runs from'),
                    field=at + ".from_event",
                    expected=Msg('an event id (e.g. data_scheda) or a previous step id'),
                    found=repr(raw.get("from_event")),
                )
            )
            continue
        out.append(
            _Step(
                id=str(sid),
                label=str(raw.get("label") or sid),
                actor=raw.get("actor"),
                from_event=raw.get("from_event") if fixed is None else None,
                days=days,
                fixed=fixed,
                if_late=raw.get("if_late"),
                replaces=raw.get("replaces"),
                months=months,
            )
        )
    # Cycles among steps (a → b → a) can never start.
    ids = {s.id for s in out}
    by_id = {s.id: s for s in out}
    for s in out:
        for key in ("if_late", "replaces"):
            ref = getattr(s, key)
            if ref is not None and (ref not in ids or ref == s.id):
                errors.append(
                    ProfileError(
                        Msg('not another step of the same chain'),
                        field=f"{where}.{s.id}.{key}",
                        expected=Msg("the id of another step: {ids}", ids=", ".join(sorted(ids - {s.id}))),
                        found=repr(ref),
                    )
                )
    for s in out:
        seen, cur = {s.id}, s
        while cur.from_event in ids:
            cur = by_id[cur.from_event]
            if cur.id in seen:
                errors.append(
                    ProfileError(
                        Msg('steps run from each other in a circle'),
                        field=f"{where}.{s.id}.from_event",
                        found=" → ".join(sorted(seen)),
                    )
                )
                break
            seen.add(cur.id)
    if errors:
        raise ProfileErrors(errors)
    return out


def schedule(
    steps: Mapping[str, Any],
    events: Mapping[str, Any],
    cal: WorkingCalendar,
    *,
    year: int | None = None,
    as_of: date | None = None,
    project: bool = False,
    where: str = "steps",
) -> list[StepDeadline]:
    """Deadlines of a chain of steps, in the profile's order.

    Each step either runs ``days`` from ``from_event`` (an event id, or the id
    of an earlier step meaning the day that step happened) or falls on a fixed
    ``date: "MM-DD"`` of ``year + year_offset``. ``events`` maps event and step
    ids to the day they happened. A step without ``days`` has no term: it is
    reported as "nessun termine previsto", never given one.

    ``as_of``: a step not done whose due date is before ``as_of`` is "scaduto".
    ``project``: a step not done is presumed to happen on its due date, so the
    later steps get presumed (``projected``) deadlines: the latest calendar.
    """
    parsed = _parse_steps(steps, where)
    errs: list[DatasetError] = []
    ev: dict[str, date] = {}
    for k, v in (events or {}).items():
        if v is None:
            continue
        try:
            ev[str(k)] = _as_date(v, f"events.{k}")
        except DatasetError as e:
            errs.append(e)
    if errs:
        raise DatasetErrors(errs)
    if any(s.fixed for s in parsed) and year is None:
        raise ProfileErrors(
            [ProfileError(Msg('fixed-date steps need the year of the cycle'), field=where)]
        )

    by_id = {s.id: s for s in parsed}
    results: dict[str, StepDeadline] = {}

    def presumed(event: str) -> tuple[date | None, bool]:
        """When ``event`` happened, or is presumed to (projection)."""
        if event in ev:
            return ev[event], False
        if project and event in by_id:
            r = compute(by_id[event])
            if r.due is not None:
                return r.due, True
        return None, False

    def compute(s: _Step) -> StepDeadline:
        if s.id in results:
            return results[s.id]
        done = ev.get(s.id)
        start: date | None = None
        projected = False
        deadline: Deadline | None = None
        if s.fixed is not None:
            m, d, off = s.fixed
            assert year is not None
            deadline = fixed_term(month_day(year + off, m, d), cal)
            status, days_late, reason = _judge(deadline, done, None, as_of)
        elif s.days is None and s.months is None:
            start, projected = presumed(s.from_event)  # type: ignore[arg-type]
            status, days_late = "nessun_termine", None
            reason = (Msg("No term set.") if done is None
                      else Msg("No term set; done {done}.", done=_long(done)))
        else:
            start, projected = presumed(s.from_event)  # type: ignore[arg-type]
            if start is None:
                status, days_late = "in_attesa", None
                what = by_id[s.from_event].label if s.from_event in by_id else s.from_event
                term = _months(s.months) if s.months is not None else _days(s.days or 0)
                reason = Msg("A term of {term} from «{event}», which has not happened yet: "
                             "the deadline cannot be computed.", term=term, event=what)
            else:
                deadline = (term_end_months(start, s.months, cal) if s.months is not None
                            else term_end(start, s.days or 0, cal))  # days: set when months is not
                status, days_late, reason = _judge(
                    deadline, done, start, None if projected else as_of
                )
                if projected:
                    if done is None:
                        status = "presunto"
                    reason = Msg("Presumed date: «{event}» is assumed done on its last useful day "
                                 "({day}). {then}", event=by_id[s.from_event].label,  # type: ignore[index]
                                 day=_long(start), then=reason)
        r = StepDeadline(
            step=s.id,
            label=s.label,
            actor=s.actor,
            from_event=s.from_event,
            days=s.days,
            start=start,
            deadline=deadline,
            done=done,
            status=status,
            days_late=days_late,
            projected=projected,
            reason=reason,
        )
        results[s.id] = r
        return r

    rows = [compute(s) for s in parsed]
    if any(s.if_late for s in parsed):
        rows = _conditions(parsed, rows)
    return rows


def _conditions(parsed: list[_Step], rows: list[StepDeadline]) -> list[StepDeadline]:
    """Apply ``if_late``/``replaces``: a step due only when another was late, replacing a third.

    ``if_late: r``: when ``r`` was done after its due date, or is overdue at ``as_of``,
    the step is due (and the step it ``replaces`` is "sostituito"); when ``r`` was
    done in time it is "non_applicabile"; otherwise it is "condizionato" (shown
    with its date, due only if ``r`` turns out late).
    """
    from dataclasses import replace as _replace

    by_id = {r.step: r for r in rows}
    labels = {s.id: s.label for s in parsed}
    out = dict(by_id)
    for s in parsed:
        if not s.if_late:
            continue
        ref = by_id[s.if_late]
        row = by_id[s.id]
        cond = labels[s.if_late]
        if ref.status in ("in_ritardo", "scaduto"):
            when = (
                Msg("was done late, on {date}", date=Day(ref.done))
                if ref.done is not None
                else Msg("was not done by its term ({date})", date=Day(ref.due))  # type: ignore[arg-type]
            )
            out[s.id] = _replace(row, reason=Msg("Due because «{step}» {when}. {then}",
                                                 step=cond, when=when, then=row.reason))
            if s.replaces and by_id[s.replaces].done is None:
                rep = by_id[s.replaces]
                out[s.replaces] = _replace(
                    rep,
                    status="sostituito",
                    days_late=None,
                    reason=Msg("Replaced by «{by}» because «{step}» {when}.", by=s.label, step=cond, when=when),
                )
        elif ref.status == "nei_termini":
            out[s.id] = _replace(
                row,
                status="non_applicabile",
                days_late=None,
                reason=Msg("Not due: it applies only if «{step}» is done after its term; "
                           "done in time on {date}.", step=cond, date=Day(ref.done)),  # type: ignore[arg-type]
            )
        elif row.done is None:
            out[s.id] = _replace(
                row,
                status="condizionato",
                days_late=None,
                reason=Msg("Due only if «{step}» is done after its term. {then}", step=cond, then=row.reason),
            )
    return [out[r.step] for r in rows]


def _judge(
    deadline: Deadline, done: date | None, start: date | None, as_of: date | None
) -> tuple[str, int | None, Msg]:
    text = deadline.explain()
    due = deadline.due
    if done is None:
        if as_of is not None and as_of > due:
            n = (as_of - due).days
            return ("scaduto", n, Msg("{text} On {date} it is not recorded as done: overdue by {days}.",
                                      text=text, date=Day(as_of), days=_days(n)))
        return "aperto", None, text
    if start is not None and done < start:
        return ("incoerente", None, Msg("{text} Recorded as done {done}, before the starting event: "
                                        "check the dates.", text=text, done=_long(done)))
    if done <= due:
        return "nei_termini", 0, Msg("{text} Done {done}, in time.", text=text, done=_long(done))
    n = (done - due).days
    return "in_ritardo", n, Msg("{text} Done {done}, late by {days}.", text=text, done=_long(done), days=_days(n))


def conciliation_schedule(
    steps: Mapping[str, Any],
    events: Mapping[str, Any],
    cal: WorkingCalendar,
    *,
    as_of: date | None = None,
    project: bool = False,
) -> list[StepDeadline]:
    """Deadlines of a profile's ``conciliation.steps`` given the events so far.

    ``events`` maps event ids (``data_scheda``, and step ids such as
    ``richiesta_riesame``) to the day they happened. See :func:`schedule`.
    """
    return schedule(steps, events, cal, as_of=as_of, project=project, where="conciliation.steps")


def cycle_schedule(
    steps: Mapping[str, Any],
    year: int,
    cal: WorkingCalendar,
    events: Mapping[str, Any] | None = None,
    *,
    as_of: date | None = None,
    project: bool = False,
) -> list[StepDeadline]:
    """The performance-cycle calendar of the evaluation ``year``.

    Steps are fixed dates (``date: "06-30", year_offset: 1``) or terms from an
    event (``from_event`` + ``days``), as in docs/deadlines.md.
    """
    return schedule(
        steps, events or {}, cal, year=year, as_of=as_of, project=project, where="cycle.steps"
    )
