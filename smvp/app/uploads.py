"""Profile versions and datasets uploaded to a tenant (the service's use cases).

Nothing is stored unless the upload is valid: a profile that does not validate, a
dataset that fails the engine's checks, a file too large or of an unknown kind raise
with the same located messages as the command line, and the database is unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from smvp import engine_api, store
from smvp.app.accounts import audit
from smvp.errors import UsageProblem
from smvp.store.tables import DatasetUpload, ProfileVersion, User
from smvp_engine.errors import Msg

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a stated limit: 20 MiB per upload
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
TABLE_SUFFIXES = (".csv", ".parquet")


class UploadProblem(UsageProblem):
    """A malformed or unacceptable upload (HTTP 400/413/415 in the service)."""

    status = 400


class TooLarge(UploadProblem):
    status = 413


class UnsupportedKind(UploadProblem):
    status = 415


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def load_profile_text(text: str, filename: str) -> Any:
    """A validated profile from its YAML text (raises the engine's ProfileErrors)."""
    from smvp_engine.profile import load_profile

    return load_profile(filename, text=text)


def add_profile_version(engine: Engine, *, text: str, filename: str, user: User | None
                        ) -> ProfileVersion:
    """Validate and store a version of the tenant's profile (engine scoped to the tenant)."""
    profile = load_profile_text(text, filename)
    with Session(engine) as s, s.begin():
        pv = write_profile_version(s, profile, text=text, filename=filename, user=user)
        s.expunge(pv)
        return pv


def write_profile_version(s: Session, profile: Any, *, text: str, filename: str,
                          user: User | None) -> ProfileVersion:
    """Add a validated profile's version in the caller's transaction (audited)."""
    chamber = str(getattr(profile, "chamber_id", "") or "")
    pv = ProfileVersion(tenant_id=_tenant(s), chamber=chamber, text=text, filename=filename,
                        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                        created_at=_now(), created_by=user.id if user else None)
    s.add(pv)
    s.flush()
    audit(s, user=user, action="profile.upload", kind="profile_version", object_id=pv.id,
          after={"filename": filename, "sha256": pv.sha256, "chamber": chamber})
    s.flush()
    return pv


def profile_version(engine: Engine, version_id: int | None) -> ProfileVersion | None:
    """The tenant's profile version ``version_id`` (the latest when None), or None."""
    with Session(engine) as s:
        if version_id is None:
            return s.exec(select(ProfileVersion).order_by(ProfileVersion.id.desc())  # type: ignore[union-attr]
                          ).first()
        return s.get(ProfileVersion, version_id)


def _safe_extract(data: bytes, into: Path) -> Path:
    """Extract a zip of table files (CSV or Parquet) into ``into``; the folder holding them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadProblem(Msg("not a valid zip archive (expected a .zip of the dataset's CSV or "
                                "Parquet tables)")) from None
    total = 0
    tables = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts:
            raise UploadProblem(Msg("{file}: a path outside the archive", file=info.filename))
        if name.name.startswith(".") or "__MACOSX" in name.parts:
            continue
        if name.suffix.lower() not in TABLE_SUFFIXES:
            raise UnsupportedKind(Msg("{file}: not a table (expected .csv or .parquet files, found {found})",
                                      file=info.filename, found=name.suffix or Msg("no extension")))
        total += info.file_size
        if total > MAX_UNZIPPED_BYTES:
            raise TooLarge(Msg("the archive unpacks to more than {mib} MiB", mib=MAX_UNZIPPED_BYTES // 2**20))
        tables.append(info)
    if not tables:
        raise UploadProblem(Msg("the archive holds no table (expected units.csv, staff.csv, …)"))
    folders = {PurePosixPath(i.filename).parent for i in tables}
    if len(folders) != 1:
        raise UploadProblem(Msg("the tables must be in one folder of the archive (found {folders})",
                                folders=", ".join(sorted(map(str, folders)))))
    for info in tables:
        target = into / PurePosixPath(info.filename).name
        with archive.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return into


@dataclass
class StoredDataset:
    upload: DatasetUpload
    dataset: Any


def add_dataset(engine: Engine, *, data: bytes, filename: str, version_id: int | None,
                year: int | None, user: User | None) -> StoredDataset:
    """Validate an uploaded dataset (.zip of CSV/Parquet tables, or .xlsx) against a profile
    version and store its content; raises (nothing stored) when anything is wrong."""
    pv = profile_version(engine, version_id)
    if pv is None:
        raise UploadProblem(Msg("no profile version to validate the dataset against") if version_id is None
                            else Msg("no profile version {version}", version=version_id))
    profile = load_profile_text(pv.text, pv.filename)
    dataset = load_upload(data, filename, profile, year)
    with Session(engine) as s, s.begin():
        up = write_dataset(s, dataset, filename=filename, version_id=int(pv.id or 0),
                           year=year, user=user)
        s.expunge(up)
    return StoredDataset(upload=up, dataset=dataset)


def load_upload(data: bytes, filename: str, profile: Any, year: int | None) -> Any:
    """The engine's dataset of an upload (.zip of CSV/Parquet tables, or .xlsx) validated
    against ``profile``; raises the located errors (naming ``filename``). Nothing stored."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(Msg("{file}: {size} bytes, more than the limit of {mib} MiB", file=filename,
                           size=len(data), mib=MAX_UPLOAD_BYTES // 2**20))
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="smvp-upload-") as tmp:
        base = Path(tmp)
        if suffix == ".zip":
            folder = base / "dataset"
            folder.mkdir()
            path = _safe_extract(data, folder)
        elif suffix == ".xlsx":
            path = base / Path(filename).name
            path.write_bytes(data)
        else:
            raise UnsupportedKind(Msg("{file}: expected a .zip of CSV or Parquet tables or an .xlsx workbook "
                                      "(found {found})", file=filename, found=suffix or Msg("no extension")))
        try:
            dataset = engine_api.load_dataset(path, profile=profile, year=year)
        except Exception as exc:  # located engine errors: name the upload, not the temp path
            _rename_paths(exc, str(path), filename)
            raise
        if (year or getattr(dataset, "year", None)) is None:
            raise UploadProblem(Msg("{file}: the dataset does not say which year it is (give year)",
                                    file=filename))
    return dataset


