"""``smvp chambers``: the chamber ids that resolve, and where each profile comes from.

The lookup rule (one, documented in ``smvp evaluate --help`` and docs/cli.md):
``--profile PATH``, else ``$SMVP_CHAMBERS_DIR``, else ``./chambers`` in the
working directory, else the profiles bundled with smvp.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from smvp import engine_api
from smvp.i18n import t

ORIGIN_LABEL = {"SMVP_CHAMBERS_DIR": "chambers.origin_env", "./chambers": "chambers.origin_cwd",
                "bundled": "chambers.origin_bundled"}


def run(*, json_out: bool, out: Console, lang: str = "it") -> int:
    known = engine_api.known_chambers()
    rows: list[dict[str, Any]] = []
    for chamber, (origin, path) in sorted(known.items()):
        samples = engine_api.sample_dir(chamber)
        years = sorted({p.name if p.is_dir() else p.stem for p in samples.iterdir()
                        if p.name.isdigit() or p.stem.isdigit()}) if samples.is_dir() else []
        rows.append({"chamber": chamber, "origin": origin, "path": str(path), "sample_years": years})
    if json_out:
        print(json.dumps({"rule": engine_api.PROFILE_RULE, "chambers": rows}, ensure_ascii=False, indent=2))
        return 0
    table = Table(title=t("chambers.title", lang))
    table.add_column(t("chambers.chamber", lang))
    table.add_column(t("chambers.origin", lang))
    table.add_column(t("chambers.sample_years", lang))
    table.add_column(t("chambers.profile", lang), overflow="fold")
    for row in rows:
        origin_id = ORIGIN_LABEL.get(row["origin"])
        table.add_row(row["chamber"], t(origin_id, lang) if origin_id else row["origin"],
                      ", ".join(row["sample_years"]) or "—", row["path"])
    out.print(table)
    out.print(t("chambers.rule", lang), highlight=False, markup=False)
    return 0
