"""`coverage suggest` on the demo with every model and every option: exit 0, 3 or 2, never 1.

0 = a plan; 3 = the options admit no feasible plan (said in words); 2 = an option that
makes no sense for the model (an input error naming it).  An internal error (1) or a
traceback is a bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.cli import main
from coverage.datasets import demo_config_path

pytestmark = pytest.mark.slow

MODELS = ("quota", "mclp", "lscp", "pmedian", "pcenter")
#: two candidate villages of the demo (no room yet): one to lock, one to exclude
LOCKED, BARRED = "379901003205", "379901101212"
OPTIONS = {
    "p": ["--p", "6"],
    "budget": ["--budget", "4"],
    "force": ["--force", LOCKED],
    "exclude": ["--exclude", BARRED],
}


@pytest.mark.parametrize("model", MODELS)
def test_every_model_with_every_option(model: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    toml = str(demo_config_path())
    for name, extra in OPTIONS.items():
        out = tmp_path / name
        code = main(["-q", "suggest", toml, "--model", model, "--time-limit", "30", *extra,
                     "--out", str(out)])
        captured = capsys.readouterr()
        assert code in (0, 2, 3), (model, name, code, captured.err[-2000:])
        assert "Traceback" not in captured.err and "internal error" not in captured.err
        if code == 0:
            sites = (out / "suggested_sites.csv").read_text(encoding="utf-8-sig")
            if name == "force":
                assert LOCKED in sites, (model, "the locked site is built")
            if name == "exclude":
                assert BARRED not in sites, (model, "the excluded site is not built")
        elif code == 3:
            assert "无可行方案" in captured.err
        else:
            assert "optimize" in captured.err or "--" in captured.err
