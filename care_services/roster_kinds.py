"""The other departments' rosters a case is checked against (宜府办发〔2023〕20号 三（二）: 因死亡或退出低保等因素不再符合
条件的，应及时做好退出管理): what each one lists and what its date means. Apart from care_services.rosters (which
reads and checks them in the database) so that the command line's parser names them without importing SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roster:
    id: str
    zh: str
    date_zh: str  # what the date column means
    snapshot: bool  # True: each import is the whole list as of its date; False: events that accumulate


ROSTERS = {r.id: r for r in (
    Roster("dibao", "低保对象名册", "纳入低保日期", True),
    Roster("monitoring", "易返贫致贫监测对象名单", "纳入监测日期", True),
    Roster("deaths", "死亡人员名单", "死亡日期", False),
    Roster("tekun", "特困人员救助供养名册", "纳入特困供养日期", False),
)}
