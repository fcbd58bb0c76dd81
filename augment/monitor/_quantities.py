"""The quantities a run is monitored on, as flat ``{(family, key): value}`` dicts."""

from __future__ import annotations

import pandas as pd

from augment.monitor._run import RunData

__all__ = ["QUALITY_KEYS", "label_shares", "run_quantities"]

#: Labeler quality numbers compared between runs (all from cross-validation on real rows).
QUALITY_KEYS = ("cv_balanced_accuracy", "brier", "ece")


def label_shares(labels: pd.Series) -> dict[str, float]:
    """Share of rows per label (labels as text); empty when there are no rows."""
    if len(labels) == 0:
        return {}
    shares = labels.astype(str).value_counts(normalize=True)
    return {str(k): float(v) for k, v in shares.items()}


def run_quantities(run: RunData) -> dict[tuple[str, str], float | bool | None]:
    """Every monitored number of one run.

    Families: ``label_share`` (per class of kept synthetic rows), ``region_share``
    (per region), ``acceptance`` (kept / rejected-by-reason / surplus shares of all
    generated rows), ``pass_rate`` (per region), ``fidelity_score`` and
    ``fidelity_verdict`` (per region and batch check), ``labeler_quality``.
    """
    out: dict[tuple[str, str], float | bool | None] = {}
    syn = run.synthetic
    for k, v in label_shares(syn[run.target] if len(syn) else pd.Series(dtype=object)).items():
        out["label_share", f"class={k}"] = v
    if len(syn) and "_region" in syn:
        for k, v in label_shares(syn["_region"]).items():
            out["region_share", k] = v
    counts = run.manifest["counts"]
    generated = counts.get("generated") or 0
    if generated:
        out["acceptance", "kept"] = counts.get("kept", 0) / generated
        out["acceptance", "surplus"] = counts.get("surplus", 0) / generated
        for reason, n in counts.get("rejected_by_reason", {}).items():
            out["acceptance", f"rejected:{reason}"] = n / generated
    for region in run.manifest["regions"]:
        if region.get("pass_rate") is not None:
            out["pass_rate", region["id"]] = float(region["pass_rate"])
    for b in run.manifest.get("batch_fidelity", []):
        key = f"{b['region']} {b['gate']}"
        if b.get("score") is not None:
            out["fidelity_score", key] = float(b["score"])
        out["fidelity_verdict", key] = b.get("passed")
    quality = (run.manifest.get("labeler") or {}).get("quality") or {}
    for k in QUALITY_KEYS:
        if quality.get(k) is not None:
            out["labeler_quality", k] = float(quality[k])
    return out
