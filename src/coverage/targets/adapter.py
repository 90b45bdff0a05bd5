"""The gaps stage: completion rates of a :class:`~coverage.region.Region` against its targets.

The engine works on plain layer tables; this thin layer resolves the preset the ``[targets]``
section asks for (or ``preset``), applies its overrides and custom indicators and runs the
engine on the region's layers and townships.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from coverage.config import TargetsConfig
from coverage.targets._presets import preset_from_config
from coverage.targets.engine import GapResult, compute_gaps

if TYPE_CHECKING:
    from coverage.region import Region

__all__ = ["gaps_for_region"]


def gaps_for_region(region: Region, targets: TargetsConfig | None = None, *,
                    preset: str | None = None) -> GapResult:
    """Completion rates of ``region`` against the targets of ``targets``.

    Parameters
    ----------
    region
        The region (loaded from a TOML or built with ``region_from_frames``).
    targets
        The ``[targets]`` section (default: the national 2018 preset without overrides).
    preset
        A preset name or TOML path replacing ``targets.preset``.
    """
    targets = targets if targets is not None else TargetsConfig()
    if preset:
        targets = replace(targets, preset=preset)
    tp = preset_from_config(targets, base_dir=targets.base_dir)
    return compute_gaps(layers=region.layers, townships=region.townships, preset=tp,
                        county_code=region.code, county_name=region.name)
