"""The text of many rows at once, as fixed-width byte blocks (numpy), for writers of large runs.

A row of a results file is a sequence of pieces: constant text (``"total": ``),
a value looked up in a small table by a code (a role id, a judgement label, a
person id as JSON text) or a number written in decimal (points, euro). Each
piece is a block of bytes of the same width in every row, padded with NUL
bytes; laid side by side the blocks are a ``rows × width`` byte matrix, and
the matrix with its NUL bytes removed is the rows' text, one after the other.
Numbers are turned into digits by integer arithmetic over the whole column,
so a million rows cost a few passes in C and no Python per row.

No text written this way may contain a NUL byte: JSON escapes it
(``\\u0000``) and :func:`table` refuses any that does (ValueError), so the
caller can fall back to its row-by-row writer.

    layout = Layout()
    layout.text('{"total": ')
    layout.decimal(total_cp, 2, valid=scored, quote='"')   # "74.01" or null
    layout.text("}\\n")
    data = layout.render(0, n)                            # bytes, UTF-8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from smvp_engine.columnar import fixed_width

__all__ = ["Layout", "table", "table_of"]

_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def table(texts: pa.Array) -> np.ndarray:
    """Texts (a pyarrow string array without nulls) as a ``len × width`` uint8 matrix,
    each row a text padded with NUL bytes. Raises ValueError when a text holds a NUL byte."""
    return fixed_width(texts)


def table_of(texts: list[str]) -> np.ndarray:
    """:func:`table` of a list of Python strings."""
    return table(pa.array(texts, pa.string()))


@dataclass
class _Lookup:
    codes: np.ndarray  # int, indexes rows of table (no negatives)
    table: np.ndarray  # (m, w) uint8

    @property
    def width(self) -> int:
        return self.table.shape[1]

    def fill(self, out: np.ndarray, start: int, stop: int) -> None:
        out[:] = self.table[self.codes[start:stop]]


@dataclass
class _Decimal:
    units: np.ndarray  # int64, in 1/10**digits
    digits: int
    int_digits: int
    show: np.ndarray | None  # bool: the value is written
    null_rows: np.ndarray | None  # bool: ``null`` written (where not shown); else nothing
    quote: bytes
    point: bytes
    null: bytes

    @property
    def width(self) -> int:
        body = 1 + self.int_digits + (len(self.point) + self.digits if self.digits else 0)
        return max(2 * len(self.quote) + body, len(self.null))

    def fill(self, out: np.ndarray, start: int, stop: int) -> None:
        u = self.units[start:stop]
        a = np.abs(u)
        q = len(self.quote)
        out[:] = 0
        pos = out.shape[1] - 1
        if q:
            out[:, pos] = self.quote[0]
            pos -= 1
        total = self.int_digits + self.digits
        rest = a
        written = 0
        digit_cols = []
        while written < total:  # two digits at a time, from the right
            pair = _PAIRS[rest % 100]
            rest = rest // 100
            for k in (1, 0):
                if written == total:
                    break
                if self.digits and written == self.digits:
                    out[:, pos - len(self.point) + 1: pos + 1] = np.frombuffer(self.point, np.uint8)
                    pos -= len(self.point)
                out[:, pos] = pair[:, k]
                digit_cols.append(pos)
                pos -= 1
                written += 1
        # blank the leading zeros of the integer part (its last digit is always written)
        int_cols = digit_cols[self.digits:]  # right to left: units digit first
        whole = a // 10**self.digits if self.digits else a
        for j, col in enumerate(int_cols[1:], start=1):
            out[whole < 10**j, col] = 0
        out[u < 0, pos] = 45  # "-" right before the digits once the NULs are gone
        if q:
            out[:, pos - 1] = self.quote[0]
        hide = None if self.show is None else ~self.show[start:stop]
        if hide is not None and hide.any():
            out[hide] = 0
            if self.null:
                nulls = hide if self.null_rows is None else hide & self.null_rows[start:stop]
                out[nulls, : len(self.null)] = np.frombuffer(self.null, np.uint8)


class Layout:
    """The pieces of a row, in order; :meth:`render` writes rows ``start:stop`` as bytes."""

    def __init__(self) -> None:
        self._parts: list[object] = []
        self._buffer: np.ndarray | None = None

    def text(self, text: str) -> None:
        """Constant text in every row."""
        b = text.encode("utf-8")
        if not b:
            return
        if b"\x00" in b:
            raise ValueError("a text holds a NUL byte")
        self._buffer = None
        if self._parts and isinstance(self._parts[-1], bytes):
            self._parts[-1] += b
        else:
            self._parts.append(b)

    def lookup(self, codes: np.ndarray, rows: np.ndarray) -> None:
        """Row ``codes[i]`` of ``rows`` (a :func:`table`) in row i."""
        codes = np.asarray(codes)
        if len(codes) and (codes.min() < 0 or codes.max() >= len(rows)):
            raise ValueError("a code outside its table")
        # kept until the last row is written: in the smallest type the table's rows need (a
        # million people's role, judgement, fund... codes as int64 held 96 MB, as uint8 12)
        codes = codes.astype(np.min_scalar_type(max(len(rows) - 1, 0)), copy=False)
        self._buffer = None
        self._parts.append(_Lookup(codes, rows))

    def decimal(self, units: np.ndarray, digits: int, *, show: np.ndarray | None = None,
                null_rows: np.ndarray | None = None, quote: str = "", point: str = ".",
                null: str = "null") -> None:
        """Integers in 1/10**digits written with ``digits`` decimals (7401, 2 → ``74.01``),
        between ``quote``s; where ``show`` is False ``null`` (only in ``null_rows`` when
        given, nothing elsewhere). Zero is never written with a sign."""
        self._buffer = None
        units = np.asarray(units, dtype=np.int64)
        shown = units if show is None else units[np.asarray(show, dtype=bool)]
        top = int(np.abs(shown).max(initial=0)) // 10**digits
        self._parts.append(_Decimal(
            units, digits, max(1, len(str(top))), None if show is None else np.asarray(show, dtype=bool),
            None if null_rows is None else np.asarray(null_rows, dtype=bool),
            quote.encode(), point.encode(), null.encode()))

    def render(self, start: int, stop: int) -> bytes:
        """Rows ``start:stop`` as one UTF-8 byte string.

        The byte matrix is kept for the next call of the same number of rows or fewer
        (its constant blocks written once): rendering a large run chunk by chunk
        reuses one buffer instead of touching fresh memory for every chunk.
        """
        k = stop - start
        widths = [len(p) if isinstance(p, bytes) else p.width for p in self._parts]  # type: ignore[attr-defined]
        width = sum(widths)
        buf = self._buffer
        if buf is None or buf.shape[0] < k or buf.shape[1] != width:
            buf = self._buffer = np.empty((k, width), dtype=np.uint8)
            fresh = True
        else:
            fresh = False
        out = buf[:k]
        at = 0
        for part, w in zip(self._parts, widths):
            block = out[:, at: at + w]
            if isinstance(part, bytes):
                if fresh:
                    block[:] = np.frombuffer(part, np.uint8)
            else:
                part.fill(block, start, stop)  # type: ignore[attr-defined]
            at += w
        return out.tobytes().translate(None, b"\x00")
