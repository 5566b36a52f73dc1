"""Effective dating: what of a profile's document is in force in a year.

Any rule may carry ``from``/``until`` (years, both ends included); a rule that changes over
time is written ``{variants: [{from: 2022, until: 2024, ...}, {from: 2025, ...}]}``. The
functions here keep what is in force in a year and map a resolved path back to the path as
written (for messages and traces), and walk a document's mappings in document order.
"""

from __future__ import annotations

from typing import Any


def walk(node, path=()):
    """Every (path, value) of a document, parents before children, in document order."""
    stack = [(path, node)]
    pop, push = stack.pop, stack.extend
    while stack:
        here, value = pop()
        yield here, value
        if isinstance(value, dict):
            push([(here + (k,), v) for k, v in reversed(value.items())])
        elif isinstance(value, list):
            push([(here + (i,), value[i]) for i in range(len(value) - 1, -1, -1)])


def dicts(node, path=()):
    """Every (path, mapping) of a document, parents before children, in document order
    (:func:`walk` restricted to mappings, without visiting the other values)."""
    return iter(_collect_dicts(node, path, []))


def _collect_dicts(node, path: tuple, out: list) -> list:
    """:func:`dicts` into ``out``, recursively (a loaded document is at most
    yamlload.MAX_DEPTH levels deep; a list is built about twice as fast as a generator)."""
    if isinstance(node, dict):
        out.append((path, node))
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                _collect_dicts(v, path + (k,), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                _collect_dicts(v, path + (i,), out)
    return out




def resolve_node(node, year: int, path: tuple, origin: dict):
    """Keep what is in force in ``year``; record resolved path → original path."""
    if isinstance(node, dict):
        if "variants" in node and isinstance(node["variants"], list):
            for i, v in enumerate(node["variants"]):
                if isinstance(v, dict) and in_force(v, year):
                    return resolve_node(v, year, path + ("variants", i), origin)
            return None
        if not in_force(node, year):
            return None
        out = {}
        for k, v in node.items():
            r = resolve_node(v, year, path + (k,), origin)
            if r is not None or v is None:
                out[k] = r
                origin[path + (k,)] = path + (k,)
        return out
    if isinstance(node, list):
        return [resolve_node(v, year, path + (i,), origin) for i, v in enumerate(node)]
    return node


def resolve_year(node, year: int):
    """:func:`resolve_node` without recording paths (the builder does not need them)."""
    if isinstance(node, dict):
        variants = node.get("variants") if "variants" in node else None
        if isinstance(variants, list):
            for v in variants:
                if isinstance(v, dict) and in_force(v, year):
                    return resolve_year(v, year)
            return None
        if not in_force(node, year):
            return None
        out = {}
        for k, v in node.items():
            r = resolve_year(v, year) if isinstance(v, (dict, list)) else v
            if r is not None or v is None:
                out[k] = r
        return out
    if isinstance(node, list):
        return [resolve_year(v, year) if isinstance(v, (dict, list)) else v for v in node]
    return node


def original_path(data: Any, year: int, keys) -> tuple:
    """The path in the profile as written of a path in the rules resolved for ``year``.

    A rule written ``{variants: [...]}`` resolves to the variant in force; its
    original path goes through ``variants.<i>``. Used to point messages and
    traces at the right line.
    """
    def variant(node):
        if isinstance(node, dict) and isinstance(node.get("variants"), list):
            for i, v in enumerate(node["variants"]):
                if isinstance(v, dict) and in_force(v, year):
                    return i, v
        return None

    node, out = data, []
    for k in keys:
        if isinstance(node, dict) and k not in node and (hit := variant(node)):
            out += ["variants", hit[0]]
            node = hit[1]
        out.append(k)
        if isinstance(node, dict):
            node = node.get(k)
        elif isinstance(node, list) and isinstance(k, int) and k < len(node):
            node = node[k]
        else:
            node = None
    if hit := variant(node):
        out += ["variants", hit[0]]
    return tuple(out)


def in_force(node: dict, year: int) -> bool:
    """Whether a rule's ``from``/``until`` (years, both included; either absent: open) hold ``year``."""
    f, u = node.get("from"), node.get("until")
    if isinstance(f, int) and year < f:
        return False
    if isinstance(u, int) and year > u:
        return False
    return True

