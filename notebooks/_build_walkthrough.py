"""Write ``notebooks/walkthrough.ipynb`` from the cells below (run from anywhere).

The notebook is generated so that its source is reviewable as plain Python and the committed
file stays small and clean (no outputs, stable cell ids).  After editing a cell here, run::

    python notebooks/_build_walkthrough.py

``tests/test_notebook.py`` checks that the committed notebook equals what this script builds,
and executes it with nbclient.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parent / "walkthrough.ipynb"

# (cell type, id, source).  Ids are fixed so that rebuilding gives a byte-identical file.
CELLS: list[tuple[str, str, str]] = [
    ("md", "intro", """\
# 社会心理服务体系建设：覆盖分析全流程示例
*Walkthrough: the demo county through the Python API*

本笔记本用示例县 **澄河县（虚构示例）** 演示 `coverage` 的完整流程——从读入台账和边界，到
指标缺口、服务可达性、新建站点建议，最后生成 **社会心理服务资源一张图** 和专题图。
示例县的地名、代码、人口和道路均为程序生成的虚构数据，不代表任何真实地区。

| 步骤 step | 回答的问题 question answered |
|---|---|
| 1. 读入与检查 load & validate | 数据是否齐全、坐标是否正确？ |
| 2. 指标缺口 gaps | 对照工作方案的目标，还差多少？差在哪些乡镇？ |
| 3. 服务可达性 access | 群众在规定时间内能否到达服务站点？哪些村（社区）够不着？ |
| 4. 选址建议 suggestions | 下一步在哪里建、先建哪几处？ |
| 5. 一张图与专题图 maps | 给领导看的交互地图和报告插图 |
| 6. 一键运行 one call | `coverage run` 生成全部成果文件 |

自己的县只需换一个 `region.toml`（见 `data/demo/region.toml` 和 `docs/design.md`）。"""),
    ("code", "imports", """\
import re
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Image, display

import coverage
from coverage.datasets import demo_config_path
from coverage.maps import build_interactive_map, write_static_maps
from coverage.pipeline import analyse_access, analyse_gaps, build_access, run, suggest
from coverage.present import gaps as gaps_text
from coverage.present import suggest as suggest_text
from coverage.present.maps import map_layers
from coverage.present.region import summary_table
from coverage.vocabulary import ACCESS_STATUS, GAP_STATUS, MODE

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 160)

# 临时文件夹：本笔记本写出的文件都放在这里 (a scratch folder for the files written below)
workdir = Path(tempfile.mkdtemp(prefix="coverage-walkthrough-"))


def pct(values):
    \"\"\"0.617 -> '61.7%' (空值显示为 —).\"\"\"
    return pd.to_numeric(values, errors="coerce").map(
        lambda v: "—" if pd.isna(v) else f"{v:.1%}")"""),
    ("md", "load-md", """\
## 1. 读入与检查数据 · Load and validate the region

`coverage.load_config(path)` 读入配置，`coverage.load_region(config)` 读入 `region.toml`
中列出的全部文件：行政区划边界、村（社区）点位、
学校和医疗机构表、建设台账。读入时统一转换坐标（示例中社区坐标来自高德地图，为 GCJ-02，
会自动转换为 WGS84），并逐行检查：代码重复、坐标落在县外、所属乡镇与位置不符等。
**错误**会中止并逐条说明在哪个文件第几行、怎么改；**警告**保留在 `region.problems` 中。

*Every input file is read, converted to WGS84 and checked row by row; errors stop with a
report, warnings are kept on the region.*"""),
    ("code", "load", """\
path = demo_config_path()  # 仓库中的 data/demo/region.toml (works from any working folder)
config = coverage.load_config(path)
region = coverage.load_region(config)
print(f"地区 region: {region.name}（{region.code}）")
summary_table(region)"""),
    ("md", "crs-md", """\
距离和面积在 **米制投影坐标系** 中计算：程序按县的位置自动选用 CGCS2000 3 度带高斯-克吕格投影。
下面同时列出读入时的警告条数（示例数据是干净的，应为 0）。

