import re

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError, NotFittedError
from augment.labelers import LABELERS, DecisionTreeLabeler


def _fit(table, **params):
    schema = detect_schema(table, "label")
    return DecisionTreeLabeler(random_state=0, **params).fit(
        table[schema.features], table["label"], schema)


def test_labels_probabilities_and_rules(table):
    lab = _fit(table, min_samples_leaf=3)
    out = lab.label(table)
    assert list(out.columns) == ["label", "confidence", "rule", "proba=no", "proba=yes"]
    proba = out[["proba=no", "proba=yes"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(out["confidence"], proba.max(axis=1))
    assert (out["rule"].str.len() > 0).all()
    assert lab.quality_["cv_balanced_accuracy"] > 0.7


def _holds(rule: str, row: pd.Series) -> bool:
    for part in rule.split(" and "):
        if m := re.fullmatch(r"(\S+) < (\S+) <= (\S+)", part):
            lo, col, hi = m.groups()
            ok = float(lo) < row[col] <= float(hi)
        elif m := re.fullmatch(r"(\S+) (<=|>) (\S+)", part):
            col, op, v = m.groups()
            ok = row[col] <= float(v) if op == "<=" else row[col] > float(v)
        elif m := re.fullmatch(r"(\S+) = (\S+)", part):
            ok = str(row[m.group(1)]) == m.group(2)
        elif m := re.fullmatch(r"(\S+) != (\S+)", part):
            ok = str(row[m.group(1)]) != m.group(2)
        elif m := re.fullmatch(r"(\S+) not in \{(.+)\}", part):
            ok = str(row[m.group(1)]) not in m.group(2).split(", ")
        else:
            raise AssertionError(f"unparsed rule part {part!r}")
        if not ok:
            return False
    return True


def test_rule_is_the_path_that_decided(table):
    lab = _fit(table, min_samples_leaf=3)
    out = lab.label(table)
    # numeric thresholds are printed with 6 significant digits; the data has 2 decimals
    assert all(_holds(rule, row) for rule, (_, row) in zip(out["rule"], table.iterrows()))


def test_balanced_weights_let_the_minority_win():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, 950), rng.normal(1.2, 1, 50)]
    df = pd.DataFrame({"x": x, "label": ["maj"] * 950 + ["min"] * 50})
    schema = detect_schema(df, "label")
    balanced = DecisionTreeLabeler(max_depth=2, class_weight="balanced", random_state=0).fit(
        df[["x"]], df.label, schema)
    prior = DecisionTreeLabeler(max_depth=2, random_state=0).fit(  # the default: real prior
        df[["x"]], df.label, schema)
    far = pd.DataFrame({"x": [3.0]})
    assert balanced.label(far)["label"].iloc[0] == "min"
    assert prior.label(far)["label"].iloc[0] == "maj"
    assert "balanced" in balanced.prior_note
    # quality judges the prior-weighted tree by its balanced decision (P / class share), not by
    # an argmax that never names the 5% class: it ranks as well as the balanced tree
    assert "cv_decision" in prior.quality_ and "cv_decision" not in balanced.quality_
    assert prior.quality_["cv_balanced_accuracy"] > 0.6
    assert abs(prior.quality_["cv_balanced_accuracy"]
               - balanced.quality_["cv_balanced_accuracy"]) < 0.1


def test_weak_labeler_warns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "label": rng.choice(["a", "b"], 200)})
    with pytest.warns(UserWarning, match="weak") as record:
        lab = _fit(df)
    assert lab.quality_["weak"]
    assert lab.quality_["weak_reason"].startswith("cross-validated balanced accuracy 0.")
    assert {w.filename for w in record if "weak" in str(w.message)} == {__file__}  # fit's caller


def test_not_fitted(table):
    with pytest.raises(NotFittedError):
        DecisionTreeLabeler().label(table)


def test_unseen_category_is_handled(table):
    lab = _fit(table)
    out = lab.label(table.head(3).assign(grade="Z"))
    assert len(out) == 3


def test_describe_has_model_text(table):
    desc = _fit(table).describe()
    assert "class:" in desc["model"] and desc["quality"]["cv_folds"] == 5


