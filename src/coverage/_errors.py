"""The few exceptions the package raises for user errors.

They derive from built-ins so callers can catch ``ValueError`` without importing us.
The CLI maps :class:`InputError` to exit code 2 with its message on stderr.
"""

from __future__ import annotations

from collections.abc import Iterable

from coverage._validate import Problem, format_problems

__all__ = ["ConfigError", "InputError"]


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
    ) -> InputError:
        """Build an error holding one problem."""
        return cls([Problem(file, row, column, value, message, fix, "error")])

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:  # pickling across processes
        return (type(self), (self.problems,))


class ConfigError(InputError):
    """Bad region configuration (TOML): problems carry the key path in ``column``."""
