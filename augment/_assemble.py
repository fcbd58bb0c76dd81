"""Assembling the output: real rows untouched, kept rows typed like them, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.errors import ConfigError, GenerationError

__all__ = ["PROVENANCE", "WEIGHT_MODES", "assemble", "reattach", "synthetic_weights"]

WEIGHT_MODES = ("balance", "prior")

#: Columns added to every row of the augmented table.
PROVENANCE = ["_synthetic", "_weight", "_label_confidence", "_region", "_generator", "_round",
              "_rule"]


def synthetic_weights(confidence: np.ndarray, n_real: int, mode: str) -> tuple[np.ndarray, float]:
    """Weights of one region's kept rows and the weight of its real rows.

    Synthetic weights are proportional to label confidence.

    - ``balance``: synthetic weights average 1, real rows keep 1; the region's total
      weight is real + kept rows (its target when the target is met).
    - ``prior``: the region's total weight stays its real row count, so class
      priors (and calibrated probabilities) are unchanged; real rows and kept rows
      share it in proportion to their numbers.
    """
    if mode not in WEIGHT_MODES:
        raise ConfigError(f"Expected weight_mode in {list(WEIGHT_MODES)}. Got {mode!r}.")
    confidence = np.asarray(confidence, dtype=float)
    if len(confidence) == 0:
        return confidence, 1.0
    relative = confidence / confidence.mean()
    if mode == "balance":
        return relative, 1.0
    share = n_real / (n_real + len(confidence))
    return relative * share, share


def cast_like(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Give synthetic columns the real table's dtypes (after validity passed)."""
    out = synthetic.copy()
    for name, dtype in real.dtypes.items():
        try:
            out[name] = out[name].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise GenerationError(
                f"Kept synthetic values of column '{name}' cannot take the real dtype {dtype}: "
                f"{exc}. This is a bug in a generator or the validity gate; please report it."
            ) from exc
    return out


def assemble(real: pd.DataFrame, kept: pd.DataFrame, real_weight: pd.Series,
             target: str) -> pd.DataFrame:
    """All real rows first (values and dtypes untouched), then the kept synthetic rows."""
    real_part = real.reset_index(drop=True).copy()
    real_part["_synthetic"] = False
    real_part["_weight"] = real_weight.to_numpy(dtype=float)
    real_part["_label_confidence"] = np.nan
    real_part["_region"] = pd.Series([None] * len(real_part), dtype=object)
    real_part["_generator"] = "real"
    real_part["_round"] = 0
    real_part["_rule"] = pd.Series([None] * len(real_part), dtype=object)
    if len(kept) == 0:
        return real_part
    synthetic = cast_like(kept[list(real.columns)], real)
    synthetic["_synthetic"] = True
    for name in PROVENANCE[1:]:
        synthetic[name] = kept[name].to_numpy()
    # policy columns: the class a row was generated for, whether the labeler changed it,
    # and (soft policy) the labeler's probabilities
    extras = [c for c in kept.columns if c.startswith(("_proba_", "_score_"))
              or c in ("_intended", "_relabelled")]
    synthetic = pd.concat([synthetic, pd.DataFrame(
        {name: kept[name].to_numpy() for name in extras}, index=synthetic.index)], axis=1)
    real_part = pd.concat([real_part, pd.DataFrame(
        {name: (False if name == "_relabelled" else
                real_part[target] if name == "_intended" else np.nan) for name in extras},
        index=real_part.index)], axis=1)
    out = pd.concat([real_part, synthetic], ignore_index=True)
    out["_synthetic"] = out["_synthetic"].astype(bool)
    out["_round"] = out["_round"].astype(int)
    return out


def reattach(augmented: pd.DataFrame, table: pd.DataFrame, carried: dict) -> pd.DataFrame:
    """Put back the columns left out of generation (``Schema.carried``).

    Real rows (the first ``len(table)`` rows of ``augmented``) get their own values;
    synthetic rows get a constant column's value and a missing value otherwise.
    With synthetic rows, integer and boolean columns become pandas' nullable
    ``Int64`` / ``boolean`` so the real values stay exact.
    """
    n_synth = len(augmented) - len(table)
    out = {}
    for name, info in carried.items():
        real = table[name].reset_index(drop=True)
        if n_synth and info["kind"] == "constant":
            synth = pd.Series([info["value"]] * n_synth, dtype=real.dtype)
        elif n_synth:
            if pd.api.types.is_bool_dtype(real) and not isinstance(real.dtype, pd.BooleanDtype):
                real = real.astype("boolean")
            elif pd.api.types.is_integer_dtype(real) and real.dtype.kind in "iu":
                real = real.astype("Int64")
            synth = pd.Series([None] * n_synth, dtype=real.dtype if real.dtype != object
                              else object)
        else:
            synth = real.iloc[:0]
        out[name] = pd.concat([real, synth], ignore_index=True).set_axis(augmented.index)
    return augmented.assign(**out)
