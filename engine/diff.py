"""Semantic differences between two versions of a profile, what-if edits, and their impact.

Three questions an auditor asks, answered without any I/O:

* :func:`diff_profiles` — what changed between two profiles (two files, a file at
  two git revisions, the profiles of two stored runs), rule by rule, for every
  period in which the rules are constant; a difference found only in some years
  carries those years (``Change.years``).
* :func:`diff_years` — what changed in one profile between two years of its
  effective-dated rules, each change with the year it took effect.
* :func:`impact` — the same dataset evaluated under both versions: per person,
  per role, per fund and in total.

And one what-if: :func:`what_if` changes values of a profile by path
(``--set curves.graduazione.thresholds.0=65``) and validates the result.

The comparison is semantic, not textual: each version is resolved for a year
(variants and ``from``/``until`` applied), then walked as a tree of *rules*
(a curve, a role, a results component, a behaviour factor, a conciliation
step, …). Mappings are compared by key (order never matters, YAML anchors are
expanded), numbers exactly (``60`` = ``60.0``), formulas token by token
(``total/100`` = ``total / 100``), intervals by their ends (``[0,60]`` =
``[0, 60]``), and interval lists (curves, judgement bands) as partitions: a
moved cut between two intervals is reported as a *threshold* change. The
walk is generic, so a profile key this module has never heard of is still
compared (and reported by its path).

Each :class:`Change` has a ``category``: ``rule`` (what is computed changes),
``source`` (a cited document or section changes) or ``text`` (labels,
readings, notes). Wording is left to the edges (``smvp/commands/diff.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import tokenize
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import yaml

from .errors import TEXT_LANGS, Msg, ProfileError, ProfileErrors
from .intervals import Interval
from .profile import Profile, load_profile
from .profile_years import resolve_node
from .yamlload import load_yaml

__all__ = [
    "Change",
    "Cut",
    "Edit",
    "Impact",
    "ProfileDiff",
    "RuleNode",
    "Segment",
    "compare_tables",
    "diff_profiles",
    "diff_years",
    "impact",
    "parse_edit",
    "parse_path",
    "rule_table",
    "what_if",
]

# ----------------------------------------------------------------------------- the tree of rules

ANY = "*"

#: mappings whose entries are rules (id → rule)
CONTAINERS: tuple[tuple[str, ...], ...] = (
    ("curves",), ("judgements",), ("coefficients",), ("funds",), ("roles",), ("maggiorazioni",),
    ("absence_types",), ("documents",), ("not_defined",), ("organisational", "levels"),
    ("roles", ANY, "results", "components"), ("roles", ANY, "behaviours", "factors"),
    ("conciliation", "steps"), ("conciliation", "events"), ("cycle", "steps"), ("cycle", "events"),
    ("planning", "objective_types"), ("planning", "bodies"), ("readings",), ("norms",),
)

#: nested mappings that are rules of their own (not flattened into their parent)
SUBRULES: tuple[tuple[str, ...], ...] = (
    ("roles", ANY, "results"), ("roles", ANY, "behaviours"), ("roles", ANY, "negative"),
    ("roles", ANY, "evaluator"), ("organisational", "achievement"), ("conciliation", "conciliator"),
    ("planning", "monitoring"),
)

#: the kind of rule at a path (first match wins)
KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("curves", ANY), "curve"),
    (("judgements", ANY), "judgement"),
    (("coefficients", ANY), "coefficient"),
    (("funds", ANY), "fund"),
    (("roles", ANY), "role"),
    (("roles", ANY, "results"), "results"),
    (("roles", ANY, "results", "components", ANY), "component"),
    (("roles", ANY, "behaviours"), "behaviours"),
    (("roles", ANY, "behaviours", "factors", ANY), "factor"),
    (("roles", ANY, "negative"), "negative"),
    (("roles", ANY, "evaluator"), "evaluator"),
    (("maggiorazioni", ANY), "maggiorazione"),
    (("absence_types", ANY), "absence_type"),
    (("documents", ANY), "document"),
    (("not_defined", ANY), "not_defined"),
    (("organisational", "levels", ANY), "level"),
    (("organisational", "achievement"), "achievement"),
    (("organisational",), "organisational"),
    (("precision",), "precision"),
    (("money",), "money"),
    (("economies",), "economies"),
    (("conciliation",), "conciliation"),
    (("conciliation", "conciliator"), "conciliator"),
    (("conciliation", "steps", ANY), "conciliation_step"),
    (("conciliation", "events", ANY), "conciliation_event"),
    (("cycle",), "cycle"),
    (("cycle", "steps", ANY), "cycle_step"),
    (("cycle", "events", ANY), "cycle_event"),
    (("calendar",), "calendar"),
    (("planning",), "planning"),
    (("planning", "objective_types", ANY), "objective_type"),
    (("planning", "bodies", ANY), "body"),
    (("planning", "monitoring"), "monitoring"),
    (("readings", ANY), "reading"),
    (("norms", ANY), "norm"),
    (("extends",), "extends"),
    (("scheda",), "scheda"),
)

FORMULA_KEYS = {"value", "formula", "eligible", "amount"}
TEXT_KEYS = {"label", "reading", "note", "description", "title", "name", "hint"}
DATING_KEYS = {"from", "until", "variants"}
SET_LISTS = {"roles"}  # lists whose order does not matter (maggiorazioni.*.roles)


def _match(pattern: tuple[str, ...], path: tuple) -> bool:
    return len(pattern) == len(path) and all(p == ANY or p == x for p, x in zip(pattern, path))


def _kind(path: tuple) -> str:
    for pattern, kind in KINDS:
        if _match(pattern, path):
            return kind
    return "other"


def _is_container(path: tuple) -> bool:
    return any(_match(p, path) for p in CONTAINERS)


def _is_rule(path: tuple) -> bool:
    if len(path) == 1:
        return not _is_container(path)
    return _is_container(path[:-1]) or any(_match(p, path) for p in SUBRULES)


# ----------------------------------------------------------------------------- canonical values

def _num_text(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return format(d.normalize(), "f") if d == d.normalize() else str(x)


@dataclass(frozen=True)
class Formula:
    """A formula compared token by token (spaces and ``0.40``/``0.4`` do not matter)."""

    text: str = field(compare=False)
    key: str

    @classmethod
    def of(cls, text: str) -> Formula:
        return cls(str(text).strip(), _formula_key(str(text)))

    def __str__(self) -> str:
        return self.text


def _formula_key(text: str) -> str:
    try:
        parts = []
        for tok in tokenize.generate_tokens(io.StringIO(text.strip()).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
                continue
            if tok.type == tokenize.NUMBER:
                try:
                    parts.append(_num_text(Fraction(Decimal(tok.string))))
                    continue
                except Exception:  # noqa: BLE001 - keep the token as written
                    pass
            parts.append(tok.string)
        return " ".join(parts)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return " ".join(text.split())


def _interval_text(iv: Interval) -> str:
    hi = "inf" if iv.hi is None else _num_text(iv.hi)
    return f"{'[' if iv.lo_closed else '('}{_num_text(iv.lo)}, {hi}{']' if iv.hi_closed else ')'}"


@dataclass(frozen=True)
class Cut:
    """A boundary between two adjacent intervals: ``at``, and whether it belongs to the lower one."""

    at: Fraction
    below: bool

    def __str__(self) -> str:
        return _num_text(self.at)


@dataclass(frozen=True)
class Segment:
    """One item of an interval list (a curve interval, a judgement band): interval and payload."""

    interval: str  # canonical interval text
    lo: Fraction
    lo_closed: bool
    hi: Fraction | None
    hi_closed: bool
    payload: tuple[tuple[str, Any], ...]  # compared: e.g. (("value", Formula),) or (("id", "positiva"),)
    label: str | None = field(default=None, compare=False)

    def shown(self) -> str:
        """``[0, 60] → 0`` / ``(60, 100] positiva``."""
        vals = [str(v) for k, v in self.payload if k != "id"]
        ids = [str(v) for k, v in self.payload if k == "id"]
        return " ".join([self.interval, "→", *vals] if vals else [self.interval, *ids])


def _canon(name: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    if isinstance(value, str):
        if name in FORMULA_KEYS:
            return Formula.of(value)
        if name == "interval":
            try:
                return _interval_text(Interval.parse(value))
            except ValueError:
                return value
        return value
    if isinstance(value, list):
        items = tuple(_canon(name, v) for v in value)
        if name in SET_LISTS:
            items = tuple(sorted(items, key=repr))
        return items
    return value


def _segments(items: list) -> tuple[Segment, ...] | None:
    """An interval list as sorted segments, or None when it is not one."""
    if not items or not all(isinstance(i, dict) and isinstance(i.get("interval"), str) for i in items):
        return None
    out = []
    for item in items:
        try:
            iv = Interval.parse(item["interval"])
        except ValueError:
            return None
        payload = tuple(sorted((k, _canon(k, v)) for k, v in item.items()
                               if k != "interval" and k not in TEXT_KEYS and not isinstance(v, (dict, list))))
        out.append(Segment(_interval_text(iv), iv.lo, iv.lo_closed, iv.hi, iv.hi_closed, payload, item.get("label")))
    return tuple(sorted(out, key=lambda s: (s.lo, not s.lo_closed)))


# ----------------------------------------------------------------------------- rule nodes

@dataclass
class RuleNode:
    """One rule of a profile in force in one year.

    ``attrs``: attribute (dotted path below the rule) → canonical value;
    ``texts``: labels, readings and notes; ``source``: (document, section).
    """

    path: tuple
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # "" = the rule's own source
    layer: str | None = None  # the layer the rule is inherited from (national/italia), None: the profile's own

    @property
    def label(self) -> str | None:
        return self.texts.get("label") or self.texts.get("title") or self.texts.get("name")

    @property
    def source(self) -> tuple[str, str] | None:
        return self.sources.get("")


def _source(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and "document" in value:
        return (str(value.get("document")), str(value.get("section", "")))
    return None


def year_document(profile: Profile, year: int) -> dict:
    """The profile document with only what is in force in ``year`` (variants and dates applied).

    Raises:
        ProfileError(s): the year is outside the profile's validity, or the rules
            of that year do not hold together.
    """
    profile.for_year(year)
    data = {k: v for k, v in profile.data.items() if k != "chamber"}
    return resolve_node(data, year, (), {}) or {}


def rule_table(profile: Profile, year: int) -> dict[tuple, RuleNode]:
    """Every rule of ``profile`` in force in ``year``, by path, in document order."""
    table: dict[tuple, RuleNode] = {}
    _collect(year_document(profile, year), (), table, None)
    for path, node in table.items():
        node.layer = profile.layer_of(path)
    return table


def _collect(node: Any, path: tuple, table: dict, owner: RuleNode | None, rel: tuple = ()) -> None:
    """Walk ``node`` (at ``path``); attributes go to ``owner`` under ``rel``."""
    if path and _is_rule(path) and not rel:
        if not isinstance(node, dict):
            owner = table[path] = RuleNode(path, _kind(path))
            owner.attrs["value"] = _canon(str(path[-1]), node)
            return
        owner = table[path] = RuleNode(path, _kind(path))
        for k, v in node.items():
            _collect(v, path + (k,), table, owner, (k,))
        return
    if not path or _is_container(path):
        if isinstance(node, dict):
            for k, v in node.items():
                _collect(v, path + (k,), table, None)
        return
    if owner is None:  # defensive: a value outside any rule
        return
    name = ".".join(str(r) for r in rel)
    key = str(rel[-1])
    if key in DATING_KEYS:
        return
    if key == "source":
        src = _source(node)
        if src is not None:
            owner.sources[".".join(str(r) for r in rel[:-1])] = src
        return
    if key in TEXT_KEYS and (isinstance(node, str) or _is_langs(node)):
        owner.texts[name] = node
        return
    if isinstance(node, dict):
        if _is_rule(path) or _is_container(path):
            _collect(node, path, table, None)
            return
        for k, v in node.items():
            _collect(v, path + (k,), table, owner, rel + (k,))
        return
    if isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
        segs = _segments(node)
        if segs is not None:
            owner.attrs[name] = segs
            for i, s in enumerate(segs):
                if s.label is not None:
                    ident = dict(s.payload).get("id", i)
                    owner.texts[f"{name}[{ident}].label"] = s.label
            return
        for i, item in enumerate(node):
            ident = item.get("id", item.get("date", i))
            for k, v in item.items():
                _collect(v, path + (i, k), table, owner, rel[:-1] + (f"{key}[{ident}]", k))
        return
    owner.attrs[name] = _canon(key, node)


# ----------------------------------------------------------------------------- changes

@dataclass(frozen=True)
class Change:
    """One difference between two versions of a rule.

    Attributes:
        path: the rule's path in the (year-resolved) profile document.
        kind: curve, judgement, coefficient, fund, role, component, factor, negative,
            maggiorazione, absence_type, level, document, conciliation_step, validity, … or other.
        label: the rule's label (new version, else old); context: the role's label for
            rules inside a role.
        change: ``added``, ``removed`` or ``changed``.
        attribute: what changed (``threshold``, ``weights``, ``max``, ``tie_policy``,
            ``source``, ``reading``, ``label``, a dotted attribute path, …); None for added/removed.
        old, new: the values (Fraction, Formula, Cut, str, bool, tuples; None when absent).
        details: (what, old, new) triples, e.g. per results component for ``weights``.
        category: ``rule``, ``source`` or ``text``.
        source: (document, section) of the rule (new version, else old).
        years: None when the difference holds in every year compared, else (first, last or None).
    """

    path: tuple
    kind: str
    label: str | None
    context: str | None
    change: str
    attribute: str | None = None
    old: Any = None
    new: Any = None
    details: tuple = ()
    category: str = "rule"
    source: tuple[str, str] | None = field(default=None, compare=False)
    years: tuple[int, int | None] | None = field(default=None, compare=False)
    layer: str | None = field(default=None, compare=False)  # the layer the rule comes from (None: the profile)

    @property
    def identity(self) -> tuple:
        """What makes two changes the same (found in several periods, listed once); a text given
        per language (``{it: …, en: …}``) takes part as its sorted items."""
        return _hashable((self.path, self.kind, self.change, self.attribute, self.old, self.new, self.details,
                          self.category))

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": ".".join(str(p) for p in self.path), "kind": self.kind, "label": self.label,
            "context": self.context, "change": self.change, "attribute": self.attribute,
            "old": plain(self.old), "new": plain(self.new),
            "details": [{"what": plain(w), "old": plain(o), "new": plain(n)} for w, o, n in self.details],
            "category": self.category,
            "source": {"document": self.source[0], "section": self.source[1]} if self.source else None,
            "years": {"from": self.years[0], "until": self.years[1]} if self.years else None,
            "layer": self.layer,
        }


def _hashable(value: Any) -> Any:
    """``value`` with its mappings and lists as tuples (a change's values may be a text per
    language, a mapping)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """A change value as JSON data (exact numbers as decimal text when finite, else n/d)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Fraction):
        return _num_text(value)
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, Cut):
        return {"at": _num_text(value.at), "included_below": value.below}
    if isinstance(value, Segment):
        return value.shown()
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value):
            return {k: plain(v) for k, v in value}
        return [plain(v) for v in value]
    return str(value)


def _is_langs(node: Any) -> bool:
    """A text given per language (``{it: …, en: …}``; docs/profile.md, "Texts in more than one language")."""
    return isinstance(node, dict) and bool(node) and set(node) <= set(TEXT_LANGS)


def same_text(a: Any, b: Any) -> bool:
    """Whether two versions of a profile's text say the same: equal; or a plain string and
    the same text given per language that has it in one of its languages (adding a
    translation changes no text: ``"x"`` → ``{it: "…", en: "x"}`` is not a change)."""
    if a == b:
        return True
    if isinstance(a, str) and _is_langs(b):
        return a in b.values()
    if isinstance(b, str) and _is_langs(a):
        return b in a.values()
    return False


def _category(attribute: str) -> str:
    last = attribute.rsplit(".", 1)[-1]
    if last == "source" or attribute == "source":
        return "source"
    if last in TEXT_KEYS:
        return "text"
    return "rule"


def _summary(node: RuleNode) -> tuple:
    """What an added or removed rule says, briefly: its attributes (not nested lists of segments)."""
    out = []
    for k, v in node.attrs.items():
        if isinstance(v, tuple) and v and isinstance(v[0], Segment):
            out.append((k, tuple(s.shown() for s in v)))
        else:
            out.append((k, v))
    return tuple(out)


def _context(path: tuple, a: dict, b: dict) -> str | None:
    if path[:1] == ("roles",) and len(path) > 2:
        role = b.get(path[:2]) or a.get(path[:2])
        return role.label if role else str(path[1])
    return None


def _cite(path: tuple, table: dict) -> tuple[str, str] | None:
    p = path
    while p:
        node = table.get(p)
        if node is not None and node.source is not None:
            return node.source
        p = p[:-1]
    return None


def compare_tables(old: dict[tuple, RuleNode], new: dict[tuple, RuleNode]) -> list[Change]:
    """The changes from the rules ``old`` to the rules ``new`` (one year each), in document order."""
    out: list[Change] = []
    order = list(new) + [p for p in old if p not in new]
    gone: list[tuple] = []
    for path in order:
        if any(path[:len(g)] == g for g in gone):
            continue  # inside a rule added or removed as a whole
        a, b = old.get(path), new.get(path)
        node = b or a
        label = node.label or (a.label if a else None)
        ctx = _context(path, old, new)
        src = _cite(path, new) or _cite(path, old)
        mk = functools.partial(Change, path=path, kind=node.kind, label=label, context=ctx, source=src,
                               layer=node.layer)
        if a is None or b is None:
            gone.append(path)
            change = "added" if a is None else "removed"
            cat = "source" if node.kind == "document" else "rule"
            out.append(mk(change=change, old=_summary(a) if a else None, new=_summary(b) if b else None, category=cat))
            continue
        for name in list(b.attrs) + [n for n in a.attrs if n not in b.attrs]:
            va, vb = a.attrs.get(name), b.attrs.get(name)
            if va == vb:
                continue
            if isinstance(va, tuple) and isinstance(vb, tuple) and va and vb \
                    and isinstance(va[0], Segment) and isinstance(vb[0], Segment):
                out += [mk(**kw) for kw in _segment_changes(name, va, vb)]
                continue
            cat = "source" if node.kind == "document" else _category(name)
            out.append(mk(change="changed", attribute=name, old=va, new=vb, category=cat))
        for name in list(b.sources) + [n for n in a.sources if n not in b.sources]:
            if a.sources.get(name) != b.sources.get(name):
                attr = f"{name}.source" if name else "source"
                out.append(mk(change="changed", attribute=attr, old=a.sources.get(name), new=b.sources.get(name),
                              category="source"))
        for name in list(b.texts) + [n for n in a.texts if n not in b.texts]:
            if not same_text(a.texts.get(name), b.texts.get(name)):
                cat = "source" if node.kind == "document" else "text"
                if node.kind in ("evaluator", "conciliator") and name == "label":
                    cat = "rule"  # who evaluates (or conciliates) is a rule, not wording
                out.append(mk(change="changed", attribute=name, old=a.texts.get(name), new=b.texts.get(name),
                              category=cat))
    return _group_weights(out, old, new)


def _segment_changes(name: str, old: tuple[Segment, ...], new: tuple[Segment, ...]) -> list[dict]:
    """Threshold moves when the intervals keep their values; else per-interval or whole-list changes."""
    out: list[dict] = []
    if len(old) == len(new) and all(o.payload == n.payload for o, n in zip(old, new)):
        for i in range(len(old) - 1):
            co, cn = Cut(old[i].hi, old[i].hi_closed), Cut(new[i].hi, new[i].hi_closed)
            if co != cn:
                between = (old[i].shown(), old[i + 1].shown())
                out.append(dict(change="changed", attribute="threshold" if name != "bands" else "band_threshold",
                                old=co, new=cn, details=(("between", between, (new[i].shown(), new[i + 1].shown())),)))
        lo_o, lo_n = (old[0].lo, old[0].lo_closed), (new[0].lo, new[0].lo_closed)
        hi_o, hi_n = (old[-1].hi, old[-1].hi_closed), (new[-1].hi, new[-1].hi_closed)
        if lo_o != lo_n or hi_o != hi_n:
            out.append(dict(change="changed", attribute="range", old=_span(old), new=_span(new)))
        if out:
            return out
    if [s.interval for s in old] == [s.interval for s in new]:
        details = tuple((o.interval, o.shown(), n.shown()) for o, n in zip(old, new) if o.payload != n.payload)
        return [dict(change="changed", attribute=f"{name}.values", details=details)]
    return [dict(change="changed", attribute=name, old=tuple(s.shown() for s in old),
                 new=tuple(s.shown() for s in new))]


def _span(segs: tuple[Segment, ...]) -> str:
    """The interval covered by sorted segments, e.g. ``[0, 100]``."""
    first, last = segs[0], segs[-1]
    hi = "inf" if last.hi is None else _num_text(last.hi)
    return f"{'[' if first.lo_closed else '('}{_num_text(first.lo)}, {hi}{']' if last.hi_closed else ')'}"


def _group_weights(changes: list[Change], old: dict, new: dict) -> list[Change]:
    """Changes of the maximum points of a role's results components → one ``weights`` change per role."""
    groups: dict[tuple, list[Change]] = {}
    for c in changes:
        if c.kind == "component" and c.attribute == "max" and c.change == "changed":
            groups.setdefault(c.path[:2], []).append(c)
    if not groups:
        return changes
    out: list[Change] = []
    done: set = set()
    for c in changes:
        key = c.path[:2]
        if c.kind == "component" and c.attribute == "max" and c.change == "changed":
            if key in done:
                continue
            done.add(key)
            role = new.get(key) or old.get(key)
            members = groups[key]
            out.append(Change(path=key, kind="role", label=role.label if role else str(key[1]),
                              context=None, change="changed", attribute="weights",
                              details=tuple((m.label, m.old, m.new) for m in members),
                              category="rule", source=members[0].source))
            continue
        out.append(c)
    return out


