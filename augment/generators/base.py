"""The interface every generation pathway implements."""

from __future__ import annotations

import numbers
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from augment.data import Schema
from augment.errors import ConfigError, GenerationError, InvalidDataError, NotFittedError
from augment.profile import ClassRegion

__all__ = ["BaseGenerator"]


class BaseGenerator(BaseEstimator):
    """Fit on real rows, then ``sample(n, region=...)`` rows aimed at a region.

    Subclasses implement ``_fit(table)`` and ``_sample(n, region, seed)``; the
    public methods validate input and conform the output (column order, the
    target column set to the region's class, integer columns rounded).

    Every generator trains on the real table only and takes ``random_state``;
    each ``sample`` call draws a fresh seed from it, so a run's sequence of calls
    is reproducible while two calls never repeat each other.
    """

    #: Short name used in config, provenance columns and reports.
    name: ClassVar[str] = "base"
    #: Fewest real rows a class needs before this generator can target it.
    min_class_rows: ClassVar[int] = 1

    def check_params(self) -> list[str]:
        """Problems with the parameters, found before any data is touched."""
        return []

    def check_table(self, table: pd.DataFrame, schema: Schema, labels=None) -> list[str]:
        """Problems that would stop ``fit``; checked before any heavy work.

        ``labels`` are the classes that will be grown (all classes when None).
        """
        problems = list(self.check_params())
        labels = schema.classes if labels is None else labels
        for label in labels:
            count = schema.class_counts[label]
            if count < self.min_class_rows:
                problems.append(
                    f"class {label!r} has {count} row(s) but generator '{self.name}' needs at "
                    f"least {self.min_class_rows}. Fix: use generator=gaussian_copula, drop the "
                    "class, or collect more rows."
                )
        return problems

    def fit(self, table: pd.DataFrame, schema: Schema, labels=None) -> BaseGenerator:
        """Learn from the real rows (features and target) described by ``schema``.

        ``labels`` are the classes that will be sampled (all classes when None).
        """
        problems = self.check_table(table, schema, labels)
        if problems:
            raise InvalidDataError(
                f"Generator '{self.name}' cannot use this table:\n  - " + "\n  - ".join(problems)
            )
        self.schema_ = schema
        self.labels_ = list(schema.classes if labels is None else labels)
        self.columns_ = [*schema.features, schema.target]
        self._rng = check_random_state(getattr(self, "random_state", None))
        self._fit(table[self.columns_])
        self.n_sample_calls_ = 0
        return self

    def sample(self, n: int, region: ClassRegion) -> pd.DataFrame:
        """Return up to ``n`` synthetic rows generated for ``region``."""
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")
        if not isinstance(n, numbers.Integral) or n < 0:
            raise ConfigError(f"Expected a number of rows n >= 0. Got {n!r}.")
        if region.label not in self.labels_:
            raise GenerationError(
                f"Expected a region of a class this generator was fitted for {self.labels_}. "
                f"Got {region.label!r}."
            )
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        self.n_sample_calls_ += 1
        if n == 0:
            return self._empty()
        rows = self._sample(int(n), region, seed)
        return self._conform(rows, region)

    def _empty(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns_})

    def _conform(self, rows: pd.DataFrame, region: ClassRegion) -> pd.DataFrame:
        rows = rows.reset_index(drop=True).assign(**{self.schema_.target: region.label})
        rows = rows[self.columns_].copy()
        for name in self.schema_.names("integer"):
            rows[name] = pd.to_numeric(rows[name], errors="coerce").round()
        return rows

    def describe(self) -> dict:
        """Name and parameters, for the manifest."""
        return {"name": self.name, "class": type(self).__name__,
                "params": {k: _plain(v) for k, v in self.get_params().items()}}

    def _fit(self, table: pd.DataFrame) -> None:
        raise NotImplementedError

    def _sample(self, n: int, region: ClassRegion, seed: int) -> pd.DataFrame:
        raise NotImplementedError


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
