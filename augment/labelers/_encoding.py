"""Save and restore the one-hot encoder inside a labeler as plain lists (no pickle)."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer

from augment.data import Schema, make_encoder

__all__ = ["encoder_from_state", "encoder_state"]


def encoder_state(encoder: ColumnTransformer, schema: Schema) -> dict:
    """The categories the fitted encoder learned, per categorical column."""
    if not schema.categorical:
        return {"categories": {}}
    onehot = encoder.named_transformers_["cat"].named_steps["encode"]
    return {"categories": {col: [str(v) for v in cats]
                           for col, cats in zip(schema.categorical, onehot.categories_)}}


def encoder_from_state(schema: Schema, state: dict, categorical: str = "onehot"):
    """An encoder equal to the saved one: refitted on a frame holding exactly its categories."""
    cats = state["categories"]
    n = max([len(v) for v in cats.values()] + [1])
    frame = pd.DataFrame({col: [0.0] * n for col in schema.numeric})
    for col in schema.categorical:
        values = list(cats[col])
        frame[col] = (values * n)[:n]
    return make_encoder(schema, categorical).fit(frame[schema.features])
