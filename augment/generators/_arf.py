"""Adversarial random forests (Watson et al., AISTATS 2023) per class, sampled exactly in a region.

The algorithm, per class:

1. Draw as many synthetic rows as the class has, each column independently from
   its real values (the product of the marginals).
2. Train a random forest to tell the class's real rows from the synthetic ones.
   While its out-of-bag accuracy is above ``0.5 + delta`` (and improving, and
   within ``max_iters`` and ``max_seconds``): draw new synthetic rows by picking
   a tree uniformly, a leaf by the share of real rows it holds, and every column
   independently from the real values in that leaf; train a fresh forest.
3. Density estimation (FORDE): every leaf of the last forest is a box (the
   splits on its path) holding a share of the real rows (its coverage) and, per
   column, a distribution fitted on the real rows inside it: a normal truncated
   to the box (``numeric="truncnorm"``) or the leaf's own real values
   (``numeric="empirical"``) for numbers, category frequencies for categorical
   and boolean columns, and a missing-value share for every column.
   Smoothing (``alpha``): each leaf's distributions are mixed with ``alpha``
   pseudo-rows that follow the class's real rows inside the leaf's box, column
   by column (category shares, the values of an empirical column, a missing
   share; a truncated normal takes the mixture's mean and standard deviation).
   A leaf of a few near-identical rows (small classes, discrete columns) would
   otherwise hand back copies of them. ``alpha="auto"`` picks, per class, the
   least smoothing whose rows sit no closer to the class's real rows than those
   rows sit to each other, smoothing the categorical columns alone first (in the
   distance they weigh a full range each, so they decide how close a row sits;
   :meth:`ARFGenerator._calibrate`).
4. Generation (FORGE): pick a leaf with probability coverage / number of trees,
   then every column independently from the leaf's distributions, except linked
   columns: a numeric column that is, on the class's rows, an exact affine function
   of an earlier one (a charge = minutes x a rate, rounded to cents; :func:`_linked`)
   is computed from its parent's draw, since independent draws would break the
   relation in every row. On mlc_churn (four such charges) this took the held-out
   two-sample AUC from 0.823 (docs/bench_fidelity.md at 0be7914) to 0.626 (same
   settings, linked columns only; the doc's current 0.60 also has ``dcr_target`` 1.0).

Aiming at a region (a class with category sets and numeric ranges) is exact:
each leaf's weight is multiplied by the mass its distributions give the
condition (the share of allowed categories, the truncated normal's mass inside
the range, no missing value on a pinned column), leaves with no mass drop out,
and the pinned columns are drawn inside the condition (allowed categories
renormalised; the normal truncated to box ∩ range; integer columns to the
integers inside the range). Every drawn row is inside the region, so
``acceptance_[id]["rate"]`` is 1.0; a region no leaf reaches returns no rows and
``acceptance_[id]["shortfall"]`` says why. A linked column the region pins is
still computed from its parent: its range is mapped through the inverse of the
relation (and of the child's rounding) onto a range of the parent, intersected with
any range the region puts on the parent, which is then drawn inside it
(:func:`_through_links`), so rows land in the region with the relation kept. Ranges
on a child and its parent that no parent value meets make the region unreachable
(no rows, a shortfall). One whose parent alone is pinned follows the parent.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.errors import GenerationError
from augment.generators._dcr import CALIBRATION_ROWS, DCR_TARGET, DcrReference
from augment.generators.base import BaseGenerator, _all_classes
from augment.profile import Region

__all__ = ["NUMERIC", "ARFGenerator"]

NUMERIC = ("auto", "truncnorm", "empirical")
#: ``numeric="auto"``: a column is drawn empirically when one value holds this share of the
#: class, and at least ``SPIKE_ROWS`` rows (in a class of 15 rows every value holds 6.7%).
#: 7, not 3: in lending_club's 79-row class amounts and incomes repeat a round value 4-6
#: times; drawn empirically they made near-copies that only smoothing (at a cost in
#: fidelity) moved away. The rule changes nothing in classes of 140 rows or more.
SPIKE_SHARE = 0.05
SPIKE_ROWS = 7
#: ``early_stop``: a round must lower the out-of-bag accuracy by at least this much.
EARLY_STOP_GAIN = 0.01
#: ``alpha="auto"`` tries these pseudo-row counts, smallest first.
ALPHA_GRID = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
#: Columns a smoothing mixes, narrowest first (``alpha="auto"`` tries them in this order):
#: categorical ones, then also the numeric ones drawn empirically, then every column.
#: Smoothing the categorical ones alone first took lending_club's two-sample AUC from
#: 0.765 to 0.734 (with ``SPIKE_ROWS`` 7: 0.632; over 12 other seeds 0.727 -> 0.688).
#: Tried and dropped: pseudo-rows from the leaf's parent node (1-3 levels up) instead of
#: the class inside the box move rows less per pseudo-row, so more smoothing is needed
#: (lending_club 0.773-0.783 against 0.734); keeping the categorical ones at the largest
#: alpha while wider scopes are tried moved no table beyond its seed spread; jittering
#: empirical draws by the leaf's standard deviation smears spikes (credit_data 0.918).
SCOPES = ("categorical", "discrete", "all")
#: ``linked`` columns: an affine fit must reproduce at least this share of a class's values
#: exactly (after rounding to the column's decimals; the rest within one rounding step, at
#: most 1% of the column's range), on at least ``LINK_MIN_ROWS`` rows with
#: ``LINK_MIN_VALUES`` distinct values in both columns. (mlc_churn's night charge is
#: minutes x 0.045 rounded to cents: 1.2% of its rows are a cent off the fit.)
LINK_SHARE = 0.95
LINK_MIN_ROWS = 20
LINK_MIN_VALUES = 10


class ARFGenerator(BaseGenerator):
    """Adversarial random forest fitted per class, sampled exactly inside a region.

    Parameters
    ----------
    n_trees : int
        Trees per forest (scikit-learn ``n_estimators``).
    min_node_size : int
        Fewest rows per leaf (``min_samples_leaf``); larger leaves give smoother
        densities and rows further from any single real row.
    alpha : "auto" or float >= 0
        Pseudo-rows mixed into every leaf's distributions, drawn from the class's
        real rows inside the leaf's box (module docstring; the R ``arf`` package's
        ``alpha`` is a uniform pseudocount on categories). 0: each leaf's own rows
        only, as published. ``"auto"``: per class, the first of ``ALPHA_GRID`` on the
        categorical columns only, then on the discrete ones (categorical and
        ``empirical_columns_``), then on every column, whose drawn rows reach the DCR
        ratio ``dcr_target`` (their median distance to the closest real row of the
        class over that of a real row to its closest other one; none reaching it:
        the setting closest to it); the choice and every ratio tried are in
        ``fit_report_``. On carData Arrests (all columns
        discrete) alpha=0 put about 30% of the candidates on exact copies of
        training rows and their median distance to the closest training row at 0.33
        of held-out rows'; ``"auto"`` brings it to about 1 and the two-sample AUC from
        0.588 to 0.564 (docs/bench_fidelity.md).
    dcr_target : float > 0
        The DCR ratio ``alpha="auto"`` must reach (``DCR_TARGET``, 1.0: rows as far
        from the class's real rows as unseen real rows are); a lower target buys
        two-sample AUC with rows closer to the training rows than held-out rows.
    delta : float
        Stop when the forest's out-of-bag accuracy is at most ``0.5 + delta``.
    max_iters : int
        Most adversarial rounds after the first forest.
    early_stop : bool
        Stop as soon as a round lowers the accuracy by less than ``EARLY_STOP_GAIN``
        (0.01; a round that does not lower it is discarded). On a 9.5k-row class
        the accuracy crept from 0.63 to 0.60 over five more rounds, each costing a
        forest, while the rows' fidelity did not move.
    numeric : {"auto", "truncnorm", "empirical"}
        Distribution of a numeric column inside a leaf: a normal fitted on the
        leaf's real values and truncated to the leaf's box (intersected with the
        class's observed range), or the leaf's real values themselves. ``"auto"``
        draws a column empirically when one of its values holds at least
        ``SPIKE_SHARE`` (5%) of the class's rows and at least ``SPIKE_ROWS`` (7)
        rows (zero-inflated amounts, small counts: a normal smears such spikes and
        a discriminator sees it) and from the truncated normal otherwise (in a
        class of under 20 rows a single value holds 5%, yet redrawing its observed
        values only recombines real rows). ``empirical_columns_`` lists the choice.
    max_seconds : float or None
        Budget for the adversarial rounds of one class; when spent, the current
        forest is used (``fit_report_`` says so).
    max_tree_rows : int or None
        Bootstrap rows per tree (real + synthetic) when a class has more than half
        as many rows (scikit-learn ``max_samples``); None: a full bootstrap. Tree
        building dominates the cost; capping it keeps a 10k-row class within about
        twice the Gaussian copula's time, with leaves of about
        ``min_node_size * 2n / max_tree_rows`` real rows instead of ``min_node_size``.
    n_jobs : int
        Threads for scikit-learn's forest.
    progress : bool
        Show one progress bar over the classes (quiet by default).
    random_state : int or None
        Seed; the same seed and table give the same rows.

    Attributes
    ----------
    fit_report_ : dict
        Per class: rows, rounds run, out-of-bag accuracy per round, leaves,
        seconds, why the rounds stopped, the ``alpha`` used and which columns it
        smoothed (``smoothed``: "none" or one of ``SCOPES``), the linked columns and their
        parents (``linked``), and with ``alpha="auto"`` the DCR ratio of every setting
        tried (``alpha_dcr_ratio``).
    acceptance_ : dict
        Per region: rows requested, generated, accepted and delivered, the rate
        (1.0: sampling is exact) and how the region was aimed at.

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> from augment.profile import find_class_regions
    >>> table = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 1.7, 2.1] * 5,
    ...                       "c": list("abcabc") * 5, "label": ["n"] * 20 + ["y"] * 10})
    >>> schema = detect_schema(table, "label")
    >>> region = find_class_regions(table["label"], schema, "auto")[0]
    >>> gen = ARFGenerator(n_trees=5, random_state=0).fit(table, schema, [region])
    >>> len(gen.sample(7, region))
    7
    """

    name = "arf"
    min_class_rows = 5

    def __init__(self, n_trees: int = 10, min_node_size: int = 5,
                 alpha: float | str = "auto", dcr_target: float = DCR_TARGET,
                 delta: float = 0.0, max_iters: int = 10, early_stop: bool = True,
                 numeric: str = "auto", max_seconds: float | None = None,
                 max_tree_rows: int | None = 5000, n_jobs: int = 1, progress: bool = False,
                 random_state: int | None = None):
        self.n_trees = n_trees
        self.min_node_size = min_node_size
        self.alpha = alpha
        self.dcr_target = dcr_target
        self.delta = delta
        self.max_iters = max_iters
        self.early_stop = early_stop
        self.numeric = numeric
        self.max_seconds = max_seconds
        self.max_tree_rows = max_tree_rows
        self.n_jobs = n_jobs
        self.progress = progress
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state

        def integer(name: str, low: int, fix: str) -> None:
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                problems.append(
                    f"arf {name} must be an integer >= {low}; got {value!r}. Fix: {fix}")

        integer("n_trees", 1, "generator.n_trees=20 (10-50 is usual).")
        integer("min_node_size", 1, "generator.min_node_size=5.")
        integer("max_iters", 0, "generator.max_iters=10 (0: one forest, no adversarial rounds).")
        integer("n_jobs", 1, "generator.n_jobs=1.")
        if (not isinstance(self.delta, numbers.Real) or isinstance(self.delta, bool)
                or not 0 <= self.delta < 0.5):
            problems.append(f"arf delta must be a number in [0, 0.5); got {self.delta!r}. Fix: "
                            "generator.delta=0 (train until the forest cannot beat a coin).")
        if self.alpha != "auto" and (
                not isinstance(self.alpha, numbers.Real) or isinstance(self.alpha, bool)
                or not 0 <= self.alpha < math.inf):
            problems.append(f"arf alpha must be 'auto' or a number >= 0; got {self.alpha!r}. "
                            "Fix: generator.alpha=auto (or 0: leaves use their own rows only).")
        if (not isinstance(self.dcr_target, numbers.Real) or isinstance(self.dcr_target, bool)
                or not 0 < self.dcr_target <= 2):
            problems.append(f"arf dcr_target must be a number in (0, 2]; got "
                            f"{self.dcr_target!r}. Fix: generator.dcr_target=1.0.")
        if self.numeric not in NUMERIC:
            problems.append(f"arf numeric must be one of {list(NUMERIC)}; got {self.numeric!r}. "
                            "Fix: generator.numeric=auto.")
        if self.max_tree_rows is not None and (
                not isinstance(self.max_tree_rows, numbers.Integral)
                or isinstance(self.max_tree_rows, bool) or self.max_tree_rows < 100):
            problems.append(f"arf max_tree_rows must be an integer >= 100 or null; got "
                            f"{self.max_tree_rows!r}. Fix: generator.max_tree_rows=5000.")
        if self.max_seconds is not None and (
                not isinstance(self.max_seconds, numbers.Real) or isinstance(self.max_seconds, bool)
                or not self.max_seconds > 0):
            problems.append(f"arf max_seconds must be a number > 0 or null; got "
                            f"{self.max_seconds!r}. Fix: generator.max_seconds=60 or null.")
        for name in ("early_stop", "progress"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"arf {name} must be true or false; got {getattr(self, name)!r}. "
                                f"Fix: generator.{name}=true or false.")
        return problems

    def check_table(self, table, schema, regions=None) -> list[str]:
        """Only classes need rows: a sub-class region is sampled from its class's forest."""
        labels = {r.label for r in regions} if regions is not None else set(schema.classes)
        classes = [r for r in _all_classes(schema) if r.label in labels]
        return super().check_table(table, schema, classes)

    # -- fitting ------------------------------------------------------------------------

    def _fit(self, table: pd.DataFrame) -> None:
        from tqdm.auto import tqdm

        schema = self.schema_
        self.numeric_columns_ = schema.numeric
        self.categorical_columns_ = schema.categorical
        self.integer_columns_ = set(schema.names("integer"))
        self.categories_ = {c: list(schema.columns[c].categories)
                            for c in self.categorical_columns_}
        self.forests_, self.fit_report_, self.acceptance_ = {}, {}, {}
        self.empirical_columns_ = {}
        target = table[schema.target].to_numpy()
        seeds = self._rng.randint(np.iinfo(np.int32).max, size=len(self.labels_))
        for label, seed in tqdm(list(zip(self.labels_, seeds)), desc="arf", unit="class",
                                disable=not self.progress):
            rows = table.loc[target == label, schema.features]
            self.empirical_columns_[label] = self._empirical(rows)
            empirical = np.array([c in self.empirical_columns_[label]
                                  for c in self.numeric_columns_], dtype=bool)
            self.forests_[label], self.fit_report_[str(label)] = self._fit_class(
                rows, empirical, np.random.RandomState(int(seed)))

    def _empirical(self, rows: pd.DataFrame) -> list[str]:
        """Numeric columns drawn from the leaves' real values (``numeric``)."""
        if self.numeric != "auto":
            return list(self.numeric_columns_) if self.numeric == "empirical" else []
        out = []
        for name in self.numeric_columns_:
            counts = rows[name].value_counts(dropna=True)
            if len(counts) and counts.iloc[0] >= max(SPIKE_ROWS, SPIKE_SHARE * len(rows)):
                out.append(name)
        return out

    def _encode(self, rows: pd.DataFrame) -> np.ndarray:
        """Numbers as floats (NaN kept), categories as codes (missing: one more code)."""
        out = np.empty((len(rows), len(self.numeric_columns_) + len(self.categorical_columns_)))
        for j, name in enumerate(self.numeric_columns_):
            out[:, j] = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)
        p = len(self.numeric_columns_)
        for j, name in enumerate(self.categorical_columns_):
            cats = self.categories_[name]
            codes = pd.Categorical(rows[name], categories=cats).codes.astype(float)
            codes[codes < 0] = len(cats)
            out[:, p + j] = codes
        return out

    def _fit_class(self, rows: pd.DataFrame, empirical: np.ndarray,
                   rng: np.random.RandomState) -> tuple[dict, dict]:
        start = time.perf_counter()
        x = self._encode(rows)
        linked = _linked(x[:, :len(self.numeric_columns_)])
        clf, report = self._adversarial(x, rng)
        raw = dict(self._forde(clf, x, empirical, 0.0), linked=linked)
        report["linked"] = {self.numeric_columns_[j]: self.numeric_columns_[i]
                            for j, (i, *_) in linked.items()}
        if self.alpha == "auto":
            leaves, report["alpha_dcr_ratio"] = self._calibrate(raw, x, rows, rng)
        else:
            leaves = _smoothed(raw, x, len(self.numeric_columns_), float(self.alpha))
        report.update(leaves=len(leaves["coverage"]), alpha=leaves["alpha"],
                      smoothed=leaves["smoothed"],
                      seconds=round(time.perf_counter() - start, 3))
        return leaves, report

    def _calibrate(self, raw: dict, x: np.ndarray, rows: pd.DataFrame,
                   rng: np.random.RandomState) -> tuple[dict, dict]:
        """``alpha="auto"``: the least smoothing whose rows sit no closer to the class's real
        rows than those rows sit to each other.

        The DCR ratio of a setting: the median distance of ``CALIBRATION_ROWS`` drawn
        rows to their closest real row of the class, over the median distance of a real
        row to its closest *other* real row (leave-one-out: what a held-out row would
        get), both on ``DistanceEncoder(numeric_scale="range")`` codes fitted on the
        class's rows (the space of the near-copy check and of
        :func:`augment.gates.dcr_distributions`). Tried in order (``SCOPES``): every
        ``ALPHA_GRID`` value on the categorical columns only (one differing category
        weighs a full range in that space, so they decide how close a row sits; the
        numeric columns keep their within-leaf draws), then on the discrete columns
        (also ``empirical_columns_``, whose exact values make copies), then on every
        column (continuous ones too: their normals widen and, with ``alpha`` large, lose
        their exact within-leaf dependence); the first to reach ``dcr_target`` wins,
        else the setting with the highest ratio. Returns that setting's leaves and the
        ratio of every setting tried."""
        n_num = len(self.numeric_columns_)
        reference = DcrReference(self.schema_, rows, rng)
        integer = np.array([c in self.integer_columns_ for c in self.numeric_columns_],
                           dtype=bool)
        ratios = {}
        best = (-np.inf, None)
        scopes = SCOPES if self.categorical_columns_ else SCOPES[1:]
        for scope in scopes:
            for alpha in ALPHA_GRID if scope == scopes[0] else ALPHA_GRID[1:]:
                leaves = _smoothed(raw, x, n_num, alpha, scope)
                leaf = rng.choice(len(leaves["coverage"]), size=CALIBRATION_ROWS,
                                  p=leaves["coverage"])
                num, cat = _draw_rows(leaves, leaf, rng, integer)
                ratio = reference.ratio(self._frame(num, cat))
                ratios[f"{alpha:g} ({leaves['smoothed']})"] = ratio
                if ratio >= self.dcr_target:
                    return leaves, ratios
                if best[1] is None or ratio > best[0]:
                    best = (ratio, leaves)
        return best[1], ratios  # none reached the target: the closest setting

    def _adversarial(self, x: np.ndarray, rng: np.random.RandomState) -> tuple[object, dict]:
        """The adversarial rounds on the class's encoded rows ``x``: the last forest, a report."""
        from sklearn.ensemble import RandomForestClassifier

        start = time.perf_counter()
        n = len(x)
        labels = np.r_[np.ones(n), np.zeros(n)]

        def forest(synthetic: np.ndarray):
            clf = RandomForestClassifier(
                n_estimators=self.n_trees, min_samples_leaf=self.min_node_size, oob_score=True,
                max_samples=None if self.max_tree_rows is None or 2 * n <= self.max_tree_rows
                else int(self.max_tree_rows),
                n_jobs=self.n_jobs, random_state=rng.randint(np.iinfo(np.int32).max))
            with warnings.catch_warnings():  # tiny classes: some rows lack OOB votes
                warnings.simplefilter("ignore", UserWarning)
                clf.fit(np.vstack([x, synthetic]), labels)
            return clf, float(clf.oob_score_)

        synthetic = np.column_stack([rng.choice(x[:, j], n) for j in range(x.shape[1])])
        clf, acc = forest(synthetic)
        accuracy, stopped = [round(acc, 4)], "accuracy <= 0.5 + delta"
        for _ in range(self.max_iters):
            if acc <= 0.5 + self.delta:
                break
            if self.max_seconds is not None and time.perf_counter() - start > self.max_seconds:
                stopped = f"max_seconds={self.max_seconds} spent"
                break
            synthetic = _within_leaves(clf, x, n, rng)
            new_clf, new_acc = forest(synthetic)
            accuracy.append(round(new_acc, 4))
            if self.early_stop and new_acc >= acc:
                stopped = "accuracy stopped falling (early_stop)"
                break
            gain, (clf, acc) = acc - new_acc, (new_clf, new_acc)
            if self.early_stop and gain < EARLY_STOP_GAIN and acc > 0.5 + self.delta:
                stopped = f"accuracy fell by less than {EARLY_STOP_GAIN} (early_stop)"
                break
        else:
            if acc > 0.5 + self.delta:
                stopped = f"max_iters={self.max_iters} reached"
        return clf, {"rows": n, "rounds": len(accuracy) - 1, "oob_accuracy": accuracy,
                     "stopped": stopped}

    def _forde(self, clf, x: np.ndarray, empirical: np.ndarray, alpha: float = 0.0,
               scope: str = "all") -> dict:
        """Per leaf of ``clf`` with real rows: coverage, box and per-column distributions
        (mixed with ``alpha`` pseudo-rows, :func:`_smooth`)."""
        n, p = len(x), len(self.numeric_columns_)
        ids = clf.apply(x)  # (n, trees): node id of every real row in every tree
        offsets = np.cumsum([0] + [e.tree_.node_count for e in clf.estimators_])[:-1]
        flat = (ids + offsets).T.ravel()  # tree-major: every real row once per tree
        nodes, inv = np.unique(flat, return_inverse=True)
        count = np.bincount(inv).astype(float)
        leaves: dict = {"coverage": count / count.sum(), "count": count.astype(int),
                        "empirical": empirical}
        member_rows = np.tile(np.arange(n), ids.shape[1])
        # boxes of every column (codes for categorical ones); numeric ones are intersected
        # with the class's observed range below
        box_lo, box_hi = _boxes(clf, offsets, nodes, x.shape[1])
        lo, hi = box_lo[:, :p], box_hi[:, :p]
        xn = x[member_rows, :p]
        valid = ~np.isnan(xn)
        with np.errstate(all="ignore"):
            colmin, colmax = np.nanmin(x[:, :p], axis=0), np.nanmax(x[:, :p], axis=0)
            lo, hi = np.maximum(lo, colmin), np.minimum(hi, colmax)
            n_valid = np.stack([np.bincount(inv, valid[:, j], len(nodes)) for j in range(p)], 1) \
                if p else np.zeros((len(nodes), 0))
            filled = np.where(valid, xn, 0.0)
            total = np.stack([np.bincount(inv, filled[:, j], len(nodes)) for j in range(p)], 1) \
                if p else np.zeros((len(nodes), 0))
            mean = total / n_valid
            sq = np.stack([np.bincount(inv, (np.where(valid[:, j], xn[:, j] - mean[inv, j], 0)
                                                ) ** 2, len(nodes)) for j in range(p)], 1) \
                if p else np.zeros((len(nodes), 0))
            sd = np.sqrt(sq / np.maximum(n_valid - 1, 1))
        leaves.update(lo=lo, hi=hi, mean=mean, sd=sd, missing=1 - n_valid / count[:, None],
                      n_valid=n_valid, box=(box_lo, box_hi))
        leaves["categorical"] = []
        for j, name in enumerate(self.categorical_columns_):
            k = len(self.categories_[name]) + 1
            codes = x[member_rows, p + j].astype(int)
            freq = np.bincount(inv * k + codes, minlength=len(nodes) * k).reshape(-1, k)
            leaves["categorical"].append(freq / count[:, None])
        if self.numeric != "truncnorm":  # real rows per leaf, sorted by leaf
            order = np.argsort(inv, kind="stable")
            leaves["members"] = member_rows[order].astype(np.int32)
            leaves["start"] = np.r_[0, np.cumsum(count.astype(int))[:-1]]
            leaves["values"] = x[:, :p].copy()
            # the class's values of each numeric column, sorted (NaN last): the alpha
            # pseudo-rows of empirical draws come from those inside the leaf's box
            leaves["sorted"] = np.sort(x[:, :p], axis=0)
            # and their missing share: a pseudo-row is missing that often (as in _smooth)
            leaves["class_missing"] = np.isnan(x[:, :p]).mean(axis=0)
        return _smoothed(leaves, x, p, alpha, scope)

    # -- sampling -----------------------------------------------------------------------

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        leaves = self.forests_[region.label]
        rng = np.random.RandomState(seed)
        stats = self.acceptance_.setdefault(region.id, {
            "requested": 0, "delivered": 0, "generated": 0, "accepted": 0, "rate": None,
            "how": None})
        mass = leaves["coverage"].copy()
        integer = np.array([c in self.integer_columns_ for c in self.numeric_columns_],
                           dtype=bool)
        ranges, unmet = self._ranges(region, leaves.get("linked", {}), integer)
        if unmet:  # linked ranges no parent value meets: the region is empty
            mass[:] = 0.0
        allowed = {}
        for name, values in region.categories.items():
            if name not in self.categorical_columns_:
                raise GenerationError(f"Expected a categorical column in region {region.id}'s "
                                      f"categories. Got {name!r}.")
            j = self.categorical_columns_.index(name)
            texts = set(as_text(pd.Series(list(values), dtype=object)).iloc[:, 0])
            codes = pd.Series([*self.categories_[name], np.nan], dtype=object)
            keep = as_text(codes).iloc[:, 0].isin(texts).to_numpy()  # as Region.contains
            allowed[j] = keep
            mass *= leaves["categorical"][j][:, keep].sum(axis=1)
        members = {}
        for j, (low, high) in ranges.items():
            if j in leaves.get("linked", {}):  # computed from its parent, whose range holds it
                continue
            if leaves["empirical"][j]:
                members[j] = self._members_in(leaves, j, low, high)
                mass *= _empirical_mass(leaves, j, members[j], low, high,
                                        leaves["empirical_alpha"])
            else:
                mass *= (1 - leaves["missing"][:, j]) * _normal_mass(leaves, j, low, high)
        mass = np.nan_to_num(mass, nan=0.0)
        stats["requested"] += n
        stats["how"] = _how(region)
        if not mass.sum() > 0:
            stats["shortfall"] = (
                f"0 of {n} rows: no leaf of class {region.label!r}'s forest holds real rows "
                f"inside region {region.id} ({region.description}){unmet}. Fix: widen the "
                "region or lower generator.min_node_size.")
            return self._empty()
        leaf = rng.choice(len(mass), size=n, p=mass / mass.sum())
        num, cat = _draw_rows(leaves, leaf, rng, integer, ranges, allowed, members)
        stats["generated"] += n
        stats["accepted"] += n
        stats["delivered"] += n
        stats["rate"] = 1.0
        return self._frame(num, cat)

    def _frame(self, num: np.ndarray, cat: np.ndarray) -> pd.DataFrame:
        """Drawn values and category codes as a frame of the feature columns."""
        out = {name: num[:, j] for j, name in enumerate(self.numeric_columns_)}
        for j, name in enumerate(self.categorical_columns_):
            out[name] = np.array([*self.categories_[name], np.nan], dtype=object)[cat[:, j]]
        return pd.DataFrame(out)

    def _ranges(self, region: Region, linked: dict, integer: np.ndarray) -> tuple[dict, str]:
        """The region's ranges as closed bounds by numeric column index, a pinned linked
        child's range moved onto its parent (:func:`_through_links`), and why none is
        reachable (empty when they can be)."""
        ranges = {}
        for name, (low, high) in region.ranges.items():
            if name not in self.numeric_columns_:
                raise GenerationError(f"Expected a numeric column in region {region.id}'s ranges. "
                                      f"Got {name!r}, which arf does not model as numeric.")
            ranges[self.numeric_columns_.index(name)] = self._range(name, low, high)
        out, unmet = _through_links(ranges, linked, integer)
        if unmet is None:
            return out, ""
        child, parent = self.numeric_columns_[unmet], self.numeric_columns_[linked[unmet][0]]
        _, intercept, slope, _ = linked[unmet]
        return ranges, (f" ({child} is computed from {parent}, {child} = {intercept:g} + "
                        f"{slope:g} * {parent}, and no value of {parent} puts {child} inside its "
                        "range"
                        + (f" with {parent} inside its own" if linked[unmet][0] in ranges else "")
                        + ")")

    def _range(self, name: str, low, high) -> tuple[float, float]:
        """The region's ``low <= x < high`` as closed bounds (integers: the integers inside)."""
        low = -np.inf if low is None else float(low)
        high = np.inf if high is None else float(high)
        if name in self.integer_columns_:
            return float(math.ceil(low)) if np.isfinite(low) else low, \
                float(math.ceil(high) - 1) if np.isfinite(high) else high
        return low, float(np.nextafter(high, -np.inf)) if np.isfinite(high) else high

    def _members_in(self, leaves: dict, j: int, low: float, high: float):
        """Per leaf: the real rows with column ``j`` in ``[low, high]``, and how many."""
        v = leaves["values"][leaves["members"], j]
        inside = (v >= low) & (v <= high)
        leaf_of = np.repeat(np.arange(len(leaves["count"])), leaves["count"])
        count = np.bincount(leaf_of[inside], minlength=len(leaves["count"]))
        return leaves["members"][inside], count

    def describe(self) -> dict:
        out = super().describe()
        if hasattr(self, "fit_report_"):
            out["fit"] = self.fit_report_  # "training" is the deep pathways' epochs
            out["acceptance"] = self.acceptance_
        return out


