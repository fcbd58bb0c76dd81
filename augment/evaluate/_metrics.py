"""Downstream metrics: per-class precision/recall/F1, balanced accuracy, PR-AUC, ROC-AUC,
Brier score and expected calibration error."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

__all__ = ["classification_metrics", "expected_calibration_error"]


def expected_calibration_error(y_true, proba: np.ndarray, classes, n_bins: int = 10) -> float:
    """Top-label ECE of labels ``y_true`` under ``proba`` (columns in ``classes`` order).

    The same definition the labelers' quality uses
    (:func:`augment.labelers._calibration.expected_calibration_error`): equal-width bins of
    the predicted class's probability, |accuracy - confidence| weighted by bin share.
    """
    from augment.labelers._calibration import expected_calibration_error as ece

    codes = pd.Categorical(np.asarray(y_true, dtype=object), categories=list(classes)).codes
    return ece(np.asarray(proba, dtype=float), codes, n_bins=n_bins)


def classification_metrics(y_true, proba: np.ndarray, classes, minority, pred=None) -> dict:
    """All metrics for one model on one test set.

    Parameters
    ----------
    y_true : array of labels
    proba : array (n_rows, n_classes), columns in ``classes`` order
    classes : the class labels, in column order
    minority : the classes whose per-class metrics matter (the grown ones)
    pred : array of labels, optional
        The model's decisions (default: the most probable class; pass them for a
        model with a tuned threshold).

    Returns a flat dict: ``balanced_accuracy``, ``roc_auc`` (binary, or one-vs-rest
    macro), ``brier`` (binary: of the minority class; multiclass: mean squared error
    of the one-hot probabilities), ``ece`` and, per minority class ``c``,
    ``precision[c]``, ``recall[c]``, ``f1[c]``, ``pr_auc[c]`` (average precision,
    one-vs-rest); ``minority_f1`` and ``minority_pr_auc`` average them.
    """
    y_true = np.asarray(y_true, dtype=object)
    classes = list(classes)
    proba = np.asarray(proba, dtype=float)
    if pred is None:
        pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    out = {"balanced_accuracy": float(balanced_accuracy_score(y_true, pred))}
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, pred, labels=classes, zero_division=0)
    f1s, aps = [], []
    for i, c in enumerate(classes):
        if c not in minority:
            continue
        positive = (y_true == c).astype(int)
        out[f"precision[{c}]"] = float(precision[i])
        out[f"recall[{c}]"] = float(recall[i])
        out[f"f1[{c}]"] = float(f1[i])
        out[f"pr_auc[{c}]"] = float(average_precision_score(positive, proba[:, i]))
        f1s.append(f1[i])
        aps.append(out[f"pr_auc[{c}]"])
    out["minority_f1"] = float(np.mean(f1s)) if f1s else float("nan")
    out["minority_pr_auc"] = float(np.mean(aps)) if aps else float("nan")
    if len(classes) == 2:
        positive_class = next((c for c in classes if c in minority), classes[1])
        j = classes.index(positive_class)
        positive = (y_true == positive_class).astype(int)
        out["roc_auc"] = float(roc_auc_score(positive, proba[:, j]))
        out["brier"] = float(brier_score_loss(positive, proba[:, j]))
    else:
        onehot = (y_true[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(float)
        out["roc_auc"] = float(roc_auc_score(onehot, proba, average="macro", multi_class="ovr"))
        out["brier"] = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    out["ece"] = expected_calibration_error(y_true, proba, classes)
    return out
