from __future__ import annotations

from pathlib import Path

import pytest

from care_services.db import init_db, make_engine
from care_services.store import load_sample

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
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

    return create_app({"DATABASE_URL": str(loaded_engine.url), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
