"""Joint similarity: do pairs of columns relate in kept rows as they do in real rows?"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.data import as_text
from augment.gates.base import BatchGate, BatchResult, mean_score_result

__all__ = ["JointGate"]


class JointGate(BatchGate):
    """Mean pair similarity: correlation for numeric pairs, contingency for categorical pairs.

    Numeric pairs use sdmetrics' ``CorrelationSimilarity`` (``1 - |r_real - r_synth| / 2``),
    categorical pairs ``ContingencySimilarity`` (1 - total variation distance of the
    two-way tables). Only pairs within a kind are scored. To stay fast, at most
    ``max_pairs`` numeric pairs are scored (those most correlated in the real rows,
    where a broken relation matters most) and at most ``max_pairs`` categorical
    pairs (a random subset), each on at most ``max_rows`` rows per side. The batch
    passes when the mean over scored pairs is at least ``min_score``.

    Parameters
    ----------
    min_score : float in [0, 1]
        Pass threshold on the mean pair score.
    coefficient : {"Spearman", "Pearson"}
        Correlation coefficient for numeric pairs.
    max_pairs : int
        Most pairs of each kind scored.
    max_rows : int
        Rows per side, at most (subsampled).
    random_state : int or None
        Seed for subsampling rows and categorical pairs.
    """

    name = "joint"

    def __init__(self, min_score: float = 0.85, coefficient: str = "Spearman",
                 max_pairs: int = 30, max_rows: int = 5000, random_state: int | None = None):
        self.min_score = min_score
        self.coefficient = coefficient
        self.max_pairs = max_pairs
        self.max_rows = max_rows
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not isinstance(self.min_score, (int, float)) or not 0 <= self.min_score <= 1:
            problems.append(f"joint min_score must be in [0, 1]; got {self.min_score!r}.")
        if self.coefficient not in ("Spearman", "Pearson"):
            problems.append(f"joint coefficient must be 'Spearman' or 'Pearson'; got "
                            f"{self.coefficient!r}.")
        if not isinstance(self.max_pairs, int) or self.max_pairs < 1:
            problems.append(f"joint max_pairs must be an integer >= 1; got {self.max_pairs!r}.")
        if not isinstance(self.max_rows, int) or self.max_rows < self.min_rows:
            problems.append(f"joint max_rows must be an integer >= {self.min_rows}; got "
                            f"{self.max_rows!r}.")
        return problems

    def _threshold(self) -> float:
        return float(self.min_score)

    def pair_scores(self, real: pd.DataFrame, synthetic: pd.DataFrame, schema) -> dict[str, float]:
        """``{"a ~ b": score}`` for every scored pair."""
        from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity

        rng = check_random_state(self.random_state)
        if len(real) > self.max_rows:
            real = real.iloc[np.sort(rng.choice(len(real), self.max_rows, replace=False))]
        if len(synthetic) > self.max_rows:
            synthetic = synthetic.iloc[np.sort(rng.choice(len(synthetic), self.max_rows,
                                                          replace=False))]
        scores: dict[str, float] = {}
        num = [c for c in schema.numeric
               if pd.to_numeric(real[c], errors="coerce").nunique() > 1
               and pd.to_numeric(synthetic[c], errors="coerce").nunique() > 1]
        if len(num) >= 2:
            r_num = real[num].apply(pd.to_numeric, errors="coerce")
            s_num = synthetic[num].apply(pd.to_numeric, errors="coerce")
            corr = r_num.corr(method=self.coefficient.lower()).abs()
            pairs = sorted(itertools.combinations(num, 2),
                           key=lambda p: -np.nan_to_num(corr.at[p[0], p[1]]))[:self.max_pairs]
            for a, b in pairs:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        value = CorrelationSimilarity.compute(
                            r_num[[a, b]], s_num[[a, b]], coefficient=self.coefficient)
                    except Exception:  # constant after dropping missing values: not scorable
                        continue
                if np.isfinite(value):
                    scores[f"{a} ~ {b}"] = float(value)
        cat_pairs = list(itertools.combinations(schema.categorical, 2))
        if len(cat_pairs) > self.max_pairs:
            pick = np.sort(rng.choice(len(cat_pairs), self.max_pairs, replace=False))
            cat_pairs = [cat_pairs[i] for i in pick]
        if cat_pairs:
            r_cat, s_cat = as_text(real[schema.categorical]), as_text(synthetic[schema.categorical])
            for a, b in cat_pairs:
                value = ContingencySimilarity.compute(r_cat[[a, b]], s_cat[[a, b]])
                if np.isfinite(value):
                    scores[f"{a} ~ {b}"] = float(value)
        return scores

    def _check(self, real, synthetic, schema, region) -> BatchResult:
        scores = self.pair_scores(real, synthetic, schema)
        if not scores:
            return BatchResult(self.name, region, None, float(self.min_score), None,
                               "skipped: no numeric or categorical column pair to compare")
        return mean_score_result(self.name, region, scores, self.min_score, "pair", "pairs")
