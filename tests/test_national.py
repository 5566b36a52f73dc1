"""Every body in one run: ``smvp evaluate --chambers-dir DIR --data-root ROOT`` (smvp/national.py).

20 generated tenants (benchmarks/national_data.py: varied copies of the four bundled
profiles, their sample years grown), the last one with a broken profile. The people
of the national output must be the very values ``smvp evaluate`` gives for each body
on its own; the broken one is reported with its located error and the exit code says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from benchmarks import national_data
from smvp import cli
from smvp.profile_cache import ProfileCache

runner = CliRunner()
TENANTS, STAFF = 20, 120


@pytest.fixture(scope="module")
def rollout(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("national")
    national_data.generate(root, TENANTS, STAFF, seed=7, bad=1, verbose=False)
    return root



def _national(rollout: Path, tmp_path: Path, *extra: str):
    people, lines = tmp_path / "people.parquet", tmp_path / "tenants.jsonl"
    result = runner.invoke(cli.app, [
        "evaluate", "--chambers-dir", str(rollout / "chambers"), "--data-root", str(rollout / "data"),
        "--out", str(people), "--tenants", str(lines), "--lang", "en", *extra])
    records = [json.loads(x) for x in lines.read_text(encoding="utf-8").splitlines()]
    return result, pq.read_table(people), records


def test_every_tenant_in_one_command_bad_one_reported(rollout, tmp_path):
    result, people, records = _national(rollout, tmp_path, "--jobs", "2")
    assert result.exit_code == 1, result.output  # one tenant failed on its profile
    assert [r["tenant"] for r in records] == [f"ente_{k:05d}" for k in range(1, TENANTS + 1)]
    bad = records[-1]
    assert bad["status"] == "error"
    assert any("ente_00020.yaml:" in e and "pesi_sbagliati" in e for e in bad["errors"]), bad["errors"]
    assert "ente_00020: 1 problem" in result.output and "19 bodies evaluated, 1 failed" in result.output
    ok = [r for r in records if r["status"] == "ok"]
    assert len(ok) == TENANTS - 1 and all(r["people"] == STAFF for r in ok)
    assert people.num_rows == (TENANTS - 1) * STAFF
    assert sorted(set(people.column("tenant").to_pylist())) == [r["tenant"] for r in ok]
    bases = {r["chamber_name"].rsplit(" ", 1)[1].rstrip(")") for r in ok}
    assert bases == {"Cuneo", "Brescia", "Cremona", "Lucca"}


@pytest.mark.parametrize("tenant", ["ente_00001", "ente_00005"])  # a Cuneo copy, a Brescia copy
def test_people_are_those_of_the_single_body_run(rollout, tmp_path, tenant):
    _, people, records = _national(rollout, tmp_path, "--jobs", "1")
    data = next((rollout / "data" / tenant).iterdir())
    single = runner.invoke(cli.app, ["evaluate", "--profile", str(rollout / "chambers" / f"{tenant}.yaml"),
                                     "--data", str(data), "--no-store", "--json"])
    assert single.exit_code == 0, single.output
    doc = json.loads(single.stdout)
    mine = [r for r in people.to_pylist() if r["tenant"] == tenant]
    assert len(mine) == len(doc["people"]) == STAFF
    for row, want in zip(mine, doc["people"]):
        assert dict(row.pop("components")) == want.pop("components")
        assert dict(row.pop("reported")) == want.pop("reported")
        assert row.pop("tenant") == tenant
        assert row == want
    rec = next(r for r in records if r["tenant"] == tenant)
    assert rec["funds"] == doc["funds"] and rec["summary"] == doc["summary"]
    assert rec["run"]["profile_sha256"] == doc["run"]["profile_sha256"]
    assert any(f["distributed"] != "0.00" for f in doc["funds"]) or tenant != "ente_00001"


def test_profile_cache_by_content(rollout, tmp_path):
    path = rollout / "chambers" / "ente_00001.yaml"
    cache = ProfileCache(tmp_path / "cache")
    first = cache.load(path)
    assert cache.load(path) is first and (cache.misses, cache.hits) == (1, 1)
    again = ProfileCache(tmp_path / "cache")  # another process: read from the folder
    p = again.load(path)
    assert again.disk_hits == 1 and p.sha256 == first.sha256 and p.text == first.text
    assert p.for_year(2024).roles.keys() == first.for_year(2024).roles.keys()
    copy = tmp_path / "copy.yaml"  # same text elsewhere: same compiled profile, its own path
    copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert again.load(copy).path == str(copy) and again.hits == 1
    changed = tmp_path / "changed.yaml"
    changed.write_text(path.read_text(encoding="utf-8").replace("quota_percent: ", "quota_percent: 1"),
                       encoding="utf-8")
    assert again.key(changed, changed.read_text(encoding="utf-8")) != again.key(path, path.read_text(encoding="utf-8"))


def test_a_profile_from_the_cache_folder_is_the_compiled_one(rollout, tmp_path):
    import pickle

    from smvp import engine_api

    path = rollout / "chambers" / "ente_00002.yaml"
    compiled = engine_api.load_profile(path)
    ProfileCache(tmp_path / "cache").load(path)
    (stored,) = (tmp_path / "cache").rglob("*.pickle")
    with open(stored, "rb") as fh:
        lean = pickle.load(fh)
    assert lean.base is None and lean.text == ""  # the layer and the text are not stored
    read = ProfileCache(tmp_path / "cache")
    p = read.load(path)
    assert read.disk_hits == 1
    assert p.base is compiled.base  # the process's layer, as when compiling
    assert (p.data, p.inherited, p.overrides, p.warnings) == (compiled.data, compiled.inherited,
                                                              compiled.overrides, compiled.warnings)
    assert p.for_year(2024) == compiled.for_year(2024)
    assert p.layer_of(("absence_types", "lutto")) == compiled.layer_of(("absence_types", "lutto"))


def test_cached_run_gives_the_same_output(rollout, tmp_path):
    cache = tmp_path / "cache"
    _, first, rec1 = _national(rollout, tmp_path / "a", "--jobs", "2", "--cache-dir", str(cache))
    _, second, rec2 = _national(rollout, tmp_path / "b", "--jobs", "2", "--cache-dir", str(cache))
    assert first.equals(second) and rec1 == rec2
    assert len(list(cache.rglob("*.pickle"))) == TENANTS - 1  # the broken profile is never cached


def test_usage_errors(rollout, tmp_path):
    r = runner.invoke(cli.app, ["evaluate", "--chambers-dir", str(rollout / "chambers")])
    assert r.exit_code == 2 and "--data-root" in r.output
    r = runner.invoke(cli.app, ["evaluate", "--chambers-dir", str(rollout / "chambers"), "--data-root",
                                str(rollout / "data"), "--chamber", "cuneo"])
    assert r.exit_code == 2
    r = runner.invoke(cli.app, ["evaluate", "--chambers-dir", str(rollout / "chambers"), "--data-root",
                                str(rollout / "data"), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and ".parquet" in r.output


def test_a_failed_tenants_errors_are_said_in_the_users_language(rollout, tmp_path):
    """The same located error (file, line, field) in Italian (the default) and in English."""
    lines_it, lines_en = tmp_path / "it.jsonl", tmp_path / "en.jsonl"
    common = ["evaluate", "--chambers-dir", str(rollout / "chambers"), "--data-root", str(rollout / "data"),
              "--jobs", "1"]
    it = runner.invoke(cli.app, [*common, "--tenants", str(lines_it)])
    en = runner.invoke(cli.app, [*common, "--tenants", str(lines_en), "--lang", "en"])
    assert it.exit_code == en.exit_code == 1
    bad_it = [json.loads(x) for x in lines_it.read_text(encoding="utf-8").splitlines()][-1]["errors"]
    bad_en = [json.loads(x) for x in lines_en.read_text(encoding="utf-8").splitlines()][-1]["errors"]
    assert len(bad_it) == len(bad_en) == 1 and bad_it != bad_en
    place = bad_en[0].split(": ")[0]
    assert place.startswith(str(rollout)) and "ente_00020.yaml:" in place and bad_it[0].startswith(place)
    assert "pesi_sbagliati" in bad_it[0] and "pesi_sbagliati" in bad_en[0]
    assert "ente_00020: 1 problema" in it.output and bad_it[0] in it.output.replace("\n", "")
