"""Presentation of the access stage (:class:`~coverage.access.AccessResult`).

Terminal :func:`text`, workbook :func:`sheets`, CSV files (:func:`write_tables`) and the
report :func:`section`; access statuses and travel modes become words here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage.access import AccessResult, ServiceAccess
from coverage.outputs import write_csv
from coverage.present.report import ReportSection, frame_for_report
from coverage.present.workbook import SheetSpec
from coverage.vocabulary import ACCESS_STATUS, COLUMNS, KIND, MODE, NETWORK_FIT, STATUS

__all__ = ["coverage_sentence", "fit_sentence", "method_sentence", "method_text", "section",
           "sheets", "standard_text", "text", "uncovered_sentence", "write_tables"]


def method_text(result: AccessResult) -> str:
    """How travel times were computed, in words."""
    return _METHOD["road" if result.road_network else "straight_line"]


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
        across = _across(svc)
        if across:
            lines.append(f"   {COLUMNS.label('cross_border')}（邻县站点覆盖） served across the "
                         f"border: {across}")
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


#: Codes of the ``method`` column in words.
_METHOD = {"road": "路网通行时间", "straight_line": "直线距离估算"}


def _method(code: object) -> object:
    return _METHOD.get(code, code) if isinstance(code, str) else code


_TRANSLATE = {"status": _status, "mode": _mode, "kind": KIND.label, "method": _method,
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
        standard = standard_text(svc)
        out[f"可达性-{name}"] = SheetSpec(
            _plain(svc.points), labels={"status": "可达状态"}, translate=_TRANSLATE,
            decimal1=_MINUTES, integer=["population", *_METRES],
            decimal2=["access_per_100k"], coordinate=["lon", "lat"],
            description=f"“{svc.service_name}”：每个村（社区）到最近站点的步行、驾车时间和"
            f"距离，是否在服务标准时间（{standard or '见“标准（分钟）”列'}）内覆盖")
        out[f"乡镇覆盖-{name}"] = SheetSpec(
            svc.townships, percent=["covered_share"],
            integer=["points", "covered_points", "population", "covered_population",
                     "unlocated"], decimal2=["access_per_100k"],
            description=f"“{svc.service_name}”：各乡镇（街道）的覆盖村居数、覆盖人口和覆盖率")
        out[f"未覆盖-{name}"] = SheetSpec(
            svc.uncovered, labels={"status": "可达状态"}, translate=_TRANSLATE,
            decimal1=_MINUTES, integer=["population", *_METRES],
            description=f"“{svc.service_name}”：服务标准时间内未覆盖的村（社区），"
            "按通行时间从长到短排列")
        if len(svc.unlocated):
            cols = [c for c in ("kind", "id", "name", "township_code", "township_name",
                                "population", "status") if c in svc.unlocated]
            out[f"未定位-{name}"] = SheetSpec(
                svc.unlocated[cols], labels={"status": "建设状态"},
                translate={"kind": KIND.label, "status": STATUS.label},
                integer=["population"],
                description=f"“{svc.service_name}”：没有坐标、未参与可达性测算的村（社区）")
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
    """The sentence on uncovered villages (terminal and run summaries)."""
    parts = []
    for s in result.services:
        part = (f"“{s.service_name}”{len(s.uncovered)} 个"
                f"（{s.uncovered['population'].sum():,.0f} 人）")
        if len(s.unlocated):
            part += f"，另有 {len(s.unlocated)} 个未定位（无坐标）未参与计算"
        parts.append(part)
    return (f"可达性分析（{method_text(result)}）：在服务标准时间内到不了最近站点的"
            f"村（社区）—— {'；'.join(parts)}。{fit_sentence(result)}")


def standard_text(svc: ServiceAccess) -> str:
    """The service's time standards in words: "城镇步行15分钟、农村驾车30分钟"."""
    p = svc.points
    if not len(p) or "threshold_min" not in p:
        return ""
    combos = (p[["urban", "mode", "threshold_min"]].dropna(subset=["threshold_min"])
              .drop_duplicates().sort_values("urban", ascending=False))
    words = []
    for urban, mode, minutes in combos.itertuples(index=False):
        where = "" if pd.isna(urban) else "城镇" if bool(urban) else "农村"
        words.append(f"{where}{_mode(mode)}{float(minutes):g}分钟")
    return "、".join(dict.fromkeys(words))


