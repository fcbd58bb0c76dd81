"""Tables whose truth is known: a teacher relabels a real table; its decision is the truth.

On real data nobody knows the true label of a synthetic row, so label noise cannot be
measured. Relabel a real table by a strong model (the *teacher*) and the true label of
any row, real or synthetic, is the teacher's decision. Two numbers follow:

- :func:`label_noise`: the share of kept synthetic rows whose label disagrees with the teacher;
- :func:`coverage`: the share of held-out real minority rows whose k-nearest-neighbour ball
  holds a kept synthetic minority row (Naeem et al. 2020, "Reliable fidelity and diversity
  metrics for generative models"). It rewards spread, not piling rows into one safe corner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline

from augment.data import DistanceEncoder, Schema, as_text, detect_schema, make_encoder

__all__ = ["Teacher", "coverage", "label_noise", "teacher_relabel"]


@dataclass
class Teacher:
    """A fitted teacher: ``teacher(rows)`` is the true label of every row.

    The decision rule keeps the class shares of the table it was fitted on. Classes
    are visited from the rarest to the most common; a row takes the first class ``c``
    whose probability reaches ``thresholds[c]``, and the most common class (which has
    no threshold) takes every row left. Each threshold is the probability of the
    ``n_c``-th most likely row for ``c`` among the rows no rarer class took, so on the
    fitted table every class keeps its count (up to ties). With two classes this is
    one threshold on P(minority) at the minority's original share.

    Attributes
    ----------
    model : sklearn.pipeline.Pipeline
        Encoder and gradient-boosting classifier on the feature columns.
    features : list of str
        Feature columns the model reads (extra columns in ``rows`` are ignored).
    classes : tuple
        Class values in the model's ``predict_proba`` column order.
    order : tuple
        Classes from the rarest to the most common (the order the rule visits them).
    thresholds : dict
        Probability threshold per class, all but the most common.
    """

    model: Pipeline
    features: list[str]
    classes: tuple
    order: tuple
    thresholds: dict

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """Class probabilities of ``rows``, columns in :attr:`classes` order."""
        return self.model.predict_proba(rows[self.features])

    def __call__(self, rows: pd.DataFrame) -> np.ndarray:
        """The true label of every row of ``rows`` (an object array)."""
        proba = self.predict_proba(rows)
        return _decide(proba, self.classes, self.order, self.thresholds)


def _decide(proba: np.ndarray, classes: tuple, order: tuple, thresholds: dict) -> np.ndarray:
    """Apply the rarest-first threshold rule (see :class:`Teacher`)."""
    labels = np.full(len(proba), order[-1], dtype=object)
    free = np.ones(len(proba), bool)
    for cls in order[:-1]:
        column = proba[:, classes.index(cls)]
        take = free & (column >= thresholds[cls])
        labels[take] = cls
        free &= ~take
    return labels


def teacher_relabel(df: pd.DataFrame, target: str,
                    random_state: int | None = None) -> tuple[pd.DataFrame, Teacher]:
    """Replace ``target`` by a gradient-boosting teacher's own decision, keeping class shares.

    The teacher (scikit-learn ``HistGradientBoostingClassifier``, categorical columns
    as native categories, missing values handled natively) is fitted on the whole table.
    It is regularised (200 rounds at learning rate 0.05, at most 15 leaves of at least
    20 rows, L2 penalty 1): an unregularised booster memorises the table (on
    lending_club it reproduced every label), and its "truth" is then a patchwork of
    islands around single rows rather than a decision surface.
    Its decision keeps each class's original count by the rarest-first threshold rule
    of :class:`Teacher`; for a binary target, the minority class goes to the rows with
    the highest P(minority), as many as the table had.

    Parameters
    ----------
    df : pandas.DataFrame
        A labelled table (features and ``target``); it is not modified.
    target : str
        The label column.
    random_state : int or None
        Seed of the gradient-boosting model.

    Returns
    -------
    relabelled : pandas.DataFrame
        A copy of ``df`` with ``target`` replaced by the teacher's decision (same dtype
        where the values allow).
    teacher : Teacher
        ``teacher(rows)`` gives the true label of any row with the feature columns.
    """
    schema: Schema = detect_schema(df, target)
    features = schema.features
    n_numeric = len(schema.numeric)
    model = Pipeline([
        ("encode", make_encoder(schema, "ordinal")),
        ("gbm", HistGradientBoostingClassifier(
            categorical_features=[False] * n_numeric + [
                df[c].nunique() < 255 for c in schema.categorical],
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20,
            l2_regularization=1.0, early_stopping=False, random_state=random_state)),
    ])
    X = df[features]
    y = as_text(df[[target]])[target] if _mixed(df[target]) else df[target]
    model.fit(X, y)
    classes = tuple(model.classes_)
    counts = y.value_counts()
    order = tuple(sorted(classes, key=lambda c: (counts.get(c, 0), str(c))))
    proba = model.predict_proba(X)
    thresholds = {}
    free = np.ones(len(df), bool)
    for cls in order[:-1]:
        n = int(counts.get(cls, 0))
        column = np.where(free, proba[:, classes.index(cls)], -np.inf)
        if n == 0:
            thresholds[cls] = np.inf
            continue
        thresholds[cls] = float(np.sort(column)[::-1][min(n, int(free.sum())) - 1])
        free &= ~(column >= thresholds[cls])
    teacher = Teacher(model=model, features=features, classes=classes, order=order,
                      thresholds=thresholds)
    relabelled = df.copy()
    labels = teacher(df)
    try:
        relabelled[target] = pd.Series(labels, index=df.index).astype(df[target].dtype)
    except (TypeError, ValueError):
        relabelled[target] = labels
    return relabelled, teacher


def _mixed(series: pd.Series) -> bool:
    """True when a label column holds values of several Python types."""
    return series.dropna().map(type).nunique() > 1


def label_noise(kept_rows: pd.DataFrame, teacher, target: str) -> float:
    """Share of ``kept_rows`` whose ``target`` disagrees with ``teacher(kept_rows)``.

    Parameters
    ----------
    kept_rows : pandas.DataFrame
        Kept synthetic rows with the feature columns and ``target`` (the label the
        pipeline gave them).
    teacher : callable
        ``teacher(rows)`` -> array of true labels (a :class:`Teacher`).
    target : str
        The label column.

    Returns
    -------
    float
        In [0, 1]; NaN when there are no rows.
    """
    if len(kept_rows) == 0:
        return float("nan")
    truth = np.asarray(teacher(kept_rows), dtype=object)
    given = kept_rows[target].to_numpy(dtype=object)
    return float(np.mean(given != truth))


def coverage(heldout_minority: pd.DataFrame, synthetic_minority: pd.DataFrame, schema: Schema,
             k: int = 5) -> float:
    """Naeem et al. (2020) coverage of held-out real rows by synthetic rows.

    For each held-out real row, its ball has radius equal to the distance to its k-th
    nearest neighbour among the other held-out rows; coverage is the share of real rows
    whose ball (boundary included) contains at least one synthetic row. Distances are
    Euclidean on :class:`~augment.data.DistanceEncoder` codes fitted on
    ``heldout_minority`` (the space of every distance in augment: numeric columns
    z-scored, categorical columns one-hot).

    Parameters
    ----------
    heldout_minority : pandas.DataFrame
        Real rows of the class (not used for training), with ``schema.features``.
    synthetic_minority : pandas.DataFrame
        Kept synthetic rows labelled with that class.
    schema : Schema
        Column kinds of the table (from :func:`augment.data.detect_schema`).
    k : int
        Neighbour whose distance sets the radius; needs more than ``k`` real rows.

    Returns
    -------
    float
        In [0, 1]; 0 when there are no synthetic rows.
    """
    if k < 1 or len(heldout_minority) <= k:
        raise ValueError(f"coverage needs more than k={k} held-out rows; got "
                         f"{len(heldout_minority)}.")
    if len(synthetic_minority) == 0:
        return 0.0
    encoder = DistanceEncoder(schema).fit(heldout_minority)
    real = encoder.transform(heldout_minority)
    synth = encoder.transform(synthetic_minority)
    radius = NearestNeighbors(n_neighbors=k + 1).fit(real).kneighbors(real)[0][:, k]
    nearest = NearestNeighbors(n_neighbors=1).fit(synth).kneighbors(real)[0][:, 0]
    return float(np.mean(nearest <= radius + 1e-12))
