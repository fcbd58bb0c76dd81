"""The baselines a user would try before augmentation, trained in the same harness.

Each baseline turns the real training rows into ``(rows, weights, tune_threshold)``:
``none`` (the rows as they are), ``class_weights`` (no new rows; each grown class
weighted up to its ``sampling_strategy`` total), ``threshold`` (the rows as they
are; the model's decision threshold is tuned on a validation split),
``random_oversampling``, ``smote`` (SMOTE, or SMOTE-NC with categorical columns)
and ``sdv_ungated`` (SDV's GaussianCopula, every row kept). Both generating baselines
run as published (``dcr_target=None``): no move away from the training rows, which the
toolkit's own pathways make by default.

A baseline that cannot take missing values (SMOTE) gets them imputed first
(median / most frequent value, fitted on the training rows), as a user would; a
baseline that cannot run at all is skipped with the reason, which names the
baseline, never the run's own generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.errors import AugmentError

__all__ = ["BASELINES", "baseline_rows", "impute"]

#: Baseline pathways trained beside the configured augmentation, on the same split.
BASELINES = ("none", "class_weights", "threshold", "random_oversampling", "smote",
             "sdv_ungated")


class BaselineSkipped(AugmentError, RuntimeError):
    """A baseline that cannot run on this table; its message is the reason."""


def impute(train: pd.DataFrame, target: str) -> tuple[pd.DataFrame, list[str]]:
    """Fill missing feature values (numeric: median; other: most frequent value).

    Returns the filled copy and the columns that had gaps. ``train`` is not modified.
    """
    gaps = [c for c in train.columns if c != target and train[c].isna().any()]
    if not gaps:
        return train, []
    out = train.copy()
    for column in gaps:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            fill = values.median()
            if pd.api.types.is_integer_dtype(values.dtype) or (
                    values.dropna() == values.dropna().round()).all():
                fill = float(np.round(fill))
        else:
            mode = values.mode(dropna=True)
            fill = mode.iloc[0] if len(mode) else None
        if fill is None or (isinstance(fill, float) and np.isnan(fill)):
            raise BaselineSkipped(f"column '{column}' has no value to impute from")
        out[column] = values.fillna(fill)
    return out, gaps


def _class_weights(y: pd.Series, sampling_strategy) -> np.ndarray:
    """Each grown class weighted to the total ``sampling_strategy`` asks for it."""
    from augment.profile import resolve_sampling_strategy

    add = resolve_sampling_strategy(y, sampling_strategy)
    counts = y.value_counts()
    factor = {label: (counts[label] + n) / counts[label] for label, n in add.items()}
    return y.map(lambda v: factor.get(v, 1.0)).to_numpy(dtype=float)


def baseline_rows(name: str, train: pd.DataFrame, target: str, sampling_strategy, seed: int
                  ) -> tuple[pd.DataFrame, np.ndarray, bool, list[str]]:
    """``(training rows, weights, tune_threshold, notes)`` for a baseline pathway.

    Raises :class:`BaselineSkipped` with the reason when it cannot run.
    """
    from augment import Augmenter
    from augment.generators import GaussianCopulaGenerator, SMOTEGenerator

    ones = np.ones(len(train))
    if name == "none":
        return train, ones, False, []
    if name == "class_weights":
        return train, _class_weights(train[target], sampling_strategy), False, []
    if name == "threshold":
        if train[target].nunique() != 2:
            raise BaselineSkipped("a tuned decision threshold needs a binary target; this one "
                                  f"has {train[target].nunique()} classes")
        return train, ones, True, []
    notes: list[str] = []
    if name == "random_oversampling":
        from imblearn.over_sampling import RandomOverSampler

        ros = RandomOverSampler(sampling_strategy=sampling_strategy, random_state=seed)
        index = np.arange(len(train)).reshape(-1, 1)
        ros.fit_resample(index, train[target])
        rows = train.iloc[ros.sample_indices_].reset_index(drop=True)
        return rows, np.ones(len(rows)), False, notes
    if name not in ("smote", "sdv_ungated"):
        raise BaselineSkipped(f"unknown baseline {name!r}; expected one of {list(BASELINES)}")
    rows = train
    if name == "smote":
        rows, gaps = impute(train, target)
        if gaps:
            notes.append(f"missing values imputed in {gaps} (median / most frequent) before "
                         "SMOTE")
    generator = (SMOTEGenerator(dcr_target=None) if name == "smote" else
                 GaussianCopulaGenerator(conditioning="conditions", dcr_target=None))
    ungated = Augmenter(sampling_strategy=sampling_strategy, profile=None, generator=generator,
                        label_policy="intended", row_gates=(), batch_gates=(),
                        random_state=seed, progress=False)
    try:
        out = ungated.fit_table(rows, target).result_.augmented
    except (AugmentError, ValueError) as exc:
        raise BaselineSkipped(f"baseline '{name}' could not run: {exc}") from exc
    return out[list(train.columns)], np.ones(len(out)), False, notes
