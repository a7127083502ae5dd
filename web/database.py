"""One database session per request, closed when the request ends; the parameters in force without one."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from subsidy_rules.overrides import effective_parameters, parameters_on
from subsidy_rules.parameters import ParameterSet


def session() -> Session:
    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["carecalc_engine"])
    return g.db_session


def close_session(_error=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def current_parameters() -> ParameterSet:
    """The shipped parameters with the county overrides (subsidy_rules/overrides.py), read for this request: in the
    request's session if it has one, else on a pooled connection of its own — an anonymous evaluation needs the
    database for this one small query, and an ORM session opened and closed for it cost more than the query."""
    if "db_session" in g:
        return effective_parameters(g.db_session)
    with current_app.extensions["carecalc_engine"].connect() as connection:
        return parameters_on(connection)
