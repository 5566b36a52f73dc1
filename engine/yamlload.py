"""Strict YAML loading for profiles: positions kept, duplicates refused, numbers exact.

- Safe loading only (composed into nodes, never constructed: no tags that build objects).
- Duplicate keys are an error naming both lines.
- Numbers with a fraction are read as :class:`decimal.Decimal` (exact); dates
  and timestamps stay text (the engine parses its own dates).
- Alias expansion is bounded (:data:`MAX_NODES`), so a small file cannot
  expand into a huge one.
- Every value's position is kept: ``marks[path] = (line, column)``, 1-based,
  where ``path`` is a tuple of keys and list indexes.

A profile is untrusted input. Limits (docs/profile.md, "Limits"), checked before
parsing (size, characters) and while parsing (depth, values, lengths), so a
hostile file is refused with a located error in well under a second:
:data:`MAX_BYTES`, :data:`MAX_DEPTH`, :data:`MAX_NODES`, :data:`MAX_KEY_LENGTH`,
:data:`MAX_TEXT_LENGTH` (and :data:`TEXT_LIMITS` for ids, labels, names),
:data:`MAX_NUMBER_LENGTH`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from .errors import Msg, ProfileError
from .library_text import yaml_problem

#: the largest profile file, in bytes of UTF-8 (the largest bundled profile: 37 KB)
MAX_BYTES = 256 * 1024
#: the deepest nesting of mappings and lists (the bundled profiles: 7)
MAX_DEPTH = 20
#: values in the document, after aliases are expanded (the bundled profiles: ≤ 650)
MAX_NODES = 20_000
#: characters of a key (keys are ids: at most 34 in the bundled profiles)
MAX_KEY_LENGTH = 64
#: characters of any text value (the longest bundled ``reading``: 1,374)
MAX_TEXT_LENGTH = 5_000
#: characters of the values of these keys
TEXT_LIMITS = {"id": 64, "label": 300, "name": 300, "title": 300, "seat": 100}
#: characters of a number as written (digits, sign, point, exponent)
MAX_NUMBER_LENGTH = 40

Path = tuple  # tuple[str | int, ...]


class Loaded:
    """A parsed YAML document with the position of every value and key."""

    def __init__(self, data: Any, marks: dict[Path, tuple[int, int]], key_marks: dict[Path, tuple[int, int]]):
        self.data = data
        self.marks = marks
        self.key_marks = key_marks
        #: top-level key -> the exact text of its block, when the document was parsed block
        #: by block (:func:`_load_blocks`; the same text always gives the same value), else None
        self.block_texts: dict[str, str] | None = None

    def position(self, path: Path, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of ``path`` (its key when ``key``), or of the nearest parent known."""
        path = tuple(path)
        while True:
            src = self.key_marks if key and path in self.key_marks else self.marks
            if path in src:
                return src[path]
            if not path:
                return (None, None)
            path = path[:-1]
            key = False


def _scalar(node: yaml.ScalarNode, file: str) -> Any:
    tag = node.tag
    value = node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:float":
        try:
            d = Decimal(value.replace("_", ""))
        except InvalidOperation:
            raise ProfileError(Msg('special float values (.inf, .nan) are not allowed'), file=file,
                               line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                               expected=Msg('a finite number'), found=value) from None
        if not d.is_finite():
            raise ProfileError(Msg('special float values are not allowed'), file=file,
                               line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                               expected=Msg('a finite number'), found=value)
        if d and not -MAX_NUMBER_LENGTH <= d.adjusted() <= MAX_NUMBER_LENGTH:
            raise ProfileError(Msg('number out of range'), file=file,
                               line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                               expected=Msg('a number with at most {MAX_NUMBER_LENGTH} digits before or after the point', MAX_NUMBER_LENGTH=MAX_NUMBER_LENGTH), found=value)
        return d
    if tag.startswith("tag:yaml.org,2002:") and tag.rsplit(":", 1)[1] in ("str", "timestamp", "binary"):
        return value
    raise ProfileError(Msg('YAML tag {tag} is not allowed in a profile', tag=tag), file=file,
                       line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                       expected=Msg('plain values (text, numbers, true/false)'), found=tag)


