"""Logistic, rules and EBM labelers; calibration and quality; registry; consistency; policies."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError
from augment.gates import LabelAgreementGate
from augment.labelers import (
    DecisionTreeLabeler,
    LogisticLabeler,
    RuleLabeler,
    StoredLabeler,
    consistency_report,
    list_versions,
    load,
    save,
)
from augment.labelers._calibration import (
    _logit,
    _platt,
    apply_calibration,
    calibration_metrics,
    expected_calibration_error,
)
from augment.labelers._registry import diff, format_diff
from augment.labelers.registry import main as registry_main

RULES = [
    {"name": "big", "when": {"amount": {">": 150}}, "label": "yes", "confidence": 0.9},
    {"name": "grade_a", "when": {"grade": "A", "count": {"<=": 2}}, "label": "no",
     "confidence": 0.8},
]


def _fit(labeler, table):
    schema = detect_schema(table, "label")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return labeler.fit(table[schema.features], table["label"], schema)


def _labelers():
    return [DecisionTreeLabeler(min_samples_leaf=3, random_state=0),
            LogisticLabeler(),
            LogisticLabeler(calibration="sigmoid"),
            DecisionTreeLabeler(min_samples_leaf=3, calibration="isotonic", random_state=0),
            RuleLabeler(RULES, base="logistic"),
            RuleLabeler(RULES, base=None, uncovered="abstain")]


@pytest.mark.parametrize("labeler", _labelers(), ids=lambda lab: repr(lab)[:60])
def test_proba_sums_to_one_and_rows_are_explained(labeler, table):
    lab = _fit(labeler, table)
    out = lab.label(table)
    proba = out[["proba=no", "proba=yes"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (out["rule"].str.len() > 0).all()
    assert {"brier", "ece", "cv_balanced_accuracy"} <= set(lab.quality_)
    assert lab.to_text()


def test_multiclass_logistic_explains_pushes(multiclass):
    schema = detect_schema(multiclass, "label")
    lab = LogisticLabeler().fit(multiclass[schema.features], multiclass["label"], schema)
    out = lab.label(multiclass)
    np.testing.assert_allclose(out.filter(like="proba=").sum(axis=1), 1.0)
    assert (out["label"] == multiclass["label"]).mean() > 0.8
    assert out["rule"].str.contains("pushed by x").any()
    assert "class a: intercept" in lab.to_text()


def test_rules_override_fallback_and_abstain(table):
    over = _fit(RuleLabeler(RULES, base="tree"), table)
    alone = _fit(RuleLabeler(RULES, base=None, uncovered="abstain"), table)
    rows = pd.DataFrame({"amount": [200.0, 90.0, 90.0], "count": [1, 1, 5],
                         "grade": ["A", "A", "B"], "flag": [True, False, True]})
    out = over.label(rows)
    assert out["label"].tolist()[:2] == ["yes", "no"]  # first matching rule wins
    assert out["confidence"].tolist()[:2] == [0.9, 0.8]
    assert out["rule"].iloc[0].startswith("big:")
    assert out["rule"].iloc[2].startswith("no rule; tree:")
    ab = alone.label(rows)
    assert ab["label"].iloc[2] is None and ab["confidence"].iloc[2] == 0.0
    assert ab["rule"].iloc[2].startswith("abstain")
    np.testing.assert_allclose(ab.iloc[2][["proba=no", "proba=yes"]].astype(float), 0.5)
    assert alone.quality_["abstained"] > 0


@pytest.mark.parametrize("text, match", [
    ("rules:\n  - when: {nope: 1}\n    label: yes\n", r"rules\.yaml:2: .*unknown column 'nope'"),
    ("rules:\n  - when:\n      amount: {'>': 5, '<': 3}\n    label: 'yes'\n",
     r"rules\.yaml:3: .*impossible condition"),
    ("rules:\n  - when: {grade: A}\n    label: maybe\n", r"rules\.yaml:3: .*'maybe'.*not a class"),
    ("rules:\n  - when: {grade: [A\n", r"rules\.yaml:\d+: .*not valid YAML"),
    ("rules:\n  - when: {grade: A}\n    label: 'no'\n    confidence: 2\n",
     r"rules\.yaml:4: .*confidence"),
])
def test_rules_file_errors_name_file_and_line(tmp_path, table, text, match):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        _fit(RuleLabeler(str(path)), table)


@pytest.mark.parametrize("rule, match", [
    ({"when": {"amount": {"~": 1}}, "label": "yes"}, r"rule #1: unknown operator '~' on 'amount'"),
    ({"when": {"grade": {"in": "A"}}, "label": "yes"}, r"'grade' in needs a list; got 'A'"),
    ({"when": {"grade": {">": 1}}, "label": "yes"}, r"'grade' > 1 needs a numeric column"),
    ({"when": {"amount": {"between": [5]}}, "label": "yes"}, r"'between' takes \[low, high\]"),
    ({"when": {"amount": {"between": [9, 5]}}, "label": "yes"},
     r"impossible condition on 'amount'"),
    ({"when": {"amount": {">": 5, "<=": 5}}, "label": "yes"}, r"impossible condition on 'amount'"),
    ({"when": {"grade": {"in": ["A"], "==": "B"}}, "label": "yes"},
     r"impossible condition on 'grade'"),
    ({"when": {}, "label": "yes"}, r"rule 'rule1' needs a non-empty 'when:' mapping"),
    ({"when": {"grade": "A"}, "label": "yes", "then": 1}, r"unknown keys \['then'\]"),
    ("grade == A", r"rule #1: expected a mapping with when/label/confidence"),
])
def test_rules_list_errors_name_the_rule(table, rule, match):
    with pytest.raises(ConfigError, match=match):
        _fit(RuleLabeler([rule], base=None, uncovered="abstain"), table)


def test_rules_list_errors_are_collected_and_raised_once(table):
    rules = [{"name": "a", "when": {"nope": 1}, "label": "yes"},
             {"name": "b", "when": {"grade": "A"}, "label": "maybe", "confidence": 0}]
    with pytest.raises(ConfigError) as info:
        _fit(RuleLabeler(rules, base=None, uncovered="abstain"), table)
    text = str(info.value)
    assert "rule 'a' uses unknown column 'nope'" in text
    assert "rule 'b' gives label 'maybe'" in text and "rule 'b' has confidence 0" in text


def test_rules_conditions_are_parsed_to_numbers_and_sorted_text(table):
    rules = [{"name": "r", "when": {"amount": {"between": [1, 300], ">=": 2},
                                    "grade": {"in": ["B", "A"]}}, "label": "yes"}]
    lab = _fit(RuleLabeler(rules, base=None, uncovered="abstain"), table)
    assert lab.rules_[0]["when"] == [
        {"column": "amount", "op": "between", "value": [1.0, 300.0]},
        {"column": "amount", "op": ">=", "value": 2.0},
        {"column": "grade", "op": "in", "value": ["A", "B"]}]
    assert lab.rules_[0]["confidence"] == 1.0


def test_fallback_without_base_is_refused(table):
    with pytest.raises(ConfigError, match="needs a base labeler"):
        _fit(RuleLabeler(RULES, base=None), table)


def test_ece_and_brier_match_hand_computation():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    codes = np.array([0, 1, 1, 1])
    # bins: 0.9 -> 9 (correct), 0.8 -> 8 (wrong), 0.7 -> 7 (correct), 0.55 -> 5 (correct)
    hand = (abs(1 - 0.9) + abs(0 - 0.8) + abs(1 - 0.7) + abs(1 - 0.55)) / 4
    assert expected_calibration_error(proba, codes) == pytest.approx(hand)
    brier = np.mean([(0.1 - 0) ** 2, (0.2 - 1) ** 2, (0.7 - 1) ** 2, (0.55 - 1) ** 2])
    assert calibration_metrics(proba, codes)["brier"] == pytest.approx(brier)
    # two rows in one bin: |mean accuracy - mean confidence|
    same = np.array([[0.62, 0.38], [0.66, 0.34]])
    assert expected_calibration_error(same, np.array([0, 1])) == pytest.approx(abs(0.5 - 0.64))


def test_calibration_option_changes_probabilities(table):
    raw = _fit(LogisticLabeler(), table)
    cal = _fit(LogisticLabeler(calibration="isotonic"), table)
    assert cal.calibrators_ and raw.calibrators_ is None
    assert not np.allclose(raw.predict_proba(table), cal.predict_proba(table))
    with pytest.raises(ConfigError, match="calibration"):
        _fit(LogisticLabeler(calibration="platt"), table)


def test_poorly_calibrated_warns_with_the_number():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = np.where(x + rng.normal(0, 1.5, 300) > 0, "a", "b")
    df = pd.DataFrame({"x": x, "label": y})
    schema = detect_schema(df, "label")
    with pytest.warns(UserWarning, match=r"expected calibration error 0\.\d+ > 0\.15"):
        lab = DecisionTreeLabeler(max_depth=8, min_samples_leaf=1, class_weight=None,
                                  random_state=0).fit(df[["x"]], df["label"], schema)
    assert lab.quality_["poorly_calibrated"] and "calibration error" in lab.quality_["weak_reason"]


@pytest.mark.parametrize("labeler", _labelers()[:5], ids=lambda lab: repr(lab)[:60])
def test_registry_round_trip_gives_identical_predictions(tmp_path, table, labeler):
    lab = _fit(labeler, table)
    version = save(lab, table, tmp_path)
    assert save(lab, table, tmp_path) == version  # same content, same version
    back = load(version, tmp_path)
    pd.testing.assert_frame_equal(back.label(table), lab.label(table))
    assert back.label(table).attrs == lab.label(table).attrs  # reference confidences kept
    assert back.to_text() == lab.to_text()
    record = json.loads((tmp_path / version / "labeler.json").read_text())
    assert record["params"] == json.loads(json.dumps(lab.get_params(deep=False), default=str)) \
        or record["name"] == "rules"
    assert len(record["training_data_sha256"]) == 64


def test_registry_refuses_unknown_and_tampered(tmp_path, table):
    version = save(_fit(LogisticLabeler(), table), table, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load("tree-000000000000", tmp_path)
    with pytest.raises(ConfigError, match="trained on data"):
        load(version, tmp_path, training_data_sha256="0" * 64)
    path = tmp_path / version / "labeler.json"
    record = json.loads(path.read_text())
    record["state"]["model"]["intercept"][0] += 1.0
    path.write_text(json.dumps(record))
    with pytest.raises(ConfigError, match="content hash"):
        load(version, tmp_path)


def test_registry_refuses_a_tree_from_another_scikit_learn(tmp_path, table):
    # a stored tree is rebuilt through scikit-learn's private Tree state: each record names
    # the scikit-learn that wrote it, and a tree from another one is refused, not misread
    import sklearn

    def stored_by(labeler, written_by):
        version = save(_fit(labeler, table), table, tmp_path)
        path = tmp_path / version / "labeler.json"
        record = json.loads(path.read_text())
        assert record["sklearn"] == sklearn.__version__
        if written_by is None:
            del record["sklearn"]  # a record from before versions were recorded
        else:
            record["sklearn"] = written_by
        path.write_text(json.dumps(record))
        return version

    for labeler in (DecisionTreeLabeler(random_state=0), RuleLabeler(RULES, base="tree")):
        version = stored_by(labeler, "0.0.1")
        with pytest.raises(ConfigError, match=(
                rf"saved with scikit-learn 0\.0\.1; expected the running scikit-learn "
                rf"{re.escape(sklearn.__version__)}.*Fix: refit the labeler")):
            load(version, tmp_path)
        with pytest.raises(ConfigError, match=r"saved with scikit-learn 0\.0\.1"):
            _fit(StoredLabeler(version, registry=str(tmp_path)), table)
    with pytest.raises(ConfigError, match=r"scikit-learn \(not recorded\)"):
        load(stored_by(DecisionTreeLabeler(max_depth=2), None), tmp_path)
    # coefficients and rules alone do not depend on scikit-learn's internals
    for labeler in (LogisticLabeler(), RuleLabeler(RULES, base=None, uncovered="abstain")):
        back = load(stored_by(labeler, "0.0.1"), tmp_path)
        pd.testing.assert_frame_equal(back.label(table), _fit(labeler, table).label(table))


def test_registry_diff_shows_changed_rule_and_cli(tmp_path, table, capsys):
    a = save(_fit(RuleLabeler(RULES, base="tree"), table), table, tmp_path)
    changed = [RULES[0], {**RULES[1], "confidence": 0.7}]
    b = save(_fit(RuleLabeler(changed, base="tree"), table), table, tmp_path)
    d = diff(a, b, tmp_path)
    assert d["rules_removed"] == ["grade_a: grade == A and count <= 2 -> no (confidence 0.8)"]
    assert d["rules_added"] == ["grade_a: grade == A and count <= 2 -> no (confidence 0.7)"]
    assert "rule added" in format_diff(d)
    assert [v["version"] for v in list_versions(tmp_path)] == sorted([a, b]) or len(
        list_versions(tmp_path)) == 2
    assert registry_main(["--registry", str(tmp_path), "diff", a, b]) == 0
    assert "rule removed" in capsys.readouterr().out
    assert registry_main(["--registry", str(tmp_path), "list"]) == 0
    assert a in capsys.readouterr().out
    assert registry_main(["--registry", str(tmp_path), "show", "nope"]) == 2


def test_stored_labeler_pins_a_version(tmp_path, table):
    lab = _fit(DecisionTreeLabeler(min_samples_leaf=3, random_state=0), table)
    version = save(lab, table, tmp_path)
    pinned = _fit(StoredLabeler(version[:10], registry=str(tmp_path)), table)
    pd.testing.assert_frame_equal(pinned.label(table), lab.label(table))
    assert pinned.quality_["version"] == version
    assert pinned.quality_["on_fit_rows"]["same_training_data"]
    assert pinned.describe()["version"] == version
    # the stored reference confidence and how it was computed travel with the version
    assert pinned.describe()["reference_confidence"] == lab.class_confidence_
    assert pinned.quality_["reference"] == lab.reference == "in_sample"
    assert pinned.label(table).attrs["class_confidence"] == lab.class_confidence_


def test_consistency_report_numbers():
    idx = pd.RangeIndex(6)
    intended = pd.Series(["a", "a", "a", "b", "b", "b"], index=idx)
    assigned = pd.Series(["a", "b", "a", "b", None, "a"], index=idx, dtype=object)
    regions = pd.Series(["r1", "r1", "r1", "r2", "r2", "r2"], index=idx)
    other = pd.Series(["a", "a", "b", "b", "b", "a"], index=idx)
    rep = consistency_report(intended, assigned, regions, others={"tree": other})
    assert rep["agreement"] == pytest.approx(3 / 5, abs=1e-4) and rep["abstained"] == 1
    assert rep["by_region"]["r1"] == {"rows": 3, "agreement": pytest.approx(2 / 3, abs=1e-4)}
    assert rep["by_region"]["r2"]["agreement"] == pytest.approx(1 / 2, abs=1e-4)
    assert rep["labeler_contradictions"]["tree"]["compared"] == 5
    assert rep["labeler_contradictions"]["tree"]["contradictions"] == 2
    assert rep["labeler_contradictions"]["tree"]["examples"] == [1, 2]
    assert rep["labeler_contradictions"]["tree"]["rate"] == pytest.approx(2 / 5, abs=1e-4)
    assert rep["rule_contradictions"] == []  # no rules labeler given
    silent = pd.Series([None] * 6, index=idx, dtype=object)
    none = consistency_report(intended, assigned, others={"quiet": silent})
    assert none["labeler_contradictions"]["quiet"] == {
        "compared": 0, "contradictions": 0, "rate": None, "examples": []}
    assert none["by_region"] == {}


def test_consistency_report_finds_contradicting_rules(table):
    rules = [*RULES, {"name": "c_no", "when": {"grade": "C"}, "label": "no", "confidence": 0.6},
             {"name": "c_big", "when": {"grade": {"in": ["C"]}, "amount": {">=": 150}},
              "label": "yes", "confidence": 0.9}]
    lab = _fit(RuleLabeler(rules, base="tree"), table)
    out = lab.label(table)
    rep = consistency_report(table["label"], out, rule_labeler=lab, X=table)
    pairs = {tuple(r["rules"]) for r in rep["rule_contradictions"]}
    n_both = int(((table.grade == "C") & (table.amount >= 150)).sum())
    assert ("c_no", "c_big") in pairs
    found = next(r for r in rep["rule_contradictions"] if r["rules"] == ["c_no", "c_big"])
    assert found["rows"] == n_both


@pytest.mark.parametrize("policy", ["agree", "relabel", "soft", "intended"])
def test_label_policies_check_and_assign(table, policy):
    lab = _fit(DecisionTreeLabeler(min_samples_leaf=3, random_state=0), table)
    rows = table.copy()
    rows["label"] = "yes"  # every row generated for the minority
    labels = lab.label(rows)
    gate = LabelAgreementGate(policy, 0.6, acceptance="strict").fit(
        table, detect_schema(table, "label"))
    verdict = gate.check(rows, labels)
    assigned = gate.assign(rows, labels)
    said_yes = (labels["label"] == "yes").to_numpy()
    if policy == "agree":
        expected = said_yes & (labels["proba=yes"] >= 0.6).to_numpy()
    elif policy == "relabel":
        expected = (labels["confidence"] >= 0.6).to_numpy()
    else:
        expected = np.ones(len(rows), bool)
    np.testing.assert_array_equal(verdict["keep"], expected)
    if policy == "relabel":
        assert assigned["label"].tolist() == labels["label"].tolist()
        np.testing.assert_allclose(assigned["confidence"], labels["confidence"])
        np.testing.assert_array_equal(assigned["relabelled"], ~said_yes)
    else:
        assert (assigned["label"] == "yes").all() and not assigned["relabelled"].any()
        np.testing.assert_allclose(assigned["confidence"], labels["proba=yes"])
    if policy == "soft":
        np.testing.assert_allclose(assigned["_proba_yes"], labels["proba=yes"])
        np.testing.assert_allclose(assigned[["_proba_no", "_proba_yes"]].sum(axis=1), 1.0)
    else:
        assert not any(c.startswith("_proba_") for c in assigned)


def test_abstained_rows_are_rejected_except_intended(table):
    lab = _fit(RuleLabeler(RULES, base=None, uncovered="abstain"), table)
    rows = table.assign(label="yes")
    labels = lab.label(rows)
    schema = detect_schema(table, "label")
    none = labels["label"].isna().to_numpy()
    for policy in ("agree", "relabel", "soft"):
        verdict = LabelAgreementGate(policy, 0.5).fit(table, schema).check(rows, labels)
        assert not verdict["keep"].to_numpy()[none].any()
        assert verdict["reason"][none].str.contains("abstained").all()
    kept = LabelAgreementGate("intended").fit(table, schema).check(rows, labels)
    assert kept["keep"].all()


def test_ebm_if_installed(table):
    pytest.importorskip("interpret")
    from augment.labelers import EBMLabeler

    lab = _fit(EBMLabeler(max_rounds=200, outer_bags=1, random_state=0), table)
    out = lab.label(table)
    np.testing.assert_allclose(out[["proba=no", "proba=yes"]].sum(axis=1), 1.0)
    assert out["rule"].str.contains("pushed by").any()
    assert lab.quality_["cv_balanced_accuracy"] > 0.7


def _platt_case(separable: bool):
    rng = np.random.default_rng(3)
    p = np.round(rng.beta(0.7, 1.5, 400), 3)
    p[:40] = 1.0  # pure leaves
    target = (p > 0.5 if separable else rng.random(400) < p ** 0.8).astype(int)
    weights = np.ones(400) if separable else np.where(np.arange(400) % 3 == 0, 2.0, 1.0)
    return _logit(p), target, weights


@pytest.mark.parametrize(("separable", "old"), [
    # (a, b) of the hand-written Newton solver this replaced, on the same inputs
    (False, (1.0200336474049245, 0.6518687066734238)),
    (True, (5.155172692495508, -0.06974439127228395)),
])
def test_platt_scaling_matches_the_earlier_newton_solver(separable, old):
    x, target, weights = _platt_case(separable)
    a, b = _platt(x, target, weights)
    np.testing.assert_allclose([a, b], old, rtol=1e-6, atol=1e-7)
    # the fit is the minimum of the smoothed-target log-loss: its gradient vanishes
    n_pos, n_neg = weights[target == 1].sum(), weights[target == 0].sum()
    t = np.where(target == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    z = np.clip(x, -7, 7)
    p = 1 / (1 + np.exp(-(a * z + b)))
    grad = [np.sum(weights * (p - t) * z), np.sum(weights * (p - t))]
    np.testing.assert_allclose(grad, 0.0, atol=1e-6)


def test_a_stored_sigmoid_map_keeps_its_meaning():
    # the map format stored in the registry is unchanged: {"kind": "sigmoid", "a", "b"}
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    out = apply_calibration(proba, [{"class": 1, "kind": "sigmoid", "a": 2.0, "b": -0.5}])
    want = 1 / (1 + np.exp(-(2.0 * np.log(proba[:, 1] / proba[:, 0]) - 0.5)))
    np.testing.assert_allclose(out[:, 1], want)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
