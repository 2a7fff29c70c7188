"""The SQLAlchemy tables (iku/warehouse/schema.py) and the Alembic migrations each
state every column: after upgrading to head, autogenerate must find no difference."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table

from iku.warehouse import Warehouse
from iku.warehouse.schema import metadata


def _differences(wh: Warehouse, target: MetaData) -> list:
    with wh.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(ctx, target)


def test_migrations_build_exactly_the_declared_tables(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    assert _differences(wh, metadata) == []


def test_the_comparison_sees_a_column_the_migrations_lack(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    extended = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(extended)
    Table("submission", extended, Column("not_migrated", Integer), extend_existing=True)
    diffs = _differences(wh, extended)
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in diffs), diffs


def test_the_heads_read_from_the_files_are_alembics():
    """migrate() reads the newest revision from the files without importing Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from iku.warehouse.store import MIGRATIONS, head_revisions

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(cfg).get_heads())
