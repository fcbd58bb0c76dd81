"""Classifier two-sample test: can a model tell kept rows from real ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.data import make_encoder
from augment.gates.base import BatchGate, BatchResult

__all__ = ["TwoSampleGate", "two_sample_auc"]


def two_sample_auc(real: pd.DataFrame, synthetic: pd.DataFrame, schema, *, n_splits: int = 5,
                   max_rows: int = 5000, random_state=None) -> float:
    """Cross-validated ROC-AUC of a gradient-boosting classifier, real (0) vs synthetic (1).

    Each side is subsampled to the size of the smaller one (at most ``max_rows``)
    so the classes are balanced; 0.5 means indistinguishable, 1.0 fully separable.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    rng = check_random_state(random_state)
    n = int(min(len(real), len(synthetic), max_rows))
    real = real.iloc[np.sort(rng.choice(len(real), n, replace=False))]
    synthetic = synthetic.iloc[np.sort(rng.choice(len(synthetic), n, replace=False))]
    X = pd.concat([real[schema.features], synthetic[schema.features]], ignore_index=True)
    for name in schema.numeric:
        X[name] = pd.to_numeric(X[name], errors="coerce")
    y = np.r_[np.zeros(n), np.ones(n)]
    n_cat = len(schema.categorical)
    model = make_pipeline(
        make_encoder(schema, "ordinal"),
        HistGradientBoostingClassifier(
            max_iter=100,
            categorical_features=[False] * len(schema.numeric) + [True] * n_cat,
            random_state=rng.randint(np.iinfo(np.int32).max),
        ),
    )
    cv = StratifiedKFold(n_splits=min(n_splits, n), shuffle=True,
                         random_state=rng.randint(np.iinfo(np.int32).max))
    proba = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


class TwoSampleGate(BatchGate):
    """Passes when a classifier's cross-validated AUC (real vs kept) is at most ``max_auc``.

    Parameters
    ----------
    max_auc : float in [0.5, 1]
        Pass threshold; 0.5 means indistinguishable from real rows.
    n_splits : int
        Cross-validation folds.
    max_rows : int
        Rows per side, at most (both sides are subsampled to the same size).
    random_state : int or None
        Seed for subsampling, folds and the classifier.
    """

    name = "two_sample"

    def __init__(self, max_auc: float = 0.9, n_splits: int = 5, max_rows: int = 5000,
                 random_state: int | None = None):
        self.max_auc = max_auc
        self.n_splits = n_splits
        self.max_rows = max_rows
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = []
        if not isinstance(self.max_auc, (int, float)) or not 0.5 <= self.max_auc <= 1:
            problems.append(f"two_sample max_auc must be in [0.5, 1]; got {self.max_auc!r}.")
        if not isinstance(self.n_splits, int) or self.n_splits < 2:
            problems.append(f"two_sample n_splits must be an integer >= 2; got {self.n_splits!r}.")
        if not isinstance(self.max_rows, int) or self.max_rows < self.min_rows:
            problems.append(f"two_sample max_rows must be an integer >= {self.min_rows}; got "
                            f"{self.max_rows!r}.")
        return problems

    def _threshold(self) -> float:
        return float(self.max_auc)

    def _check(self, real, synthetic, schema, region) -> BatchResult:
        auc = two_sample_auc(real, synthetic, schema, n_splits=self.n_splits,
                             max_rows=self.max_rows, random_state=self.random_state)
        passed = auc <= self.max_auc
        rows = int(min(len(real), len(synthetic), self.max_rows))
        message = (f"two-sample AUC {auc:.3f} {'<=' if passed else '>'} {self.max_auc} "
                   f"({rows} real vs {rows} synthetic rows, {self.n_splits}-fold CV)")
        return BatchResult(self.name, region, round(auc, 4), float(self.max_auc), passed, message,
                           {"rows_per_side": rows})
