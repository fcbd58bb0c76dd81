"""The interface of a labeler: fitted on real rows, it labels synthetic ones and says why."""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import StratifiedKFold

from augment.data import Schema
from augment.errors import ConfigError, NotFittedError, format_problems, random_state_problems
from augment.labelers._calibration import (
    CALIBRATIONS,
    apply_calibration,
    calibration_metrics,
    fit_calibration,
)

__all__ = ["MAX_LABELER_ECE", "MIN_CLASS_AUC", "REFERENCES", "WEAK_LABELER_BALANCED_ACCURACY",
           "BaseLabeler"]

#: Cross-validated balanced accuracy under which a labeler is flagged as too weak to trust.
WEAK_LABELER_BALANCED_ACCURACY = 0.6
#: Rows used for the cross-validated quality estimate (a stratified sample above this).
MAX_QUALITY_ROWS = 20_000
#: Cross-validated expected calibration error above which probabilities are flagged.
MAX_LABELER_ECE = 0.15
#: How a labeler's reference confidence is computed (its ``reference`` parameter).
REFERENCES = ("oof", "in_sample")
#: Out-of-fold one-vs-rest ROC-AUC of P(class) below which the labeler cannot tell a class
#: from the others (the label check then cannot vouch for its synthetic rows).
MIN_CLASS_AUC = 0.6
#: Points kept of each class's P(class) distribution over its real rows (``class_reference_``).
REFERENCE_POINTS = 1001


#: What ``class_weight`` may be: None (the real class prior) or "balanced" (equal priors).
CLASS_WEIGHTS = (None, "balanced")


