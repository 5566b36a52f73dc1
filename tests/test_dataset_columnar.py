"""The columnar loader (engine/columnar.py): same dataset, same hash and same messages as the
cell-by-cell reader, typed columns for the engine, and errors of one kind counted past the
first rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from smvp_engine.columns import Categorical
from smvp_engine.dataset import ERRORS_PER_KIND, load_dataset
from smvp_engine.errors import DatasetErrors

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "broken" / "datasets" / "_base"
SAMPLE = ROOT / "chambers" / "data" / "cuneo" / "2024"


def _copy(tmp_path: Path, src: Path = BASE) -> Path:
    d = tmp_path / "ds"
    shutil.copytree(src, d)
    return d


def test_large_tables_are_categorical_with_one_person_vocabulary():
    ds = load_dataset(SAMPLE)
    staff, beh, ab = ds.table("staff"), ds.table("behaviours"), ds.table("absences")
    for col in ("person_id", "role", "unit_id", "category"):
        assert isinstance(staff[col], Categorical), col
    assert isinstance(beh["person_id"], Categorical) and isinstance(beh["score"], np.ndarray)
    assert beh["score"].dtype == np.int64
    # behaviours and absences are coded against staff's person ids: the same categories object
    assert beh["person_id"].categories is staff["person_id"].categories
    assert ab["person_id"].categories is staff["person_id"].categories
    assert staff["person_id"].codes.tolist() == list(range(len(staff)))


def test_parquet_folder_is_the_same_dataset(tmp_path):
    d = tmp_path / "pq"
    d.mkdir()
    for f in SAMPLE.glob("*.csv"):
        names = f.read_text(encoding="utf-8").splitlines()[0].split(",")
        table = pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names}))
        pq.write_table(table, d / f"{f.stem}.parquet")
    assert load_dataset(d).sha256 == load_dataset(SAMPLE).sha256


def test_parquet_typed_columns(tmp_path):
    d = _copy(tmp_path)
    (d / "behaviours.csv").unlink()
    text = (BASE / "behaviours.csv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [ln.split(",") for ln in text]
    pq.write_table(pa.table({"person_id": [r[0] for r in rows], "factor": [r[1] for r in rows],
                             "score": pa.array([float(r[2]) for r in rows])}), d / "behaviours.parquet")
    ds = load_dataset(d)
    assert ds.sha256 == load_dataset(BASE).sha256
    (d / "behaviours.csv").write_text("person_id,factor,score\n", encoding="utf-8")
    with pytest.raises(DatasetErrors) as info:
        load_dataset(d)
    assert "table 'behaviours' given twice" in str(info.value.errors[0])


def test_irregular_csv_reads_like_the_plain_one(tmp_path):
    """Blank lines and a quoted line break send the file to the cell-by-cell reader: same data."""
    d = _copy(tmp_path)
    text = (BASE / "staff.csv").read_text(encoding="utf-8").splitlines()
    text.insert(2, "")
    text.insert(3, ",,,,,,,,,")
    (d / "staff.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    ds = load_dataset(d)
    assert ds.table("staff").rows.tolist() == [2, 5, 6, 7]  # the blank rows keep their numbers
    assert ds.table("staff")["person_id"].tolist() == ["P01", "P02", "P03", "P04"]
    base = load_dataset(BASE)
    for col in ("presence_days", "part_time"):
        assert ds.table("staff")[col].tolist() == base.table("staff")[col].tolist()


def test_rows_of_blank_cells_are_skipped_in_columns(tmp_path):
    d = _copy(tmp_path)
    text = (BASE / "staff.csv").read_text(encoding="utf-8").splitlines()
    text.insert(2, ",,, ,,,,,,")
    (d / "staff.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    ds = load_dataset(d)
    assert ds.table("staff").rows.tolist() == [2, 4, 5, 6]
    assert ds.sha256 == load_dataset(BASE).sha256


def test_white_space_and_blank_cells(tmp_path):
    d = _copy(tmp_path)
    text = (BASE / "staff.csv").read_text(encoding="utf-8")
    (d / "staff.csv").write_text(text.replace("P02,Bianchi Marco", " P02 ,  Bianchi Marco ")
                                 .replace(",230,", ",  230 ,"), encoding="utf-8")
    assert load_dataset(d).sha256 == load_dataset(BASE).sha256


def test_errors_of_one_kind_are_counted_past_the_first_rows(tmp_path):
    d = _copy(tmp_path)
    lines = (BASE / "behaviours.csv").read_text(encoding="utf-8").splitlines()
    bad = [ln.rsplit(",", 1)[0] + ",tanto" for ln in lines[1:]]
    n_bad = len(bad)
    assert n_bad > ERRORS_PER_KIND + 1
    (d / "behaviours.csv").write_text("\n".join([lines[0]] + bad) + "\n", encoding="utf-8")
    with pytest.raises(DatasetErrors) as info:
        load_dataset(d)
    messages = [str(e) for e in info.value.errors if e.field == "score"]
    assert len(messages) == ERRORS_PER_KIND + 1, messages
    assert all("not a number" in m and 'found "tanto"' in m for m in messages[:ERRORS_PER_KIND])
    first_rows = [e.line for e in info.value.errors if e.field == "score"]
    assert first_rows == list(range(2, ERRORS_PER_KIND + 3))
    rest = n_bad - ERRORS_PER_KIND
    assert f"not a number: {rest} more rows like this" in messages[-1]


def test_numbers_typed_in_columns_agree_with_the_cell_rules(tmp_path):
    """Plain numbers go through the vectorised path, others through _cell: both give the same."""
    from smvp_engine.dataset import TABLES, _cell

    spec = TABLES["staff"].column("presence_days")
    cells = ["0", "12", "12.5", "12,5", "12.", "007", "+3", "-0.5", "231.25", "1e3"]
    d = _copy(tmp_path)
    lines = ["person_id,role,unit_id,presence_days"] + [
        f"X{i},dipendente,UFF1,{c}" for i, c in enumerate(cells)]
    staff = "\n".join(lines) + "\n"
    (d / "staff.csv").write_text(staff, encoding="utf-8")
    (d / "behaviours.csv").write_text("person_id,factor,score\n", encoding="utf-8")
    (d / "absences.csv").unlink()
    (d / "objectives.csv").write_text(
        (BASE / "objectives.csv").read_text(encoding="utf-8").replace("P01", ""), encoding="utf-8")
    with pytest.raises(DatasetErrors) as info:
        load_dataset(d)
    errors = [e for e in info.value.errors if e.field == "presence_days"]
    by_row = {e.line: e for e in errors}
    for i, c in enumerate(cells):
        try:
            want = _cell(spec, c)
        except Exception as exc:  # noqa: BLE001
            assert i + 2 in by_row and by_row[i + 2].message == exc.message, (c, errors)
        else:
            if want < 0:
                assert by_row[i + 2].message == "negative number of days"
            else:
                assert i + 2 not in by_row, (c, by_row.get(i + 2))


def test_a_small_file_is_read_in_a_small_block_and_a_large_one_in_blocks_of_16_mib():
    """pyarrow allocates a whole block for every read: 64 KiB for a body's few-KB table, the
    smallest power of two holding the file above that, never more than 16 MiB."""
    from smvp_engine.columnar import _block_size, read_csv

    assert _block_size(17_718) == 1 << 16
    assert _block_size(100_000) == 1 << 17
    assert _block_size(5 << 20) == 1 << 23
    assert _block_size(1 << 30) == 1 << 24
    # a file larger than its block is read whole, row numbers kept
    data = b"person_id,score\n" + b"".join(b"P%06d,%d\n" % (i, i % 7) for i in range(20_000))
    got = read_csv(data)
    assert got is not None and len(got.columns[0]) == 20_000
    assert got.columns[0][19_999].as_py() == "P019999" and got.rows[-1] == 20_001
