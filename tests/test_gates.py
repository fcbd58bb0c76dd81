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
    gate = LabelAgreementGate("agree", 0.6, acceptance="strict")
    agree = _fitted(gate, table).check(rows, labels)
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


def _verdicts(p_yes, reference=None):
    """A labeler's output for rows all generated as "yes" (binary: label = argmax)."""
    p_yes = np.asarray(p_yes, dtype=float)
    labels = pd.DataFrame({"label": np.where(p_yes >= 0.5, "yes", "no").astype(object),
                           "confidence": np.maximum(p_yes, 1 - p_yes),
                           "rule": "r", "proba=no": 1 - p_yes, "proba=yes": p_yes})
    if reference is not None:
        labels.attrs["class_confidence"] = reference
    return labels


def test_label_gate_bar_is_capped_by_the_reference_confidence(table):
    rows = table.head(5).assign(label="yes").reset_index(drop=True)
    p_yes = [0.95, 0.85, 0.4, 0.2, 0.1]
    gate = _fitted(LabelAgreementGate("agree", 0.9, acceptance="strict"), table)
    plain = gate.check(rows, _verdicts(p_yes))
    assert plain["keep"].tolist() == [True, False, False, False, False]
    assert "< min_confidence 0.90" in plain.at[1, "reason"]
    # the labeler is at most 0.3 sure of its real "yes" rows: the bar for "yes" drops to 0.3,
    # and a row it scores 0.4 is kept although its label (argmax) is "no"
    capped = gate.check(rows, _verdicts(p_yes, {"yes": 0.3, "no": 0.99}))
    assert capped["keep"].tolist() == [True, True, True, False, False]
    assert "reference confidence 0.30" in capped.at[3, "reason"]
    assert {"class": "yes", "min_confidence": 0.9, "bar": 0.3} in gate.report_
    # a reference above min_confidence does not raise the bar
    high = gate.check(rows, _verdicts(p_yes, {"yes": 0.97}))
    assert high["keep"].tolist() == plain["keep"].tolist()
    # rows generated as "no" keep the argmax rule at their own bar (0.9 here)
    rows_no = rows.assign(label="no")
    out = gate.check(rows_no, _verdicts(p_yes, {"yes": 0.3, "no": 0.99}))
    assert out["keep"].tolist() == [False, False, False, False, True]


def test_label_gate_reasons_read_row_by_row(table):
    rows = table.head(5).assign(label="yes").reset_index(drop=True)
    labels = _verdicts([0.95, 0.85, 0.4, 0.2, 0.1], {"yes": 0.3})
    labels.loc[4, "label"] = None  # abstained
    gate = _fitted(LabelAgreementGate("agree", 0.9, acceptance="strict"), table)
    assert gate.check(rows, labels)["reason"].tolist() == [
        "", "", "", "label: P('yes')=0.20 < the labeler's reference confidence 0.30 on real rows "
        "of the class", "label: labeler abstained (no rule covers the row)"]
    plain = gate.check(rows, _verdicts([0.95, 0.85, 0.4, 0.2, 0.1]))["reason"].tolist()
    assert plain[1:3] == ["label: P('yes')=0.85 < min_confidence 0.90",
                          "label: labeler says 'no' (P=0.60), generated as 'yes'"]
    relabel = _fitted(LabelAgreementGate("relabel", 0.9), table)
    assert relabel.check(rows, _verdicts([0.95, 0.85, 0.4, 0.2, 0.1]))["reason"].tolist()[1] == (
        "label: labeler's P('yes')=0.85 < min_confidence 0.90")


def test_label_gate_relabel_uses_the_bar_of_its_own_label(table):
    rows = table.head(3).assign(label="no").reset_index(drop=True)
    gate = _fitted(LabelAgreementGate("relabel", 0.9), table)
    labels = _verdicts([0.7, 0.35, 0.05], {"yes": 0.6})
    # row 0: labeler says "yes" at 0.7 >= bar 0.6; row 1: "no" at 0.65 < 0.9; row 2: "no" 0.95
    assert gate.check(rows, labels)["keep"].tolist() == [True, False, True]


def test_label_gate_with_a_real_labeler_keeps_capped_rows(table):
    schema = detect_schema(table, "label")
    lab = DecisionTreeLabeler(min_samples_leaf=3, reference_quantile=0.0, random_state=0).fit(
        table[schema.features], table["label"], schema)
    rows = table.assign(label="yes")
    labels = lab.label(rows)
    bar = min(0.9, labels.attrs["class_confidence"]["yes"])
    assert bar < 0.9  # the least sure real "yes" row sets it
    out = _fitted(LabelAgreementGate("agree", 0.9, acceptance="strict"), table).check(rows, labels)
    assert out["keep"].tolist() == (labels["proba=yes"] >= bar).tolist()


def test_label_reasons_round_like_python():
    from augment.gates._label import _two

    values = np.array([0.225, 0.295, 0.715, 0.005, 1.0, np.nan])
    assert _two(values).tolist() == [f"{v:.2f}" for v in values]


