"""Downstream models trained on real or augmented rows, synthetic rows weighted by ``_weight``."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from augment.data import Schema, as_text

__all__ = ["MODELS", "make_model"]

MODELS = ("logistic", "tree", "forest", "boosting")


def _encoder(schema: Schema, scale: bool) -> ColumnTransformer:
    numeric = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    text = FunctionTransformer(as_text, feature_names_out="one-to-one")
    return ColumnTransformer([
        ("num", make_pipeline(*numeric), schema.numeric),
        ("cat", Pipeline([("text", text), ("onehot", OneHotEncoder(
            handle_unknown="ignore", sparse_output=False, min_frequency=5))]), schema.categorical),
    ])


def make_model(name: str, schema: Schema, random_state: int) -> Pipeline:
    """A fresh downstream classifier: ``logistic``, ``tree``, ``forest`` or ``boosting``."""
    if name == "logistic":
        model = LogisticRegression(max_iter=2000)
    elif name == "tree":
        model = DecisionTreeClassifier(max_depth=6, min_samples_leaf=5,
                                       random_state=random_state)
    elif name == "forest":
        model = RandomForestClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=1,
                                       random_state=random_state)
    elif name == "boosting":
        model = HistGradientBoostingClassifier(random_state=random_state)
    else:
        raise ValueError(f"Expected a model in {list(MODELS)}. Got {name!r}.")
    return Pipeline([("encode", _encoder(schema, scale=name == "logistic")), ("model", model)])
