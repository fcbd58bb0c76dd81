"""Resolve ``sampling_strategy`` exactly as imbalanced-learn's over-samplers do."""

from __future__ import annotations

import numbers

import pandas as pd

from augment.errors import ConfigError

__all__ = ["resolve_sampling_strategy"]

_NAMED = ("auto", "minority", "not minority", "not majority", "all")


def resolve_sampling_strategy(y: pd.Series, sampling_strategy) -> dict:
    """Return ``{class: rows to add}`` for the classes to grow.

    ``sampling_strategy`` means what it means in imbalanced-learn's over-samplers:
    ``"auto"`` (= ``"not majority"``), ``"minority"``, ``"not minority"``, ``"all"``,
    a float (desired minority/majority ratio, binary targets only) or a dict
    ``{class: desired total rows}``. Classes that need no rows are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_sampling_strategy(pd.Series(["a"] * 8 + ["b"] * 2), "auto")
    {'b': 6}
    >>> resolve_sampling_strategy(pd.Series(["a"] * 8 + ["b"] * 2), 0.5)
    {'b': 2}
    """
    from imblearn.utils import check_sampling_strategy

    if isinstance(sampling_strategy, str) and sampling_strategy not in _NAMED:
        raise ConfigError(
            f"Expected sampling_strategy to be one of {list(_NAMED)}, a float in (0, 1] or a dict "
            f"{{class: total rows}}. Got {sampling_strategy!r}."
        )
    if isinstance(sampling_strategy, numbers.Real) and not isinstance(sampling_strategy, bool):
        if not 0 < float(sampling_strategy) <= 1:
            raise ConfigError(
                f"Expected a float sampling_strategy in (0, 1] (minority/majority ratio). "
                f"Got {sampling_strategy}."
            )
    if isinstance(sampling_strategy, dict) or hasattr(sampling_strategy, "items"):
        sampling_strategy = dict(sampling_strategy.items())
        unknown = [k for k in sampling_strategy if k not in set(y.unique())]
        if unknown:
            raise ConfigError(
                "Expected sampling_strategy keys among the classes "
                f"{sorted(map(str, y.unique()))}. "
                f"Got unknown classes {unknown}. Fix: use the exact class labels."
            )
    try:
        resolved = check_sampling_strategy(sampling_strategy, y.to_numpy(), "over-sampling")
    except ValueError as exc:
        raise ConfigError(f"Invalid sampling_strategy {sampling_strategy!r}: {exc}") from exc
    return {k: int(v) for k, v in resolved.items() if int(v) > 0}
