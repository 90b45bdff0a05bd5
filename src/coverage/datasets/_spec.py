"""What makes one synthetic county different from another: seed, outline, names and codes.

:data:`DEMO_SPEC` is the embedded demo county 澄河县（虚构示例）; the synthetic city and
province (:mod:`coverage.datasets.city`) build their counties from other specs with the same
generator (:mod:`coverage.datasets._model`), so every county has the same structure (3 街道,
9 镇, 1 remote 乡, ~440 村/社区) but its own shape, names, codes and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Polygon

from coverage.datasets import _names as nm

__all__ = ["DEMO_SPEC", "CountySpec"]


@dataclass(frozen=True)
class CountySpec:
    """One synthetic county's identity and geography.

    Attributes
    ----------
    seed
        Seed of the county's random generator (the only source of randomness).
    code
        6-digit county code; township codes add 3 digits, village codes 3 more.
    name
        Full display name (e.g. ``澄河县（虚构示例）``).
    short
        Short name used in facility, road and river names (``澄河``).
    suffix
        Administrative suffix of the county seat's names: ``县``, ``区`` or ``市``.
    townships
        ``(short name, kind)`` of the 13 townships in code order: 3 ``street``, 9 ``town``,
        1 ``township``.
    school_prefix
        First 7 digits of the 10-digit school codes.
    outline
        County outline in the local km frame of :mod:`coverage.datasets._geo`; None: a
        random outline of about 1,100 km² centred on the frame's origin.
    seat
        County seat in the same frame (must lie inside the outline).
    target_population
        Resident population the villages are scaled to.
    """

    seed: int
    code: str
    name: str
    short: str
    suffix: str
    townships: tuple[tuple[str, str], ...]
    school_prefix: str
    outline: Polygon | None = None
    seat: tuple[float, float] = (2.4, 2.2)
    target_population: int = 552_000

    def __post_init__(self) -> None:
        kinds = [k for _, k in self.townships]
        if kinds != [k for _, k in nm.TOWNSHIPS]:
            raise ValueError("a county spec needs 3 streets, 9 towns and 1 township in order")
        if len(self.code) != 6 or not self.code.isdigit():
            raise ValueError(f"county code {self.code!r} is not 6 digits")


DEMO_SPEC = CountySpec(
    seed=20_251_231,
    code=nm.COUNTY_CODE,
    name=nm.COUNTY_NAME,
    short=nm.COUNTY_SHORT,
    suffix="县",
    townships=nm.TOWNSHIPS,
    school_prefix="2137990",
)
