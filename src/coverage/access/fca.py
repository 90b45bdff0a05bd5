"""Two-step floating catchment area (2SFCA) ratios on a sparse sites × demand time matrix.

Luo & Wang (2003): step 1 divides each site's supply by the population within its
catchment; step 2 sums, for each demand point, the ratios of the sites within reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

__all__ = ["PER_POPULATION", "FloatingCatchment", "two_step_fca"]

FloatArray = NDArray[np.float64]

PER_POPULATION = 100_000.0
"""2SFCA ratios are reported as staff per this many residents."""


@dataclass(frozen=True)
class FloatingCatchment:
    """2SFCA results (ratios per person).

    Attributes
    ----------
    site_ratio
        ``R_j`` per site; NaN where no population is within reach.
    reach_population
        Population within reach of each site (the step-1 denominator).
    access
        ``A_i`` per demand point; 0 where no site is within reach.
    """

    site_ratio: FloatArray
    reach_population: FloatArray
    access: FloatArray


def two_step_fca(
    times: sp.csr_array,
    *,
    supply: ArrayLike,
    population: ArrayLike,
    threshold: ArrayLike,
) -> FloatingCatchment:
    """Two-step floating catchment area ratios.

    Step 1, per site ``j``: ``R_j = S_j / Σ P_i`` over demand points ``i`` with
    ``t_ji <= threshold_i``. Step 2, per demand point: ``A_i = Σ R_j`` over the same pairs.

    Parameters
    ----------
    times
        Sites × demand travel times (CSR); only stored entries are candidate pairs.
    supply
        ``S_j`` per site (e.g. counsellors); NaN counts as 0.
    population
        ``P_i`` per demand point; NaN counts as 0.
    threshold
        Time threshold per demand point, same unit as ``times``.

    Returns
    -------
    FloatingCatchment
        Ratios per person; multiply by e.g. 100 000 for "per 100 000 residents".
    """
    t = sp.csr_array(times)
    s = np.nan_to_num(np.asarray(supply, dtype=np.float64))
    p = np.nan_to_num(np.asarray(population, dtype=np.float64))
    thr = np.asarray(threshold, dtype=np.float64)
    coo = t.tocoo()
    keep = coo.data <= thr[coo.col]
    rows, cols = coo.row[keep], coo.col[keep]
    reach_pop = np.bincount(rows, weights=p[cols], minlength=t.shape[0]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reach_pop > 0, s / reach_pop, np.nan)
    weights = np.nan_to_num(ratio[rows])
    access = np.bincount(cols, weights=weights, minlength=t.shape[1]).astype(np.float64)
    return FloatingCatchment(site_ratio=ratio, reach_population=reach_pop, access=access)
