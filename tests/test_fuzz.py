"""Fuzzing the two loaders of untrusted input: the dataset loader and the profile loader.

Malformed files are generated from a valid base (tests/broken/*/_base) by random edits:
characters inserted, deleted or replaced, quotes and separators, lines duplicated, cut
or swapped, control characters, deep brackets, YAML anchors and tags, odd numbers and
formulas. The only outcomes allowed are a result, or the loader's own located errors
(``DatasetErrors`` naming file/row, ``ProfileErrors`` naming file:line:column) — never
another exception (an internal error, exit 3), and never more than a second (the
examples are all well under 1 MB: hypothesis' ``deadline``).

CI runs a bounded number of examples (a few seconds in all). The longer run:

    SMVP_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -p no:cacheprovider

(about 5 minutes on one core; failures are shrunk to the smallest file and printed,
and hypothesis keeps them in .hypothesis/ so the next run tries them first).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from smvp_engine.dataset import TABLES, load_dataset
from smvp_engine.errors import DatasetErrors, ProfileErrors
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "tests" / "broken" / "datasets" / "_base"
PROFILE = ROOT / "tests" / "broken" / "profiles" / "_base.yaml"
EXAMPLES = int(os.environ.get("SMVP_FUZZ_EXAMPLES", "30"))

FUZZ = settings(max_examples=EXAMPLES, deadline=1000, derandomize="SMVP_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# --------------------------------------------------------------------------- edits

_CSV_PIECES = ['"', '""', ",", ";", "\n", "\r\n", "\r", " ", "\t", "%", "€", "-", "1e9", "1.5", "1,5",
               "NaN", "inf", "9" * 30, "0", "-0", "\x00", "\ufeff", "\u2212", "#DIV/0!", "=1/0",
               "P01", "UFF1", "2024-13-45", "é", "\U0001f600"]
_YAML_PIECES = ['"', "'", ":", ": ", "- ", "[", "]", "{", "}", ",", "\n", "\n  ", "&a ", "*a", "<<: *a",
                "!!python/object:os.system", "!!binary", "? ", "|", ">", "#", "\t", "\x00", "\x1b",
                "~", "null", "1e400", ".inf", "0x1F", "1_000", "9" * 50, "2024-01-01", "inf)",
                "(", ")", "minimum(", "__import__('os')", "x.y", "**", "[0, 60]", "\ufeff", "é"]


def _edits(pieces: list[str]):
    """A list of edits: (kind, position 0–1, piece/length)."""
    edit = st.tuples(
        st.sampled_from(["insert", "delete", "replace", "duplicate_line", "drop_line", "swap_lines",
                         "truncate", "repeat"]),
        st.floats(0, 1, allow_nan=False),
        st.one_of(st.sampled_from(pieces), st.text(max_size=8)),
        st.integers(1, 40),
    )
    return st.lists(edit, min_size=1, max_size=6)


def _apply(text: str, edits) -> str:
    for kind, where, piece, n in edits:
        at = int(where * len(text))
        lines = text.split("\n")
        li = min(int(where * len(lines)), len(lines) - 1)
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + n:]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        elif kind == "duplicate_line":
            text = "\n".join(lines[:li + 1] + [lines[li]] * min(n, 5) + lines[li + 1:])
        elif kind == "drop_line":
            text = "\n".join(lines[:li] + lines[li + 1:])
        elif kind == "swap_lines" and li + 1 < len(lines):
            lines[li], lines[li + 1] = lines[li + 1], lines[li]
            text = "\n".join(lines)
        elif kind == "truncate":
            text = text[:at]
        elif kind == "repeat":
            text = text[:at] + piece * (n * 50) + text[at:]
    return text


# --------------------------------------------------------------------------- the dataset loader


def _check_dataset_errors(exc: DatasetErrors) -> None:
    assert exc.errors, "DatasetErrors without errors"
    for e in exc.errors:
        assert e.file, f"an error without its file: {e}"
        str(e)  # printable


@settings(FUZZ, max_examples=max(10, EXAMPLES // 2))  # ~0.15 s each: nine files read
@given(table=st.sampled_from(sorted(p.stem for p in DATASET.glob("*.csv")) + ["cycle"]),
       edits=_edits(_CSV_PIECES), as_bytes=st.booleans())
def test_fuzz_dataset_csv(tmp_path_factory, table, edits, as_bytes):
    folder = tmp_path_factory.mktemp("ds")
    for f in DATASET.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8") if path.exists() else "step,date\nrelazione,2025-06-30\n"
    mutated = _apply(text, edits)
    if as_bytes:  # also bytes that are not UTF-8
        path.write_bytes(mutated.encode("utf-8", "surrogatepass")[:-1] + b"\xff")
    else:
        path.write_text(mutated, encoding="utf-8", errors="surrogatepass")
    try:
        ds = load_dataset(folder)
    except DatasetErrors as exc:
        _check_dataset_errors(exc)
    else:
        assert set(ds.tables) == set(TABLES)


_CELLS = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.dates(), st.sampled_from(["=1/0", "=A1", "#N/A", "50%", "1,5", " "]))


@settings(FUZZ, max_examples=max(4, EXAMPLES // 8))
@given(table=st.sampled_from(["staff", "behaviours", "objectives", "resources", "units"]),
       cells=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 11), _CELLS), min_size=1, max_size=6))
def test_fuzz_dataset_workbook(tmp_path_factory, table, cells):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for csv_file in sorted(DATASET.glob("*.csv")):
        ws = wb.create_sheet(csv_file.stem)
        for line in csv_file.read_text(encoding="utf-8").splitlines():
            ws.append(line.split(","))
    ws = wb[table]
    for row, col, value in cells:
        try:
            ws.cell(row=row, column=col, value=value)
        except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses some values
            continue
    book = tmp_path_factory.mktemp("xl") / "book.xlsx"
    wb.save(book)
    try:
        load_dataset(book)
    except DatasetErrors as exc:
        _check_dataset_errors(exc)


# --------------------------------------------------------------------------- the profile loader

_BASE_PROFILE = PROFILE.read_text(encoding="utf-8")


def _check_profile(text: str) -> None:
    try:
        load_profile("fuzz.yaml", text=text)
    except ProfileErrors as exc:
        assert exc.errors, "ProfileErrors without errors"
        for e in exc.errors:
            assert e.file == "fuzz.yaml", f"an error without its file: {e}"
            str(e)


@FUZZ
@given(edits=_edits(_YAML_PIECES))
def test_fuzz_profile_text(edits):
    _check_profile(_apply(_BASE_PROFILE, edits))


_FORMULA_PIECES = st.sampled_from(["total", "results", "presence_days", "part_time", "minimum", "maximum",
                                   "where", "sum", "(", ")", ",", "+", "-", "*", "/", "**", "<", ">=",
                                   "==", "&", "|", "~", "not", "and", "0", "1.5", "1e400", "9" * 60,
                                   "x.y", "[0]", "'a'", "lambda", "__class__", " "])


@FUZZ
@given(pieces=st.lists(_FORMULA_PIECES, max_size=80), nest=st.integers(0, 300))
def test_fuzz_profile_formula(pieces, nest):
    formula = "(" * nest + "".join(pieces) + ")" * nest
    old = 'formula: "minimum(1, presence_days / 250)"'
    assert old in _BASE_PROFILE
    _check_profile(_BASE_PROFILE.replace(old, "formula: " + _yaml_quote(formula)))


def _yaml_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@FUZZ
@given(depth=st.integers(1, 5000), kind=st.sampled_from(["[", "{a: ", "- ", "&x [", "a:\n"]))
def test_fuzz_profile_nesting(depth, kind):
    if kind == "a:\n":
        tail = "x:\n" + "".join(" " * i + "a:\n" for i in range(1, min(depth, 2000)))
    elif kind == "- ":
        tail = "x:\n" + "".join(" " * (2 * i) + "- \n" for i in range(min(depth, 2000)))
    else:
        close = "]" if kind.endswith("[") else "}"
        tail = "x: " + kind * depth + ("1" if close == "}" else "") + close * depth + "\n"
    _check_profile(_BASE_PROFILE + tail)


@pytest.mark.parametrize("size", [200_000, 300_000, 1_000_000])
def test_large_profiles_are_answered_quickly(size):
    """Comments, one long line or many keys: a result or a located error, within the deadline."""
    for tail in ("#" + "x" * size + "\n",
                 "x: [" + ",".join(["0"] * (size // 2)) + "]\n",
                 "x:\n" + "".join(f"  k{i}: 1\n" for i in range(size // 10))):
        _check_profile(_BASE_PROFILE + tail)
