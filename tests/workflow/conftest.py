"""A county with staff for every step of 宜府办发〔2023〕20号 五, and one applicant's 《审批表》."""

from __future__ import annotations

import datetime as dt

import pytest

from care_services.accounts import create_user
from care_services.db import session_scope
from care_services.identifiers import make_resident_id
from care_services.model import Division, User
from tests.conftest import CLOCK_START, travel

TOWNSHIP = "360902100"  # a township of 袁州区 (in the sample since issue 20; the tests rename it 测试镇)
STAFF = {  # username: (role, jurisdiction)
    "li": ("township_reviewer", TOWNSHIP),
    "ma": ("township_reviewer", TOWNSHIP),
    "wang": ("health_assessor", "360902"),
    "zhao": ("disability_federation_reviewer", "360902"),
    "wu": ("disability_federation_reviewer", "360902"),
    "qian": ("civil_affairs_reviewer", "360902"),
    "sun": ("rural_revitalisation_officer", "360902"),
    "he": ("health_commission_reviewer", "360902"),
    "zhou": ("finance_approver", "360902"),
    "admin": ("administrator", "360900"),
    "outsider": ("township_reviewer", "360921"),
}
PASSWORD = "correct horse 1"
SUBMITTED = CLOCK_START


def pytest_configure(config):
    config.addinivalue_line("markers", "tampers_audit: the test rewrites the audit log on purpose (no chain check after)")


@pytest.fixture(autouse=True)
def audit_chain_verifies(request):
    """After every workflow test on a database, `carecalc audit verify` on it must pass (exit 0)."""
    engine = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    yield
    if engine is None or request.node.get_closest_marker("tampers_audit"):
        return
    import contextlib
    import io

    from care_services.cli import main

    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = main(["--database", engine.url.render_as_string(hide_password=False), "audit", "verify"])
    assert code == 0, f"the audit chain does not verify after {request.node.name}: {output.getvalue()}"


@pytest.fixture
def county(loaded_engine, monkeypatch, clock):
    """The county's database, with the server's clock replaced (``clock``) so that tests can move through days."""
    import functools

    from care_services import accounts

    # scrypt takes ~0.2 s a hash by design; the tests' staff share one password, so hash it once
    monkeypatch.setattr(accounts, "generate_password_hash", functools.lru_cache(accounts.generate_password_hash))
    with session_scope(loaded_engine) as session:
        session.merge(Division(code=TOWNSHIP, name="测试镇", level="township", parent_code="360902", source="测试数据（测试用乡镇）"))
        session.flush()
        for username, (role, jurisdiction) in STAFF.items():
            create_user(session, username, PASSWORD, role, jurisdiction, created_by="test")
    return loaded_engine


def prepared_database(url: str, users: dict[str, tuple[str, str]] = STAFF) -> None:
    """A database at ``url`` with the sample data, the test township and ``users`` (for servers the tests start)."""
    from care_services.db import init_db, make_engine
    from care_services.store import load_sample

    engine = make_engine(url)
    init_db(engine)
    load_sample(engine)
    with session_scope(engine) as session:
        session.merge(Division(code=TOWNSHIP, name="测试镇", level="township", parent_code="360902", source="测试数据（测试用乡镇）"))
        session.flush()
        for username, (role, jurisdiction) in users.items():
            create_user(session, username, PASSWORD, role, jurisdiction, display_name=username, created_by="test")
    engine.dispose()


def staff(session, username: str) -> User:
    from sqlalchemy import select

    return session.scalar(select(User).where(User.username == username))


def application(sequence: int = 1, **changes) -> dict:
    id_number = make_resident_id("360902", dt.date(1960, 5, 1), sequence)
    return {
        "id_number": id_number, "name": "欧阳建国" if sequence == 1 else f"李秀{'英梅兰'[sequence % 3]}",
        "division_code": TOWNSHIP, "township_name": "测试镇", "community_name": "红星村", "hukou_area": "rural",
        "dibao_household": True, "at_risk_of_poverty": False, "tekun_supported": False,
        "disability_certificate_number": id_number + "41",  # physical (4), grade 1
        "applied_by": "guardian", "proxy_name": "欧阳娜", "proxy_relation": "女儿", "phone": "13800000000",
        "requested_service": "home_care", "carer_or_institution": "欧阳娜", "carer_relation": "女儿",
        "bank_name": "中国农业银行宜春分行", "bank_account": "6228 4800 1234 5678 901", **changes,
    }


FOUR_FAILED = ["adl_eating", "adl_dressing", "adl_transfer", "adl_toileting"]
STEPS = [  # (action, user, details, days after submission)
    ("township_review", "li", {}, 1),
    ("assess", "wang", {"doctor": "王医生", "failed_activities": FOUR_FAILED,
                        "assessed_on": SUBMITTED + dt.timedelta(days=2)}, 3),
    ("sector_review", "zhao", {"two_subsidies_month": 200}, 4),
    ("identity_check", "sun", {"at_risk_of_poverty": False}, 5),
    ("approve", "zhou", {}, 6),
    ("publish_notice", "zhao", {}, 7),
    ("activate", "wu", {}, 14),
]


def walk(engine, case_id: int, until: str | None = None) -> None:
    """Take a case through the steps (each its own transaction, as each is its own request) up to ``until``, each
    on its day after the application by the server's (test) clock."""
    from care_services.model import CareCase

    for action, username, details, days in STEPS:
        with session_scope(engine) as session:
            if session.get(CareCase, case_id).state == until:
                return
            act_on(SUBMITTED + dt.timedelta(days=days), session, staff(session, username), case_id, action, **details)


def act_on(day: dt.date, session, user, case_id: int, action: str, **details):
    """A step taken on ``day``: the test moves the server's clock there first (no caller supplies a step's date)."""
    from care_services.casework import act

    travel(day)
    return act(session, user, case_id, action, **details)


def submit(engine, sequence: int = 1, **changes) -> int:
    """File application ``sequence`` on SUBMITTED (the server's clock moved there) by the township reviewer li."""
    from care_services.casework import submit_application

    travel(SUBMITTED)
    with session_scope(engine) as session:
        return submit_application(session, application(sequence, **changes), by=staff(session, "li")).id
