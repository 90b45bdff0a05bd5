"""``coverage init``: a commented region TOML drafted from a folder of the planner's own files.

A library first — the command and a web wizard are thin shells over the same four steps::

    from coverage.scaffold import Choices, survey, plan_region, draft_config, write_draft
    sv = survey("县里的数据", source="amap")      # read every file, guess everything
    sv.sources[0].columns[0].role                 # each guess: confidence, reason, alternatives
    text = draft_config(sv, choices=Choices(uses={"台账.xlsx#旧表": "ignore"}))
    files = write_draft("县里的数据", sv)          # region.toml + region.report.txt/.json

:func:`survey` reads every file, sheet and layer (title rows, hidden sheets, GBK, zipped
shapefiles, Gauss-Krüger metres) and guesses each column's field, each source's use (a point
layer of some kind, boundaries of some level, a 台账 joined by code, a code list) and its
coordinate system — saying when the numbers cannot tell (GCJ-02 vs WGS84) and asking.
:class:`Choices` overrides any guess (a form's drop-downs, sent back as JSON);
:func:`plan_region` decides the region; :func:`draft_config` renders it; :func:`write_draft`
writes it (never over an existing file) with a report, after loading it as
``coverage validate`` would.
"""

from coverage.scaffold._choices import Choices
from coverage.scaffold._crs import answer_crs
from coverage.scaffold._model import (
    ColumnGuess,
    CRSGuess,
    Reason,
    RoleGuess,
    SourceSurvey,
    Survey,
    UseGuess,
)
from coverage.scaffold._plan import Plan, PlannedAdmin, PlannedLayer, PlannedLedger, plan_region
from coverage.scaffold._report import DraftCheck, report_dict, report_text
from coverage.scaffold._survey import survey
from coverage.scaffold._words import reason_text
from coverage.scaffold._write import DraftFiles, check_draft, draft_config, write_draft

__all__ = [
    "CRSGuess",
    "Choices",
    "ColumnGuess",
    "DraftCheck",
    "DraftFiles",
    "Plan",
    "PlannedAdmin",
    "PlannedLayer",
    "PlannedLedger",
    "Reason",
    "RoleGuess",
    "SourceSurvey",
    "Survey",
    "UseGuess",
    "answer_crs",
    "check_draft",
    "draft_config",
    "plan_region",
    "reason_text",
    "report_dict",
    "report_text",
    "survey",
    "write_draft",
]
