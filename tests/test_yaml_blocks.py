"""Profiles parsed block by block (engine/yamlload.py ``_load_blocks``): the same values, positions
and errors as the whole document, for every bundled profile and for the cases that must fall back."""

from __future__ import annotations

from pathlib import Path

import pytest

from smvp_engine import yamlload
from smvp_engine.errors import ProfileError
from smvp_engine.yamlload import load_yaml

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "chambers").glob("*.yaml")) + sorted((ROOT / "chambers").glob("*/*.yaml"))


def _whole(text: str, file: str = "p.yaml"):
    saved = yamlload._load_blocks
    yamlload._load_blocks = lambda text, file: None
    try:
        return load_yaml(text, file)
    finally:
        yamlload._load_blocks = saved


def _same(a, b) -> None:
    assert a.data == b.data
    assert list(a.data) == list(b.data)
    assert a.marks == b.marks
    assert a.key_marks == b.key_marks


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_bundled_profiles_parse_alike(path):
    text = path.read_text(encoding="utf-8")
    assert yamlload._load_blocks(text, str(path)) is not None  # the fast path is taken
    _same(load_yaml(text, str(path)), _whole(text, str(path)))
    # cached blocks, found again at other lines: positions shift with them
    moved = "# a comment\n\n# another\n" + text.replace("\nchamber:", "\n# moved\nchamber:", 1)
    _same(load_yaml(moved), _whole(moved))
    _same(load_yaml(text), _whole(text))


def test_a_cached_block_is_never_shared():
    text = "format: 1\nroles:\n  a: {label: A, weights: [1, 2]}\n"
    first = load_yaml(text).data
    first["roles"]["a"]["weights"].append(3)
    first["roles"]["b"] = {}
    assert load_yaml(text).data == {"format": 1, "roles": {"a": {"label": "A", "weights": [1, 2]}}}


@pytest.mark.parametrize("text", [
    "a: &x {k: 1}\nb: *x\n",                       # an alias to another block's anchor
    "a: 1\nb: [1,\n2]\nc: 3\n",                    # flow value into the next column-0 line
    "a: 1\r\nb: 2\r\n",                            # other line breaks
    "---\na: 1\n",                                 # a document marker
    "a: 1\n- 2\n",                                 # not a mapping at the top
    "on: 1\nb: 2\n",                               # a key that YAML reads as a boolean
    "a: 1\n<<: {b: 2}\n",                          # a merge key
])
def test_documents_that_fall_back_parse_as_before(text):
    assert yamlload._load_blocks(text, "p.yaml") is None
    try:
        expected = _whole(text)
    except ProfileError as e:
        with pytest.raises(ProfileError) as got:
            load_yaml(text, "p.yaml")
        assert str(got.value) == str(e)
    else:
        _same(load_yaml(text, "p.yaml"), expected)


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2\na: 3\n",                          # a duplicate key in two blocks
    "a: 1\nb: \"open\nc: 3\n",                     # a quoted value that runs on
    "a: 1\nb: .inf\n",                             # a value refused in one block
    "a: 1\nb:\n  c: 1\n  c: 2\n",                  # a duplicate key inside a block
])
def test_errors_are_those_of_the_whole_document(text):
    with pytest.raises(ProfileError) as whole:
        _whole(text, "p.yaml")
    for _ in range(2):  # the second time with the good blocks cached
        with pytest.raises(ProfileError) as got:
            load_yaml(text, "p.yaml")
        assert str(got.value) == str(whole.value)
        assert (got.value.line, got.value.column) == (whole.value.line, whole.value.column)


def test_the_node_limit_counts_the_whole_document(monkeypatch):
    text = "".join(f"k{i}: [1, 2, 3]\n" for i in range(10))
    load_yaml(text)  # every block cached
    monkeypatch.setattr(yamlload, "MAX_NODES", 30)
    with pytest.raises(ProfileError, match="more than 30 values"):
        load_yaml(text)
