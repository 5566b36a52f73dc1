"""Shared machinery of the documents: templates, words, formatting filters, PDF, safe writing.

Templates and the stylesheet are package data (``smvp/documents/templates``)
read through :mod:`importlib.resources`, so they work from an installed wheel.
Every page carries the same header (the Chamber's name, the year, the
document's title) and the same stylesheet, inlined so that one HTML file is a
complete document to publish or mail.

Files are written safely: to a temporary name in the target folder, then
renamed (``os.replace``), so a failure never leaves a half-written file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, overload

from smvp.errors import ExportProblem
from smvp.i18n import (
    Words,
    format_date,
    format_decimal,
    format_money,
    format_percent,
    format_points,
)
from smvp_engine.errors import Msg

TEMPLATES = "templates"

# key → (italiano, english): the words the templates print.
WORDS = Words("doc", "")  # the words every document prints (catalogue: doc.*)


def word(key: str, lang: str, **kw: Any) -> str:
    it, en = WORDS[key]
    text = it if lang == "it" else en
    return text.format(**kw) if kw else text


def translator(table: Mapping[str, tuple[str, str]], lang: str) -> Callable[..., str]:
    """``t(key, **kw)`` over ``table`` then :data:`WORDS`, in ``lang``."""

    def t(key: str, **kw: Any) -> str:
        pair = table.get(key) or WORDS.get(key)
        if pair is None:
            return key
        text = pair[0] if lang == "it" else pair[1]
        return text.format(**kw) if kw else text

    return t


# --------------------------------------------------------------------------- templates


def _load_template(name: str) -> str:
    return resources.files("smvp.documents").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The one stylesheet of every document (templates/style.css)."""
    return _load_template("style.css")


@lru_cache(maxsize=4)
def environment(lang: str) -> Any:
    """A Jinja2 environment over the packaged templates, with the formatting filters for ``lang``
    — one per language, kept: its compiled templates are reused (compiling the scheda's
    template for every person was a fifth of the time of a run's schede).

    Filters: ``money`` (``1.524,90 €``), ``points`` (``95,26``), ``percent``
    (``96,79 %``), ``number`` (exact, as stored), ``date`` (``12 maggio 2025``),
    ``shortdate`` (``12/05/2025``). Autoescaping is on: text from profiles and
    datasets is escaped.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _load_template(name)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = lambda v: format_money(v, lang) if v is not None else "—"
    env.filters["points"] = lambda v: format_points(v, lang) if v is not None else "—"
    env.filters["percent"] = lambda v: format_percent(v, lang) if v is not None else "—"
    env.filters["number"] = lambda v, places=None: (format_decimal(v, lang, places=places)
                                                    if v is not None else "—")
    env.filters["exact"] = lambda v: format_decimal(_trimmed(v), lang) if v is not None else "—"
    env.filters["date"] = lambda v: long_date(v, lang) if v is not None else "—"
    env.filters["shortdate"] = lambda v: format_date(v, lang, "dd/MM/yyyy") if v is not None else "—"
    env.globals["lang"] = lang
    env.globals["stylesheet"] = stylesheet
    return env


@lru_cache(maxsize=16)
def from_string(text: str, lang: str) -> Any:
    """The compiled template of ``text`` (e.g. a profile's own sheet template), kept."""
    return environment(lang).from_string(text)


def long_date(value: Any, lang: str) -> str:
    """A date as the documents print it: ``12 maggio 2025`` / ``12 May 2025`` (Babel, CLDR long)."""
    return format_date(value, lang, "long")


def _trimmed(value: Any) -> Decimal:
    """An exact decimal without trailing zeros (0.872000 → 0.872, 1.000000 → 1)."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def render(template: str, lang: str, **context: Any) -> str:
    """The HTML of ``template`` (a packaged template name) with ``context``."""
    return environment(lang).get_template(template).render(**context)


class HeaderSource(Protocol):
    """What a document's header reads of a run (``runs.RunDocument`` has it)."""

    @property
    def chamber_name(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def run_id(self) -> int: ...
    @property
    def profile_sha256(self) -> str: ...
    @property
    def today(self) -> dt.date: ...


def header(info: HeaderSource, title: str, lang: str) -> dict[str, Any]:
    """The common header: the Chamber's name and the year, the title, the run and profile."""
    from smvp import engine_api

    return {
        "chamber": info.chamber_name,
        "year": info.year,
        "title": title,
        "run": word("run", lang, run=info.run_id),
        "profile": word("profile", lang, sha=info.profile_sha256[:12]),
        "generated": word("generated", lang, version=engine_api.engine_version(),
                          date=long_date(info.today, lang)),
    }


# --------------------------------------------------------------------------- PDF


def pdf_document(html: str) -> Any:
    """A laid-out WeasyPrint document of ``html`` (pages can be merged with others)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=None).render()


def pdf_bytes(documents: Iterable[Any]) -> bytes:
    """One PDF of the pages of ``documents`` (WeasyPrint documents), in order."""
    docs = list(documents)
    if not docs:
        raise ValueError("no pages")  # a caller's defect, never the user's
    pages = [page for doc in docs for page in doc.pages]
    return docs[0].copy(pages).write_pdf()


# --------------------------------------------------------------------------- writing


def output_dir(path: Path) -> Path:
    """``path`` created if needed and checked writable; ExportProblem saying why otherwise."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise ExportProblem(Msg("--out {path}: not a folder (expected a folder for the documents, "
                                "found a file)", path=str(path)))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportProblem(Msg("--out {path}: cannot create the folder: {why}", path=str(path),
                                why=exc.strerror or str(exc))) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ExportProblem(Msg("--out {path}: the folder cannot be written (permission denied)", path=str(path)),
                            hint=Msg("choose another folder with --out"))
    return path


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportProblem(Msg("cannot write {path}: {why}; nothing was written", path=str(path),
                                why=exc.strerror or str(exc))) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ExportProblem(Msg("cannot write {path}: {why}; nothing was written", path=str(path),
                                why=exc.strerror or str(exc))) from exc
    return path


@overload
def dec(value: None) -> None: ...
@overload
def dec(value: Decimal | int | str) -> Decimal: ...
def dec(value: Any) -> Decimal | None:
    """An engine value (Decimal, exact string, int) as Decimal; None stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value).rstrip("…"))


def today() -> dt.date:
    """Today, or ``$SMVP_TODAY`` (as every smvp command)."""
    from smvp.conciliation import today as conciliation_today

    return conciliation_today()


def parse_day(text: str | None, what: str) -> dt.date | None:
    if text is None:
        return None
    from smvp.conciliation import parse_date

    return parse_date(text, what)
