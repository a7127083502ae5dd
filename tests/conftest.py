from __future__ import annotations

import os
from pathlib import Path

import pytest

from care_services.db import init_db, make_engine
from care_services.model import Base
from care_services.store import load_sample

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


POSTGRES_URL_VARIABLE = "CARECALC_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """Every database test runs on the embedded SQLite file and on PostgreSQL (CI always provides one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = os.environ.get(POSTGRES_URL_VARIABLE)
        if not url:
            if os.environ.get("CI"):
                pytest.fail(f"CI must set {POSTGRES_URL_VARIABLE} (.ci/run starts a PostgreSQL server)")
            pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the database tests on PostgreSQL too")
    engine = make_engine(url)
    if request.param == "postgresql":
        Base.metadata.drop_all(engine)  # a shared server: start every test from empty tables
        with engine.begin() as connection:  # and from no migration history
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded_engine(engine):
    load_sample(engine)
    return engine


@pytest.fixture
def app(loaded_engine, tmp_path):
    from web import create_app

    app = create_app({"DATABASE_URL": loaded_engine.url.render_as_string(hide_password=False), "TESTING": True})
    yield app
    app.extensions["carecalc_jobs"].shutdown()  # its job threads stop with the test


@pytest.fixture
def client(app):
    return app.test_client()
