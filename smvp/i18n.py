"""Labels and number formatting for the edges, in Italian (default) and English.

The language comes from ``--lang`` or the ``SMVP_LANG`` environment variable;
Italian is the default. Only the edges are translated: the engine's own labels
(roles, judgements, funds from the profile) are shown as the profile writes them.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

LANGS = ("it", "en")
DEFAULT_LANG = "it"

DOMAIN = "smvp"

# The one catalogue of user-facing words: smvp/locale/<lang>/LC_MESSAGES/smvp.po (ids →
# text; Italian and English), compiled to smvp.mo with Babel's ``pybabel compile -D smvp -d
# smvp/locale`` and read through importlib.resources (stdlib gettext: no Babel at start-up).
# Ids are short keys (``problems``, ``diff.attr.threshold``); the framework's own words
# (typer/click) keep the English text as id. tests/test_catalogue.py fails when an id lacks
# a translation in either language, when a .mo is stale, or when code uses an unknown id.


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (NullTranslations when it is not shipped)."""
    from importlib import resources

    try:
        mo = resources.files("smvp").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.mo")
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except (FileNotFoundError, OSError):
        return gettext.NullTranslations()


def _lookup(key: str, lang: str) -> str | None:
    return getattr(catalogue("en" if lang == "en" else "it"), "_catalog", {}).get(key)


def has(key: str) -> bool:
    """Whether ``key`` is an id of the catalogue."""
    return _lookup(key, DEFAULT_LANG) is not None


class Words(Mapping[str, tuple[str, str]]):
    """The catalogue's ids under ``namespace.`` as a mapping key → (italiano, english).

    For modules that looked words up in their own (it, en) tables: ``TEXTS[key]``,
    ``key in TEXTS`` and ``TEXTS.get(key)`` keep working; the words live in the catalogue.
    ``fallback`` namespaces ("" is the catalogue's top level) are tried in order when
    ``namespace.key`` is not an id (a document's words fall back to the shared ones).
    """

    def __init__(self, namespace: str, *fallback: str) -> None:
        self.namespaces = (namespace, *fallback)

    def _id(self, key: str) -> str | None:
        for ns in self.namespaces:
            full = f"{ns}.{key}" if ns else key
            if has(full):
                return full
        return None

    def __getitem__(self, key: str) -> tuple[str, str]:
        full = self._id(key) if isinstance(key, str) else None
        if full is None:
            raise KeyError(key)
        return _lookup(full, "it") or full, _lookup(full, "en") or full

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._id(key) is not None

    def __iter__(self) -> Iterator[str]:
        prefix = self.namespaces[0] + "."
        ids = getattr(catalogue(DEFAULT_LANG), "_catalog", {})
        return iter(sorted(k[len(prefix):] for k in ids if isinstance(k, str) and k.startswith(prefix)))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def actor_label(actor: str | None, lang: str, roles: dict[str, str] | None = None) -> str:
    """A readable name for an ``actor`` id: the known actors, else the profile's role label
    (``roles``: id → label), else the id with spaces (``ufficio_personale`` → ``Ufficio personale``)."""
    if not actor:
        return ""
    if has(f"actor.{actor}"):
        return t(f"actor.{actor}", lang)
    if roles and roles.get(actor):
        return str(roles[actor])
    text = str(actor).replace("_", " ")
    return text[:1].upper() + text[1:]


