import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError
from augment.evaluate import Evaluation, classification_metrics, expected_calibration_error


def _binary(seed=0, n=300):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.2, "yes", "no").astype(object)
    p_yes = np.clip(rng.random(n) * 0.5 + (y == "yes") * 0.4, 0, 1)
    return y, np.c_[1 - p_yes, p_yes]


def test_binary_metrics_match_sklearn():
    y, proba = _binary()
    m = classification_metrics(y, proba, ["no", "yes"], ["yes"])
    pred = np.where(proba[:, 1] > 0.5, "yes", "no")
    positive = (y == "yes").astype(int)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert m["f1[yes]"] == pytest.approx(f1_score(y, pred, pos_label="yes"))
    assert m["pr_auc[yes]"] == pytest.approx(average_precision_score(positive, proba[:, 1]))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(positive, proba[:, 1]))
    assert m["brier"] == pytest.approx(brier_score_loss(positive, proba[:, 1]))
    assert m["minority_f1"] == m["f1[yes]"]


def test_multiclass_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.choice(["a", "b", "c"], 200).astype(object)
    proba = rng.dirichlet([1, 1, 1], 200)
    m = classification_metrics(y, proba, ["a", "b", "c"], ["b", "c"])
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    assert set(k for k in m if k.startswith("f1[")) == {"f1[b]", "f1[c]"}


def test_ece_by_hand():
    y = np.array(["a", "a", "b", "b"], dtype=object)
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    # bins: 0.9 -> correct; 0.6 -> correct; 0.7 -> correct; 0.8 -> wrong
    expected = (abs(1 - 0.9) + abs(1 - 0.6) + abs(1 - 0.7) + abs(0 - 0.8)) / 4
    assert expected_calibration_error(y, proba, ["a", "b"]) == pytest.approx(expected)


def test_split_is_stratified_and_capped(table):
    ev = Evaluation(test_size=0.3, max_train_rows=40, random_state=0)
    train, test = ev.split(table, "label")
    assert len(train) == 40 and len(test) == 23
    assert set(train.label) == set(test.label) == {"no", "yes"}


@pytest.mark.parametrize(("params", "match"), [
    ({"test_size": 1.5}, "test_size"), ({"models": ("svm",)}, "models"),
    ({"baselines": ("magic",)}, "baselines"), ({"max_train_rows": 3}, "max_train_rows"),
])
def test_bad_evaluation_params(table, params, match):
    with pytest.raises(ConfigError, match=match):
        Evaluation(**params).split(table, "label")


def test_evaluate_compares_pathways(table):
    big = pd.concat([table, table.assign(amount=table.amount + 0.5)], ignore_index=True)
    ev = Evaluation(models=("logistic", "tree"), random_state=0)
    train, test = ev.split(big, "label")
    aug = Augmenter(random_state=0, progress=False, min_confidence=0.5, batch_gates=(),
                    generator="smote").fit_table(train, "label")
    out = ev.evaluate(train, test, detect_schema(train, "label"), aug.result_.augmented,
                      "auto")
    frame = pd.DataFrame(out["results"])
    assert set(frame.pathway) == {"augment", "none", "class_weights", "threshold",
                                  "random_oversampling", "smote", "sdv_ungated"}
    assert set(frame.model) == {"logistic", "tree"}
    assert out["minority"] == ["yes"] and out["test_rows"] == len(test)
    none = frame[frame.pathway == "none"]
    assert (none.train_rows == len(train)).all()
    assert (frame[frame.pathway == "augment"].train_rows > len(train)).all()
    assert (frame[frame.pathway == "class_weights"].train_rows == len(train)).all()
    assert frame[frame.pathway == "threshold"].threshold.between(0, 1).all()
    assert out["skipped"] == {}
    assert frame[["minority_f1", "brier", "ece", "roc_auc"]].notna().all().all()
