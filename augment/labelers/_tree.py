"""A shallow decision tree whose every label comes with the path that decided it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, export_text

from augment.data import make_encoder
from augment.labelers._encoding import encoder_from_state, encoder_state
from augment.labelers.base import BaseLabeler, whole_number_problems

__all__ = ["DecisionTreeLabeler"]


class DecisionTreeLabeler(BaseLabeler):
    """Shallow decision tree on a one-hot encoding; leaf probabilities keep the real prior.

    With ``class_weight=None`` (the default) each leaf's probabilities are its
    real class shares, P(class | leaf) under the real class prior: the same
    scale as the truth, so ``P(minority) >= 0.9`` means nine in ten real rows of
    the leaf are minority rows. With ``class_weight="balanced"`` they are the
    shares after re-weighting every class to the same total (equal priors); a
    threshold on those is a far weaker bar for a rare class
    (docs/bench_label_noise.md, "The defaults these numbers chose"). Where the
    labeler is never that sure of a class, its reference confidence
    (``reference_quantile``) lowers the bar the label gate asks for that class to
    what its own real rows reach.

    Parameters
    ----------
    max_depth : int or None
        Depth of the tree; a path has at most this many conditions (None: unlimited).
    min_samples_leaf : int
        Fewest real rows in a leaf, so that leaf probabilities rest on data.
    class_weight : None or "balanced"
        ``None`` gives P(class | leaf) under the real class prior;
        ``"balanced"`` under equal class priors (the earlier default; see
        docs/bench_label_noise.md, "The defaults these numbers chose").
    calibration : None, "sigmoid" or "isotonic"
        Map leaf probabilities to observed frequencies (fitted out-of-fold on the
        real rows, with balanced weights when ``class_weight="balanced"``).
    random_state : int or None
        Seed for tie-breaking between equally good splits.
    reference_quantile : float in [0, 1] or None
        Quantile of P(class) over the class's real rows kept as its reference
        confidence (None: none); see :class:`~augment.labelers.BaseLabeler`.
    reference : {"oof", "in_sample"}
        Which probabilities that quantile is taken on (see ``BaseLabeler``).

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> df = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.9, 1.0, 1.1] * 5,
    ...                    "y": ["a", "a", "a", "b", "b", "b"] * 5})
    >>> lab = DecisionTreeLabeler(min_samples_leaf=1)
    >>> lab = lab.fit(df[["x"]], df["y"], detect_schema(df, "y"))
    >>> lab.label(pd.DataFrame({"x": [0.0, 2.0]}))["label"].tolist()
    ['a', 'b']
    """

    name = "tree"
    probability_kind = "leaf class shares P(class | leaf)"

    def __init__(self, max_depth: int = 6, min_samples_leaf: int = 20,
                 class_weight: str | None = None, calibration: str | None = None,
                 random_state: int | None = None, reference_quantile: float | None = 0.75,
                 reference: str = "in_sample"):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.class_weight = class_weight
        self.calibration = calibration
        self.random_state = random_state
        self.reference_quantile = reference_quantile
        self.reference = reference

    def check_params(self) -> list[str]:
        depth = {"max_depth": 1} if self.max_depth is not None else {}  # None: unlimited
        return [*super().check_params(),
                *whole_number_problems(self, min_samples_leaf=1, **depth)]

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        self.encoder_ = make_encoder(self.schema_, "onehot").fit(X)
        self.feature_names_ = list(self.encoder_.get_feature_names_out())
        self._one_hot = {i: name.split("=", 1) for i, name in enumerate(self.feature_names_)
                         if i >= len(self.schema_.numeric)}
        tree = DecisionTreeClassifier(
            max_depth=self.max_depth,
            min_samples_leaf=min(int(self.min_samples_leaf), max(1, len(X) // 10)),
            class_weight=self.class_weight,
            random_state=self.random_state,
        )
        self.tree_ = tree.fit(self.encoder_.transform(X), self._codes(y))
        self._rules = self._leaf_rules()

    def _get_state(self) -> dict:
        t, state = self.tree_, self.tree_.tree_.__getstate__()
        nodes = state["nodes"]
        return {"encoder": encoder_state(self.encoder_, self.schema_),
                "n_features_in": int(t.n_features_in_),
                "classes": t.classes_.tolist(),
                "max_depth": int(state["max_depth"]),
                "nodes": {name: nodes[name].tolist() for name in nodes.dtype.names},
                "values": state["values"].tolist()}

    def _set_state(self, state: dict) -> None:
        from sklearn.tree._tree import NODE_DTYPE, Tree

        self.encoder_ = encoder_from_state(self.schema_, state["encoder"])
        self.feature_names_ = list(self.encoder_.get_feature_names_out())
        self._one_hot = {i: name.split("=", 1) for i, name in enumerate(self.feature_names_)
                         if i >= len(self.schema_.numeric)}
        classes = np.array(state["classes"])
        n_features = int(state["n_features_in"])
        nodes = np.zeros(len(state["nodes"]["left_child"]), dtype=NODE_DTYPE)
        for name in NODE_DTYPE.names:
            nodes[name] = state["nodes"][name]
        tree = Tree(n_features, np.array([len(classes)], dtype=np.intp), 1)
        tree.__setstate__({"max_depth": state["max_depth"], "node_count": len(nodes),
                           "nodes": nodes, "values": np.array(state["values"], dtype=float)})
        model = DecisionTreeClassifier(max_depth=self.max_depth, class_weight=self.class_weight,
                                       random_state=self.random_state)
        model.n_features_in_, model.n_outputs_ = n_features, 1
        model.classes_, model.n_classes_ = classes, len(classes)
        model.max_features_ = n_features
        model.tree_ = tree
        self.tree_ = model
        self._rules = self._leaf_rules()

    def _proba_full(self, Z: np.ndarray) -> np.ndarray:
        proba = np.zeros((len(Z), len(self.classes_)))
        proba[:, self.tree_.classes_] = self.tree_.predict_proba(Z)
        return proba

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._proba_full(self.encoder_.transform(X))

    def _proba_and_rules(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        Z = self.encoder_.transform(X)  # once for both
        return (self._calibrated(self._proba_full(Z)),
                [self._rules[leaf] for leaf in self.tree_.apply(Z)])

    def _explain(self, X: pd.DataFrame) -> list[str]:
        leaves = self.tree_.apply(self.encoder_.transform(X))
        return [self._rules[leaf] for leaf in leaves]

    def _leaf_rules(self) -> dict[int, str]:
        """Readable conjunction of conditions for every leaf, tightest bounds only."""
        t = self.tree_.tree_
        rules: dict[int, str] = {}

        def walk(node: int, path: list[tuple[int, bool, float]]) -> None:
            if t.children_left[node] == -1:
                rules[node] = self._format(path)
                return
            feature, threshold = int(t.feature[node]), float(t.threshold[node])
            walk(int(t.children_left[node]), [*path, (feature, True, threshold)])
            walk(int(t.children_right[node]), [*path, (feature, False, threshold)])

        walk(0, [])
        return rules

    def _format(self, path: list[tuple[int, bool, float]]) -> str:
        upper: dict[str, float] = {}
        lower: dict[str, float] = {}
        equal: dict[str, str] = {}
        differ: dict[str, list[str]] = {}
        for feature, left, threshold in path:
            if feature in self._one_hot:
                column, category = self._one_hot[feature]
                if left:
                    differ.setdefault(column, []).append(category)
                else:
                    equal[column] = category
            else:
                column = self.feature_names_[feature]
                if left:
                    upper[column] = min(upper.get(column, np.inf), threshold)
                else:
                    lower[column] = max(lower.get(column, -np.inf), threshold)
        parts = []
        for column in dict.fromkeys([*lower, *upper]):
            lo, hi = lower.get(column), upper.get(column)
            if lo is not None and hi is not None:
                parts.append(f"{lo:.6g} < {column} <= {hi:.6g}")
            elif lo is not None:
                parts.append(f"{column} > {lo:.6g}")
            else:
                parts.append(f"{column} <= {hi:.6g}")
        for column, category in equal.items():
            parts.append(f"{column} = {category}")
        for column, categories in differ.items():
            if column not in equal:
                shown = ", ".join(categories)
                parts.append(f"{column} not in {{{shown}}}" if len(categories) > 1
                             else f"{column} != {shown}")
        return " and ".join(parts) if parts else "(all rows)"

    def to_text(self) -> str:
        self._check_fitted()
        return export_text(self.tree_, feature_names=self.feature_names_,
                           class_names=[str(c) for c in self.classes_[self.tree_.classes_]],
                           show_weights=False)
