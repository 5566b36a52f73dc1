"""Chamber profiles: load, validate (schema + semantics), resolve for a year.

A profile is data: ``chambers/<chamber>.yaml`` validated by
``schema/profile.schema.json`` (JSON Schema 2020-12), by the period checks here
(effective dates that do not overlap), by the terms' checks (calendar,
conciliation and cycle steps: :mod:`smvp_engine.deadlines`) and by the semantic
checks of each year's rules (:mod:`smvp_engine.profile_build`: intervals that
partition their domain, maxima that add up to the role total, references to
defined roles/funds/curves/levels, formulas that use known names only). Every
error carries ``file:line:column`` and the dotted path of the offending item.

Effective dating (:mod:`smvp_engine.profile_years`): any rule may carry
``from``/``until`` (years, inclusive); a rule that changes over time is written
``{variants: [{from: 2022, until: 2024, ...}, {from: 2025, ...}]}``.
:meth:`Profile.for_year` picks what is in force in a year and returns a typed,
immutable :class:`Resolved` profile (:mod:`smvp_engine.profile_model`).

Layout: this module loads a profile (layers it ``extends`` included) and says its
schema errors in the user's words; the other three build its rules.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import TEXT_LANGS, Msg, ProfileError, ProfileErrors, SmvpError, text_of
from .profile_build import Diagnostics, build, build_rules, gap_kind, norms_only, resolved_document
from .profile_model import Resolved
from .profile_years import dicts, in_force
from .resources import load_schema
from .yamlload import Loaded, load_yaml

if TYPE_CHECKING:  # imported where a profile is checked against the schema
    import jsonschema

# ---------------------------------------------------------------- the profile

@dataclass
class Profile:
    """A loaded, validated profile.

    Attributes:
        path: the file it was read from.
        text: its exact text (stored with every run).
        sha256: hash of ``text``.
        data: the parsed document.
        warnings: things the user should know (e.g. incomplete for individual scoring).
    """

    path: str
    text: str
    sha256: str
    loaded: Loaded
    warnings: list[str] = field(default_factory=list)
    #: the layer this profile ``extends`` (national rules), loaded; None for a profile without one
    base: "Profile | None" = None
    #: (section, id) → the layer it was inherited from (e.g. ``("absence_types", "lutto")`` →
    #: ``"national/italia"``); a rule the profile defines itself is not listed
    inherited: dict = field(default_factory=dict)
    #: (section, id) → the layer whose rule of the same id this profile overrides with its own
    overrides: dict = field(default_factory=dict)
    #: year → the rules in force (:meth:`for_year` builds them once; Resolved is immutable)
    resolved: dict = field(default_factory=dict, repr=False, compare=False)

    def layer_of(self, path) -> str | None:
        """The layer a rule path comes from: the name of the base layer (``national/italia``) for an
        inherited rule, None for a rule of this profile."""
        return self.inherited.get(tuple(path[:2])) if len(path) >= 2 else None

    @property
    def data(self) -> dict:
        return self.loaded.data

    @property
    def chamber_id(self) -> str:
        return self.data["chamber"]["id"]

    @property
    def chamber_name(self) -> str:
        return self.data["chamber"]["name"]

    @property
    def valid_from(self) -> int:
        return int(self.data["chamber"]["validity"]["from"])

    @property
    def valid_until(self) -> int | None:
        u = self.data["chamber"]["validity"].get("until")
        return int(u) if u is not None else None

    @property
    def validity_text(self) -> str:
        return f"{self.valid_from}–{self.valid_until or ''}"

    def error(self, message: str, path: tuple = (), key: bool = False, **kw) -> ProfileError:
        line, col = self.loaded.position(path, key=key)
        return ProfileError(message, file=self.path, line=line, column=col,
                            field=".".join(str(p) for p in path) or None, **kw)

    def check_year(self, year: int) -> None:
        """Raise ProfileError if ``year`` is outside the profile's validity period."""
        if year < self.valid_from or (self.valid_until is not None and year > self.valid_until):
            v = self.data["chamber"]["validity"]
            raise self.error(
                Msg('the {chamber_name} profile does not cover {year}: it is valid {validity_text}', chamber_name=self.chamber_name, year=year, validity_text=self.validity_text),
                ("chamber", "validity"), expected=Msg('a year in {validity_text}', validity_text=self.validity_text), found=str(year),
                hint=Msg("{reading} Use a profile valid for that year.", reading=text_of(v.get("reading")) or ""))

    def for_year(self, year: int) -> Resolved:
        """The rules in force in ``year``.

        Raises:
            ProfileError: when the year is outside the profile's validity.
        """
        self.check_year(year)
        rules = self.resolved.get(year)
        if rules is None:
            # a year whose rules are those of a year already built (every rule in force in one is in
            # force in the other) shares them: the same Resolved but for its ``year``
            same = next((y for y in self.resolved if self._same_rules(y, year)), None)
            rules = dataclasses.replace(self.resolved[same], year=year) if same is not None else build(self, year)
            self.resolved[year] = rules
        return rules

    @cached_property
    def _spans(self) -> tuple:
        """(from, until) of every mapping of the document that resolution may keep or drop by year
        (the ``chamber`` block is not resolved; a mapping without from/until is always in force)."""
        return tuple(dict.fromkeys(
            (v.get("from"), v.get("until")) for path, v in self._temporal
            if path[:1] != ("chamber",) and ("from" in v or "until" in v)))

    @cached_property
    def _mappings(self) -> list[tuple[tuple, dict]]:
        """Every (path, mapping) of the document (:func:`~smvp_engine.profile_years.dicts`), walked once: the loader's checks
        and the period rules read them several times."""
        return list(dicts(self.data))

    @cached_property
    def timed_blocks(self) -> frozenset[str] | None:
        """The top-level keys whose block has a mapping with ``from``, ``until`` or ``variants``
        (the only blocks that resolving a year can change); None when the document itself has one."""
        timed = set()
        for path, _v in self._temporal:
            if not path:
                return None
            timed.add(path[0])
        return frozenset(timed)

    @cached_property
    def _temporal(self) -> list[tuple[tuple, dict]]:
        """The (path, mapping) of :attr:`_mappings` that have ``from``, ``until`` or ``variants``
        (what the period checks read), in document order."""
        return [(path, v) for path, v in self._mappings if "from" in v or "until" in v or "variants" in v]

    @cached_property
    def block_mappings(self) -> dict[str, list[tuple[tuple, dict]]]:
        """:attr:`_mappings` by top-level key (each block's mappings in document order)."""
        out: dict[str, list[tuple[tuple, dict]]] = {}
        for item in self._mappings:
            if item[0]:
                out.setdefault(item[0][0], []).append(item)
        return out

    @cached_property
    def _rule_spans(self) -> tuple:
        """:attr:`_spans` without those of ``norms`` (the builder reads the norms only for their
        sources and ``defined`` flags: see :func:`~smvp_engine.profile_build.norms_only`)."""
        return tuple(dict.fromkeys(
            (v.get("from"), v.get("until")) for path, v in self._temporal
            if path[:1] not in (("chamber",), ("norms",)) and ("from" in v or "until" in v)))

    def _same_rules(self, a: int, b: int) -> bool:
        """True when years ``a`` and ``b`` resolve the document alike (see :func:`~smvp_engine.profile_years.resolve_node`)."""
        return all(in_force({"from": f, "until": u}, a) == in_force({"from": f, "until": u}, b)
                   for f, u in self._spans)

    @cached_property
    def boundary_years(self) -> list[int]:
        """One representative year per period in which the rules are constant."""
        years = {self.valid_from}
        for path, node in self._temporal:
            if "validity" in path:
                continue
            f, u = node.get("from"), node.get("until")
            if isinstance(f, int):
                years.add(f)
            if isinstance(u, int):
                years.add(u + 1)
        out = sorted(y for y in years if y >= self.valid_from and (self.valid_until is None or y <= self.valid_until))
        return out


