"""Clip one large OSM file (a province's PBF) to a county and a buffer around it, cached.

A batch run over many counties reads one road file: each county gets the part of it within
``buffer_m`` of its outline (default 10 km, so border villages still reach the next county's
roads), written once and reused.

**Whole ways.** The clip keeps every way that has at least one node inside the buffered
polygon *with all its nodes*, also those outside (the strategy libosmium calls
``complete_ways``): a way is never cut at the edge, so no road ends in the middle of nowhere
and no straight segment is invented across the cut.  Nodes inside the polygon are kept too
(places, POIs); relations that reference a kept node or way are kept as they are in the
source (multipolygon lakes that reach the area), not completed.

**Engines.** The ``osmium`` command-line tool (``osmium extract --strategy complete_ways``,
Debian/Ubuntu package ``osmium-tool``) when it is on the ``PATH``, else pyosmium: one pass
over the nodes (in Python, the slow part: :func:`clip_many` shares it between all the counties
of a file), then libosmium's passes for the ways that reference the nodes inside, every node
of those ways and the relations, and a C++ copy of the kept objects.  Both engines keep the
same nodes and ways (relations may differ slightly); the osmium tool is several times faster
on large files (``benchmarks/bench_clip.py``).

**Cache.** The output is named by a hash of the source file's content, the polygon (WKB),
the buffer and the strategy, so a changed file, outline or buffer clips again and an
unchanged one is read from the cache; files are written under a temporary name and renamed
into place (atomic: a crash never leaves half a clip to be reused).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from array import array
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from coverage._osm import open_osm, osmium_errors
from coverage.problems import InputError

__all__ = ["STRATEGY", "clip_key", "clip_many", "clip_roads", "source_digest"]

logger = logging.getLogger(__name__)

#: The only strategy: whole ways (see the module docstring).
STRATEGY = "complete_ways"
#: Bumped when the clip's content rules change (old cache entries are then not reused).
_VERSION = 1
_digests: dict[tuple[str, int, int], str] = {}


def source_digest(path: Path) -> str:
    """SHA-256 of a file's content (memoised per path, size and modification time)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        _digests[key] = h.hexdigest()
    return _digests[key]


def clip_key(source: Path, polygon: BaseGeometry, *, buffer_m: float) -> str:
    """The cache key of a clip: a hash of the source's content, the polygon's WKB, the
    buffer and the strategy."""
    h = hashlib.sha256()
    h.update(f"coverage-clip-v{_VERSION}:{STRATEGY}:{float(buffer_m)!r}:".encode())
    h.update(source_digest(source).encode())
    h.update(shapely.to_wkb(shapely.normalize(polygon), output_dimension=2))
    return h.hexdigest()


def _buffered(polygon: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """``polygon`` (WGS84) grown by ``buffer_m`` metres, measured in its UTM zone."""
    c = polygon.centroid
    zone = int((c.x + 180) // 6) + 1
    epsg = (32600 if c.y >= 0 else 32700) + zone
    fwd = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    back = pyproj.Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)

    def project(t: pyproj.Transformer) -> Callable[[np.ndarray], np.ndarray]:
        def f(xy: np.ndarray) -> np.ndarray:
            x, y = t.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])
        return f

    metric = shapely.transform(polygon, project(fwd))
    grown = shapely.buffer(metric, buffer_m, quad_segs=16) if buffer_m > 0 else metric
    return shapely.transform(grown, project(back))


def _checked(source: Path, polygon: BaseGeometry, buffer_m: float) -> None:
    open_osm(source)  # a missing file or an unknown ending: an InputError naming the file
    if polygon.is_empty or polygon.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError.single("the clip outline is not a polygon", value=polygon.geom_type,
                                fix="give the county outline as a (Multi)Polygon")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError.single(
            "the clip outline is not in WGS84 degrees", value=polygon.bounds,
            fix="transform it first, e.g. gdf.to_crs('EPSG:4326')")
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise InputError.single("the clip buffer must be 0 or more metres", value=buffer_m,
                                fix="e.g. buffer_km = 10 in the batch TOML")


def clip_roads(source: Path, polygon: BaseGeometry, *, buffer_m: float = 10_000.0,
               cache_dir: Path, engine: str = "auto") -> Path:
    """The part of ``source`` within ``buffer_m`` of ``polygon``, whole ways, cached.

    Parameters
    ----------
    source
        A large OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2`` …).
    polygon
        The county outline in WGS84 (EPSG:4326) degrees.
    buffer_m
        How far beyond the outline to keep (metres).
    cache_dir
        Folder of the clipped files (created).
    engine
        ``"auto"`` (the ``osmium`` tool when on the PATH, else pyosmium), ``"osmium"`` or
        ``"pyosmium"``.

    Returns
    -------
    Path
        ``cache_dir / "<source stem>-<key>.osm.pbf"``; an existing file of the same key is
        returned without reading ``source`` again (beyond hashing it).

    Raises
    ------
    InputError
        If ``source`` is missing or unreadable, or the polygon or buffer is unusable.
    """
    return clip_many(source, {"county": polygon}, buffer_m=buffer_m, cache_dir=cache_dir,
                     engine=engine)["county"]


