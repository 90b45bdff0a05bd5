"""Gap analysis of a loaded :class:`~coverage.region.Region` (the thin geo layer).

The engine works on plain layer tables; this picks the preset the region's ``[targets]``
table asks for (or ``preset``), applies its overrides and runs the engine.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from coverage._errors import InputError
from coverage.targets._model import preset_from_config
from coverage.targets.engine import GapResult, compute_gaps

if TYPE_CHECKING:
    from coverage.region import Region

__all__ = ["gaps_for_region"]


def gaps_for_region(region: Region, *, preset: str | None = None) -> GapResult:
    """Completion rates of ``region`` against its target preset (or ``preset``).

    Parameters
    ----------
    region
        A region loaded from a region TOML.
    preset
        A preset name or TOML path replacing the config's ``[targets] preset``.
    """
    if region.config is None:
        raise InputError.single("gap analysis needs a region loaded from a region TOML",
                                fix="use coverage.load_region(path)")
    targets = region.config.targets
    if preset:
        targets = replace(targets, preset=preset)
    tp = preset_from_config(targets, base_dir=region.config.base_dir)
    return compute_gaps(layers=region.layers, townships=region.townships, preset=tp,
                        county_code=region.code, county_name=region.name)
