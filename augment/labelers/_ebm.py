"""An explainable boosting machine (``interpret-core``): additive per-feature shape functions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.errors import ConfigError
from augment.labelers.base import BaseLabeler, pushed_by, whole_number_problems

__all__ = ["EBMLabeler"]


class EBMLabeler(BaseLabeler):
    """Explainable boosting machine: a sum of learned per-feature (and pair) functions.

    Needs the ``interpret-core`` package (imported only when fitted). A row's
    explanation names the ``n_reasons`` terms that pushed it most towards the
    predicted class, with their log-odds contributions. Not storable in the
    labeler registry (its fitted state is not written as JSON yet).

    Parameters
    ----------
    interactions : int
        Pairwise interaction terms; 0 keeps the model purely additive.
    max_rounds : int
        Boosting rounds (early stopping usually ends sooner).
    outer_bags : int
        Bagged models averaged into the final one.
    class_weight : None or "balanced"
        ``None`` (the default, as for every labeler) gives P(class | x) under the real
        class prior, so the label gate's bar means the same for every labeler;
        ``"balanced"`` weights every class to the same total: a far weaker
        bar for a rare class, which lets more mislabelled rows through
        (docs/bench_label_noise.md, "The defaults these numbers chose").
    calibration : None, "sigmoid" or "isotonic"
        Map the probabilities to observed frequencies (fitted out-of-fold).
    n_reasons : int
        How many terms a row's explanation names.
    n_jobs : int
        Processes the EBM may use.
    random_state : int or None
        Seed of the boosting.
    reference_quantile : float in [0, 1] or None
        Quantile of P(class) over the class's real rows kept as its reference
        confidence (None: none); see :class:`~augment.labelers.BaseLabeler`.
    reference : {"oof", "in_sample"}
        Which probabilities that quantile is taken on (see ``BaseLabeler``).
    """

    name = "ebm"
    probability_kind = "EBM P(class | x)"

    def __init__(self, interactions: int = 0, max_rounds: int = 2000, outer_bags: int = 4,
                 class_weight: str | None = None, calibration: str | None = None,
                 n_reasons: int = 3, n_jobs: int = 1, random_state: int | None = None,
                 reference_quantile: float | None = 0.75, reference: str = "in_sample"):
        self.interactions = interactions
        self.max_rounds = max_rounds
        self.outer_bags = outer_bags
        self.class_weight = class_weight
        self.calibration = calibration
        self.n_reasons = n_reasons
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.reference_quantile = reference_quantile
        self.reference = reference

    def check_params(self) -> list[str]:
        problems = [*super().check_params(),
                    *whole_number_problems(self, interactions=0, max_rounds=1, outer_bags=1)]
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs == 0:
            problems.append(f"ebm n_jobs must be a non-zero integer; got {self.n_jobs!r}. Fix: "
                            "1 (the default), or -1 for every core.")
        return problems

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        if self.schema_.categorical:
            out[self.schema_.categorical] = as_text(X[self.schema_.categorical])
        for col in self.schema_.numeric:
            out[col] = pd.to_numeric(X[col], errors="coerce").astype(float)
        return out

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        try:
            from interpret.glassbox import ExplainableBoostingClassifier
        except ImportError as exc:
            raise ConfigError("The 'ebm' labeler needs interpret-core. Got: not installed. Fix: "
                              "pip install interpret-core.") from exc
        codes = self._codes(y)
        weights = None
        if self.class_weight == "balanced":
            counts = np.bincount(codes, minlength=len(self.classes_)).astype(float)
            weights = len(codes) / (np.count_nonzero(counts) * counts[codes])
        types = ["nominal" if c in self.schema_.categorical else "continuous"
                 for c in self.schema_.features]
        self.ebm_ = ExplainableBoostingClassifier(
            feature_types=types, interactions=self.interactions, max_rounds=self.max_rounds,
            outer_bags=self.outer_bags, n_jobs=self.n_jobs,
            random_state=0 if self.random_state is None else self.random_state)
        self.ebm_.fit(self._frame(X), codes, sample_weight=weights)
        self.model_classes_ = np.asarray(self.ebm_.classes_, dtype=int)

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, self.model_classes_] = self.ebm_.predict_proba(self._frame(X))
        return proba

    def _explain(self, X: pd.DataFrame) -> list[str]:
        terms = np.asarray(self.ebm_.eval_terms(self._frame(X)), dtype=float)
        best = self._proba(X).argmax(axis=1)
        names = self.ebm_.term_names_
        out = []
        for i, k in enumerate(best):
            if terms.ndim == 2:  # binary: log-odds of the second class
                push = terms[i] * (1.0 if k == self.model_classes_[1] else -1.0)
            else:
                pos = int(np.searchsorted(self.model_classes_, k))
                push = terms[i, :, pos] - terms[i].mean(axis=1)
            out.append(pushed_by(self.classes_[k], names, push, self.n_reasons,
                                 "intercept only"))
        return out

    def to_text(self) -> str:
        self._check_fitted()
        importances = self.ebm_.term_importances()
        lines = ["explainable boosting machine; term importances (mean |log-odds|):"]
        for j in np.argsort(-np.asarray(importances)):
            lines.append(f"  {self.ebm_.term_names_[j]}: {importances[j]:.4f}")
        return "\n".join(lines)