def clip_many(source: Path, polygons: Mapping[str, BaseGeometry], *,
              buffer_m: float = 10_000.0, cache_dir: Path, engine: str = "auto"
              ) -> dict[str, Path]:
    """:func:`clip_roads` for many counties of one file (e.g. every county of a province).

    The pyosmium engine reads the file's nodes once for all the counties not yet in the
    cache (the slow part of a clip in Python); the osmium tool clips them one by one.

    Parameters
    ----------
    source
        The large OSM file.
    polygons
        County outlines (WGS84) by a name of the caller's choice (e.g. the county code).
    buffer_m, cache_dir, engine
        As for :func:`clip_roads`.

    Returns
    -------
    dict of str to Path
        The clipped file of each name.
    """
    source = Path(source)
    for polygon in polygons.values():
        _checked(source, polygon, buffer_m)
    if engine not in ("auto", "osmium", "pyosmium"):
        raise ValueError(f"engine must be 'auto', 'osmium' or 'pyosmium', not {engine!r}")
    stem = source.name.split(".")[0]
    outs = {name: Path(cache_dir) / f"{stem}-{clip_key(source, p, buffer_m=buffer_m)[:20]}"
                                    ".osm.pbf" for name, p in polygons.items()}
    todo = {name: p for name, p in polygons.items() if not outs[name].is_file()}
    for name in polygons.keys() - todo.keys():
        logger.info("roads clip: cached %s", outs[name])
    if not todo:
        return outs
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    tool = shutil.which("osmium") if engine in ("auto", "osmium") else None
    if engine == "osmium" and tool is None:
        raise InputError.single("the osmium command-line tool is not installed",
                                fix="install it (apt-get install osmium-tool) or use "
                                    "engine='pyosmium'")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".clip-") as tmp:
        areas = {name: _buffered(p, buffer_m) for name, p in todo.items()}
        parts = {name: Path(tmp) / f"{k}.osm.pbf" for k, name in enumerate(todo)}
        if tool is not None:
            for name, area in areas.items():
                _clip_tool(tool, source, area, parts[name])
        else:
            with osmium_errors(source):
                _clip_pyosmium(source, areas, parts)
        for name in todo:  # each renamed into place: a crash leaves no half-written clip
            os.replace(parts[name], outs[name])
    logger.info("roads clip: %s -> %d clip(s) in %.1f s (%s)", source.name, len(todo),
                time.perf_counter() - started, "osmium" if tool else "pyosmium")
    return outs


def _clip_tool(tool: str, source: Path, area: BaseGeometry, out: Path) -> None:
    poly = out.with_suffix(".geojson")
    poly.write_text(json.dumps({"type": "Feature", "properties": {},
                                "geometry": shapely.geometry.mapping(area)}), encoding="utf-8")
    cmd = [tool, "extract", "--strategy", STRATEGY, "--polygon", str(poly), str(source),
           "--output", str(out), "--output-format", "pbf", "--overwrite", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputError.single(
            "osmium extract could not clip the road file (damaged, cut off, or another kind "
            "of file)", file=str(source), value=done.stderr.strip()[-500:],
            fix="check the file (osmium fileinfo FILE) or download it again")


def _clip_pyosmium(source: Path, areas: Mapping[str, BaseGeometry],
                   outs: Mapping[str, Path]) -> None:
    import osmium

    minx, miny, maxx, maxy = shapely.union_all(list(areas.values())).bounds
    ids, xs, ys = array("q"), array("d"), array("d")
    for n in osmium.FileProcessor(open_osm(source), osmium.osm.NODE):
        loc = n.location  # type: ignore[union-attr]  # NODE only
        if loc.valid() and minx <= loc.lon <= maxx and miny <= loc.lat <= maxy:
            ids.append(n.id)
            xs.append(loc.lon)
            ys.append(loc.lat)
    node_id = np.frombuffer(ids, dtype=np.int64)
    x, y = np.frombuffer(xs), np.frombuffer(ys)
    for name, area in areas.items():
        shapely.prepare(area)
        tracker = osmium.IdTracker()
        for nid in node_id[shapely.contains_xy(area, x, y)].tolist():
            tracker.add_node(nid)
        # the ways that touch the area, then all their nodes (no relations yet: their
        # members must not pull in ways that never touch the area)
        tracker.complete_forward_references(open_osm(source), relation_depth=-1)
        tracker.complete_backward_references(open_osm(source), relation_depth=0)
        for r in osmium.FileProcessor(open_osm(source), osmium.osm.RELATION):
            if tracker.contains_any_references(r):
                tracker.add_relation(r.id)
        with osmium.SimpleWriter(str(outs[name]), overwrite=True) as writer:
            osmium.apply(open_osm(source), tracker.id_filter(), writer)
