"""Issue 16: what a new user hits in the first hour, on ordinary files (library side).

CLI behaviour (help, unknown keys, failed sweeps, a user's semicolon CSV end to end)
is in ``tests/test_cli.py``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_table

from augment import Augmenter
from augment.data import carried_notes, detect_schema, read_table, sniff_separator
from augment.errors import AugmentWarning, InvalidDataError

ROOT = Path(__file__).resolve().parents[1]


def _fit(df, target="label", **kw):
    kw = {"generator": "smote", "profile": None, "batch_gates": ("marginal",),
          "min_confidence": 0.5, "random_state": 0, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Augmenter(**kw).fit_table(df, target)


def _user_table(n_major: int = 60, n_minor: int = 15) -> pd.DataFrame:
    """make_table plus what real files hold: names, a row number, a date, a constant."""
    df = make_table(n_major, n_minor)
    n = len(df)
    return df.assign(
        name=[f"Passenger {i}, Mr. X" for i in range(n)],
        row=np.arange(1, n + 1),
        when=pd.date_range("2013-01-01 05:00:00", periods=n, freq="h").astype(str),
        country="NL",
    )


# -- items 1-4: identifiers, date/time text, constant columns -------------------------------

def test_schema_carries_identifiers_dates_and_constants():
    df = _user_table()
    schema = detect_schema(df, "label")
    kinds = {name: info["kind"] for name, info in schema.carried.items()}
    assert kinds == {"name": "identifier", "row": "identifier", "when": "datetime",
                     "country": "constant"}
    assert schema.features == ["amount", "count", "grade", "flag"]
    assert json.dumps(schema.to_dict())  # the manifest can hold it
    notes = carried_notes(schema)
    assert len(notes) == 3  # one line per kind
    assert "keep_columns=[name]" in notes[0] and "'row'" in notes[0]


@pytest.mark.parametrize(("column", "values", "kind"), [
    ("ID", lambda n: np.random.default_rng(0).permutation(n) * 7 + 1000, "identifier"),
    ("PassengerId", lambda n: np.arange(n)[::-1], "identifier"),
    ("rownames", lambda n: np.random.default_rng(1).permutation(n), "identifier"),
    ("code", lambda n: [f"C{i:04d}" for i in range(n)], "identifier"),
    ("t", lambda n: pd.date_range("2020", periods=n), "datetime"),
    ("t", lambda n: pd.date_range("2020", periods=n, tz="UTC"), "datetime"),
    ("d", lambda n: pd.date_range("2020-01-31", periods=n).strftime("%d/%m/%Y"), "datetime"),
    ("iso", lambda n: pd.date_range("2013", periods=n, freq="h").strftime("%Y-%m-%dT%H:%M:%SZ"),
     "datetime"),
])
def test_detected_as_carried(column, values, kind):
    df = make_table()
    df[column] = values(len(df))
    assert detect_schema(df, "label").carried[column]["kind"] == kind


@pytest.mark.parametrize(("column", "values"), [
    ("humid", lambda n: np.random.default_rng(0).permutation(n)),      # unordered, not id-named
    ("age", lambda n: np.sort(np.random.default_rng(0).integers(18, 60, n))),  # repeats
    ("x", lambda n: np.random.default_rng(0).normal(size=n)),           # all-distinct floats
    ("grade2", lambda n: np.random.default_rng(0).choice(list("abcdefgh"), n)),
    ("ids", lambda n: list(range(10)) * (n // 10) + list(range(n % 10))),  # id-named, repeats
])
def test_ordinary_features_are_not_carried(column, values):
    df = make_table()
    df[column] = values(len(df))
    schema = detect_schema(df, "label")
    assert column in schema.columns and not schema.carried


def test_keep_columns_uses_a_likely_identifier_as_a_feature():
    df = make_table().assign(ID=lambda d: np.arange(len(d)))
    assert "ID" in detect_schema(df, "label", keep=["ID"]).columns
    with pytest.raises(InvalidDataError, match=r"keep_columns names \['nope'\]"):
        detect_schema(df, "label", keep=["nope"])
    dates = make_table().assign(t=pd.date_range("2020", periods=75))
    with pytest.raises(InvalidDataError, match="datetimes"):
        detect_schema(dates, "label", keep=["t"])


def test_carry_columns_declares_identifiers():
    df = make_table().assign(customer=lambda d: np.random.default_rng(0).permutation(len(d)))
    assert "customer" in detect_schema(df, "label").columns  # unordered, not id-named
    schema = detect_schema(df, "label", carry=["customer"])
    assert schema.carried["customer"]["detail"] == "named in carry_columns"
    assert "keep_columns" not in carried_notes(schema)[0]
    aug = _fit(df, carry_columns=["customer"])
    assert aug.result_.synthetic["customer"].isna().all()
    with pytest.raises(InvalidDataError, match="both keep_columns and carry_columns"):
        detect_schema(df, "label", keep=["customer"], carry=["customer"])


def test_only_carried_columns_is_refused():
    df = pd.DataFrame({"name": [f"n{i}" for i in range(40)], "k": 1, "y": [0, 1] * 20})
    with pytest.raises(InvalidDataError, match="only columns carried through"):
        detect_schema(df, "y")


def test_augmenter_carries_columns_through():
    df = _user_table()
    snapshot = df.copy()
    with pytest.warns(AugmentWarning) as record:
        aug = Augmenter(generator="smote", profile=None, batch_gates=("marginal",),
                        min_confidence=0.5, random_state=0).fit_table(df, "label")
    texts = [str(w.message) for w in record if w.category is AugmentWarning]
    assert [t.split(" columns")[0] for t in texts if "carried through" in t] == [
        "identifier", "date/time", "constant"]  # one line each
    pd.testing.assert_frame_equal(df, snapshot)
    out = aug.result_.augmented
    assert list(out.columns[: df.shape[1]]) == list(df.columns)
    real, synth = out[~out["_synthetic"]], out[out["_synthetic"]]
    assert len(synth) > 0
    for column in ("name", "when", "country", "row"):
        assert real[column].tolist() == df[column].tolist()
    assert synth["name"].isna().all() and synth["when"].isna().all()
    assert synth["row"].isna().all() and str(out["row"].dtype) == "Int64"
    assert (synth["country"] == "NL").all()
    assert sum("carried through" in w for w in aug.result_.warnings) == 3
    assert set(aug.result_.schema.carried) == {"name", "row", "when", "country"}


def test_fit_resample_returns_carried_columns():
    df = _user_table()
    X, y = df.drop(columns="label"), df["label"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, y_res = Augmenter(generator="smote", profile=None, batch_gates=(),
                                 min_confidence=0.5, random_state=0).fit_resample(X, y)
    assert list(X_res.columns) == list(X.columns) and len(X_res) == len(y_res) > len(X)


def test_two_sample_check_takes_any_number_of_categories():
    from augment.gates import TwoSampleGate

    rng = np.random.default_rng(0)
    n = 320
    real = pd.DataFrame({"x": rng.normal(size=n), "name": [f"a{i}" for i in range(n)],
                         "y": "p"})
    synth = real.assign(x=rng.normal(size=n), name=[f"b{i}" for i in range(n)])
    schema = detect_schema(pd.concat([real, real.assign(y="q")]), "y", keep=["name"])
    assert schema.columns["name"].kind == "categorical"
    result = TwoSampleGate(n_permutations=0, random_state=0).check(real, synth, schema,
                                                                   "class=p")
    assert result.passed is not None and 0 <= result.score <= 1


# -- item 8: a quantity as target, too-small classes -----------------------------------------

def test_integer_quantity_target_gets_one_line():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=189), "bwt": rng.integers(700, 5000, 189)})
    with pytest.raises(InvalidDataError) as info:
        detect_schema(df, "bwt")
    text = str(info.value)
    assert "looks like a quantity to predict" in text and "pd.qcut" in text
    assert len(text.splitlines()) == 1


def test_small_integer_classes_are_still_classes():
    df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=120),
                       "grade": np.arange(120) % 24})
    assert len(detect_schema(df, "grade").classes) == 24


def test_too_small_classes_name_fixes_that_work():
    df = make_table(60, 15).assign(label=lambda d: np.where(np.arange(len(d)) < 3, "tiny",
                                                            d["label"]))
    with pytest.raises(InvalidDataError) as info:
        _fit(df, generator="gaussian_copula")
    text = str(info.value)
    assert "class=tiny (3)" in text or "class=tiny has 3 row(s)" in text
    assert "sampling_strategy dict" in text and "'yes'" in text
    assert "generator=perturbation" in text and "generator=gaussian_copula" not in text
    # the fix the message names works
    aug = _fit(df, generator="gaussian_copula", sampling_strategy={"yes": 40})
    assert aug.result_.counts()["kept"] > 0


# -- item 9: separators -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "sep"), [("t.csv", ";"), ("t.tsv", "\t"), ("t.csv", "|"),
                                           ("t.csv", ",")])
def test_separator_is_sniffed(tmp_path, name, sep):
    table = make_table()
    table.to_csv(tmp_path / name, sep=sep, index=False)
    assert sniff_separator(tmp_path / name) == sep
    pd.testing.assert_frame_equal(read_table(tmp_path / name), table)


def test_semicolon_file_with_decimal_commas(tmp_path):
    table = make_table()
    table.to_csv(tmp_path / "eu.csv", sep=";", decimal=",", index=False)
    back = read_table(tmp_path / "eu.csv")
    assert back["amount"].dtype == float
    np.testing.assert_allclose(back["amount"], table["amount"])


def test_explicit_separator_and_the_error_that_names_it(tmp_path):
    table = make_table()
    table.to_csv(tmp_path / "t.csv", sep=";", index=False)
    for sep in (";", "semicolon"):
        assert list(read_table(tmp_path / "t.csv", sep=sep).columns) == list(table.columns)
    table.to_csv(tmp_path / "t.txt.csv", sep="\t", index=False)
    assert read_table(tmp_path / "t.txt.csv", sep="\\t").shape == table.shape  # CLI: '\t'
    assert read_table(tmp_path / "t.txt.csv", sep="tab").shape == table.shape
    with pytest.raises(InvalidDataError, match="one character"):
        read_table(tmp_path / "t.csv", sep=";;")
    swallowed = pd.read_csv(tmp_path / "t.csv")  # read as one column
    with pytest.raises(InvalidDataError, match=r"semicolon-separated.*data.sep=semicolon"):
        detect_schema(swallowed, "label")


# -- item 11: the library is quiet ------------------------------------------------------------

def test_library_is_quiet_by_default(capfd):
    assert Augmenter().progress is False
    with warnings.catch_warnings():  # a problem is an AugmentWarning; bars are what is tested
        warnings.simplefilter("ignore")
        Augmenter(generator="smote", profile=None, batch_gates=(), min_confidence=0.5,
                  random_state=0).fit_table(make_table(), "label")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_when_asked(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Augmenter(generator="smote", profile=None, batch_gates=(), min_confidence=0.5,
                  random_state=0, progress=True).fit_table(make_table(), "label")
    assert "augment" in capfd.readouterr().err


# -- item 12: report text true to the run -----------------------------------------------------

def test_batch_outcome_and_verdicts():
    from augment.report._markdown import _batch_outcome, batch_verdict

    ok = {"passed": True, "message": "mean column similarity 0.9 >= 0.8"}
    skipped = {"passed": None, "message": "skipped: 5 synthetic and 40 real rows; needs 10"}
    failed = {"passed": False, "message": "AUC 0.95 > 0.9"}
    assert _batch_outcome([ok, ok], "warn") == "Every batch check that ran passed."
    assert "was reported and its rows kept" in _batch_outcome([ok, failed], "warn")
    assert "1 of 2 batch checks failed" in _batch_outcome([ok, failed], "warn")
    assert "1 skipped for too few rows" in _batch_outcome([ok, skipped], "warn")
    assert batch_verdict(skipped) == ("skipped", "5 synthetic and 40 real rows; needs 10")
    assert batch_verdict(failed) == ("FAIL", "AUC 0.95 > 0.9")


def test_skipped_batch_check_is_a_warning():
    aug = _fit(make_table(60, 15), sampling_strategy={"yes": 20})  # 5 rows: too few to judge
    assert aug.result_.batch and aug.result_.batch[0]["passed"] is None
    assert any("batch check marginal skipped" in w for w in aug.result_.warnings)


def test_label_confidence_figure_keeps_surplus_apart(monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    from augment.report import _figures

    aug = _fit(make_table(60, 15))
    rejected = pd.DataFrame({"_reason": ["surplus: region target already met", "novelty: x"],
                             "_label_confidence": [0.9, 0.2]})
    labels = []
    real_hist = Axes.hist
    monkeypatch.setattr(Axes, "hist", lambda self, *a, **k: (labels.append(k.get("label")),
                                                              real_hist(self, *a, **k))[1])
    assert _figures.label_confidence(aug.result_, tmp_path / "c.png", rejected=rejected)
    assert "kept" in labels and "rejected by a gate" in labels
    assert any(label.startswith("surplus") for label in labels if label)
    assert "rejected" not in labels


def test_class_count_legend_is_outside_the_axes(monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    from augment.report import _figures

    seen = {}
    real_legend = Axes.legend
    monkeypatch.setattr(Axes, "legend", lambda self, *a, **k: (seen.update(k),
                                                                real_legend(self, *a, **k))[1])
    _figures.class_counts(_fit(make_table(60, 15)).result_, tmp_path / "c.png")
    assert seen["bbox_to_anchor"][0] > 1  # right of the plot: cannot cover bars or targets


# -- item 17: monitor and summarize on edge cases ---------------------------------------------

def test_monitor_thresholds_are_direction_aware():
    from augment.monitor._compare import _diff
    from augment.monitor._thresholds import Thresholds

    t = Thresholds(labeler_quality=0.05, fidelity_score=0.05)
    a = {("labeler_quality", "brier"): 0.2071, ("labeler_quality", "cv_balanced_accuracy"): 0.7,
         ("fidelity_score", "class=b two_sample"): 0.8, ("fidelity_score", "class=b marginal"):
         0.8, ("label_share", "class=b"): 0.5}
    better = {("labeler_quality", "brier"): 0.1013,
              ("labeler_quality", "cv_balanced_accuracy"): 0.9,
              ("fidelity_score", "class=b two_sample"): 0.6,
              ("fidelity_score", "class=b marginal"): 0.95, ("label_share", "class=b"): 0.5}
    changes = _diff(a, better, t)
    assert not any(c.breached for c in changes)
    assert {c.note for c in changes if c.family != "label_share"} == {"improved"}
    worse = _diff(better, a, t)
    assert all(c.breached for c in worse if c.family != "label_share")
    drift = _diff(a, {**a, ("label_share", "class=b"): 0.7}, Thresholds())
    assert [c.key for c in drift if c.breached] == ["class=b"]  # shares: either way


def test_monitor_refuses_runs_on_different_tables(tmp_path, capsys):
    from augment.monitor.cli import main
    from augment.report import write_run

    def run(name, table):
        aug = _fit(table, labeler="tree")
        info = {"path": None, "name": name, "target": "label", "rows": len(table),
                "columns": table.shape[1], "sha256": "0" * 64}
        write_run(aug.result_, tmp_path / name, input_info=info, seed=0, config={})
        return str(tmp_path / name)

    a = run("a", make_table())
    b = run("b", make_table().assign(extra=lambda d: d["amount"] * 2 + 1))
    assert main(["compare", a, b, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "same table" in err and "['extra']" in err and "BREACH" not in err


def test_registry_list_says_where_a_labeler_came_from(tmp_path, capsys):
    from augment.labelers import DecisionTreeLabeler, save
    from augment.labelers.registry import main

    table = make_table()
    schema = detect_schema(table, "label")
    labeler = DecisionTreeLabeler(max_depth=2).fit(table[schema.features], table["label"],
                                                   schema)
    save(labeler, table[[*schema.features, "label"]], tmp_path,
         source={"data": "pima.csv", "target": "label", "rows": 75, "run": "outputs/r1"})
    assert main(["--registry", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "from pima.csv (target label, 75 rows) in run outputs/r1" in out


def _summarize():
    sys.path.insert(0, str(ROOT / "scripts"))
    import summarize

    return summarize


def test_summarize_without_metrics_suggests_evaluate(tmp_path, capsys):
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "manifest.json").write_text("{}")
    assert _summarize().main([str(tmp_path)]) == 1
    assert "evaluate=default" in capsys.readouterr().err


def test_summarize_one_seed_has_no_warnings_and_no_nan(tmp_path):
    for job, ours in (("0", 0.5), ("1", 0.6)):  # two pathways, one seed: baselines repeat
        (tmp_path / job).mkdir()
        results = [{"pathway": f"augment:{job}/default", "model": "logistic",
                    "minority_f1": ours, "brier": 0.2},
                   {"pathway": "none", "model": "logistic", "minority_f1": 0.4, "brier": 0.2}]
        (tmp_path / job / "metrics.json").write_text(json.dumps({"seed": 0, "results": results}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _summarize().main([str(tmp_path), "--metrics", "minority_f1", "brier"]) == 0
    text = (tmp_path / "summary" / "summary.md").read_text()
    assert "nan" not in text and "One seed only" in text and "(1 seed)" in text


def test_cli_progress_auto_follows_the_terminal(monkeypatch):
    from augment.cli import _progress

    for tty in (True, False):
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty)
        assert _progress("auto") is tty
    assert _progress(True) is True and _progress(False) is False
