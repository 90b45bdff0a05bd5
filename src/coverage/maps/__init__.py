"""社会心理服务资源一张图: the offline interactive map and static maps for official reports.

Both take a :class:`MapLayers` — the region plus plain (Geo)DataFrames with documented
columns — so they do not depend on the stage result classes::

    from coverage.maps import MapLayers, write_interactive_map, write_static_maps
    layers = MapLayers(region=region, township_rates=rates, demand=demand)
    write_interactive_map(layers, out / "一张图.html")
    write_static_maps(layers, out / "maps")
"""

from coverage.maps._data import MapInfo, MapLayers
from coverage.maps._fonts import find_cjk_font
from coverage.maps.interactive import build_interactive_map, write_interactive_map
from coverage.maps.static import build_static_sheets, write_static_maps, write_township_sheets

__all__ = [
    "MapInfo",
    "MapLayers",
    "build_interactive_map",
    "build_static_sheets",
    "find_cjk_font",
    "write_interactive_map",
    "write_static_maps",
    "write_township_sheets",
]
