"""What the row gates that fit models share: ordinal codes, a boosted classifier on them, and
fit / check under the gate's own thread setting."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from augment._threads import thread_limit, threads_problems
from augment.data import make_encoder
from augment.errors import ConfigError, format_problems
from augment.gates.base import RowGate

__all__ = ["SEED_MAX", "ModelRowGate", "boosted_classifier"]

#: Seeds drawn for the models (numpy's legacy generators take 32-bit seeds).
SEED_MAX = np.iinfo(np.int32).max

#: Categorical columns with at most this many codes are native categories of the booster;
#: larger ones are read as ordered codes (the booster's own limit is 255).
MAX_NATIVE_CATEGORIES = 250


def boosted_classifier(schema, n_categories: list[int], max_iter: int, seed: int,
                       min_samples_leaf: int = 10, l2_regularization: float = 0.0):
    """Gradient boosting on ordinal codes (numeric columns first, then categorical ones)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    mask = [False] * len(schema.numeric) + [n <= MAX_NATIVE_CATEGORIES for n in n_categories]
    return HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=15,
        min_samples_leaf=min_samples_leaf, l2_regularization=l2_regularization,
        categorical_features=mask, early_stopping=False, random_state=seed)


class ModelRowGate(RowGate):
    """A row gate that fits models on ordinal codes of the real rows.

    ``fit`` refuses bad parameters (every problem listed) before any work; ``fit`` and
    ``check`` run under :func:`~augment._threads.thread_limit` of the gate's
    ``threads`` (None: the caller's limit). ``encoder_`` and ``n_categories_`` are
    set by :meth:`_fit_codes`.
    """

    #: "Realism gate", "Class check": how the parameter error names the gate.
    title: ClassVar[str] = "Row gate"

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state
        problems.extend(f"{self.name} {p}" for p in threads_problems(self.threads))
        return problems

    def fit(self, real: pd.DataFrame, schema) -> ModelRowGate:
        problems = self.check_params()
        if problems:
            raise ConfigError(format_problems(f"{self.title} parameters are invalid", problems))
        with thread_limit(self.threads):
            return super().fit(real, schema)

    def check(self, rows: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
        with thread_limit(self.threads):
            return super().check(rows, labels)

    def _fit_codes(self, real: pd.DataFrame) -> None:
        schema = self.schema_
        self.encoder_ = make_encoder(schema, "ordinal").fit(real[schema.features])
        encoder = self.encoder_.named_transformers_["cat"] if schema.categorical else None
        self.n_categories_ = ([len(c) for c in encoder.named_steps["encode"].categories_]
                              if encoder is not None else [])

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.encoder_.transform(frame[self.schema_.features]), dtype=float)