# ---------------------------------------------------------------- loading

_SCHEMA_CACHE: dict[str, Any] = {}


def _schema() -> dict:
    if "s" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["s"] = load_schema()
    return _SCHEMA_CACHE["s"]


def _to_json_types(node):
    if isinstance(node, dict):
        return {k: _to_json_types(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_json_types(v) for v in node]
    if isinstance(node, Decimal):
        return float(node) if node != node.to_integral_value() else int(node)
    return node


def load_profile(path: str | Path, text: str | None = None, layer_text: str | None = None) -> Profile:
    """Read and validate a profile.

    Args:
        path: the YAML file (used in messages even when ``text`` is given).
        text: the profile text, if already read (e.g. from a stored run or git).
        layer_text: the text of the layer the profile ``extends``, if already read (a stored
            run keeps the layer it was evaluated with); None: the layer file is found as usual.
    Returns:
        a validated :class:`Profile`.
    Raises:
        ProfileErrors: every problem found, each with file:line:column.
    """
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileErrors([ProfileError(Msg('profile file not found'), file=path,
                                              hint=Msg('give the path of a chambers/<chamber>.yaml file'))]) from None
    try:
        loaded = load_yaml(text, path)
    except ProfileError as e:
        raise ProfileErrors([e]) from None
    profile = Profile(path=path, text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), loaded=loaded)
    errors = _schema_errors(profile)
    texts = loaded.block_texts
    loaded.block_texts = None  # only the checks read them (a cached profile need not keep them)
    if errors:
        raise ProfileErrors(errors)
    errors = _inherit(profile, layer_text)
    if errors:
        raise ProfileErrors(errors)
    errors = _semantic_errors(profile, texts)
    if errors:
        raise ProfileErrors(errors)
    return profile