*Distances are computed in an automatically chosen metric CRS (CGCS2000 3-degree
Gauss-Krüger zone); the warning count comes from the validation above.*"""),
    ("code", "crs", """\
print(f"米制坐标系 metric CRS: {region.metric_crs.to_string()}  {region.metric_crs.name}")
warnings = [p for p in region.problems if p.severity == "warning"]
print(f"警告 warnings: {len(warnings)}")
for p in warnings[:10]:
    print(" -", p)"""),
    ("md", "gaps-md", """\
## 2. 指标缺口 · Gap analysis against the targets

`analyse_gaps(region, config)` 按配置中的目标方案（示例为 2018 年《全国社会心理服务体系建设试点工作方案》）
逐项计算建成率：**现有/应有**、**目标**、是否达标，以及达到目标**还需新建几处（缺口）**。
结果同时到县和到每个乡镇（街道）。

*Completion rate per indicator for the county and every township, with the shortfall: the
smallest number of new sites that meets the target.*"""),
    ("code", "gaps", """\
gaps = analyse_gaps(region, config)
county = gaps.county()  # gaps.table 中县级的行 (the county rows of gaps.table)
pd.DataFrame({
    "指标": county["indicator_name"],
    "现有": county["numerator"],
    "应有": county["denominator"],
    "现状": pct(county["rate"]),
    "目标": county["indicator_id"].map(lambda i: gaps.preset.indicator(i).target_text),
    "状态": county["status"].map(GAP_STATUS.label),  # 结果中是代码 (codes in the result)
    "缺口": county["shortfall"],
})"""),
    ("md", "gaps-text-md", """\
同样的结果也可以打印成文字表格（与命令行 `coverage gaps` 的输出相同），后面附有缺口最大的
乡镇（街道）排名——这是分解任务、督促进度的依据。

*The same as plain text (the `coverage gaps` output), with the township ranking.*"""),
    ("code", "gaps-text", "print(gaps_text.text(gaps))"),
    ("md", "access-md", """\
## 3. 服务可达性 · Accessibility

建成率只说明“有没有”，可达性回答“够不够得着”。按配置：城市社区步行 15 分钟、农村驾车 30 分钟
以内能到达一处已建成的心理咨询室，即视为**覆盖**。通行时间在示例县的路网上计算
（`roads.osm.bz2`）；没有路网时自动改用直线距离估算。

先用 `build_access` 建一次可达性上下文（读路网、把所有点挂到路网上），后面的可达性和选址都复用它
（这是最耗时的一步）。

*Travel times on the road network (walk 15 min in towns, drive 30 min in the country);
the graphs are read once and reused by the later steps.*"""),
    ("code", "access", """\
context = build_access(region, config)
access = analyse_access(region, config, context=context)
print("计算方式 method:", "路网通行时间 road network" if access.road_network
      else "直线距离估算 straight line")"""),
    ("md", "access-county-md", """\
**全县覆盖情况（每类服务一行）**：村居数、覆盖村居数、人口、覆盖人口、覆盖率，以及按两步移动
搜索法（2SFCA）计算的每 10 万人可及服务人员数。

*County coverage per service, with the 2SFCA staff accessibility.*"""),
    ("code", "access-county", """\
county_cov = pd.concat([s.county.assign(service=s.service_name) for s in access.services],
                       ignore_index=True)
pd.DataFrame({
    "服务": county_cov["service"],
    "村居数": county_cov["points"],
    "覆盖村居数": county_cov["covered_points"],
    "人口": county_cov["population"].round(0).astype(int),
    "覆盖人口": county_cov["covered_population"].round(0).astype(int),
    "覆盖率": pct(county_cov["covered_share"]),
    "每10万人服务人员(2SFCA)": county_cov["access_per_100k"].round(1),
})"""),
    ("md", "uncovered-md", """\
**最难到达的 10 个村（社区）**（每类服务）：先列路网不可达的，再按通行时间从长到短。
这些点通常就是下一步布点或开展流动服务、远程咨询的重点。

