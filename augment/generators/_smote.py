"""imbalanced-learn SMOTE / SMOTE-NC / SMOTE-N as a baseline pathway."""

from __future__ import annotations

import pandas as pd

from augment.generators._dcr import DCR_TARGET
from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["SMOTEGenerator"]


class SMOTEGenerator(BaseGenerator):
    """Interpolate between real rows of a class and their class neighbours.

    Uses imbalanced-learn's ``SMOTE`` when every feature is numeric, ``SMOTENC``
    for mixed tables and ``SMOTEN`` when every feature is categorical. Integer
    columns are rounded after interpolation. For a sub-class region, rows are
    interpolated between members of the region only.

    Parameters
    ----------
    k_neighbors : int
        Neighbours used for interpolation; a class needs ``k_neighbors + 1`` rows.
    dcr_target : float in (0, 2] or None
        Rows sit no closer to the region's real rows than unseen real rows do, by this
        ratio of median distances: where they would, the base moves them the least that
        gets them there (:mod:`augment.generators._dcr`; ``dcr_``). None: the rows as drawn.
        SMOTE's rows lie between real rows and their neighbours, closer to them than unseen
        rows (DCR ratio 0.14-0.83 before the move on docs/bench_fidelity.md's tables): the
        default moves them; ``dcr_target=None`` is imbalanced-learn's SMOTE as published.
    random_state : int or None
        Seed; each ``sample`` call draws its own seed from it.
    """

    name = "smote"
    moves_to_dcr = True

    def __init__(self, k_neighbors: int = 5, dcr_target: float | None = DCR_TARGET,
                 random_state: int | None = None):
        self.k_neighbors = k_neighbors
        self.dcr_target = dcr_target
        self.random_state = random_state

    @property
    def min_class_rows(self) -> int:  # type: ignore[override]
        return int(self.k_neighbors) + 1 if isinstance(self.k_neighbors, int) else 2

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not isinstance(self.k_neighbors, int) or self.k_neighbors < 1:
            problems.append(f"smote k_neighbors must be an integer >= 1; got "
                            f"{self.k_neighbors!r}.")
        return problems

    def check_table(self, table, schema, regions=None):
        problems = super().check_table(table, schema, regions)
        missing = [c for c in schema.features if table[c].isna().any()]
        if missing:
            problems.append(
                f"SMOTE cannot use rows with missing values; columns {missing} have some. "
                "Fix: impute them first, or use generator=gaussian_copula."
            )
        return problems

    def _fit(self, table: pd.DataFrame) -> None:
        self.table_ = table.reset_index(drop=True)

    def _sampler(self, strategy: dict, seed: int):
        from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

        categorical = self.schema_.categorical
        common = dict(sampling_strategy=strategy, k_neighbors=int(self.k_neighbors),
                      random_state=seed)
        if not categorical:
            return SMOTE(**common)
        if len(categorical) == len(self.schema_.features):
            return SMOTEN(**common)
        return SMOTENC(categorical_features=categorical, **common)

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        features = self.schema_.features
        X = self.table_[features].copy()
        for name in self.schema_.categorical:  # SMOTE-NC wants plain comparable values
            X[name] = X[name].astype(str)
        y = self.table_[self.schema_.target]
        if region.kind != "class":  # interpolate between rows of the region only
            y = region.contains(self.table_).map({True: "__region__", False: "__rest__"})
            key = "__region__"
        else:
            key = region.label
        count = int((y == key).sum())
        X_res, _ = self._sampler({key: count + n}, seed).fit_resample(X, y)
        new = X_res.iloc[len(X):].reset_index(drop=True)
        for name in self.schema_.categorical:  # map strings back to the original values
            lookup = {str(v): v for v in self.schema_.columns[name].categories}
            new[name] = new[name].map(lookup)
        new[self.schema_.target] = region.label
        return new
