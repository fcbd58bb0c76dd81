"""Agreement of two stored labelers on a fixed probe set of rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augment.errors import AugmentError
from augment.monitor._run import RunData

__all__ = ["agreement", "load_labeler", "probe_rows"]


def _registry_candidates(registry: str | None, run: RunData) -> list[Path]:
    if not registry:
        return []
    path = Path(registry)
    if path.is_absolute():
        return [path]
    # a relative registry was relative to where the run was started: try there, then upwards
    return [path, *[parent / path for parent in run.path.resolve().parents]]


def load_labeler(run: RunData, registry: str | None = None):
    """``(labeler, None)`` for the run's stored labeler version, or ``(None, why not)``."""
    from augment.labelers import load

    info = run.manifest.get("labeler") or {}
    version = info.get("version")
    if not version:
        return None, f"run {run.name} did not store its labeler (labeler.version is null)"
    places = [Path(registry)] if registry else _registry_candidates(info.get("registry"), run)
    for place in places:
        if (place / version).is_dir():
            try:
                return load(version, place), None
            except AugmentError as exc:
                return None, f"labeler {version} of run {run.name}: {exc}"
    return None, (f"labeler {version} of run {run.name} not found in registry "
                  f"{registry or info.get('registry')!r} (use --registry)")


def probe_rows(a: RunData, b: RunData, limit: int, seed: int = 0) -> pd.DataFrame:
    """The union of both runs' synthetic rows (feature columns), deduplicated, at most ``limit``.

    The sample is seeded, so the same two runs always give the same probe set.
    """
    features = a.features
    parts = [r.synthetic[features] for r in (a, b) if len(r.synthetic)]
    if not parts:
        return pd.DataFrame(columns=features)
    rows = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    if len(rows) > limit:
        rows = rows.iloc[np.sort(np.random.default_rng(seed).choice(len(rows), limit,
                                                                     replace=False))]
    return rows.reset_index(drop=True)


def agreement(labeler_a, labeler_b, rows: pd.DataFrame) -> dict:
    """Share of ``rows`` given the same label by both labelers, and each one's label shares."""
    la = labeler_a.label(rows)["label"].astype(str).to_numpy()
    lb = labeler_b.label(rows)["label"].astype(str).to_numpy()
    return {"rows": len(rows), "agreement": float(np.mean(la == lb)) if len(rows) else None,
            "labels_a": pd.Series(la), "labels_b": pd.Series(lb)}
