"""Downstream models trained on real or augmented rows, synthetic rows weighted by ``_weight``."""

from __future__ import annotations

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from augment.data import Schema, make_encoder

__all__ = ["MODELS", "make_model"]

MODELS = ("logistic", "tree", "forest", "boosting")


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
    encoder = make_encoder(schema, "onehot", scale=name == "logistic", min_frequency=5)
    return Pipeline([("encode", encoder), ("model", model)])