#: sections a chamber profile inherits, id by id, from the layer it ``extends``
INHERITED_SECTIONS = ("documents", "absence_types", "readings", "norms")


def find_layer(name: str, near: str | None = None) -> Path | None:
    """The file of layer ``name`` (``national/italia``): next to the profile that extends it
    (``<dir>/national/italia.yaml``), else the bundled one (package data). None when neither exists."""
    from .resources import ResourceMissing, national_layer

    rel = Path(*name.split("/")).with_suffix(".yaml")
    if near:
        here = Path(str(near).split("@")[0]).parent / rel
        if here.is_file():
            return here
    try:
        return national_layer(name)
    except ResourceMissing:
        return None


#: layers already loaded in this process: (path, sha256 of the text) → the layer's Profile
_LAYERS: dict[tuple[str, str], Profile] = {}


def _load_layer(path: Path) -> Profile:
    """The layer at ``path``, loaded once per content in a process (every profile that
    ``extends`` it shares it: a national run loads the national layer once, not per body).
    The layer is read-only for the profiles that extend it (its rules are deep-copied)."""
    text = Path(path).read_text(encoding="utf-8")
    key = (str(path), hashlib.sha256(text.encode("utf-8")).hexdigest())
    layer = _LAYERS.get(key)
    if layer is None:
        layer = load_profile(path, text)
        if len(_LAYERS) > 64:  # a long-lived process that sees layers change
            _LAYERS.clear()
        _LAYERS[key] = layer
    return layer


_IMMUTABLE = (str, int, float, bool, type(None), datetime.date)


def _fresh_copy(value: Any) -> Any:
    """``copy.deepcopy`` of a parsed YAML value, without its memo and dispatch: mappings and
    lists copied, immutable scalars shared, anything else deep-copied (a national run copies
    the layer's documents and norms into every profile)."""
    kind = type(value)
    if kind is dict:
        return {k: _fresh_copy(v) for k, v in value.items()}
    if kind is list:
        return [_fresh_copy(v) for v in value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)


def _inherit(profile: Profile, layer_text: str | None = None) -> list[ProfileError]:
    """Load the layer of ``extends`` and add its documents, absence types, readings and norms
    that the profile does not define (d.lgs. 150/2009 and the rules around it: issue 12).

    A rule the profile defines with the same id overrides the layer's (its own source applies);
    each inherited id is recorded in ``profile.inherited``, each override in ``profile.overrides``.
    """
    d = profile.data
    name = d.get("extends")
    if name is None:
        return []
    if d.get("layer"):
        return [profile.error(Msg('a layer cannot extend another layer'), ("extends",),
                              hint=Msg("remove 'extends' from the layer"))]
    layer_path = find_layer(name, profile.path) if layer_text is None else None
    found = str(layer_path) if layer_text is None else f"{name} (stored with the run)"
    if layer_text is None and layer_path is None:
        return [profile.error(Msg('the layer {name!r} is not found', name=name), ("extends",), expected=Msg('a file {name}.yaml next to the profile or bundled with smvp', name=name), found=name,
                              hint=Msg('check the name (the bundled national layer is national/italia)'))]
    try:
        base = _load_layer(layer_path) if layer_path is not None else load_profile(found, text=layer_text)
    except ProfileErrors as exc:
        return [profile.error(Msg('the layer {name!r} ({found}) is not valid: {exc_errors_0}', name=name, found=found, exc_errors_0=exc.errors[0]), ("extends",))]
    if base.data.get("layer") != "national":
        return [profile.error(Msg("{found} is not a layer (it has no 'layer: national')", found=found), ("extends",),
                              expected=Msg('a layer file'), found=str(found))]
    profile.base = base
    for section in INHERITED_SECTIONS:
        theirs = base.data.get(section) or {}
        if not theirs:
            continue
        mine = d.setdefault(section, {})
        for key, rule in theirs.items():
            if key in mine:
                profile.overrides[(section, key)] = name
            else:  # the layer's parsed values: mappings, lists and immutable scalars
                mine[key] = _fresh_copy(rule)
                profile.inherited[(section, key)] = name
    return []


