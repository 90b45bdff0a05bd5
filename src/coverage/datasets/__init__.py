"""Embedded datasets: the fictional demo region 澄河县（虚构示例） and its generator.

The generator lives in :mod:`coverage.datasets.demo`; its names are re-exported here lazily so
that ``python -m coverage.datasets.demo`` runs without importing the module twice.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DATA_NOTE", "REGION_NAME", "default_data_root", "demo_config_path", "generate"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("coverage.datasets.demo"), name)
    raise AttributeError(f"module 'coverage.datasets' has no attribute {name!r}")
