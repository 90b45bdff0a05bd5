"""Tests for coverage.crs: parsing, GCJ-02/BD-09, to_wgs84, the metric CRS policy."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, Polygon

from coverage import crs as ccrs
from coverage.problems import InputError
from coverage.readers import read_vector

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "io"
SHARED = Path(__file__).resolve().parents[2] / "shared"
DERIVED = SHARED / "data" / "real_reference" / "derived"
REGIONS = ["310105", "320509", "370831", "640302"]
GEOD = pyproj.Geod(ellps="WGS84")


def _metres(lon1: object, lat1: object, lon2: object, lat2: object) -> np.ndarray:
    _, _, dist = GEOD.inv(
        np.asarray(lon1, float),
        np.asarray(lat1, float),
        np.asarray(lon2, float),
        np.asarray(lat2, float),
    )
    return np.asarray(dist)


# --- parse_crs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "epsg"),
    [
        ("EPSG:4490", "epsg", 4490),
        ("4490", "epsg", 4490),
        ("epsg:4526", "epsg", 4526),
        (" EPSG:4527 ", "epsg", 4527),
        ("wgs84", "epsg", 4326),
        ("WGS 84", "epsg", 4326),
        ("cgcs2000", "epsg", 4490),
        ("CGCS2000", "epsg", 4490),
        ("gcj02", "gcj02", None),
        ("GCJ-02", "gcj02", None),
        ("火星坐标", "gcj02", None),
        ("bd09", "bd09", None),
        ("BD-09", "bd09", None),
        ("百度", "bd09", None),
    ],
)
def test_parse_crs_accepts(text: str, kind: str, epsg: int | None) -> None:
    spec = ccrs.parse_crs(text)
    assert spec.kind == kind
    if epsg is None:
        assert spec.crs is None
    else:
        assert spec.crs is not None
        assert spec.crs.to_epsg() == epsg


@pytest.mark.parametrize("text", ["utm", "EPSG:", "gcj03", "EPSG:99999", "4490.5", ""])
def test_parse_crs_rejects_with_allowed_forms(text: str) -> None:
    with pytest.raises(InputError) as info:
        ccrs.parse_crs(text)
    assert "EPSG:4490" in str(info.value)
    assert "gcj02" in str(info.value)


# --- GCJ-02 / BD-09 against published values ------------------------------------------
# wandergis/coordTransform_py README, input (128.543, 37.065): the forward transforms are
# closed-form, so they must agree to floating-point precision.

PUBLISHED = (128.543, 37.065)


def test_forward_transforms_match_published_values() -> None:
    lon, lat = PUBLISHED
    gx, gy = ccrs.wgs84_to_gcj02(lon, lat)
    assert float(gx) == pytest.approx(128.54820547949757, abs=1e-12)
    assert float(gy) == pytest.approx(37.065651049489816, abs=1e-12)
    bx, by = ccrs.gcj02_to_bd09(lon, lat)
    assert float(bx) == pytest.approx(128.54944656269413, abs=1e-12)
    assert float(by) == pytest.approx(37.07113427883019, abs=1e-12)
    wx, wy = ccrs.wgs84_to_bd09(lon, lat)
    assert float(wx) == pytest.approx(128.55468192918485, abs=1e-12)
    assert float(wy) == pytest.approx(37.07168344938498, abs=1e-12)


def test_inverses_are_exact_where_one_step_formula_is_not() -> None:
    lon, lat = PUBLISHED
    wx, wy = ccrs.gcj02_to_wgs84(lon, lat)
    fx, fy = ccrs.wgs84_to_gcj02(wx, wy)
    assert max(abs(float(fx) - lon), abs(float(fy) - lat)) < 1e-9
    # The published one-step inverse (128.53779452050244, 37.06434895051018) is off by
    # metres: re-applying the forward transform to it misses the input.
    nx, ny = ccrs.wgs84_to_gcj02(128.53779452050244, 37.06434895051018)
    assert _metres(nx, ny, lon, lat)[()] > 0.1
    assert _metres(wx, wy, 128.53779452050244, 37.06434895051018)[()] < 5.0

    gx, gy = ccrs.bd09_to_gcj02(lon, lat)
    bx, by = ccrs.gcj02_to_bd09(gx, gy)
    assert max(abs(float(bx) - lon), abs(float(by) - lat)) < 1e-9
    wx, wy = ccrs.bd09_to_wgs84(lon, lat)
    bx, by = ccrs.wgs84_to_bd09(wx, wy)
    assert max(abs(float(bx) - lon), abs(float(by) - lat)) < 1e-9


def test_vectorised_and_shapes() -> None:
    lon = np.array([[117.25, 120.63], [121.42, 106.12]])
    lat = np.array([[35.65, 30.97], [31.21, 37.93]])
    wx, wy = ccrs.gcj02_to_wgs84(lon, lat)
    assert wx.shape == lon.shape
    for i in np.ndindex(lon.shape):
        sx, sy = ccrs.gcj02_to_wgs84(lon[i], lat[i])
        # Each point converges on its own: batch and scalar results agree (to ulps).
        assert float(sx) == pytest.approx(wx[i], abs=1e-11)
        assert float(sy) == pytest.approx(wy[i], abs=1e-11)
    ex, ey = ccrs.gcj02_to_wgs84(np.array([]), np.array([]))
    assert ex.size == 0
    assert ey.size == 0


@pytest.mark.parametrize(("lon", "lat"), [(-122.27, 37.80), (2.35, 48.85), (151.2, -33.9)])
def test_outside_china_gcj02_equals_wgs84(lon: float, lat: float) -> None:
    gx, gy = ccrs.wgs84_to_gcj02(lon, lat)
    assert (float(gx), float(gy)) == (lon, lat)
    wx, wy = ccrs.gcj02_to_wgs84(lon, lat)
    assert (float(wx), float(wy)) == (lon, lat)


def _load_reference(region: str) -> gpd.GeoDataFrame:
    path = DERIVED / f"vonng_{region}_town_village_points_wgs84.geojson"
    if not path.exists():
        pytest.skip(f"shared reference data absent: {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")


@pytest.mark.shared
@pytest.mark.parametrize("region", REGIONS)
def test_gcj02_to_wgs84_on_real_points(region: str) -> None:
    ref = _load_reference(region)
    gcj_lon = ref["lng_gcj02"].to_numpy(float)
    gcj_lat = ref["lat_gcj02"].to_numpy(float)
    ref_lon = ref.geometry.x.to_numpy()
    ref_lat = ref.geometry.y.to_numpy()

    lon, lat = ccrs.gcj02_to_wgs84(gcj_lon, gcj_lat)
    # Defining property: our WGS84 point maps back onto the Amap point (≤ 0.5 m; in fact mm).
    back_lon, back_lat = ccrs.wgs84_to_gcj02(lon, lat)
    assert _metres(back_lon, back_lat, gcj_lon, gcj_lat).max() <= 0.001

    # The reference geometry was made with the usual one-step formula wgs = 2·gcj − f(gcj):
    # that formula reproduces it to a centimetre, and its own forward image misses the
    # Amap point by metres.  So against the reference the bound is that formula's error.
    dlon, dlat = ccrs.wgs84_to_gcj02(gcj_lon, gcj_lat)
    one_step_lon, one_step_lat = 2 * gcj_lon - dlon, 2 * gcj_lat - dlat
    assert _metres(one_step_lon, one_step_lat, ref_lon, ref_lat).max() <= 0.01
    ref_fwd_lon, ref_fwd_lat = ccrs.wgs84_to_gcj02(ref_lon, ref_lat)
    assert _metres(ref_fwd_lon, ref_fwd_lat, gcj_lon, gcj_lat).max() > 0.5
    assert _metres(lon, lat, ref_lon, ref_lat).max() <= 3.0

    # BD-09 through the same points.
    bd_lon, bd_lat = ccrs.gcj02_to_bd09(gcj_lon, gcj_lat)
    w2_lon, w2_lat = ccrs.bd09_to_wgs84(bd_lon, bd_lat)
    assert _metres(w2_lon, w2_lat, lon, lat).max() <= 0.001
    b2_lon, b2_lat = ccrs.wgs84_to_bd09(lon, lat)
    assert _metres(b2_lon, b2_lat, bd_lon, bd_lat).max() <= 0.001


# --- to_wgs84 -------------------------------------------------------------------------


def _fixture_points() -> gpd.GeoDataFrame:
    return read_vector(FIXTURES / "points.geojson")


def test_to_wgs84_epsg4326_unchanged() -> None:
    pts = _fixture_points()
    out = ccrs.to_wgs84(pts)
    assert out.crs.equals(ccrs.WGS84)
    np.testing.assert_array_equal(out.geometry.x, pts["lon_wgs"])
    np.testing.assert_array_equal(out.geometry.y, pts["lat_wgs"])


def test_to_wgs84_cgcs2000_geographic() -> None:
    sites = read_vector(FIXTURES / "layers.gpkg", layer="sites")
    assert sites.crs.to_epsg() == 4490
    out = ccrs.to_wgs84(sites, file="layers.gpkg")
    assert out.crs.to_epsg() == 4326
    # CGCS2000 vs WGS84: null transformation (differences are centimetres in reality).
    np.testing.assert_allclose(out.geometry.x, sites["lon_wgs"], atol=1e-9)
    np.testing.assert_allclose(out.geometry.y, sites["lat_wgs"], atol=1e-9)


@pytest.mark.parametrize("name", ["gk_gbk/sites_gk39.shp", "sites_gk39.zip"])
def test_to_wgs84_gauss_kruger_zone39_round_trip(name: str) -> None:
    gk = read_vector(FIXTURES / name)
    assert gk.crs.to_epsg() == 4527
    assert gk.geometry.x.min() > 39_000_000  # zone prefix in the easting
    out = ccrs.to_wgs84(gk)
    dist = _metres(out.geometry.x, out.geometry.y, gk["lon_wgs"], gk["lat_wgs"])
    assert dist.max() <= 0.01


def _gk_frame(epsg_coords: int, declared: int | str) -> gpd.GeoDataFrame:
    pts = _fixture_points()
    x, y = pyproj.Transformer.from_crs(4326, epsg_coords, always_xy=True).transform(
        pts["lon_wgs"].to_numpy(), pts["lat_wgs"].to_numpy()
    )
    return gpd.GeoDataFrame(
        pts.drop(columns="geometry"), geometry=gpd.points_from_xy(x, y), crs=declared
    )


@pytest.mark.parametrize(
    ("coords", "declared"),
    [
        (4548, 4527),  # eastings without prefix, CRS says zone 39 with prefix
        (4527, 4548),  # eastings with prefix, CRS says CM 117E without prefix
        (4527, 4527),
        (4548, 4548),
    ],
)
def test_to_wgs84_zone_prefix_follows_the_data(coords: int, declared: int) -> None:
    gdf = _gk_frame(coords, declared)
    out = ccrs.to_wgs84(gdf)
    dist = _metres(out.geometry.x, out.geometry.y, gdf["lon_wgs"], gdf["lat_wgs"])
    assert dist.max() <= 0.01


def test_to_wgs84_source_overrides_missing_crs() -> None:
    gdf = _gk_frame(4527, 4527).set_crs(None, allow_override=True)
    out = ccrs.to_wgs84(gdf, source="EPSG:4527")
    dist = _metres(out.geometry.x, out.geometry.y, gdf["lon_wgs"], gdf["lat_wgs"])
    assert dist.max() <= 0.01


def test_to_wgs84_wrong_zone_names_the_right_one() -> None:
    gdf = _gk_frame(4527, 4528)  # zone 40 declared, eastings start with 39
    with pytest.raises(InputError, match="EPSG:4527"):
        ccrs.to_wgs84(gdf, file="sites.shp")


def test_to_wgs84_metres_declared_as_degrees() -> None:
    gdf = _gk_frame(4527, 4527).set_crs(4490, allow_override=True)
    with pytest.raises(InputError) as info:
        ccrs.to_wgs84(gdf, file="边界.shp")
    text = str(info.value)
    assert "边界.shp" in text
    assert "EPSG:4527" in text


def test_to_wgs84_refuses_missing_crs_naming_the_file() -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(117.2, 35.6)])
    with pytest.raises(InputError) as info:
        ccrs.to_wgs84(gdf, file="data/乡镇.shp")
    problem = info.value.problems[0]
    assert problem.file == "data/乡镇.shp"
    assert 'crs = "EPSG:' in problem.fix
    assert "region TOML" in problem.fix


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_to_wgs84_offset_systems_points_and_polygons(source: str) -> None:
    ring = [(117.20, 35.60), (117.30, 35.60), (117.30, 35.70), (117.20, 35.60)]
    gdf = gpd.GeoDataFrame(
        {"k": ["pt", "poly"]},
        geometry=[Point(117.2542, 35.6512), Polygon(ring)],
        crs="EPSG:4326",
    )
    out = ccrs.to_wgs84(gdf, source=source)
    convert = ccrs.gcj02_to_wgs84 if source == "gcj02" else ccrs.bd09_to_wgs84
    ex, ey = convert(117.2542, 35.6512)
    assert out.geometry.iloc[0].x == pytest.approx(float(ex), abs=1e-12)
    assert out.geometry.iloc[0].y == pytest.approx(float(ey), abs=1e-12)
    coords = shapely.get_coordinates(out.geometry.iloc[1])
    rx, ry = convert(np.array([c[0] for c in ring]), np.array([c[1] for c in ring]))
    np.testing.assert_allclose(coords[:, 0], rx, atol=1e-12)
    np.testing.assert_allclose(coords[:, 1], ry, atol=1e-12)
    assert out.crs.equals(ccrs.WGS84)
    assert gdf.geometry.iloc[0].x == 117.2542  # input untouched


def test_to_wgs84_offset_system_refuses_projected_data() -> None:
    with pytest.raises(InputError, match="gcj02"):
        ccrs.to_wgs84(_gk_frame(4527, 4527), source="gcj02")


# --- metric CRS -----------------------------------------------------------------------


def test_metric_crs_for_china_picks_gauss_kruger_zone() -> None:
    chosen = ccrs.metric_crs_for((117.3, 35.6))
    assert chosen.to_epsg() == 4527
    assert chosen.name == "CGCS2000 / 3-degree Gauss-Kruger zone 39"
    assert chosen.coordinate_operation is not None
    params = {p.name: p.value for p in chosen.coordinate_operation.params}
    assert params["Longitude of natural origin"] == 117
    assert params["False easting"] == 39_500_000
    # Bounds and GeoDataFrames use the centre of the bounding box.
    assert ccrs.metric_crs_for((75.2, 39.0, 75.6, 39.5)).to_epsg() == 4513  # zone 25, CM 75
    assert ccrs.metric_crs_for(Point(121.42, 31.21)).to_epsg() == 4513 + 40 - 25
    assert ccrs.metric_crs_for(_fixture_points()).to_epsg() == 4527


def test_metric_crs_for_elsewhere_is_utm() -> None:
    oakland = gpd.GeoDataFrame(geometry=[Point(-122.27, 37.80)], crs="EPSG:4326")
    chosen = ccrs.metric_crs_for(oakland)
    assert chosen.to_epsg() == 32610
    assert "UTM zone 10N" in chosen.name
    assert ccrs.metric_crs_for((151.2, -33.9)).to_epsg() == 32756


def test_metric_crs_for_projected_input_and_bad_bounds() -> None:
    gk = _gk_frame(4527, 4527)
    assert ccrs.metric_crs_for(gk).to_epsg() == 4527
    with pytest.raises(InputError):
        ccrs.metric_crs_for((39_500_000.0, 3_950_000.0, 39_510_000.0, 3_960_000.0))


def test_to_metric_distances_are_metres() -> None:
    lon0, lat0 = 117.25, 35.65
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, 60.0, 1000.0)
    gdf = gpd.GeoDataFrame(geometry=[Point(lon0, lat0), Point(lon1, lat1)], crs="EPSG:4326")
    metric = ccrs.to_metric(gdf)
    assert metric.crs.to_epsg() == 4527
    d = metric.geometry.iloc[0].distance(metric.geometry.iloc[1])
    assert d == pytest.approx(1000.0, rel=5e-4)  # GK scale error near the CM is tiny
    region_like = type("R", (), {"metric_crs": pyproj.CRS.from_epsg(4527)})()
    assert ccrs.to_metric(gdf, region_like).crs.to_epsg() == 4527
    assert ccrs.to_metric(gdf, "EPSG:32650").crs.to_epsg() == 32650


def test_to_metric_refuses_degrees_and_missing_crs() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(117.25, 35.65)], crs="EPSG:4326")
    with pytest.raises(InputError, match="distances cannot be computed"):
        ccrs.to_metric(gdf, "EPSG:4490")
    with pytest.raises(InputError):
        ccrs.to_metric(gdf.set_crs(None, allow_override=True))


@pytest.mark.parametrize("bad", [4326, "EPSG:4490", 2227, None])
def test_assert_metric_rejects(bad: object) -> None:
    with pytest.raises(InputError):
        ccrs.assert_metric(bad)  # type: ignore[arg-type]


def test_assert_metric_accepts() -> None:
    assert ccrs.assert_metric(4527).to_epsg() == 4527
    assert ccrs.assert_metric("EPSG:32610").to_epsg() == 32610


def test_project_points_matches_pyproj() -> None:
    lon = np.array([117.2542, 117.4999])
    lat = np.array([35.6512, 35.6279])
    x, y = ccrs.project_points(lon, lat, 4527)
    ex, ey = pyproj.Transformer.from_crs(4326, 4527, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(x, ex, atol=1e-6)
    np.testing.assert_allclose(y, ey, atol=1e-6)
    assert x.min() > 39_000_000
    # 117°E is the central meridian: a point on it has easting exactly 39 500 000.
    cx, _ = ccrs.project_points(117.0, 35.0, 4527)
    assert math.isclose(float(cx), 39_500_000.0, abs_tol=1e-6)


def test_looks_swapped() -> None:
    bounds = (117.0, 35.4, 117.7, 35.8)
    lon = np.array([117.25, 35.65, 35.65, 10.0])
    lat = np.array([35.65, 117.25, 200.0, 20.0])
    np.testing.assert_array_equal(ccrs.looks_swapped(lon, lat, bounds), [False, True, False, False])


@pytest.mark.parametrize(
    ("coords", "declared", "expected_name"),
    [
        (4508, 4497, "CGCS2000 / Gauss-Kruger CM 111E"),  # 6-degree zone 19 without prefix
        (4497, 4508, "CGCS2000 / Gauss-Kruger zone 19"),
        (4548, 4527, "CGCS2000 / 3-degree Gauss-Kruger CM 117E"),
        (4527, 4548, "CGCS2000 / 3-degree Gauss-Kruger zone 39"),
    ],
)
def test_to_wgs84_zone_prefix_names_the_crs_used(
    coords: int, declared: int, expected_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    lon, lat = (111.3, 35.6) if coords in (4497, 4508) else (117.3, 35.6)
    x, y = pyproj.Transformer.from_crs(4326, coords, always_xy=True).transform(lon, lat)
    gdf = gpd.GeoDataFrame(geometry=[Point(x, y)], crs=declared)
    with caplog.at_level("WARNING", logger="coverage.crs"):
        out = ccrs.to_wgs84(gdf)
    assert expected_name in caplog.text
    assert _metres(out.geometry.x, out.geometry.y, lon, lat).max() <= 0.01


def test_looks_swapped_accepts_geodataframe_bounds() -> None:
    county = gpd.GeoDataFrame(
        geometry=[
            Polygon([(117.0, 35.4), (117.3, 35.4), (117.3, 35.8), (117.0, 35.4)]),
            Polygon([(117.3, 35.4), (117.7, 35.4), (117.7, 35.8), (117.3, 35.4)]),
        ],
        crs="EPSG:4326",
    )
    result = ccrs.looks_swapped([35.65, 117.6], [117.6, 35.65], county.bounds)
    np.testing.assert_array_equal(result, [True, False])