def coverage_sentence(svc: ServiceAccess) -> str:
    """One service's county coverage in a sentence, for the report."""
    c = svc.county.iloc[0]
    standard = standard_text(svc)
    text_ = (f"“{svc.service_name}”" + (f"以{standard}以内可达为覆盖，" if standard else "")
             + f"覆盖全县{float(c['covered_share']) * 100:.1f}%的人口"
             f"（{c['covered_population']:,.0f}人/{c['population']:,.0f}人）")
    if len(svc.uncovered):
        text_ += (f"，尚有{len(svc.uncovered)}个村（社区）、"
                  f"{svc.uncovered['population'].sum():,.0f}人未覆盖")
    else:
        text_ += "，全部村（社区）均已覆盖"
    across = _across(svc)
    if across:
        text_ += f"（其中{across}个村（社区）由邻县站点{COLUMNS.label('cross_border')}）"
    if len(svc.unlocated):
        text_ += f"；另有{len(svc.unlocated)}个村（社区）无坐标，未参与测算"
    return text_ + "。"


def _across(svc: ServiceAccess) -> int:
    """Demand points covered by a neighbour county's site (a batch run; 0 otherwise)."""
    p = svc.points
    if "cross_border" not in p or not len(p):
        return 0
    return int((p["cross_border"].to_numpy(dtype=bool) & p["covered"].to_numpy(dtype=bool)).sum())


def method_sentence(result: AccessResult) -> str:
    """How travel times were computed, for the report's notes on method."""
    if result.road_network:
        return ("可达性按道路网络测算：从每个村（社区）沿道路到最近的已建站点，按步行或驾车"
                "速度计算通行时间，与服务标准时间比较，判断是否覆盖。")
    return ("本次未提供道路网络数据，可达性按直线距离和平均速度估算通行时间，"
            "结果偏乐观，仅供参考。")


def _township_coverage(result: AccessResult) -> pd.DataFrame:
    """Per township: population and each service's covered share."""
    frame: pd.DataFrame | None = None
    for svc in result.services:
        t = svc.townships[["township_code", "township_name", "population",
                           "covered_share"]].copy()
        t = t.rename(columns={"covered_share": f"{_short(svc.service_name)}覆盖率"})
        frame = t if frame is None else frame.merge(
            t.drop(columns=["township_name", "population"]), on="township_code", how="outer")
    if frame is None:
        return pd.DataFrame()
    shares = [c for c in frame.columns if c.endswith("覆盖率")]
    out = pd.DataFrame({
        "乡镇（街道）": frame["township_name"],
        "人口": frame["population"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")})
    for c in shares:
        out[c] = frame[c].map(lambda v: "" if pd.isna(v) else f"{float(v) * 100:.1f}%")
    return out


def section(result: AccessResult, *,
            pictures: Sequence[tuple[str, Path]] = ()) -> ReportSection:
    """The report's section on access: coverage per township and the uncovered villages.

    Parameters
    ----------
    result
        The access stage's result.
    pictures
        ``(caption, PNG)`` figures shown with the uncovered villages (the access map).
    """
    per_service = []
    for i, svc in enumerate(result.services):
        u = svc.uncovered.copy()
        u["status"] = u["status"].map(_status)
        u["mode"] = u["mode"].map(_mode)
        table = frame_for_report(u, {
            "township_name": "乡镇（街道）", "name": "村（社区）", "population": "人口",
            "mode": "出行方式", "time_min": "用时（分钟）", "threshold_min": "标准（分钟）",
            "status": "状态"}, decimals=0)
        per_service.append(ReportSection(
            svc.service_name, table=table,
            table_title=f"“{_short(svc.service_name)}”服务标准时间内未覆盖的村（社区）",
            empty_text="全部村（社区）均在服务标准时间内。", max_rows=60,
            pictures=tuple(pictures) if i == 0 else ()))
    uncovered = ReportSection(
        "未覆盖的村（社区）",
        paragraphs=("下列各表列出在服务标准时间内到不了最近站点的村（社区），"
                    "按通行时间从长到短排列。",),
        subsections=tuple(per_service))
    fit = fit_sentence(result)
    return ReportSection(
        "服务可达性", paragraphs=(*(coverage_sentence(s) for s in result.services),
                             *((fit,) if fit else ())),
        subsections=(
            ReportSection("各乡镇（街道）覆盖情况", table=_township_coverage(result),
                          table_title="各乡镇（街道）服务人口覆盖率", max_rows=200),
            uncovered,
        ))