def test_reference_confidence_is_the_quantile_on_real_rows_of_each_class(table):
    schema = detect_schema(table, "label")
    lab = DecisionTreeLabeler(min_samples_leaf=3, reference_quantile=0.75, random_state=0).fit(
        table[schema.features], table["label"], schema)
    proba = lab.predict_proba(table)
    for c in ("no", "yes"):
        own = proba.loc[table["label"] == c, c]
        assert lab.class_confidence_[c] == pytest.approx(np.quantile(own, 0.75), abs=1e-6)
    assert lab.label(table.head(3)).attrs["class_confidence"] == lab.class_confidence_
    low = DecisionTreeLabeler(min_samples_leaf=3, reference_quantile=0.0, random_state=0).fit(
        table[schema.features], table["label"], schema)
    assert low.class_confidence_["yes"] < lab.class_confidence_["yes"]
    none = DecisionTreeLabeler(min_samples_leaf=3, reference_quantile=None, random_state=0).fit(
        table[schema.features], table["label"], schema)
    assert none.class_confidence_ == {} and none.label(table).attrs["class_confidence"] == {}


@pytest.mark.parametrize("q", [1.5, -0.1, "high", True])
def test_reference_quantile_out_of_range_is_refused(table, q):
    schema = detect_schema(table, "label")
    with pytest.raises(ConfigError, match="reference_quantile"):
        DecisionTreeLabeler(reference_quantile=q).fit(table[schema.features], table["label"],
                                                      schema)


def test_default_tree_keeps_the_real_prior():
    lab = DecisionTreeLabeler()
    assert lab.class_weight is None and lab.max_depth == 6 and lab.reference_quantile == 0.75
    # measured (docs/bench_label_noise.md): out of fold lowers the bar where it binds and
    # raises label noise there, so the reference stays in sample by default, in every labeler
    # and in every labeler config
    from pathlib import Path

    import yaml

    from augment.labelers import LABELERS

    for name, cls in LABELERS.items():
        if "reference" in cls().get_params():
            assert cls().reference == "in_sample", name
            conf = Path(__file__).parents[1] / "conf" / "labeler" / f"{name}.yaml"
            assert yaml.safe_load(conf.read_text())["reference"] == "in_sample", name


def test_a_weak_labeler_does_not_lower_the_label_bar():
    from augment.data import detect_schema
    from augment.gates import LabelAgreementGate
    from augment.labelers import DecisionTreeLabeler

    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                       "y": np.where(rng.random(n) < 0.1, "rare", "common")})  # no signal
    schema = detect_schema(df, "y")
    weak = DecisionTreeLabeler(random_state=0).fit(df[schema.features], df["y"], schema)
    assert weak.quality_["weak"]
    assert weak.class_confidence_ == {}
    assert "not used" in weak.quality_["reference_confidence"]
    labels = weak.label(df[schema.features])
    assert LabelAgreementGate().bars(labels) == {}  # min_confidence applies to every class


