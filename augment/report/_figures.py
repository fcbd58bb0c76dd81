"""PNG figures of a run: class counts, marginals, rejection reasons, label confidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augment.data import as_text
from augment.gates import MarginalGate

__all__ = ["make_figures"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Rejected rows the figures draw on at most (a sample, the same for every figure).
MAX_REJECTED_ROWS = 200_000


def _rejected_sample(result, rejected=None, random_state=0):
    """The rejected rows, or an even sample of them (seeded) past :data:`MAX_REJECTED_ROWS`."""
    if rejected is not None:
        return rejected
    return result.rejected_rows.sample(MAX_REJECTED_ROWS, random_state=random_state)


def class_counts(result, path: Path) -> None:
    plt = _plt()
    schema = result.schema
    real = result.augmented[~result.augmented["_synthetic"]][schema.target].value_counts()
    after = result.augmented[schema.target].value_counts()
    classes = [c for c in schema.classes]
    targets = {r["label"]: r["target"] for r in result.regions}
    x = np.arange(len(classes))
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(classes) + 2) + 1.8, 3.6))
    ax.bar(x - 0.2, [real.get(c, 0) for c in classes], 0.4, label="real (before)")
    ax.bar(x + 0.2, [after.get(c, 0) for c in classes], 0.4, label="real + kept synthetic")
    for i, c in enumerate(classes):
        if str(c) in targets:
            ax.hlines(targets[str(c)], i - 0.45, i + 0.45, colors="k", linestyles="--",
                      label="target" if i == 0 or "target" not in
                      ax.get_legend_handles_labels()[1] else None)
    ax.set_xticks(x, [str(c) for c in classes])
    ax.set_ylabel("rows")
    ax.set_title("Rows per class before and after augmentation")
    # outside the axes: inside, the legend hid a class's bars or its target line
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def coverage(result, path: Path) -> bool:
    """Per region: real rows before, target, rows after (real + kept inside the region)."""
    if not result.regions:
        return False
    plt = _plt()
    regions = result.regions
    y = np.arange(len(regions))
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(regions) + 1.6))
    ax.barh(y + 0.2, [r["count"] for r in regions], 0.4, label="before (real)")
    ax.barh(y - 0.2, [r["after"] for r in regions], 0.4, label="after (real + kept)")
    ax.scatter([r["target"] for r in regions], y, marker="|", s=300, c="k", label="target",
               zorder=3)
    ax.set_yticks(y, [r["id"] for r in regions], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("rows (log scale)")
    ax.set_title("Coverage: rows per region before and after")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def marginals(result, path: Path, n_columns: int = 6, rejected=None) -> bool:
    """Real rows of the first grown class vs the candidates generated for it (before any
    gate) vs its kept rows: the columns the gates moved most away from the real rows first
    (``result.distortion``), then the least similar kept columns. Without a candidate
    sample, rejected rows stand in for the candidates."""
    classes = [r for r in result.regions if r["kind"] == "class"]
    if not classes:
        return False
    plt = _plt()
    schema = result.schema
    label = classes[0]["label"]
    aug = result.augmented
    real = aug[(~aug["_synthetic"]) & (aug[schema.target].astype(str) == label)]
    kept = aug[aug["_synthetic"] & (aug[schema.target].astype(str) == label)]
    candidates = (result.candidates or {}).get(label)
    other = "candidates"
    if candidates is None:
        other, candidates = "rejected", _rejected_sample(result, rejected)
        if len(candidates):
            candidates = candidates[(candidates[schema.target].astype(str) == label).to_numpy()]
    if len(kept) == 0 or len(real) == 0:
        return False
    scores = MarginalGate.column_scores(real, kept, schema)
    moved = next((d.get("most_distorted_columns", {}) for d in result.distortion
                  if d["region"] == classes[0]["id"]), {})
    moved = [c for c, v in moved.items() if v["candidates"] - v["kept"] > 0.01]
    columns = (moved + sorted((c for c in scores if c not in moved), key=scores.get))[:n_columns]
    ncols = 3
    nrows = int(np.ceil(len(columns) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, columns):
        sides = [("real", real), (other, candidates), ("kept", kept)]
        if schema.columns[name].is_numeric:
            values = [pd.to_numeric(s[name], errors="coerce").dropna() for _, s in sides]
            lo, hi = np.nanpercentile(values[0], [0.5, 99.5]) if len(values[0]) else (0, 1)
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
            for (side, _), v in zip(sides, values):
                if len(v):
                    ax.hist(v.clip(lo, hi), bins=bins, density=True, histtype="step", lw=1.6,
                            label=side)
        else:
            shares = pd.DataFrame({side: as_text(s[name]).iloc[:, 0].value_counts(normalize=True)
                                   for side, s in sides if len(s)}).fillna(0)
            shares = shares.sort_values("real", ascending=False).head(12)
            shares.plot.bar(ax=ax, width=0.8, legend=False)
            ax.tick_params(axis="x", labelsize=7, rotation=60)
        flag = " moved by gates" if name in moved else ""
        ax.set_title(f"{name} (kept similarity {scores[name]:.2f}){flag}", fontsize=9)
    for ax in list(axes.flat)[len(columns):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"class={label}: real vs {other} vs kept rows", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def rejection_reasons(result, path: Path) -> bool:
    counts = {r["id"]: r["rejected_by_reason"] for r in result.regions if r["rejected_by_reason"]}
    if not counts:
        return False
    plt = _plt()
    frame = pd.DataFrame(counts).fillna(0).astype(int)
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(frame) + 2))
    frame.plot.barh(ax=ax)
    ax.set_xlabel("rejected rows")
    ax.set_title("Why synthetic rows were rejected (first failed check)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def label_confidence(result, path: Path, rejected=None) -> bool:
    kept = result.augmented.loc[result.augmented["_synthetic"], "_label_confidence"]
    rej = _rejected_sample(result, rejected)
    if len(kept) == 0 and len(rej) == 0:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bins = np.linspace(0, 1, 41)
    if len(kept):
        ax.hist(kept.astype(float), bins=bins, alpha=0.6, label="kept")
    if len(rej):  # surplus rows passed every gate: they are not "rejected"
        surplus = rej["_reason"].astype(str).str.startswith("surplus").to_numpy()
        for mask, label in ((~surplus, "rejected by a gate"),
                            (surplus, "surplus (passed, target already met)")):
            if mask.any():
                ax.hist(rej.loc[mask, "_label_confidence"].astype(float).dropna(), bins=bins,
                        alpha=0.6, label=label)
    ax.set_xlabel("labeler probability of the intended class")
    ax.set_ylabel("rows")
    ax.set_title("Label confidence of synthetic rows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def loss_curve(result, path: Path) -> bool:
    """Training losses per epoch of a deep generator (undertraining shows here)."""
    curve = result.generator.get("training", {}).get("loss_curve")
    if not curve or len(curve.get("epoch", [])) < 2:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, values in curve.items():
        if name != "epoch":
            ax.plot(curve["epoch"], values, marker=".", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    training = result.generator["training"]
    ax.set_title(f"{result.generator['name']}: {training['epochs_run']} of {training['epochs']} "
                 f"epochs{' (stopped early: time budget)' if training['stopped_early'] else ''}",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def discriminator(result, path: Path, rejected=None) -> bool:
    """ROC of a fresh real-vs-synthetic discriminator on the first grown class, before
    (every generated row) and after (kept rows) gating."""
    from augment.report._fidelity_figures import discriminator_roc

    regions = [r for r in result.regions if r["kind"] == "class"]
    if not regions:
        return False
    schema = result.schema
    label = regions[0]["label"]
    aug = result.augmented
    real = aug[(~aug["_synthetic"]) & (aug[schema.target].astype(str) == label)]
    kept = aug[aug["_synthetic"] & (aug[schema.target].astype(str) == label)]
    candidates = (result.candidates or {}).get(label)  # a uniform sample, before any gate
    if candidates is None:
        rejected = _rejected_sample(result, rejected)
        if len(rejected):
            rejected = rejected[rejected[schema.target].astype(str) == label]
        else:
            rejected = kept.iloc[:0]
        candidates = pd.concat([kept[schema.features], rejected[schema.features]],
                               ignore_index=True)
    if min(len(real), len(kept)) < 10:
        return False
    discriminator_roc(real, candidates, kept, schema, path, max_rows=2000)
    return True


def make_figures(result, folder: Path, random_state: int | None = 0) -> list[str]:
    """Write every figure that has data to show; return their file names.

    ``random_state`` (the run's seed) draws the sample of rejected rows they show.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    seed = 0 if random_state is None else int(random_state)
    rejected = _rejected_sample(result, random_state=seed)  # drawn once for every figure
    class_counts(result, folder / "class_counts.png")
    written.append("class_counts.png")
    for name, fn in (("coverage.png", coverage), ("marginals.png", marginals),
                     ("rejection_reasons.png", rejection_reasons),
                     ("loss_curve.png", loss_curve),
                     ("discriminator_roc.png", discriminator),
                     ("label_confidence.png", label_confidence)):
        uses_rejected = fn in (marginals, label_confidence, discriminator)
        if fn(result, folder / name, **({"rejected": rejected} if uses_rejected else {})):
            written.append(name)
    return written
