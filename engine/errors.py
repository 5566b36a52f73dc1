"""User-facing errors: each names the file, line/row, field, what was expected and what was found.

A bug in smvp is never one of these: these are problems in a profile or a
dataset that the user can fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class Msg(str):
    """A message in English that keeps its id and fields, so the edge can say it in another
    language: ``Msg("unknown column {name!r}", name="x")`` *is* the string
    ``"unknown column 'x'"``; ``.template`` is the catalogue id (the English text with
    ``str.format`` fields) and ``.params`` the fields. The engine stays free of the CLI:
    smvp's edge (``smvp.i18n.error_text``) looks the template up in its catalogue
    (smvp/locale) and formats it with the same fields, so the located facts are the same
    in every language.
    """

    template: str
    params: dict

    def __new__(cls, template: str, /, **params: object) -> "Msg":
        text = template.format(**params) if params else template.replace("{{", "{").replace("}}", "}")
        obj = super().__new__(cls, text)
        obj.template = template
        obj.params = params
        return obj

    def __reduce__(self):  # pickles (process pools) keep the id and fields
        return (_msg, (self.template, self.params))


def _msg(template: str, params: dict) -> Msg:
    return Msg(template, **params)


class Number(str):
    """A number as a field of a :class:`Msg` (or an error's ``found``/``expected``): the
    engine's English text (``134,864.30``, ``≈23.208006``) *is* the string; ``exact`` is its
    value (a Decimal, as the text shows it), ``approx`` whether the text starts with ``≈``,
    ``grouping`` whether thousands are grouped. smvp's edge (``smvp.i18n.say``) shows it in the
    user's locale (``134.864,30`` in Italian), with the same digits.
    """

    exact: Decimal
    approx: bool
    grouping: bool

    def __new__(cls, text: str) -> "Number":
        obj = super().__new__(cls, text)
        plain = text.lstrip("≈").replace(",", "")
        obj.exact = Decimal(plain)
        obj.approx = text.startswith("≈")
        obj.grouping = "," in text
        return obj

    def __reduce__(self):  # pickles (process pools) keep the value
        return (Number, (str(self),))


class Day(date):
    """A calendar day as a field of a :class:`Msg`, with the CLDR ``pattern`` it is shown in:
    ``Day(d)`` → ``30/06/2025``, ``Day(d, "EEEE dd/MM/yyyy")`` → ``lunedì 30/06/2025`` /
    ``Monday 30/06/2025``. smvp's edge (``smvp.i18n.say``) formats it through Babel for the
    user's locale; in the engine's own (English) text it reads the same with English weekday
    names. Patterns used: ``dd/MM/yyyy``, ``dd/MM``, ``EEEE``, ``EEEE dd/MM``,
    ``EEEE dd/MM/yyyy``.
    """

    pattern: str

    def __new__(cls, day: date, pattern: str = "dd/MM/yyyy") -> "Day":
        obj = super().__new__(cls, day.year, day.month, day.day)
        obj.pattern = pattern
        return obj

    def __format__(self, spec: str) -> str:
        if spec:
            return date.__format__(self, spec)
        strf = self.pattern.replace("EEEE", "%A").replace("dd", "%d").replace("MM", "%m").replace("yyyy", "%Y")
        return self.strftime(strf)

    def __str__(self) -> str:
        return format(self)

    def __reduce__(self):  # pickles (process pools) keep the pattern
        return (Day, (date(self.year, self.month, self.day), self.pattern))


#: The languages a profile's prose may be written in (``reading: {it: …, en: …}``).
TEXT_LANGS = ("it", "en")


class Text(str):
    """A profile's prose (a ``reading``, ``note`` or ``description``) given per language:
    ``Text({"it": "…", "en": "…"})`` *is* the English string (the engine's language, as
    :class:`Msg`; the Italian one when no English is given) and keeps every language in
    ``.langs``. smvp's edge (``smvp.i18n.say``) picks the user's language, falling back to
    the other one. A plain string in a profile stays a plain ``str`` (docs/profile.md,
    "Texts in more than one language").
    """

    langs: dict

    def __new__(cls, langs: "dict[str, str]") -> "Text":
        langs = {k: str(v) for k, v in langs.items() if k in TEXT_LANGS and v not in (None, "")}
        obj = super().__new__(cls, langs.get("en") or langs.get("it") or "")
        obj.langs = langs
        return obj

    def pick(self, lang: str) -> str:
        """The text in ``lang``, else in the other language (never an error)."""
        return self.langs.get(lang) or next(iter(self.langs.values()), "")

    def __reduce__(self):  # pickles (process pools) keep every language
        return (Text, (dict(self.langs),))


def text_of(value: object) -> object:
    """A profile text as the engine keeps it: a mapping of languages (``{it: …, en: …}``) →
    :class:`Text`; anything else unchanged (a plain string stays a string; None stays None)."""
    if isinstance(value, dict) and value and set(value) <= set(TEXT_LANGS):
        return Text(value)
    return value


@dataclass
class SmvpError(Exception):
    """One problem in a user's file.

    Attributes:
        message: what is wrong, in a sentence.
        file: the profile or dataset file (or sheet) path, if known.
        line: 1-based line (profile) or row (dataset; the header is row 1).
        column: 1-based column in the profile text, if known.
        field: the dotted path in the profile or the dataset column name.
        expected: what was expected.
        found: what was found.
        hint: how to fix it.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = ""
        if self.location:
            text += self.location + ": "
        if self.field:
            text += self.field + ": "
        text += self.message
        detail = []
        if self.expected is not None:
            detail.append(f"expected {self.expected}")
        if self.found is not None:
            detail.append(f"found {self.found}")
        if detail:
            text += " (" + ", ".join(detail) + ")"
        if self.hint:
            text += ". " + self.hint
        return text


class ProfileError(SmvpError):
    """A problem in a chamber profile (YAML)."""


class DatasetError(SmvpError):
    """A problem in a year's dataset (CSV folder or workbook)."""


class NotComputable(SmvpError):
    """Something the profile's source document does not define, so smvp will not compute it."""


class SmvpErrors(Exception):
    """Several user errors found together; nothing was computed or written."""

    def __init__(self, errors: Iterable[SmvpError]):
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head] + ["  " + str(e) for e in self.errors])


class ProfileErrors(SmvpErrors):
    """Errors in a profile."""


class DatasetErrors(SmvpErrors):
    """Errors in a dataset."""


def raise_if(errors: list[SmvpError], kind: type[SmvpErrors] = SmvpErrors) -> None:
    """Raise ``kind(errors)`` when the list is not empty."""
    if errors:
        raise kind(errors)
