"""Numeric encodings of mixed-type tables for the models inside labelers and gates."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

from augment.data._schema import Schema

__all__ = ["MISSING", "as_text", "make_encoder"]

#: Category used for missing values of categorical columns.
MISSING = "<missing>"


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical values as strings (mixed types compare cleanly), NaN as ``MISSING``."""
    frame = pd.DataFrame(frame)
    return frame.astype(object).where(frame.notna(), MISSING).astype(str)


def _onehot_name(column: str, category) -> str:
    """One-hot feature names ``column=value`` (a module function: encoders pickle)."""
    return f"{column}={category}"


def make_encoder(schema: Schema, categorical: str = "onehot") -> ColumnTransformer:
    """Numeric columns pass through (NaN kept); categorical ones are one-hot or ordinal codes.

    Output columns: the numeric columns first, then the categorical encodings,
    in schema order. One-hot feature names read ``column=value``.
    """
    if categorical == "onehot":
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                feature_name_combiner=_onehot_name)
    elif categorical == "ordinal":
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    else:
        raise ValueError(f"Expected categorical='onehot' or 'ordinal'. Got {categorical!r}.")
    text = FunctionTransformer(as_text, feature_names_out="one-to-one")
    return ColumnTransformer(
        [("num", "passthrough", schema.numeric),
         ("cat", Pipeline([("text", text), ("encode", encoder)]), schema.categorical)],
        verbose_feature_names_out=False,
    )
