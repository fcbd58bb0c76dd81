"""Sweeps: submitit_local runs jobs, a failed job does not sink the others, summaries aggregate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import summarize  # noqa: E402


def _sweep(csv, tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "augment", "--multirun", "progress=false",
         f"data.path={csv}", "data.target=label", "gate.min_confidence=0.5", "profile=classes",
         "evaluate=default", "evaluate.models=[logistic]", "evaluate.baselines=[none,smote]",
         f"hydra.sweep.dir={tmp_path / 'sweep'}", *args],
        capture_output=True, text=True, timeout=900)


@pytest.fixture
def csv(table, tmp_path):
    path = tmp_path / "tiny.csv"
    big = pd.concat([table, table.assign(amount=table.amount + 0.5)], ignore_index=True)
    big.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_submitit_local_sweep_and_summary(csv, tmp_path):
    proc = _sweep(csv, tmp_path, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10",
                  "seed=0,1", "generator=smote",
                  "regions=[{rule:\"grade == 'C'\",class:yes,rows:40}]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = sorted((tmp_path / "sweep").rglob("metrics.json"))
    assert len(metrics) == 2
    for path in metrics:  # a declared region reaches every job of the sweep
        manifest = json.loads((path.parent / "manifest.json").read_text())
        declared = [r for r in manifest["regions"] if r["kind"] == "declared"]
        assert len(declared) == 1 and "grade == 'C'" in declared[0]["description"]
    assert summarize.main([str(tmp_path / "sweep")]) == 0
    text = (tmp_path / "sweep" / "summary" / "summary.md").read_text()
    assert "augment:smote/default" in text and "Paired differences" in text
    assert (tmp_path / "sweep" / "summary" / "minority_f1_by_pathway.png").exists()


@pytest.mark.slow
def test_failed_job_does_not_sink_the_sweep(csv, tmp_path):
    # the second job asks for a class the table does not have: it fails, the first finishes
    proc = _sweep(csv, tmp_path, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                  "sampling_strategy=auto,{nope:10}")
    assert proc.returncode == 1, proc.stderr[-3000:]  # a failed job fails the sweep, after all ran
    assert "1 of 2 sweep jobs failed" in proc.stderr
    errors = list((tmp_path / "sweep").rglob("error.json"))
    assert len(errors) == 1
    assert "nope" in json.loads(errors[0].read_text())["error"]
    assert len(list((tmp_path / "sweep").rglob("metrics.json"))) == 1
    assert not (errors[0].parent / "manifest.json").exists()
    assert summarize.main([str(tmp_path / "sweep")]) == 0
    assert "Failed jobs" in (tmp_path / "sweep" / "summary" / "summary.md").read_text()


def _fake_job(root: Path, name: str, seed: int, values: dict):
    job = root / name
    job.mkdir(parents=True)
    results = [{"pathway": p, "model": "logistic", "minority_f1": v, "brier": 0.1}
               for p, v in values.items()]
    (job / "metrics.json").write_text(json.dumps({"seed": seed, "results": results}))
    (job / "manifest.json").write_text(json.dumps({"input": {"name": "toy"}}))


def test_summary_paired_differences_and_intervals(tmp_path):
    for seed, (ours, none) in enumerate([(0.50, 0.40), (0.55, 0.41), (0.60, 0.45),
                                         (0.52, 0.40), (0.58, 0.42), (0.57, 0.43)]):
        _fake_job(tmp_path, f"job{seed}", seed, {"augment:x/default": ours, "none": none})
    frame, failed = summarize.collect(tmp_path)
    assert len(frame) == 12 and not failed
    agg = summarize.aggregate(frame, ["minority_f1"])
    row = agg[agg.pathway == "none"].iloc[0]
    assert row["minority_f1"].startswith("0.418 ±")
    diffs = summarize.paired(frame, ["minority_f1", "brier"], ["none"])
    cell = diffs.iloc[0]["Δ minority_f1"]
    assert cell.startswith("+0.135") and "p=0.03" in cell  # all 6 differences positive
    assert diffs.iloc[0]["paired seeds"] == 6
