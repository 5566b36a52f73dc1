"""``smvp validate PATH...``: load and validate profiles."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp_engine.errors import SmvpError, SmvpErrors
from smvp import engine_api
from smvp.i18n import t


def _validity(profile: object, lang: str) -> str:
    start, end = engine_api.profile_validity(profile)
    if start is None:
        return ""
    if end is None:
        return ", " + t("valid_from", lang, start=start)
    return ", " + t("valid_range", lang, start=start, end=end)


def run(paths: list[Path], *, lang: str, out: Console) -> int:
    """Report on every path (OK with validity and warnings, or FAIL with each error)."""
    failed = 0
    for path in paths:
        try:
            profile = engine_api.load_profile(path)
        except (SmvpErrors, SmvpError) as exc:
            failed += 1
            errors = exc.errors if isinstance(exc, SmvpErrors) else [exc]
            count = t("problem", lang) if len(errors) == 1 else t("problems", lang, n=len(errors))
            out.print(Text.assemble(("FAIL", "bold red"), f" {path} ({count})"), soft_wrap=True)
            for error in errors:
                out.print(Text("  " + str(error), style="red"), soft_wrap=True)
            continue
        chamber = getattr(profile, "chamber_id", None) or "?"
        out.print(Text.assemble(("OK", "bold green"),
                                f" {path} ({chamber}{_validity(profile, lang)})"), soft_wrap=True)
        for warning in engine_api.profile_warnings(profile):
            out.print(Text(f"  {t('warning', lang)}: {warning}", style="yellow"), soft_wrap=True)
    return 1 if failed else 0
