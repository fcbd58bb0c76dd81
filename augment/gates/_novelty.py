"""Novelty: no synthetic row is a copy of a real row or of another synthetic row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.gates.base import RowGate, row_result

__all__ = ["NoveltyGate"]


class NoveltyGate(RowGate):
    """Rejects exact copies of a real row (all feature values equal) and repeated rows.

    A row repeats another synthetic row when an earlier row of the same check or
    a row kept earlier in the run (the pipeline reports kept rows through
    :meth:`accepted`) has the same feature values. Numeric values are compared as
    floats, so ``3`` and ``3.0`` count as equal. ``score`` is 1 for a novel row, 0
    for a copy.
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
        self.kept_keys_: set = set()

    def accepted(self, rows: pd.DataFrame) -> None:
        """Remember rows the run kept: a later row equal to one of them is a repeat."""
        if len(rows):
            self.kept_keys_.update(self._keys(rows).tolist())

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        keys = self._keys(rows)
        copy = np.fromiter((k in self.real_keys_ for k in keys), dtype=bool, count=len(keys))
        earlier = getattr(self, "kept_keys_", set())
        repeat = (pd.Series(keys).duplicated().to_numpy() | np.fromiter(
            (k in earlier for k in keys), dtype=bool, count=len(keys))) & ~copy
        reason = np.where(copy, "novelty: exact copy of a real row",
                          np.where(repeat, "novelty: repeats another synthetic row", ""))
        keep = ~(copy | repeat)
        return row_result(rows.index, keep, keep.astype(float), reason)
