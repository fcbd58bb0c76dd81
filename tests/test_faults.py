"""Faults: a run killed at any stage leaves no complete-looking run directory; rerunning works.

(A failing sweep job leaving the others intact is tested in tests/test_sweep.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_table

from augment.pipeline import STAGES
from augment.report import _writer as writer
from augment.report import write_run

ROOT = Path(__file__).resolve().parents[1]


def _command(csv: Path, run_dir: Path) -> list[str]:
    return [sys.executable, "-m", "augment", "data=file", f"data.path={csv}",
            "data.target=label", "generator=smote", "profile=classes", "labeler_registry=null",
            "progress=false", "~gate.batch.two_sample", f"hydra.run.dir={run_dir}"]


def _wait_for(proc, condition, timeout: float = 120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _log_has(run_dir: Path, text: str):
    def check() -> bool:
        logs = list(run_dir.glob("*.log"))
        return any(text in p.read_text(errors="ignore") for p in logs)
    return check


@pytest.fixture(scope="module")
def csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "small.csv"
    make_table(n_major=90, n_minor=25).to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("point", ["pipeline", "writing"])
def test_killed_run_leaves_no_manifest_and_rerun_succeeds(tmp_path, csv, point):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(_command(csv, run_dir), cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if point == "start-up":
            time.sleep(0.5)
        elif point == "pipeline":
            second = f"stage 2/{len(STAGES)}"
            assert _wait_for(proc, _log_has(run_dir, second)), "never reached stage 2"
        else:
            assert _wait_for(proc, lambda: (run_dir / ".augment-partial").exists()), \
                "never started writing"
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode == 0:  # finished before the kill landed: nothing to check
        pytest.skip("run finished before it could be killed")
    assert not (run_dir / "manifest.json").exists()
    rerun = subprocess.run(_command(csv, run_dir), cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["real_rows"] == 115
    assert not (run_dir / ".augment-partial").exists()
    assert (run_dir / "augmented.parquet").is_file() and (run_dir / "report.md").is_file()


@pytest.fixture(scope="module")
def result():
    from augment import Augmenter

    table = make_table(n_major=60, n_minor=15)
    return Augmenter(generator="smote", profile=None, batch_gates=(), random_state=0,
                     progress=False).fit_table(table, "label").result_


INFO = {"path": None, "name": "t", "target": "label", "rows": 75, "columns": 5,
        "sha256": "0" * 64}


@pytest.mark.parametrize("step", ["make_figures", "build_manifest"])
def test_writer_failing_step_leaves_no_manifest(tmp_path, monkeypatch, result, step):
    def quick_figures(result, folder, random_state=0):  # the real figures take ~30 s
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "f.png").write_bytes(b"png")
        return ["f.png"]

    monkeypatch.setattr(writer, "make_figures", quick_figures)
    run_dir = tmp_path / "run"
    write_run(result, run_dir, input_info=INFO, seed=0)      # an earlier, complete run
    assert (run_dir / "manifest.json").is_file()

    def boom(*args, **kwargs):
        raise RuntimeError(f"{step} failed")

    original = getattr(writer, step)
    monkeypatch.setattr(writer, step, boom)
    with pytest.raises(RuntimeError, match="failed"):
        write_run(result, run_dir, input_info=INFO, seed=0)
    assert not (run_dir / "manifest.json").exists()          # the stale manifest is gone too
    assert not (run_dir / ".augment-partial").exists()
    monkeypatch.setattr(writer, step, original)
    write_run(result, run_dir, input_info=INFO, seed=0)      # the same call succeeds again
    assert (run_dir / "manifest.json").is_file()
