"""``python -m smvp.service.web --demo [--port 8000] [--db URL]``: the pages with a demo tenant
per bundled chamber, an account per role (``cuneo-amministratore``, ``cuneo-dipendente`` …,
password from ``SMVP_DEMO_PASSWORD``, default ``demo``) and each sample year evaluated."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from smvp import engine_api, store
    from smvp.app import runs as app_runs
    from smvp.commands.evaluate import sample_years
    from smvp.service.web import create_app, demo

    parser = argparse.ArgumentParser(prog="python -m smvp.service.web", description=__doc__)
    parser.add_argument("--demo", action="store_true", required=True,
                        help="demo tenants and accounts (the only mode until the service's accounts land)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", default=None, help="database URL (default: $SMVP_HOME/smvp.db)")
    args = parser.parse_args(argv)
    url = store.database_url(args.db)
    engine = store.open_engine(url)
    chambers = sorted(engine_api.known_chambers())
    tenants = demo.tenants(chambers)
    have = {r.chamber for r in store.list_runs(engine)}
    for c in chambers:
        years = sample_years(c)
        if c in have or not years:
            continue
        found = engine_api.find_chamber(c)
        if found is None:
            continue
        profile = engine_api.load_profile(found[1])
        ds = engine_api.load_dataset(years[max(years)], profile=profile)
        app_runs.store_run(engine, profile, ds, app_runs.evaluate(profile, ds))
    password = os.environ.get("SMVP_DEMO_PASSWORD", "demo")
    app = create_app(url, demo.directory(tenants, password), tenants)
    print(f"smvp: http://{args.host}:{args.port}/login — accounts <chamber>-<role> "
          f"(e.g. cuneo-amministratore), password {password!r}; database {store.display_url(url)}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
