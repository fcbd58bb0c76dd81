"""Marginal similarity of kept rows to the real rows of the same region."""

from __future__ import annotations

import pandas as pd

from augment.data import as_text
from augment.gates.base import BatchGate, BatchResult, mean_score_result

__all__ = ["MarginalGate"]


class MarginalGate(BatchGate):
    """Per column: 1 - KS statistic (numeric) or 1 - total variation distance (categorical).

    Both come from sdmetrics (``KSComplement``, ``TVComplement``); 1 means the
    distributions match. The batch passes when the mean over columns is at
    least ``min_score``.

    Parameters
    ----------
    min_score : float in [0, 1]
        Pass threshold on the mean column score.
    """

    name = "marginal"

    def __init__(self, min_score: float = 0.8):
        self.min_score = min_score

    def check_params(self) -> list[str]:
        if not isinstance(self.min_score, (int, float)) or not 0 <= self.min_score <= 1:
            return [f"marginal min_score must be in [0, 1]; got {self.min_score!r}."]
        return []

    def _threshold(self) -> float:
        return float(self.min_score)

    @staticmethod
    def column_scores(real: pd.DataFrame, synthetic: pd.DataFrame, schema) -> dict[str, float]:
        """``{column: score}`` for every feature column."""
        from sdmetrics.single_column import KSComplement, TVComplement

        scores = {}
        for col in schema.columns.values():
            if col.is_numeric:
                value = KSComplement.compute(pd.to_numeric(real[col.name], errors="coerce"),
                                             pd.to_numeric(synthetic[col.name], errors="coerce"))
            else:
                value = TVComplement.compute(as_text(real[col.name]).iloc[:, 0],
                                             as_text(synthetic[col.name]).iloc[:, 0])
            scores[col.name] = float(value)
        return scores

    def _check(self, real, synthetic, schema, region) -> BatchResult:
        return mean_score_result(self.name, region, self.column_scores(real, synthetic, schema),
                                 self.min_score, "column", "columns")
