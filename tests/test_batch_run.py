"""End to end on Dask: the synthetic city (write_city) as one batch on a real 2-worker
LocalCluster, compared with the counties' single runs and with pandas.

One batch serves most tests (it takes most of this module's time): two real counties of the
synthetic city plus a third whose input is broken, run with a hook that kills the worker of
the first county once.  Counties write the light folder (tables, interactive map, run.json)
to keep the module fast; the full folder is `coverage run`'s, tested in test_pipeline.py.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from coverage.batch import BatchResult, county_config, load_batch_config, run_batch
from coverage.batch.commands import exit_code
from coverage.datasets.city import write_city
from coverage.pipeline import run

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the hook runs on the workers

BROKEN = "649903"


def _kill_once(code: str, *, marker: Path, victim: str) -> None:
    """On the worker: kill this worker process the first time ``victim`` starts."""
    if code == victim and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class City:
    root: Path
    toml: Path
    good: tuple[str, ...]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("city")
    toml = write_city(root, counties=2)
    good = tuple(c.code for c in load_batch_config(toml).counties)
    # a third county whose input is broken: a copy of the second with another code
    src = root / "counties" / good[1]
    dst = root / "counties" / BROKEN
    shutil.copytree(src, dst)
    text = (dst / "region.toml").read_text(encoding="utf-8")
    (dst / "region.toml").write_text(text.replace(f'code = "{good[1]}"', f'code = "{BROKEN}"'),
                                     encoding="utf-8")
    batch = toml.read_text(encoding="utf-8").replace(
        "buffer_km = 10", 'buffer_km = 10\ncounty_outputs = "light"')
    toml.write_text(batch + f'\n[[counties]]\nconfig = "counties/{BROKEN}/region.toml"\n',
                    encoding="utf-8")
    return City(root=root, toml=toml, good=good)


@pytest.fixture(scope="module")
def batch(city: City, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    out = tmp_path_factory.mktemp("batch") / "out"
    marker = out.parent / "killed.txt"
    hook = functools.partial(_kill_once, marker=marker, victim=city.good[0])
    lines: list[str] = []
    result = run_batch(city.toml, out=out, workers=2, memory_limit="2GB", hook=hook,
                       echo=lines.append)
    (out / "echo.txt").write_text("\n".join(lines), encoding="utf-8")
    print("batch phases (s):", dict(result.timings))
    return result


def test_a_county_with_broken_input_fails_alone(batch: BatchResult, city: City) -> None:
    status = {o.code: o.status for o in batch.outcomes}
    assert status == {city.good[0]: "done", city.good[1]: "done", BROKEN: "failed"}
    broken = next(o for o in batch.outcomes if o.code == BROKEN)
    assert broken.problems and all(p.code == "county_code_mismatch" for p in broken.problems)
    record = json.loads((batch.out_dir / "batch.json").read_text(encoding="utf-8"))
    listed = {c["code"]: c for c in record["counties"]}
    assert listed[BROKEN]["problems"][0]["fix"]            # the fix travels with it
    assert exit_code(batch) == 2                             # "some failed": bad input
    assert not (batch.out_dir / "counties" / BROKEN).exists()
    for code in city.good:
        assert (batch.out_dir / "counties" / code / "maps" / "resource_map.html").is_file()


def test_the_dashboard_link_and_the_progress_lines(batch: BatchResult) -> None:
    lines = (batch.out_dir / "echo.txt").read_text(encoding="utf-8").splitlines()
    assert batch.dashboard and any(batch.dashboard in line for line in lines)
    progress = [line for line in lines if "running" in line]
    assert len(progress) == 2                                 # one per county that ran
    assert "done 2" in progress[-1] and "failed 0" in progress[-1]
    assert "running 0" in progress[-1]


def test_a_killed_worker_is_survived(batch: BatchResult, city: City) -> None:
    marker = batch.out_dir.parent / "killed.txt"
    assert marker.is_file()                                   # the worker was killed …
    victim = next(o for o in batch.outcomes if o.code == city.good[0])
    assert victim.status == "done"                           # … and the county still ran
    assert str(victim.worker) != ""


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
            for p in sorted((folder / "tables").glob("*.csv"))}


#: columns that hold the batch's cross-border service (compared in their own test)
_CROSS = ("cross_border", "site_county_code")
#: columns of the coverage tables that a village served across the border changes
_COVERED = ("covered_points", "covered_population", "covered_share")
#: columns of the suggested sites that the times to the nearest site change
_TIMED = ("minutes_saved", "explanation")


@pytest.fixture(scope="module")
def singles(batch: BatchResult, city: City, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Path]:
    """Each good county run on its own (`coverage run`, the batch's preset), no neighbours."""
    cfg = load_batch_config(city.toml)
    out = tmp_path_factory.mktemp("singles")
    return {code: run(county_config(cfg.county(code).config, preset=cfg.preset),
                      out=out / code, light=True).out_dir for code in city.good}


def _newly_covered(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """Points covered in the batch and not in the single run (by service and id)."""
    key = ["service_id", "kind", "id"]
    both = ours.merge(theirs[[*key, "covered"]], on=key, suffixes=("", "_single"))
    return both[(both["covered"] == "True") & (both["covered_single"] == "False")]


def _nearer(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.Series:
    """Points (rows of ``ours``) that some mode (straight line, walk, drive) finds nearer in
    the batch than alone: a neighbour county's site is their nearest.  (Site codes repeat
    across counties, so times, not codes, tell.)  Nothing is ever farther in the batch (by
    time; the route to a nearer site may be longer in metres)."""
    key = ["service_id", "kind", "id"]
    both = ours.merge(theirs, on=key, how="left", suffixes=("", "_single"))
    nearer = pd.Series(False, index=both.index)
    for col in ("line_m", "walk_min", "drive_min"):
        a = pd.to_numeric(both[col], errors="coerce").fillna(np.inf)
        b = pd.to_numeric(both[f"{col}_single"], errors="coerce").fillna(np.inf)
        assert (a <= b + 1e-9).all(), col                      # never farther in the batch
        nearer |= a < b - 1e-9
    return pd.Series(nearer.to_numpy(), index=ours.index)


def test_the_batch_equals_the_single_county_runs(batch: BatchResult, city: City,
                                                 singles: dict[str, Path]) -> None:
    """Table by table, cell by cell; where a village is served across the border (its own
    test below) the coverage counts differ by exactly those villages."""
    for code in city.good:
        ours = _tables(batch.out_dir / "counties" / code)
        theirs = _tables(singles[code])
        assert set(ours) == set(theirs)
        pts = ours["access_points"]
        crossed = set(pts.loc[_nearer(pts, theirs["access_points"]), "id"])
        assert set(pts.loc[pts["cross_border"] == "True", "id"]) <= crossed
        gained = _newly_covered(pts, theirs["access_points"])
        for name in sorted(ours):
            a, b = ours[name], theirs[name]
            keep = [c for c in a.columns if c not in _CROSS]
            if name in ("access_points", "access_uncovered"):
                a, b = a[~a["id"].isin(crossed)], b[~b["id"].isin(crossed)]
            elif name in ("access_county", "access_townships"):
                by = ["service_id"] + (["township_code"] if name == "access_townships" else [])
                diff = (a.set_index(by)["covered_points"].astype(int)
                        - b.set_index(by)["covered_points"].astype(int))
                expected = gained.groupby(by).size().reindex(diff.index, fill_value=0)
                pd.testing.assert_series_equal(diff, expected, check_names=False,
                                               obj=f"{code}/{name}")
                keep = [c for c in keep if c not in _COVERED]
            elif name.startswith("suggest") and len(gained):
                continue  # the optimiser sees those villages covered: its plan may differ
            elif name == "suggested_sites" and crossed:
                keep = [c for c in keep if c not in _TIMED]  # same plan, nearer times
            pd.testing.assert_frame_equal(a[keep].reset_index(drop=True),
                                          b[keep].reset_index(drop=True), obj=f"{code}/{name}")


def test_a_border_village_is_served_across_the_border_in_the_batch_only(
        batch: BatchResult, city: City, singles: dict[str, Path]) -> None:
    gained = []
    for code in city.good:
        pts = _tables(batch.out_dir / "counties" / code)["access_points"]
        new = _newly_covered(pts, _tables(singles[code])["access_points"])
        assert (new["cross_border"] == "True").all()            # only a neighbour's site
        assert (new["site_county_code"] != code).all()
        gained.append(new)
    found = pd.concat(gained)
    assert len(found) >= 1                                       # the synthetic city has some
    assert (found["status"] == "covered").all()
    acc = pd.read_csv(batch.out_dir / "tables" / "access.csv", dtype={"county_code": str})
    assert acc["cross_border_points"].sum() >= len(found)       # 跨县服务 in the city table


def test_the_city_roll_up_equals_pandas_on_the_county_tables(batch: BatchResult,
                                                             city: City) -> None:
    gaps = pd.concat([pd.read_csv(batch.out_dir / "counties" / c / "tables" / "gaps.csv",
                                  dtype={"unit_code": str}) for c in city.good])
    county = gaps[gaps["unit_level"] == "county"]
    rates = county[county["kind"] == "rate"].dropna(subset=["numerator", "denominator"])
    pooled = rates.groupby("indicator_id")[["numerator", "denominator"]].sum()
    expected = (pooled["numerator"] / pooled["denominator"]).sort_index()
    got = pd.read_csv(batch.out_dir / "tables" / "city.csv").set_index("indicator_id")
    np.testing.assert_allclose(got.loc[expected.index, "rate"], expected.to_numpy())
    shortfall = county.groupby("indicator_id")["shortfall"].sum()
    np.testing.assert_allclose(got.loc[shortfall.index, "shortfall"], shortfall.to_numpy())
    points = pd.concat([pd.read_csv(batch.out_dir / "counties" / c / "tables" /
                                    "access_points.csv", dtype={"id": str})
                        for c in city.good])
    acc = pd.read_csv(batch.out_dir / "tables" / "access.csv", dtype={"county_code": str})
    for sid, grp in points.groupby("service_id"):
        share = grp.loc[grp["covered"], "population"].sum() / grp["population"].sum()
        row = acc[(acc["service_id"] == sid) & (acc["county_code"] == "649900")]
        assert row["covered_share"].iloc[0] == pytest.approx(share)
        assert row["points"].iloc[0] == grp["id"].nunique() == len(grp)  # each village once
    ranking = pd.read_csv(batch.out_dir / "tables" / "counties.csv",
                          dtype={"county_code": str})
    first = ranking[ranking["indicator_id"] == "village_room_rate"].sort_values("rank")
    assert first["rate"].is_monotonic_decreasing
    for name in ("summary.xlsx", "report.html", "report.docx", "city_map.html"):
        assert (batch.out_dir / name).stat().st_size > 0
    page = (batch.out_dir / "city_map.html").read_text(encoding="utf-8")
    for code in city.good:  # drill-down: each county's own map, by a relative link
        assert f"counties/{code}/maps/resource_map.html" in page


def test_a_rerun_with_nothing_changed_does_no_county_work(batch: BatchResult,
                                                          city: City) -> None:
    again = run_batch(city.toml, out=batch.out_dir, only=list(city.good), workers=2)
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert again.dashboard is None and again.workers == 0    # no cluster was even started
    assert exit_code(again) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scheduler() -> Iterator[str]:
    dask = shutil.which("dask") or str(Path(sys.executable).parent / "dask")
    if not Path(dask).is_file():
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    time.sleep(1.0)
    procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads",
                                   "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL))
    try:
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_an_existing_cluster_by_address(batch: BatchResult, city: City, scheduler: str
                                        ) -> None:
    """`dask scheduler` and `dask worker` as separate processes; the batch connects by address
    (the same code path as the LocalCluster) and its tasks run on that worker."""
    again = run_batch(city.toml, out=batch.out_dir, scheduler=scheduler, only=[BROKEN],
                      overwrite=True)                            # load it again, there
    status = {o.code: o.status for o in again.outcomes}
    assert status == {BROKEN: "failed"}
    assert again.workers == 1
    broken = next(o for o in again.outcomes if o.code == BROKEN)
    assert broken.problems  # its survey ran on the external worker and found them


def test_the_command_line(batch: BatchResult, city: City,
                          capsys: pytest.CaptureFixture[str]) -> None:
    from coverage.cli import main

    good = ",".join(city.good)
    assert main(["batch", str(city.toml), "--out", str(batch.out_dir), "--only", good]) == 0
    out = capsys.readouterr().out
    assert "skipped: 2" in out and "summary.xlsx" in out
    assert main(["batch", str(city.toml), "--out", str(batch.out_dir), "--only", "649999"]) == 2
    err = capsys.readouterr().err
    assert "649999" in err and city.good[0] in err            # the codes it has
