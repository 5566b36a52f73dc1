"""Small fakes of the engine's Profile, Dataset and Evaluation (docs/design.md attribute names).

For testing the edges without the engine: ``install_fake_engine(monkeypatch)``
replaces the functions of ``smvp.engine_api``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

D = Decimal

FAKE_PROFILE_TEXT = """\
format: 1
chamber:
  id: fake
  name: Camera di prova
  validity: {from: 2022}
"""


@dataclass
class FakeProfile:
    path: Path = Path("chambers/fake.yaml")
    text: str = FAKE_PROFILE_TEXT
    chamber_id: str = "fake"
    warnings: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass
class FakeTable:
    columns: dict[str, Any]


@dataclass
class FakeDataset:
    path: Path = Path("chambers/data/fake/2024")
    year: int | None = 2024
    sha256: str = "d" * 64
    tables: dict[str, FakeTable] = field(default_factory=dict)


def fake_dataset(**kwargs: Any) -> FakeDataset:
    import numpy as np

    tables = {
        "staff": FakeTable({
            "person_id": np.array(["p1", "p2", "p3"], dtype=object),
            "name": ["Anna Rossi", "Bruno Bianchi", None],
            "presence_days": [D("250.00"), D("180.50"), None],
            "part_time": np.array([1, 1, 1], dtype=np.int64),
            "ratio": np.array([0.5, float("nan"), 1.0]),
        }),
        "resources": FakeTable({
            "resource": ["produttivita", "risultato_dirigenza"],
            "amount": np.array([1234567, 1000000], dtype=np.int64),
        }),
    }
    kwargs.setdefault("tables", tables)
    return FakeDataset(**kwargs)


def fake_rows() -> list[dict[str, Any]]:
    return [
        {
            "person_id": "p1", "name": "Anna Rossi", "role": "dirigente", "role_label": "Dirigente",
            "unit_id": "AREA1", "components": {"ente": D("15.00"), "area": D("40.50")},
            "results": D("55.50"), "behaviour": D("18.00"), "total": D("73.50"),
            "judgement": "positiva", "judgement_label": "Valutazione positiva", "negative": False,
            "payout_percent": D("73.50"), "coefficient_name": "coinvolgimento_temporale",
            "coefficient": D("1.000000"), "theoretical": D("10000.00"), "premium": D("7350.00"),
            "maggiorazione": D("0.00"), "paid": D("7350.00"), "maggiorazione_rank": None,
            "fund": "risultato_dirigenza",
        },
        {
            "person_id": "p2", "name": "Bruno Bianchi", "role": "dipendente",
            "role_label": "Dipendente", "unit_id": "UFF[1]",
            "components": {"ente": D("5.00"), "ufficio": D("25.00")},
            "results": D("30.00"), "behaviour": D("65.00"), "total": D("95.00"),
            "judgement": "positiva", "judgement_label": "Valutazione positiva", "negative": False,
            "payout_percent": D("100.00"), "coefficient_name": "presenza",
            "coefficient": D("0.722000"), "theoretical": D("1500.00"), "premium": D("1083.00"),
            "maggiorazione": D("151.62"), "paid": D("1234.62"), "maggiorazione_rank": 1,
            "fund": "produttivita",
        },
        {
            "person_id": "p3", "name": "Carla Verdi", "role": "dipendente",
            "role_label": "Dipendente", "unit_id": "UFF[1]",
            "components": {"ente": D("5.00"), "ufficio": D("10.00")},
            "results": D("15.00"), "behaviour": D("10.00"), "total": D("25.00"),
            "judgement": "non_positiva", "judgement_label": "Valutazione non positiva",
            "negative": True, "payout_percent": D("0.00"), "coefficient_name": "presenza",
            "coefficient": D("1.000000"), "theoretical": D("1500.00"), "premium": D("0.00"),
            "maggiorazione": D("0.00"), "paid": D("0.00"), "maggiorazione_rank": None,
            "fund": "produttivita",
        },
    ]


def fake_funds() -> list[dict[str, Any]]:
    return [
        {"fund": "risultato_dirigenza", "label": "Retribuzione di risultato della dirigenza",
         "resources": D("10000.00"), "distributed": D("7350.00"), "economies": D("2650.00")},
        {"fund": "produttivita", "label": "Compenso di produttività",
         "resources": D("12345.67"), "distributed": D("1234.62"), "economies": D("11111.05")},
    ]


def fake_objectives() -> list[dict[str, Any]]:
    return [
        {"objective_id": "O1", "label": "Digitalizzazione", "level": "ente", "unit_id": None,
         "achievement": D("87.50"), "status": "computed", "attested": False},
        {"objective_id": "O2", "label": "Sportello unico", "level": "ufficio",
         "unit_id": "UFF[1]", "achievement": D("100.00"), "status": "attested",
         "attested": True},
    ]


@dataclass
class FakeEvaluation:
    row_list: list[dict[str, Any]] = field(default_factory=fake_rows)
    fund_list: list[dict[str, Any]] = field(default_factory=fake_funds)
    objective_list: list[dict[str, Any]] = field(default_factory=fake_objectives)
    not_computed: list[Any] = field(default_factory=lambda: [
        "conciliation deadlines: defined: false in the profile"])

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.row_list]

    def funds(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self.fund_list]

    def objectives(self) -> list[dict[str, Any]]:
        return [dict(o) for o in self.objective_list]

    def summary(self) -> dict[str, Any]:
        return {
            "judgements": {"positiva": 2, "non_positiva": 1},
            "paid": sum((r["paid"] for r in self.row_list if r["paid"] is not None), D(0)),
            "not_computed": list(self.not_computed),
        }


def install_fake_engine(monkeypatch: Any, *, profile: FakeProfile | None = None,
                        dataset: FakeDataset | None = None,
                        evaluation: FakeEvaluation | None = None) -> dict[str, Any]:
    """Replace smvp.engine_api's engine calls with fakes; returns what was called."""
    from smvp import engine_api

    calls: dict[str, Any] = {}
    prof = profile or FakeProfile()
    data = dataset or fake_dataset()
    ev = evaluation or FakeEvaluation()

    def load_profile(path: Path) -> FakeProfile:
        calls["profile"] = path
        prof.path = Path(path)
        return prof

    def load_dataset(path: Path, **kwargs: Any) -> FakeDataset:
        calls["dataset"] = path
        data.path = Path(path)
        return data

    def evaluate(profile: Any, dataset: Any, *, year: int) -> FakeEvaluation:
        calls["year"] = year
        return ev

    monkeypatch.setattr(engine_api, "load_profile", load_profile)
    monkeypatch.setattr(engine_api, "load_dataset", load_dataset)
    monkeypatch.setattr(engine_api, "evaluate", evaluate)
    monkeypatch.setattr(engine_api, "engine_version", lambda: "0.0.0-fake")
    return calls
