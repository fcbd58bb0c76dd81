"""Collect a sweep's metrics.json files into one comparison table, with paired tests and plots.

Usage: python scripts/summarize.py SWEEP_DIR [--metrics minority_f1 minority_pr_auc brier]
           [--baselines none smote] [--out SWEEP_DIR/summary]

Writes summary.csv (one row per job x pathway x model), summary.md (mean and 95% interval per
dataset x model x pathway; paired differences against each baseline over the same seeds with a
Wilcoxon signed-rank p-value; failed jobs), and PNG plots (metric by pathway; label noise vs
coverage when the jobs measured them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from augment.report import markdown_table

DEFAULT_METRICS = ["minority_f1", "minority_pr_auc", "balanced_accuracy", "roc_auc", "brier",
                   "ece"]


def _overrides(job: Path) -> list[str]:
    path = job / ".hydra" / "overrides.yaml"
    if not path.exists():
        return []
    import yaml

    return list(yaml.safe_load(path.read_text()) or [])


def collect(sweep: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Every job's results as rows, and the failed jobs."""
    rows, failed = [], []
    for job in sorted(p for p in sweep.rglob("*") if p.is_dir() and (
            (p / "metrics.json").exists() or (p / "error.json").exists())):
        overrides = _overrides(job)
        if (job / "error.json").exists():
            error = json.loads((job / "error.json").read_text())
            failed.append({"job": str(job.relative_to(sweep)), "overrides": " ".join(overrides),
                           "error": error["error"]})
            continue
        metrics = json.loads((job / "metrics.json").read_text())
        manifest_path = job / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        dataset = (manifest.get("input", {}).get("path") or manifest.get("input", {}).get("name")
                   or "unknown")
        for result in metrics["results"]:
            rows.append({"job": str(job.relative_to(sweep)), "overrides": " ".join(overrides),
                         "dataset": Path(str(dataset)).stem if "/" in str(dataset) else dataset,
                         "seed": metrics.get("seed"), **result})
    return pd.DataFrame(rows), failed


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval half-width (nan with one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, float("nan"), len(values)
    low, _ = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    return mean, mean - float(low), len(values)


def aggregate(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    records = []
    for (dataset, model, pathway), group in frame.groupby(["dataset", "model", "pathway"]):
        record = {"dataset": dataset, "model": model, "pathway": pathway,
                  "runs": len(group)}
        for metric in metrics:
            if metric in group:
                mean, half, _ = interval(group[metric].dropna().to_numpy())
                record[metric] = f"{mean:.3f} ± {half:.3f}" if np.isfinite(half) else \
                    f"{mean:.3f}"
        records.append(record)
    return pd.DataFrame(records)


def paired(frame: pd.DataFrame, metrics: list[str], baselines: list[str]) -> pd.DataFrame:
    """Augmentation pathways minus each baseline, paired on (dataset, model, seed)."""
    records = []
    pathways = sorted(p for p in frame["pathway"].unique() if p.startswith("augment"))
    for (dataset, model), group in frame.groupby(["dataset", "model"]):
        for pathway in pathways:
            ours = group[group["pathway"] == pathway].groupby("seed")[metrics].mean()
            for baseline in baselines:
                theirs = group[group["pathway"] == baseline].groupby("seed")[metrics].mean()
                seeds = ours.index.intersection(theirs.index)
                if len(seeds) == 0:
                    continue
                record = {"dataset": dataset, "model": model, "pathway": pathway,
                          "baseline": baseline, "paired seeds": len(seeds)}
                for metric in metrics:
                    diff = (ours.loc[seeds, metric] - theirs.loc[seeds, metric]).to_numpy()
                    p = float("nan")
                    if len(diff) >= 2 and np.any(diff != 0):
                        p = float(stats.wilcoxon(diff).pvalue)
                    record[f"Δ {metric}"] = f"{diff.mean():+.3f} (p={p:.2f})"
                records.append(record)
    return pd.DataFrame(records)


def plots(frame: pd.DataFrame, metrics: list[str], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for metric in metrics:
        if metric not in frame:
            continue
        table = frame.groupby(["model", "pathway"])[metric].agg(["mean", "sem"]).reset_index()
        models = sorted(table["model"].unique())
        fig, axes = plt.subplots(1, len(models), figsize=(4.5 * len(models), 3.6),
                                 squeeze=False)
        for ax, model in zip(axes[0], models):
            part = table[table["model"] == model].sort_values("mean")
            ax.barh(part["pathway"], part["mean"], xerr=1.96 * part["sem"].fillna(0))
            ax.set_title(model)
            ax.set_xlabel(metric)
        fig.tight_layout()
        name = f"{metric}_by_pathway.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(name)
    if {"label_noise", "coverage"} <= set(frame.columns):
        fig, ax = plt.subplots(figsize=(5, 4))
        for pathway, part in frame.groupby("pathway"):
            ax.scatter(part["label_noise"], part["coverage"], label=pathway)
        ax.set_xlabel("label noise of kept rows (lower is better)")
        ax.set_ylabel("coverage of held-out minority rows (higher is better)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "noise_vs_coverage.png", dpi=110)
        plt.close(fig)
        written.append("noise_vs_coverage.png")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path)
    parser.add_argument("--metrics", nargs="+", default=DEFAULT_METRICS)
    parser.add_argument("--baselines", nargs="+", default=["none", "smote"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.sweep.is_dir():
        print(f"summarize: expected a sweep directory, got '{args.sweep}'", file=sys.stderr)
        return 2
    out = args.out or args.sweep / "summary"
    out.mkdir(parents=True, exist_ok=True)
    frame, failed = collect(args.sweep)
    if frame.empty:
        print(f"summarize: no metrics.json under '{args.sweep}' ({len(failed)} failed jobs)",
              file=sys.stderr)
        return 1
    frame.to_csv(out / "summary.csv", index=False)
    metrics = [m for m in args.metrics if m in frame]
    lines = [f"# Sweep summary: {args.sweep}", "",
             f"{frame['job'].nunique()} jobs with metrics, {len(failed)} failed. Mean ± 95% "
             "t-interval over seeds; Δ = pathway minus baseline on the same seeds, Wilcoxon "
             "signed-rank p-value (with 3 seeds the smallest possible p is 0.25).", "",
             "## Metrics", "", markdown_table(aggregate(frame, metrics)), ""]
    diffs = paired(frame, metrics, args.baselines)
    if not diffs.empty:
        lines += ["## Paired differences", "", markdown_table(diffs), ""]
    if failed:
        lines += ["## Failed jobs", "", markdown_table(pd.DataFrame(failed)), ""]
    figures = plots(frame, metrics, out)
    lines += [f"![{f}]({f})" for f in figures]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
