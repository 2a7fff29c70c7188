"""Alembic environment: the URL comes from the caller (iku.warehouse.Warehouse.migrate)."""

from alembic import context

from iku.warehouse.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: use the configured URL
    from sqlalchemy import create_engine

    with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
