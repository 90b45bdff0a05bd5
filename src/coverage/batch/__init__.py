"""Many counties in one run: a city or a province on :mod:`dask.distributed`.

::

    from coverage.batch import run_batch
    result = run_batch("city/batch.toml", out="out", workers=2)
    result.failed          # counties whose input was bad, each with its problem list

See :mod:`coverage.batch.config` for the batch TOML, :mod:`coverage.batch.runner` for how
the counties run (tasks, faults, resumption) and :mod:`coverage.batch.rollup` for the city's
figures.
"""

from coverage.batch._county import CountyOutcome, county_config
from coverage.batch.config import BatchConfig, CountyEntry, load_batch_config
from coverage.batch.rollup import CityRollup, roll_up
from coverage.batch.runner import BatchResult, run_batch

__all__ = [
    "BatchConfig",
    "BatchResult",
    "CityRollup",
    "CountyEntry",
    "CountyOutcome",
    "county_config",
    "load_batch_config",
    "roll_up",
    "run_batch",
]
