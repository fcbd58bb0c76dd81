"""The interface of a labeler: fitted on real rows, it labels synthetic ones and says why."""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from augment.data import Schema
from augment.errors import NotFittedError

__all__ = ["WEAK_LABELER_BALANCED_ACCURACY", "BaseLabeler"]

#: Cross-validated balanced accuracy under which a labeler is flagged as too weak to trust.
WEAK_LABELER_BALANCED_ACCURACY = 0.6


class BaseLabeler(BaseEstimator):
    """Assigns labels, class probabilities, a confidence and a readable reason.

    Subclasses implement ``_fit(X, y)``, ``_predict_proba(X) -> ndarray`` and
    ``_explain(X) -> list[str]``. Labelers only ever see real rows in ``fit``.
    """

    name: ClassVar[str] = "base"
    #: How the class prior enters the probabilities; shown in the report.
    prior_note: ClassVar[str] = ""

    def fit(self, X: pd.DataFrame, y: pd.Series, schema: Schema) -> BaseLabeler:
        """Fit on the real rows' features ``X`` and labels ``y``; then measure quality by CV."""
        self._fit_core(X, y, schema)
        self.quality_ = self._quality(X[schema.features], y)
        return self

    def _fit_core(self, X: pd.DataFrame, y: pd.Series, schema: Schema) -> BaseLabeler:
        self.schema_ = schema
        self.classes_ = np.array(schema.classes, dtype=object)
        self._fit(X[schema.features], y)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class, in ``classes_`` order."""
        self._check_fitted()
        proba = self._predict_proba(X[self.schema_.features])
        return pd.DataFrame(proba, columns=list(self.classes_), index=X.index)

    def explain(self, X: pd.DataFrame) -> pd.Series:
        """The rule or path that decided each row, as text."""
        self._check_fitted()
        return pd.Series(self._explain(X[self.schema_.features]), index=X.index, dtype=object)

    def label(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row: ``label``, ``confidence`` (its probability), ``rule`` and probabilities.

        Probability columns are named ``proba=<class>``.
        """
        proba = self.predict_proba(X)
        best = proba.to_numpy().argmax(axis=1)
        out = pd.DataFrame(index=X.index)
        out["label"] = pd.Series(self.classes_[best], index=X.index, dtype=object)
        out["confidence"] = proba.to_numpy().max(axis=1)
        out["rule"] = self.explain(X)
        for c in proba.columns:
            out[f"proba={c}"] = proba[c]
        return out

    def _quality(self, X: pd.DataFrame, y: pd.Series) -> dict:
        """Cross-validated balanced accuracy of this labeler on the real rows."""
        from sklearn.base import clone
        from sklearn.metrics import balanced_accuracy_score
        from sklearn.model_selection import StratifiedKFold

        n_splits = int(min(5, y.value_counts().min()))
        if n_splits < 2:
            return {"cv_balanced_accuracy": None, "note": "a class has < 2 rows; not measured"}
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=0)
        scores = []
        for train, test in cv.split(X, y.astype(str)):
            fold = clone(self)._fit_core(X.iloc[train], y.iloc[train], self.schema_)
            pred = fold.label(X.iloc[test])["label"]
            scores.append(balanced_accuracy_score(y.iloc[test].astype(str), pred.astype(str)))
        value = float(np.mean(scores))
        weak = value < WEAK_LABELER_BALANCED_ACCURACY
        if weak:
            warnings.warn(
                f"Labeler '{self.name}' is weak: cross-validated balanced accuracy {value:.3f} < "
                f"{WEAK_LABELER_BALANCED_ACCURACY}. Its labels on synthetic rows deserve little "
                "trust; consider a deeper tree or other features.",
                stacklevel=3,
            )
        return {"cv_balanced_accuracy": round(value, 4), "cv_folds": n_splits, "weak": weak,
                "weak_threshold": WEAK_LABELER_BALANCED_ACCURACY}

    def describe(self) -> dict:
        """Name, parameters, prior handling, quality and the readable model, for the manifest."""
        self._check_fitted()
        return {"name": self.name, "class": type(self).__name__, "params": self.get_params(),
                "probabilities": self.prior_note, "quality": self.quality_,
                "model": self.to_text()}

    def to_text(self) -> str:
        """The whole fitted model as readable text."""
        raise NotImplementedError

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        raise NotImplementedError

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _explain(self, X: pd.DataFrame) -> list[str]:
        raise NotImplementedError
