import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError
from augment.gates import (
    LabelAgreementGate,
    MarginalGate,
    NoveltyGate,
    TwoSampleGate,
    ValidityGate,
)
from augment.labelers import DecisionTreeLabeler


def _fitted(gate, table):
    return gate.fit(table, detect_schema(table, "label"))


def test_validity_flags_each_kind_of_problem(table):
    gate = _fitted(ValidityGate(), table)
    rows = table.head(6).copy().reset_index(drop=True)
    rows["count"] = rows["count"].astype(float)
    rows.loc[1, "amount"] = 1e6
    rows.loc[2, "grade"] = "Z"
    rows.loc[3, "count"] = 2.5
    rows.loc[4, "amount"] = np.nan
    rows.loc[5, "amount"] = -1e6
    out = gate.check(rows)
    assert out["keep"].tolist() == [True, False, False, False, False, False]
    assert "above real max" in out.at[1, "reason"]
    assert "never seen" in out.at[2, "reason"]
    assert "whole number" in out.at[3, "reason"]
    assert "missing" in out.at[4, "reason"]
    assert "below real min" in out.at[5, "reason"]
    assert out.at[0, "reason"] == "" and out.at[0, "score"] == 1.0
    assert out.at[1, "score"] == pytest.approx(0.75)


def test_novelty_rejects_copies_and_repeats(table):
    gate = _fitted(NoveltyGate(), table)
    fresh = table.iloc[[0]].assign(amount=12345.678)
    rows = pd.concat([table.iloc[[3]], fresh, fresh], ignore_index=True)
    rows["count"] = rows["count"].astype(float)  # 3 and 3.0 are the same value
    out = gate.check(rows)
    assert out["keep"].tolist() == [False, True, False]
    assert out["reason"].tolist() == ["novelty: exact copy of a real row", "",
                                      "novelty: repeats another synthetic row"]


def _labels_for(table):
    schema = detect_schema(table, "label")
    lab = DecisionTreeLabeler(min_samples_leaf=3, random_state=0).fit(
        table[schema.features], table["label"], schema)
    return lab


def test_label_gate_agree_and_intended(table):
    lab = _labels_for(table)
    rows = table.copy()
    rows["label"] = "yes"  # pretend every row was generated for the minority
    labels = lab.label(rows)
    agree = _fitted(LabelAgreementGate("agree", 0.6), table).check(rows, labels)
    expected = (labels["label"] == "yes") & (labels["proba=yes"] >= 0.6)
    assert agree["keep"].tolist() == expected.tolist()
    assert np.allclose(agree["score"], labels["proba=yes"])
    assert agree.loc[~agree.keep, "reason"].str.startswith("label:").all()
    intended = _fitted(LabelAgreementGate("intended"), table).check(rows, labels)
    assert intended["keep"].all()


@pytest.mark.parametrize(("gate", "match"), [
    (LabelAgreementGate(policy="vote"), "policy"),
    (LabelAgreementGate(min_confidence=1.5), "min_confidence"),
    (MarginalGate(min_score=2), "min_score"),
    (TwoSampleGate(max_auc=0.3), "max_auc"),
    (TwoSampleGate(n_splits=1), "n_splits"),
])
def test_bad_gate_params(gate, match, table):
    assert any(match in p for p in gate.check_params())


def test_label_gate_fit_raises_on_bad_params(table):
    with pytest.raises(ConfigError):
        _fitted(LabelAgreementGate(policy="vote"), table)


def _gaussian(n, shift, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(0, 1, n),
                         "c": rng.choice(["x", "y"], n), "label": "k"})


def test_batch_checks_tell_same_from_different():
    real = _gaussian(300, 0, 0)
    schema = detect_schema(pd.concat([real, real.head(5).assign(label="j")]), "label")
    same, far = _gaussian(300, 0, 1), _gaussian(300, 4, 2)
    two = TwoSampleGate(max_auc=0.75, random_state=0)
    marg = MarginalGate(min_score=0.8)
    assert two.check(real, same, schema, "r").passed is True
    assert two.check(real, far, schema, "r").passed is False
    assert two.check(real, far, schema, "r").score > 0.95
    assert marg.check(real, same, schema, "r").passed is True
    bad = marg.check(real, far, schema, "r")
    assert bad.passed is False and bad.details["columns"]["a"] < 0.2


def test_batch_check_skips_tiny_batches():
    real = _gaussian(50, 0, 0)
    schema = detect_schema(pd.concat([real, real.head(5).assign(label="j")]), "label")
    out = TwoSampleGate().check(real, real.head(3), schema, "r")
    assert out.passed is None and "skipped" in out.message
