#!/usr/bin/env python3
"""Write the bundled Cuneo sample year: chambers/data/cuneo/2024/*.csv and chambers/data/cuneo/2024.xlsx.

The people, names, units' staffing, objectives, indicator values, scores and
amounts are INVENTED: they only look plausible for a Chamber of Commerce of
Cuneo's size. The structure follows the Cuneo SMVP 2024 (roles, behaviour
factors and their maxima, results components; see chambers/cuneo.yaml).

Deterministic: everything random comes from ``random.Random(2024)``, the CSVs
are written with ``\\n`` line ends and the workbook's zip timestamps and
document dates are fixed, so running the script twice gives identical files.

Structure:
    - units: the ente CCIAA; 2 areas (AREA1 led by the Segretario Generale,
      AREA2 by the dirigente); 4 servizi (2 per area); 11 uffici.
    - staff: 1 segretario_generale, 1 dirigente, 8 elevata_qualificazione
      (2 per servizio, one with time_coefficient 0.5), 70 dipendenti spread
      over the uffici, with categories B/C/D (theoretical premium from
      categories.csv), part time, presence days and absences.
    - objectives: 3 ente, 2 per area, 1–2 per servizio and ufficio, individual
      objectives for SG, dirigente and each EQ; 1–3 indicators each (some
      "lower is better"); one objective attested by the OIV.
    - behaviours: one row per person per factor of the person's role.
    - resources: risultato_dirigenza, risultato_eq, produttivita, maggiorazione.

Usage: python scripts/make_cuneo_sample.py [--out chambers/data/cuneo]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smvp_engine.dataset import DECIMAL, FRACTION, MONEY, SCALE, TABLES

YEAR = 2024

UNITS = [
    # unit_id, label, level, parent_id
    ("CCIAA", "Camera di Commercio di Cuneo", "ente", ""),
    ("AREA1", "Area Anagrafe e regolazione del mercato", "area", "CCIAA"),
    ("AREA2", "Area Promozione e sviluppo del territorio", "area", "CCIAA"),
    ("SERV11", "Servizio Registro delle imprese", "servizio", "AREA1"),
    ("SERV12", "Servizio Regolazione del mercato e tutela del consumatore", "servizio", "AREA1"),
    ("SERV21", "Servizio Promozione e internazionalizzazione", "servizio", "AREA2"),
    ("SERV22", "Servizio Risorse finanziarie, provveditorato e personale", "servizio", "AREA2"),
    ("UFF111", "Ufficio Iscrizioni, modifiche e depositi", "ufficio", "SERV11"),
    ("UFF112", "Ufficio Albo artigiani e attività regolamentate", "ufficio", "SERV11"),
    ("UFF113", "Ufficio Sportello polifunzionale e certificazioni", "ufficio", "SERV11"),
    ("UFF121", "Ufficio Metrologia legale e sicurezza prodotti", "ufficio", "SERV12"),
    ("UFF122", "Ufficio Sanzioni e protesti", "ufficio", "SERV12"),
    ("UFF211", "Ufficio Promozione e contributi alle imprese", "ufficio", "SERV21"),
    ("UFF212", "Ufficio Internazionalizzazione", "ufficio", "SERV21"),
    ("UFF213", "Ufficio Studi e statistica", "ufficio", "SERV21"),
    ("UFF221", "Ufficio Ragioneria e diritto annuale", "ufficio", "SERV22"),
    ("UFF222", "Ufficio Provveditorato", "ufficio", "SERV22"),
    ("UFF223", "Ufficio Personale", "ufficio", "SERV22"),
]

# dipendenti per ufficio (70 in all)
OFFICE_SIZES = {
    "UFF111": 10, "UFF112": 6, "UFF113": 7, "UFF121": 6, "UFF122": 6, "UFF211": 7,
    "UFF212": 5, "UFF213": 4, "UFF221": 8, "UFF222": 5, "UFF223": 6,
}

CATEGORIES = {"B": "1100.00", "C": "1300.00", "D": "1500.00"}

FIRST_F = [
    "Alessandra", "Anna", "Barbara", "Chiara", "Cristina", "Daniela", "Elena", "Elisa",
    "Federica", "Francesca", "Giovanna", "Giulia", "Laura", "Lucia", "Manuela", "Marina",
    "Marta", "Michela", "Monica", "Paola", "Roberta", "Sara", "Silvia", "Simona", "Valentina",
]
FIRST_M = [
    "Alberto", "Andrea", "Davide", "Enrico", "Fabrizio", "Franco", "Gianluca", "Giorgio",
    "Giuseppe", "Luca", "Marco", "Massimo", "Matteo", "Maurizio", "Paolo", "Piero", "Roberto",
    "Sergio", "Stefano", "Walter",
]
SURNAMES = [
    "Allasia", "Armando", "Audisio", "Barale", "Beltramo", "Bernardi", "Bertola", "Bottero",
    "Brignone", "Bruno", "Cavallo", "Chiapello", "Costamagna", "Cravero", "Dalmasso", "Demaria",
    "Dutto", "Fino", "Ferrero", "Gallo", "Garelli", "Ghione", "Giacosa", "Giordano", "Giraudo",
    "Isoardi", "Lerda", "Macagno", "Mana", "Marengo", "Mellano", "Olivero", "Operti", "Peano",
    "Pellegrino", "Quaranta", "Revelli", "Ribero", "Rinaudo", "Sasso", "Serra", "Tallone",
    "Testa", "Viale", "Vigna", "Arneodo", "Blengino", "Borgna", "Cometto", "Einaudi",
]

FACTORS = {
    "segretario_generale": [("capacita_direzionale", 5), ("responsabilizzazione_leadership", 5),
                            ("qualita_prestazione_innovazione", 5), ("valutazione_collaboratori", 5)],
    "elevata_qualificazione": [("responsabilizzazione", 10), ("cooperazione_team_working", 10),
                               ("orientamento_utenza", 10), ("valutazione_collaboratori", 10)],
    "dipendente": [("problem_solving_autonomia", 20), ("orientamento_utenza", 20),
                   ("cooperazione_team_working", 15), ("esecuzione_compiti", 15)],
}
FACTORS["dirigente"] = FACTORS["segretario_generale"]

# (objective label, type, [(indicator label, unit, direction, target)])
ENTE_OBJECTIVES = [
    ("Favorire la competitività e lo sviluppo delle imprese del territorio", "strategico", [
        ("Risorse erogate alle imprese sul totale stanziato (%)", "pct", "higher", "90"),
        ("Imprese beneficiarie di contributi camerali (n.)", "n", "higher", "600"),
    ]),
    ("Semplificazione amministrativa e digitalizzazione dei servizi", "strategico", [
        ("Tempo medio di lavorazione delle pratiche del Registro imprese (giorni)", "days", "lower", "4"),
        ("Pratiche presentate in modalità telematica sul totale (%)", "pct", "higher", "98"),
    ]),
    ("Garantire la solidità economico-finanziaria dell'ente", "strategico", [
        ("Indice di riscossione del diritto annuale (%)", "pct", "higher", "75"),
        ("Oneri di funzionamento per impresa attiva (euro)", "eur", "lower", "28"),
        ("Tempo medio di pagamento delle fatture (giorni)", "days", "lower", "30"),
    ]),
]

AREA_OBJECTIVES = {
    "AREA1": [
        ("Qualità e tempestività del Registro delle imprese", "strategico", [
            ("Tempo medio di evasione delle pratiche (giorni)", "days", "lower", "5"),
            ("Pratiche evase entro 5 giorni (%)", "pct", "higher", "90"),
        ]),
        ("Tutela del mercato e della fede pubblica", "strategico", [
            ("Verifiche metrologiche effettuate (n.)", "n", "higher", "1200"),
            ("Tempo medio di emissione delle ordinanze (giorni)", "days", "lower", "180"),
        ]),
    ],
    "AREA2": [
        ("Sostegno all'internazionalizzazione e alla promozione del territorio", "strategico", [
            ("Imprese assistite sui mercati esteri (n.)", "n", "higher", "400"),
            ("Eventi e iniziative promozionali realizzati (n.)", "n", "higher", "25"),
        ]),
        ("Efficienza nella gestione delle risorse", "strategico", [
            ("Tempo medio di pagamento delle fatture (giorni)", "days", "lower", "30"),
            ("Diritto annuale riscosso entro l'anno (%)", "pct", "higher", "75"),
        ]),
    ],
}

SERVIZIO_OBJECTIVES = {
    "SERV11": [
        ("Revisione dinamica e cancellazioni d'ufficio delle imprese non operative", "operativo", [
            ("Posizioni esaminate (n.)", "n", "higher", "1500"),
            ("Procedimenti di cancellazione conclusi (%)", "pct", "higher", "85"),
        ]),
        ("Diffusione del cassetto digitale dell'imprenditore", "operativo", [
            ("Nuove attivazioni del cassetto digitale (n.)", "n", "higher", "3000"),
        ]),
    ],
    "SERV12": [
        ("Vigilanza del mercato e controlli sui prodotti", "operativo", [
            ("Ispezioni di vigilanza effettuate (n.)", "n", "higher", "60"),
            ("Verbali trattati entro i termini (%)", "pct", "higher", "95"),
        ]),
    ],
    "SERV21": [
        ("Bandi di contributo per la transizione digitale ed ecologica", "operativo", [
            ("Tempo medio di liquidazione dei contributi (giorni)", "days", "lower", "60"),
            ("Domande istruite (n.)", "n", "higher", "700"),
        ]),
    ],
    "SERV22": [
        ("Ottimizzazione dei processi di supporto", "operativo", [
            ("Procedure di acquisto svolte sul mercato elettronico (%)", "pct", "higher", "95"),
            ("Tempo medio di pagamento delle fatture (giorni)", "days", "lower", "30"),
        ]),
    ],
}

UFFICIO_OBJECTIVES = {
    "UFF111": [("Evasione tempestiva delle pratiche telematiche", [
        ("Pratiche evase entro 5 giorni (%)", "pct", "higher", "90"),
        ("Tempo medio di evasione (giorni)", "days", "lower", "4.5")])],
    "UFF112": [("Aggiornamento dell'Albo delle imprese artigiane", [
        ("Posizioni verificate (n.)", "n", "higher", "800")])],
    "UFF113": [("Rilascio di certificati e dispositivi di firma digitale", [
        ("Dispositivi di firma digitale rilasciati (n.)", "n", "higher", "2500"),
        ("Tempo medio di attesa allo sportello (minuti)", "min", "lower", "15")]),
        ("Certificati di origine rilasciati in modalità telematica", [
        ("Certificati telematici sul totale (%)", "pct", "higher", "90")])],
    "UFF121": [("Verificazione periodica degli strumenti di misura", [
        ("Strumenti verificati (n.)", "n", "higher", "1100")])],
    "UFF122": [("Gestione delle sanzioni amministrative e dei protesti", [
        ("Ordinanze emesse (n.)", "n", "higher", "900"),
        ("Istanze di cancellazione protesti evase entro 20 giorni (%)", "pct", "higher", "95")])],
    "UFF211": [("Gestione dei bandi di contributo alle imprese", [
        ("Domande liquidate (n.)", "n", "higher", "650"),
        ("Tempo medio di liquidazione (giorni)", "days", "lower", "60")])],
    "UFF212": [("Accompagnamento delle imprese sui mercati esteri", [
        ("Imprese partecipanti a fiere e missioni (n.)", "n", "higher", "150")])],
    "UFF213": [("Rapporto annuale sull'economia provinciale", [
        ("Giorni dal 1° gennaio alla pubblicazione del rapporto (31 maggio = 151)", "n", "lower",
         "151")])],
    "UFF221": [("Riscossione del diritto annuale", [
        ("Diritto annuale riscosso (%)", "pct", "higher", "75"),
        ("Avvisi di regolarizzazione inviati (n.)", "n", "higher", "5000")])],
    "UFF222": [("Acquisti tramite mercato elettronico", [
        ("Procedure sul MePA sul totale (%)", "pct", "higher", "95")])],
    "UFF223": [("Gestione giuridica ed economica del personale", [
        ("Cedolini elaborati senza rettifiche (%)", "pct", "higher", "99"),
        ("Corsi di formazione erogati (n.)", "n", "higher", "20")]),
        ("Ciclo della performance: schede di valutazione", [
        ("Schede di valutazione consegnate entro il 31 marzo (%)", "pct", "higher", "100")])],
}

ATTESTED = ("UFF213", "100", (
    "Validato dall'OIV: la pubblicazione è slittata per il ritardo nel rilascio dei dati "
    "ISTAT, causa non imputabile all'ufficio; obiettivo considerato pienamente raggiunto"))

INDIVIDUAL_OBJECTIVES = {
    "segretario_generale": [
        ("Attuazione del Piano triennale di prevenzione della corruzione", [
            ("Misure del PTPCT attuate (%)", "pct", "higher", "100")]),
        ("Riorganizzazione dei servizi di supporto", [
            ("Fasi del cronoprogramma concluse (n.)", "n", "higher", "4")]),
    ],
    "dirigente": [
        ("Sviluppo dei progetti finanziati con la maggiorazione del diritto annuale", [
            ("Progetti avviati (n.)", "n", "higher", "3"),
            ("Risorse impegnate sul totale (%)", "pct", "higher", "90")]),
    ],
    "elevata_qualificazione": [
        ("Coordinamento dei progetti del servizio", [
            ("Progetti conclusi nei tempi (%)", "pct", "higher", "90")]),
    ],
}


def money(x: Decimal | int | str) -> str:
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def half(x: float) -> str:
    """A score rounded to .5, as text."""
    v = Decimal(round(x * 2)) / 2
    return str(v.normalize()) if v != v.to_integral_value() else str(int(v))


class Sample:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_names: set[str] = set()
        self.staff: list[dict] = []
        self.absences: list[dict] = []
        self.behaviours: list[dict] = []
        self.objectives: list[dict] = []
        self.indicators: list[dict] = []
        self.assignments: list[dict] = []

    # -- people --------------------------------------------------------------
    def name(self) -> str:
        while True:
            first = self.rng.choice(FIRST_F if self.rng.random() < 0.6 else FIRST_M)
            n = f"{self.rng.choice(SURNAMES)} {first}"
            if n not in self.used_names:
                self.used_names.add(n)
                return n

    def person(self, role: str, unit: str, **kw: str) -> dict:
        p = {
            "person_id": f"P{len(self.staff) + 1:03d}", "name": self.name(), "role": role,
            "unit_id": unit, "part_time": "1", "presence_days": "", "time_coefficient": "",
            "theoretical_premium": "", "category": "", "pool_share": "",
        }
        p.update(kw)
        self.staff.append(p)
        return p

    def build_staff(self) -> None:
        rng = self.rng
        self.person("segretario_generale", "AREA1", time_coefficient="1")
        self.person("dirigente", "AREA2", time_coefficient="1")
        servizi = [u for u, _, level, _ in UNITS if level == "servizio"]
        for k in range(8):
            self.person("elevata_qualificazione", servizi[k // 2], category="D",
                        time_coefficient="0.5" if k == 5 else "1",
                        theoretical_premium=money(rng.choice(range(2500, 4001, 250))))
        # dipendenti
        specials = iter([
            # (presence_days, absences [(type, days)]): low presence and long leaves
            ("0", [("maternita", "180"), ("congedo_parentale", "52")]),
            ("86.5", [("maternita", "150")]),
            ("112", [("malattia", "120")]),
            ("148", [("malattia", "60"), ("altro", "25")]),
            ("175", [("congedo_parentale", "45.5")]),
            ("205", [("paternita", "10")]),
        ])
        special_at = {5, 13, 22, 31, 44, 58}
        part_times = {3: "0.5", 9: "0.8333", 17: "0.75", 26: "0.5", 35: "0.8333",
                      41: "0.75", 50: "0.5", 63: "0.8333", 67: "0.6667"}
        k = 0
        for office, size in OFFICE_SIZES.items():
            for _ in range(size):
                category = rng.choices(["B", "C", "D"], weights=[2, 5, 3])[0]
                if k in special_at:
                    presence, absences = next(specials)
                else:
                    presence = str(rng.randint(205, 245)) if rng.random() < 0.8 else \
                        f"{rng.randint(200, 244)}.5"
                    absences = []
                    if rng.random() < 0.15:
                        absences = [("malattia", str(rng.randint(2, 18)))]
                p = self.person("dipendente", office, category=category,
                                part_time=part_times.get(k, "1"), presence_days=presence)
                for kind, days in absences:
                    self.absences.append({"person_id": p["person_id"], "type": kind, "days": days})
                k += 1

    def build_behaviours(self) -> None:
        rng = self.rng
        dip = [p for p in self.staff if p["role"] == "dipendente"]
        # a few low evaluations: one negative (behaviour < 15), a few totals ≤ 60, some middling
        profile_of: dict[str, float | None] = {}
        picks = rng.sample(range(len(dip)), 12)
        profile_of[dip[picks[0]]["person_id"]] = 0.18   # negative: behaviour ≈ 12.5 < 15
        for i in picks[1:4]:
            profile_of[dip[i]["person_id"]] = 0.43      # behaviour ≈ 30 → total ≤ 60
        for i in picks[4:12]:
            profile_of[dip[i]["person_id"]] = 0.68      # behaviour ≈ 48 → graduated payout
        for p in self.staff:
            level = profile_of.get(p["person_id"])
            for factor, top in FACTORS[p["role"]]:
                if level is None:
                    x = top * rng.uniform(0.80, 1.0)
                else:
                    x = top * rng.uniform(level - 0.05, level + 0.05)
                self.behaviours.append({"person_id": p["person_id"], "factor": factor,
                                        "score": half(min(top, max(0.0, x)))})

    # -- objectives ----------------------------------------------------------
    def actual(self, unit: str, direction: str, target: str) -> str:
        t = Decimal(target)
        ratio = self.rng.choice([0.82, 0.9, 0.95, 0.97, 1.0, 1.0, 1.03, 1.08, 1.15])
        ratio += self.rng.uniform(-0.02, 0.02)
        if direction == "lower":
            ratio = 1 / ratio
        v = float(t) * ratio
        if unit == "pct":
            v = min(v, 100.0)
            return str(Decimal(v).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        if unit in ("days", "eur", "min") and t < 100:
            return str(Decimal(v).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        return str(max(1, round(v)))

    def objective(self, oid: str, label: str, level: str, unit: str = "", person: str = "",
                  type_: str = "operativo", indicators: list = (), weight: str = "",
                  attested: str = "", note: str = "") -> None:
        self.objectives.append({
            "objective_id": oid, "label": label, "level": level, "unit_id": unit,
            "person_id": person, "weight": weight, "type": type_,
            "attested_percent": attested, "attestation_note": note,
        })
        weights = ["2", "1", "1"] if len(indicators) == 3 else [""] * len(indicators)
        for j, (ilabel, iunit, direction, target) in enumerate(indicators, 1):
            actual = self.actual(iunit, direction, target)
            if attested:
                actual = str(Decimal(target) + 25)  # the late publication the OIV neutralised
            self.indicators.append({
                "indicator_id": f"{oid}.{j}", "objective_id": oid, "label": ilabel,
                "target": target, "actual": actual, "weight": weights[j - 1],
                "direction": "lower" if direction == "lower" else "",
            })

    def build_objectives(self) -> None:
        for k, (label, type_, inds) in enumerate(ENTE_OBJECTIVES, 1):
            self.objective(f"OBE{k}", label, "ente", "CCIAA", type_=type_, indicators=inds)
        for area, objs in AREA_OBJECTIVES.items():
            for k, (label, type_, inds) in enumerate(objs, 1):
                self.objective(f"OB{area[0]}{area[-1]}{k}", label, "area", area, type_=type_,
                               indicators=inds, weight="2" if k == 1 else "1")
        for serv, objs in SERVIZIO_OBJECTIVES.items():
            for k, (label, type_, inds) in enumerate(objs, 1):
                self.objective(f"OBS{serv[4:]}{k}", label, "servizio", serv, type_=type_,
                               indicators=inds)
        for office, objs in UFFICIO_OBJECTIVES.items():
            for k, (label, inds) in enumerate(objs, 1):
                attested = note = ""
                if office == ATTESTED[0]:
                    attested, note = ATTESTED[1], ATTESTED[2]
                self.objective(f"OBU{office[3:]}{k}", label, "ufficio", office, indicators=inds,
                               attested=attested, note=note)
        for p in self.staff:
            for k, (label, inds) in enumerate(INDIVIDUAL_OBJECTIVES.get(p["role"], []), 1):
                self.objective(f"OBI{p['person_id'][1:]}{k}", label, "individuale",
                               person=p["person_id"], type_="individuale", indicators=inds)

    def build_assignments(self) -> None:
        # an ad-hoc working group: two people of Personale also work on the
        # Provveditorato objective, which counts once against two for their own.
        group = [p for p in self.staff if p["unit_id"] == "UFF223"][:2]
        for p in group:
            self.assignments.append({"person_id": p["person_id"], "component": "ufficio",
                                     "objective_id": "OBU2231", "weight": "2"})
            self.assignments.append({"person_id": p["person_id"], "component": "ufficio",
                                     "objective_id": "OBU2221", "weight": "1"})

    def resources(self) -> list[dict]:
        eq = sum(Decimal(p["theoretical_premium"]) for p in self.staff
                 if p["role"] == "elevata_qualificazione")
        dip = sum(Decimal(CATEGORIES[p["category"]]) for p in self.staff if p["role"] == "dipendente")
        roundup = lambda x, step: (x // step + 1) * step
        return [
            {"resource": "risultato_dirigenza", "amount": money(30000)},
            {"resource": "risultato_eq", "amount": money(roundup(eq, 1000))},
            {"resource": "produttivita", "amount": money(roundup(dip, 1000) + 2000)},
            {"resource": "maggiorazione", "amount": money(9000)},
        ]

    def tables(self) -> dict[str, list[dict]]:
        self.build_staff()
        self.build_behaviours()
        self.build_objectives()
        self.build_assignments()
        return {
            "meta": [{"key": "year", "value": str(YEAR)}, {"key": "chamber", "value": "cuneo"},
                     {"key": "description",
                      "value": "Dati di esempio INVENTATI (persone, punteggi e importi fittizi)"}],
            "units": [dict(zip(("unit_id", "label", "level", "parent_id"), u)) for u in UNITS],
            "objectives": self.objectives,
            "indicators": self.indicators,
            "staff": self.staff,
            "categories": [{"category": c, "theoretical_premium": v} for c, v in CATEGORIES.items()],
            "behaviours": self.behaviours,
            "absences": self.absences,
            "assignments": self.assignments,
            "resources": self.resources(),
        }


def write_csvs(tables: dict[str, list[dict]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = TABLES[name].column_names
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])
        (folder / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


def _cell_value(kind: str, text: str):
    if text == "":
        return None
    if kind in SCALE or kind == DECIMAL:
        return float(text) if "." in text else int(text)
    return text


FIXED_DATE = (2025, 1, 1, 0, 0, 0)


def write_xlsx(tables: dict[str, list[dict]], path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        specs = TABLES[name].columns
        ws.append([c.name for c in specs])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([_cell_value(c.kind, r.get(c.name, "")) for c in specs])
        for j, c in enumerate(specs, 1):
            fmt = {MONEY: "#,##0.00", FRACTION: "0.00%"}.get(c.kind)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    if cell.value is not None:
                        cell.number_format = fmt
            width = max([len(c.name)] + [len(str(r.get(c.name, ""))) for r in rows])
            ws.column_dimensions[get_column_letter(j)].width = min(60, width + 2)
        ws.freeze_panes = "A2"
    wb.properties.creator = "smvp scripts/make_cuneo_sample.py"
    buf = io.BytesIO()
    wb.save(buf)
    # fixed timestamps, so that the file is reproducible byte for byte
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>2025-01-01T00:00:00Z\g<3>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "chambers" / "data" / "cuneo")
    args = ap.parse_args(argv)
    tables = Sample(random.Random(2024)).tables()
    write_csvs(tables, args.out / str(YEAR))
    write_xlsx(tables, args.out / f"{YEAR}.xlsx")
    counts = ", ".join(f"{n} {len(r)}" for n, r in tables.items())
    print(f"wrote {args.out / str(YEAR)}/*.csv and {args.out / f'{YEAR}.xlsx'} ({counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
