"""Collect every input problem, then report them all at once.

A planner with a 600-row spreadsheet wants all fourteen problems in one message, each with
the file, the row as Excel shows it, the column, the offending value and how to fix it —
not the first one as a traceback.  Every loader and check appends to a :class:`Problems`
collector and calls :meth:`Problems.raise_if_errors` once at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from coverage._errors import InputError

Severity = Literal["error", "warning"]

__all__ = ["Problem", "Problems", "Severity", "format_problems"]


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
    """

    file: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    fix: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        """Return the problem as one human-readable line."""
        where: list[str] = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"第{self.row}行 (row {self.row})")
        if self.column:
            where.append(f"列/键 '{self.column}'")
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
    :class:`~coverage._errors.InputError` itself: ``.problems`` keeps every one.
    """
    items = sorted(problems, key=lambda p: (p.severity != "error", p.file or "", p.row or 0))
    n_err = sum(p.severity == "error" for p in items)
    n_warn = len(items) - n_err
    header = title or "输入数据有问题 (input problems)"
    lines = [f"{header}: {n_err} 个错误 (errors), {n_warn} 个警告 (warnings)"]
    seen: dict[tuple[object, ...], list[Problem]] = {}
    for p in items:
        seen.setdefault((p.severity, p.file, p.column, p.message), []).append(p)
    count: dict[tuple[object, ...], int] = {}
    n = 0
    for p in items:
        key = (p.severity, p.file, p.column, p.message)
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
    ) -> None:
        """Record one problem."""
        self.items.append(Problem(file, row, column, value, message, fix, severity))

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
        """Raise one :class:`~coverage._errors.InputError` listing every problem.

        Parameters
        ----------
        strict
            When true, warnings count as errors.
        title
            First line of the report.
        error_class
            The exception to raise (default :class:`~coverage._errors.InputError`).
        """
        from coverage._errors import InputError

        if strict:
            bad = bool(self.items)
            items = [
                Problem(p.file, p.row, p.column, p.value, p.message, p.fix, "error")
                for p in self.items
            ]
        else:
            bad = bool(self.errors)
            items = list(self.items)
        if bad:
            raise (error_class or InputError)(items, title=title)
