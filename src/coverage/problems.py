"""Problems in the user's input: the record, the collector and the exceptions, in one module.

A planner with a 600-row spreadsheet wants all fourteen problems in one message, each with
the file, the sheet, the row as Excel shows it, the column, the value as typed and how to fix
it — not the first one as a traceback.  Every loader and check appends to a :class:`Problems`
collector and calls :meth:`Problems.raise_if_errors` once at the end, which raises one
:class:`InputError` listing them all.  The CLI turns an :class:`InputError` into exit code 2.

The exceptions derive from built-ins, so callers can catch ``ValueError`` without importing
us.  This module imports nothing from ``coverage``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

__all__ = ["ConfigError", "InputError", "Problem", "Problems", "Severity", "format_problems"]


@dataclass(frozen=True)
class Problem:
    """One problem found in the user's input.

    Parameters
    ----------
    file
        The file (or config key path's file) the problem is in, as the user named it.
    row
        Row number as the user sees it in Excel or a text editor (the header row is row
        ``header_row``; the first data row is ``header_row + 1``).  ``None`` when the problem
        is not about one row.
    column
        Column header (or TOML key path for config problems).
    value
        The offending value, shown back to the user.
    message
        What is wrong, in plain words.
    fix
        How to fix it.
    severity
        ``"error"`` stops the run; ``"warning"`` is reported and kept on the result
        (strict mode promotes warnings to errors).
    sheet
        The workbook sheet, for problems in an XLSX file (``None`` otherwise).
    cell
        The column letter as Excel shows it (``"C"``), when known.
    code
        A short machine-readable code of the kind of problem (``"empty_coordinate"``,
        ``"tiling_gap"`` …) for tools that sort or filter problems; empty when not set.
    """

    file: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    fix: str = ""
    severity: Severity = "error"
    sheet: str | None = None
    cell: str | None = None
    code: str = ""

    def format(self) -> str:
        """Return the problem as one human-readable line."""
        where: list[str] = []
        if self.file:
            where.append(str(self.file))
        if self.sheet:
            where.append(f"工作表 '{self.sheet}'")
        if self.row is not None:
            where.append(f"第{self.row}行 (row {self.row})")
        if self.column:
            letter = f" ({self.cell}列)" if self.cell else ""
            where.append(f"列/键 '{self.column}'{letter}")
        head = ", ".join(where)
        text = f"{head}: {self.message}" if head else self.message
        if self.value is not None and self.value != "":
            text += f" [值: {self.value!r}]"
        if self.fix:
            text += f" → 修改建议: {self.fix}"
        tag = "错误 ERROR" if self.severity == "error" else "警告 WARNING"
        return f"[{tag}] {text}"


def format_problems(
    problems: Iterable[Problem], *, title: str | None = None, max_per_kind: int = 8
) -> str:
    """Format problems as a numbered report, errors first.

    Problems of the same kind (same file, column, message and severity) beyond
    ``max_per_kind`` are folded into one line listing their rows, so 400 identical
    warnings do not bury the one error that matters.  Nothing is dropped from the
    :class:`InputError` itself: ``.problems`` keeps every one.
    """
    items = sorted(problems, key=lambda p: (p.severity != "error", p.file or "", p.row or 0))
    n_err = sum(p.severity == "error" for p in items)
    n_warn = len(items) - n_err
    header = title or "输入数据有问题 (input problems)"
    lines = [f"{header}: {n_err} 个错误 (errors), {n_warn} 个警告 (warnings)"]
    seen: dict[tuple[object, ...], list[Problem]] = {}
    for p in items:
        seen.setdefault((p.severity, p.file, p.sheet, p.column, p.message), []).append(p)
    count: dict[tuple[object, ...], int] = {}
    n = 0
    for p in items:
        key = (p.severity, p.file, p.sheet, p.column, p.message)
        group = seen[key]
        pos = count[key] = count.get(key, -1) + 1
        if pos < max_per_kind:
            n += 1
            lines.append(f"{n:>3}. {p.format()}")
        elif pos == max_per_kind:
            rest = group[max_per_kind:]
            rows = [str(q.row) for q in rest if q.row is not None]
            shown = ", ".join(rows[:30]) + (" …" if len(rows) > 30 else "")
            n += 1
            lines.append(f"{n:>3}. … 另有 {len(rest)} 处同类问题 ({len(rest)} more like the "
                         f"one above" + (f", rows {shown}" if rows else "") + ")")
    return "\n".join(lines)


@dataclass
class Problems:
    """A mutable collector of :class:`Problem` used while loading and validating."""

    items: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        fix: str = "",
        severity: Severity = "error",
        sheet: str | None = None,
        cell: str | None = None,
        code: str = "",
    ) -> None:
        """Record one problem."""
        self.items.append(Problem(file, row, column, value, message, fix, severity,
                                  sheet=sheet, cell=cell, code=code))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record several problems."""
        self.items.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity ``warning``."""
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(
        self,
        *,
        strict: bool = False,
        title: str | None = None,
        error_class: type[InputError] | None = None,
    ) -> None:
        """Raise one :class:`InputError` listing every problem.

        Parameters
        ----------
        strict
            When true, warnings count as errors.
        title
            First line of the report.
        error_class
            The exception to raise (default :class:`InputError`).
        """
        if strict:
            bad = bool(self.items)
            items = [dataclasses.replace(p, severity="error") for p in self.items]
        else:
            bad = bool(self.errors)
            items = list(self.items)
        if bad:
            raise (error_class or InputError)(items, title=title)


class InputError(ValueError):
    """Bad user input: one or more problems, all reported together.

    Parameters
    ----------
    problems
        Every problem found.
    title
        First line of the report.
    """

    def __init__(self, problems: Iterable[Problem], *, title: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.title = title
        super().__init__(format_problems(self.problems, title=title))

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        fix: str = "",
        sheet: str | None = None,
        code: str = "",
    ) -> InputError:
        """Build an error holding one problem."""
        return cls([Problem(file, row, column, value, message, fix, "error", sheet=sheet,
                            code=code)])

    def __reduce__(self) -> tuple[type, tuple[list[Problem]], dict[str, object]]:
        # pickling across processes (the batch runner's workers): keep the title
        return (type(self), (self.problems,), {"title": self.title})


class ConfigError(InputError):
    """Bad region configuration (TOML): problems carry the key path in ``column``."""
