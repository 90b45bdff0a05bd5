"""Deprecated location of the exceptions: use :mod:`coverage.problems`."""

from coverage.problems import ConfigError, InputError

__all__ = ["ConfigError", "InputError"]