# ----------------------------------------------------------------------------- two versions

@dataclass
class ProfileDiff:
    """The changes between two versions; ``years``: the years compared (one per constant period)."""

    changes: list[Change]
    years: list[int]
    old_years: tuple[int, int | None] = (0, None)
    new_years: tuple[int, int | None] = (0, None)
    mode: str = "profiles"  # profiles | years

    @property
    def rule_changes(self) -> list[Change]:
        return [c for c in self.changes if c.category == "rule"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "years_compared": self.years,
            "changes": [c.as_dict() for c in self.changes],
            "counts": {cat: sum(1 for c in self.changes if c.category == cat) for cat in ("rule", "source", "text")},
        }


def _validity_changes(old: Profile, new: Profile) -> list[Change]:
    out = []
    co, cn = old.data["chamber"], new.data["chamber"]
    mk = lambda **kw: Change(path=("chamber",), kind="chamber", label=cn.get("name"), context=None, **kw)
    if co.get("id") != cn.get("id"):
        out.append(mk(change="changed", attribute="id", old=co.get("id"), new=cn.get("id")))
    if (old.valid_from, old.valid_until) != (new.valid_from, new.valid_until):
        out.append(mk(change="changed", attribute="validity", old=(old.valid_from, old.valid_until),
                      new=(new.valid_from, new.valid_until), source=_source(cn["validity"].get("source"))))
    so, sn = _source(co["validity"].get("source")), _source(cn["validity"].get("source"))
    if so != sn:
        out.append(mk(change="changed", attribute="validity.source", old=so, new=sn, category="source"))
    for key in ("name", "seat"):
        if co.get(key) != cn.get(key):
            out.append(mk(change="changed", attribute=key, old=co.get(key), new=cn.get(key), category="text"))
    if not same_text(co["validity"].get("reading"), cn["validity"].get("reading")):
        out.append(mk(change="changed", attribute="validity.reading", old=co["validity"].get("reading"),
                      new=cn["validity"].get("reading"), category="text"))
    return out


