"""Alembic environment of smvp's store: runs on the connection smvp.store.db hands it."""

from alembic import context

from smvp.store.tables import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand: the URL from the ini / -x url=
        from sqlalchemy import create_engine

        url = context.get_x_argument(as_dictionary=True).get("url") or \
            config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("no database URL: alembic -x url=sqlite:///path/to/smvp.db …")
        with create_engine(url).connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata,
                              render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
