"""Rows written as fixed-width byte blocks (smvp/textblocks.py) against Python's own formatting."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smvp import textblocks


def _decimal_text(u: int, digits: int) -> str:
    sign = "-" if u < 0 else ""
    q, r = divmod(abs(u), 10**digits)
    return f"{sign}{q}.{r:0{digits}d}" if digits else f"{sign}{q}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**14, 10**14), st.booleans(), st.booleans()), min_size=1,
                max_size=40),
       st.integers(0, 6), st.sampled_from(['"', ""]), st.sampled_from([".", ","]))
def test_decimals_are_python_formatting(rows, digits, quote, point):
    units = np.array([r[0] for r in rows], dtype=np.int64)
    show = np.array([r[1] for r in rows])
    null_rows = np.array([r[2] for r in rows])
    lay = textblocks.Layout()
    lay.text("<")
    lay.decimal(units, digits, show=show, null_rows=null_rows, quote=quote, point=point)
    lay.text(">\n")
    want = []
    for u, s, nr in rows:
        text = quote + _decimal_text(u, digits).replace(".", point) + quote if s else ("null" if nr else "")
        want.append(f"<{text}>\n")
    for start, stop in ((0, len(rows)), (len(rows) // 2, len(rows))):
        assert lay.render(start, stop).decode() == "".join(want[start:stop])


def test_lookups_and_constants_in_order():
    names = ["Rossi", "Bianchi \"B\"", "Verdi\n", "Né€", ""]
    table = textblocks.table_of([json.dumps(v, ensure_ascii=False) for v in names])
    codes = np.array([4, 0, 3, 3, 1, 2])
    lay = textblocks.Layout()
    lay.text("[")
    lay.lookup(codes, table)
    lay.text(", ")
    lay.decimal(np.arange(6) - 3, 2)
    lay.text("]\n")
    want = "".join(f"[{json.dumps(names[c], ensure_ascii=False)}, {_decimal_text(i - 3, 2)}]\n"
                   for i, c in enumerate(codes))
    assert lay.render(0, 6).decode() == want
    assert lay.render(2, 4).decode() == "".join(want.splitlines(keepends=True)[2:4])


def test_nul_bytes_are_refused():
    with pytest.raises(ValueError):
        textblocks.table(pa.array(["a\x00b"]))
    with pytest.raises(ValueError):
        textblocks.Layout().text("\x00")
    with pytest.raises(ValueError):
        textblocks.Layout().lookup(np.array([2]), textblocks.table_of(["a", "b"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=6), min_size=1, max_size=8), st.lists(st.integers(0, 7), max_size=30),
       st.integers(1, 5))
def test_joined_by_code_is_str_join(texts, codes, chunk):
    """The dataset hash joins ids from a fixed-width table (engine/columnar.py): same bytes."""
    from smvp_engine.columnar import joined_by_code

    texts = [json.dumps(t, ensure_ascii=False) for t in texts]
    codes = np.array([c % len(texts) for c in codes], dtype=np.int64)
    got = b"".join(joined_by_code(codes, texts, ", ", chunk=chunk))
    assert got == ", ".join(texts[c] for c in codes.tolist()).encode()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", " a", "a ", "\ta\n", "\u00a0x", "x\u3000",
                                                      "è", "a b", "\x1fz", "z\x1c"])), max_size=12))
def test_strip_blank_skips_only_columns_with_nothing_to_strip(cells):
    from smvp_engine.columnar import strip_blank

    got = strip_blank(pa.array(cells, pa.string())).to_pylist()
    want = [None if c is None or not c.strip() else c.strip() for c in cells]
    assert got == want
