"""The ONE place where a page's language is chosen (docs/web.md, "Language").

A page speaks, in this order: the language asked with ``?lang=it`` / ``?lang=en`` on any page
(remembered for the browser session in the cookie :data:`COOKIE`, so the next pages, links and
forms keep it); else the one remembered in that cookie; else the deployment's
(``smvp serve --lang``, ``$SMVP_LANG``: ``deps.WebConfig.lang``). An unknown ``?lang=`` value
is ignored (the page keeps the language it had; nothing is remembered).

:class:`PageLanguage` is an ASGI middleware: it puts the language in the request's state
(``request.state.page_lang``, read with :func:`page_lang` by the Context, the renderer and the
error pages) and sets the cookie on the answer to a page asked with ``?lang=``. The JSON API
(``/api``) is left alone: it takes ``?lang=`` per request (``smvp.service.refusals.request_lang``).
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request

from smvp.i18n import DEFAULT_LANG, LANGS

#: the cookie remembering the language a user chose (a session cookie: the browser forgets it)
COOKIE = "smvp_lang"
#: each language the switch offers, with the catalogue id of its name (said in that language)
SWITCH = (("it", "web.base.lang_it"), ("en", "web.base.lang_en"))
#: paths that are not pages: the JSON API and its documentation, the static files
NOT_PAGES = ("/api/", "/docs", "/openapi.json", "/redoc", "/static/")


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the pages (not the JSON API, its documentation, a static file)."""
    return not any(path == p.rstrip("/") or path.startswith(p) for p in NOT_PAGES)


def _asked(query: str) -> str | None:
    """The language ``?lang=`` asks for, when it is one the service speaks."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "lang" and value.strip().lower() in LANGS:
            return value.strip().lower()
    return None


def _remembered(headers: list[tuple[bytes, bytes]]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers:
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: as if there were none
                continue
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value in LANGS else None


def _deployment(scope: dict[str, Any]) -> str:
    app = scope.get("app")
    web = getattr(getattr(app, "state", None), "web", None)
    return str(getattr(web, "lang", None) or DEFAULT_LANG)


class PageLanguage:
    """ASGI middleware choosing each page's language (the module's rule) and remembering a
    language asked with ``?lang=`` in the cookie :data:`COOKIE`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_page(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        asked = _asked(scope.get("query_string", b"").decode("latin-1"))
        remembered = _remembered(scope.get("headers") or [])
        scope.setdefault("state", {})["page_lang"] = asked or remembered or _deployment(scope)
        if asked is None or asked == remembered:
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        secure = bool(getattr(getattr(app, "state", None), "secure_cookies", False))
        cookie = f"{COOKIE}={asked}; Path=/; SameSite=Lax; HttpOnly" + ("; Secure" if secure else "")

        async def remember(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", cookie.encode("latin-1"))]}
            await send(message)

        await self.app(scope, receive, remember)


def page_lang(request: Request) -> str:
    """The language of the page ``request`` asks for (the module's rule)."""
    chosen = getattr(request.state, "page_lang", None)
    return str(chosen or request.app.state.web.lang)


def _has_get(request: Request, path: str) -> bool:
    """Whether a GET of ``path`` reaches a page (the switch of a page answering a form)."""
    from starlette.routing import Match

    scope = {**request.scope, "method": "GET", "path": path}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _referer(request: Request) -> tuple[str, str]:
    """(path, query) of the page that sent the form, when it is one of this site's; else the start."""
    from urllib.parse import urlsplit

    sent = urlsplit(request.headers.get("referer") or "")
    if sent.netloc and sent.netloc == request.url.netloc and sent.path.startswith("/") and is_page(sent.path):
        return sent.path, sent.query
    return "/", ""


def back(request: Request) -> str:
    """Where an error page's «back» link goes: the page that sent the request (a form's page),
    when it is one of this site's, else the start."""
    path, query = _referer(request)
    return path + ("?" + query if query else "")


def switch(request: Request, lang: str) -> list[dict[str, Any]]:
    """The language switch of the frame: per language its code, its name (in that language),
    the address of this same page in it (its other query parameters kept; a page that answered
    a form links to the same address read with GET when there is one, else to the form's page,
    else to the start) and
    whether it is the page's language."""
    from smvp.i18n import t

    path, query = "", request.url.query  # this same address: "?…" (the page's path not repeated)
    if request.method != "GET" and not _has_get(request, request.url.path):
        path, query = _referer(request)
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    return [{"code": code, "name": t(key, code), "current": code == lang,
             "href": path + "?" + urlencode([*kept, ("lang", code)])}
            for code, key in SWITCH]