def test_label_reason_never_reads_as_equal_to_the_bar(table):
    rows = table.head(2).assign(label="yes").reset_index(drop=True)
    gate = _fitted(LabelAgreementGate("agree", 0.9, acceptance="strict"), table)
    reasons = gate.check(rows, _verdicts([0.2199, 0.1], {"yes": 0.2203}))["reason"].tolist()
    assert reasons[0].startswith("label: P('yes')=0.2199 < the labeler's reference confidence 0.22")
    assert reasons[1].startswith("label: P('yes')=0.10 <")


def test_validity_tells_mixed_types_apart():
    real = pd.DataFrame({"code": pd.Series(["a", "b", 1] * 10, dtype=object),
                         "x": np.arange(30.0), "label": ["p", "q"] * 15})
    gate = ValidityGate().fit(real, detect_schema(real, "label"))
    rows = pd.DataFrame({"code": pd.Series([1, 1.0, True, "a"], dtype=object), "x": [1.0] * 4,
                         "label": ["p"] * 4})
    assert gate.check(rows, None)["keep"].tolist() == [True, False, False, True]


def test_novelty_catches_repeats_of_rows_kept_in_earlier_batches(table):
    from augment.gates import NoveltyGate

    gate = NoveltyGate().fit(table, detect_schema(table, "label"))
    rows = table.head(3).assign(amount=lambda f: f["amount"] + 1000.0).reset_index(drop=True)
    assert gate.check(rows, None)["keep"].all()
    gate.accepted(rows.iloc[:1])
    again = gate.check(rows, None)
    assert again["keep"].tolist() == [False, True, True]
    assert again.at[0, "reason"] == "novelty: repeats another synthetic row"
    gate.fit(table, detect_schema(table, "label"))  # a new fit forgets the kept rows
    assert gate.check(rows, None)["keep"].all()


def test_distance_leaves_exact_copies_to_novelty_where_real_rows_have_twins():
    from augment import gates

    rng = np.random.default_rng(0)
    coarse = pd.DataFrame({"a": rng.integers(0, 3, 300), "b": rng.choice(["u", "v"], 300),
                           "label": rng.choice(["p", "q"], 300)})
    fine = coarse.assign(x=rng.normal(size=300))
    for real, twins in ((coarse, True), (fine, False)):
        gate = gates.DistanceGate(random_state=0).fit(real, detect_schema(real, "label"))
        out = gate.check(real.head(5))
        assert (gate.twin_share_ > gate.quantile) == twins
        assert bool(out["keep"].all()) == twins
        if not twins:
            assert (out["reason"] == "distance: identical to a real record on every feature").all()


def test_distance_rejects_copies_of_rows_without_a_twin_even_where_twins_are_common():
    from augment import gates

    rng = np.random.default_rng(1)
    unique = pd.DataFrame({"x": rng.normal(size=500), "label": rng.choice(["p", "q"], 500)})
    real = pd.concat([unique, unique.head(40)], ignore_index=True)  # 40 rows with a twin
    gate = gates.DistanceGate(random_state=0).fit(real, detect_schema(real, "label"))
    assert gate.twin_share_ > gate.quantile
    out = gate.check(real.iloc[[0, 300]].reset_index(drop=True))  # twin / no twin
    assert out["keep"].tolist() == [True, False]


def test_distance_encodes_each_checked_row_once(monkeypatch):
    from augment import gates
    from augment.data import DistanceEncoder

    rng = np.random.default_rng(1)
    unique = pd.DataFrame({"x": rng.normal(size=500), "label": rng.choice(["p", "q"], 500)})
    real = pd.concat([unique, unique.head(40)], ignore_index=True)  # twins: copies are looked up
    gate = gates.DistanceGate(random_state=0).fit(real, detect_schema(real, "label"))
    rows = pd.concat([real.iloc[[0, 300]], unique.assign(x=unique.x + 1e-3).head(3)],
                     ignore_index=True)  # a copy with a twin, one without, three new rows
    encoded = []
    transform = DistanceEncoder.transform
    monkeypatch.setattr(DistanceEncoder, "transform",
                        lambda self, frame: encoded.append(len(frame)) or transform(self, frame))
    out = gate.check(rows)
    assert encoded == [len(rows)]  # the exact copies' keys reuse the codes
    assert out["keep"].tolist() == [True, False, True, True, True]
    np.testing.assert_array_equal(out["score"].to_numpy(), gate.distances(rows))


def test_novelty_reads_minus_zero_as_zero_and_an_unknown_class_at_the_overall_rate():
    from augment.gates import NoveltyGate

    real = pd.DataFrame({"x": [0.0, 0.0, 0.0, 1.0], "label": [0, 0, 0, 1]})
    gate = NoveltyGate(random_state=0).fit(real, detect_schema(real, "label"))
    rows = pd.DataFrame({"x": [-0.0], "label": [0]})
    out = gate.check(rows)
    assert gate.report_[0]["copies"] == 1 and out["keep"].all()  # 3 real rows share 0.0
    other = gate.check(rows.assign(label=[0.0]))  # the class as another dtype
    assert gate.report_[0]["real_rate"] == pytest.approx(0.75) and other["keep"].all()
