"""Monitor (compare runs / labeler versions), audit trace, HTML report, provenance helpers."""

from __future__ import annotations

import json
import re

import pytest
from conftest import make_table

from augment import Augmenter
from augment.errors import InvalidDataError
from augment.labelers import DecisionTreeLabeler, save
from augment.monitor import load_thresholds
from augment.monitor.cli import main
from augment.report import write_run
from augment.report._audit import format_trace, trace_row
from augment.report._html import render_html
from augment.report._provenance import config_hash, git_commit, provenance


def _quick_figures(result, folder, random_state=0):
    """One cheap figure instead of all of them (the discriminator figure alone takes ~25 s)."""
    from augment.report._figures import class_counts

    folder.mkdir(parents=True, exist_ok=True)
    class_counts(result, folder / "class_counts.png")
    return ["class_counts.png"]


def _make_run(root, name, *, max_depth, min_confidence, seed):
    table = make_table(n_major=90, n_minor=25, seed=0)
    aug = Augmenter(generator="smote", labeler=DecisionTreeLabeler(max_depth=max_depth,
                                                                   min_samples_leaf=5),
                    min_confidence=min_confidence, batch_gates=("marginal",), profile=None,
                    row_gates=("validity", "novelty"),
                    random_state=seed, progress=False).fit_table(table, "label")
    registry = root / "labelers"
    version = save(aug.labeler_, table[[*aug.schema_.features, "label"]], registry)
    aug.result_.labeler.update(version=version, registry=str(registry))
    run_dir = root / name
    write_run(aug.result_, run_dir, seed=seed, config={"seed": seed},
              input_info={"path": None, "name": "test", "target": "label", "rows": len(table),
                          "columns": table.shape[1], "sha256": "0" * 64})
    return run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from augment.report import _writer

    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_writer, "make_figures", _quick_figures)
        a = _make_run(root, "a", max_depth=3, min_confidence=0.5, seed=0)
        b = _make_run(root, "b", max_depth=1, min_confidence=0.95, seed=1)
    return root, a, b


def test_same_run_is_clean(runs, tmp_path, capsys):
    _, a, _ = runs
    assert main(["compare", str(a), str(a), "--out", str(tmp_path)]) == 0
    assert "clean" in capsys.readouterr().out
    summary = json.loads((tmp_path / "monitor.json").read_text())
    assert summary["breaches"] == 0 and summary["agreement"]["agreement"] == 1.0
    assert (tmp_path / "monitor.md").read_text().startswith("# augment monitor")


def test_drift_is_a_breach_with_what_moved(runs, tmp_path, capsys):
    _, a, b = runs
    tight = tmp_path / "tight.yaml"
    tight.write_text("label_share: 0\nregion_share: 0\nacceptance: 0\npass_rate: 0\n"
                     "fidelity_score: 0\nlabeler_quality: 0\nmin_agreement: 1\n")
    assert main(["compare", str(a), str(b), "--out", str(tmp_path), "--config", str(tight)]) == 1
    err = capsys.readouterr().err
    assert "BREACH" in err and re.search(r"-> .* \([+-]\d", err)
    assert (tmp_path / "moved.png").is_file()
    text = (tmp_path / "monitor.md").read_text()
    assert "## Breaches" in text and "![Moved quantities](moved.png)" in text
    families = {c["family"] for c in json.loads((tmp_path / "monitor.json").read_text())[
        "changes"]}
    assert {"label_share", "acceptance", "pass_rate", "fidelity_score", "labeler_quality",
            "agreement"} <= families


def test_lenient_thresholds_make_it_clean(runs, tmp_path):
    _, a, b = runs
    config = tmp_path / "lenient.yaml"
    config.write_text("label_share: 1\nregion_share: 1\nacceptance: 1\npass_rate: 1\n"
                      "fidelity_score: 1\nfidelity_verdict: false\nlabeler_quality: 1\n"
                      "min_agreement: 0\n")
    assert main(["compare", str(a), str(b), "--config", str(config), "--out",
                 str(tmp_path / "o")]) == 0


@pytest.mark.parametrize("make", [
    lambda root, a: ["compare", str(a), str(root / "missing")],
    lambda root, a: ["compare", str(a), str(root)],                 # no manifest there
    lambda root, a: ["compare", str(a), str(a / "report.md")],      # a file, not a folder
    lambda root, a: ["trace", str(a), "100000"],
    lambda root, a: ["labelers", "tree-nope", "tree-nope2", "--registry",
                     str(root / "labelers"), "--probe", str(a)],
])
def test_bad_input_exits_2(runs, capsys, make):
    root, a, _ = runs
    assert main(make(root, a)) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Fix" in err


