"""Collect a sweep's metrics.json files into one comparison table, with paired tests and plots.

Usage: python scripts/summarize.py SWEEP_DIR [--metrics minority_f1 minority_pr_auc brier]
           [--baselines none smote] [--out SWEEP_DIR/summary]

Writes summary.csv (one row per job x pathway x model), summary.md (mean and 95% interval per
dataset x model x pathway; paired differences against each baseline over the same seeds with a
Wilcoxon signed-rank p-value; failed jobs), and PNG plots (metric by pathway; label noise vs
coverage when the jobs measured them). When the jobs evaluated regions (declared or discovered):
regions.csv (one row per job x pathway x model x region), per-region means and the worst region
in summary.md, and region_pr_auc_by_pathway.png.
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
                   "ece", "worst_region_pr_auc", "worst_region_recall"]
REGION_METRICS = ["pr_auc", "recall", "precision", "f1"]


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
        names = {r["id"]: r["description"] for r in metrics.get("regions", [])}
        for result in metrics["results"]:
            rows.append({"job": str(job.relative_to(sweep)), "overrides": " ".join(overrides),
                         "dataset": Path(str(dataset)).stem if "/" in str(dataset) else dataset,
                         "seed": metrics.get("seed"), **result, "_names": names})
    return pd.DataFrame(rows), failed


def regions(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per job x pathway x model x region, from the results' ``regions`` entries.

    A region is named by its description (the rule), so that the same rule found in
    several jobs lines up even when its id differs."""
    if "regions" not in frame:
        return pd.DataFrame()
    rows = []
    for _, result in frame.iterrows():
        per = result["regions"]
        if not isinstance(per, dict):
            continue
        for region_id, values in per.items():
            rows.append({"job": result["job"], "dataset": result["dataset"],
                         "seed": result["seed"], "pathway": result["pathway"],
                         "model": result["model"],
                         "region": result.get("_names", {}).get(region_id, region_id),
                         **{k: values.get(k) for k in ["test_rows", "positives",
                                                       *REGION_METRICS]}})
    return pd.DataFrame(rows)


def region_table(per_region: pd.DataFrame) -> pd.DataFrame:
    """Mean PR-AUC and recall per dataset x region x model x pathway."""
    numeric = per_region.astype({m: float for m in REGION_METRICS})
    return (numeric.groupby(["dataset", "region", "model", "pathway"])[["pr_auc", "recall"]]
            .mean().round(3).reset_index())


def region_plot(per_region: pd.DataFrame, out: Path) -> list[str]:
    """Per-region PR-AUC by pathway: one panel per dataset, region and model (12 at most)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = per_region.astype({"pr_auc": float}).dropna(subset=["pr_auc"])
    if data.empty:
        return []
    panels = sorted(data.groupby(["dataset", "region", "model"]).groups)[:12]
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.5, 1.2 + 0.3 * data["pathway"].nunique()
                                                      * len(panels)), squeeze=False)
    for ax, (dataset, region, model) in zip(axes[:, 0], panels):
        part = data[(data["dataset"] == dataset) & (data["region"] == region)
                    & (data["model"] == model)]
        stats_ = part.groupby("pathway")["pr_auc"].agg(["mean", "sem"]).sort_values("mean")
        ax.barh(stats_.index, stats_["mean"], xerr=1.96 * stats_["sem"].fillna(0))
        ax.set_title(f"{dataset}: {region} / {model}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("PR-AUC on the region's held-out rows", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "region_pr_auc_by_pathway.png", dpi=110)
    plt.close(fig)
    return ["region_pr_auc_by_pathway.png"]


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval half-width (nan with fewer than two values, 0 when all equal)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan"), 0
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, float("nan"), len(values)
    sem = float(stats.sem(values))
    if sem == 0.0:
        return mean, 0.0, len(values)
    low, _ = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=sem)
    return mean, mean - float(low), len(values)


def aggregate(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and interval over seeds per dataset x model x pathway.

    Jobs of one seed are averaged first: every job evaluates the baselines on its
    seed, so a baseline appears once per job with the same numbers, not once per seed.
    """
    records = []
    for (dataset, model, pathway), group in frame.groupby(["dataset", "model", "pathway"]):
        by_seed = group.groupby("seed", dropna=False)
        record = {"dataset": dataset, "model": model, "pathway": pathway,
                  "seeds": by_seed.ngroups}
        for metric in metrics:
            if metric in group:
                mean, half, n = interval(by_seed[metric].mean().dropna().to_numpy())
                record[metric] = ("-" if n == 0 else f"{mean:.3f} ± {half:.3f}"
                                  if np.isfinite(half) else f"{mean:.3f}")
        records.append(record)
    return pd.DataFrame(records)