def _periods(old: Profile, new: Profile) -> list[tuple[int, int, int | None]]:
    """(year of old, year of new, last year of the period or None) for each period compared."""
    lo = max(old.valid_from, new.valid_from)
    ends = [u for u in (old.valid_until, new.valid_until) if u is not None]
    hi = min(ends) if ends else None
    if hi is not None and hi < lo:  # successive systems: the last rules of one, the first of the other
        return [(old.valid_until or old.valid_from, new.valid_from, None)]
    starts = sorted({lo} | {y for y in (*old.boundary_years, *new.boundary_years) if lo < y and (hi is None or y <= hi)})
    return [(y, y, (starts[i + 1] - 1) if i + 1 < len(starts) else hi) for i, y in enumerate(starts)]


def diff_profiles(old: Profile, new: Profile) -> ProfileDiff:
    """Rule-by-rule changes from ``old`` to ``new`` over the years both govern.

    The rules are compared in each period in which both are constant; a change
    found in every period has ``years`` None, else the span of years where it holds.
    When the two profiles govern no common year (one system replaced by the
    next), the last rules of ``old`` are compared with the first rules of ``new``.
    """
    periods = _periods(old, new)
    seen: dict[tuple, tuple[Change, list[int]]] = {}
    for i, (ya, yb, _) in enumerate(periods):
        for c in compare_tables(rule_table(old, ya), rule_table(new, yb)):
            if c.identity not in seen:
                seen[c.identity] = (c, [])
            seen[c.identity][1].append(i)
    changes = _validity_changes(old, new)
    shared = len(periods) > 1 or periods[0][0] == periods[0][1]
    for c, idx in seen.values():
        if len(idx) == len(periods) or not shared:
            changes.append(c)
            continue
        for run in _runs(idx):
            first, last = periods[run[0]][1], periods[run[-1]][2]
            changes.append(dataclasses.replace(c, years=(first, last)))
    return ProfileDiff(changes, [p[1] for p in periods], (old.valid_from, old.valid_until),
                       (new.valid_from, new.valid_until), "profiles")


