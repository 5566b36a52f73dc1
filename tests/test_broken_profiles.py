"""Broken profiles: each file in tests/broken/profiles/ is ``_base.yaml`` with one thing
broken. Its ``# expect:`` lines give the fragments the first error must contain (the first
one is ``<file>:<line>:<column>: <field>:``); ``# errors: N`` says how many errors the one
defect produces (default 1). ``smvp validate`` must fail on each, naming the place.

A folder ``<case>/`` holding ``profile.yaml`` and ``expected.txt`` is a case too: each
line of ``expected.txt`` must appear in one of the errors (for defects that produce
several errors, e.g. a printed table of bands with more than one problem).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smvp_engine.errors import ProfileError, ProfileErrors
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken" / "profiles"
CASES = sorted(p.stem for p in BROKEN.glob("*.yaml") if not p.name.startswith("_"))
FOLDERS = sorted(p.name for p in BROKEN.iterdir() if (p / "profile.yaml").is_file())


def _header(case: str) -> tuple[list[str], int]:
    lines = (BROKEN / f"{case}.yaml").read_text(encoding="utf-8").splitlines()
    expect = [ln[len("# expect: "):] for ln in lines if ln.startswith("# expect: ")]
    count = next((int(ln.split(":")[1]) for ln in lines if ln.startswith("# errors:")), 1)
    return expect, count


def test_base_is_valid() -> None:
    profile = load_profile(BROKEN / "_base.yaml")
    assert profile.warnings == []
    rules = profile.for_year(2024)
    assert [b.id for b in rules.achievement_bands] == ["non_raggiunto", "parziale", "raggiunto"]


def test_every_check_has_a_broken_profile() -> None:
    """The validator's checks (docs/profile.md, "Validation") each have a fixture."""
    assert {
        "curve_overlap", "curve_gap", "judgement_integer_gap", "bands_overlap", "bands_gap", "bands_bounded",
        "maxima_do_not_add_up", "shares_do_not_add_up", "unknown_role", "unknown_level", "unknown_curve",
        "unknown_judgement", "unknown_key_typo", "duplicate_key", "effective_dates_overlap",
        "conciliation_unknown_event", "planning_unknown_parent", "unknown_source_document",
        "text_unknown_language",
    } <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_broken_profile(case: str) -> None:
    expect, count = _header(case)
    assert expect and expect[0].startswith(f"{case}.yaml:"), "the first expectation is file:line:column"
    with pytest.raises(ProfileErrors) as info:
        load_profile(BROKEN / f"{case}.yaml")
    errors = info.value.errors
    messages = [str(e) for e in errors]
    assert len(errors) == count, messages
    assert all(isinstance(e, ProfileError) and e.line and e.column for e in errors), messages
    for fragment in expect:
        assert fragment in messages[0], f"{fragment!r} not in {messages[0]!r}"


def test_broken_profile_folders() -> None:
    """Every folder case (none is fine): each expected line appears in one of its errors."""
    problems = []
    for case in FOLDERS:
        folder = BROKEN / case
        expect = [ln for ln in (folder / "expected.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
        if not expect:
            problems.append(f"{case}: expected.txt is empty")
            continue
        try:
            load_profile(folder / "profile.yaml")
        except ProfileErrors as info:
            errors = info.errors
        else:
            problems.append(f"{case}: the profile loads without errors")
            continue
        text = "\n".join(str(e) for e in errors)
        problems += [f"{case}: error without line and column: {e}" for e in errors if not (e.line and e.column)]
        problems += [f"{case}: {fragment!r} not in:\n{text}" for fragment in expect if fragment not in text]
    assert not problems, "\n".join(problems)


def test_smvp_validate_reports_file_line_column() -> None:
    """The command line prints FAIL and the located message, exit status 1."""
    case = "shares_do_not_add_up"
    expect, _ = _header(case)
    run = subprocess.run([sys.executable, "-m", "smvp", "validate", str(BROKEN / f"{case}.yaml")],
                         capture_output=True, text=True, cwd=ROOT, env={"PATH": "", "SMVP_LANG": "en",
                                                                          "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1, run.stdout + run.stderr
    out = " ".join(run.stdout.split())
    assert "FAIL" in out
    for fragment in expect:
        assert " ".join(fragment.split()) in out, (fragment, run.stdout)


LIMITS = {"limit_file_size", "limit_nul_character", "limit_nesting_depth", "limit_values",
          "limit_alias_expansion", "limit_key_length", "limit_text_length", "limit_id_length",
          "limit_label_length", "limit_number_length", "limit_formula_length",
          "limit_formula_depth", "limit_formula_nodes"}


def test_every_limit_has_a_broken_profile() -> None:
    """docs/profile.md "Limits": one fixture per limit."""
    assert LIMITS <= set(CASES)
    doc = (ROOT / "docs" / "profile.md").read_text(encoding="utf-8")
    assert all(f"`{case}`" in doc for case in LIMITS)


def _hostile(base: str) -> dict[str, str]:
    """The hostile profiles of issue 16: each was an internal error or a hang."""
    formula = 'formula: "minimum(1, presence_days / 250)"'
    assert formula in base
    return {
        "parentheses_5000": base.replace(formula, 'formula: "' + "(" * 5000 + "1" + ")" * 5000 + '"'),
        "terms_50000": base.replace(formula, 'formula: "' + "+".join(["1"] * 50_000) + '"'),
        "lists_10000_deep": base + "x: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "mappings_3000_deep": base + "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "block_mappings_500_deep": base + "x:\n" + "".join(" " * i + "a:\n" for i in range(1, 500)),
        "nul_bytes": base.replace("Camera di prova", "Camera\x00\x00 di prova", 1),
        "list_2000000": base + "x: [" + ",".join(["0"] * 2_000_000) + "]\n",
        "comment_10mb": "#" + "x" * 10_000_000 + "\n" + base,
        "chamber_id_1000000": base.replace("id: prova", "id: p" + "a" * 1_000_000, 1),
        "chamber_id_200": base.replace("id: prova", "id: p" + "a" * 200, 1),
        "float_exponent": base.replace("from: 2020", "from: 1.0e+999999999", 1),
    }


@pytest.mark.parametrize("case", sorted(_hostile("x: 1\nformula: \"minimum(1, presence_days / 250)\"\n"
                                                 "id: prova\nCamera di prova\nfrom: 2020\n")))
def test_hostile_profile_is_a_located_error_exit_1(case: str, tmp_path) -> None:
    """Each is refused by `smvp validate` with file:line:column and exit 1, never exit 3."""
    from typer.testing import CliRunner

    from smvp.cli import app

    base = (BROKEN / "_base.yaml").read_text(encoding="utf-8")
    path = tmp_path / f"{case}.yaml"
    path.write_text(_hostile(base)[case], encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)], env={"SMVP_LANG": "en"})
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert f"{case}.yaml:" in " ".join(result.output.split()), result.output
    with pytest.raises(ProfileErrors) as info:
        load_profile(path)
    assert all(e.line and e.column for e in info.value.errors)
