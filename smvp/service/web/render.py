"""Templates and static files of the pages, read as package data (importlib.resources)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from smvp import i18n

#: the service's roles (smvp.app.accounts), each named by a catalogue id
ROLE_LABELS = {role: f"web.role.{role}" for role in ("amministratore", "valutatore", "dipendente", "oiv", "revisore")}
STATIC = {"htmx.min.js": "text/javascript", "web.css": "text/css"}


def _load(name: str) -> str:
    return resources.files("smvp.service.web").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=2)
def environment(lang: str) -> Any:
    from jinja2 import Environment, FunctionLoader, select_autoescape

    env = Environment(loader=FunctionLoader(_load), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = lambda v: "" if v is None else i18n.format_money(v, lang)
    env.filters["points"] = lambda v: "" if v is None else i18n.format_points(v, lang)
    env.filters["percent"] = lambda v: "" if v is None else i18n.format_percent(v, lang)
    env.filters["day"] = lambda v: "" if v is None else i18n.format_date(v, lang)
    env.filters["when"] = lambda v: "" if v is None else i18n.format_datetime(v, lang)
    env.filters["yesno"] = lambda v: i18n.yes_no(v, lang)
    env.filters["said"] = lambda v: i18n.say(v, lang)  # an engine or edge message (Msg) in lang
    env.globals["label"] = lambda key, **fmt: i18n.t(key, lang, **fmt)
    # a step's status in a schedule (smvp_engine.deadlines.STATUSES' keys) and who does it
    env.filters["step_status"] = lambda s: i18n.t(f"web.status.{s}", lang) if i18n.has(f"web.status.{s}") else s
    env.filters["actor"] = lambda a: i18n.actor_label(a, lang)
    env.globals["role_label"] = lambda role: i18n.t(ROLE_LABELS[role], lang) if role in ROLE_LABELS else role
    return env


def page(request: Request, template: str, ctx: Any, *, status_code: int = 200,
         headers: dict[str, str] | None = None, **values: Any) -> HTMLResponse:
    """Render ``template`` with the tenant context (None on pages before login), in the page's
    language (``smvp.service.web.language``), with the frame's language switch."""
    from smvp.service.web.language import page_lang, switch

    lang = page_lang(request)
    html = environment(lang).get_template(template).render(
        ctx=ctx, lang=lang, request=request, path=request.url.path,
        languages=switch(request, lang), **values)
    return HTMLResponse(html, status_code=status_code, headers=headers)


@lru_cache(maxsize=len(STATIC))
def static_bytes(name: str) -> bytes:
    return resources.files("smvp.service.web").joinpath("static", name).read_bytes()