def resolve_lang(lang: str | None = None) -> str:
    """``lang`` if given, else ``$SMVP_LANG``, else Italian; unknown values fall back to Italian."""
    value = (lang or os.environ.get("SMVP_LANG") or DEFAULT_LANG).strip().lower()
    value = value.split("_")[0].split("-")[0].split(".")[0]
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The catalogue's text for the id ``key`` in ``lang``, formatted with ``fmt`` (the id
    itself when unknown: tests/test_catalogue.py fails on such an id)."""
    text = _lookup(key, lang)
    if text is None:
        text = key
    return text.format(**fmt) if fmt else text


def say(value: object, lang: str) -> str:
    """An engine message (:class:`smvp_engine.errors.Msg`) in ``lang``: its template looked up
    in the catalogue (the id is the English text) and formatted with the same fields, each
    field that is itself a message or a profile's text said in ``lang`` too (a located error
    as :func:`error_text` says it). A profile's text given per language
    (:class:`smvp_engine.errors.Text` or ``{it: …, en: …}``): the one in ``lang``, else the
    other. Anything else: ``str(value)``."""
    prose = _prose(value, lang)
    if prose is not None:
        return prose
    if isinstance(value, str) and getattr(value, "exact", None) is not None:
        return _number(value, lang)
    template = getattr(value, "template", None)
    params = getattr(value, "params", None)
    if not isinstance(value, str) or template is None or params is None:
        return "" if value is None else str(value)
    text = _lookup(template, lang)
    if text is None:
        return str(value)  # not in the catalogue: tests/test_catalogue.py fails on such an id
    fields = {k: say(v, lang) if _sayable(v)
              else error_text(v, lang) if isinstance(v, Exception) and getattr(v, "message", None) is not None
              else _day(v, lang) for k, v in params.items()}
    return text.format(**fields) if fields else text.replace("{{", "{").replace("}}", "}")


def _prose(value: object, lang: str) -> str | None:
    """A profile's prose in ``lang`` (docs/profile.md, "Texts in more than one language"): a
    :class:`smvp_engine.errors.Text`, or the raw mapping ``{it: …, en: …}`` read from a profile,
    in ``lang``, else in the other language; None when ``value`` is neither."""
    langs = getattr(value, "langs", None)
    if langs is None and isinstance(value, Mapping) and value and set(value) <= set(LANGS):
        langs = value
    if not isinstance(langs, Mapping):
        return None
    text = langs.get(lang) or next((langs[k] for k in LANGS if langs.get(k)), "")
    return str(text)


def _number(value: Any, lang: str) -> str:
    """An engine number (:class:`smvp_engine.errors.Number`) in ``lang``'s format, with the
    same digits (``134,864.30`` → ``134.864,30``; ``≈23.208006`` → ``≈23,208006``)."""
    return ("≈" if value.approx else "") + format_decimal(value.exact, lang, grouping=value.grouping)


def _day(value: object, lang: str) -> object:
    """A message's field that is a calendar day (:class:`smvp_engine.errors.Day`, or a plain
    date) in the locale's format (its ``pattern``: ``lunedì 30/06/2025`` / ``Monday
    30/06/2025``); anything else unchanged."""
    import datetime as dt

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return format_date(value, lang, getattr(value, "pattern", "dd/MM/yyyy"))
    if isinstance(value, str) and getattr(value, "exact", None) is not None:
        return _number(value, lang)
    return value


def _sayable(value: object) -> bool:
    return getattr(value, "template", None) is not None or getattr(value, "langs", None) is not None


def error_text(error: Any, lang: str) -> str:
    """A located error (``SmvpError``) in ``lang``, laid out as ``str(error)`` is in English:
    ``file:line:column: field: message (expected …, found …). hint`` — the same file, line,
    column, field and found value in every language; message, expected and hint translated."""
    message = getattr(error, "message", None)
    if message is None:
        return str(error)
    location = getattr(error, "location", "")
    text = f"{location}: " if location else ""
    if getattr(error, "field", None):
        text += f"{error.field}: "
    text += say(message, lang)
    detail = []
    if getattr(error, "expected", None) is not None:
        detail.append(t("err_expected", lang, x=say(error.expected, lang)))
    if getattr(error, "found", None) is not None:
        detail.append(t("err_found", lang, x=say(error.found, lang)))
    if detail:
        text += " (" + ", ".join(detail) + ")"
    if getattr(error, "hint", None):
        text += ". " + say(error.hint, lang)
    return text


def said_fields(fields: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """``fields`` for :func:`t` in ``lang``: a located error (an exception with a ``message``)
    as :func:`error_text` says it, a catalogue message or a profile's text as :func:`say` says
    it; anything else as it is."""
    return {k: error_text(v, lang) if isinstance(v, Exception) and getattr(v, "message", None) is not None
            else say(v, lang) if _sayable(v) else v for k, v in fields.items()}


def problems_found(n: int, lang: str) -> str:
    """``3 problemi trovati:`` / ``3 problems found:`` (the head of a list of errors)."""
    return t("problem_found", lang) if n == 1 else t("problems_found", lang, n=n)


def yes_no(value: object, lang: str) -> str:
    if value is None:
        return ""
    return t("yes" if value else "no", lang)


# ---------------------------------------------------------------- formatting (Babel, CLDR data)
#
# Numbers, money, percentages, dates and times for people go through Babel with
# the locale of the language (it → it_IT, en → en_GB: ``1.524,90 €`` / ``€1,524.90``,
# ``96,79 %`` / ``96.79%``, ``12/05/2025`` in both). Values are shown exactly: a
# pattern with as many fraction digits as the value has (at least ``places``), so
# display never rounds. Babel's no-break spaces are written as plain spaces (what
# the outputs, their tests and Excel's "paste" expect).

LOCALES = {"it": "it_IT", "en": "en_GB"}
TIMEZONE = "Europe/Rome"
_NBSP = ("\u00a0", "\u202f")


def locale_of(lang: str) -> str:
    """The Babel locale identifier for ``lang`` (``it_IT`` unless ``lang`` is ``en``)."""
    return LOCALES.get(lang, LOCALES[DEFAULT_LANG])


def _plain(text: str) -> str:
    for ch in _NBSP:
        text = text.replace(ch, " ")
    return text


def _as_decimal(value: object) -> Decimal | None:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _pattern(d: Decimal, places: int | None, grouping: bool) -> str:
    exp = d.as_tuple().exponent
    digits = max(-exp if isinstance(exp, int) and exp < 0 else 0, places or 0)
    return ("#,##0" if grouping else "0") + ("." + "0" * digits if digits else "")


def format_decimal(value: object, lang: str, *, places: int | None = None,
                   grouping: bool = True) -> str:
    """Display a number exactly: ``1.234,50`` in Italian, ``1,234.50`` in English (Babel).

    ``places``: at least that many fraction digits (for values the engine already
    rounded); a value with more digits shows them all — display never rounds.
    None → ""; a bool → sì/no; something that is not a number → ``str(value)``.
    """
    from babel.numbers import format_decimal as babel_decimal

    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, lang)
    d = _as_decimal(value)
    if d is None or not d.is_finite():
        return str(value if d is None else d)
    return _plain(babel_decimal(d, format=_pattern(d, places, grouping), locale=locale_of(lang),
                                decimal_quantization=False))


def format_money(value: object, lang: str) -> str:
    """Euro, exactly (at least 2 decimals): ``1.234,50 €`` in Italian, ``€1,234.50`` in English."""
    from babel.numbers import format_currency

    if value is None:
        return ""
    d = _as_decimal(value)
    if d is None or not d.is_finite():
        return str(value)
    return _plain(format_currency(d, "EUR", locale=locale_of(lang), decimal_quantization=False))


def format_points(value: object, lang: str) -> str:
    """Points (at least 2 decimals): ``29,26`` / ``29.26``."""
    return format_decimal(value, lang, places=2)


def format_percent(value: object, lang: str) -> str:
    """A value already in percent units (96.79 → ``96,79 %`` / ``96.79%``), at least 2 decimals."""
    if value is None:
        return ""
    text = format_decimal(value, lang, places=2)
    if _as_decimal(value) is None:
        return text
    return text + (" %" if lang == "it" else "%")


def format_date(day: object, lang: str, style: str = "dd/MM/yyyy") -> str:
    """A calendar day: ``12/05/2025`` (dd/mm/yyyy in both languages); None → "".

    ``style`` is a CLDR pattern or Babel's ``"long"`` (``12 maggio 2025`` /
    ``12 May 2025``, as printed on the documents), ``"medium"``, ``"short"``.
    """
    import datetime as dt

    from babel.dates import format_date as babel_date

    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = to_rome(day).date()
    if not isinstance(day, dt.date):
        return str(day)
    return babel_date(day, style, locale=locale_of(lang))


def to_rome(when: object):
    """A datetime in Europe/Rome (a naive value is read as UTC, as the database stores it)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    assert isinstance(when, dt.datetime)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZoneInfo(TIMEZONE))


