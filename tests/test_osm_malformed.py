"""Malformed road files are input errors naming the file and the fix (exit 2 in the CLI),
never a traceback: not XML, not OSM, truncated bz2, not PBF, no highway ways, ways without
their nodes."""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path

import pytest

from coverage._osm import read_osm
from coverage.cli import main
from coverage.problems import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = FIXTURES / "net_small.osm"

NO_ROADS = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="35.6" lon="117.3" version="1"/>
  <node id="2" lat="35.6" lon="117.31" version="1"/>
  <node id="3" lat="35.61" lon="117.31" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="building" v="yes"/></way>
</osm>
"""

WAYS_WITHOUT_NODES = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="track"/></way>
  <node id="1" lat="35.6" lon="117.3" version="1"/>
  <node id="2" lat="35.6" lon="117.31" version="1"/>
  <node id="3" lat="35.61" lon="117.31" version="1"/>
</osm>
"""


def _cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase the message must hold)."""
    xml = SMALL.read_bytes()
    files = {
        "not_xml": ("roads.osm", b"this is not xml at all\n", "not readable as OSM XML"),
        "empty": ("roads.osm", b"", "not readable as OSM XML"),
        "html": (
            "roads.osm",
            b"<html><body>rate limited</body></html>",
            "not readable as OSM XML",
        ),
        "truncated_bz2": (
            "roads.osm.bz2",
            bz2.compress(xml)[: len(bz2.compress(xml)) // 2],
            "not readable as bzip2-compressed OSM XML",
        ),
        "plain_named_bz2": ("roads.osm.bz2", xml, "not readable as bzip2-compressed OSM XML"),
        "not_pbf": ("roads.osm.pbf", xml, "not readable as an OSM PBF file"),
        "no_roads": ("roads.osm", NO_ROADS.encode(), "holds no highway ways"),
        "ways_first": ("roads.osm", WAYS_WITHOUT_NODES.encode(), "osmium sort"),
    }
    out = {}
    for key, (name, data, phrase) in files.items():
        folder = tmp / key
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        out[key] = (path, phrase)
    return out


CASES = [
    "not_xml",
    "empty",
    "html",
    "truncated_bz2",
    "plain_named_bz2",
    "not_pbf",
    "no_roads",
    "ways_first",
]


@pytest.mark.parametrize("case", CASES)
def test_malformed_file_is_an_input_error(tmp_path: Path, case: str) -> None:
    path, phrase = _cases(tmp_path)[case]
    with pytest.raises(InputError) as info:
        read_osm(path)
    text = str(info.value)
    assert phrase in text
    assert str(path) in text  # names the file
    assert info.value.problems[0].fix  # and the fix


def test_cli_exits_2_naming_the_road_file(
    tmp_path: Path, tiny_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = tmp_path / "region"
    shutil.copytree(tiny_toml.parent, region)
    (region / "region.toml").write_text(
        tiny_toml.read_text(encoding="utf-8") + '\n[access]\nnetwork = "roads.osm.bz2"\n',
        encoding="utf-8",
    )
    data = bz2.compress(SMALL.read_bytes())
    (region / "roads.osm.bz2").write_bytes(data[: len(data) - 40])  # cut off in transfer
    code = main(["access", str(region / "region.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "roads.osm.bz2" in err and "bzip2" in err
    assert "Traceback" not in err and "internal error" not in err