*The 10 worst uncovered villages/communities per service (no route first, then longest
travel time).*"""),
    ("code", "uncovered", """\
for svc in access.services:
    worst = svc.uncovered.head(10)
    print(f"{svc.service_name}：未覆盖 {len(svc.uncovered)} 个村（社区），"
          f"最难到达的 {len(worst)} 个 (worst {len(worst)}):")
    display(pd.DataFrame({
        "乡镇/街道": worst["township_name"],
        "村（社区）": worst["name"],
        "人口": worst["population"].round(0).astype("Int64"),
        "出行方式": worst["mode"].map(MODE.label),
        "用时(分钟)": worst["time_min"].round(1),
        "标准(分钟)": worst["threshold_min"],
        "状态": worst["status"].map(ACCESS_STATUS.label),
    }))"""),
    ("md", "suggest-md", """\
## 4. 选址建议 · Where to build next

`suggest` 在尚未建成心理咨询室的村（社区）中挑选新建点。示例配置用 **乡镇达标配额 +
最大覆盖** 模型：先保证每个乡镇（街道）都达到建成率目标（各乡镇最少新建数来自上面的缺口），
在所有达标方案中选覆盖人口最多的一个；再把选中的点排成分年度建设顺序，并逐条说明理由。
求解器（HiGHS）给出的是经证明的最优解。

*The `quota` model: every township reaches its completion-rate target, and among those plans
the one covering the most people is chosen; sites are then ordered into yearly phases.*"""),
    ("code", "suggest", """\
sug = suggest(region, config, context=context, gaps=gaps)
print(suggest_text.summary_text(sug))
suggest_text.report_table(sug).head(15)"""),
    ("md", "suggest-towns-md", """\
**各乡镇（街道）建成前后对比**：现状建成率、达标最少新建数、建议新建数、建成后建成率与是否达标，
以及标准时间内的覆盖人口。

*Township before/after: completion rate and covered population.*"""),
    ("code", "suggest-towns", """\
t = sug.townships
pd.DataFrame({
    "乡镇/街道": t["township_name"],
    "现状建成率": pct(t["rate_before"]),
    "达标最少新建": t["quota"],
    "建议新建": t["new_sites"],
    "建成后建成率": pct(t["rate_after"]),
    "目标": pct(t["target"]),
    "建成后是否达标": t["met_after"].map({True: "是", False: "否"}),
    "现状覆盖人口": t["covered_before"].round(0).astype(int),
    "建成后覆盖人口": t["covered_after"].round(0).astype(int),
})"""),
    ("md", "whatif-md", """\
### 假设分析 · What-if: 只建 10 处，按覆盖人口最大化

如果当年资金只够建 10 处，而且只追求覆盖人数（不考虑各乡镇建成率达标），结果如何？
把模型换成 **最大覆盖模型（MCLP）**、`p=10` 再算一次，与上面的方案比较。
两者回答的是不同的问题：配额方案保证考核指标达标，最大覆盖方案让有限的资金惠及最多的人。

*Same data, `model="mclp", p=10`: maximise covered population with ten new rooms and compare.*"""),
    ("code", "whatif", """\
mclp = suggest(region, config, context=context, gaps=gaps, model="mclp", p=10)

ind_id, ind_name = sug.indicator  # 建成率指标 (the completion-rate indicator)
row = county.set_index("indicator_id").loc[ind_id]


def compare_row(label, res):
    t = res.townships
    return {
        "方案": label,
        "新建数": len(res.sites),
        "现状覆盖人口": int(t["covered_before"].sum()),
        "建成后覆盖人口": int(t["covered_after"].sum()),
        "新增覆盖人口": int(t["covered_after"].sum() - t["covered_before"].sum()),
        f"建成后全县{ind_name}": f"{(row['numerator'] + len(res.sites)) / row['denominator']:.1%}",
    }


pd.DataFrame([compare_row("乡镇达标配额 + 最大覆盖 (quota)", sug),
              compare_row("最大覆盖 MCLP, p=10", mclp)])"""),
    ("md", "map-md", """\
## 5. 社会心理服务资源一张图 · The interactive map

