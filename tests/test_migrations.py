"""The schema is managed by Alembic: migrations build exactly the models, and old databases are adopted."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from care_services.db import current_revision, init_db, make_engine
from care_services.model import Base

TABLES_BEFORE_MIGRATIONS = ("divisions", "population", "plan_indicators", "supply_summaries", "elderly_institutions",
                            "childcare_institutions", "facility_projects", "people")


def test_migrations_build_exactly_the_models(engine):
    # `engine` comes migrated by init_db (tests/conftest.py), on SQLite and on PostgreSQL
    assert current_revision(engine) is not None
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    # how carecalc made databases before migrations: create_all with the models of that time
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[name] for name in TABLES_BEFORE_MIGRATIONS])
    assert "alembic_version" not in inspect(engine).get_table_names()
    revision = init_db(engine)
    assert revision == current_revision(engine) and "alembic_version" in inspect(engine).get_table_names()
    assert init_db(engine) == revision == "0008"  # adopted, then upgraded; and idempotent
    assert {"cases", "audit_log", "users"} <= set(inspect(engine).get_table_names())


def test_cli_db_upgrade(tmp_path, monkeypatch, capsys):
    from care_services.cli import main

    monkeypatch.setenv("CARECALC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    assert main(["db", "upgrade"]) == 0
    assert "0008" in capsys.readouterr().out
