"""ForestFlow (Jolicoeur-Martineau et al., AISTATS 2024) through the ``forestdiffusion`` package.

One ``ForestDiffusionModel`` is fitted on the real rows of the classes to grow
with ``label_y`` set to the class, so the package trains one set of gradient-
boosted trees per class (and per noise level). A class is sampled by the
package's own means: its class probabilities are set to that class alone for
the call, so every row comes from that class's flow (no rejection).

A region that also pins categories or numeric ranges (``targeting="condition"``)
is aimed at through the package's other conditioning input, ``X_covs``
(covariates every tree sees, so the flow learns the rows given them): at fit
time every real row carries one 0/1 covariate per fitted sub-class region (is
it inside), and a region is sampled with the covariates of its own real rows
(drawn at random among them, so overlapping regions keep their joint
membership). The flow is not exact, so rows are still checked against the
region and the rest rejected within a budget of ``max_tries * n`` generated
rows; ``acceptance_`` records the rate. On a 6-row region of a 150-row class
(the tests' ``make_table(300, 150)``: ``grade == A and amount >= 175``) rejection of the
class's rows accepted 3% and covariate conditioning 80%. The package's other
route, ``impute`` (fix the pinned columns, fill in the rest), exists only for
``diffusion_type="vp"`` and takes values, not ranges. ``targeting="rejection"``
samples the class flow and rejects (the baseline).

The package one-hot encodes categorical columns and trains one tree ensemble
per output column and noise level, so its cost grows with the one-hot width;
a column with more than ``max_categories`` categories is refused before any
work. Generated rows have no missing values; a column's missing share in the
class is put back by blanking values at random at that rate
(``reinsert_missing``).

Install the extra: ``pip install "augment[forest]"``.
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import time

import numpy as np
import pandas as pd

from augment.errors import ConfigError
from augment.generators._dcr import DCR_TARGET
from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["ForestFlowGenerator"]

_MAX_BATCH = 20_000


class ForestFlowGenerator(BaseGenerator):
    """ForestFlow (flow matching with XGBoost), one model per class, through ``forestdiffusion``.

    CPU cost: at the package's defaults (``n_t=50, duplicate_K=100``, 100 trees)
    one 124-row, 7-column class (MASS Pima) took 202 s to fit on one loaded CPU
    thread (held-out two-sample AUC 0.57); the leaderboard's bounded setting
    (``n_t=10, duplicate_K=10``, 30 trees) took 7 s (AUC 0.60 over three seeds),
    and 63 s on credit_data's 423-row class with missing values (one ensemble
    per column). ``generator=arf`` fits the same tables in well under a second.

    Parameters
    ----------
    n_t : int
        Noise levels (one tree ensemble per level, class and, with missing
        values, column).
    duplicate_K : int
        Noise draws per real row in training.
    n_estimators, max_depth : int
        XGBoost trees per ensemble and their depth.
    diffusion_type : {"flow", "vp"}
        Flow matching (the paper's ForestFlow) or variance-preserving diffusion.
    max_categories : int
        Most categories a categorical column may have. The package one-hot encodes
        them and trains one ensemble per one-hot column and noise level, each on
        all one-hot columns, so fit time grows about quadratically with the total
        width: on a 300-row class (n_t=10, duplicate_K=10, 30 trees, one CPU
        thread, loaded machine) width 5 took 2.6 s, width 13 took 19 s and width 33
        took 147 s. Beyond 20 categories in one column, use
        ``generator=arf``, which splits categories without one-hot columns.
    targeting : {"condition", "rejection"}
        How regions that pin categories or ranges are aimed at: region-membership
        covariates (``X_covs``) plus rejection of what still falls outside, or
        rejection of the class flow's rows alone (module docstring).
    max_tries : int
        Budget for regions that pin categories or ranges: at most ``max_tries * n``
        rows generated per ``sample`` call.
    reinsert_missing : bool
        Blank values of each column at its missing share in the class.
    n_jobs : int
        Processes for the package's joblib fits.
    dcr_target : float in (0, 2] or None
        Rows sit no closer to the region's real rows than unseen real rows do, by this
        ratio of median distances: where they would, the base moves them the least that
        gets them there (:mod:`augment.generators._dcr`; ``dcr_``). None: the rows as drawn.
    random_state : int or None
        Seed; the same seed and table give the same rows.

    Attributes
    ----------
    fit_seconds_ : float
    acceptance_ : dict
        Per region: rows requested, generated, accepted, delivered, the rate and how.
    """

    name = "forest_flow"
    moves_to_dcr = True
    min_class_rows = 5

    def __init__(self, n_t: int = 50, duplicate_K: int = 100, n_estimators: int = 100,
                 max_depth: int = 7, diffusion_type: str = "flow", max_categories: int = 20,
                 targeting: str = "condition", max_tries: int = 50,
                 reinsert_missing: bool = True, n_jobs: int = 1,
                 dcr_target: float | None = DCR_TARGET, random_state: int | None = None):
        self.n_t = n_t
        self.duplicate_K = duplicate_K
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.diffusion_type = diffusion_type
        self.max_categories = max_categories
        self.targeting = targeting
        self.max_tries = max_tries
        self.reinsert_missing = reinsert_missing
        self.n_jobs = n_jobs
        self.dcr_target = dcr_target
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state
        for name, low in (("n_t", 2), ("duplicate_K", 1), ("n_estimators", 1), ("max_depth", 1),
                          ("max_categories", 2), ("max_tries", 1)):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                problems.append(f"forest_flow {name} must be an integer >= {low}; got {value!r}. "
                                f"Fix: generator.{name}=<integer >= {low}>.")
        if not isinstance(self.n_jobs, numbers.Integral) or isinstance(self.n_jobs, bool) or (
                self.n_jobs == 0 or self.n_jobs < -1):
            problems.append(f"forest_flow n_jobs must be an integer >= 1 or -1; got "
                            f"{self.n_jobs!r}. Fix: generator.n_jobs=1.")
        if self.diffusion_type not in ("flow", "vp"):
            problems.append(f"forest_flow diffusion_type must be one of ['flow', 'vp']; got "
                            f"{self.diffusion_type!r}. Fix: generator.diffusion_type=flow.")
        if importlib.util.find_spec("ForestDiffusion") is None:
            problems.append("generator=forest_flow needs the forestdiffusion package, which is not "
                            'installed. Fix: pip install "augment[forest]", or use generator=arf.')
        if self.targeting not in ("condition", "rejection"):
            problems.append(f"forest_flow targeting must be one of ['condition', 'rejection']; "
                            f"got {self.targeting!r}. Fix: generator.targeting=condition.")
        if not isinstance(self.reinsert_missing, bool):
            problems.append(f"forest_flow reinsert_missing must be true or false; got "
                            f"{self.reinsert_missing!r}.")
        return problems

    def check_table(self, table, schema, regions=None) -> list[str]:
        problems = super().check_table(table, schema, regions)
        if isinstance(self.max_categories, numbers.Integral):
            for name in schema.categorical:
                k = table[name].nunique(dropna=False)
                if k > self.max_categories:
                    problems.append(
                        f"forest_flow one-hot encodes categorical columns and trains one tree "
                        f"ensemble per one-hot column and noise level; column '{name}' has {k} "
                        f"categories, more than max_categories={self.max_categories}. Fix: use "
                        "generator=arf (no one-hot), merge rare categories, drop the column, or "
                        f"raise generator.max_categories (fit time grows about quadratically "
                        "with the one-hot width).")
        return problems

    def _fit(self, table: pd.DataFrame) -> None:
        try:
            from ForestDiffusion import ForestDiffusionModel
        except ImportError as exc:
            raise ConfigError(
                "generator=forest_flow needs the forestdiffusion package, which is not installed. "
                'Fix: pip install "augment[forest]" (or pip install forestdiffusion), or use '
                "generator=arf.") from exc
        start = time.perf_counter()
        schema = self.schema_
        target = table[schema.target].to_numpy()
        rows = table[np.isin(target, np.array(self.labels_, dtype=object))]
        y = rows[schema.target].to_numpy()
        self.numeric_columns_ = schema.numeric
        self.categorical_columns_ = schema.categorical
        x, self.codes_ = self._encode(rows)
        keep = ~np.isnan(x).all(axis=1)  # the package drops such rows from x, not from X_covs
        rows, x, y = rows[keep], x[keep], y[keep]
        # one 0/1 covariate per fitted sub-class region (targeting="condition")
        sub = [r for r in self.regions_.values() if (r.categories or r.ranges)] \
            if self.targeting == "condition" else []
        self.covariate_regions_ = [r.id for r in sub]
        covs = (np.column_stack([r.contains(rows).to_numpy() for r in sub]).astype(float)
                if sub else None)
        self._covs = {label: covs[y == label] for label in self.labels_} if sub else {}
        p = len(self.numeric_columns_)
        cat_idx, bin_idx = [], []
        for j, name in enumerate(self.categorical_columns_):
            k = len(self.codes_[name])
            (bin_idx if k <= 2 else cat_idx).append(p + j)
        int_idx = [self.numeric_columns_.index(c) for c in schema.names("integer")]
        self.class_codes_ = {label: float(i) for i, label in enumerate(self.labels_)}
        label_y = np.array([self.class_codes_[v] for v in y])
        self.missing_ = {label: rows.loc[y == label, schema.features].isna().mean().to_dict()
                         for label in self.labels_}
        state = np.random.get_state()  # the package seeds numpy's global generator
        try:
            self.model_ = ForestDiffusionModel(
                x, X_covs=covs, label_y=label_y, n_t=self.n_t, duplicate_K=self.duplicate_K,
                n_estimators=self.n_estimators, max_depth=self.max_depth,
                diffusion_type=self.diffusion_type, cat_indexes=cat_idx, bin_indexes=bin_idx,
                int_indexes=int_idx, n_jobs=self.n_jobs,
                seed=int(self._rng.randint(np.iinfo(np.int32).max)))
        finally:
            np.random.set_state(state)
        self.acceptance_ = {}
        self.fit_seconds_ = round(time.perf_counter() - start, 3)

    def _encode(self, rows: pd.DataFrame) -> tuple[np.ndarray, dict]:
        """Numbers as floats; each categorical column as dense codes 0..k-1 (missing: a code)."""
        cols, codes = [], {}
        for name in self.numeric_columns_:
            cols.append(pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float))
        for name in self.categorical_columns_:
            values, uniques = pd.factorize(rows[name], sort=False, use_na_sentinel=False)
            order = np.argsort([str(u) for u in uniques], kind="stable")
            rank = np.empty(len(order), dtype=int)
            rank[order] = np.arange(len(order))
            codes[name] = [uniques[i] for i in order]
            cols.append(rank[values].astype(float))
        return np.column_stack(cols), codes

    def _decode(self, x: np.ndarray) -> pd.DataFrame:
        out = {}
        for j, name in enumerate(self.numeric_columns_):
            out[name] = x[:, j]
        p = len(self.numeric_columns_)
        for j, name in enumerate(self.categorical_columns_):
            values = np.array([*self.codes_[name]], dtype=object)
            idx = np.clip(np.round(x[:, p + j]).astype(int), 0, len(values) - 1)
            out[name] = pd.Series(values[idx]).where(pd.notna(values[idx]), np.nan).to_numpy()
        return pd.DataFrame(out)

    def _covariates(self, region: Region, k: int, rng: np.random.RandomState):
        """``k`` covariate rows for ``region``: those of its real rows (of its class's rows
        when it has none or was not fitted), or None when the model has no covariates."""
        if not self.covariate_regions_:
            return None
        pool = self._covs[region.label]
        if region.id in self.covariate_regions_:
            inside = pool[:, self.covariate_regions_.index(region.id)] == 1
            pool = pool[inside] if inside.any() else pool
        return pool[rng.randint(len(pool), size=k)]

    def _generate(self, label, k: int, rng: np.random.RandomState,
                  covs: np.ndarray | None = None) -> pd.DataFrame:
        """``k`` rows of ``label``'s flow: the package's class probabilities set to that class
        (and the covariates ``covs``, one row per generated row, when the model has them)."""
        model = self.model_
        probs = model.y_probs
        model.y_probs = (model.y_uniques == self.class_codes_[label]).astype(float)
        state = np.random.get_state()
        np.random.seed(int(rng.randint(np.iinfo(np.int32).max)))
        try:
            x = model.generate(batch_size=k, X_covs=covs)[:, :-1]
        finally:
            model.y_probs = probs
            np.random.set_state(state)
        rows = self._decode(x)
        if self.reinsert_missing:
            for name, share in self.missing_[label].items():
                if share > 0:
                    rows.loc[rng.random_sample(k) < share, name] = np.nan
        return rows

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        rng = np.random.RandomState(seed)
        stats = self.acceptance_.setdefault(region.id, {
            "requested": 0, "delivered": 0, "generated": 0, "accepted": 0, "rate": None,
            "how": None})
        pinned = bool(region.categories or region.ranges)
        aimed = pinned and region.id in self.covariate_regions_
        stats["how"] = ("class flow (label_y), exact" if not pinned else
                        "class flow (label_y)"
                        + (" + region covariates (X_covs of the region's real rows)" if aimed
                           else "")
                        + " + rejection outside the region's "
                        + ", ".join([*region.categories, *region.ranges]))
        budget = max(int(self.max_tries) * n, 1000) if pinned else n
        rate = stats["accepted"] / stats["generated"] if stats["generated"] else 1.0
        kept, n_kept, generated = [], 0, 0
        while n_kept < n and generated < budget:
            margin = 1.1 if generated else 1.0
            want = math.ceil((n - n_kept) / max(rate, 0.002) * margin)
            k = int(min(max(want, 16 if pinned else 1), _MAX_BATCH, budget - generated))
            rows = self._generate(region.label, k, rng, self._covariates(region, k, rng))
            generated += k
            rows[self.schema_.target] = region.label
            inside = rows[region.contains(rows).to_numpy()] if pinned else rows
            kept.append(inside)
            n_kept += len(inside)
            rate = max(n_kept / generated, 1e-4)
        stats["requested"] += n
        stats["generated"] += generated
        stats["accepted"] += n_kept
        stats["delivered"] += min(n_kept, n)
        stats["rate"] = round(stats["accepted"] / stats["generated"], 4)
        if n_kept < n:
            stats["shortfall"] = (
                f"{n_kept} of {n} rows inside region {region.id} after {generated} generated "
                f"(budget max_tries={self.max_tries}). Fix: raise generator.max_tries or use "
                "generator=arf, which samples regions exactly.")
        out = pd.concat(kept, ignore_index=True).iloc[:n]
        return out.drop(columns=[self.schema_.target])

    def describe(self) -> dict:
        out = super().describe()
        if hasattr(self, "fit_seconds_"):
            out["fit"] = {"fit_seconds": self.fit_seconds_}
            out["acceptance"] = self.acceptance_
        return out
