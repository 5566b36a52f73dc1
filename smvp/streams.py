"""Output any terminal can show: what its encoding lacks is written in plain letters.

An Italian office's terminal is not always UTF-8: a Windows console or file redirection in the
ANSI code page (cp1252, cp850), an old ``ssh`` session with ``LANG=it_IT.ISO-8859-1``, a job
scheduler with ``PYTHONIOENCODING=ascii``. Python would stop the command with
``UnicodeEncodeError`` at the first ``—``, ``€`` or ``à`` such a stream cannot encode; smvp
instead writes those characters the way Italian has always been typed without them:
``unita'``, ``EUR``, ``-``, ``...`` (issue 15, "readable in any terminal").

Only characters the stream cannot encode change; on a UTF-8 or cp1252 terminal nothing does.
Rich already draws its tables with ASCII boxes when the stream's encoding is not UTF-8.
"""

from __future__ import annotations

import codecs
import io
import sys
import unicodedata

#: the name of the codec error handler registered by :func:`legible_streams`
HANDLER = "smvp-legible"

#: plain-letter forms of the characters smvp's Italian and English output uses
_PLAIN = {
    "€": "EUR",
    "—": "-",
    "–": "-",
    "−": "-",
    "…": "...",
    "×": "x",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "·": ".",
    "•": "*",
    "→": "->",
    "←": "<-",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "\u00a0": " ",
    "\u202f": " ",
}


def plain(char: str) -> str:
    """The plain-letter form of one character (``à`` → ``a'``, ``€`` → ``EUR``, else ``?``).

    A grave or acute accent becomes the apostrophe Italian writes in its place (``perche'``,
    ``unita'``); any other diacritic is dropped; what has no such form is ``?``.
    """
    if char in _PLAIN:
        return _PLAIN[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base.isascii():
        accented = any(c in decomposed for c in ("\u0300", "\u0301"))
        return base + ("'" if accented and base.isalpha() else "")
    return "?"


def _legible(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(plain(c) for c in bad), error.end


codecs.register_error(HANDLER, _legible)


def legible_streams() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` write, instead of failing on, what their encoding
    lacks (the module's rule), also stderr's ``\\u2014`` escapes. Streams that are not text files of the standard library
    (a test runner's capture) are left as they are."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "backslashreplace"):
            stream.reconfigure(errors=HANDLER)
