"""Train on real vs augmented rows, test on held-out real rows, for every pathway and model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split

from augment.data import Schema
from augment.errors import ConfigError
from augment.evaluate._metrics import classification_metrics
from augment.evaluate._models import MODELS, make_model

__all__ = ["BASELINES", "Evaluation"]

#: Baseline pathways trained beside the configured augmentation, on the same split.
BASELINES = ("none", "random_oversampling", "smote", "sdv_ungated")


def _baseline_rows(name: str, train: pd.DataFrame, target: str, sampling_strategy, seed: int):
    """(training rows, weights) for a baseline pathway."""
    from augment import Augmenter
    from augment.generators import GaussianCopulaGenerator

    if name == "none":
        return train, np.ones(len(train))
    if name == "random_oversampling":
        from imblearn.over_sampling import RandomOverSampler

        ros = RandomOverSampler(sampling_strategy=sampling_strategy, random_state=seed)
        X, y = ros.fit_resample(train.drop(columns=target), train[target])
        return X.assign(**{target: y.to_numpy()}), np.ones(len(X))
    generator = {"smote": "smote",
                 "sdv_ungated": GaussianCopulaGenerator(conditioning="conditions")}[name]
    ungated = Augmenter(sampling_strategy=sampling_strategy, profile=None, generator=generator,
                        label_policy="intended", row_gates=(), batch_gates=(),
                        random_state=seed, progress=False)
    rows = ungated.fit_table(train, target).result_.augmented
    return rows[list(train.columns)], np.ones(len(rows))


class Evaluation(BaseEstimator):
    """Downstream evaluation on a stratified held-out split of the real table.

    Parameters
    ----------
    test_size : float in (0, 1)
        Share of real rows held out for testing (never seen by any pathway).
    max_train_rows : int or None
        Low-data regime: cap the real training rows (stratified), where
        augmentation matters most.
    models : sequence of {"logistic", "tree", "forest", "boosting"}
    baselines : sequence of {"none", "random_oversampling", "smote", "sdv_ungated"}
    random_state : int or None
        Seed of the split and of the models.
    """

    def __init__(self, test_size: float = 0.3, max_train_rows: int | None = None,
                 models=MODELS, baselines=BASELINES, random_state: int | None = None):
        self.test_size = test_size
        self.max_train_rows = max_train_rows
        self.models = models
        self.baselines = baselines
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = []
        if not isinstance(self.test_size, float) or not 0 < self.test_size < 1:
            problems.append(f"evaluate test_size must be a float in (0, 1); got "
                            f"{self.test_size!r}.")
        if self.max_train_rows is not None and (not isinstance(self.max_train_rows, int)
                                                or self.max_train_rows < 20):
            problems.append(f"evaluate max_train_rows must be None or an integer >= 20; got "
                            f"{self.max_train_rows!r}.")
        unknown = [m for m in self.models if m not in MODELS]
        if unknown or not len(self.models):
            problems.append(f"evaluate models must be a non-empty subset of {list(MODELS)}; "
                            f"got {list(self.models)}.")
        unknown = [b for b in self.baselines if b not in BASELINES]
        if unknown:
            problems.append(f"evaluate baselines must be a subset of {list(BASELINES)}; got "
                            f"{list(self.baselines)}.")
        return problems

    def split(self, table: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Stratified train/test split; the training part optionally capped."""
        problems = self.check_params()
        if problems:
            raise ConfigError("; ".join(problems))
        train, test = train_test_split(table, test_size=self.test_size, stratify=table[target],
                                       random_state=self.random_state)
        if self.max_train_rows is not None and len(train) > self.max_train_rows:
            train, _ = train_test_split(train, train_size=self.max_train_rows,
                                        stratify=train[target], random_state=self.random_state)
        return train.reset_index(drop=True), test.reset_index(drop=True)

    def evaluate(self, train: pd.DataFrame, test: pd.DataFrame, schema: Schema, augmented,
                 sampling_strategy, pathway: str = "augment") -> dict:
        """Metrics of every model on every pathway.

        ``augmented`` is the run's result frame (named ``pathway``), or a dict
        ``{pathway: frame}`` to compare several augmented tables on the same split.
        """
        target = schema.target
        seed = 0 if self.random_state is None else int(self.random_state)
        frames = augmented if isinstance(augmented, dict) else {pathway: augmented}
        augmented = next(iter(frames.values()))
        minority = [str(c) for c in augmented.loc[augmented["_synthetic"], target].unique()]
        if not minority:
            counts = train[target].value_counts()
            minority = [str(c) for c in counts.index[counts < counts.max()]]
        classes = list(schema.classes)
        pathways = {name: (frame[list(train.columns)], frame["_weight"].to_numpy(dtype=float))
                    for name, frame in frames.items()}
        for name in self.baselines:
            pathways[name] = _baseline_rows(name, train, target, sampling_strategy, seed)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):  # see gates/_two_sample.py
            results = self._fit_all(pathways, test, schema, classes, minority, seed)
        return {"seed": self.random_state, "train_rows": len(train), "test_rows": len(test),
                "classes": [str(c) for c in classes], "minority": minority, "results": results}

    def _fit_all(self, pathways, test, schema, classes, minority, seed) -> list[dict]:
        target = schema.target
        results = []
        for name, (rows, weights) in pathways.items():
            for model_name in self.models:
                start = time.perf_counter()
                model = make_model(model_name, schema, seed)
                model.fit(rows[schema.features], rows[target].astype(str),
                          model__sample_weight=weights)
                proba = model.predict_proba(test[schema.features])
                order = [list(model.classes_).index(str(c)) for c in classes]
                metrics = classification_metrics(test[target].astype(str).to_numpy(),
                                                 proba[:, order], [str(c) for c in classes],
                                                 minority)
                results.append({"pathway": name, "model": model_name, "train_rows": len(rows),
                                "seconds": round(time.perf_counter() - start, 3), **metrics})
        return results
