"""Strict YAML loading for profiles: positions kept, duplicates refused, numbers exact.

- Safe loading only (``yaml.compose`` with the SafeLoader; no tags that build objects).
- Duplicate keys are an error naming both lines.
- Numbers with a fraction are read as :class:`decimal.Decimal` (exact); dates
  and timestamps stay text (the engine parses its own dates).
- Alias expansion is bounded (:data:`MAX_NODES`), so a small file cannot
  expand into a huge one.
- Every value's position is kept: ``marks[path] = (line, column)``, 1-based,
  where ``path`` is a tuple of keys and list indexes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from .errors import ProfileError

MAX_NODES = 200_000

Path = tuple  # tuple[str | int, ...]


class Loaded:
    """A parsed YAML document with the position of every value and key."""

    def __init__(self, data: Any, marks: dict[Path, tuple[int, int]], key_marks: dict[Path, tuple[int, int]]):
        self.data = data
        self.marks = marks
        self.key_marks = key_marks

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
            raise ProfileError("special float values (.inf, .nan) are not allowed", file=file,
                               line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                               expected="a finite number", found=value) from None
        if not d.is_finite():
            raise ProfileError("special float values are not allowed", file=file,
                               line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                               expected="a finite number", found=value)
        return d
    if tag.startswith("tag:yaml.org,2002:") and tag.rsplit(":", 1)[1] in ("str", "timestamp", "binary"):
        return value
    raise ProfileError(f"YAML tag {tag} is not allowed in a profile", file=file,
                       line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                       expected="plain values (text, numbers, true/false)", found=tag)


def load_yaml(text: str, file: str = "<profile>") -> Loaded:
    """Parse ``text`` strictly.

    Raises:
        ProfileError: on YAML syntax errors (with line/column), duplicate keys,
            non-text keys, unsafe tags, or too many nodes after alias expansion.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ProfileError(f"YAML syntax error: {e.problem}", file=file,
                           line=mark.line + 1 if mark else None,
                           column=mark.column + 1 if mark else None,
                           hint="check indentation and that every 'key: value' has a space after the colon") from None
    marks: dict[Path, tuple[int, int]] = {}
    key_marks: dict[Path, tuple[int, int]] = {}
    counter = [0]

    def build(node: yaml.Node, path: Path) -> Any:
        counter[0] += 1
        if counter[0] > MAX_NODES:
            raise ProfileError(f"profile expands to more than {MAX_NODES} values (aliases?)", file=file)
        marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, file)
        if isinstance(node, yaml.SequenceNode):
            return [build(child, path + (i,)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            seen: dict[str, int] = {}
            for key_node, value_node in _merged_pairs(node, file):
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ProfileError("keys must be plain text", file=file, line=key_node.start_mark.line + 1,
                                       column=key_node.start_mark.column + 1)
                key = key_node.value
                kline = key_node.start_mark.line + 1
                if key in seen:
                    raise ProfileError(f"duplicate key {key!r} (first at line {seen[key]})", file=file,
                                       line=kline, column=key_node.start_mark.column + 1,
                                       field=".".join(str(p) for p in path + (key,)),
                                       hint="a key may appear once in a mapping; merge the two entries")
                seen[key] = kline
                key_marks[path + (key,)] = (kline, key_node.start_mark.column + 1)
                out[key] = build(value_node, path + (key,))
            return out
        raise ProfileError("unsupported YAML node", file=file)

    data = build(root, ()) if root is not None else None
    return Loaded(data, marks, key_marks)


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