def test_bad_threshold_file(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("label_shar: 0.1\n")
    with pytest.raises(ValueError, match="Unknown monitor thresholds"):
        load_thresholds(bad)
    bad.write_text("min_agreement: 2\n")
    with pytest.raises(ValueError, match="min_agreement"):
        load_thresholds(bad)
    assert load_thresholds().min_agreement == 0.9


def test_compare_labeler_versions(runs, tmp_path, capsys):
    root, a, b = runs
    va = json.loads((a / "manifest.json").read_text())["labeler"]["version"]
    vb = json.loads((b / "manifest.json").read_text())["labeler"]["version"]
    registry = str(root / "labelers")
    assert main(["labelers", va, va, "--registry", registry, "--probe", str(a), "--out",
                 str(tmp_path / "same")]) == 0
    status = main(["labelers", va, vb, "--registry", registry, "--probe", str(b), "--out",
                   str(tmp_path / "diff")])
    assert status in (0, 1)
    assert (tmp_path / "diff" / "monitor.md").is_file()
    capsys.readouterr()


def test_trace_real_and_synthetic_rows(runs, capsys):
    _, a, _ = runs
    manifest = json.loads((a / "manifest.json").read_text())
    n_real = manifest["counts"]["real_rows"]
    real = trace_row(a, 0)
    assert real["synthetic"] is False and "unchanged" in real["origin"]
    syn = trace_row(a, n_real)
    assert syn["synthetic"] is True
    assert syn["generator"]["name"] == "smote" and len(syn["generator"]["config_hash"]) == 16
    assert syn["region"]["id"].startswith("class=") and syn["round"] >= 1
    assert syn["seed"] == 0 and syn["labeler"]["version"] == manifest["labeler"]["version"]
    assert syn["labeler"]["rule"] and syn["gates"]["row"] == manifest["gates"]["row"]
    assert {"validity", "label"} <= set(syn["gates"]["row"])
    assert "generator: smote" in format_trace(syn)
    assert main(["trace", str(a), str(n_real), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["row"] == n_real
    with pytest.raises(InvalidDataError, match="Expected a row index"):
        trace_row(a, -1)


def test_trace_synthetic_row_keeps_its_class_checks_and_places_its_columns(runs, tmp_path):
    import shutil

    import pandas as pd

    _, a, _ = runs
    manifest = json.loads((a / "manifest.json").read_text())
    n_real = manifest["counts"]["real_rows"]
    syn = trace_row(a, n_real)
    expected = [b["gate"] for b in manifest["batch_fidelity"]
                if b["region"] == f"class={syn['label']}"]
    assert expected and [b["gate"] for b in syn["batch_checks"]] == expected
    assert not {"_synthetic", "_weight", "_region", "_round", "_rule"} & set(syn["other"])
    assert not any(k.startswith("_score_") for k in syn["other"])
    weight = pd.read_parquet(a / "augmented.parquet")["_weight"].iloc[n_real]
    assert syn["weight"] == pytest.approx(float(weight))
    copy = tmp_path / "run"
    shutil.copytree(a, copy)
    (copy / "augmented.parquet").unlink()
    with pytest.raises(InvalidDataError, match=r"augmented\.parquet'\. Got: no such file"):
        trace_row(copy, 0)


def test_html_report_is_self_contained(runs):
    _, a, _ = runs
    page = render_html((a / "report.md").read_text(), a)
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    assert page.count("data:image/png;base64,") == len(list((a / "figures").glob("*.png")))
    assert not re.search(r"(src|href)=\"https?://", page)
    assert "<h2>Summary</h2>" in page


def test_html_escapes_and_handles_missing_figures(tmp_path):
    md = ("# T <x>\n\nA *b* **c** `<d>` [e](https://e.org)\n\n- one\n- two\n\n```text\n<tag>\n```"
          "\n\n![gone](figures/none.png)\n")
    page = render_html(md, tmp_path)
    assert "<h1>T &lt;x&gt;</h1>" in page and "<em>b</em>" in page
    assert "<strong>c</strong>" in page and "<code>&lt;d&gt;</code>" in page
    assert "<li>one</li>" in page and "&lt;tag&gt;" in page and "not available" in page


def test_provenance_helpers(tmp_path):
    commit = git_commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert git_commit(tmp_path) is None          # not a git checkout
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    block = provenance({"class": "X", "params": {"k": 1}})
    assert set(block) == {"git_commit", "git_dirty", "generator_config_hash"}


def test_probe_sample_follows_the_baseline_run_seed(runs, monkeypatch):
    import pandas as pd

    from augment.monitor import _compare
    from augment.monitor._run import load_run

    _, a, b = runs
    seeds = []

    def record(run_a, run_b, limit, seed=0):
        seeds.append(seed)
        return pd.DataFrame(columns=run_a.features)

    monkeypatch.setattr(_compare, "probe_rows", record)
    thresholds = load_thresholds(None)
    _compare.compare_runs(load_run(b), load_run(a), thresholds)  # b was run with seed 1
    _compare.compare_runs(load_run(a), load_run(b), thresholds)  # a with seed 0
    _compare.compare_runs(load_run(a), load_run(b), thresholds, random_state=5)
    assert seeds == [1, 0, 5]
