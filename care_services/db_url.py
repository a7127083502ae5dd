"""Where the database is: $CARECALC_DATABASE_URL or the embedded SQLite file. Apart from care_services.db (which
imports SQLAlchemy) so that a command that may not need a database (``carecalc evaluate``) can ask whether there is
one without loading the database layer."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_VARIABLE = "CARECALC_DATABASE_URL"
DEFAULT_DATABASE_PATH = Path("instance") / "carecalc.sqlite3"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $CARECALC_DATABASE_URL, else instance/carecalc.sqlite3."""
    return url or os.environ.get(DATABASE_URL_VARIABLE) or f"sqlite:///{DEFAULT_DATABASE_PATH}"