def format_datetime(when: object, lang: str, *, seconds: bool = False) -> str:
    """A moment in Italian time (Europe/Rome): ``12/05/2025 14:03``; None → ""."""
    import datetime as dt

    from babel.dates import format_datetime as babel_datetime

    if when is None:
        return ""
    if not isinstance(when, dt.datetime):
        return format_date(when, lang)
    pattern = "dd/MM/yyyy HH:mm" + (":ss" if seconds else "")
    return babel_datetime(to_rome(when), pattern, locale=locale_of(lang))


_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:\.\d+)?(?![\w])")


def localize_numbers(text: str, lang: str) -> str:
    """The numbers of a canonical engine expression (``4.84 + 0.00 = 4.84``) in ``lang``'s format.

    Every number keeps its digits (``96.793333…`` → ``96,793333…``); numbers glued to
    letters (ids like ``OBE1.1``) are left alone. In Italian, where ``,`` is the decimal
    separator, the argument separator ``, `` becomes ``; `` (``min(117,65…; 100)``).
    English text is returned unchanged.
    """
    if lang == "en" or not text:
        return text
    text = text.replace(", ", "; ")
    text = _NUMBER.sub(lambda m: format_decimal(Decimal(m.group(0)), lang), text)
    return re.sub(r"(\d)%", r"\1 %", text)
