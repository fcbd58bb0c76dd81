"""Class check: a strong, cross-fitted class model must place a row in its class as the
class's own real rows are placed."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment._threads import thread_limit
from augment.data import as_text
from augment.errors import InvalidDataError, NotFittedError
from augment.gates._boosted import SEED_MAX as _SEED_MAX
from augment.gates._boosted import ModelRowGate, boosted_classifier
from augment.gates._label import match_acceptance
from augment.gates.base import row_result

__all__ = ["ClassCheckGate"]

class ClassCheckGate(ModelRowGate):
    """Rejects rows a boosted class model ranks below most real rows of their class.

    The labeler is shallow on purpose (its rule explains each label), and where
    classes meet, a shallow model cannot say on which side a row falls: a
    generator's rows spill across the boundary, and the labeler's match
    acceptance keeps them at the rate the class's real rows sit near it. This
    gate adds a sharper second opinion that labels nothing: a gradient-boosting
    classifier (``HistGradientBoostingClassifier``, categoricals native) learns
    the class from the features of the real rows, and every real row gets an
    out-of-fold P(its class) from the ``n_splits`` models that did not see it.
    Each checked row gets P(its class) from one of those fold models drawn at
    random, so new rows and real rows are scored on the same footing.

    Per class (or per region: :meth:`set_reference` narrows the reference to a
    region's real rows, so a subgroup the model finds majority-like is judged
    against its own rows), rows whose P is below the ``floor_quantile``
    quantile of the real rows' P are rejected, and the rest are kept at random
    so that their P follows the real rows' spread above the floor
    (:func:`~augment.gates._label.match_acceptance`). ``floor_quantile`` chooses
    the point on the frontier between label noise and shape: 0 only matches the
    spread; higher removes the rows most likely to belong to another class,
    with the least class-like real rows' share (docs/bench_faithful.md).

    Parameters
    ----------
    floor_quantile : float in [0, 1)
        Rows below this quantile of the real rows' P(class) are rejected. 0.4 (the
        default, ``gate=clean_labels``): label noise <= 0.02 on 4 of 5 known-truth
        tables, kept rows somewhat easier to tell from real ones than the default
        gates' (docs/bench_faithful.md).
    n_splits : int >= 2
        Folds of the out-of-fold reference probabilities.
    max_iter : int >= 1
        Boosting iterations of each model.
    max_train_rows : int >= 100
        At most this many real rows train each model (a stratified random sample;
        every real row is still scored out of fold).
    min_rows : int >= 1
        Fewest real rows of a class (or region) for the check to run there;
        below it, rows are kept unscored and ``report_`` says so.
    random_state : int or None
        Seed of the folds, the models and the random keep decisions.
    threads : int or None
        Threads of the models' pools in ``fit`` and ``check`` (restored afterwards);
        None (default): the caller's limit (in a run, the Augmenter's ``threads``).

    Not in the default gate set: cutting the least class-like rows costs shape
    (``gate=clean_labels`` adds it; docs/bench_faithful.md has the frontier).

    ``score`` is the model's P(the row's class).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from augment.data import detect_schema
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, 1, 400)
    >>> real = pd.DataFrame({"x": x, "y": np.where(x > 0, "a", "b")})
    >>> gate = ClassCheckGate(floor_quantile=0.2, random_state=0)
    >>> gate = gate.fit(real, detect_schema(real, "y"))
    >>> rows = pd.DataFrame({"x": [1.5, 2.0, -2.0, -1.5], "y": "a"})
    >>> gate.check(rows)["keep"].tolist()[2:]
    [False, False]
    """

    name = "class_check"
    title = "Class check"
    cost = 3

    def __init__(self, floor_quantile: float = 0.4, n_splits: int = 5, max_iter: int = 100,
                 max_train_rows: int = 20000, min_rows: int = 10,
                 random_state: int | None = None, threads: int | None = None):
        self.floor_quantile = floor_quantile
        self.n_splits = n_splits
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.min_rows = min_rows
        self.random_state = random_state
        self.threads = threads

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state
        q = self.floor_quantile
        if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0 <= q < 1:
            problems.append(f"class_check floor_quantile must be in [0, 1); got {q!r}. Fix: "
                            "0.4 (the default), 0 to only match the spread.")
        for key, low in (("n_splits", 2), ("max_iter", 1), ("max_train_rows", 100),
                         ("min_rows", 1)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                problems.append(f"class_check {key} must be an integer >= {low}; got "
                                f"{value!r}. Fix: class_check {key}={low} or more.")
        return problems

    # -- fitting ---------------------------------------------------------------------------

    def _model(self, seed: int):
        return boosted_classifier(self.schema_, self.n_categories_, self.max_iter, seed,
                                  min_samples_leaf=20, l2_regularization=1.0)

    def _target(self, frame: pd.DataFrame) -> np.ndarray:
        return as_text(frame[[self.schema_.target]]).iloc[:, 0].to_numpy()

    def _fit(self, real: pd.DataFrame) -> None:
        self._fit_codes(real)
        if not real.index.is_unique:
            raise InvalidDataError(
                "The class check keeps each real row's out-of-fold P by its index: expected a "
                f"table with a unique index; got {int(real.index.duplicated().sum())} repeated "
                "labels. Fix: real.reset_index(drop=True).")
        rng = check_random_state(self.random_state)
        X, y = self._encode(real), self._target(real)
        self.classes_ = np.unique(y)
        self._rng = rng
        self.report_: list[dict] = []
        self._reference = None
        self.reference_key_ = None
        self.models_: list = []
        if len(self.classes_) < 2:
            self.oof_ = pd.Series(np.ones(len(real)), index=real.index)
            return
        self.oof_ = pd.Series(self._out_of_fold(X, y, rng), index=real.index)
        self.target_ = pd.Series(y, index=real.index)
        self.real_ = {c: np.sort(self.oof_.to_numpy()[y == c]) for c in self.classes_}

    def _sample(self, X: np.ndarray, y: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        """At most ``max_train_rows`` rows, each class in its share (at least all of a class
        whose share would round below 50 rows)."""
        if len(X) <= self.max_train_rows:
            return X, y
        keep = []
        for c in np.unique(y):
            own = np.flatnonzero(y == c)
            n = max(min(len(own), 50), round(self.max_train_rows * len(own) / len(y)))
            keep.append(rng.choice(own, min(n, len(own)), replace=False))
        keep = np.sort(np.concatenate(keep))
        return X[keep], y[keep]

    def _out_of_fold(self, X: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
        """Each real row's P(its own class) from a fold model that did not see it; the fold
        models are kept (``models_``) to score new rows the same way.

        A class too small for every fold is left out of some folds' training rows (its
        rows there get P 0; below ``min_rows`` it is never checked): the other classes
        keep ``n_splits`` folds.
        """
        import warnings

        from sklearn.model_selection import StratifiedKFold

        n_splits = min(self.n_splits, int(pd.Series(y).value_counts().max()))
        if n_splits < 2:  # every class a single row: nothing to hold out
            self.models_ = [self._model(int(rng.randint(_SEED_MAX))).fit(X, y)]
            return self._own(self.models_[0], X, y)
        out = np.full(len(X), np.nan)
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=int(rng.randint(_SEED_MAX)))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            splits = list(folds.split(X, y))
        for train, test in splits:
            model = self._model(int(rng.randint(_SEED_MAX))).fit(
                *self._sample(X[train], y[train], rng))
            self.models_.append(model)
            out[test] = self._own(model, X[test], y[test])
        return out

    def _score(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """P(own class) of new rows, each from one fold model drawn at random: a new row is
        scored as an out-of-fold real row was (a model trained on all rows would put the
        two on different scales)."""
        which = self._rng.randint(len(self.models_), size=len(X))
        out = np.empty(len(X))
        for k in np.unique(which):
            rows = which == k
            out[rows] = self._own(self.models_[k], X[rows], y[rows])
        return out

    @staticmethod
    def _own(model, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """P(row's own class) under ``model`` (0 for a class the model never saw)."""
        proba = model.predict_proba(X)
        where = {c: k for k, c in enumerate(model.classes_)}
        k = np.array([where.get(c, -1) for c in y])
        return np.where(k >= 0, proba[np.arange(len(X)), np.maximum(k, 0)], 0.0)

    # -- references ------------------------------------------------------------------------

    def set_reference(self, real: pd.DataFrame | None, key: str | None = None
                      ) -> ClassCheckGate:
        """Judge the next checked rows against these real rows (a region's), not the class.

        Rows of the fitted table (same index label and class) keep their out-of-fold P;
        other rows are scored as new rows are. ``None`` goes back to the whole class.
        """
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")
        if real is None or not self.models_:
            self._reference, self.reference_key_ = None, None
            return self
        y = self._target(real)
        known = real.index.isin(self.oof_.index) & ~real.index.duplicated()
        known[known] = self.target_.reindex(real.index[known]).to_numpy() == y[known]
        p = np.empty(len(real))
        p[known] = self.oof_.reindex(real.index[known]).to_numpy()
        if (~known).any():
            with thread_limit(self.threads):
                p[~known] = self._score(self._encode(real[~known]), y[~known])
        self._reference = {c: np.sort(p[y == c]) for c in np.unique(y)}
        self.reference_key_ = key if key is not None else "reference"
        return self

    # -- checking --------------------------------------------------------------------------

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        n = len(rows)
        keep = np.ones(n, bool)
        score = np.full(n, np.nan)
        reason = np.full(n, "", dtype=object)
        self.report_ = []
        if not self.models_ or not n:
            return row_result(rows.index, keep, score, reason)
        y = self._target(rows)
        score[:] = self._score(self._encode(rows), y)
        source = self._reference if self._reference is not None else self.real_
        where = self.reference_key_ or "class"
        whose = "the class" if self.reference_key_ is None else where
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            ref = source.get(c, np.empty(0))
            entry = {"class": str(c), "reference": where, "real_rows": len(ref),
                     "rows": len(idx)}
            if len(ref) < self.min_rows:
                entry["skipped"] = (f"{len(ref)} real rows of class {c!r} in {where}; needs "
                                    f"{self.min_rows}" + ("" if c in self.real_ else (
                                        f" (the real classes are {list(self.real_)}: cast "
                                        "the target of the checked rows as in the real table)")))
                self.report_.append(entry)
                continue
            prob = match_acceptance(score[idx], ref, float(self.floor_quantile), self._rng)
            kept = self._rng.random_sample(len(idx)) < prob
            floor = float(np.quantile(ref, self.floor_quantile))
            below, thinned = ~kept & (prob == 0), ~kept & (prob > 0)
            reason[idx[below]] = (f"class_check: a boosted class model's P({c!r}) is below "
                                  f"{floor:.3g}, the {self.floor_quantile:g} quantile over real "
                                  f"rows of {whose} (less like the class than "
                                  f"{1 - self.floor_quantile:.0%} of those rows)")
            reason[idx[thinned]] = (f"class_check: P({c!r}) in a band the generator "
                                    f"over-proposes (thinned to the spread of real rows of "
                                    f"{whose})")
            keep[idx] = kept
            entry.update({"floor": round(floor, 6), "kept": int(kept.sum()),
                          "below_floor": int(below.sum())})
            self.report_.append(entry)
        return row_result(rows.index, keep, score, reason)