def _limit_error(message: str, file: str, mark: Any, **kw: Any) -> ProfileError:
    return ProfileError(message, file=file,
                        line=mark.line + 1 if mark is not None else 1,
                        column=mark.column + 1 if mark is not None else 1, **kw)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_text(text: str, file: str = "<profile>") -> None:
    """The limits checked before parsing: size and characters. Raises ProfileError."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        # locate the line where the limit is crossed
        cut = len(text.encode("utf-8", "surrogatepass")[:MAX_BYTES].decode("utf-8", "ignore"))
        line, column = _line_column(text, cut)
        raise ProfileError(
            Msg('the profile is larger than {MAX_BYTES_1024} KB', MAX_BYTES_1024=MAX_BYTES // 1024), file=file, line=line,
            column=column, expected=Msg('at most {MAX_BYTES} bytes', MAX_BYTES=MAX_BYTES),
            found=Msg('{n} bytes', n=len(text.encode('utf-8', 'surrogatepass'))),
            hint=Msg('a profile holds rules, not data: move long texts to the source documents'))
    m = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if m is not None:
        line, column = _line_column(text, m.start())
        raise ProfileError(
            Msg('a character that is not allowed in a profile'), file=file, line=line, column=column,
            expected=Msg('printable text (tabs and line breaks allowed)'),
            found=f"U+{ord(m.group()):04X}" + (" (NUL)" if m.group() == "\0" else ""),
            hint=Msg('the file may be binary or damaged: save it as plain UTF-8 text'))


class _Limits:
    """Composer mix-in that stops at :data:`MAX_DEPTH` or :data:`MAX_NODES`."""

    _file = "<profile>"
    _depth = 0
    _nodes = 0

    def compose_node(self, parent, index):
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _limit_error(Msg('the profile has more than {n} values', n=MAX_NODES), self._file,
                               self.peek_event().start_mark,  # type: ignore[attr-defined]
                               expected=Msg('at most {n} values', n=MAX_NODES),
                               hint=Msg('a profile holds rules, not data'))
        if self._depth >= MAX_DEPTH:
            raise _limit_error(Msg('nested more than {n} levels deep', n=MAX_DEPTH), self._file,
                               self.peek_event().start_mark,  # type: ignore[attr-defined]
                               expected=Msg('at most {n} levels of mappings and lists', n=MAX_DEPTH),
                               found=Msg('a deeper value here'))
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


try:  # libyaml's event parser (C, ~8× faster) under PyYAML's own composer and resolver
    from yaml._yaml import CParser as _CParser

    class _LimitedLoader(_Limits, yaml.composer.Composer, _CParser, yaml.resolver.Resolver):
        def __init__(self, stream: str, file: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._file = file

except ImportError:  # PyYAML built without libyaml: the pure-Python parser, same limits

    class _LimitedLoader(_Limits, yaml.SafeLoader):  # type: ignore[no-redef]
        def __init__(self, stream: str, file: str) -> None:
            yaml.SafeLoader.__init__(self, stream)
            self._file = file


def _compose(text: str, file: str) -> Any:
    loader = _LimitedLoader(text, file)
    try:
        return loader.get_single_node()
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()


def load_yaml(text: str, file: str = "<profile>") -> Loaded:
    """Parse ``text`` strictly, within the limits of this module.

    A document whose top level is a plain block mapping (``key:`` lines at column 0) is
    parsed block by block, each top-level block cached by its exact text (see
    :func:`_load_blocks`): profiles of a national roll-out share most of their blocks.
    Anything else, and any block that does not parse on its own, is parsed whole, so
    every error is reported exactly as from the whole document.

    Raises:
        ProfileError: on YAML syntax errors (with line/column), duplicate keys,
            non-text keys, unsafe tags, or a limit passed (size, characters,
            depth, values after alias expansion, key/text/number length).
    """
    check_text(text, file)
    fast = _load_blocks(text, file)
    if fast is not None:
        return fast
    try:
        root = _compose(text, file)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if "maximum nesting depth" in str(e.problem):  # libyaml's own bound, met scanning ahead
            raise _limit_error(Msg('nested more than {n} levels deep', n=MAX_DEPTH), file, mark,
                               expected=Msg('at most {n} levels of mappings and lists', n=MAX_DEPTH),
                               found=Msg('a deeper value here')) from None
        raise ProfileError(Msg('YAML syntax error: {problem}', problem=yaml_problem(e.problem)), file=file,
                           line=mark.line + 1 if mark else None,
                           column=mark.column + 1 if mark else None,
                           hint=Msg("check indentation and that every 'key: value' has a space after the colon")) from None
    marks: dict[Path, tuple[int, int]] = {}
    key_marks: dict[Path, tuple[int, int]] = {}
    data = _Tree(file, marks, key_marks).build(root, ()) if root is not None else None
    return Loaded(data, marks, key_marks)


class _Tree:
    """Builds plain values from composed nodes, recording positions and checking the limits."""

    def __init__(self, file: str, marks: dict, key_marks: dict) -> None:
        self.file, self.marks, self.key_marks = file, marks, key_marks
        self.count = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        file, marks, key_marks = self.file, self.marks, self.key_marks
        self.count += 1
        if self.count > MAX_NODES:
            raise _limit_error(Msg('profile expands to more than {n} values (aliases?)', n=MAX_NODES),
                               file, node.start_mark,
                               hint=Msg('a profile holds rules, not data'))
        if len(path) > MAX_DEPTH:  # aliases can nest deeper than the text shows
            raise _limit_error(Msg('nested more than {n} levels deep (aliases?)', n=MAX_DEPTH), file,
                               node.start_mark)
        marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, path, file)
            return _scalar(node, file)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            seen: dict[str, int] = {}
            for key_node, value_node in _merged_pairs(node, file):
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ProfileError(Msg('keys must be plain text'), file=file, line=key_node.start_mark.line + 1,
                                       column=key_node.start_mark.column + 1)
                key = key_node.value
                if len(key) > MAX_KEY_LENGTH:
                    raise _limit_error(
                        Msg('key longer than {n} characters', n=MAX_KEY_LENGTH), file,
                        key_node.start_mark, field=".".join(str(p) for p in path),
                        expected=Msg('at most {n} characters', n=MAX_KEY_LENGTH),
                        found=Msg('{n} characters', n=len(key)),
                        hint=Msg('keys are ids: short lower-case words joined by _'))
                kline = key_node.start_mark.line + 1
                if key in seen:
                    raise ProfileError(Msg('duplicate key {key!r} (first at line {seen_key})', key=key, seen_key=seen[key]), file=file,
                                       line=kline, column=key_node.start_mark.column + 1,
                                       field=".".join(str(p) for p in path + (key,)),
                                       hint=Msg('a key may appear once in a mapping; merge the two entries'))
                seen[key] = kline
                key_marks[path + (key,)] = (kline, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, path + (key,))
            return out
        raise ProfileError(Msg('unsupported YAML node'), file=file)


# ---------------------------------------------------------------- block by block

#: a line that starts a top-level block: a plain key at column 0, then ':' and a space or the end
_TOP_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:(?:[ \t]|\n|$)")
#: characters that make the line count of a text differ from counting "\n" (or start a BOM)
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029\ufeff]")

#: top-level blocks parsed in this process, by their exact text: (key, value, marks, key_marks,
#: values composed, values built), lines counted from the block's first line (bounded); under
#: the key None, the limits they were checked against
_BLOCKS: dict[str | None, tuple] = {}
_BLOCKS_LIMIT = 4096


def _load_blocks(text: str, file: str) -> Loaded | None:
    """The document parsed one top-level block at a time, or None when that is not safe.

    Safe: the text counts its lines by "\n" only, every line at column 0 that is not a
    comment starts ``key:`` (no document markers, directives, flow or list at the top),
    and each block parses on its own to a one-key mapping with the key of its line (an
    alias to an anchor of another block does not, nor does a quoted or flow value that
    runs into the next block). Keys differ, and the totals respect :data:`MAX_NODES`.
    A block is the same text wherever it is, so its values, positions (shifted by its first
    line) and checks are those of the whole document; a cached block is copied, never shared.
    """
    if _OTHER_BREAKS.search(text):
        return None
    limits = (MAX_DEPTH, MAX_NODES, MAX_KEY_LENGTH, MAX_TEXT_LENGTH, MAX_NUMBER_LENGTH,
              tuple(sorted(TEXT_LIMITS.items())))
    if _BLOCKS.get(None) != limits:  # blocks were checked against other limits
        _BLOCKS.clear()
        _BLOCKS[None] = limits
    lines = text.split("\n")
    starts: list[int] = []
    for i, line in enumerate(lines):
        if not line or line[0] in " \t#":
            continue
        if not _TOP_KEY.match(line + "\n"):
            return None
        starts.append(i)
    if not starts:
        return None
    starts[0] = 0  # the comments before the first key belong to the first block
    marks: dict[Path, tuple[int, int]] = {}
    key_marks: dict[Path, tuple[int, int]] = {}
    data: dict[str, Any] = {}
    texts: dict[str, str] = {}
    composed = built = 1
    for b, first in enumerate(starts):
        last = starts[b + 1] if b + 1 < len(starts) else len(lines)
        block = "\n".join(lines[first:last])
        if last < len(lines):
            block += "\n"
        hit = _BLOCKS.get(block)
        if hit is None:
            hit = _parse_block(block, file)
            if hit is None:
                return None
            if len(_BLOCKS) > _BLOCKS_LIMIT:
                _BLOCKS.clear()
                _BLOCKS[None] = limits
            _BLOCKS[block] = hit
        key, value, bmarks, bkey_marks, n_composed, n_built = hit
        if key in data:
            return None  # a duplicate key: the whole document names both lines
        composed += n_composed - 1
        built += n_built - 1
        if composed > MAX_NODES or built > MAX_NODES:
            return None
        data[key] = _copy(value)
        texts[key] = block
        if first:
            marks.update({p: (line + first, col) for p, (line, col) in bmarks.items() if p})
            key_marks.update({p: (line + first, col) for p, (line, col) in bkey_marks.items()})
        else:
            marks.update(bmarks)
            key_marks.update(bkey_marks)
    loaded = Loaded(data, marks, key_marks)
    loaded.block_texts = texts
    return loaded


def _parse_block(block: str, file: str) -> tuple | None:
    """One top-level block parsed as a document of its own; None if it does not parse to a
    mapping of one plain key or breaks a rule (the whole document then reports it)."""
    try:
        loader = _LimitedLoader(block, file)
        try:
            root = loader.get_single_node()
            n_composed = loader._nodes
        finally:
            dispose = getattr(loader, "dispose", None)
            if dispose is not None:
                dispose()
        if not isinstance(root, yaml.MappingNode) or len(root.value) != 1:
            return None
        key_node = root.value[0][0]
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str" \
                or key_node.style not in (None, ""):
            return None
        marks: dict[Path, tuple[int, int]] = {}
        key_marks: dict[Path, tuple[int, int]] = {}
        tree = _Tree(file, marks, key_marks)
        value = tree.build(root, ())
    except Exception:  # noqa: BLE001 - whatever it is, the whole document reports it
        return None
    (key,) = value
    return key, value[key], marks, key_marks, n_composed, tree.count


def _copy(value: Any) -> Any:
    """A fresh copy of a parsed value (mappings and lists; scalars are immutable)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def _check_scalar(node: yaml.ScalarNode, path: Path, file: str) -> None:
    """Text and number lengths (:data:`TEXT_LIMITS`, :data:`MAX_TEXT_LENGTH`,
    :data:`MAX_NUMBER_LENGTH`)."""
    value = node.value
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    field = ".".join(str(p) for p in path) or None
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") \
            and len(value) > MAX_NUMBER_LENGTH:
        raise _limit_error(Msg('number longer than {n} characters', n=MAX_NUMBER_LENGTH), file,
                           node.start_mark, field=field,
                           expected=Msg('a number of at most {n} characters', n=MAX_NUMBER_LENGTH),
                           found=Msg('{n} characters', n=len(value)))
    limit = TEXT_LIMITS.get(key, MAX_TEXT_LENGTH) if key is not None and path and path[-1] == key \
        else MAX_TEXT_LENGTH
    if len(value) > limit:
        raise _limit_error(Msg('text longer than {n} characters', n=limit), file,
                           node.start_mark, field=field,
                           expected=Msg('at most {n} characters', n=limit),
                           found=Msg('{n} characters', n=len(value)),
                           hint=Msg('shorten it; long explanations belong in the source documents'))


def _merged_pairs(node: yaml.MappingNode, file: str):
    """Key/value pairs of a mapping, with YAML merge keys (<<) expanded first-wins-last."""
    pairs = []
    merged = []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
            sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
            for src in sources:
                if isinstance(src, yaml.MappingNode):
                    merged.extend(_merged_pairs(src, file))
        else:
            pairs.append((k, v))
    own = {k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)}
    return [(k, v) for k, v in merged if k.value not in own] + pairs
