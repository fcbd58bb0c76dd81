"""Logistic regression whose coefficients are readable and whose rows say what pushed them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from augment.data import make_encoder
from augment.labelers._encoding import encoder_from_state, encoder_state
from augment.labelers.base import BaseLabeler, pushed_by, whole_number_problems

__all__ = ["LogisticLabeler"]


class LogisticLabeler(BaseLabeler):
    """Logistic regression on standardised numeric columns and one-hot categories.

    Numeric columns are median-imputed and standardised, so a coefficient is the
    change in log-odds per standard deviation. A row's explanation names the
    ``n_reasons`` features whose contributions (coefficient x value) pushed it
    most towards the predicted class, with their signed contribution.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength.
    class_weight : None or "balanced"
        ``None`` (the default, as for every labeler) gives P(class | x) under the real
        class prior, so the label gate's bar means the same for every labeler;
        ``"balanced"`` gives probabilities as if every class had the same prior: a far weaker
        bar for a rare class, which lets more mislabelled rows through
        (docs/bench_label_noise.md, "The defaults these numbers chose").
    calibration : None, "sigmoid" or "isotonic"
        Map the probabilities to observed frequencies (fitted out-of-fold).
    n_reasons : int
        How many features a row's explanation names.
    max_iter : int
        Iterations of the solver.
    reference_quantile : float in [0, 1] or None
        Quantile of P(class) over the class's real rows kept as its reference
        confidence (None: none); see :class:`~augment.labelers.BaseLabeler`.
    reference : {"oof", "in_sample"}
        Which probabilities that quantile is taken on (see ``BaseLabeler``).
    random_state : int or None
        Seed of the quality cross-validation's folds and of the row samples (the
        fit itself is deterministic).

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> df = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.9, 1.0, 1.1] * 5,
    ...                    "y": ["a", "a", "a", "b", "b", "b"] * 5})
    >>> lab = LogisticLabeler().fit(df[["x"]], df["y"], detect_schema(df, "y"))
    >>> lab.label(pd.DataFrame({"x": [0.0, 2.0]}))["label"].tolist()
    ['a', 'b']
    """

    name = "logistic"
    probability_kind = "logistic regression P(class | x)"

    def __init__(self, C: float = 1.0, class_weight: str | None = None,
                 calibration: str | None = None, n_reasons: int = 3, max_iter: int = 1000,
                 reference_quantile: float | None = 0.75, reference: str = "in_sample",
                 random_state: int | None = None):
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.n_reasons = n_reasons
        self.max_iter = max_iter
        self.reference_quantile = reference_quantile
        self.reference = reference
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = [*super().check_params(), *whole_number_problems(self, max_iter=1)]
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float)) or not self.C > 0:
            problems.append(f"logistic C must be a number > 0; got {self.C!r}. Fix: use 1.0 "
                            "(the default); smaller values regularise more.")
        return problems

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        Z = self.encoder_.transform(X).astype(float)
        n = len(self.schema_.numeric)
        num = Z[:, :n]
        num = np.where(np.isnan(num), self.center_, num)
        Z[:, :n] = (num - self.center_) / self.scale_
        return Z

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        self.encoder_ = make_encoder(self.schema_, "onehot").fit(X)
        self.feature_names_ = list(self.encoder_.get_feature_names_out())
        num = self.encoder_.transform(X)[:, :len(self.schema_.numeric)].astype(float)
        self.center_ = np.nan_to_num(np.nanmedian(num, axis=0)) if num.size else np.zeros(0)
        filled = np.where(np.isnan(num), self.center_, num)
        scale = filled.std(axis=0) if num.size else np.zeros(0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        model = LogisticRegression(C=self.C, class_weight=self.class_weight,
                                   solver="newton-cholesky", max_iter=self.max_iter)
        model.fit(self._design(X), self._codes(y))
        self.model_classes_ = model.classes_.astype(int)
        self.coef_ = model.coef_.copy()
        self.intercept_ = model.intercept_.copy()

    def _logits(self, Z: np.ndarray) -> np.ndarray:
        """Per present class: the linear score; binary models are expanded to two columns."""
        scores = Z @ self.coef_.T + self.intercept_
        if self.coef_.shape[0] == 1:
            scores = np.hstack([np.zeros_like(scores), scores])
        return scores

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        scores = self._logits(self._design(X))
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, self.model_classes_] = scores / scores.sum(axis=1, keepdims=True)
        return proba

    def _contributions(self, Z: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Each feature's push towards the predicted class (relative to the other classes)."""
        if self.coef_.shape[0] == 1:
            sign = np.where(best == self.model_classes_[1], 1.0, -1.0)[:, None]
            return sign * Z * self.coef_[0]
        pos = np.searchsorted(self.model_classes_, best)
        mean_coef = self.coef_.mean(axis=0)
        return Z * (self.coef_[pos] - mean_coef)

    def _explain(self, X: pd.DataFrame) -> list[str]:
        Z = self._design(X)
        best = self._proba(X).argmax(axis=1)
        contrib = self._contributions(Z, best)
        out = []
        for row, k in zip(contrib, best):
            out.append(pushed_by(self.classes_[k], self.feature_names_, row, self.n_reasons,
                                 "intercept only (no feature pushed it)"))
        return out

    def to_text(self) -> str:
        self._check_fitted()
        lines = ["logistic regression; numeric columns standardised (coefficient = log-odds "
                 "per standard deviation)"]
        rows = ([self.classes_[self.model_classes_[1]]] if self.coef_.shape[0] == 1
                else self.classes_[self.model_classes_])
        for cls, coef, icpt in zip(rows, self.coef_, self.intercept_):
            lines.append(f"class {cls}: intercept {icpt:+.4f}")
            for j in np.argsort(-np.abs(coef)):
                lines.append(f"  {self.feature_names_[j]}: {coef[j]:+.4f}")
        return "\n".join(lines)

    def _get_state(self) -> dict:
        return {"encoder": encoder_state(self.encoder_, self.schema_),
                "center": self.center_.tolist(), "scale": self.scale_.tolist(),
                "model_classes": self.model_classes_.tolist(), "coef": self.coef_.tolist(),
                "intercept": self.intercept_.tolist()}

    def _set_state(self, state: dict) -> None:
        self.encoder_ = encoder_from_state(self.schema_, state["encoder"])
        self.feature_names_ = list(self.encoder_.get_feature_names_out())
        self.center_ = np.array(state["center"], dtype=float)
        self.scale_ = np.array(state["scale"], dtype=float)
        self.model_classes_ = np.array(state["model_classes"], dtype=int)
        self.coef_ = np.array(state["coef"], dtype=float)
        self.intercept_ = np.array(state["intercept"], dtype=float)
