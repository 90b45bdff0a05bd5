"""Readers: tables, vector files, encodings — what a county office really has.

The inputs are what a county office really has: an Excel 台账 with a title row above the
headers, CSVs saved by Excel as GBK, shapefiles whose ``.dbf`` is GBK without a ``.cpg``,
zipped shapefiles.  Readers return strings exactly as the user sees them (no dtype guessing;
12-digit codes stay codes) with the Excel row and column letter of every cell, and every
problem becomes an :class:`~coverage.problems.InputError` that names the file, the sheet,
where, and the fix.

Nothing is read before :func:`check_file` has seen a regular file within the size limit
(``[region] max_file_mb``): a device, a pipe or a folder is refused before it is opened.
Readers never modify their inputs.  Writing is :mod:`coverage.outputs`' job.
"""

from coverage.readers._files import DEFAULT_MAX_BYTES, check_file, detect_encoding
from coverage.readers._tables import Table, read_table
from coverage.readers._vector import read_vector

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Table",
    "check_file",
    "detect_encoding",
    "read_table",
    "read_vector",
]
