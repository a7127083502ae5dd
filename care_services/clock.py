"""The server's clock: the time of record of every step (DEVELOPERS.md, rules of the house).

No client supplies when a step happened. Stored times are UTC without a zone (SQLite keeps none); the date of a
step — the day it is approved, the day its notice is published — is the date in Beijing time (UTC+8), the date the
office's own calendar shows. Everything asks this module through ``clock.now()`` at call time, so a test moves the
clock by replacing ``care_services.clock.now`` (monkeypatch); nothing a request carries can.
"""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def now() -> dt.datetime:
    """The current time in UTC, without a zone (as stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_date(moment: dt.datetime) -> dt.date:
    """The Beijing date of a stored (UTC, zone-less) time."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING).date()


def today() -> dt.date:
    """Today's date in Beijing: the date of a step taken now."""
    return local_date(now())
