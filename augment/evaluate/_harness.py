"""Train on real vs augmented rows, test on held-out real rows, for every pathway and model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split

from augment._threads import thread_limit, threads_problems
from augment.data import Schema
from augment.errors import ConfigError
from augment.evaluate._baselines import BASELINES, BaselineSkipped, baseline_rows
from augment.evaluate._metrics import classification_metrics
from augment.evaluate._models import MODELS, make_model
from augment.evaluate._regions import region_metrics, worst_region

__all__ = ["BASELINES", "Evaluation"]


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
    baselines : sequence of {"none", "class_weights", "threshold", "random_oversampling",
        "smote", "sdv_ungated"}
        See :mod:`augment.evaluate._baselines`. One that cannot run on the table is
        skipped and ``metrics["skipped"]`` says why.
    validation_size : float in (0, 1)
        Share of the training rows the ``threshold`` baseline tunes its decision
        threshold on (F1 of the minority class); the model is then refit on all of them.
    random_state : int or None
        Seed of the split and of the models.
    threads : int or None
        Threads of every BLAS, OpenMP and torch pool while :meth:`evaluate` fits its
        baselines and models (:func:`augment._threads.thread_limit`, restored
        afterwards). ``None`` (default): the caller's limit (the CLI runs evaluation
        under the run's ``threads``; called on its own, the libraries' defaults).
    """

    def __init__(self, test_size: float = 0.3, max_train_rows: int | None = None,
                 models=MODELS, baselines=BASELINES, validation_size: float = 0.25,
                 random_state: int | None = None, threads: int | None = None):
        self.test_size = test_size
        self.validation_size = validation_size
        self.max_train_rows = max_train_rows
        self.models = models
        self.baselines = baselines
        self.random_state = random_state
        self.threads = threads

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
        if not isinstance(self.validation_size, float) or not 0 < self.validation_size < 1:
            problems.append(f"evaluate validation_size must be a float in (0, 1); got "
                            f"{self.validation_size!r}.")
        unknown = [b for b in self.baselines if b not in BASELINES]
        if unknown:
            problems.append(f"evaluate baselines must be a subset of {list(BASELINES)}; got "
                            f"{list(self.baselines)}.")
        problems.extend(f"evaluate {p}" for p in threads_problems(self.threads))
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
                 sampling_strategy, pathway: str = "augment", regions=()) -> dict:
        """Metrics of every model on every pathway.

        ``augmented`` is the run's result frame (named ``pathway``), or a dict
        ``{pathway: frame}`` to compare several augmented tables on the same split.
        ``regions`` (e.g. the fitted augmenter's ``regions_``): every region that is
        not a whole class also gets metrics on its held-out rows (``regions`` in
        each result, see :func:`~augment.evaluate._regions.region_metrics`) and the
        worst region's PR-AUC and recall. Everything is fitted under ``threads``.
        """
        with thread_limit(self.threads):  # a bad setting: ConfigError before any fit
            return self._evaluate(train, test, schema, augmented, sampling_strategy, pathway,
                                  regions)

    def _evaluate(self, train, test, schema, augmented, sampling_strategy, pathway, regions
                  ) -> dict:
        target = schema.target
        seed = 0 if self.random_state is None else int(self.random_state)
        frames = augmented if isinstance(augmented, dict) else {pathway: augmented}
        augmented = next(iter(frames.values()))
        minority = [str(c) for c in augmented.loc[augmented["_synthetic"], target].unique()]
        if not minority:
            counts = train[target].value_counts()
            minority = [str(c) for c in counts.index[counts < counts.max()]]
        classes = list(schema.classes)
        pathways = {name: (frame[list(train.columns)], frame["_weight"].to_numpy(dtype=float),
                           False) for name, frame in frames.items()}
        skipped, notes = {}, {}
        for name in self.baselines:
            try:
                rows, weights, tune, found = baseline_rows(name, train, target,
                                                           sampling_strategy, seed)
            except BaselineSkipped as exc:
                skipped[name] = str(exc)
                continue
            pathways[name] = (rows, weights, tune)
            if found:
                notes[name] = found
        regions = [r for r in regions if r.kind != "class"]
        results = self._fit_all(pathways, test, schema, classes, minority, seed, regions)
        return {"seed": self.random_state, "train_rows": len(train), "test_rows": len(test),
                "classes": [str(c) for c in classes], "minority": minority,
                "regions": [{**r.to_dict(), "test_rows": int(r.where(test).sum()),
                             "test_positives": int(r.contains(test).sum())} for r in regions],
                "skipped": skipped, "notes": notes, "results": results}

    def _fit_one(self, name, rows, weights, tune, schema, minority, seed):
        """A fitted model; with ``tune``, its threshold tuned on a validation split."""
        model = make_model(name, schema, seed)
        y = rows[schema.target].astype(str)
        if not tune:
            return model.fit(rows[schema.features], y, model__sample_weight=weights)
        from sklearn.metrics import f1_score, make_scorer
        from sklearn.model_selection import TunedThresholdClassifierCV

        tuned = TunedThresholdClassifierCV(
            model, scoring=make_scorer(f1_score, pos_label=minority[0]),
            cv=self.validation_size, refit=True, random_state=seed)
        return tuned.fit(rows[schema.features], y)

    def _fit_all(self, pathways, test, schema, classes, minority, seed, regions) -> list[dict]:
        target = schema.target
        names = [str(c) for c in classes]
        results = []
        for name, (rows, weights, tune) in pathways.items():
            for model_name in self.models:
                start = time.perf_counter()
                model = self._fit_one(model_name, rows, weights, tune, schema, minority, seed)
                X = test[schema.features]
                proba = model.predict_proba(X)
                order = [list(model.classes_).index(c) for c in names]
                proba = proba[:, order]
                pred = (np.asarray(model.predict(X), dtype=object) if tune
                        else np.asarray(names, dtype=object)[proba.argmax(axis=1)])
                metrics = classification_metrics(test[target].astype(str).to_numpy(), proba,
                                                 names, minority, pred=pred)
                record = {"pathway": name, "model": model_name, "train_rows": len(rows),
                          "seconds": round(time.perf_counter() - start, 3), **metrics}
                if tune:
                    record["threshold"] = round(float(model.best_threshold_), 6)
                if regions:
                    per_region = region_metrics(test, target, proba, pred, names, regions)
                    record.update(worst_region(per_region))
                    record["regions"] = per_region
                results.append(record)
        return results
