from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from care_services.db import init_db, make_engine
from care_services.model import Base
from care_services.store import load_sample

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


POSTGRES_URL_VARIABLE = "CARECALC_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True, scope="session")
def backup_key_file(tmp_path_factory):
    """The tests' instance backup key lives in a temporary directory, not in the checkout's instance/."""
    from care_services.backup import KEY_FILE_VARIABLE

    path = tmp_path_factory.mktemp("instance") / "backup.key"
    previous = os.environ.get(KEY_FILE_VARIABLE)
    os.environ[KEY_FILE_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(KEY_FILE_VARIABLE, None)
    else:
        os.environ[KEY_FILE_VARIABLE] = previous


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


class FakeClock:
    """The server's clock in a test (care_services.clock.now replaced): a fixed moment the test moves."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def travel_to(self, day: dt.date, hour: int = 10) -> None:
        """To ``hour`` o'clock Beijing time on ``day`` (stored as UTC)."""
        self.moment = dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=8)

    def advance(self, **delta) -> None:
        self.moment += dt.timedelta(**delta)


CLOCK_START = dt.date(2024, 3, 1)  # the day the tests' applications are filed (tests/workflow/conftest.py)


@pytest.fixture
def clock(monkeypatch):
    """The server's clock at 10:00 Beijing time on CLOCK_START; ``clock.travel_to(day)`` moves it."""
    from care_services import clock as server_clock

    fake = FakeClock(dt.datetime(2000, 1, 1))
    fake.travel_to(CLOCK_START)
    monkeypatch.setattr(server_clock, "now", fake)
    return fake


def travel(day: dt.date, hour: int = 10) -> None:
    """Move the (replaced) server clock to ``day``; a test using this depends on the ``clock`` fixture."""
    from care_services import clock as server_clock

    assert isinstance(server_clock.now, FakeClock), "use the clock fixture"
    server_clock.now.travel_to(day, hour)
