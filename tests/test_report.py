import json

import pytest

from augment.generators import SMOTEGenerator
from augment.report import MANIFEST, write_run


@pytest.fixture
def result(table):
    from augment import Augmenter

    aug = Augmenter(generator=SMOTEGenerator(k_neighbors=3), random_state=0, progress=False,
                    min_confidence=0.5)
    return aug.fit_table(table, "label").result_


INPUT = {"path": "x.csv", "rows": 75, "columns": 5, "target": "label", "sha256": "0" * 64}


def test_write_run_writes_everything(result, tmp_path):
    write_run(result, tmp_path, input_info=INPUT, seed=0, config={"a": 1})
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["counts"] == result.counts()
    assert set(manifest["outputs"]) == {"augmented.parquet", "rejected.parquet"}
    assert manifest["labeler"]["quality"]["cv_balanced_accuracy"] is not None
    figures = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert {"class_counts.png", "marginals.png"} <= set(figures)
    report = (tmp_path / "report.md").read_text()
    assert "## Coverage per region" in report and "class=yes" in report
    assert not (tmp_path / ".augment-partial").exists()


def test_failed_write_leaves_no_manifest(result, tmp_path, monkeypatch):
    write_run(result, tmp_path, input_info=INPUT, seed=0)
    assert (tmp_path / MANIFEST).exists()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("augment.report._writer.make_figures", boom)
    with pytest.raises(RuntimeError):
        write_run(result, tmp_path, input_info=INPUT, seed=0)
    assert not (tmp_path / MANIFEST).exists()
    assert not (tmp_path / ".augment-partial").exists()
