"""Classifier two-sample test: can a model tell kept rows from real ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment._threads import thread_limit, threads_problems
from augment.data import make_encoder
from augment.gates.base import BatchGate, BatchResult

__all__ = ["TwoSampleGate", "permutation_p_value", "two_sample_auc", "two_sample_scores"]


def two_sample_auc(real: pd.DataFrame, synthetic: pd.DataFrame, schema, *, n_splits: int = 5,
                   max_rows: int = 5000, random_state=None, threads: int | None = None) -> float:
    """Cross-validated ROC-AUC of a gradient-boosting classifier, real (0) vs synthetic (1).

    Each side is subsampled to the size of the smaller one (at most ``max_rows``)
    so the classes are balanced; 0.5 means indistinguishable, 1.0 fully separable.
    ``threads``: as in :func:`two_sample_scores`.
    """
    from sklearn.metrics import roc_auc_score

    y, proba = two_sample_scores(real, synthetic, schema, n_splits=n_splits, max_rows=max_rows,
                                 random_state=random_state, threads=threads)
    return float(roc_auc_score(y, proba))


def permutation_p_value(y: np.ndarray, scores: np.ndarray, *, n_permutations: int = 1000,
                        random_state=None) -> float:
    """P-value of an AUC under label permutation, with the scores held fixed.

    The scores are out-of-fold predictions, so under the null (both samples from
    one distribution) each row's score does not depend on its own label and the
    labels are exchangeable given the scores. Permuting labels over fixed scores
    therefore gives the null distribution of the AUC without refitting any model
    (a cheap approximation of the full permutation test, which refits the
    classifier per permutation). The AUC is the Mann-Whitney U of the positive
    rows' scores over ``n_pos * n_neg``, so this null is the Mann-Whitney U's:
    :func:`scipy.stats.mannwhitneyu` (one-sided, ``n_permutations`` random
    relabelings) gives ``(1 + #{AUC_perm >= AUC}) / (1 + n)``, or the exact
    p-value when ``n_permutations`` covers every relabeling. NaN when a side is
    empty or ``n_permutations < 1``.
    """
    from scipy.stats import PermutationMethod, mannwhitneyu

    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    if y.all() or not y.any() or n_permutations < 1:
        return float("nan")
    # batches of 50 relabelings: ~2x faster than all at once on 2 x 5000 rows, less memory
    method = PermutationMethod(n_resamples=int(n_permutations), batch=50,
                               random_state=check_random_state(random_state))
    return float(mannwhitneyu(scores[y], scores[~y], alternative="greater",
                              method=method).pvalue)


def two_sample_scores(real: pd.DataFrame, synthetic: pd.DataFrame, schema, *, n_splits: int = 5,
                      max_rows: int = 5000, random_state=None, threads: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Labels (0 real, 1 synthetic) and out-of-fold P(synthetic) behind :func:`two_sample_auc`.

    ``threads``: threads of the classifier's pools while it is fitted (see
    :func:`augment._threads.thread_limit`, restored afterwards); ``None`` (default) leaves
    them to the caller's limit (the Augmenter and the CLI pin one; on its own, the
    libraries' defaults).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    rng = check_random_state(random_state)
    n = int(min(len(real), len(synthetic), max_rows))
    real = real.iloc[np.sort(rng.choice(len(real), n, replace=False))]
    synthetic = synthetic.iloc[np.sort(rng.choice(len(synthetic), n, replace=False))]
    X = pd.concat([real[schema.features], synthetic[schema.features]], ignore_index=True)
    y = np.r_[np.zeros(n), np.ones(n)]
    # gradient boosting takes at most 255 categories: a column with more enters as its
    # ordinal codes (as in the realism gate's discriminator)
    few = [X[name].nunique(dropna=False) <= 250 for name in schema.categorical]
    model = make_pipeline(
        make_encoder(schema, "ordinal"),
        HistGradientBoostingClassifier(
            max_iter=100,
            categorical_features=[False] * len(schema.numeric) + few,
            random_state=rng.randint(np.iinfo(np.int32).max),
        ),
    )
    cv = StratifiedKFold(n_splits=min(n_splits, n), shuffle=True,
                         random_state=rng.randint(np.iinfo(np.int32).max))
    with thread_limit(threads):
        proba = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]
    return y, proba


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
    n_permutations : int
        Label permutations for the p-value in ``details["p_value"]`` (see
        :func:`permutation_p_value`; the out-of-fold scores are reused, no refits);
        0 skips it. Pass/fail still follows ``max_auc`` only.
    random_state : int or None
        Seed for subsampling, folds, the classifier and the permutations.
    threads : int or None
        Threads of the classifier's pools (:func:`two_sample_scores`); ``None``
        (default): the caller's limit, i.e. the Augmenter's ``threads`` in a run.
    """

    name = "two_sample"

    def __init__(self, max_auc: float = 0.9, n_splits: int = 5, max_rows: int = 5000,
                 n_permutations: int = 1000, random_state: int | None = None,
                 threads: int | None = None):
        self.max_auc = max_auc
        self.n_splits = n_splits
        self.max_rows = max_rows
        self.n_permutations = n_permutations
        self.random_state = random_state
        self.threads = threads

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not isinstance(self.max_auc, (int, float)) or not 0.5 <= self.max_auc <= 1:
            problems.append(f"two_sample max_auc must be in [0.5, 1]; got {self.max_auc!r}.")
        if not isinstance(self.n_splits, int) or self.n_splits < 2:
            problems.append(f"two_sample n_splits must be an integer >= 2; got {self.n_splits!r}.")
        if not isinstance(self.max_rows, int) or self.max_rows < self.min_rows:
            problems.append(f"two_sample max_rows must be an integer >= {self.min_rows}; got "
                            f"{self.max_rows!r}.")
        if not isinstance(self.n_permutations, int) or self.n_permutations < 0:
            problems.append("two_sample n_permutations must be an integer >= 0; got "
                            f"{self.n_permutations!r}.")
        problems.extend(f"two_sample {p}" for p in threads_problems(self.threads))
        return problems

    def _threshold(self) -> float:
        return float(self.max_auc)

    def _check(self, real, synthetic, schema, region) -> BatchResult:
        from sklearn.metrics import roc_auc_score

        rng = check_random_state(self.random_state)
        y, proba = two_sample_scores(real, synthetic, schema, n_splits=self.n_splits,
                                     max_rows=self.max_rows, random_state=rng,
                                     threads=self.threads)
        auc = float(roc_auc_score(y, proba))
        p_value = permutation_p_value(y, proba, n_permutations=self.n_permutations,
                                      random_state=rng) if self.n_permutations else None
        passed = auc <= self.max_auc
        rows = int(min(len(real), len(synthetic), self.max_rows))
        p_text = f", permutation p={p_value:.3g}" if p_value is not None else ""
        message = (f"two-sample AUC {auc:.3f} {'<=' if passed else '>'} {self.max_auc} "
                   f"({rows} real vs {rows} synthetic rows, {self.n_splits}-fold CV{p_text})")
        return BatchResult(self.name, region, round(auc, 4), float(self.max_auc), passed, message,
                           {"rows_per_side": rows, "p_value": p_value,
                            "n_permutations": int(self.n_permutations)})