def write_dataset(s: Session, dataset: Any, *, filename: str, version_id: int,
                  year: int | None, user: User | None) -> DatasetUpload:
    """Add a validated dataset (its content and its upload record, audited) in the caller's
    transaction."""
    from smvp.store.content import blob_values

    tenant_id = _tenant(s)
    store.runs.insert_blob_once(s, dict(tenant_id=tenant_id, sha256=dataset.sha256,
                                        created_at=_now(), **blob_values(dataset)))
    up = DatasetUpload(tenant_id=tenant_id, filename=filename, sha256=dataset.sha256,
                       year=int(year or dataset.year), profile_version_id=version_id,
                       people=_people(dataset), created_at=_now(),
                       created_by=user.id if user else None)
    s.add(up)
    s.flush()
    audit(s, user=user, action="dataset.upload", kind="dataset", object_id=up.id,
          after={"filename": filename, "sha256": dataset.sha256, "year": up.year,
                 "profile_version": version_id})
    s.flush()
    return up


def _tenant(session: Session) -> int:
    """The tenant of a scoped session (uploads always belong to one)."""
    tid = store.tenancy.session_tenant(session)
    if tid is None:
        raise UsageProblem(Msg("an upload needs a tenant (use store.scoped(engine, tenant_id))"))
    return tid


def _people(dataset: Any) -> int:
    staff = (getattr(dataset, "tables", None) or {}).get("staff")
    cols = getattr(staff, "columns", staff) or {}
    ids = cols.get("person_id") if hasattr(cols, "get") else None
    return len(ids) if ids is not None else 0


def _rename_paths(exc: BaseException, tmp: str, filename: str) -> None:
    for err in getattr(exc, "errors", None) or [exc]:
        for attr in ("file", "path"):
            value = getattr(err, attr, None)
            if isinstance(value, str) and tmp in value:
                try:
                    setattr(err, attr, value.replace(tmp, filename))
                except AttributeError:
                    pass
