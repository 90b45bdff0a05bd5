"""A road file of another place stops the run with a clear input error (exit 2), not 7,758 km."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coverage.cli import main

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_another_citys_roads_are_refused(shared_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    region = tmp_path / "demo"
    shutil.copytree(DEMO, region)
    shutil.copy(shared_dir / "data" / "osm" / "Helsinki.osm.pbf", region / "roads.osm.pbf")
    toml = region / "region.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'network = "roads.osm.bz2"' in text
    toml.write_text(text.replace('network = "roads.osm.bz2"', 'network = "roads.osm.pbf"'),
                    encoding="utf-8")
    boundaries = DEMO.parent / "boundaries"
    shutil.copytree(boundaries, tmp_path / "boundaries")
    code = main(["-q", "access", str(toml)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "roads.osm.pbf" in err and "Traceback" not in err
    assert "°E" in err and "osmium extract" in err  # both extents and the fix