def _schema_errors(profile: Profile) -> list[ProfileError]:
    if not isinstance(profile.data, dict):
        return [profile.error(Msg('a profile must be a mapping of keys (format, chamber, documents, …)'),
                              expected=Msg('a YAML mapping'), found=type(profile.data).__name__)]
    texts = getattr(profile.loaded, "block_texts", None)
    if SCHEMA_BY_BLOCK_TEXT and texts is not None and texts.keys() == profile.data.keys() \
            and "v" in _SCHEMA_CACHE and _blocks_valid(_validator(), profile.data, texts):
        return []
    instance = _to_json_types(profile.data)
    key = _schema_pass_key(instance)
    if key is not None and key in SCHEMA_PASSED:
        return []
    validator = _validator()
    if _blocks_valid(validator, instance):
        if key is not None:
            SCHEMA_PASSED.add(key)
        return []
    out: list[ProfileError] = []
    seen: set = set()
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        for e in _text_language(err) or _alternatives(err) or _leaf_errors(err):
            for pe in _schema_error_to_profile_errors(profile, e):
                k = (pe.line, pe.column, pe.message)
                if k not in seen:
                    seen.add(k)
                    out.append(pe)
    suggested = {(e.field.rsplit(".", 1)[0] if e.field and "." in e.field else "", e.message.rsplit("'", 2)[-2])
                 for e in out if e.message.startswith("unknown key") and "did you mean" in e.message}
    out = [e for e in out if not (e.message.startswith("missing key")
                                  and ((e.field or ""), e.message.split("'")[1]) in suggested)]
    out.sort(key=lambda e: (e.line or 0, e.column or 0))
    if not out and key is not None:
        SCHEMA_PASSED.add(key)
    return out


#: the keywords of the schema's top level that :func:`_blocks_valid` reproduces
_TOP_KEYWORDS = {"$schema", "$id", "$defs", "title", "description", "type", "additionalProperties", "required",
                 "properties"}
#: canonical JSON of (top-level key, block) found valid in this process, by SHA-256 (bounded)
_VALID_BLOCKS: set[str] = set()


def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    if "v" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["v"] = jsonschema.Draft202012Validator(_schema())
    return _SCHEMA_CACHE["v"]


#: (top-level key, exact block text) whose parsed value :func:`_blocks_valid` found valid in this
#: process: a block of the same text parses to the same value (yamlload's block cache), so a
#: profile made only of such blocks, with the top level right, is valid without converting it
#: to JSON types (bounded)
_VALID_BLOCK_TEXTS: set[tuple[str, str]] = set()

#: True in a process that validates many profiles sharing blocks (a national run's workers,
#: smvp/national.py): once the schema is loaded, a profile whose blocks' exact texts were all
#: found valid passes without converting it to JSON, and without adding its
#: :data:`SCHEMA_PASSED` key (that key only spares the next short command jsonschema's import;
#: a national run keeps compiled profiles in its own cache folder). Just as strict either way.
SCHEMA_BY_BLOCK_TEXT = False


def _blocks_shape_ok(schema: dict, instance: Any) -> bool:
    """The top level :func:`_blocks_valid` checks before its blocks: a schema it can split, a
    mapping of known keys with the required ones."""
    props = schema.get("properties") or {}
    return not (set(schema) - _TOP_KEYWORDS or schema.get("additionalProperties") is not False
                or not isinstance(instance, dict) or set(instance) - set(props)
                or set(schema.get("required") or ()) - set(instance))


