"""What the service says when it refuses a request, in the caller's language.

The language of a request (docs/api.md, "Language"): ``?lang=it`` or ``?lang=en`` on any
request — the parameter the HTML documents of the API (scheda, report) already take —,
else the deployment's language (``smvp serve --lang``, ``$SMVP_LANG``), else Italian.
The pages speak the language their user chose (``?lang=``, remembered in a cookie), else the
deployment's (``smvp.service.web.language``).

A refusal is a catalogue id with its fields (:class:`Refusal`, an ``HTTPException``), or an
edge or engine error whose message is a catalogue message (``smvp_engine.errors.Msg``); the
edge — the JSON handler here, the error page of ``smvp.service.web`` — says it with
:func:`smvp.i18n.t` / :func:`smvp.i18n.say` in the caller's language. The JSON body keeps
``detail`` (the sentence) and adds ``id`` (the catalogue id) and ``fields`` (the located
facts: the same in every language).
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from smvp.i18n import DEFAULT_LANG, LANGS, say, t


def request_lang(request: Request) -> str:
    """The language of ``request``: ``?lang=`` (it, en), else the deployment's, else Italian."""
    asked = (request.query_params.get("lang") or "").strip().lower()
    if asked in LANGS:
        return asked
    return str(getattr(request.app.state, "lang", None) or DEFAULT_LANG)


class Refusal(HTTPException):
    """An HTTP refusal with a catalogue id and its fields, said in the caller's language at the
    edge (``detail`` holds the Italian text for code that reads it before the edge)."""

    def __init__(self, status: int, key: str, /, *, headers: dict[str, str] | None = None,
                 **fields: Any) -> None:
        super().__init__(status, detail=t(key, DEFAULT_LANG, **fields), headers=headers)
        self.key = key
        self.fields = fields

    def said(self, lang: str) -> str:
        """The sentence in ``lang``; a field that is itself a catalogue message said in ``lang``."""
        return t(self.key, lang, **{k: say(v, lang) if getattr(v, "template", None) is not None else v
                                    for k, v in self.fields.items()})


def _plain(value: Any, lang: str) -> Any:
    """A message's field for machines: a number as it is, a day in ISO form (``2025-03-03``;
    ``detail`` shows it in the locale's), a nested message said in ``lang``, else text."""
    import datetime as dt

    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dt.date):
        return dt.date.isoformat(value)
    if getattr(value, "template", None) is not None:  # a nested catalogue message
        return say(value, lang)
    return str(value)


def message_body(message: Any, lang: str) -> dict[str, Any]:
    """``detail`` (said in ``lang``), and ``id`` and ``fields`` when ``message`` is a catalogue
    message (a :class:`Refusal`, or a ``Msg``)."""
    if isinstance(message, Refusal):
        return {"detail": message.said(lang), "id": message.key,
                "fields": {k: _plain(v, lang) for k, v in message.fields.items()}}
    template = getattr(message, "template", None)
    if template is not None:
        return {"detail": say(message, lang), "id": template,
                "fields": {k: _plain(v, lang) for k, v in message.params.items()}}
    return {"detail": "" if message is None else str(message)}


def said(exc: BaseException, lang: str) -> str:
    """An error as the user reads it in ``lang``: a located engine error with its place and
    facts (``smvp.i18n.error_text``), an edge error's message and hint (``smvp.i18n.say``), a
    :class:`Refusal`'s sentence; anything else as ``str(exc)``."""
    from smvp.i18n import error_text
    from smvp_engine.errors import SmvpError

    if isinstance(exc, Refusal):
        return exc.said(lang)
    if isinstance(exc, SmvpError):
        return error_text(exc, lang)
    message = getattr(exc, "message", None)
    if message is None:
        return str(exc)
    hint = getattr(exc, "hint", None)
    return say(message, lang) + (f". {say(hint, lang)}" if hint else "")


def said_each(exc: BaseException, lang: str) -> list[str]:
    """:func:`said` of each error a list of errors (``SmvpErrors``) holds, else of ``exc``."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        return [said(e, lang) for e in errors]
    return [said(exc, lang)]
