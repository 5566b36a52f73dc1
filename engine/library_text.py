"""The libraries' own words in the engine's messages, as catalogue messages.

PyYAML (a profile's syntax), Python's parser (a formula's syntax) and simpleeval (a formula's
evaluation) explain a problem in English. A message that quotes them would read half in
English in Italian: each function here turns the library's text into a
:class:`~smvp_engine.errors.Msg` whose id is the library's text (with its variable parts as
fields), so that smvp says it in the user's language (smvp/locale). A text not in the tables
is kept as the library wrote it, marked as such: ``Msg("{library_text}")``, said in Italian
as "(testo della libreria, in inglese: …)".

Pure: no CLI or rendering imports (see docs/design.md).
"""

from __future__ import annotations

import re
from functools import cache

from .errors import Msg

__all__ = ["formula_evaluation_problem", "library_text", "syntax_problem", "yaml_problem"]


#: PyYAML's problems (libyaml's and the pure-Python scanner's wording), ``{field}`` for a
#: variable part. The id of each message is the text itself.
YAML_PROBLEMS = (
    "mapping values are not allowed here",
    "mapping values are not allowed in this context",
    "found character that cannot start any token",
    "found character {char} that cannot start any token",
    "could not find expected ':'",
    "found unexpected end of stream",
    "did not find expected key",
    "did not find expected ',' or ']'",
    "did not find expected ',' or '}}'",
    "did not find expected '-' indicator",
    "did not find expected alphabetic or numeric character",
    "found undefined alias {name}",
    "found unknown escape character",
    "found unknown escape character {char}",
    "found duplicate anchor {name}; first occurrence",
    "expected <block end>, but found {token}",
    "expected a comment or a line break, but found {char}",
)

#: Python's SyntaxError messages for a formula (Python 3.11–3.13).
SYNTAX_PROBLEMS = (
    "invalid syntax",
    "invalid syntax. Perhaps you forgot a comma?",
    "invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
    "{paren} was never closed",
    "unmatched {paren}",
    "closing parenthesis {close} does not match opening parenthesis {open}",
    "invalid decimal literal",
    "unterminated string literal (detected at line {line})",
    "invalid character {char} ({code})",
    "unexpected EOF while parsing",
    "unexpected indent",
    "positional argument follows keyword argument",
)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    """The regular expression of a template: its text literally, each ``{field}`` any text."""
    parts = re.split(r"(\{\w+\})", template.replace("{{", "\0").replace("}}", "\1"))
    regex = "".join(f"(?P<{p[1:-1]}>.+?)" if re.fullmatch(r"\{\w+\}", p)
                    else re.escape(p.replace("\0", "{").replace("\1", "}")) for p in parts)
    return re.compile(regex, re.DOTALL)


def _matched(text: str, templates: tuple[str, ...]) -> Msg | None:
    for template in templates:
        m = _pattern(template).fullmatch(text)
        if m:
            return Msg(template, **m.groupdict())
    return None


def library_text(text: object) -> Msg:
    """A library's own text that the catalogue does not know, kept as written and marked as
    the library's (in Italian: "(testo della libreria, in inglese: …)")."""
    return Msg("{library_text}", library_text=str(text).strip())


def yaml_problem(problem: object) -> Msg:
    """PyYAML's ``problem`` (``MarkedYAMLError.problem``) as a catalogue message."""
    text = str(problem or "").strip()
    return _matched(text, YAML_PROBLEMS) or library_text(text)


def syntax_problem(message: object) -> Msg:
    """Python's ``SyntaxError.msg`` for a formula as a catalogue message."""
    text = str(message or "").strip()
    return _matched(text, SYNTAX_PROBLEMS) or library_text(text)


def formula_evaluation_problem(error: BaseException) -> Msg:
    """Why simpleeval would not evaluate a formula (its exception), as a catalogue message:
    an unknown name or function, an attribute, an operator or a construct the sandbox refuses,
    something too long or too large; else the library's text, marked as such."""
    if isinstance(error.args[0] if error.args else None, Msg):  # one of the engine's own (FormulaError)
        return error.args[0]
    import simpleeval

    if isinstance(error, simpleeval.NameNotDefined):
        return Msg("name {name!r} is not defined", name=str(error.name))
    if isinstance(error, simpleeval.FunctionNotDefined):
        return Msg("function {name!r} is not defined", name=str(error.func_name))
    if isinstance(error, simpleeval.AttributeDoesNotExist):
        return Msg("attribute access is not allowed")
    if isinstance(error, simpleeval.OperatorNotDefined):
        op = error.attr if isinstance(error.attr, str) else type(error.attr).__name__
        return Msg("operator {op} is not allowed in a profile formula", op=op)
    if isinstance(error, (simpleeval.IterableTooLong, simpleeval.NumberTooHigh)):
        return Msg("the formula would compute a value too large")
    text = str(error)
    if isinstance(error, simpleeval.FeatureNotAvailable):
        m = (re.fullmatch(r"Sorry, (\w+) is not available in this evaluator", text)
             or re.fullmatch(r"Sorry, (.+) (?:is|are) not allowed\.?", text))
        if m and m.group(1) == "Attribute":
            return Msg("attribute access is not allowed")
        if m:
            return Msg("{what}: {hint}", what=m.group(1), hint=Msg("not allowed in a profile formula"))
        if "attribute" in text or "method" in text:
            return Msg("attribute access is not allowed")
        if text == "Lambda Functions not implemented":
            return Msg("{what}: {hint}", what="Lambda", hint=Msg("not allowed in a profile formula"))
    if isinstance(error, simpleeval.InvalidExpression) and text == "Sorry, cannot evaluate empty string":
        return Msg("the formula is empty")
    return library_text(text)
