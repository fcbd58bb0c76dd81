"""Probability calibration maps (sigmoid / isotonic) and calibration metrics (Brier, ECE).

Maps are stored as plain numbers, so a calibrated labeler can be saved as JSON.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CALIBRATIONS", "apply_calibration", "calibration_metrics",
           "expected_calibration_error", "fit_calibration"]

CALIBRATIONS = (None, "sigmoid", "isotonic")
_EPS = 1e-6
#: Platt scaling sees logits within +-this (a pure leaf says P=0.999, not 1 - 1e-6).
_LOGIT_CLIP = 7.0


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _platt(x: np.ndarray, target: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Platt scaling ``P = sigmoid(a x + b)`` with Platt's smoothed targets.

    The smoothed targets ((n+ + 1) / (n+ + 2) and 1 / (n- + 2)) keep a separable
    fit from saying 0 or 1 outright. An unpenalised
    :class:`~sklearn.linear_model.LogisticRegression` on the logits fits them: each
    row enters twice, as a positive weighted ``w t`` and a negative weighted
    ``w (1 - t)``, whose weighted log-loss is the soft-target loss.
    """
    from sklearn.linear_model import LogisticRegression

    n_pos, n_neg = weights[target == 1].sum(), weights[target == 0].sum()
    t = np.where(target == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    x = np.clip(x, -_LOGIT_CLIP, _LOGIT_CLIP)
    X = np.r_[x, x][:, None]
    y = np.r_[np.ones(len(x)), np.zeros(len(x))]
    w = np.r_[weights * t, weights * (1 - t)]
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=200)
    model.fit(X, y, sample_weight=w)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def fit_calibration(oof: np.ndarray, codes: np.ndarray, n_classes: int, method: str, *,
                    balanced: bool = False) -> list[dict]:
    """One monotone map per class from out-of-fold probabilities to observed frequencies.

    With two classes only the second class is mapped (the first is its complement).
    ``balanced`` weights every class to the same total while fitting.
    """
    from sklearn.isotonic import IsotonicRegression

    weights = np.ones(len(codes))
    if balanced:
        counts = np.bincount(codes, minlength=n_classes).astype(float)
        weights = len(codes) / (n_classes * np.maximum(counts[codes], 1))
    maps = []
    for k in ([1] if n_classes == 2 else range(n_classes)):
        target = (codes == k).astype(int)
        if target.min() == target.max():
            maps.append({"class": int(k), "kind": "identity"})
            continue
        if method == "sigmoid":
            a, b = _platt(_logit(oof[:, k]), target, weights)
            maps.append({"class": int(k), "kind": "sigmoid", "a": a, "b": b})
        else:
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(oof[:, k], target, sample_weight=weights)
            maps.append({"class": int(k), "kind": "isotonic",
                         "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()})
    return maps


def apply_calibration(proba: np.ndarray, maps: list[dict]) -> np.ndarray:
    """Map raw probabilities through :func:`fit_calibration`'s maps; rows sum to 1."""
    out = proba.astype(float).copy()
    for m in maps:
        k, p = m["class"], proba[:, m["class"]]
        if m["kind"] == "sigmoid":
            out[:, k] = 1.0 / (1.0 + np.exp(-(m["a"] * _logit(p) + m["b"])))
        elif m["kind"] == "isotonic":
            out[:, k] = np.interp(p, m["x"], m["y"])
    if proba.shape[1] == 2:
        out[:, 0] = 1.0 - out[:, 1]
        return out
    total = out.sum(axis=1, keepdims=True)
    uniform = np.full_like(out, 1.0 / out.shape[1])
    return np.where(total > 0, out / np.where(total > 0, total, 1.0), uniform)


def expected_calibration_error(proba: np.ndarray, codes: np.ndarray,
                               sample_weight: np.ndarray | None = None,
                               n_bins: int = 10) -> float:
    """Top-label ECE: sum over confidence bins of (bin share) x |accuracy - mean confidence|.

    Bins are equal-width on [0, 1]: a row with confidence ``c`` falls in bin
    ``min(floor(c * n_bins), n_bins - 1)``.
    """
    w = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, float)
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == codes).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    total, ece = w.sum(), 0.0
    for b in np.unique(bins):
        m = bins == b
        wb = w[m].sum()
        if wb > 0:
            ece += wb / total * abs(np.average(correct[m], weights=w[m])
                                    - np.average(conf[m], weights=w[m]))
    return float(ece)


def calibration_metrics(proba: np.ndarray, codes: np.ndarray,
                        sample_weight: np.ndarray | None = None) -> dict[str, float]:
    """``brier`` (binary: of the second class; multiclass: summed over classes) and ``ece``."""
    w = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, float)
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(codes)), codes] = 1.0
    per_row = ((proba - onehot) ** 2).sum(axis=1)
    if proba.shape[1] == 2:
        per_row = per_row / 2.0
    return {"brier": float(np.average(per_row, weights=w)),
            "ece": expected_calibration_error(proba, codes, w)}
