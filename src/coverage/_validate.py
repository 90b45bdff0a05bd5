"""Deprecated location of the problem collector: use :mod:`coverage.problems`."""

from coverage.problems import Problem, Problems, Severity, format_problems

__all__ = ["Problem", "Problems", "Severity", "format_problems"]
