"""Novelty: no synthetic row is a copy of a real row or of another synthetic row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.gates.base import RowGate, row_result

__all__ = ["NoveltyGate"]


class NoveltyGate(RowGate):
    """Rejects exact copies of a real row (all feature values equal) and repeated rows.

    Numeric values are compared as floats, so ``3`` and ``3.0`` count as equal.
    ``score`` is 1 for a novel row, 0 for a copy.
    """

    name = "novelty"
    cost = 0

    def _keys(self, frame: pd.DataFrame) -> np.ndarray:
        parts = {}
        for col in self.schema_.columns.values():
            values = frame[col.name]
            if col.is_numeric:
                parts[col.name] = pd.to_numeric(values, errors="coerce").astype(float)
            else:
                parts[col.name] = as_text(values).iloc[:, 0]
        normal = pd.DataFrame(parts, index=frame.index)
        return pd.util.hash_pandas_object(normal, index=False).to_numpy()

    def _fit(self, real: pd.DataFrame) -> None:
        self.real_keys_ = set(self._keys(real).tolist())

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        keys = self._keys(rows)
        copy = np.fromiter((k in self.real_keys_ for k in keys), dtype=bool, count=len(keys))
        repeat = pd.Series(keys).duplicated().to_numpy() & ~copy
        reason = np.where(copy, "novelty: exact copy of a real row",
                          np.where(repeat, "novelty: repeats another synthetic row", ""))
        keep = ~(copy | repeat)
        return row_result(rows.index, keep, keep.astype(float), reason)
