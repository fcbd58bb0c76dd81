import re

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import NotFittedError
from augment.labelers import DecisionTreeLabeler


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
    balanced = DecisionTreeLabeler(max_depth=2, random_state=0).fit(df[["x"]], df.label, schema)
    prior = DecisionTreeLabeler(max_depth=2, class_weight=None, random_state=0).fit(
        df[["x"]], df.label, schema)
    far = pd.DataFrame({"x": [3.0]})
    assert balanced.label(far)["label"].iloc[0] == "min"
    assert prior.label(far)["label"].iloc[0] == "maj"
    assert "balanced" in balanced.prior_note


def test_weak_labeler_warns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "label": rng.choice(["a", "b"], 200)})
    with pytest.warns(UserWarning, match="weak"):
        lab = _fit(df)
    assert lab.quality_["weak"]


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