def _blocks_valid(validator, instance, texts: dict[str, str] | None = None) -> bool:
    """True when the profile is valid against the schema, decided block by block: the top
    level (a mapping of known keys with the required ones) and each top-level block against
    its own subschema, a block already found valid in this process (the same canonical JSON)
    not validated again. Profiles of a national roll-out share most blocks (documents,
    coefficients, conciliation …): they are validated once. False means "not known valid":
    the caller validates the whole document and reports its errors as before.

    ``texts``: each block's exact text (``Loaded.block_texts``), ``instance`` then the data as
    parsed: a block whose text was found valid before is not converted to JSON types again."""
    schema = validator.schema
    props = schema.get("properties") or {}
    if not _blocks_shape_ok(schema, instance):
        return False
    passed = []
    for key, block in instance.items():
        if texts is not None:
            if (key, texts[key]) in _VALID_BLOCK_TEXTS:
                continue
            passed.append((key, texts[key]))
            block = _to_json_types(block)
        text = json.dumps([key, block], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in _VALID_BLOCKS:
            continue
        if not validator.evolve(schema=props[key]).is_valid(block):
            return False
        if len(_VALID_BLOCKS) > 100_000:
            _VALID_BLOCKS.clear()
        _VALID_BLOCKS.add(digest)
    if len(_VALID_BLOCK_TEXTS) > 20_000:
        _VALID_BLOCK_TEXTS.clear()
    _VALID_BLOCK_TEXTS.update(passed)
    return True


#: Profiles that passed the JSON Schema, each as the sha256 of (jsonschema's version, the
#: schema, the profile as JSON): the same profile against the same schema passes again,
#: so it is not checked again. Importing jsonschema and checking cost ~50 ms, a large part
#: of a short command's start-up; smvp keeps this set in its cache folder (smvp/cache.py).
#: Only passes are kept: a profile with an error is checked, and its errors reported, each time.
SCHEMA_PASSED: set[str] = set()


def _schema_pass_key(instance: Any) -> str | None:
    """The :data:`SCHEMA_PASSED` key of a profile (as JSON types); None if it has no JSON text.

    The SHA-256 of ``json.dumps([jsonschema's version, the schema, instance], sort_keys=True)``;
    the hash of the text before ``instance`` (the same for every profile) is computed once."""
    import json

    prefix = _SCHEMA_CACHE.get("key prefix")
    if prefix is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            head = json.dumps([version("jsonschema"), _schema()], sort_keys=True, ensure_ascii=False,
                              allow_nan=False)
        except (PackageNotFoundError, TypeError, ValueError):
            return None
        # "[v, schema]" -> "[v, schema, " : json.dumps of a list joins its items with ", "
        prefix = _SCHEMA_CACHE["key prefix"] = hashlib.sha256((head[:-1] + ", ").encode("utf-8"))
    try:
        text = json.dumps(instance, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    h = prefix.copy()
    h.update((text + "]").encode("utf-8"))
    return h.hexdigest()


def _leaf_errors(err: jsonschema.ValidationError):
    if err.context:
        import jsonschema

        best = jsonschema.exceptions.best_match(err.context)
        yield from _leaf_errors(best)
    else:
        yield err


# JSON types as the user knows them (jsonschema's type names are English words)
_TYPE_WORDS = {"string": "a text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "a mapping (key: value)", "array": "a list", "null": "nothing (null)"}
# the schema's patterns said in words (any other pattern is shown as written)
_PATTERN_FORMS = {
    "^[a-z][a-z0-9_]*$": "an id: lower-case letters, digits and _ (starting with a letter)",
    "^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$": '"MM-DD" (every year) or "YYYY-MM-DD" (that day only)',
    "^[0-9]{2}-([0-9]{2}|end)$": '"MM-DD" or "MM-end"',
    "^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$": "a layer's path, e.g. national/italia",
    "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits, '_', '.' or '-' (starting with a letter or digit)",
}


def _type_word(name: object) -> Msg | str:
    return Msg(_TYPE_WORDS[name]) if name in _TYPE_WORDS else str(name)


def _one_of_words(words: list) -> Msg | str:
    """``a text or a number`` (each word said in the user's language)."""
    said = words[-1]
    for word in reversed(words[:-1]):
        said = Msg("{a} or {b}", a=word, b=said)
    return said


def _found(instance: object) -> str:
    """What was found, for a located error: a scalar as written, a mapping or a list by its kind."""
    if isinstance(instance, str) and len(instance) > 80:
        return Msg("{n} characters", n=len(instance))
    if isinstance(instance, dict):
        return Msg("a mapping (key: value)")
    if isinstance(instance, list):
        return Msg("a list")
    if instance is None:
        return Msg("nothing (null)")
    return repr(instance)


def _quoted(value: object) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _schema_error_facts(e: jsonschema.ValidationError) -> tuple[Msg, Msg | str | None, Msg | str | None]:
    """(message, expected, found) of a schema error, from its structured fields (validator,
    validator_value, instance, schema) — never from jsonschema's English ``message`` — as
    catalogue messages, so each is said in the user's language with the same facts."""
    kind, v, instance = e.validator, e.validator_value, e.instance
    found = _found(instance)
    if isinstance(e, _Alternatives):
        said: dict[str, Any] = {}
        for branch in e.branches:
            expected = _schema_error_facts(branch)[1]
            if expected is not None:
                said.setdefault(str(expected), expected)
        return Msg("value not allowed"), _one_of_words(list(said.values())) if said else None, found
    if kind == "type":
        names = v if isinstance(v, list) else [v]
        return Msg("wrong type"), _one_of_words([_type_word(n) for n in names]), found
    if kind == "enum":
        return Msg("value not allowed"), Msg("one of {values}", values=", ".join(map(str, v or []))), found
    if kind == "const":
        return Msg("value not allowed"), Msg("exactly {value}", value=_quoted(v)), found
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "a number ≥ {v}", "maximum": "a number ≤ {v}", "exclusiveMinimum": "a number > {v}",
                 "exclusiveMaximum": "a number < {v}"}[kind]
        return Msg("number out of range"), Msg(bound, v=v), found
    if kind == "multipleOf":
        return Msg("number out of range"), Msg("a multiple of {v}", v=v), found
    if kind == "pattern":
        form = _PATTERN_FORMS.get(v)
        return (Msg("wrong format"), Msg("the form {form}", form=Msg(form)) if form
                else Msg("text matching the pattern {pattern}", pattern=v), found)
    if kind == "format":
        return Msg("wrong format"), Msg("a {format} value", format=v), found
    if kind == "minLength":
        return ((Msg("empty text"), Msg("non-empty text"), found) if v == 1
                else (Msg("text too short"), Msg("at least {v} characters", v=v), found))
    if kind == "maxLength":
        return Msg("text too long"), Msg("at most {v} characters", v=v), found
    if kind == "minItems":
        return Msg("too few items"), Msg("at least {v} item(s)", v=v), Msg("{n} item(s)", n=_size(instance))
    if kind == "maxItems":
        return Msg("too many items"), Msg("at most {v} item(s)", v=v), Msg("{n} item(s)", n=_size(instance))
    if kind == "uniqueItems":
        return Msg("repeated items"), Msg("items all different"), found
    if kind == "minProperties":
        return Msg("too few keys"), Msg("at least {v} key(s)", v=v), Msg("{n} key(s)", n=_size(instance))
    if kind == "maxProperties":
        return Msg("too many keys"), Msg("at most {v} key(s)", v=v), Msg("{n} key(s)", n=_size(instance))
    if kind in ("oneOf", "anyOf"):
        many = kind == "oneOf" and not e.context  # valid under more than one alternative
        return (Msg("matches more than one of the allowed forms") if many
                else Msg("matches none of the allowed forms"),
                Msg("exactly one of the forms the schema allows") if many
                else Msg("one of the forms the schema allows"), found)
    if kind == "not" or kind is None:  # a ``not`` rule, or a ``false`` schema
        return Msg("not allowed here"), Msg("a value the schema allows here"), found
    # a rule this code does not know yet: still where, what was expected and found
    return (Msg("not allowed (schema rule {rule!r})", rule=str(kind)),
            Msg("what the schema's {rule!r} rule allows: {value}", rule=str(kind), value=_quoted(v)), found)


class _Alternatives:
    """An ``anyOf``/``oneOf`` whose every alternative fails on the value itself (``counts_as:
    rapporto`` against ``'ratio'`` or a number): one error saying all the alternatives."""

    validator = "alternatives"

    def __init__(self, err: jsonschema.ValidationError, branches: list) -> None:
        self.err, self.branches = err, branches
        self.absolute_path, self.relative_schema_path = err.absolute_path, err.relative_schema_path
        self.instance, self.validator_value, self.schema = err.instance, None, err.schema
        self.context: list = []


def _is_text_langs(schema: object) -> bool:
    """Whether ``schema`` is the schema's ``text_langs``: a text given per language."""
    return isinstance(schema, dict) and schema.get("additionalProperties") is False \
        and set(schema.get("properties") or ()) == set(TEXT_LANGS)


def _text_language(err: jsonschema.ValidationError) -> list | None:
    """A text given per language with a key that is not a language (``reading: {de: …}``):
    the failing alternative's error on that key (``unknown language 'de'``); else None."""
    if err.validator not in ("anyOf", "oneOf") or not isinstance(err.instance, dict):
        return None
    hits = [c for c in err.context if c.validator == "additionalProperties" and _is_text_langs(c.schema)
            and tuple(c.absolute_path) == tuple(err.absolute_path)]
    return hits[:1] or None


def _alternatives(err: jsonschema.ValidationError) -> list | None:
    """``[_Alternatives]`` when each alternative of an ``anyOf``/``oneOf`` error fails at the
    same place as the error (a wrong value, not a wrong part inside it); else None (the best
    matching alternative's error says where, as before)."""
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return None
    branches: dict = {}
    for c in err.context:
        if tuple(c.absolute_path) != tuple(err.absolute_path) or c.context:
            return None
        branches.setdefault(c.relative_schema_path[0], c)
    return [_Alternatives(err, list(branches.values()))]


def _listed(items: list, template: str) -> object:
    """``a, b, c`` (``template`` "{a}, {b}" or "{a}; {b}") as a message whose items are each said
    in the user's language."""
    if not items:
        return ""
    said = items[-1]
    for item in reversed(items[:-1]):
        said = Msg(template, a=item, b=said)
    return said


def _size(instance: object) -> int:
    return len(instance) if isinstance(instance, (list, dict, str)) else 0


def _missing_keys(e: jsonschema.ValidationError) -> list[str]:
    """The keys a ``required`` or ``dependentRequired`` error is about (from its fields)."""
    instance = e.instance if isinstance(e.instance, dict) else {}
    if e.validator == "required":
        return [k for k in (e.validator_value or []) if k not in instance]
    return [k for key, needed in (e.validator_value or {}).items() if key in instance
            for k in needed if k not in instance]


def _schema_error_to_profile_errors(profile: Profile, e: jsonschema.ValidationError) -> list[ProfileError]:
    path = tuple(e.absolute_path)
    if e.validator == "additionalProperties" and _is_text_langs(e.schema):
        return [profile.error(Msg("unknown language {key!r} of a text", key=key), path + (key,), key=True,
                              expected=Msg("it (Italian) or en (English)"), found=repr(key),
                              hint=Msg("write the text as a plain string, or per language: {{it: ..., en: ...}}"))
                for key in e.instance if key not in TEXT_LANGS]
    if e.validator == "additionalProperties":
        allowed = sorted((e.schema.get("properties") or {}).keys())
        extra = [k for k in e.instance if k not in allowed] if isinstance(e.instance, dict) else []
        out = []
        for key in extra or ["?"]:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = (Msg("unknown key {key!r}; did you mean {close!r}?", key=key, close=close[0]) if close
                       else Msg("unknown key {key!r}", key=key))
            out.append(profile.error(message, path + (key,), key=True,
                                     expected=Msg("one of: {allowed}", allowed=", ".join(allowed)) if allowed
                                     else None, found=repr(key)))
        return out
    if e.validator in ("required", "dependentRequired"):
        return [profile.error(Msg('missing key {missing!r}', missing=missing), path,
                              expected=Msg('a {missing!r} entry', missing=missing), found=Msg("nothing"))
                for missing in _missing_keys(e)]
    if ("propertyNames" in e.relative_schema_path or e.validator == "propertyNames") and isinstance(e.instance, str):
        return [profile.error(Msg('{instance!r} is not a valid id', instance=e.instance), path + (e.instance,),
                              key=True, expected=Msg('lower-case letters, digits and _ (starting with a letter)'),
                              found=repr(e.instance))]
    if e.validator == "propertyNames":
        return [profile.error(Msg('{instance!r} is not a valid id', instance=e.instance), path, key=True,
                              expected=Msg('lower-case letters, digits and _ (starting with a letter)'),
                              found=_found(e.instance))]
    message, expected, found = _schema_error_facts(e)
    return [profile.error(message, path, expected=expected, found=found)]


def _semantic_errors(profile: Profile, texts: dict[str, str] | None = None) -> list[ProfileError]:
    errors: list[ProfileError] = []
    v = profile.data["chamber"]["validity"]
    if v.get("until") is not None and v["until"] < v["from"]:
        errors.append(profile.error(Msg('validity ends before it starts'), ("chamber", "validity", "until"),
                                    expected=Msg('a year ≥ {v_from}', v_from=v['from']), found=str(v["until"])))
    # effective dates: from ≤ until, variants must not overlap
    for path, node in profile._temporal:
        f, u = node.get("from"), node.get("until")
        if isinstance(f, int) and isinstance(u, int) and u < f and "validity" not in path:
            errors.append(profile.error(Msg("'until' {u} is before 'from' {f}", u=u, f=f), path + ("until",)))
        if isinstance(node.get("variants"), list):
            spans = []
            for i, var in enumerate(node["variants"]):
                if not isinstance(var, dict):
                    continue
                if var.get("from") is None:
                    errors.append(profile.error(Msg("each variant needs a 'from' year"), path + ("variants", i)))
                    continue
                spans.append((var["from"], var.get("until"), i))
            spans.sort()
            for (f1, u1, i1), (f2, u2, i2) in zip(spans, spans[1:]):
                if u1 is None or u1 >= f2:
                    errors.append(profile.error(
                        Msg('effective dates overlap: variant {i1_1} ({f1}–{u1_or}) and variant {i2_1} ({f2}–{u2_or})', i1_1=i1 + 1, f1=f1, u1_or=u1 or '', i2_1=i2 + 1, f2=f2, u2_or=u2 or ''),
                        path + ("variants", i2, "from"), hint=Msg("end the earlier variant with 'until' the year before")))
    if errors:
        return errors
    errors += _term_errors(profile, texts)
    seen: set = set()
    built: dict[int, Resolved] = {}
    by_rules: dict[tuple, int] = {}  # in-force pattern of every span outside norms -> year built
    for year in profile.boundary_years:
        rules = tuple(in_force({"from": f, "until": u}, year) for f, u in profile._rule_spans)
        twin = by_rules.setdefault(rules, year)
        b = norms_only(profile, year) if twin != year and twin in built else None
        if b is not None:  # the same rules as ``twin`` but for norms: only the norms are checked
            resolved = dataclasses.replace(built[twin], year=year)
        else:
            b = Diagnostics(profile, year, resolved_document(profile, year))
            try:
                resolved = build_rules(b)
            except (KeyError, TypeError) as exc:  # defensive: a shape the schema let through
                b.err(Msg('cannot read the profile: {e}', e=exc), ())
                resolved = None
        for err in b.errors:
            key = (err.line, err.column, err.message)
            if key not in seen:
                seen.add(key)
                errors.append(err)
        if resolved is not None and not b.errors:
            built[year] = resolved
        if resolved is not None and not errors:
            incomplete = [r for r in resolved.roles.values() if not r.scorable]
            if incomplete and not any(w.startswith("incomplete for individual scoring") for w in profile.warnings):
                profile.warnings.append(Msg(
                    "incomplete for individual scoring: the source does not define {gaps} — smvp evaluate "
                    "computes organisational performance only for these roles",
                    gaps=_listed([Msg("{role}: {what}", role=r.label, what=_listed([gap_kind(u) for u in r.undefined], "{a}, {b}"))
                                  for r in incomplete], "{a}; {b}")))
            gaps = [f"{v['label']}" for v in ((profile.data.get("not_defined") or {}).values())
                    if isinstance(v, dict) and v.get("label")]
            if gaps and not any(w.startswith("the source does not define") for w in profile.warnings):
                profile.warnings.append(Msg("the source does not define: {gaps} — smvp evaluate does not "
                                            "compute them (see not_defined)", gaps="; ".join(gaps)))
    errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    if not errors:  # the rules of each period, built above: for_year gives them without building again
        profile.resolved.update(built)
    return errors


def _field_path(field: str | None) -> tuple:
    """``"calendar.closures[1].date"`` → ``("calendar", "closures", 1, "date")``."""
    out: list = []
    for part in (field or "").split("."):
        while "[" in part and part.endswith("]"):
            name, _, idx = part.partition("[")
            if name:
                out.append(name)
            part = idx[:-1]
            if part.isdigit():
                out.append(int(part))
                part = ""
        if part:
            out.append(part)
    return tuple(out)


#: (calendar, conciliation and cycle block texts, chamber seat, first year) whose terms were
#: checked without an error in this process (:func:`_term_errors`)
_TERMS_PASSED: set[tuple] = set()
_TERM_BLOCKS = ("calendar", "conciliation", "cycle")


def _term_errors(profile: Profile, texts: dict[str, str] | None = None) -> list[ProfileError]:
    """``calendar``, ``conciliation.steps`` and ``cycle.steps`` checked with smvp_engine.deadlines.

    Steps run from an event or another step: when the block declares its ``events``,
    a ``from_event`` that is neither is an error (with 'did you mean').

    ``texts``: the document's block texts (yamlload's ``Loaded.block_texts``); with them a
    check that passed is not made again for the same three blocks, seat and first year
    (what the check reads: a national run's varied copies share them).
    """
    from . import deadlines

    d = profile.data
    blocks: list[tuple[str, dict]] = [(k, d[k]) for k in ("conciliation", "cycle")
              if isinstance(d.get(k), dict) and d[k].get("steps")]
    if not blocks and "calendar" not in d:
        return []
    passed = None
    chamber = d.get("chamber")
    if texts is not None and isinstance(chamber, dict) and all((k in texts) == (k in d) for k in _TERM_BLOCKS):
        passed = tuple(texts.get(k) for k in _TERM_BLOCKS) + (repr(chamber.get("seat")), profile.valid_from)
        if passed in _TERMS_PASSED:
            return []
    errors: list[ProfileError] = []

    def located(e: SmvpError) -> ProfileError:
        path = _field_path(e.field)
        line, col = profile.loaded.position(path)
        return ProfileError(e.message, file=profile.path, line=line, column=col, field=e.field,
                            expected=e.expected, found=e.found, hint=e.hint)

    try:
        cal = deadlines.calendar_from_profile(d)
    except ProfileErrors as es:
        return [located(e) for e in es.errors]
    for key, block in blocks:
        steps = block["steps"]
        events = block.get("events")
        if isinstance(events, dict):
            known = set(events) | set(steps)
            for sid, st in steps.items():
                fe = st.get("from_event") if isinstance(st, dict) else None
                if fe is not None and fe not in known:
                    close = difflib.get_close_matches(str(fe), sorted(known), n=1)
                    errors.append(profile.error(
                        Msg("unknown event {fe!r}; did you mean {close!r}?", fe=fe, close=close[0]) if close
                        else Msg("unknown event {fe!r}", fe=fe),
                        (key, "steps", sid, "from_event"),
                        expected=Msg('an event of {key}.events or a step id: {join_sorted_known}', key=key, join_sorted_known=', '.join(sorted(known))), found=repr(fe)))
        try:
            deadlines.schedule(steps, {}, cal, year=profile.valid_from, where=f"{key}.steps")
        except ProfileErrors as es:
            errors += [located(e) for e in es.errors]
    if passed is not None and not errors:
        if len(_TERMS_PASSED) > 10_000:
            _TERMS_PASSED.clear()
        _TERMS_PASSED.add(passed)
    return errors
