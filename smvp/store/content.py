"""A dataset's stored content (``dataset_blob``): written as typed columns, read back in
either of the two ways it is held (see :class:`smvp.store.tables.DatasetBlob`).

- :func:`blob_values` — the ``content``/``data``/``content_sha256`` of a dataset to store:
  its columns (``codec.dataset_columns``), or its canonical JSON when a column cannot be
  held exactly as a column (not a dataset the loader makes).
- :func:`content_sha256_now` — the sha256 of the bytes stored now (what ``verify`` compares
  with ``content_sha256``).
- :func:`read_stored` then :func:`rebuild` — the dataset back: columnar contents straight
  into the engine's columns; JSON contents through ``dataset_from_columns`` as ever.
- :func:`document` — the content as JSON data ``{"format", "year", "tables"}`` (what the
  JSON contents hold), for the readers that want the cells as Python values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from smvp.store.codec import (
    columns_tables,
    dataset_canonical_json,
    dataset_columns,
    dataset_document,
    loads,
)


def blob_values(dataset: Any) -> dict[str, Any]:
    """``content``, ``data`` and ``content_sha256`` of ``dataset``'s stored content: its typed
    columns (``data``; ``content`` None), or — when a column cannot be held exactly as a
    column (a dataset built by hand with values of other types) — its canonical JSON."""
    from smvp_engine.dataset import Dataset

    try:
        if not isinstance(dataset, Dataset):  # not the engine's typed tables
            raise ValueError("not a loaded dataset")
        data = dataset_columns(dataset)
    except ValueError:
        content = dataset_canonical_json(dataset)
        return {"content": content, "data": None,
                "content_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest()}
    return {"content": None, "data": data, "content_sha256": hashlib.sha256(data).hexdigest()}


def content_sha256_now(blob: Any) -> str:
    """sha256 of the content stored in ``blob`` now: of its ``data``, else of its ``content``
    (UTF-8)."""
    data = getattr(blob, "data", None)
    if data is not None:
        return hashlib.sha256(bytes(data)).hexdigest()
    return hashlib.sha256(str(blob.content).encode("utf-8")).hexdigest()


def intact(blob: Any) -> bool:
    """Whether ``blob``'s stored content still has its recorded ``content_sha256``."""
    return content_sha256_now(blob) == blob.content_sha256


@dataclass(frozen=True)
class Stored:
    """A stored content read (not yet rebuilt): the Arrow tables of a columnar content, or
    the JSON document of a JSON one."""

    tables: dict[str, Any] | None = None  # table -> pyarrow.Table (columnar)
    document: dict[str, Any] | None = None  # {"format", "year", "tables"} (JSON)

    @property
    def columns(self) -> dict[str, dict[str, None]]:
        """Table -> the stored columns (as dict keys, in stored order): what
        ``smvp_engine.dataset.content_sha256_as_stored`` hashes."""
        if self.tables is not None:
            return {name: dict.fromkeys(t.column_names) for name, t in self.tables.items()}
        tables = (self.document or {}).get("tables") or {}
        return {name: dict.fromkeys(cols) for name, cols in tables.items() if isinstance(cols, dict)}


def read_stored(blob: Any) -> Stored:
    """``blob``'s content read as stored; ValueError when it does not read (not JSON, not
    columns)."""
    data = getattr(blob, "data", None)
    if data is not None:
        return Stored(tables=columns_tables(bytes(data)))
    doc = loads(blob.content)
    if not isinstance(doc, dict):
        raise ValueError("the stored content is not a JSON object")
    return Stored(document=doc)


def rebuild(stored: Stored, label: str) -> Any:
    """The Dataset of a stored content (``label``: its path in messages), checked by the
    format's rules: DatasetErrors for a content that breaks them, TypeError/ValueError for
    cells of the wrong kind."""
    if stored.tables is not None:
        from smvp_engine.dataset_arrow import from_arrow

        return from_arrow(stored.tables, label)
    from smvp_engine.dataset import dataset_from_columns

    return dataset_from_columns((stored.document or {}).get("tables") or {}, path=label,
                                categorical=True)


def document(blob: Any) -> dict[str, Any]:
    """``blob``'s content as JSON data ``{"format", "year", "tables": {table: {column:
    [values]}}}`` (``codec.dataset_document``): the JSON content as stored, or the columnar
    one rebuilt and written out (every declared column)."""
    stored = read_stored(blob)
    if stored.document is not None:
        return stored.document
    return dataset_document(rebuild(stored, "stored"))


def rebuilt_as_recorded(dataset: Any, stored: Stored, recorded: str) -> bool:
    """Whether the dataset rebuilt from ``stored`` has the hash recorded for it: its hash, or
    — for a content stored before a column was declared — its hash over the columns the
    content has (``smvp_engine.dataset.content_sha256_as_stored``)."""
    if dataset.sha256 == recorded:
        return True
    from smvp_engine.dataset import content_sha256_as_stored

    return bool(content_sha256_as_stored(dataset, stored.columns) == recorded)