`build_interactive_map` 把以上结果画在一张交互地图上：乡镇建成率、各类服务场所（按建设状态着色）、
服务可达范围、未覆盖的村（社区）和建议新建点（按建设年度着色）。右上角可开关图层，点击点位
查看详情。地图是**离线**的：Leaflet 脚本内嵌在页面中，不引用任何 CDN，默认没有在线底图，
所以在内网电脑上也能打开。先检查一下生成的 HTML 确实不依赖外部网络：

*The 资源一张图 is fully offline: Leaflet is inlined, nothing is loaded from a CDN.*"""),
    ("code", "map-check", """\
layers = map_layers(region, gaps, access, sug, config=config.map)
m = build_interactive_map(layers)
page = m.html
external = re.findall(r"<(?:script|link)\\b[^>]*\\b(?:src|href)=[\\"']?https?://", page)
print(f"HTML 大小 size: {len(page.encode()) / 1e6:.1f} MB；"
      f"外部脚本/样式 external scripts/stylesheets: {len(external)}")
assert not external and "https://cdn" not in page, "the map must not need the internet"
assert "leaflet" in page.lower()"""),
    ("md", "map-show-md", """\
地图直接显示在下面（如果只看到“Make this Notebook Trusted”，请在 Jupyter 中选择
File → Trust Notebook）。保存成文件用 `coverage.maps.write_interactive_map(layers, path)`。

*The map displays inline; `write_interactive_map` saves it as one HTML file.*"""),
    ("code", "map-show", "m"),
    ("md", "static-md", """\
### 专题图 · Static map sheets for reports

`write_static_maps` 画 A4 专题图（现状分布、建成率、可达性、建议新建点），带图例、比例尺、
指北针和数据说明，用于正式报告；正式出图默认 300 dpi 并同时输出 PNG/SVG/PDF。
这里为了快，只输出 100 dpi 的 PNG，并显示其中的“建议新建站点”一张。

*A4 sheets for official reports; here 100 dpi PNG only, showing the suggestions sheet.*"""),
    ("code", "static", """\
sheets = write_static_maps(layers, workdir / "maps", formats=("png",), dpi=100)
for key, files in sheets.items():
    print(f"{key:12s} {files[0].name}")
Image(filename=str(sheets["suggestions"][0]), width=600)"""),
    ("md", "run-md", """\
## 6. 一键运行 · The one-call version

以上各步也可以一步完成：`run(path, out=文件夹)`（命令行：`coverage run region.toml --out 文件夹`）。
它写出一个完整的成果文件夹：`maps/`（一张图 HTML 和专题图 PNG/SVG/PDF）、`tables/`（Excel 和
CSV 表格）、`report.html` / `report.docx`（评估报告）和 `run.json`（输入文件校验值、配置、软件版本，
保证结果可复现）。全流程约需 20 秒。

*`run` writes the whole output folder: maps, tables, HTML/Word report and run.json.*"""),
    ("code", "run", """\
result = run(path, out=workdir / "澄河县评估")
print(f"输出文件夹 output folder: {result.out_dir}")
print("各步用时 timings (s):", result.timings)
pd.DataFrame({
    "文件 file": list(result.files),
    "大小 KB": [round(p.stat().st_size / 1024, 1) for p in result.files.values()],
})"""),
    ("md", "outro", """\
用自己的数据时，照 `data/demo/region.toml` 写一个 `region.toml`，把上面的 `path` 换成它的路径即可。
本笔记本写出的文件都在临时文件夹 `workdir` 中，可随时删除。

*For your own county: write a `region.toml` like the demo's and point `path` at it.*"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    cells = []
    for kind, cell_id, source in CELLS:
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = cell_id
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def render() -> str:
    """The notebook file's text, exactly as written."""
    return nbformat.writes(build()) + "\n"


def main() -> int:
    text = render()
    if NOTEBOOK.is_file() and NOTEBOOK.read_text(encoding="utf-8") == text:
        print(f"{NOTEBOOK} is up to date")
        return 0
    NOTEBOOK.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