def _noisy_table(n: int = 200, flip: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """One column with signal; ``flip`` of the labels swapped, so a tree grown to single rows
    is sure of every training row (in-sample P = 1) but wrong on a fresh one that often."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.where(x > 0, "b", "a")
    swap = rng.random(n) < flip
    return pd.DataFrame({"x": x, "label": np.where(swap, np.where(y == "a", "b", "a"), y)})


def test_reference_is_out_of_fold():
    from sklearn.base import clone

    from augment.labelers.base import _folds

    df = _noisy_table()
    schema = detect_schema(df, "label")
    params = dict(max_depth=None, min_samples_leaf=1, reference_quantile=0.25, random_state=0)
    inside = DecisionTreeLabeler(reference="in_sample", **params).fit(df[["x"]], df.label, schema)
    oof = DecisionTreeLabeler(reference="oof", **params).fit(df[["x"]], df.label, schema)
    assert not oof.quality_["weak"]
    assert inside.class_confidence_ == {"a": 1.0, "b": 1.0}  # every leaf is pure in sample
    assert oof.class_confidence_["a"] < 1.0 and oof.class_confidence_["b"] < 1.0
    # the same number from copies fitted on the quality folds, each scoring its held-out rows
    proba = pd.DataFrame(index=df.index, columns=["a", "b"], dtype=float)
    for train, test in _folds(df.label, oof._seed()).split(df[["x"]], df.label):
        fold = clone(oof)._fit_core(df.iloc[train][["x"]], df.label.iloc[train], schema)
        proba.iloc[test] = fold.predict_proba(df.iloc[test][["x"]]).to_numpy()
    for c in ("a", "b"):
        expected = np.quantile(proba.loc[df.label == c, c], 0.25)
        assert oof.class_confidence_[c] == pytest.approx(expected, abs=1e-6)
    assert oof.quality_["reference"] == "oof" and "out-of-fold" in \
        oof.quality_["reference_confidence"]
    assert inside.quality_["reference"] == "in_sample"
    assert oof.describe()["reference_confidence"] == oof.class_confidence_
    assert oof.describe()["params"]["reference"] == "oof"


@pytest.mark.parametrize("kind", ["tree", "logistic"])
def test_the_labelers_seed_reaches_its_folds(kind):
    # the quality cross-validation and the out-of-fold reference follow random_state: the
    # same seed gives the same numbers, another seed other folds (not a fixed seed 0)
    df = _noisy_table()
    schema = detect_schema(df, "label")
    params = ({"max_depth": None, "min_samples_leaf": 1} if kind == "tree" else {})

    def fit(seed):
        lab = LABELERS[kind](reference="oof", reference_quantile=0.25, random_state=seed,
                             **params)
        return lab.fit(df[["x"]], df.label, schema)

    a, again = fit(0), fit(0)
    assert a.quality_ == again.quality_ and a.class_confidence_ == again.class_confidence_
    others = [fit(seed) for seed in (1, 2)]
    assert any(o.quality_["brier"] != a.quality_["brier"]
               or o.class_confidence_ != a.class_confidence_ for o in others)


def test_out_of_fold_reference_is_deterministic():
    df = _noisy_table(flip=0.2)
    schema = detect_schema(df, "label")

    def fit(seed):
        return DecisionTreeLabeler(reference="oof", random_state=seed, min_samples_leaf=5).fit(
            df[["x"]], df.label, schema).class_confidence_

    assert fit(0) == fit(0)


@pytest.mark.parametrize("kind", ["logistic", "rules", "ebm"])
def test_every_labeler_takes_the_out_of_fold_reference(kind):
    from augment.labelers import LABELERS

    if kind == "ebm":
        pytest.importorskip("interpret")
    params = {"rules": [{"when": {"x": {">": 1.5}}, "label": "b", "confidence": 0.95}]} \
        if kind == "rules" else {"max_rounds": 50, "outer_bags": 1} if kind == "ebm" else {}
    df = _noisy_table(flip=0.2)
    schema = detect_schema(df, "label")
    fitted = {ref: LABELERS[kind](reference=ref, **params).fit(df[["x"]], df.label, schema)
              for ref in ("oof", "in_sample")}
    for ref, lab in fitted.items():
        assert lab.quality_["reference"] == ref
        assert set(lab.class_confidence_) == {"a", "b"}
    assert fitted["oof"].class_confidence_ != fitted["in_sample"].class_confidence_


@pytest.mark.parametrize("bad", ["out_of_fold", None, 1, "OOF"])
def test_bad_reference_is_a_config_error(table, bad):
    schema = detect_schema(table, "label")
    with pytest.raises(ConfigError, match=r"reference must be one of \['oof', 'in_sample'\]; "
                                          r"got .*Fix: use in_sample"):
        DecisionTreeLabeler(reference=bad).fit(table[schema.features], table["label"], schema)


def test_no_reference_without_a_quantile_whatever_the_method(table):
    schema = detect_schema(table, "label")
    lab = DecisionTreeLabeler(reference_quantile=None, reference="oof").fit(
        table[schema.features], table["label"], schema)
    assert lab.class_confidence_ == {} and "reference" not in lab.quality_


def test_out_of_fold_reference_needs_cross_validation():
    df = pd.DataFrame({"x": np.arange(30.0), "label": ["a"] * 29 + ["b"]})
    schema = detect_schema(df, "label")
    lab = DecisionTreeLabeler(reference="oof").fit(df[["x"]], df.label, schema)
    assert lab.class_confidence_ == {}
    assert "not recorded" in lab.quality_["reference_confidence"]
