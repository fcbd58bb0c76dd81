"""Novelty: no synthetic row copies a real record, or repeats another synthetic row, more
often than real rows themselves coincide."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.data import as_text
from augment.errors import ConfigError, format_problems
from augment.gates.base import RowGate, row_result

__all__ = ["NoveltyGate"]

_COPY = "novelty: exact copy of a real row"
_REPEAT = "novelty: repeats another synthetic row"


class NoveltyGate(RowGate):
    """Rejects copies of real records and repeated rows, but not the coincidences real rows have.

    A row whose feature values all equal those of a real row is a *copy*
    (numeric values compared as floats, so ``3`` and ``3.0`` are equal). A copy
    of values that fewer than ``min_shared`` real rows hold reproduces a record,
    and is rejected.

    Where a table has few distinct value combinations, real rows coincide with
    each other: on carData Arrests about half of the held-out real rows equal a
    training row. Rejecting every copy there removes the commonest combinations
    from the kept rows, which then look less like the real rows than the
    candidates did (docs/bench_faithful.md). So a copy of values that at least
    ``min_shared`` real rows share is kept at random, at the rate at which real
    rows of the same class (or of the region set by :meth:`set_reference`)
    coincide: with ``r`` the share of those real rows whose values at least
    ``min_shared`` *other* real rows hold, and ``c`` the share of checked rows of
    the class that copy such shared values, each is kept with probability
    ``min(1, r / c)``. Kept rows then copy shared values about as often as an
    unseen real row would (the distance-to-closest-record yardstick), not more
    and not less.

    A row that is not a copy but repeats an earlier row of the same check, or a
    row kept earlier in the run (reported through :meth:`accepted`), is rejected.

    Parameters
    ----------
    min_shared : int >= 1 or None
        How many real rows must hold a row's values before a copy of them may be
        kept (at the real rows' rate). None rejects every copy.
    random_state : int or None
        Seed of the random keep decisions.

    ``score`` is 1 for a novel row, the keep probability for a copy of shared
    values, and 0 for other copies and repeats; ``report_`` gives, per class,
    the copies seen and kept and the real rows' rate.
    """

    name = "novelty"
    cost = 0

    def __init__(self, min_shared: int | None = 2, random_state: int | None = None):
        self.min_shared = min_shared
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()
        k = self.min_shared
        if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral)
                              or k < 1):
            problems.append(f"novelty min_shared must be an integer >= 1 or None; got {k!r}. "
                            "Fix: 2 (the default: values at least two real rows share), or "
                            "null to reject every copy.")
        return problems

    def _keys(self, frame: pd.DataFrame) -> np.ndarray:
        parts = {}
        for col in self.schema_.columns.values():
            values = frame[col.name]
            if col.is_numeric:
                # + 0.0: -0.0 (a rounded small negative) and 0.0 are one value
                parts[col.name] = pd.to_numeric(values, errors="coerce").astype(float) + 0.0
            else:
                parts[col.name] = as_text(values).iloc[:, 0]
        normal = pd.DataFrame(parts, index=frame.index)
        return pd.util.hash_pandas_object(normal, index=False).to_numpy()

    def _fit(self, real: pd.DataFrame) -> None:
        problems = self.check_params()
        if problems:
            raise ConfigError(format_problems("Novelty gate parameters are invalid", problems))
        self._rng = check_random_state(self.random_state)
        keys = self._keys(real)
        self.real_counts_ = pd.Series(keys).value_counts()
        self.kept_keys_: set = set()
        self.rates_ = self._rates(real, keys)
        self._reference: dict | None = None
        self.report_ = []

    def _rates(self, real: pd.DataFrame, keys: np.ndarray) -> dict[str, float]:
        """Per class, the share of these real rows whose values >= min_shared other real
        rows hold (how often an unseen real row of the class copies shared values)."""
        if self.min_shared is None:
            return {}
        others = self.real_counts_.reindex(keys).to_numpy(dtype=float) - 1
        shared = others >= self.min_shared
        target = self.schema_.target
        rates = {"": float(shared.mean()) if len(shared) else 0.0}  # any class: all rows
        if target in real:
            text = as_text(real[[target]]).iloc[:, 0].to_numpy()
            rates.update({str(c): float(shared[text == c].mean()) for c in pd.unique(text)})
        return rates

    def set_reference(self, real: pd.DataFrame | None, key: str | None = None) -> NoveltyGate:
        """Copy at the rate of these real rows (a region's) instead of the whole class's."""
        self._reference = None if real is None else self._rates(real, self._keys(real))
        return self

    def accepted(self, rows: pd.DataFrame) -> None:
        """Remember rows the run kept: a later row equal to one of them is a repeat."""
        if len(rows):
            self.kept_keys_.update(self._keys(rows).tolist())

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        keys = self._keys(rows)
        counts = self.real_counts_.reindex(keys).fillna(0).to_numpy(dtype=int)
        copy = counts > 0
        earlier = getattr(self, "kept_keys_", set())
        repeat = (pd.Series(keys).duplicated().to_numpy() | np.fromiter(
            (k in earlier for k in keys), dtype=bool, count=len(keys))) & ~copy
        keep = ~(copy | repeat)
        score = keep.astype(float)
        reason = np.where(copy, _COPY, np.where(repeat, _REPEAT, "")).astype(object)
        self.report_ = []
        if self.min_shared is not None:
            self._keep_shared(rows, counts, keep, score, reason)
        return row_result(rows.index, keep, score, reason)

    def _keep_shared(self, rows, counts, keep, score, reason) -> None:
        """Keep copies of shared values at the real rows' rate, per class (in place)."""
        rates = self._reference if self._reference is not None else self.rates_
        target = self.schema_.target
        text = (as_text(rows[[target]]).iloc[:, 0].to_numpy() if target in rows
                else np.full(len(rows), "", dtype=object))
        shared = counts >= self.min_shared
        for value in pd.unique(text):
            mask = text == value
            rate = rates.get(str(value), rates[""])  # a class the real rows lack: all rows'
            idx = np.flatnonzero(mask & shared)
            prob = min(1.0, rate * mask.sum() / len(idx)) if len(idx) else 0.0
            kept = self._rng.random_sample(len(idx)) < prob
            keep[idx] = kept
            score[idx] = prob
            reason[idx[kept]] = ""
            reason[idx[~kept]] = (f"novelty: copies values that real rows share, beyond the "
                                  f"rate real rows of the class do ({rate:.2f})")
            self.report_.append({"class": str(value), "copies": int((mask & (counts > 0)).sum()),
                                 "shared_copies": len(idx), "kept_copies": int(kept.sum()),
                                 "real_rate": round(rate, 4)})
