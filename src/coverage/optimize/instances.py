"""Benchmark and test instances: readers for published sets and a county-like generator.

* :func:`read_orlib_pmed` — OR-Library ``pmedN.txt`` (Beasley 1985/1990): edge list with
  duplicates where the **last** occurrence wins, then all-pairs shortest paths.
* :func:`read_sjc` — Lorena & Pereira São José dos Campos MCLP instances (UTM metres).
* :func:`random_county` — reproducible clustered demand/candidate points shaped like a
  county (townships as clusters of villages), with populations and Euclidean distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import cKDTree

from coverage.problems import InputError

__all__ = ["OrlibInstance", "RandomCounty", "random_county", "read_orlib_pmed", "read_sjc"]


@dataclass(frozen=True)
class OrlibInstance:
    """An OR-Library p-median instance: ``cost`` is the ``n x n`` shortest-path matrix."""

    name: str
    n: int
    p: int
    cost: np.ndarray


def read_orlib_pmed(path: str | Path) -> OrlibInstance:
    """Read an OR-Library ``pmed`` file and return its shortest-path cost matrix.

    Parameters
    ----------
    path
        File with a first line ``n m p`` then ``m`` lines ``i j cost`` (1-based, undirected).
        When an edge appears more than once the last occurrence wins (OR-Library convention).
    """
    path = Path(path)
    try:
        tokens = path.read_text().split()
    except OSError as exc:
        raise InputError.single(f"cannot read {path}: {exc}", fix="check the path") from exc
    n, m, p = (int(t) for t in tokens[:3])
    edges = np.asarray(tokens[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    u = np.minimum(edges[:, 0], edges[:, 1]) - 1
    v = np.maximum(edges[:, 0], edges[:, 1]) - 1
    key = u * n + v
    # last occurrence wins: keep, for each key, the row with the largest index
    rev = key[::-1]
    _, first_in_rev = np.unique(rev, return_index=True)
    last = m - 1 - first_in_rev
    u, v, c = u[last], v[last], edges[last, 2].astype(float)
    loops = u == v
    u, v, c = u[~loops], v[~loops], c[~loops]
    graph = sp.csr_matrix((c, (u, v)), shape=(n, n))
    cost = shortest_path(graph, method="D", directed=False)
    return OrlibInstance(name=path.stem, n=n, p=p, cost=cost)


def read_sjc(coords: str | Path, demand: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a São José dos Campos instance: ``(xy (n x 2) metres, demand (n,))``."""
    lines = Path(coords).read_text().split()
    n = int(lines[0])
    xy = np.asarray(lines[1 : 1 + 2 * n], dtype=float).reshape(n, 2)
    dem = np.asarray(Path(demand).read_text().split(), dtype=float)
    if dem.size != n:
        raise InputError.single(
            f"{demand} has {dem.size} demands for {n} points", fix="use matching files"
        )
    return xy, dem


@dataclass(frozen=True)
class RandomCounty:
    """A generated county: demand points, candidate sites and their distances.

    Attributes
    ----------
    demand_xy, site_xy
        Coordinates in metres.
    weights
        Population per demand point.
    site_group
        Township (cluster) index per candidate site.
    """

    demand_xy: np.ndarray
    site_xy: np.ndarray
    weights: np.ndarray
    site_group: np.ndarray

    def distances(self) -> np.ndarray:
        """Dense Euclidean distance matrix (demand x sites), metres."""
        diff = self.demand_xy[:, None, :] - self.site_xy[None, :, :]
        return np.sqrt((diff**2).sum(axis=2))

    def coverage(self, radius: float) -> sp.csr_matrix:
        """Sparse boolean coverage matrix: distance <= ``radius``."""
        tree = cKDTree(self.site_xy)
        lists = tree.query_ball_point(self.demand_xy, r=radius)
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(x) for x in lists])
        indices = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])
        data = np.ones(indices.size, dtype=bool)
        mat = sp.csr_matrix((data, indices, indptr), shape=(len(lists), self.site_xy.shape[0]))
        mat.sort_indices()
        return mat


def random_county(
    n_demand: int,
    n_sites: int,
    *,
    seed: int = 0,
    n_townships: int | None = None,
    extent_m: float = 60_000.0,
) -> RandomCounty:
    """Generate a reproducible county-like instance.

    Townships are Gaussian clusters of villages (spread 2–5 km) inside a square of side
    ``extent_m``; 10 % of villages are scattered uniformly.  Populations are log-normal
    (median about 800).  Candidate sites are drawn from the demand points.

    This is the instance family of ``benchmarks/bench_optimize.py`` (``seed = n + m``): the
    same distance matrix, weights and ``p`` go to spopt and to this package.  Its MCLP rows
    use 1 km (the 15-minute life circle of GB 50180-2018), at which even 20,000 x 2,000 is
    proven optimal in about 1.5 s.  Note the density: the number of townships grows with
    ``n_demand`` but the square does not, so at 20,000 points a 3 km disc (the stress rows)
    covers about 27 candidate sites per demand point, with heavily overlapping coverage
    sets.  Such instances have a weak LP relaxation (about 4 % above the best known
    solution at 20,000 x 2,000, p = 50), which is what makes them hard to prove optimal.

    Parameters
    ----------
    n_demand, n_sites
        Numbers of demand points and candidate sites (``n_sites <= n_demand``).
    seed
        Random seed.
    n_townships
        Number of clusters (default ``max(5, n_demand // 400)``).
    extent_m
        Side of the county square in metres.
    """
    if n_sites > n_demand:
        raise InputError.single(
            "n_sites must not exceed n_demand (sites are drawn from demand points)",
            fix="ask for fewer sites",
        )
    rng = np.random.default_rng(seed)
    k = n_townships or max(5, n_demand // 400)
    centres = rng.uniform(0.1 * extent_m, 0.9 * extent_m, size=(k, 2))
    spread = rng.uniform(2_000.0, 5_000.0, size=k)
    n_scatter = n_demand // 10
    n_clustered = n_demand - n_scatter
    town = rng.integers(0, k, size=n_clustered)
    pts = centres[town] + rng.normal(size=(n_clustered, 2)) * spread[town, None]
    scatter = rng.uniform(0, extent_m, size=(n_scatter, 2))
    xy = np.clip(np.vstack([pts, scatter]), 0, extent_m)
    d_town = ((scatter[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    group = np.concatenate([town, d_town])
    weights = np.round(rng.lognormal(mean=np.log(800.0), sigma=0.6, size=n_demand))
    sites = np.sort(rng.choice(n_demand, size=n_sites, replace=False))
    return RandomCounty(
        demand_xy=xy, site_xy=xy[sites], weights=weights, site_group=group[sites]
    )