def _difference(diff: np.ndarray) -> str:
    """``+0.012 (p=0.25)``; the p-value only where a signed-rank test is defined."""
    if len(diff) == 0 or np.isnan(diff).all():
        return "-"
    diff = diff[~np.isnan(diff)]
    if len(diff) < 2:
        return f"{diff.mean():+.3f} (1 seed)"
    if not np.any(diff != 0):
        return f"{diff.mean():+.3f} (no difference)"
    return f"{diff.mean():+.3f} (p={float(stats.wilcoxon(diff).pvalue):.2f})"


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
                    record[f"Δ {metric}"] = _difference(diff.astype(float))
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


def _no_metrics(sweep: Path, failed: list[dict]) -> str:
    """Why there is nothing to summarize, and the fix."""
    ran = [p.parent for p in sweep.rglob("manifest.json")]
    lines = [f"summarize: no metrics.json under '{sweep}'."]
    if ran:
        lines.append(f"  {len(ran)} jobs ran without evaluation (manifest.json, no metrics.json). "
                     "Fix: rerun the sweep with evaluate=default (held-out real rows, against "
                     "the baselines), e.g. augment --multirun data.path=... data.target=... "
                     "generator=gaussian_copula,smote seed=0,1,2 evaluate=default")
    if failed:
        lines.append(f"  {len(failed)} jobs failed:")
        lines += [f"    {f['overrides'] or f['job']}: {f['error'].splitlines()[0]}"
                  for f in failed]
    if not ran and not failed:
        lines.append("  Fix: pass the folder of a --multirun sweep (hydra.sweep.dir, by default "
                     "multirun/<date>/<time>).")
    return "\n".join(lines)


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
        print(_no_metrics(args.sweep, failed), file=sys.stderr)
        return 1
    frame.drop(columns=["regions", "_names"], errors="ignore").to_csv(out / "summary.csv",
                                                                       index=False)
    metrics = [m for m in args.metrics if m in frame]
    n_seeds = frame["seed"].nunique(dropna=False)
    seeds_note = (" One seed only: no intervals or p-values (sweep seed=0,1,2 for them)."
                  if n_seeds < 2 else "")
    lines = [f"# Sweep summary: {args.sweep}", "",
             f"{frame['job'].nunique()} jobs with metrics, {len(failed)} failed. Mean ± 95% "
             "t-interval over seeds; Δ = pathway minus baseline on the same seeds, Wilcoxon "
             "signed-rank p-value (with 3 seeds the smallest possible p is 0.25)." + seeds_note,
             "",
             "## Metrics", "", markdown_table(aggregate(frame, metrics)), ""]
    diffs = paired(frame, metrics, args.baselines)
    if not diffs.empty:
        lines += ["## Paired differences", "", markdown_table(diffs), ""]
    if failed:
        lines += ["## Failed jobs", "", markdown_table(pd.DataFrame(failed)), ""]
    figures = plots(frame, metrics, out)
    per_region = regions(frame)
    if not per_region.empty:
        per_region.to_csv(out / "regions.csv", index=False)
        lines += ["## Held-out rows per region", "",
                  "Mean over seeds of the PR-AUC of the region's class among the held-out rows "
                  "inside the region, and the recall of its rows at the model's decision.", "",
                  markdown_table(region_table(per_region)), ""]
        figures += region_plot(per_region, out)
    lines += [f"![{f}]({f})" for f in figures]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
