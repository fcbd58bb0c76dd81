"""The numeric encoding of mixed-type tables that every model in augment is fed."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from augment.data._schema import Schema

__all__ = ["MISSING", "as_float", "as_text", "make_encoder"]

#: Category used for missing values of categorical columns.
MISSING = "<missing>"


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical values as strings (mixed types compare cleanly), NaN as ``MISSING``."""
    frame = pd.DataFrame(frame)
    return frame.astype(object).where(frame.notna(), MISSING).astype(str)


def as_float(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as floats; what does not parse (text in synthetic rows) becomes NaN."""
    return pd.DataFrame(frame).apply(pd.to_numeric, errors="coerce").astype(float)


def _onehot_name(column: str, category) -> str:
    """One-hot feature names ``column=value`` (a module function: encoders pickle)."""
    return f"{column}={category}"


def make_encoder(schema: Schema, categorical: str = "onehot", *, scale: bool = False,
                 min_frequency: int | None = None) -> ColumnTransformer:
    """The one encoding of mixed-type rows for the models inside labelers, gates and evaluation.

    Numeric columns pass through as floats with NaN kept (trees and gradient
    boosting handle it), or with ``scale=True`` (linear models) are median-filled and standardised;
    categorical columns are one-hot or ordinal codes (missing is a category of its
    own; an unseen category is all zeros / -1). ``min_frequency`` groups rarer
    one-hot categories into one column. Distances between rows use
    :class:`~augment.data.DistanceEncoder` instead.

    Output columns: the numeric columns first, then the categorical encodings,
    in schema order. One-hot feature names read ``column=value``.
    """
    if categorical == "onehot":
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                feature_name_combiner=_onehot_name, min_frequency=min_frequency)
    elif categorical == "ordinal":
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    else:
        raise ValueError(f"Expected categorical='onehot' or 'ordinal'. Got {categorical!r}.")
    text = FunctionTransformer(as_text, feature_names_out="one-to-one")
    numbers = FunctionTransformer(as_float, feature_names_out="one-to-one")
    numeric = (make_pipeline(numbers, SimpleImputer(strategy="median"), StandardScaler())
               if scale else numbers)
    return ColumnTransformer(
        [("num", numeric, schema.numeric),
         ("cat", Pipeline([("text", text), ("encode", encoder)]), schema.categorical)],
        verbose_feature_names_out=False,
    )
