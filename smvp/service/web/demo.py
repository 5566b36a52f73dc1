"""A demo deployment: one tenant per bundled chamber, one account per role, the sample year
evaluated. ``python -m smvp.service.web --demo`` (docs/web.md). Invented people only."""

from __future__ import annotations

from typing import Any

from smvp.service.web.auth import Directory, Grant, Tenant

NAMES = {"cuneo": "Camera di commercio di Cuneo", "cremona": "Camera di commercio di Cremona",
         "brescia": "Camera di commercio di Brescia", "lucca": "Camera di commercio di Lucca"}


def tenants(chambers: list[str]) -> list[Tenant]:
    return [Tenant(c, NAMES.get(c, c), c) for c in chambers]


def _sample_people(chamber: str) -> tuple[str | None, str | None]:
    """(a dipendente's person id, the unit of an evaluator with people below) from the sample."""
    from smvp import engine_api
    from smvp.commands.evaluate import sample_years

    years = sample_years(chamber)
    if not years:
        return None, None
    found = engine_api.find_chamber(chamber)
    profile = engine_api.load_profile(found[1]) if found else None
    ds: Any = engine_api.load_dataset(years[max(years)], profile=profile)
    staff = ds.tables["staff"] if hasattr(ds, "tables") else None
    if staff is None:
        return None, None
    ids = [str(x) for x in staff["person_id"]]
    roles = [str(x) for x in staff["role"]]
    units = [str(x) for x in staff["unit_id"]]
    k = roles.index("dipendente") if "dipendente" in roles else len(ids) - 1
    parents = dict(zip((str(u) for u in ds.tables["units"]["unit_id"]),
                       (None if p in (None, "") else str(p) for p in ds.tables["units"]["parent_id"])))
    head = units[k]
    while True:  # up to the unit below the root
        up = parents.get(head)
        if up is None or parents.get(up) is None:
            break
        head = up
    return ids[k], head


def directory(tenant_list: list[Tenant], password: str) -> Directory:
    """Accounts ``<slug>-<role>`` with ``password`` for every tenant and role."""
    d = Directory()
    for t in tenant_list:
        person, unit = _sample_people(t.chamber)
        d.add(f"{t.slug}-amministratore", password, f"Amministratore {t.slug}", [Grant(t.slug, "amministratore")])
        d.add(f"{t.slug}-valutatore", password, f"Valutatore {t.slug}", [Grant(t.slug, "valutatore", unit_id=unit)])
        d.add(f"{t.slug}-dipendente", password, f"Dipendente {person}", [Grant(t.slug, "dipendente", person_id=person)])
        d.add(f"{t.slug}-oiv", password, f"OIV {t.slug}", [Grant(t.slug, "oiv")])
        d.add(f"{t.slug}-revisore", password, f"Revisore {t.slug}", [Grant(t.slug, "revisore")])
    return d
