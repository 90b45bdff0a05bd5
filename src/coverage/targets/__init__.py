"""Policy targets: presets from the work plans, and completion-rate gap analysis.

>>> from coverage.targets import load_preset
>>> preset = load_preset("national_2018")
>>> preset.indicator("village_room_rate").target_text
'≥80%'
"""

from __future__ import annotations

from coverage.targets._model import (
    INDICATOR_KINDS,
    SCOPES,
    Citation,
    Condition,
    Indicator,
    Selector,
    TargetPreset,
    is_room_rate,
)
from coverage.targets._presets import (
    apply_overrides,
    list_presets,
    load_preset,
    preset_from_config,
    preset_names,
)
from coverage.targets.adapter import gaps_for_region
from coverage.targets.engine import (
    MET,
    NO_DATA,
    NOT_APPLICABLE,
    UNMET,
    GapNote,
    GapResult,
    compute_gaps,
)

__all__ = [
    "INDICATOR_KINDS",
    "MET",
    "NOT_APPLICABLE",
    "NO_DATA",
    "SCOPES",
    "UNMET",
    "Citation",
    "Condition",
    "GapNote",
    "GapResult",
    "Indicator",
    "Selector",
    "TargetPreset",
    "apply_overrides",
    "compute_gaps",
    "gaps_for_region",
    "is_room_rate",
    "list_presets",
    "load_preset",
    "preset_from_config",
    "preset_names",
]
