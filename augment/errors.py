"""Exceptions raised by augment.

Every error says what was expected, what was found and how to fix it. Each
subclasses :class:`AugmentError` and a built-in, so callers can catch either.
"""

from __future__ import annotations

__all__ = [
    "AugmentError",
    "AugmentWarning",
    "ConfigError",
    "GenerationError",
    "InvalidDataError",
    "NotFittedError",
    "UnlearnableError",
]


class AugmentError(Exception):
    """Base class of every error augment raises on purpose."""


class InvalidDataError(AugmentError, ValueError):
    """The input table cannot be augmented as it is."""


class ConfigError(AugmentError, ValueError):
    """A parameter or config value is unknown or out of range."""


class GenerationError(AugmentError, RuntimeError):
    """A generator could not produce rows."""


class UnlearnableError(AugmentError, ValueError):
    """The labeler cannot tell a class to grow from the others, so nothing it keeps is vouched
    for; raised before any row is generated."""


class AugmentWarning(UserWarning):
    """Something in a run the user should look at: a failed batch check, gating that made
    rows less like the real ones, a region left short."""


class NotFittedError(AugmentError, AttributeError):
    """A component was used before ``fit``."""


def format_problems(title: str, problems: list[str]) -> str:
    """Join several problems into one message, one bullet each."""
    if len(problems) == 1:
        return f"{title}: {problems[0]}"
    return title + ":\n" + "\n".join(f"  - {p}" for p in problems)