def _runs(idx: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in idx:
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def diff_years(profile: Profile, year_old: int, year_new: int) -> ProfileDiff:
    """Changes of one profile's rules from ``year_old`` to ``year_new``, each with the year it took effect."""
    t_old, t_new = rule_table(profile, year_old), rule_table(profile, year_new)
    changes = compare_tables(t_old, t_new)
    lo, hi = sorted((year_old, year_new))
    steps = [y for y in profile.boundary_years if lo < y <= hi]
    if year_new > year_old and steps:
        prev, seen = t_old, []
        for y in steps:
            t = rule_table(profile, y)
            seen.append((y, {(c.path, c.attribute) for c in compare_tables(prev, t)}))
            prev = t
        dated = []
        for c in changes:
            since = [y for y, keys in seen if (c.path, c.attribute) in keys]
            dated.append(dataclasses.replace(c, years=(since[-1], None)) if since else c)
        changes = dated
    return ProfileDiff(changes, [year_old, year_new], (year_old, year_old), (year_new, year_new), "years")


# ----------------------------------------------------------------------------- what-if edits

@dataclass(frozen=True)
class Edit:
    """``--set PATH=VALUE`` (``value`` is the text after ``=``) or ``--unset PATH`` (value None, unset True)."""

    path: tuple
    text: str
    value: str | None
    unset: bool = False


_INDEX = re.compile(r"\[(-?\d+)\]")


def parse_path(text: str) -> tuple:
    """``curves.graduazione.intervals.0.interval`` or ``…intervals[0].interval`` → key/index tuple.

    Raises:
        ValueError: an empty path or an empty segment.
    """
    t = _INDEX.sub(r".\1", text.strip())
    parts = t.split(".")
    if not t or any(p == "" for p in parts):
        raise ValueError(Msg("{text!r} is not a profile path; write keys separated by dots, e.g. "
                             "roles.dipendente.negative.behaviour_below", text=text))
    return tuple(int(p) if re.fullmatch(r"-?\d+", p) else p for p in parts)


def parse_edit(text: str, unset: bool = False) -> Edit:
    """``PATH=VALUE`` → :class:`Edit` (raises ValueError with what is expected)."""
    if unset:
        return Edit(parse_path(text), text, None, True)
    if "=" not in text:
        raise ValueError(Msg("{text!r}: write PATH=VALUE, e.g. curves.graduazione.thresholds.0=65", text=text))
    path, _, value = text.partition("=")
    return Edit(parse_path(path), text, value)


def _value(text: str, current: Any) -> Any:
    """The YAML value of ``text``; text stays text where the profile holds text (intervals, formulas)."""
    if isinstance(current, str):
        return text
    try:
        return load_yaml(text, "<--set>").data
    except ProfileError:
        return text


def _describe(node: Any) -> Msg:
    if isinstance(node, dict):
        return Msg("a mapping with keys {keys}", keys=", ".join(map(str, node))) if node else Msg("an empty mapping")
    if isinstance(node, list):
        return (Msg("a list of {n} item(s) (indexes 0–{last})", n=len(node), last=len(node) - 1) if node
                else Msg("an empty list"))
    return Msg("the value {value!r}", value=node)


def _thresholds(parent: dict, index: Any, value_text: str, where: str) -> None:
    """Move the cut number ``index`` (0 = lowest) between two adjacent intervals of ``parent``."""
    key = next((k for k in ("intervals", "bands") if isinstance(parent.get(k), list)), None)
    items = parent.get(key) if key else None
    if not items or not all(isinstance(i, dict) and isinstance(i.get("interval"), str) for i in items):
        raise ValueError(Msg("{where}: 'thresholds' needs a rule with a list of intervals (a curve or judgement bands)",
                             where=where))
    order = sorted(range(len(items)), key=lambda i: (Interval.parse(items[i]["interval"]).lo,
                                                     not Interval.parse(items[i]["interval"]).lo_closed))
    if not isinstance(index, int) or not 0 <= index < len(items) - 1:
        raise ValueError(Msg("{where}: there are {n} thresholds (0–{last}), not {index!r}", where=where,
                             n=len(items) - 1, last=len(items) - 2, index=index))
    try:
        at = Fraction(Decimal(value_text.strip()))
    except Exception:  # noqa: BLE001
        raise ValueError(Msg("{where}: a threshold is a number, not {value!r}", where=where, value=value_text)) from None
    low, high = items[order[index]], items[order[index + 1]]
    lo_iv, hi_iv = Interval.parse(low["interval"]), Interval.parse(high["interval"])
    low["interval"] = f"{'[' if lo_iv.lo_closed else '('}{_num_text(lo_iv.lo)}, {_num_text(at)}{']' if lo_iv.hi_closed else ')'}"
    hi_end = "inf" if hi_iv.hi is None else _num_text(hi_iv.hi)
    high["interval"] = f"{'[' if hi_iv.lo_closed else '('}{_num_text(at)}, {hi_end}{']' if hi_iv.hi_closed else ')'}"


def apply_edit(data: dict, edit: Edit) -> None:
    """Apply one edit to a profile document in place (raises ValueError naming the path)."""
    node: Any = data
    path = edit.path
    for i, key in enumerate(path[:-1]):
        where = ".".join(map(str, path[:i + 1]))
        if key == "thresholds" and i == len(path) - 2 and isinstance(node, dict):
            if edit.unset:
                raise ValueError(Msg("{where}: a threshold cannot be removed; set it instead", where=where))
            _thresholds(node, path[-1], edit.value or "", where)
            return
        node = _step(node, key, where, path)
    last = path[-1]
    where = ".".join(map(str, path))
    if isinstance(node, dict):
        if edit.unset:
            if last not in node:
                raise ValueError(Msg("{where}: nothing to remove (found {found})", where=where, found=_describe(node)))
            del node[last]
        else:
            node[last] = _value(edit.value or "", node.get(last))
    elif isinstance(node, list) and isinstance(last, int):
        if edit.unset:
            if not -len(node) <= last < len(node):
                raise ValueError(Msg("{where}: no item {item} in {found}", where=where, item=last,
                                     found=_describe(node)))
            del node[last]
        elif last == len(node):
            node.append(_value(edit.value or "", None))
        elif -len(node) <= last < len(node):
            node[last] = _value(edit.value or "", node[last])
        else:
            raise ValueError(Msg("{where}: no item {item} in {found}; use index {n} to append", where=where,
                                 item=last, found=_describe(node), n=len(node)))
    else:
        raise ValueError(Msg("{where}: cannot set {key!r} inside {found}", where=where, key=last,
                             found=_describe(node)))


def _step(node: Any, key: Any, where: str, path: tuple) -> Any:
    if isinstance(node, dict):
        if key in node:
            return node[key]
        if str(key) in node:
            return node[str(key)]
        if isinstance(node.get("variants"), list):
            spans = ", ".join(f"{i}: {v.get('from')}–{v.get('until') or ''}" for i, v in enumerate(node["variants"])
                              if isinstance(v, dict))
            parent = where.rsplit(".", 1)[0] if "." in where else where
            raise ValueError(Msg("{where}: this rule has variants by year ({spans}); write {path}", where=where,
                                 spans=spans,
                                 path=f"{parent}.variants.<n>.{'.'.join(map(str, path[path.index(key):]))}"))
        raise ValueError(Msg("{where}: no key {key!r} (found {found})", where=where, key=key, found=_describe(node)))
    if isinstance(node, list):
        if isinstance(key, int) and -len(node) <= key < len(node):
            return node[key]
        raise ValueError(Msg("{where}: no item {key!r} in {found}", where=where, key=key, found=_describe(node)))
    raise ValueError(Msg("{where}: {parent!r} is {found}, it has no {key!r}", where=where,
                         parent=path[path.index(key) - 1], found=_describe(node), key=key))


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _decimal(dumper: yaml.SafeDumper, d: Decimal):
    text = format(d, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _decimal)


def what_if(profile: Profile, edits: list[Edit]) -> Profile:
    """``profile`` with ``edits`` applied, validated like any profile.

    The edited document is written out as YAML and loaded with
    :func:`engine.profile.load_profile`; errors are reported at the line of the
    original file where the edited path is (or its nearest parent).

    Raises:
        ValueError: a path that does not exist (with what is there instead).
        ProfileErrors: the edited profile is not valid.
    """
    import copy

    data = copy.deepcopy(profile.data)
    for e in edits:
        apply_edit(data, e)
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    shown = ", ".join(("--unset " if e.unset else "--set ") + e.text for e in edits)
    try:
        return load_profile(f"{profile.path} ({shown})", text=text)
    except ProfileErrors as es:
        out = []
        for e in es.errors:
            path = tuple(int(p) if p.lstrip("-").isdigit() else p for p in (e.field or "").split(".") if p)
            line, col = profile.loaded.position(path)
            message = re.sub(r"\s*\(lines? \d+( and \d+)?\)", "", e.message)  # lines of the edited text
            out.append(dataclasses.replace(e, message=message, file=profile.path, line=line, column=col,
                                           hint=((e.hint + ". ") if e.hint else "") + f"After {shown}"))
        raise ProfileErrors(out) from None


# ----------------------------------------------------------------------------- impact

PERSON_FIELDS = ("total", "judgement_label", "negative", "premium", "maggiorazione", "paid")
MONEY = ("premium", "maggiorazione", "paid")


def _d(x: Any) -> Decimal:
    return Decimal(0) if x is None else Decimal(x)


@dataclass
class Impact:
    """What changes for people and money when the same dataset is evaluated under two versions.

    ``people``: one dict per person (in the union), sorted by size of change (paid,
    then total); keys person_id, name, role, role_label, old/new (dicts of
    PERSON_FIELDS, None when the person is not in that evaluation), delta
    (total, premium, maggiorazione, paid), changed (bool), judgement_changed.
    ``roles``, ``funds``: per role and per fund, old/new/delta sums;
    ``totals``: distributed, economies, resources, paid, people changed;
    ``projects``: the project valuation under both versions (None when neither values
    projects), see :func:`project_impact`.
    """

    year_old: int
    year_new: int
    people: list[dict]
    roles: list[dict]
    funds: list[dict]
    totals: dict
    projects: dict | None = None

    @property
    def projects_changed(self) -> bool:
        return bool(self.projects and self.projects["changed"])

    @property
    def changed_people(self) -> list[dict]:
        return [p for p in self.people if p["changed"]]

    def as_dict(self) -> dict[str, Any]:
        def j(x):
            if isinstance(x, Decimal):
                return str(x)
            if isinstance(x, dict):
                return {k: j(v) for k, v in x.items()}
            if isinstance(x, list):
                return [j(v) for v in x]
            return x
        return j({"year_old": self.year_old, "year_new": self.year_new, "people": self.people,
                  "roles": self.roles, "funds": self.funds, "totals": self.totals, "projects": self.projects})


def impact(old_ev: Any, new_ev: Any) -> Impact:
    """Compare two evaluations of the same people (``Evaluation.rows()`` and ``funds()``)."""
    rows_old = {r["person_id"]: r for r in old_ev.rows()}
    rows_new = {r["person_id"]: r for r in new_ev.rows()}
    people = []
    for pid in list(rows_new) + [p for p in rows_old if p not in rows_new]:
        o, n = rows_old.get(pid), rows_new.get(pid)
        base = n or o
        po = {k: o.get(k) for k in PERSON_FIELDS} if o else None
        pn = {k: n.get(k) for k in PERSON_FIELDS} if n else None
        delta = {k: _d((pn or {}).get(k)) - _d((po or {}).get(k)) for k in ("total", *MONEY)}
        jchanged = (po or {}).get("judgement_label") != (pn or {}).get("judgement_label")
        people.append({"person_id": pid, "name": base.get("name"), "role": base.get("role"),
                       "role_label": base.get("role_label"), "old": po, "new": pn, "delta": delta,
                       "judgement_changed": jchanged,
                       "changed": po != pn})
    people.sort(key=lambda p: (-abs(p["delta"]["paid"]), -abs(p["delta"]["total"]), not p["judgement_changed"],
                               str(p["person_id"])))
    roles: dict[str, dict] = {}
    for p in people:
        r = roles.setdefault(p["role"], {"role": p["role"], "role_label": p["role_label"], "people": 0, "changed": 0,
                                         **{f"{k}_{s}": Decimal(0) for k in MONEY for s in ("old", "new")}})
        r["people"] += 1
        r["changed"] += int(p["changed"])
        for k in MONEY:
            r[f"{k}_old"] += _d((p["old"] or {}).get(k))
            r[f"{k}_new"] += _d((p["new"] or {}).get(k))
    role_list = []
    for r in roles.values():
        r.update({f"{k}_delta": r[f"{k}_new"] - r[f"{k}_old"] for k in MONEY})
        role_list.append(r)
    role_list.sort(key=lambda r: (-abs(r["paid_delta"]), str(r["role"])))
    f_old = {f["fund"]: f for f in old_ev.funds()}
    f_new = {f["fund"]: f for f in new_ev.funds()}
    funds = []
    for fid in list(f_new) + [f for f in f_old if f not in f_new]:
        o, n = f_old.get(fid) or {}, f_new.get(fid) or {}
        row = {"fund": fid, "label": (n or o).get("label")}
        for k in ("resources", "distributed", "economies"):
            row[f"{k}_old"], row[f"{k}_new"] = _d(o.get(k)), _d(n.get(k))
            row[f"{k}_delta"] = row[f"{k}_new"] - row[f"{k}_old"]
        funds.append(row)
    funds.sort(key=lambda f: (-abs(f["distributed_delta"]), str(f["fund"])))
    totals = {"people": len(people), "people_changed": sum(p["changed"] for p in people),
              "judgements_changed": sum(p["judgement_changed"] for p in people)}
    for k in ("resources", "distributed", "economies"):
        totals[f"{k}_old"] = sum((f[f"{k}_old"] for f in funds), Decimal(0))
        totals[f"{k}_new"] = sum((f[f"{k}_new"] for f in funds), Decimal(0))
        totals[f"{k}_delta"] = totals[f"{k}_new"] - totals[f"{k}_old"]
    for k in MONEY:
        totals[f"{k}_old"] = sum((_d((p["old"] or {}).get(k)) for p in people), Decimal(0))
        totals[f"{k}_new"] = sum((_d((p["new"] or {}).get(k)) for p in people), Decimal(0))
        totals[f"{k}_delta"] = totals[f"{k}_new"] - totals[f"{k}_old"]
    names = {p["person_id"]: p["name"] for p in people}
    return Impact(old_ev.year, new_ev.year, people, role_list, funds, totals,
                  project_impact(_projects(old_ev), _projects(new_ev), names))


def _projects(ev: Any) -> dict | None:
    get = getattr(ev, "projects", None)
    return get() if callable(get) else None


def project_impact(old: dict | None, new: dict | None, names: dict | None = None) -> dict | None:
    """The project valuation (``Evaluation.projects()``, Brescia §5) under two versions: Decimal euro.

    ``funds``: per valued fund, unit value, points, total and percent of the fund, old/new
    (and ``total_delta``); ``projects``: per project and fund, its value old/new/delta
    (None where the fund does not finance it in that version); ``units``: per fund and
    unit, the allocation old/new/delta; ``people``: per fund and person, their part of
    the unit's allocation by allocation key (position pay, or one head), old/new/delta;
    ``changed``: whether any of these differ. None when neither version values projects.
    Lists keep the new version's order, then what only the old one has.
    """
    if old is None and new is None:
        return None
    names = names or {}
    fo = {f["fund"]: f for f in (old or {}).get("funds", [])}
    fn = {f["fund"]: f for f in (new or {}).get("funds", [])}
    order = list(fn) + [k for k in fo if k not in fn]

    def delta(a: Any, b: Any) -> Decimal:
        return _d(b) - _d(a)

    funds = []
    for fid in order:
        a, b = fo.get(fid) or {}, fn.get(fid) or {}
        row = {"fund": fid, "label": (b or a).get("label")}
        for k in ("unit_value", "points", "total", "percent_of_fund"):
            row[f"{k}_old"], row[f"{k}_new"] = a.get(k), b.get(k)
        row["total_delta"] = delta(a.get("total"), b.get("total"))
        funds.append(row)
    po = {p["objective_id"]: p for p in (old or {}).get("projects", [])}
    pn = {p["objective_id"]: p for p in (new or {}).get("projects", [])}
    projects = []
    for oid in list(pn) + [k for k in po if k not in pn]:
        a, b = po.get(oid) or {}, pn.get(oid) or {}
        for fid in order:
            vo, vn = (a.get("values") or {}).get(fid), (b.get("values") or {}).get(fid)
            if vo is None and vn is None:
                continue
            projects.append({"objective_id": oid, "label": (b or a).get("label"), "fund": fid,
                             "relevance_old": a.get("relevance"), "relevance_new": b.get("relevance"),
                             "coefficient_old": a.get("coefficient"), "coefficient_new": b.get("coefficient"),
                             "value_old": vo, "value_new": vn, "delta": delta(vo, vn)})
    units, persons = [], []
    for fid in order:
        a, b = fo.get(fid) or {}, fn.get(fid) or {}
        ao = {x["unit_id"]: x for x in a.get("allocation") or []}
        an = {x["unit_id"]: x for x in b.get("allocation") or []}
        for uid in list(an) + [u for u in ao if u not in an]:
            x, y = ao.get(uid) or {}, an.get(uid) or {}
            units.append({"fund": fid, "unit_id": uid, "label": (y or x).get("label"), "key_old": x.get("key"),
                          "key_new": y.get("key"), "amount_old": x.get("amount"), "amount_new": y.get("amount"),
                          "delta": delta(x.get("amount"), y.get("amount"))})
        qo = {x["person_id"]: x for x in a.get("people") or []}
        qn = {x["person_id"]: x for x in b.get("people") or []}
        for pid in list(qn) + [q for q in qo if q not in qn]:
            x, y = qo.get(pid) or {}, qn.get(pid) or {}
            persons.append({"fund": fid, "person_id": pid, "name": names.get(pid), "unit_id": (y or x).get("unit_id"),
                            "key_old": x.get("key"), "key_new": y.get("key"), "amount_old": x.get("amount"),
                            "amount_new": y.get("amount"), "delta": delta(x.get("amount"), y.get("amount"))})

    def moved(rows: list[dict], *keys: str) -> bool:
        return any(r[f"{k}_old"] != r[f"{k}_new"] for r in rows for k in keys)

    changed = (moved(funds, "unit_value", "points", "total", "percent_of_fund") or moved(projects, "value")
               or moved(units, "amount", "key") or moved(persons, "amount", "key"))
    return {"funds": funds, "projects": projects, "units": units, "people": persons, "changed": changed}
