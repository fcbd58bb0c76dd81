"""Fidelity figures: the discriminator's ROC before and after gating."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from augment.data import Schema

__all__ = ["discriminator_roc"]


def discriminator_roc(real: pd.DataFrame, candidates: pd.DataFrame, kept: pd.DataFrame,
                      schema: Schema, path: str | Path, *, max_rows: int = 5000,
                      random_state: int | None = 0) -> dict:
    """Plot ROC curves of a fresh real-vs-synthetic discriminator, before and after gating.

    Two cross-validated gradient-boosting discriminators (the two-sample test of
    :func:`augment.gates.two_sample_auc`) are trained: real vs all candidate rows,
    and real vs the kept rows. A curve on the diagonal means the discriminator cannot
    tell the rows from real ones. Pass real rows the gates did not see (a holdout)
    for an honest after-gating curve; rows the realism gate was fitted on make the
    "after" curve look better than it is.

    Parameters
    ----------
    real, candidates, kept : DataFrame
        Real rows, every generated row, the rows the gates kept (feature columns
        as in ``schema``; other columns are ignored).
    schema : Schema
    path : str or Path
        PNG file to write.
    max_rows : int
        Rows per side for each discriminator, at most.
    random_state : int or None

    Returns
    -------
    dict
        ``{"auc_before": float, "auc_after": float or None}``; ``auc_after`` is None
        (and only the "before" curve is drawn) with fewer than 10 kept rows.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    from augment.gates import two_sample_scores

    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    out: dict = {"auc_before": None, "auc_after": None}
    for key, rows, style in (("auc_before", candidates, "-"), ("auc_after", kept, "--")):
        if min(len(rows), len(real)) < 10:
            continue
        y, p = two_sample_scores(real, rows, schema, max_rows=max_rows, random_state=random_state)
        auc = float(roc_auc_score(y, p))
        fpr, tpr, _ = roc_curve(y, p)
        label = ("all candidates" if key == "auc_before" else "kept") + f" ({len(rows)} rows)"
        ax.plot(fpr, tpr, style, label=f"{label}: AUC {auc:.3f}")
        out[key] = round(auc, 4)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, label="indistinguishable")
    ax.set_xlabel("false positive rate (real called synthetic)")
    ax.set_ylabel("true positive rate (synthetic caught)")
    ax.set_title("Real-vs-synthetic discriminator\nbefore and after gating", fontsize=10)
    ax.set_xlim(0, 1), ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(Path(path), dpi=110)
    plt.close(fig)
    return out