def whole_number_problems(component, **lowest: int) -> list[str]:
    """One problem per named parameter of ``component`` that is not an integer >= its lowest
    value (``whole_number_problems(self, max_depth=1)``)."""
    problems = []
    for name, low in lowest.items():
        value = getattr(component, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            problems.append(f"{component.name} {name} must be an integer >= {low}; got "
                            f"{value!r}.")
    return problems


def _folds(y: pd.Series, seed: int, limit: int = 5) -> StratifiedKFold | None:
    n_splits = int(min(limit, y.astype(str).value_counts().min()))
    if n_splits < 2:
        return None
    return StratifiedKFold(n_splits, shuffle=True, random_state=seed)


def pushed_by(label, names, push: np.ndarray, n_reasons: int, none: str) -> str:
    """``-> label: pushed by a (+0.58), b (+0.48)``: the features that raised the chosen
    class's score most (additive models: logistic terms, EBM terms)."""
    order = np.argsort(-push)[: int(n_reasons)]
    parts = [f"{names[j]} ({push[j]:+.2f})" for j in order if push[j] > 0]
    return f"-> {label}: pushed by " + ", ".join(parts) if parts else f"-> {label}: {none}"


class BaseLabeler(BaseEstimator):
    """Assigns labels, class probabilities, a confidence and a readable reason.

    Subclasses implement ``_fit(X, y)``, ``_predict_proba(X) -> ndarray`` and
    ``_explain(X) -> list[str]``; to be stored in the registry also
    ``_get_state() -> dict`` and ``_set_state(state)`` (JSON-ready values only).
    Labelers only ever see real rows in ``fit``.

    A subclass with a ``calibration`` parameter (None, ``"sigmoid"`` or
    ``"isotonic"``) gets calibrated probabilities: the base model's out-of-fold
    probabilities on the real rows are mapped to observed frequencies, one
    monotone map per class, then normalised. With ``class_weight="balanced"``
    the map is fitted with balanced weights, so the probabilities stay "as if
    every class had the same prior".

    A subclass with a ``reference_quantile`` parameter (a float in [0, 1] or
    None) also records, per class, its *reference confidence*: that quantile of
    its probability of the class over the real rows of the class
    (``class_confidence_``; 0.75: the value the surest quarter of them reach).
    Its ``reference`` parameter says which probability: ``"oof"``, each real
    row scored by a copy fitted without it (the quality cross-validation's
    out-of-fold probabilities, so no extra model is fitted; what the labeler
    gives a new row of the class), or ``"in_sample"``, the fitted model scoring
    its own training rows (optimistic: a tree's leaves are purer on the rows
    that shaped them). ``quality_["reference"]`` records the choice. The
    labelers default to ``"in_sample"``: out of fold is lower, and where it
    binds it let more mislabelled rows through (docs/bench_label_noise.md, "The
    reference confidence: in sample or out of fold").
    :meth:`label` hands the reference on as ``attrs["class_confidence"]``, and
    the label gate never asks a synthetic row to be surer of its class than
    that (see :class:`augment.gates.LabelAgreementGate`). A labeler flagged weak
    (its cross-validated balanced accuracy below the warning threshold) records
    none: it cannot vouch for a class it cannot tell apart, so the gate keeps
    ``min_confidence``; with ``"oof"``, neither does one whose quality could
    not be cross-validated (a class with fewer than 2 rows).
    """

    name: ClassVar[str] = "base"
    #: What the probabilities are, e.g. "leaf class shares: P(class | leaf)".
    probability_kind: ClassVar[str] = ""

    @property
    def prior_note(self) -> str:
        """How the class prior enters the probabilities; shown in the report."""
        if self._balanced():
            return (f"{self.probability_kind} with balanced class weights, as if every class "
                    "had the same prior")
        return f"{self.probability_kind} under the real class prior"

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: pd.Series, schema: Schema) -> BaseLabeler:
        """Fit on the real rows' features ``X`` and labels ``y``; then measure quality by CV.

        The cross-validation's out-of-fold probabilities also give the reference
        confidence when ``reference="oof"``: no model is fitted for it alone.
        """
        problems = self.check_params()
        if problems:
            raise ConfigError(format_problems(f"Invalid parameters of labeler '{self.name}'",
                                              problems))
        self._fit_core(X, y, schema)
        X = X[schema.features]
        self.quality_, oof = self._quality(X, y)
        self.class_reference_ = self._class_reference(X, y)
        self.class_confidence_ = {}
        q = getattr(self, "reference_quantile", None)
        if q is None:
            return self
        reference = self._reference()
        self.quality_["reference"] = reference
        if self.quality_.get("weak"):
            # a labeler that cannot tell the classes apart must not lower the label bar
            self.quality_["reference_confidence"] = (
                "not used: a weak labeler does not lower the label gate's bar below "
                "min_confidence")
        elif reference == "oof" and oof is None:
            self.quality_["reference_confidence"] = (
                "not recorded: a class has < 2 real rows, so there are no out-of-fold "
                "probabilities; the label gate keeps min_confidence")
        elif reference == "oof":
            proba, codes = oof
            self.class_confidence_ = self._quantiles(proba, codes, float(q))
            self.quality_["reference_confidence"] = (
                f"{q:g} quantile of the out-of-fold P(class) over the class's real rows "
                f"(the {self.quality_['cv_folds']}-fold quality cross-validation)")
        else:
            self.class_confidence_ = self._class_confidence(X, y)
            self.quality_["reference_confidence"] = (
                f"{q:g} quantile of the in-sample P(class) over the class's real rows (the "
                "fitted model scoring its own training rows)")
        return self

    def _seed(self) -> int:
        """The seed of the labeler's own random choices (cross-validation folds, the quality
        and reference samples): its ``random_state``, 0 when it has none."""
        seed = getattr(self, "random_state", None)
        return int(seed) if isinstance(seed, numbers.Integral) else 0

    def _reference(self) -> str:
        return getattr(self, "reference", "in_sample")

    # -- parameters ------------------------------------------------------------------------
    def check_params(self) -> list[str]:
        """Problems with the parameters, found before any data is read.

        The base class checks the parameters labelers share (``calibration``,
        ``class_weight``, ``reference_quantile``, ``reference``, ``random_state``,
        ``n_reasons``) where a labeler has them; subclasses add their own.
        """
        params = self.get_params(deep=False)
        problems = []
        if params.get("calibration") not in CALIBRATIONS:
            problems.append(f"calibration must be one of {list(CALIBRATIONS)}; got "
                            f"{params['calibration']!r}. Fix: use null, sigmoid or isotonic.")
        if params.get("class_weight") not in CLASS_WEIGHTS:
            problems.append(f"class_weight must be null or 'balanced'; got "
                            f"{params['class_weight']!r}. Fix: null keeps the real class prior "
                            "(the default), balanced weights every class equally.")
        q = params.get("reference_quantile")
        if q is not None and (isinstance(q, bool) or not isinstance(q, (int, float))
                              or not 0.0 <= q <= 1.0):
            problems.append(f"reference_quantile must be in [0, 1] or null; got {q!r}. "
                            "Fix: use 0.75 (the default) or null (no reference).")
        if params.get("reference", "in_sample") not in REFERENCES:
            problems.append(f"reference must be one of {list(REFERENCES)}; got "
                            f"{params['reference']!r}. Fix: use in_sample (the fitted model on "
                            "its own training rows, the default) or oof (out-of-fold "
                            "probabilities).")
        problems += random_state_problems(self)
        if "n_reasons" in params:
            problems += whole_number_problems(self, n_reasons=1)
        return problems

    def _class_reference(self, X: pd.DataFrame, y: pd.Series) -> dict[str, np.ndarray]:
        """Per class: the distribution of the fitted labeler's P(class) over the class's real
        rows (at most :data:`REFERENCE_POINTS` quantiles), what ``match`` acceptance compares
        synthetic rows with.

        In sample, on purpose: a synthetic row is scored by this same model, so a row
        drawn like the class's real rows falls into the model's leaves (or score levels)
        as often as they do. Out-of-fold probabilities come from other models (the
        cross-validation's), whose levels differ: matching against them distorted rows
        drawn from the true distribution (tests/test_faithful_gates.py).
        """
        codes = self._codes(y)
        sample = self._class_sample(codes)
        proba = self._proba(X.iloc[sample])
        out = {}
        for k, c in enumerate(self.classes_):
            own = np.sort(proba[codes[sample] == k, k])
            if len(own) > REFERENCE_POINTS:
                own = np.quantile(own, np.linspace(0, 1, REFERENCE_POINTS))
            if len(own):
                out[str(c)] = own  # full precision: atoms must match candidate P exactly
        return out

    def _class_sample(self, codes: np.ndarray) -> np.ndarray:
        """Row positions, at most ``MAX_QUALITY_ROWS`` per class (a random sample drawn with
        the labeler's seed)."""
        rng = np.random.default_rng(self._seed())
        rows = []
        for k in range(len(self.classes_)):
            own = np.flatnonzero(codes == k)
            if len(own) > MAX_QUALITY_ROWS:
                own = np.sort(rng.choice(own, MAX_QUALITY_ROWS, replace=False))
            rows.append(own)
        return np.concatenate(rows)

    def reference_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(class) of real rows as :meth:`_class_reference` scores them (the fitted model):
        the reference a sub-class region's synthetic rows are matched against."""
        self._check_fitted()
        return self._proba(X[self.schema_.features])

    def _quantiles(self, proba: np.ndarray, codes: np.ndarray, q: float) -> dict[str, float]:
        """Per class with real rows: the ``q`` quantile of ``proba[:, k]`` over its rows."""
        return {str(c): round(float(np.quantile(proba[codes == k, k], q)), 6)
                for k, c in enumerate(self.classes_) if (codes == k).any()}

    def _class_confidence(self, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
        """Per class: ``reference_quantile`` of the in-sample P(class) over its real rows.

        At most ``MAX_QUALITY_ROWS`` rows per class are scored (a random sample).
        """
        codes = self._codes(y)
        rows = self._class_sample(codes)
        return self._quantiles(self._proba(X.iloc[rows]), codes[rows],
                               float(self.reference_quantile))

    def _fit_core(self, X: pd.DataFrame, y: pd.Series, schema: Schema) -> BaseLabeler:
        calibration = getattr(self, "calibration", None)
        self.schema_ = schema
        self.classes_ = np.array(schema.classes, dtype=object)
        X = X[schema.features]
        self._fit(X, y)
        self.calibrators_ = None
        if calibration is not None:
            self.calibrators_ = self._fit_calibration(X, y, calibration)
        return self

    def _balanced(self) -> bool:
        return getattr(self, "class_weight", None) == "balanced"

    def _fit_calibration(self, X: pd.DataFrame, y: pd.Series, method: str) -> list[dict] | None:
        cv = _folds(y, self._seed())
        if cv is None:
            return None
        oof = np.zeros((len(X), len(self.classes_)))
        for train, test in cv.split(X, y.astype(str)):
            fold = clone(self).set_params(calibration=None)
            fold._fit_core(X.iloc[train], y.iloc[train], self.schema_)
            oof[test] = fold._predict_proba(X.iloc[test])
        return fit_calibration(oof, self._codes(y), len(self.classes_), method,
                               balanced=self._balanced())

    def _codes(self, y: pd.Series) -> np.ndarray:
        """Class index of every label, by string value (mixed types compare cleanly)."""
        lookup = {str(c): i for i, c in enumerate(self.classes_)}
        return np.array([lookup.get(str(v), -1) for v in y], dtype=int)

    # -- predicting ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._calibrated(self._predict_proba(X))

    def _calibrated(self, proba: np.ndarray) -> np.ndarray:
        if getattr(self, "calibrators_", None):
            proba = apply_calibration(proba, self.calibrators_)
        return proba

    def _proba_and_rules(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Probabilities and rules of the same rows (a labeler that can share the work
        between the two, such as encoding the rows once, overrides this)."""
        return self._proba(X), self._explain(X)

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class, in ``classes_`` order."""
        self._check_fitted()
        proba = self._proba(X[self.schema_.features])
        return pd.DataFrame(proba, columns=list(self.classes_), index=X.index)

    def explain(self, X: pd.DataFrame) -> pd.Series:
        """The rule or path that decided each row, as text."""
        self._check_fitted()
        return pd.Series(self._explain(X[self.schema_.features]), index=X.index, dtype=object)

    def label(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row: ``label``, ``confidence`` (its probability), ``rule`` and probabilities.

        Probability columns are named ``proba=<class>``. A labeler that abstains
        on a row gives it label ``None`` and confidence 0. ``attrs["class_confidence"]``
        holds the reference confidence per class (``{str(class): p}``; empty without one).
        """
        self._check_fitted()
        values, rules = self._proba_and_rules(X[self.schema_.features])
        best = values.argmax(axis=1)
        out = pd.DataFrame(index=X.index)
        out["label"] = pd.Series(self.classes_[best], index=X.index, dtype=object)
        out["confidence"] = values.max(axis=1)
        out["rule"] = pd.Series(rules, index=X.index, dtype=object)
        for k, c in enumerate(self.classes_):
            out[f"proba={c}"] = values[:, k]
        out.attrs["class_confidence"] = dict(getattr(self, "class_confidence_", None) or {})
        out.attrs["class_reference"] = {c: [float(v) for v in ref] for c, ref in (
            getattr(self, "class_reference_", None) or {}).items()}
        return out

    # -- quality ---------------------------------------------------------------------------
    def _quality(self, X: pd.DataFrame, y: pd.Series
                 ) -> tuple[dict, tuple[np.ndarray, np.ndarray] | None]:
        """Cross-validated balanced accuracy, Brier score and calibration error on real rows;
        and the out-of-fold probabilities with the class codes of the rows they score (None
        where no cross-validation is possible).

        Out-of-fold: every real row is labelled by a copy fitted without it (on a
        stratified sample of ``MAX_QUALITY_ROWS`` rows for larger tables). Balanced
        accuracy scores the decision that maximises it: the label for a labeler with
        balanced class weights, the argmax of P(class) / class share for one whose
        probabilities keep the real prior (whose label would almost never name a rare
        class, however well it ranks the rows). With
        ``class_weight="balanced"`` Brier and ECE are also given with balanced row
        weights (``*_balanced``), the convention those probabilities follow; the
        warning uses the convention the labeler follows (``calibration_prior``).
        """
        if len(X) > MAX_QUALITY_ROWS:  # a stratified sample keeps the estimate, not the cost
            from sklearn.model_selection import train_test_split

            X, _, y, _ = train_test_split(X, y, train_size=MAX_QUALITY_ROWS, stratify=y,
                                          random_state=self._seed())
        cv = _folds(y, self._seed())
        if cv is None:
            return {"cv_balanced_accuracy": None, "weak": False,
                    "note": "a class has < 2 rows; not measured"}, None
        proba, said, value = self._out_of_fold(X, y, cv)
        codes = self._codes(y)
        quality: dict[str, Any] = {"cv_balanced_accuracy": round(value, 4),
                                   "cv_folds": cv.n_splits,
                                   "class_auc": _class_auc(proba, codes, self.classes_),
                                   "min_class_auc": MIN_CLASS_AUC}
        if not self._balanced():
            quality["cv_decision"] = "argmax of P(class) / class share (the balanced decision)"
        quality.update(self._calibration_quality(proba, codes))
        abstained = np.array([s is None for s in said])
        if abstained.any():
            quality["abstained"] = round(float(abstained.mean()), 4)
        quality.update(self._judge_quality(value, quality))
        return quality, (proba, codes)

    def _out_of_fold(self, X: pd.DataFrame, y: pd.Series, cv
                     ) -> tuple[np.ndarray, np.ndarray, float]:
        """Every row labelled by a copy fitted without it: the probabilities, the labels, and
        the mean balanced accuracy over folds of the decision :meth:`_quality` describes."""
        from sklearn.metrics import balanced_accuracy_score

        proba = np.zeros((len(X), len(self.classes_)))
        said = np.empty(len(X), dtype=object)
        scores = []
        for train, test in cv.split(X, y.astype(str)):
            fold = clone(self)._fit_core(X.iloc[train], y.iloc[train], self.schema_)
            out = fold.label(X.iloc[test])
            proba[test] = out[[f"proba={c}" for c in self.classes_]].to_numpy()
            said[test] = out["label"].to_numpy()
            decided = out["label"] if self._balanced() else _balanced_decision(
                out, self.classes_, fold._codes(y.iloc[train]))
            scores.append(balanced_accuracy_score(y.iloc[test].astype(str),
                                                  decided.astype(str)))
        return proba, said, float(np.mean(scores))

    def _calibration_quality(self, proba: np.ndarray, codes: np.ndarray) -> dict:
        """Brier and ECE of out-of-fold probabilities (also with balanced row weights for a
        labeler with balanced class weights) and the prior they follow."""
        quality = {k: round(v, 4) for k, v in calibration_metrics(proba, codes).items()}
        if self._balanced():
            balanced = calibration_metrics(proba, codes, _balanced_weights(codes))
            quality.update({f"{k}_balanced": round(v, 4) for k, v in balanced.items()})
        quality["calibration_prior"] = "balanced" if self._balanced() else "real"
        return quality

    def _judge_quality(self, value: float, quality: dict) -> dict:
        """Whether the labeler is weak or poorly calibrated, and why; warns when it is."""
        prior = quality["calibration_prior"]
        ece = quality["ece_balanced" if prior == "balanced" else "ece"]
        reasons = []
        if value < WEAK_LABELER_BALANCED_ACCURACY:
            reasons.append(f"cross-validated balanced accuracy {value:.3f} < "
                           f"{WEAK_LABELER_BALANCED_ACCURACY}")
        if ece > MAX_LABELER_ECE:
            reasons.append(f"expected calibration error {ece:.3f} > {MAX_LABELER_ECE}")
        weak = value < WEAK_LABELER_BALANCED_ACCURACY
        if reasons:
            kind = "weak" if weak else "poorly calibrated"
            fix = ("consider a deeper model, other features or expert rules"
                   if weak else "consider calibration='sigmoid' or 'isotonic'")
            warnings.warn(f"Labeler '{self.name}' is {kind}: {'; '.join(reasons)}. Its labels "
                          f"on synthetic rows deserve little trust; {fix}.", stacklevel=4)
        return dict(weak=weak, weak_threshold=WEAK_LABELER_BALANCED_ACCURACY,
                    poorly_calibrated=ece > MAX_LABELER_ECE, max_ece=MAX_LABELER_ECE,
                    weak_reason="; ".join(reasons))

    # -- description and storage -----------------------------------------------------------
    def describe(self) -> dict:
        """Name, parameters, prior handling, quality and the readable model, for the manifest."""
        self._check_fitted()
        return {"name": self.name, "class": type(self).__name__,
                "params": _plain(self.get_params(deep=False)),
                "probabilities": self.prior_note, "quality": self.quality_,
                "reference_confidence": dict(getattr(self, "class_confidence_", None) or {}),
                "model": self.to_text()}

    def to_text(self) -> str:
        """The whole fitted model as readable text."""
        raise NotImplementedError

    def get_state(self) -> dict:
        """Everything fitted, as JSON-ready values (see :mod:`augment.labelers.registry`)."""
        self._check_fitted()
        return {"schema": _schema_to_dict(self.schema_),
                "calibrators": getattr(self, "calibrators_", None),
                "class_confidence": getattr(self, "class_confidence_", None) or {},
                "class_reference": {c: [float(v) for v in ref] for c, ref in (
                    getattr(self, "class_reference_", None) or {}).items()},
                "quality": getattr(self, "quality_", None), "model": self._get_state()}

    def set_state(self, state: dict) -> BaseLabeler:
        """Restore a labeler saved by :meth:`get_state`, without refitting."""
        self.schema_ = _schema_from_dict(state["schema"])
        self.classes_ = np.array(self.schema_.classes, dtype=object)
        self.calibrators_ = state.get("calibrators")
        self.class_confidence_ = state.get("class_confidence") or {}  # older versions: none
        self.class_reference_ = {c: np.asarray(ref, dtype=float)
                                 for c, ref in (state.get("class_reference") or {}).items()}
        self.quality_ = state.get("quality", {})
        self._set_state(state["model"])
        return self

    def _get_state(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} cannot be stored in the registry.")

    def _set_state(self, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be loaded from the registry.")

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        raise NotImplementedError

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _explain(self, X: pd.DataFrame) -> list[str]:
        raise NotImplementedError


def _balanced_decision(out: pd.DataFrame, classes: np.ndarray, train_codes: np.ndarray
                       ) -> pd.Series:
    """The class with the highest P(class) / (its share of the training rows), per row;
    rows the labeler abstained on stay None."""
    share = np.bincount(train_codes[train_codes >= 0], minlength=len(classes)).astype(float)
    proba = out[[f"proba={c}" for c in classes]].to_numpy(dtype=float)
    ratio = np.where(share > 0, proba / np.where(share > 0, share, 1.0), -np.inf)
    decided = pd.Series(classes[ratio.argmax(axis=1)], index=out.index, dtype=object)
    return decided.where(out["label"].notna(), None)


def _class_auc(proba: np.ndarray, codes: np.ndarray, classes) -> dict[str, float | None]:
    """Per class: out-of-fold ROC-AUC of P(class), the class's rows against all others
    (None where a side is empty). How well the labeler tells the class apart."""
    from sklearn.metrics import roc_auc_score

    out: dict[str, float | None] = {}
    for k, c in enumerate(classes):
        own = codes == k
        out[str(c)] = (round(float(roc_auc_score(own, proba[:, k])), 4)
                       if own.any() and (~own).any() else None)
    return out


def _balanced_weights(codes: np.ndarray) -> np.ndarray:
    counts = np.bincount(codes[codes >= 0], minlength=codes.max() + 1).astype(float)
    return np.where(codes >= 0, len(codes) / (len(counts) * counts[np.maximum(codes, 0)]), 0.0)


def _plain(value: Any) -> Any:
    """Parameters as JSON-ready values (nested labelers become their name and params)."""
    if isinstance(value, BaseLabeler):
        return {"name": value.name, "params": _plain(value.get_params(deep=False))}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _schema_to_dict(schema: Schema) -> dict:
    from dataclasses import asdict

    return {"target": schema.target, "classes": _plain(list(schema.classes)),
            "class_counts": [[_plain(k), int(v)] for k, v in schema.class_counts.items()],
            "columns": [_plain(asdict(c)) for c in schema.columns.values()]}


def _schema_from_dict(data: dict) -> Schema:
    from augment.data import Column

    columns = {c["name"]: Column(**{**c, "categories": tuple(c["categories"])})
               for c in data["columns"]}
    return Schema(target=data["target"], columns=columns, classes=tuple(data["classes"]),
                  class_counts={k: v for k, v in data["class_counts"]})
