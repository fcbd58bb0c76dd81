"""Realism: a cross-fitted discriminator scores every row's P(synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.data import as_text
from augment.errors import NotFittedError
from augment.gates._boosted import SEED_MAX as _SEED_MAX
from augment.gates._boosted import ModelRowGate, boosted_classifier
from augment.gates.base import row_result

__all__ = ["RealismGate", "cross_fitted_scores", "threshold_for_auc"]



def cross_fitted_scores(X_real: np.ndarray, X_synth: np.ndarray, make_model, *, n_splits: int = 3,
                        max_train_rows: int = 5000, X_extra: np.ndarray | None = None,
                        random_state=None) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Out-of-fold P(synthetic) for every real and every synthetic row.

    Both sides are split into ``n_splits`` folds; the model for fold ``k`` is trained on
    the rows of the other folds only (at most ``max_train_rows`` per side, subsampled)
    and scores the rows of fold ``k``. So no row is scored by a model that saw it.
    Probabilities are corrected to equal priors (the log-odds are shifted by the log
    of the training sides' size ratio), so 0.5 means "as likely real as synthetic".
    That is how ``class_weight="balanced"`` would read, without sample weights, which
    make the histogram binning of gradient boosting several times slower.

    ``X_extra`` are further synthetic rows that every fold's model trains on and none
    scores (rows checked in earlier calls), so a small batch still gets a strong model.

    Returns
    -------
    p_real, p_synth : ndarray
        Out-of-fold P(synthetic) of the real rows and of the synthetic rows.
    folds : list of dict
        Per fold: the positions of the real and synthetic rows the model was trained on
        and of those it scored (kept so tests can check the cross-fitting).
    """
    rng = check_random_state(random_state)
    fold_real = rng.permutation(len(X_real)) % n_splits
    fold_synth = rng.permutation(len(X_synth)) % n_splits
    p_real = np.full(len(X_real), np.nan)
    p_synth = np.full(len(X_synth), np.nan)
    folds = []
    for k in range(n_splits):
        train_r = np.flatnonzero(fold_real != k)
        train_s = np.flatnonzero(fold_synth != k)
        if len(train_r) > max_train_rows:
            train_r = np.sort(rng.choice(train_r, max_train_rows, replace=False))
        if len(train_s) > max_train_rows:
            train_s = np.sort(rng.choice(train_s, max_train_rows, replace=False))
        parts = [X_real[train_r], X_synth[train_s]]
        if X_extra is not None and len(X_extra):
            room = max(max_train_rows - len(train_s), 0)
            extra = X_extra if len(X_extra) <= room else X_extra[
                np.sort(rng.choice(len(X_extra), room, replace=False))]
            parts.append(extra)
        X = np.vstack(parts)
        y = np.r_[np.zeros(len(train_r)), np.ones(len(X) - len(train_r))]
        model = make_model(int(rng.randint(_SEED_MAX))).fit(X, y)
        shift = np.log((len(X) - len(train_r)) / len(train_r))
        test_r, test_s = np.flatnonzero(fold_real == k), np.flatnonzero(fold_synth == k)
        if len(test_r):
            p_real[test_r] = _balanced(model, X_real[test_r], shift)
        if len(test_s):
            p_synth[test_s] = _balanced(model, X_synth[test_s], shift)
        folds.append({"train_real": train_r, "train_synthetic": train_s,
                      "scored_real": test_r, "scored_synthetic": test_s})
    return p_real, p_synth, folds


def _balanced(model, X: np.ndarray, shift: float) -> np.ndarray:
    """P(synthetic) under equal priors: the model's log-odds minus log(n_synth / n_real)."""
    p = np.clip(model.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) - shift)))


