"""Validity: every value inside what the real table shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.gates.base import RowGate, row_result

__all__ = ["ValidityGate"]


class ValidityGate(RowGate):
    """Rejects rows with a value outside the real table's range or categories.

    Numeric values must lie within the observed ``[min, max]``, integer columns
    must hold whole numbers, categorical values must have been seen, and a
    column may be missing only where the real column has missing values.
    ``score`` is the share of columns that are valid; ``reason`` names the
    first invalid value.
    """

    name = "validity"
    cost = 0

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        n = len(rows)
        n_bad = np.zeros(n, dtype=int)
        first = np.full(n, "", dtype=object)

        def flag(mask, message) -> None:
            """Count violations; the first one per row becomes its reason."""
            mask = np.asarray(mask, dtype=bool)
            if not mask.any():
                return
            for i in np.flatnonzero(mask & (n_bad == 0)):
                first[i] = message(i)
            n_bad[mask] += 1

        for col in self.schema_.columns.values():
            name, values = col.name, rows[col.name]
            missing = values.isna().to_numpy()
            if col.n_missing == 0:
                flag(missing, lambda i, c=name: f"validity: {c} is missing; never missing in "
                     "real rows")
            if col.is_numeric:
                x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                flag(np.isnan(x) & ~missing, lambda i, c=name: f"validity: {c} is not a number")
                with np.errstate(invalid="ignore"):
                    flag(x < col.minimum, lambda i, c=col, x=x:
                         f"validity: {c.name}={x[i]:.6g} below real min {c.minimum:.6g}")
                    flag(x > col.maximum, lambda i, c=col, x=x:
                         f"validity: {c.name}={x[i]:.6g} above real max {c.maximum:.6g}")
                    if col.kind == "integer":
                        flag(np.isfinite(x) & (x != np.round(x)), lambda i, c=name, x=x:
                             f"validity: {c}={x[i]:.6g} is not a whole number")
            else:
                known = set(as_text(pd.Series(col.categories, dtype=object)).iloc[:, 0])
                # each distinct text is looked up once; text columns are also converted once
                # per distinct value (not for mixed types: 1, 1.0 and True are one value to
                # factorize but three texts)
                if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
                    codes, uniques = pd.factorize(values, use_na_sentinel=False)
                    text = as_text(pd.Series(uniques, dtype=object)).iloc[:, 0].to_numpy()
                else:
                    codes, text = pd.factorize(as_text(values).iloc[:, 0].to_numpy())
                unseen = ~np.isin(text, list(known))[codes] & ~missing
                flag(unseen, lambda i, c=name, t=text, k=codes:
                     f"validity: {c}={t[k[i]]!r} never seen in real rows")
        score = 1.0 - n_bad / max(len(self.schema_.columns), 1)
        return row_result(rows.index, n_bad == 0, score, first)
