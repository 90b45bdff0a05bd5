"""Deprecated: readers are in :mod:`coverage.readers`, writers in :mod:`coverage.outputs`."""

from coverage.coordinates import parse_coordinate, parse_coordinates, parse_wkt_column
from coverage.outputs import atomic_path, atomic_write, sha256_file, write_csv, write_json
from coverage.readers import Table, detect_encoding, read_table, read_vector

__all__ = [
    "Table",
    "atomic_path",
    "atomic_write",
    "detect_encoding",
    "parse_coordinate",
    "parse_coordinates",
    "parse_wkt_column",
    "read_table",
    "read_vector",
    "sha256_file",
    "write_csv",
    "write_json",
]
