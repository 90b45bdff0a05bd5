"""Accessibility and coverage of service sites: nearest-site times, coverage, 2SFCA, isochrones.

One :class:`AccessContext` per run (points stacked, road graphs read and attached once);
:func:`compute_access`, :func:`site_demand_matrix` and the isochrones are views of it.

Numeric cores on arrays and sparse matrices: :func:`two_step_fca`; the isochrone areas are
:mod:`coverage.isochrones`; the geographic layer: :func:`compute_access` on a
:class:`coverage.region.Region`.
"""

from coverage.access.context import (
    STRAIGHT_LINE_DRIVE_KMH,
    AccessContext,
    ServiceSetup,
    load_graphs,
    thresholds,
)
from coverage.access.coverage import AccessResult, ServiceAccess, compute_access
from coverage.access.fca import PER_POPULATION, FloatingCatchment, two_step_fca
from coverage.access.matrix import SiteDemandMatrix, site_demand_matrix

__all__ = [
    "PER_POPULATION",
    "STRAIGHT_LINE_DRIVE_KMH",
    "AccessContext",
    "AccessResult",
    "FloatingCatchment",
    "ServiceAccess",
    "ServiceSetup",
    "SiteDemandMatrix",
    "compute_access",
    "load_graphs",
    "site_demand_matrix",
    "thresholds",
    "two_step_fca",
]
