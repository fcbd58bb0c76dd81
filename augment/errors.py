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


def random_state_problems(component) -> list[str]:
    """The problem with ``component.random_state`` when it is neither an integer nor None."""
    import numbers

    seed = getattr(component, "random_state", None)
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return []
    return [f"{component.name} random_state must be an integer or null; got {seed!r}. Fix: "
            "pass a whole number (the run's seed) or null."]


def format_problems(title: str, problems: list[str]) -> str:
    """Join several problems into one message, one bullet each."""
    if len(problems) == 1:
        return f"{title}: {problems[0]}"
    return title + ":\n" + "\n".join(f"  - {p}" for p in problems)
