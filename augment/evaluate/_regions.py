"""Metrics on the held-out real rows inside each region: is a thin region better served?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

__all__ = ["region_metrics", "worst_region"]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def region_metrics(test: pd.DataFrame, target: str, proba: np.ndarray, pred: np.ndarray,
                   classes: list[str], regions) -> dict:
    """Per region: how the model ranks and decides the region's class among its subgroup.

    A region's subgroup is every held-out row inside its category sets and ranges,
    whatever its class (:meth:`Region.where`); its positives are those of the
    region's class (the held-out rows of the region itself).

    Returns ``{region id: {test_rows, positives, pr_auc, recall, precision, f1}}``:
    ``pr_auc`` is the average precision of the class's probability within the
    subgroup (None without both positives and negatives there); ``recall``,
    ``precision`` and ``f1`` are of the model's own decision ``pred`` (its argmax,
    or a tuned threshold) within the subgroup.
    """
    y = test[target].astype(str).to_numpy()
    out = {}
    for region in regions:
        label = str(region.label)
        inside = region.where(test).to_numpy(dtype=bool)
        positive = inside & (y == label)
        said = inside & (pred == label)
        n_pos, n_in = int(positive.sum()), int(inside.sum())
        pr_auc = None
        if 0 < n_pos < n_in:
            j = classes.index(label)
            pr_auc = round(float(average_precision_score(positive[inside], proba[inside, j])), 6)
        hits = int((positive & said).sum())
        recall, precision = _ratio(hits, n_pos), _ratio(hits, int(said.sum()))
        f1 = (round(2 * recall * precision / (recall + precision), 6)
              if recall is not None and precision is not None and recall + precision > 0
              else (0.0 if n_pos else None))
        out[region.id] = {"test_rows": n_in, "positives": n_pos, "pr_auc": pr_auc,
                          "recall": recall, "precision": precision, "f1": f1}
    return out


def worst_region(per_region: dict) -> dict:
    """The lowest PR-AUC and recall over regions (and which region holds each)."""
    out = {}
    for metric in ("pr_auc", "recall"):
        scored = [(v[metric], rid) for rid, v in per_region.items() if v[metric] is not None]
        value, rid = min(scored) if scored else (None, None)
        out[f"worst_region_{metric}"] = value
        out[f"worst_region_{metric}_id"] = rid
    return out