def _real_cdf(p_real: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of real scores below each value, ties counted half (the AUC kernel)."""
    sorted_real = np.sort(p_real)
    below = np.searchsorted(sorted_real, values, side="left")
    at_or_below = np.searchsorted(sorted_real, values, side="right")
    return (below + at_or_below) / (2.0 * len(sorted_real))


def threshold_for_auc(p_real: np.ndarray, p_synth: np.ndarray, target_auc: float
                      ) -> tuple[np.ndarray, float, float]:
    """Keep the least synthetic-looking rows while the AUC of kept vs real stays <= target.

    The AUC of a kept set against the real rows, on fixed scores, is the mean over
    kept rows of the share of real scores below them; adding rows in increasing
    score order makes it a running mean that never decreases, so the largest
    admissible set is a prefix of the sorted rows.

    Returns
    -------
    keep : ndarray of bool
        Rows of ``p_synth`` in the admissible set.
    threshold : float
        Rows with a score strictly above it are dropped (``inf`` when all are kept).
    auc : float
        AUC of the kept rows against the real rows, on the same scores.
    """
    order = np.argsort(p_synth, kind="stable")
    kernel = _real_cdf(p_real, p_synth[order])
    running = np.cumsum(kernel) / np.arange(1, len(kernel) + 1)
    n_keep = int(np.searchsorted(running > target_auc + 1e-12, True))  # first prefix above target
    # ties: a threshold cannot split rows with the same score, so drop the whole tied group
    if 0 < n_keep < len(order) and p_synth[order[n_keep]] == p_synth[order[n_keep - 1]]:
        n_keep = int(np.searchsorted(p_synth[order], p_synth[order[n_keep]], side="left"))
    keep = np.zeros(len(p_synth), bool)
    keep[order[:n_keep]] = True
    threshold = float(np.inf) if n_keep == len(order) else (
        float(p_synth[order[n_keep - 1]]) if n_keep else -np.inf)
    auc = float(running[n_keep - 1]) if n_keep else float("nan")
    return keep, threshold, auc


def _remember(history: np.ndarray, new: np.ndarray, cap: int, rng) -> np.ndarray:
    """Earlier candidate rows kept for training later calls' models (at most ``cap``)."""
    rows = np.vstack([history, new])
    return rows if len(rows) <= cap else rows[np.sort(rng.choice(len(rows), cap, replace=False))]


class RealismGate(ModelRowGate):
    """Drops rows a cross-fitted real-vs-synthetic discriminator confidently calls synthetic.

    Per class (rows grouped by their target value), a gradient-boosting classifier
    (``HistGradientBoostingClassifier`` on ordinal codes, categorical columns
    handled natively, classes balanced) learns real rows of that class (0) from the
    rows being checked (1); :meth:`set_reference` narrows the real side to a
    region's real rows, with ``n_splits``-fold cross-fitting: each row's
    P(synthetic) comes from a model trained on the other folds, never on the row.
    Rows of a class with fewer than ``min_rows`` real or synthetic rows are kept
    unscored (``score`` NaN) and the skip is recorded in ``report_``.

    With ``acceptance="ratio"`` (discriminator rejection sampling, Azadi et al.,
    ICLR 2019) each row is kept at random with probability ``min(1, w / M)``, where
    ``w = (1 - P(synthetic)) / P(synthetic)`` estimates the density ratio
    p_real(x) / q(x) of the real rows (of the class or region) to the proposal, and
    ``M`` is the ``ratio_quantile`` quantile of ``w`` over the rows checked: the
    kept rows are the proposal reweighted toward the real rows, not its most
    real-looking tail. With ``acceptance="cut"`` a row is kept when its
    P(synthetic) is below the threshold, set by one or both of

    - ``max_p_synthetic``: a fixed probability (0.5: more likely real than synthetic);
    - ``target_auc``: drop the most synthetic-looking rows until the out-of-fold AUC
      of the kept rows against the real rows is at most the target.

    The rows passed to one ``check`` call are the synthetic side of the training
    data, so pass all candidate rows of a round at once. With ``remember`` the gate
    also keeps (up to ``max_train_rows``) candidate rows of earlier calls per class
    and adds them to every model's training data without scoring them, so a small
    later round (a top-up) is still judged by a model trained on many rows.

    Parameters
    ----------
    acceptance : {"ratio", "cut"}
        ``ratio`` (default: density-ratio acceptance, the default gate set's
        realism check) or ``cut`` (the thresholds below; ``gate=fidelity``).
    ratio_quantile : float in (0, 1]
        ``ratio``: the quantile of ``w`` that is kept with probability 1 (rows with a
        larger ratio too). 1: exact rejection sampling, lowest yield; lower values
        keep more rows and correct less.
    max_p_synthetic : float in (0, 1] or None
        ``cut``: keep rows with P(synthetic) below this. None: no fixed threshold.
    target_auc : float in [0.5, 1] or None
        ``cut``: target two-sample AUC of the kept set (on the gate's own
        out-of-fold scores).
    n_splits : int >= 2
        Cross-fitting folds.
    n_rounds : int >= 1
        With ``target_auc``: re-fit the discriminator on the rows still kept and
        gate again this many times in all. Later rounds find what the first
        model did not; each costs another ``n_splits`` fits.
    max_iter : int
        Boosting iterations of each discriminator.
    max_train_rows : int
        Rows per side each fold's model trains on, at most (subsampled); every row
        is still scored.
    min_rows : int
        Fewest real and synthetic rows of a class for the gate to run.
    remember : bool
        Train on earlier calls' candidate rows too (above). ``fit`` forgets them.
    random_state : int or None
        Seed for folds, subsampling and the discriminators.
    threads : int or None
        Threads of the discriminators' pools in ``fit`` and ``check`` (restored
        afterwards); None (default): the caller's limit (in a run, the Augmenter's).

    ``score`` is the out-of-fold P(synthetic) (lower is more realistic).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from augment.data import detect_schema
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(0, 1, 200), "y": ["a"] * 100 + ["b"] * 100})
    >>> gate = RealismGate(acceptance="cut", max_p_synthetic=0.8, random_state=0)
    >>> gate = gate.fit(real, detect_schema(real, "y"))
    >>> rows = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 50), np.full(50, 9.0)], "y": "b"})
    >>> out = gate.check(rows)
    >>> bool(out["keep"].iloc[50:].any())
    False
    """

    name = "realism"
    title = "Realism gate"
    cost = 4

    def __init__(self, acceptance: str = "ratio", ratio_quantile: float = 0.9,
                 max_p_synthetic: float | None = None, target_auc: float | None = None,
                 n_splits: int = 3, n_rounds: int = 2, max_iter: int = 60,
                 max_train_rows: int = 4000, min_rows: int = 20, remember: bool = True,
                 random_state: int | None = None, threads: int | None = None):
        self.acceptance = acceptance
        self.ratio_quantile = ratio_quantile
        self.max_p_synthetic = max_p_synthetic
        self.target_auc = target_auc
        self.n_splits = n_splits
        self.n_rounds = n_rounds
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.min_rows = min_rows
        self.remember = remember
        self.random_state = random_state
        self.threads = threads

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state
        p, auc = self.max_p_synthetic, self.target_auc
        if self.acceptance not in ("cut", "ratio"):
            problems.append(f"realism acceptance must be 'cut' or 'ratio'; got "
                            f"{self.acceptance!r}.")
        q = self.ratio_quantile
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q <= 1:
            problems.append(f"realism ratio_quantile must be in (0, 1]; got {q!r}.")
        if self.acceptance == "cut" and p is None and auc is None:
            problems.append("realism acceptance 'cut' needs max_p_synthetic or target_auc (or "
                            "both); got neither. Fix: set target_auc: 0.7.")
        if self.acceptance == "ratio" and (p is not None or auc is not None):
            problems.append("realism max_p_synthetic and target_auc are thresholds of "
                            "acceptance 'cut'; got them with acceptance 'ratio'. Fix: set "
                            "acceptance: cut, or drop the thresholds.")
        if p is not None and (not isinstance(p, (int, float)) or not 0 < p <= 1):
            problems.append(f"realism max_p_synthetic must be in (0, 1] or null; got {p!r}.")
        if auc is not None and (not isinstance(auc, (int, float)) or not 0.5 <= auc <= 1):
            problems.append(f"realism target_auc must be in [0.5, 1] or null; got {auc!r}.")
        for key, low in (("n_splits", 2), ("n_rounds", 1), ("max_iter", 1),
                         ("max_train_rows", 10), ("min_rows", 2)):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                problems.append(f"realism {key} must be an integer >= {low}; got {value!r}.")
        return problems

    def _fit(self, real: pd.DataFrame) -> None:
        self._fit_codes(real)
        self.real_codes_ = self._real_by_class(real)
        self._reference = None
        self._rng = check_random_state(self.random_state)
        self.report_: list[dict] = []
        self.history_: dict = {}
        self.reference_key_ = None

    def _real_by_class(self, real: pd.DataFrame) -> dict:
        codes = self._encode(real)
        target = as_text(real[self.schema_.target]).iloc[:, 0].to_numpy()
        return {label: codes[target == label] for label in np.unique(target)}

    def set_reference(self, real: pd.DataFrame | None, key: str | None = None) -> RealismGate:
        """Compare the next ``check`` calls with these real rows instead of the whole class.

        Rows generated for a sparse region (a cluster, a rare combination) differ from
        their class as a whole by design, so a discriminator against every real row of
        the class rejects nearly all of them. The pipeline sets the region's real rows
        (features and target) before gating a region and ``None`` after it. ``key``
        (the region id) keeps the remembered candidate rows of each region apart.
        """
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")
        if real is None:
            self._reference = None
            self.reference_key_ = None
        else:
            self._reference = self._real_by_class(real)
            self.reference_key_ = key if key is not None else "reference"
        return self

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        n = len(rows)
        keep = np.ones(n, bool)
        score = np.full(n, np.nan)
        reason = np.full(n, "", dtype=object)
        codes = self._encode(rows)
        target = as_text(rows[self.schema_.target]).iloc[:, 0].to_numpy()
        self.report_ = []
        for label in np.unique(target):
            where = np.flatnonzero(target == label)
            source = self._reference if self._reference is not None else self.real_codes_
            real = source.get(label, np.empty((0, codes.shape[1])))
            key = (self.reference_key_, label)
            history = self.history_.get(key, codes[:0])
            entry = {"class": str(label), "reference": self.reference_key_ or "class",
                     "real_rows": len(real), "rows": len(where),
                     "earlier_rows": len(history)}
            if min(len(real), len(where) + len(history)) < self.min_rows or len(where) < 2:
                entry["skipped"] = (
                    f"{len(where)} new rows ({len(history)} from earlier calls) and {len(real)} "
                    f"real rows of class {label!r}; needs {self.min_rows} of each and at least "
                    "2 new rows")
                self.report_.append(entry)
                if self.remember:
                    self.history_[key] = _remember(history, codes[where], self.max_train_rows,
                                                     self._rng)
                continue
            k, s, r = self._check_class(real, codes[where], history, entry)
            if self.remember:
                self.history_[key] = _remember(history, codes[where], self.max_train_rows,
                                                 self._rng)
            keep[where], score[where], reason[where] = k, s, r
            self.report_.append(entry)
        return row_result(rows.index, keep, score, reason)

    def _check_class(self, real: np.ndarray, synth: np.ndarray, history: np.ndarray,
                     entry: dict):
        from sklearn.metrics import roc_auc_score

        def make_model(seed):
            return boosted_classifier(self.schema_, self.n_categories_, self.max_iter, seed)

        n = len(synth)
        keep = np.ones(n, bool)
        score = np.full(n, np.nan)
        reason = np.full(n, "", dtype=object)
        if self.acceptance == "ratio":
            return self._ratio(real, synth, history, entry, make_model)
        rounds = self.n_rounds if self.target_auc is not None else 1
        alive = np.arange(n)
        for round_ in range(rounds):
            if len(alive) + len(history) < self.min_rows or len(alive) < 2:
                break
            seed = int(self._rng.randint(_SEED_MAX))
            p_real, p_synth, _ = cross_fitted_scores(
                real, synth[alive], make_model, n_splits=min(self.n_splits, len(alive)),
                max_train_rows=self.max_train_rows, X_extra=history, random_state=seed)
            score[alive] = p_synth  # latest out-of-fold score of every row still in play
            y = np.r_[np.zeros(len(p_real)), np.ones(len(p_synth))]
            auc_in = float(roc_auc_score(y, np.r_[p_real, p_synth]))
            ok = np.ones(len(alive), bool)
            auc_kept = float("nan")
            if self.max_p_synthetic is not None:
                over = p_synth >= self.max_p_synthetic
                ok &= ~over
                for i in np.flatnonzero(over):
                    reason[alive[i]] = (f"realism: P(synthetic)={p_synth[i]:.2f} >= "
                                        f"max_p_synthetic {self.max_p_synthetic:g}")
            if self.target_auc is not None:
                within, _, auc_kept = threshold_for_auc(p_real, p_synth[ok],
                                                                self.target_auc)
                dropped = np.flatnonzero(ok)[~within]
                for i in dropped:
                    reason[alive[i]] = (f"realism: P(synthetic)={p_synth[i]:.2f} among the most "
                                        f"synthetic-looking rows (round {round_ + 1}); dropped to "
                                        f"bring the two-sample AUC from {auc_in:.2f} to "
                                        f"<= {self.target_auc:g}")
                ok[dropped] = False
            entry.setdefault("rounds", []).append({
                "auc_before": round(auc_in, 4), "rows": len(alive),
                "kept": int(ok.sum()), "auc_kept": round(auc_kept, 4)})
            keep[alive[~ok]] = False
            alive = alive[ok]
            if self.target_auc is not None and auc_in <= self.target_auc:
                break  # the model cannot tell the remaining rows from real ones
        entry["kept"] = int(keep.sum())
        return keep, score, reason

    def _ratio(self, real, synth, history, entry, make_model):
        """Density-ratio acceptance: keep each row with probability min(1, w / M)."""
        from sklearn.metrics import roc_auc_score

        seed = int(self._rng.randint(_SEED_MAX))
        p_real, p_synth, _ = cross_fitted_scores(
            real, synth, make_model, n_splits=min(self.n_splits, len(synth)),
            max_train_rows=self.max_train_rows, X_extra=history, random_state=seed)
        clipped = np.clip(p_synth, 1e-6, 1 - 1e-6)
        w = (1 - clipped) / clipped
        m = float(np.quantile(w, self.ratio_quantile))
        prob = np.minimum(1.0, w / m) if m > 0 else np.ones(len(w))
        keep = self._rng.random_sample(len(w)) < prob
        reason = np.where(keep, "", "realism: the discriminator finds the row over-proposed "
                          "against real rows (density-ratio acceptance)").astype(object)
        y = np.r_[np.zeros(len(p_real)), np.ones(len(p_synth))]
        entry.update({"acceptance": "ratio",
                      "auc_before": round(float(roc_auc_score(y, np.r_[p_real, p_synth])), 4),
                      "rows": len(w), "kept": int(keep.sum()), "ratio_cap": round(m, 4)})
        return keep, p_synth, reason
