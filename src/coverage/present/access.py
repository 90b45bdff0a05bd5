"""Presentation of the access stage (:class:`~coverage.access.AccessResult`).

Terminal :func:`text`, workbook :func:`sheets`, CSV files (:func:`write_tables`) and the
report :func:`section`; access statuses and travel modes become words here.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage.access import AccessResult, ServiceAccess
from coverage.outputs import write_csv
from coverage.present.report import ReportSection, frame_for_report
from coverage.present.workbook import SheetSpec
from coverage.vocabulary import ACCESS_STATUS, KIND, MODE, NETWORK_FIT

__all__ = ["fit_sentence", "method_text", "section", "sheets", "text", "uncovered_sentence",
           "write_tables"]


def method_text(result: AccessResult) -> str:
    """How travel times were computed, in words."""
    return "路网通行时间" if result.road_network else "直线距离估算"


def fit_sentence(result: AccessResult) -> str:
    """How well the road network covers the region, when it covers it only in part."""
    fit = result.network_fit
    if fit is None or fit.verdict == "ok":
        return ""
    return (f"注意：{NETWORK_FIT.label(fit.verdict)}——"
            f"全县面积的 {fit.area_share:.0%} 位于路网范围内，"
            f"{fit.n_beyond} 个点（{fit.share_beyond:.1%}）距最近道路超过 "
            f"{fit.snap_limit_m:,.0f} 米，按“距路网过远”计；请使用覆盖全县的路网文件。")


def _status(code: object) -> object:
    return ACCESS_STATUS.label(code) if isinstance(code, str) else code


def _mode(code: object) -> object:
    return MODE.label(code) if isinstance(code, str) else code


def text(result: AccessResult) -> str:
    """Coverage per service, and the worst uncovered villages, for the terminal."""
    lines = [fit_sentence(result)] if fit_sentence(result) else []
    method = ("路网通行时间 (road network)" if result.road_network
              else "直线距离估算 (straight line)")
    for svc in result.services:
        c = svc.county.iloc[0]
        lines.append(f"== {svc.service_name}（{method}）")
        lines.append(f"   覆盖人口 covered population: {c['covered_population']:,.0f} / "
                     f"{c['population']:,.0f} ({c['covered_share'] * 100:.1f}%)")
        lines.append(f"   未覆盖村（社区） uncovered: {len(svc.uncovered)}")
        if len(svc.unlocated):
            lines.append(f"   未定位（无坐标，未参与计算） not located: {len(svc.unlocated)}")
        for _, r in svc.uncovered.head(10).iterrows():
            t = (ACCESS_STATUS.label(r["status"]) if pd.isna(r["time_min"])
                 else f"{r['time_min']:.0f} 分钟")
            lines.append(f"     - {r['township_name']} {r['name']}: "
                         f"人口 {r['population']:,.0f}, {t}")
    return "\n".join(lines)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Without geometry, with lon/lat columns when it had points."""
    if isinstance(frame, gpd.GeoDataFrame):
        geom = frame.geometry
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        out["lon"] = geom.x.to_numpy() if len(geom) else []
        out["lat"] = geom.y.to_numpy() if len(geom) else []
        return out
    return frame


_TRANSLATE = {"status": _status, "mode": _mode, "kind": KIND.label,
              "line_site_kind": KIND.label, "walk_site_kind": KIND.label,
              "drive_site_kind": KIND.label}
_MINUTES = ["threshold_min", "time_min", "walk_min", "drive_min"]
_METRES = ["line_m", "walk_m", "drive_m", "snap_m", "walk_snap_m", "drive_snap_m"]


def _short(name: str) -> str:
    """A service name short enough for a sheet title (cut at the first 、/ /)."""
    for sep in ("、", "/", "／"):
        name = name.split(sep)[0]
    return name


def sheets(result: AccessResult) -> dict[str, SheetSpec]:
    """Per service: every demand point, coverage per township, the uncovered ones."""
    out: dict[str, SheetSpec] = {}
    for svc in result.services:
        name = _short(svc.service_name)
        out[f"可达性-{name}"] = SheetSpec(
            _plain(svc.points), labels={"status": "可达状态"}, translate=_TRANSLATE,
            decimal1=_MINUTES, integer=["population", *_METRES],
            decimal2=["access_per_100k"], coordinate=["lon", "lat"])
        out[f"乡镇覆盖-{name}"] = SheetSpec(
            svc.townships, percent=["covered_share"],
            integer=["points", "covered_points", "population", "covered_population",
                     "unlocated"], decimal2=["access_per_100k"])
        out[f"未覆盖-{name}"] = SheetSpec(
            svc.uncovered, labels={"status": "可达状态"}, translate=_TRANSLATE,
            decimal1=_MINUTES, integer=["population", *_METRES])
        if len(svc.unlocated):
            cols = [c for c in ("kind", "id", "name", "township_code", "township_name",
                                "population", "status") if c in svc.unlocated]
            out[f"未定位-{name}"] = SheetSpec(svc.unlocated[cols],
                                            labels={"status": "建设状态"},
                                            translate={"kind": KIND.label},
                                            integer=["population"])
    return out


def write_tables(result: AccessResult, out_dir: str | Path) -> list[Path]:
    """Write the access tables as CSV (UTF-8 with BOM, atomic) and return their paths.

    Files: ``access_points.csv`` (every demand point × service, with lon/lat),
    ``access_sites.csv``, ``access_townships.csv``, ``access_county.csv``,
    ``access_uncovered.csv``; each has ``service_id`` and ``service_name`` first.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def tagged(s: ServiceAccess, frame: pd.DataFrame) -> pd.DataFrame:
        frame = _plain(frame)
        return frame.assign(service_id=s.service_id, service_name=s.service_name)[
            ["service_id", "service_name", *frame.columns]]

    tables = {
        "access_points.csv": [tagged(s, s.points) for s in result.services],
        "access_sites.csv": [tagged(s, s.sites) for s in result.services],
        "access_townships.csv": [tagged(s, s.townships) for s in result.services],
        "access_county.csv": [tagged(s, s.county) for s in result.services],
        "access_uncovered.csv": [tagged(s, s.uncovered) for s in result.services],
    }
    written = []
    for name, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        written.append(write_csv(frame, out / name))
    return written


def uncovered_sentence(result: AccessResult) -> str:
    """The report's sentence on uncovered villages."""
    parts = []
    for s in result.services:
        part = (f"“{s.service_name}”{len(s.uncovered)} 个"
                f"（{s.uncovered['population'].sum():,.0f} 人）")
        if len(s.unlocated):
            part += f"，另有 {len(s.unlocated)} 个未定位（无坐标）未参与计算"
        parts.append(part)
    return (f"可达性分析（{method_text(result)}）：在服务标准时间内到不了最近站点的"
            f"村（社区）—— {'；'.join(parts)}。{fit_sentence(result)}")


def section(result: AccessResult) -> ReportSection:
    """The report's section on uncovered villages."""
    frames = []
    for svc in result.services:
        u = svc.uncovered.copy()
        u["status"] = u["status"].map(_status)
        u["mode"] = u["mode"].map(_mode)
        frames.append(u.assign(service=svc.service_name))
    uncovered = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = frame_for_report(uncovered, {
        "service": "服务", "name": "村（社区）", "township_name": "乡镇/街道",
        "population": "人口", "time_min": "用时(分钟)", "threshold_min": "标准(分钟)",
        "status": "状态"}, decimals=0)
    return ReportSection("服务可达性：未覆盖的村（社区）", table=table, max_rows=40)
