"""Reading the card-terminal fleet's per-county health rows (``county_fleet_health``).

The fleet (card_fleet) writes the rows; the alert engine reads them here as state, without
importing card_fleet (siblings meet through core).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StoreError
from core.state.fleet_tables import CountyFleetHealthRow


@dataclass(frozen=True, slots=True)
class CountyFleetFigures:
    """One county's fleet figures as last computed."""

    county: str
    city: str
    computed_at: datetime
    active: int
    online: int
    silent: int
    read_failure_rate: float | None
    outliers: int
    psam_failures: int
    version_drift: int


def read_county_fleet_health(engine: Engine) -> list[CountyFleetFigures]:
    """Every county's last computed fleet figures, by county code."""
    row = CountyFleetHealthRow
    query = select(
        row.county,
        row.city,
        row.computed_at,
        row.active,
        row.online,
        row.silent,
        row.read_failure_rate,
        row.outliers,
        row.psam_missing,
        row.psam_error,
        row.version_drift,
    ).order_by(row.county)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"reading the fleet's county health failed: {exc}") from exc
    return [
        CountyFleetFigures(
            county=r.county,
            city=r.city,
            computed_at=r.computed_at,
            active=r.active,
            online=r.online,
            silent=r.silent,
            read_failure_rate=r.read_failure_rate,
            outliers=r.outliers,
            psam_failures=r.psam_missing + r.psam_error,
            version_drift=r.version_drift,
        )
        for r in rows
    ]
