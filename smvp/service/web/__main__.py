"""``python -m smvp.service.web --demo [--port 8000] [--db URL]``: the same as
``smvp serve --demo`` — the service with its pages, a demo tenant per bundled chamber (its
profile, its newest sample year uploaded and evaluated) and an account per role
(``cuneo-amministratore``, ``cuneo-dipendente`` …; the password is printed)."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    from smvp.commands.service import serve

    parser = argparse.ArgumentParser(prog="python -m smvp.service.web", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="demo tenants, data and accounts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", default=None, help="database URL (default: $SMVP_HOME/smvp.db)")
    args = parser.parse_args(argv)
    return serve(host=args.host, port=args.port, db=args.db, demo=args.demo,
                 secure_cookies=False, out=Console())


if __name__ == "__main__":
    raise SystemExit(main())
