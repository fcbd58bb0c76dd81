"""Label agreement: the separate labeler must back the class a row was generated for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.errors import ConfigError
from augment.gates.base import RowGate, row_result

__all__ = ["LABEL_POLICIES", "LabelAgreementGate"]

LABEL_POLICIES = ("agree", "intended")


class LabelAgreementGate(RowGate):
    """Applies the label policy to the labeler's verdict on each row.

    Parameters
    ----------
    policy : {"agree", "intended"}
        ``agree`` keeps a row only when the labeler's label equals the class it
        was generated for and the labeler's probability of that class is at
        least ``min_confidence``. ``intended`` trusts the generator and keeps
        every row (a baseline for comparisons); scores are still recorded.
    min_confidence : float in [0, 1]
        Smallest probability of the intended class that ``agree`` accepts.

    ``score`` is the labeler's probability of the intended class.
    """

    name = "label"

    def __init__(self, policy: str = "agree", min_confidence: float = 0.6):
        self.policy = policy
        self.min_confidence = min_confidence

    def check_params(self) -> list[str]:
        problems = []
        if self.policy not in LABEL_POLICIES:
            problems.append(f"label policy must be one of {list(LABEL_POLICIES)}; got "
                            f"{self.policy!r}.")
        if not isinstance(self.min_confidence, (int, float)) or not (
                0.0 <= float(self.min_confidence) <= 1.0):
            problems.append(f"min_confidence must be in [0, 1]; got {self.min_confidence!r}.")
        return problems

    def fit(self, real, schema):
        problems = self.check_params()
        if problems:
            raise ConfigError("; ".join(problems))
        return super().fit(real, schema)

    def _check(self, rows: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
        if labels is None:
            raise ValueError("LabelAgreementGate.check needs the labeler's output as labels=")
        intended = rows[self.schema_.target]
        proba = np.array([labels.at[i, f"proba={c}"] for i, c in zip(rows.index, intended)],
                         dtype=float)
        said = labels["label"]
        agrees = (said.astype(str) == intended.astype(str)).to_numpy()
        confident = proba >= float(self.min_confidence)
        if self.policy == "intended":
            return row_result(rows.index, np.ones(len(rows), bool), proba, "")
        reason = [
            "" if a and c else
            (f"label: labeler says {s!r} (P={p_s:.2f}), generated as {i!r}" if not a else
             f"label: P({i!r})={p:.2f} < min_confidence {float(self.min_confidence):.2f}")
            for a, c, s, i, p, p_s in zip(agrees, confident, said, intended, proba,
                                          labels["confidence"])
        ]
        return row_result(rows.index, agrees & confident, proba, reason)
