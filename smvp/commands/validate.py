"""``smvp validate PATH...``: load and validate profiles."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp import engine_api
from smvp.i18n import error_text, say, t
from smvp_engine.errors import Msg, SmvpError, SmvpErrors


def _validity(profile: object, lang: str) -> str:
    start, end = engine_api.profile_validity(profile)
    if start is None:
        return ""
    if end is None:
        return ", " + t("valid_from", lang, start=start)
    return ", " + t("valid_range", lang, start=start, end=end)


def resolve(args: list[Path]) -> list[Path]:
    """Profile files to validate: each argument a file, else a chamber id resolved by the
    profile lookup rule (:data:`smvp.engine_api.PROFILE_RULE`); no argument: every chamber
    that ``smvp chambers`` lists.

    Raises:
        UsageProblem: an argument that is neither a file nor a known chamber (exit 2).
    """
    from smvp.errors import UsageProblem

    if not args:
        return [path for _, path in engine_api.known_chambers().values()]
    out: list[Path] = []
    for arg in args:
        if arg.is_file():
            out.append(arg)
            continue
        hit = engine_api.find_chamber(str(arg)) if arg.suffix == "" and "/" not in str(arg) else None
        if hit is None:
            if arg.exists():
                raise UsageProblem(Msg("{path} is not a file", path=arg), hint=Msg("give a profile .yaml file"))
            from smvp.commands.evaluate import unknown_chamber

            problem = unknown_chamber(str(arg)) if arg.suffix == "" else None
            raise UsageProblem(Msg("{path}: no such file", path=arg) if problem is None
                               else Msg("{path}: no such file or chamber", path=arg),
                               hint=problem.hint if problem is not None else None)
        out.append(hit[1])
    return out


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
            out.print(Text.assemble((t("status_fail", lang), "bold red"), f" {path} ({count})"), soft_wrap=True)
            for error in errors:
                out.print(Text("  " + error_text(error, lang), style="red"), soft_wrap=True)
            continue
        chamber = getattr(profile, "chamber_id", None) or "?"
        out.print(Text.assemble((t("status_ok", lang), "bold green"),
                                f" {path} ({chamber}{_validity(profile, lang)})"), soft_wrap=True)
        for warning in engine_api.profile_warnings(profile):
            out.print(Text(f"  {t('warning', lang)}: {say(warning, lang)}", style="yellow"), soft_wrap=True)
    return 1 if failed else 0
