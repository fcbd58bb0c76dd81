"""Gates: per-row checks (keep / score / reason for every row) and per-batch checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from augment.data import Schema
from augment.errors import ConfigError, NotFittedError, format_problems, random_state_problems

__all__ = ["BatchGate", "BatchResult", "RowGate", "mean_score_result", "row_result"]


def row_result(index: pd.Index, keep, score, reason) -> pd.DataFrame:
    """The frame every row gate returns: ``keep`` (bool), ``score`` (float), ``reason`` (str).

    ``reason`` is empty for kept rows.
    """
    out = pd.DataFrame({"keep": keep, "score": score, "reason": reason}, index=index)
    out["keep"] = out["keep"].astype(bool)
    out["score"] = out["score"].astype(float)
    out.loc[out["keep"], "reason"] = ""
    return out


class RowGate(BaseEstimator):
    """Checks every synthetic row on its own.

    ``fit(real, schema)`` learns what it needs from the real table (features and
    target); ``check(rows, labels)`` returns :func:`row_result`. ``labels`` is
    the labeler's output for the same rows (only label gates use it).

    ``cost`` orders the checks: the pipeline runs row gates cheapest first and
    sends each gate only the rows every earlier gate kept (ties keep the
    configured order), so an expensive gate sees few rows.
    """

    name: ClassVar[str] = "row"
    cost: ClassVar[int] = 2
    #: What the last ``check`` did, one dict per entry (bars, rounds); collected per
    #: region into the manifest. Gates with something to say set it in ``_check``.
    report_: ClassVar[list] = []

    def check_params(self) -> list[str]:
        """Problems with the parameters, found before any work (subclasses add theirs)."""
        return random_state_problems(self)

    def set_reference(self, real: pd.DataFrame | None, key: str | None = None) -> RowGate:
        """Hook: the real rows the next checked rows are aimed at (a sub-class region's
        rows; None: the whole class again). Gates that compare with real rows override it."""
        return self

    def accepted(self, rows: pd.DataFrame) -> None:
        """Hook: rows the pipeline kept after this gate's check (e.g. novelty remembers
        them, so a later copy counts as a repeat)."""

    def fit(self, real: pd.DataFrame, schema: Schema) -> RowGate:
        self.schema_ = schema
        self._fit(real)
        return self

    def check(self, rows: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")
        result = self._check(rows, labels)
        assert result.index.equals(rows.index)
        return result

    def _fit(self, real: pd.DataFrame) -> None:
        pass

    def _check(self, rows: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
        raise NotImplementedError


@dataclass
class BatchResult:
    """Outcome of one batch check on the kept rows of one region.

    ``passed`` is None when the check was skipped (too few rows to judge).
    """

    gate: str
    region: str
    score: float | None
    threshold: float
    passed: bool | None
    message: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def mean_score_result(gate: str, region: str, scores: dict[str, float], min_score: float,
                      what: str, details_key: str) -> BatchResult:
    """Pass when the mean of per-column (or per-pair) similarity scores is >= ``min_score``;
    the message names the three least similar."""
    mean = float(np.nanmean(list(scores.values())))
    worst = sorted(scores, key=scores.get)[:3]
    passed = mean >= min_score
    message = (f"mean {what} similarity {mean:.3f} {'>=' if passed else '<'} {min_score}"
               f"{f' over {len(scores)} pairs' if what == 'pair' else ''}; least similar: "
               + ", ".join(f"{k} {scores[k]:.2f}" for k in worst))
    return BatchResult(gate, region, round(mean, 4), float(min_score), passed, message,
                       {details_key: {k: round(v, 4) for k, v in scores.items()}})


class BatchGate(BaseEstimator):
    """Compares the kept synthetic rows of a region with the real rows of that region."""

    name: ClassVar[str] = "batch"
    #: Fewest rows on each side for the check to run.
    min_rows: ClassVar[int] = 10

    def check_params(self) -> list[str]:
        """Problems with the parameters, found before any work (subclasses add theirs)."""
        return random_state_problems(self)

    def check(self, real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema,
              region: str) -> BatchResult:
        problems = self.check_params()
        if problems:
            raise ConfigError(format_problems(f"Invalid parameters of batch gate '{self.name}'",
                                              problems))
        if min(len(real), len(synthetic)) < self.min_rows:
            return BatchResult(self.name, region, None, self._threshold(), None,
                               f"skipped: {len(synthetic)} synthetic and {len(real)} real rows; "
                               f"needs {self.min_rows} of each")
        return self._check(real[schema.features], synthetic[schema.features], schema, region)

    def _threshold(self) -> float:
        raise NotImplementedError

    def _check(self, real, synthetic, schema, region) -> BatchResult:
        raise NotImplementedError