def _within_leaves(clf, x: np.ndarray, n: int, rng: np.random.RandomState) -> np.ndarray:
    """``n`` rows: a tree uniformly, a leaf by real coverage, each column from the leaf's rows."""
    ids = clf.apply(x)
    trees = rng.randint(ids.shape[1], size=n)
    anchor = rng.randint(len(x), size=n)  # a real row picks its leaf with prob. = coverage
    leaf = ids[anchor, trees]
    out = np.empty((n, x.shape[1]))
    for t in np.unique(trees):
        rows_t = np.flatnonzero(trees == t)
        order = np.argsort(ids[:, t], kind="stable")
        sorted_ids = ids[order, t]
        first = np.searchsorted(sorted_ids, leaf[rows_t], side="left")
        size = np.searchsorted(sorted_ids, leaf[rows_t], side="right") - first
        for j in range(x.shape[1]):
            pick = order[first + (rng.random_sample(len(rows_t)) * size).astype(int)]
            out[rows_t, j] = x[pick, j]
    return out


def _boxes(clf, offsets: np.ndarray, nodes: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the first ``p`` columns for the global node ids ``nodes``."""
    lo = np.full((len(nodes), p), -np.inf)
    hi = np.full((len(nodes), p), np.inf)
    if not p:
        return lo, hi
    tree_of = np.searchsorted(offsets, nodes, side="right") - 1
    for t, est in enumerate(clf.estimators_):
        tree = est.tree_
        k = tree.node_count
        low, high = np.full((k, p), -np.inf), np.full((k, p), np.inf)
        left, right = tree.children_left, tree.children_right
        feature, threshold = tree.feature, tree.threshold
        frontier = np.array([0])
        while len(frontier):
            split = frontier[left[frontier] >= 0]
            if not len(split):
                break
            lc, rc = left[split], right[split]
            low[lc], high[lc] = low[split], high[split]
            low[rc], high[rc] = low[split], high[split]
            f, thr = feature[split], threshold[split]
            num = f < p
            high[lc[num], f[num]] = np.minimum(high[split[num], f[num]], thr[num])
            low[rc[num], f[num]] = np.maximum(low[split[num], f[num]], thr[num])
            frontier = np.r_[lc, rc]
        mine = tree_of == t
        local = nodes[mine] - offsets[t]
        lo[mine], hi[mine] = low[local], high[local]
    return lo, hi


def _normal_mass(leaves: dict, j: int, low: float, high: float) -> np.ndarray:
    """Share of each leaf's truncated normal on column ``j`` inside ``[low, high]``."""
    from scipy.special import ndtr

    mean, sd = leaves["mean"][:, j], leaves["sd"][:, j]
    lo, hi = leaves["lo"][:, j], leaves["hi"][:, j]
    a, b = np.maximum(lo, low), np.minimum(hi, high)
    with np.errstate(all="ignore"):
        point = ~(sd > 0)
        z = lambda v: (v - mean) / np.where(point, 1.0, sd)  # noqa: E731
        whole = ndtr(z(hi)) - ndtr(z(lo))
        part = np.where(b >= a, ndtr(z(b)) - ndtr(z(a)), 0.0)
        share = np.where(whole > 0, part / whole, (b >= a).astype(float))
        share = np.where(point, ((mean >= low) & (mean <= high)).astype(float), share)
    return np.nan_to_num(share, nan=0.0)


def _draw_truncnorm(leaves: dict, j: int, leaf: np.ndarray, low: float, high: float,
                    rng: np.random.RandomState) -> np.ndarray:
    """Column ``j`` for rows in ``leaf``: the leaf's normal truncated to box ∩ [low, high]."""
    from scipy.special import ndtr, ndtri

    mean, sd = leaves["mean"][leaf, j], leaves["sd"][leaf, j]
    a = np.maximum(leaves["lo"][leaf, j], low)
    b = np.minimum(leaves["hi"][leaf, j], high)
    u = rng.random_sample(len(leaf))
    with np.errstate(all="ignore"):
        point = ~(sd > 0)
        s = np.where(point, 1.0, sd)
        fa, fb = ndtr((a - mean) / s), ndtr((b - mean) / s)
        values = mean + s * ndtri(fa + u * (fb - fa))
        # where the normal has no mass left in [a, b] (far tails) draw uniformly in it
        flat = ~np.isfinite(values) | (fb - fa <= 1e-12)
        values = np.where(flat, np.where(np.isfinite(a) & np.isfinite(b), a + u * (b - a),
                                         np.clip(mean, a, b)), values)
        values = np.where(point, mean, np.clip(values, a, b))
    return values


def _draw_rows(leaves: dict, leaf: np.ndarray, rng, integer: np.ndarray,
               ranges: dict | None = None, allowed: dict | None = None,
               members: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One row per entry of ``leaf``: numeric values and category codes, every column drawn
    independently from the leaf's distributions (inside ``ranges`` / ``allowed`` when given)
    except linked columns, computed from their parent's draw (a pinned one's range is on
    its parent too: :func:`_through_links`)."""
    ranges, allowed, members = ranges or {}, allowed or {}, members or {}
    n, p, alpha = len(leaf), len(leaves["empirical"]), leaves.get("empirical_alpha", 0.0)
    num = np.empty((n, p))
    for j in range(p):
        low, high = ranges.get(j, (-np.inf, np.inf))
        if leaves["empirical"][j]:
            values = _draw_empirical(leaves, j, leaf, members.get(j), rng, alpha, low, high)
        else:
            values = _draw_truncnorm(leaves, j, leaf, low, high, rng)
            if j not in ranges:
                values[rng.random_sample(n) < leaves["missing"][leaf, j]] = np.nan
        if integer[j]:
            values = np.round(values)
            if j in ranges:  # rounding stays inside the integers of the range
                values = np.clip(values, *ranges[j])
        num[:, j] = values
    for j, (i, intercept, slope, decimals) in leaves.get("linked", {}).items():
        values = intercept + slope * num[:, i]
        values = np.round(values, decimals) if decimals is not None else values
        if j in ranges:  # its parent was drawn inside the mapped range (_through_links); the
            values = np.clip(values, *ranges[j])  # clip only absorbs floating-point error
        num[:, j] = values
    cat = np.empty((n, len(leaves["categorical"])), dtype=int)
    for j, freq in enumerate(leaves["categorical"]):
        prob = freq[leaf]
        if j in allowed:
            prob = prob * allowed[j]
        cum = np.cumsum(prob, axis=1)
        u = rng.random_sample(n) * cum[:, -1]
        cat[:, j] = np.minimum((cum <= u[:, None]).sum(axis=1), prob.shape[1] - 1)
    return num, cat


def _decimals(v: np.ndarray) -> int | None:
    """Fewest decimals (0-6) every value of ``v`` is written with; None: more."""
    for d in range(7):
        if np.all(np.abs(v - np.round(v, d)) <= 1e-9 * np.maximum(1.0, np.abs(v))):
            return d
    return None


def _linked(x: np.ndarray) -> dict[int, tuple[int, float, float, int | None]]:
    """Numeric columns that are an exact affine function of an earlier one on the class's
    rows (a charge = minutes x a rate, rounded to cents): ``{child: (parent, intercept,
    slope, decimals)}``. Drawn independently inside a leaf, such a pair breaks its
    relation in every row, which any discriminator sees; drawn as the fit of its
    parent's draw it keeps it. A parent is never itself a child."""
    out: dict = {}
    for j in range(x.shape[1]):
        v, ok = x[:, j], ~np.isnan(x[:, j])
        if ok.sum() < LINK_MIN_ROWS or len(np.unique(v[ok])) < LINK_MIN_VALUES:
            continue
        decimals = _decimals(v[ok])
        step = 10.0 ** -decimals if decimals is not None else 0.0
        if step > 0.01 * np.ptp(v[ok]):  # too coarse for a rounding step to tell a fit
            continue
        for i in range(j):
            u = x[:, i]
            if i in out or not np.array_equal(np.isnan(u), ~ok) \
                    or len(np.unique(u[ok])) < LINK_MIN_VALUES:
                continue
            with np.errstate(all="ignore"):  # a cheap screen before the fit
                if not abs(np.corrcoef(u[ok], v[ok])[0, 1]) > 0.99:
                    continue
            slope, intercept = np.polyfit(u[ok], v[ok], 1)
            fit = intercept + slope * u[ok]
            if decimals is not None:
                fit = np.round(fit, decimals)
            miss = np.abs(fit - v[ok])
            exact = miss <= 1e-9 * np.maximum(1.0, np.abs(v[ok])) + step / 2
            if exact.mean() >= LINK_SHARE and miss.max() <= step + 1e-9 * np.abs(v[ok]).max():
                out[j] = (i, float(intercept), float(slope), decimals)
                break
    return out


def _through_links(ranges: dict, linked: dict, integer: np.ndarray) -> tuple[dict, int | None]:
    """``ranges`` (closed bounds by numeric column) with every pinned linked child's range
    mapped onto its parent: the parent values whose computed child (the fit, rounded to
    the child's decimals; a negative slope flips the interval) lies inside it,
    intersected with the parent's own range (if any) and, for an integer parent, the
    integers inside. The child keeps the closed bounds of the values it can take (its
    range's multiples of its rounding step). Returns the ranges and None, or ``ranges``
    unchanged and the first child whose range no parent value meets (an empty region)."""
    out = dict(ranges)
    for j, (i, intercept, slope, decimals) in linked.items():
        if j not in ranges:
            continue
        child, fit = _child_fit_range(*ranges[j], decimals)
        link = (intercept, slope, decimals)
        if slope == 0:  # a constant child: every parent value or none
            low, high = (-np.inf, np.inf) if child[0] <= _link_value(0.0, *link) <= child[1] \
                else (np.inf, -np.inf)
        else:
            with np.errstate(all="ignore"):  # infinite bounds map to infinite ones
                low, high = sorted(((fit[0] - intercept) / slope, (fit[1] - intercept) / slope))
        if integer[i]:
            low, high = _parent_integers(low, high, child, link)
        own = out.get(i, (-np.inf, np.inf))
        low, high = max(low, own[0]), min(high, own[1])
        if not child[0] <= child[1] or not low <= high:
            return ranges, j
        out[i], out[j] = (float(low), float(high)), child
    return out, None


def _link_value(parent: float, intercept: float, slope: float, decimals: int | None) -> float:
    """The linked child computed from one parent value, as :func:`_draw_rows` computes it."""
    value = intercept + slope * np.array([float(parent)])
    return float((np.round(value, decimals) if decimals is not None else value)[0])


def _parent_integers(low: float, high: float, child: tuple, link: tuple) -> tuple[float, float]:
    """The integers of ``[low, high]`` (a parent interval mapped from a child's range a
    millionth of a step inside its rounding boundaries), widened by one and narrowed to
    those whose computed child lies in ``child``: an integer parent can sit exactly on
    a rounding tie, which only computing the child decides (monotone in the parent, so
    checking the ends suffices)."""
    inside = lambda p: child[0] <= _link_value(p, *link) <= child[1]  # noqa: E731
    if np.isfinite(low):
        low = math.floor(low) - 1
        while low <= high and not inside(low):
            low += 1
    if np.isfinite(high):
        high = math.ceil(high) + 1
        while high >= low and not inside(high):
            high -= 1
    return low, high


def _child_fit_range(low: float, high: float, decimals: int | None
                     ) -> tuple[tuple[float, float], tuple[float, float]]:
    """A linked child's closed range ``[low, high]``: the closed bounds of the values it can
    take (rounded to ``decimals``: the range's multiples of the step, as ``np.round``
    writes them) and the interval its unrounded fit must lie in to round into them
    (a millionth of a step inside the rounding boundaries, so ties and floating-point
    error never round out)."""
    if decimals is None:
        return (low, high), (low, high)
    scale = 10.0 ** decimals
    value = (lambda k: k / scale) if decimals > 0 else (lambda k: float(k))  # as np.round
    lo_k, hi_k = low, high
    if np.isfinite(low):
        lo_k = math.ceil(low * scale)
        lo_k += int(value(lo_k) < low) - int(value(lo_k - 1) >= low)
    if np.isfinite(high):
        hi_k = math.floor(high * scale)
        hi_k += int(value(hi_k + 1) <= high) - int(value(hi_k) > high)
    child = (value(lo_k) if np.isfinite(lo_k) else lo_k,
             value(hi_k) if np.isfinite(hi_k) else hi_k)
    fit = ((lo_k - 0.5 + 1e-6) / scale if np.isfinite(lo_k) else lo_k,
           (hi_k + 0.5 - 1e-6) / scale if np.isfinite(hi_k) else hi_k)
    return child, fit


def _box_span(leaves: dict, j: int, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Per leaf: first position and number of the class's sorted values of column ``j``
    inside the leaf's box ``(lo, hi]`` and inside ``[low, high]``."""
    v = leaves["sorted"][:, j]
    v = v[~np.isnan(v)]
    lo, hi = leaves["box"][0][:, j], leaves["box"][1][:, j]
    start = np.maximum(np.searchsorted(v, lo, side="right"), np.searchsorted(v, low, "left"))
    end = np.minimum(np.searchsorted(v, hi, side="right"), np.searchsorted(v, high, "right"))
    return start, np.maximum(end - start, 0)


def _empirical_mass(leaves: dict, j: int, members, low: float, high: float,
                    alpha: float) -> np.ndarray:
    """Per leaf: the share of its column-``j`` distribution inside ``[low, high]``: its own
    rows (weight: their number) mixed with ``alpha`` pseudo-rows drawn from the class's
    values inside its box, missing as often as in the class (never inside a range)."""
    count = leaves["count"]
    if not alpha > 0:
        return members[1] / count
    _, inside = _box_span(leaves, j, low, high)
    _, box = _box_span(leaves, j, -np.inf, np.inf)
    prior = np.divide(inside, box, out=np.zeros(len(box)), where=box > 0)
    prior *= 1 - leaves["class_missing"][j]
    weight = np.where(box > 0, alpha, 0.0)
    return (members[1] + weight * prior) / (count + weight)


def _draw_empirical(leaves: dict, j: int, leaf: np.ndarray, members, rng, alpha: float = 0.0,
                    low: float = -np.inf, high: float = np.inf) -> np.ndarray:
    """Column ``j``: a real value of the leaf (of its rows inside a range when ``members``);
    with ``alpha`` > 0, from the leaf's rows or, with probability ``alpha / (rows + alpha)``
    (rows: the leaf's rows inside the range), a pseudo-row: a class value inside the leaf's
    box (and range), missing as often as in the class (outside a range), so the drawn
    missing share is the smoothed ``leaves["missing"]``."""
    if members is None:
        start, count, rows = leaves["start"][leaf], leaves["count"][leaf], leaves["members"]
    else:
        rows, per_leaf = members
        count = per_leaf[leaf]
        start = np.r_[0, np.cumsum(per_leaf)[:-1]][leaf]
    u = rng.random_sample(len(leaf))
    values = np.full(len(leaf), np.nan)
    if len(rows):  # none: every leaf's mass in the range is its pseudo-rows'
        pick = rows[np.minimum(start + (u * count).astype(int), len(rows) - 1)]
        values = leaves["values"][pick, j].astype(float)
    if not alpha > 0:
        return values
    box_start, box_count = _box_span(leaves, j, low, high)
    box_start, box_count = box_start[leaf], box_count[leaf]
    whole = _box_span(leaves, j, -np.inf, np.inf)[1][leaf]
    # the pseudo-rows' weight inside the range, as in _empirical_mass: alpha x the share of
    # the box's class values that fall inside it (x the present share: NaN is outside)
    miss = float(leaves["class_missing"][j])
    weight = alpha * np.divide(box_count, whole, out=np.zeros(len(leaf)), where=whole > 0)
    if members is not None:
        weight *= 1 - miss
    prior = rng.random_sample(len(leaf)) * (count + weight) >= count
    v = leaves["sorted"][:, j]
    at = box_start + (rng.random_sample(len(leaf)) * box_count).astype(int)
    values[prior] = v[np.minimum(at[prior], len(v) - 1)]
    if members is None and miss > 0:
        values[prior & (rng.random_sample(len(leaf)) < miss)] = np.nan
    return values


def _smoothed(leaves: dict, x: np.ndarray, p: int, alpha: float, scope: str = "all") -> dict:
    """``leaves`` with ``alpha`` recorded and, when it is > 0, the distributions of the
    columns in ``scope`` (one of ``SCOPES``) mixed (:func:`_smooth`; the arrays it changes
    are copied, the rest shared). ``empirical_alpha``: the pseudo-rows of empirical draws
    (0 unless ``scope`` takes in the empirical columns)."""
    smoothed = scope if alpha > 0 else "none"
    out = dict(leaves, alpha=float(alpha), smoothed=smoothed,
               empirical_alpha=float(alpha) if smoothed in ("discrete", "all") else 0.0)
    if alpha > 0:
        out.update(mean=leaves["mean"].copy(), sd=leaves["sd"].copy(),
                   missing=leaves["missing"].copy(),
                   categorical=[f.copy() for f in leaves["categorical"]])
        _smooth(out, x, p, float(alpha), scope)
    return out


def _smooth(leaves: dict, x: np.ndarray, p: int, alpha: float, scope: str) -> None:
    """Mix every leaf's distributions with ``alpha`` pseudo-rows that follow the class's real
    rows inside the leaf's box (``alpha``): a leaf of few rows borrows from the class
    instead of reproducing its own rows. Category shares and missing shares become the
    mixture's (an empirical column's draws follow it: :func:`_draw_empirical`); a truncated
    normal gets the mixture's mean and standard deviation."""
    n = len(x)
    box_lo, box_hi = leaves["box"]
    count, n_valid = leaves["count"].astype(float), leaves["n_valid"]
    for j in range(p):  # numeric columns: empirical ones from "discrete" on, the rest "all"
        if SCOPES.index(scope) < (1 if leaves["empirical"][j] else 2):
            continue
        v = x[:, j]
        miss = float(np.isnan(v).mean())
        v = np.sort(v[~np.isnan(v)])
        if not len(v):  # all missing: the leaves' missing share is already 1
            continue
        s1, s2 = np.r_[0, np.cumsum(v)], np.r_[0, np.cumsum(v * v)]
        a = np.searchsorted(v, box_lo[:, j], side="right")
        b = np.searchsorted(v, box_hi[:, j], side="right")
        m = (b - a).astype(float)
        w = np.where(m > 0, alpha, 0.0)
        # an empirical column draws pseudo-rows only where the box holds class values
        pseudo = w if leaves["empirical"][j] else alpha
        leaves["missing"][:, j] = (count * leaves["missing"][:, j] + pseudo * miss) / (count
                                                                                      + pseudo)
        with np.errstate(all="ignore"):
            mb = np.where(m > 0, (s1[b] - s1[a]) / m, 0.0)
            e2b = np.where(m > 0, (s2[b] - s2[a]) / m, 0.0)
            k = n_valid[:, j]
            mean_l = np.nan_to_num(leaves["mean"][:, j])
            sd_l = np.nan_to_num(leaves["sd"][:, j])
            e2l = sd_l ** 2 * np.maximum(k - 1, 0) / np.maximum(k, 1) + mean_l ** 2
            total = k + w
            mean = np.where(total > 0, (k * mean_l + w * mb) / total, leaves["mean"][:, j])
            e2 = np.where(total > 0, (k * e2l + w * e2b) / total, np.nan)
            sd = np.sqrt(np.maximum(e2 - mean ** 2, 0.0))
        leaves["mean"][:, j] = mean
        leaves["sd"][:, j] = np.where(total > 0, sd, leaves["sd"][:, j])
    for j, freq in enumerate(leaves["categorical"]):  # every scope takes in categorical ones
        k = freq.shape[1]
        codes = np.arange(k)
        prior = np.bincount(x[:, p + j].astype(int), minlength=k) / n
        inside = (codes[None, :] > box_lo[:, p + j, None]) & (codes[None, :] <= box_hi[:, p + j,
                                                                                       None])
        prior = prior[None, :] * inside
        total = prior.sum(axis=1, keepdims=True)
        prior = np.divide(prior, total, out=np.zeros_like(prior), where=total > 0)
        w = np.where(total[:, 0] > 0, alpha, 0.0)[:, None]
        leaves["categorical"][j] = (count[:, None] * freq + w * prior) / (count[:, None] + w)


def _how(region: Region) -> str:
    if not region.categories and not region.ranges:
        return "exact: leaves of the class's forest by coverage"
    parts = [f"{c} in allowed categories" for c in region.categories]
    parts += [f"{c} in range" for c in region.ranges]
    return ("exact: leaves reweighted by their mass inside the region (" + ", ".join(parts)
            + "), pinned columns drawn inside it")
