"""What the home page and the divisions API show: each city's counties with their census figures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care_services.model import Division, FacilityProject, PlanIndicator, Population, SupplySummary


def county_rows(session: Session, city_code: str, year: int = 2020) -> list[dict]:
    query = (
        select(Division, Population)
        .outerjoin(Population, (Population.division_code == Division.code) & (Population.year == year))
        .where(Division.parent_code == city_code, Division.level == "county")
        .order_by(Division.code)
    )
    rows = []
    for division, population in session.execute(query):
        total = population.total if population else None
        aged_60 = population.aged_60_plus if population else None
        rows.append({
            "code": division.code,
            "name": division.name,
            "population": total,
            "aged_60_plus": aged_60,
            "share_60_plus": (aged_60 / total) if total and aged_60 is not None else None,
            "aged_80_plus": population.aged_80_plus if population else None,
            "under_3": population.under_3 if population else None,
            "under_3_estimated": population.under_3_estimated if population else None,
            "township_units": sum(
                n or 0 for n in (division.subdistricts, division.towns, division.townships, division.other_township_units)
            ),
        })
    return rows


def city_overview(session: Session, city_code: str) -> dict | None:
    city = session.get(Division, city_code)
    if city is None or city.level != "city":
        return None
    counties = county_rows(session, city_code)
    projects = {
        kind: {"count": count, "capacity": capacity, "investment_10k_cny": investment}
        for kind, count, capacity, investment in session.execute(
            select(FacilityProject.kind, func.count(), func.sum(FacilityProject.capacity_added),
                   func.sum(FacilityProject.investment_10k_cny))
            .where(FacilityProject.jurisdiction_code == city_code)
            .group_by(FacilityProject.kind)
        )
    }
    return {
        "code": city.code,
        "name": city.name,
        "counties": counties,
        "population": sum(c["population"] or 0 for c in counties),
        "aged_60_plus": sum(c["aged_60_plus"] or 0 for c in counties),
        "supply": session.scalars(
            select(SupplySummary).where(SupplySummary.division_code == city_code).order_by(SupplySummary.year.desc())
        ).first(),
        "indicators": list(session.scalars(
            select(PlanIndicator).where(PlanIndicator.jurisdiction_code == city_code)
            .order_by(PlanIndicator.domain.desc(), PlanIndicator.number)
        )),
        "projects": projects,
    }


def cities(session: Session) -> list[Division]:
    return list(session.scalars(select(Division).where(Division.level == "city").order_by(Division.code)))
