"""The presentation layer: every stage result in words, tables, workbooks and report sections.

One module per stage result, each offering the same four things — terminal ``text``,
workbook ``sheets``, CSV files (``write_tables``) and the report ``section`` — plus the run's
composition (:mod:`coverage.present.run`), the one workbook writer
(:mod:`coverage.present.workbook`) and the report writers (:mod:`coverage.present.report`).
Stages never import this package; it reads their result objects and the glossary
(:mod:`coverage.vocabulary`).
"""
