import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError
from augment.gates import (
    BATCH_GATES,
    ROW_GATES,
    ConstraintGate,
    DistanceGate,
    JointGate,
    RealismGate,
    TwoSampleGate,
    dcr_distributions,
    discover_constraints,
    permutation_p_value,
)
from augment.gates._constraints import expected_breaks
from augment.gates._realism import cross_fitted_scores, threshold_for_auc


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting on a shared, busy machine is far faster on one OpenMP thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _real(n=300, seed=0):
    """Two classes; class 'b' has x ~ N(2, 1), z = x + noise, a category tied to x."""
    rng = np.random.default_rng(seed)
    label = np.where(np.arange(n) < n // 2, "a", "b")
    x = rng.normal(np.where(label == "b", 2.0, 0.0), 1.0)
    return pd.DataFrame({
        "x": x, "z": x + rng.normal(0, 0.3, n),
        "c": np.where(x > 1, "hi", "lo"), "k": rng.integers(0, 5, n),
        "label": label,
    })


def _like(n, seed, label="b"):
    """Fresh rows from the same process as class ``label`` of ``_real``."""
    return _real(4 * n, seed).query("label == @label").head(n).reset_index(drop=True)


def _fit(gate, real):
    return gate.fit(real, detect_schema(real, "label"))


def test_registries_hold_the_new_gates():
    assert {"realism", "distance", "constraints"} <= set(ROW_GATES)
    assert "joint" in BATCH_GATES


# --- realism -----------------------------------------------------------------------------------

def test_realism_drops_fake_rows_keeps_realistic_ones():
    real = _real(400)
    good = _like(150, seed=1)
    fake = good.head(50).assign(x=lambda d: d["x"] + 8, z=lambda d: -d["z"] - 8, c="lo")
    rows = pd.concat([good, fake], ignore_index=True)
    gate = _fit(RealismGate(acceptance="cut", max_p_synthetic=0.8, random_state=0), real)
    out = gate.check(rows)
    assert not out["keep"].iloc[150:].any()
    assert out["keep"].iloc[:150].mean() > 0.8
    assert out["reason"].iloc[150:].str.startswith("realism: P(synthetic)=").all()
    assert out["score"].iloc[150:].min() > out["score"].iloc[:150].median()


def test_realism_cross_fitting_never_scores_a_training_row():
    rng = np.random.default_rng(0)
    X_real, X_synth = rng.normal(size=(40, 2)), rng.normal(size=(70, 2))
    seen = []

    class Spy:
        def __init__(self, seed):
            pass

        def fit(self, X, y):
            self.rows = {tuple(r) for r in X}
            seen.append(self)
            return self

        def predict_proba(self, X):
            assert not any(tuple(r) in self.rows for r in X)  # scored rows were never trained on
            return np.tile([0.5, 0.5], (len(X), 1))

    p_real, p_synth, folds = cross_fitted_scores(X_real, X_synth, Spy, n_splits=3,
                                                 random_state=0)
    assert len(seen) == 3 and not np.isnan(p_real).any() and not np.isnan(p_synth).any()
    for fold in folds:
        assert not set(fold["train_synthetic"]) & set(fold["scored_synthetic"])
        assert not set(fold["train_real"]) & set(fold["scored_real"])
    assert sorted(np.concatenate([f["scored_synthetic"] for f in folds])) == list(range(70))


@pytest.mark.parametrize("target", [0.55, 0.6, 0.65])
def test_threshold_for_auc_reaches_target(target):
    rng = np.random.default_rng(0)
    p_real = rng.uniform(0, 0.6, 200)
    p_synth = rng.uniform(0, 1, 500)
    keep, threshold, auc = threshold_for_auc(p_real, p_synth, target)
    from sklearn.metrics import roc_auc_score

    kept = p_synth[keep]
    measured = roc_auc_score(np.r_[np.zeros(200), np.ones(len(kept))], np.r_[p_real, kept])
    assert measured <= target + 1e-9 and auc == pytest.approx(measured)
    assert kept.max() <= threshold < p_synth[~keep].min()  # a threshold, not a pick


def test_realism_target_auc_mode_reaches_target_on_its_scores():
    real = _real(600)
    good = _like(200, seed=2)
    off = _like(200, seed=3).assign(x=lambda d: d["x"] + 1.5)  # half the rows shifted
    rows = pd.concat([good, off], ignore_index=True)
    gate = _fit(RealismGate(acceptance="cut", target_auc=0.6, n_rounds=1, random_state=0), real)
    out = gate.check(rows)
    (entry,) = gate.report_
    assert entry["rounds"][0]["auc_before"] > 0.7
    assert entry["rounds"][0]["auc_kept"] <= 0.6  # out-of-fold AUC of the kept rows vs real
    assert out["keep"].iloc[:200].mean() > out["keep"].iloc[200:].mean() + 0.3
    dropped = out.loc[~out["keep"], "reason"]
    assert dropped.str.contains("to <= 0.6").all()


def test_realism_compares_a_region_with_its_own_real_rows():
    real = _real(800)
    region = real[(real["label"] == "b") & (real["x"] > 2.5)]  # a corner of class b
    rows = _like(600, seed=4).query("x > 2.5").reset_index(drop=True)
    gate = _fit(RealismGate(acceptance="cut", max_p_synthetic=0.8, random_state=0), real)
    whole_class = gate.check(rows)["keep"].mean()
    gate.set_reference(region, key="corner")
    in_region = gate.check(rows)["keep"].mean()
    assert gate.report_[0]["reference"] == "corner"
    assert gate.report_[0]["real_rows"] == len(region)
    assert in_region > whole_class + 0.15
    gate.set_reference(None)
    assert gate.check(rows.head(40)).shape[0] == 40 and gate.report_[0]["reference"] == "class"


def test_realism_skips_small_classes_and_says_so():
    real = _real(300)
    gate = _fit(RealismGate(acceptance="cut", target_auc=0.7, random_state=0, min_rows=20), real)
    out = gate.check(_like(5, seed=1))
    assert out["keep"].all() and out["score"].isna().all()
    assert "needs 20 of each" in gate.report_[0]["skipped"]


def test_realism_judges_a_small_top_up_with_earlier_rows():
    real = _real(400)
    gate = _fit(RealismGate(acceptance="cut", max_p_synthetic=0.8, random_state=0), real)
    gate.check(_like(150, seed=1))  # a first round
    top_up = pd.concat([_like(8, seed=2), _like(4, seed=3).assign(x=9.0, z=-9.0)],
                       ignore_index=True)
    out = gate.check(top_up)  # 12 rows: too few on their own
    assert gate.report_[0]["earlier_rows"] == 150 and out["score"].notna().all()
    assert not out["keep"].iloc[8:].any() and out["keep"].iloc[:8].mean() >= 0.5
    forgetful = _fit(RealismGate(acceptance="cut", max_p_synthetic=0.8, remember=False), real)
    forgetful.check(_like(150, seed=1))
    assert forgetful.check(top_up)["score"].isna().all()


@pytest.mark.parametrize(("params", "match"), [
    ({"acceptance": "cut", "max_p_synthetic": None, "target_auc": None}, "neither"),
    ({"acceptance": "cut", "max_p_synthetic": 1.5}, "max_p_synthetic"),
    ({"acceptance": "cut", "target_auc": 0.3}, "target_auc"),
    ({"target_auc": 0.7}, "thresholds of acceptance 'cut'"),
    ({"acceptance": "soft"}, "acceptance must be 'cut' or 'ratio'"),
    ({"n_splits": 1}, "n_splits"),
])
def test_realism_bad_params(params, match):
    gate = RealismGate(**params)
    assert any(match in p for p in gate.check_params())
    with pytest.raises(ConfigError, match=match):
        _fit(gate, _real(60))


# --- distance ----------------------------------------------------------------------------------

def test_distance_rejects_copies_and_near_copies():
    real = _real(300)
    fresh = _like(20, seed=5)
    copy = real.iloc[[3]]
    near = real.iloc[[7]].assign(x=lambda d: d["x"] + 1e-4)
    rows = pd.concat([fresh, copy, near], ignore_index=True)
    gate = _fit(DistanceGate(quantile=0.05, random_state=0), real)
    out = gate.check(rows)
    assert out["keep"].iloc[:20].mean() >= 0.8
    assert out.at[20, "reason"] == "distance: identical to a real record on every feature"
    assert not out.at[21, "keep"] and "closest real record" in out.at[21, "reason"]
    assert out.at[20, "score"] == pytest.approx(0, abs=1e-6)
    assert 0 < gate.threshold_ <= np.quantile(gate.real_nn_distance_, 0.05) + 1e-12


def test_dcr_distributions_compares_kept_with_holdout():
    real = _real(400)
    train, holdout = real.iloc[:300], real.iloc[300:]
    schema = detect_schema(real, "label")
    copies = dcr_distributions(train.head(50), train, holdout, schema)["summary"]
    fresh = dcr_distributions(_real(100, seed=9), train, holdout, schema)["summary"]
    assert copies["exact_copies"] == 50 and copies["share_below_holdout_q05"] == 1.0
    assert fresh["exact_copies"] == 0 and fresh["share_below_holdout_q05"] < 0.3
    assert 0.5 < fresh["median_ratio"] < 2


@pytest.mark.parametrize(("params", "match"), [
    ({"quantile": 1.0}, "quantile"), ({"min_distance": -1}, "min_distance")])
def test_distance_bad_params(params, match):
    with pytest.raises(ConfigError, match=match):
        _fit(DistanceGate(**params), _real(40))


# --- constraints -------------------------------------------------------------------------------

def _ordered(n=40, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, n)
    b = a + rng.integers(0, 3, n)
    grade = rng.choice(["A", "B"], n)
    return pd.DataFrame({"a": a, "b": b, "c": b + rng.integers(0, 3, n), "w": rng.normal(0, 1, n),
                         "grade": grade, "sub": [g + str(i % 2) for i, g in enumerate(grade)],
                         "label": rng.choice(["y", "n"], n)})


def test_declared_constraints_name_the_broken_rule():
    real = _ordered()
    gate = _fit(ConstraintGate(enforce_discovered=False, ranges={"w": [-10, 10]},
                               inequalities=["a <= b <= c"],
                               fixed_combinations=[["grade", "sub"]],
                               allowed_values={"grade": ["A", "B"]}), real)
    good = real.iloc[0]
    rows = pd.DataFrame([good] * 6).reset_index(drop=True)
    rows.loc[1, "w"] = 11.0
    rows.loc[2, "a"] = rows.loc[2, "b"] + 1
    rows.loc[3, "c"] = rows.loc[3, "b"] - 1
    rows.loc[4, "sub"] = "B0" if rows.loc[4, "grade"] == "A" else "A0"
    rows.loc[5, "grade"] = "Z"
    out = gate.check(rows)
    assert out["keep"].tolist() == [True, False, False, False, False, False]
    assert out.at[1, "reason"].startswith("constraints: -10 <= w <= 10 broken (w=11)")
    assert out.at[2, "reason"].startswith("constraints: a <= b broken")
    assert out.at[3, "reason"].startswith("constraints: b <= c broken")
    assert out.at[4, "reason"].startswith("constraints: fixed combination (grade, sub)")
    assert out.at[5, "score"] == pytest.approx(1 - 2 / 5)  # combination and allowed values
    only = _fit(ConstraintGate(enforce_discovered=False, allowed_values={"grade": ["A", "B"]}),
                real).check(rows.loc[[5]])
    assert only.at[5, "reason"] == "constraints: grade in {A, B} broken (grade=Z)"


def test_discovered_constraints_are_listed_and_enforced_when_asked():
    real = _ordered(100)  # enough rows that a <= c is evidence, not a coincidence of ranges
    found = [c.text for c in discover_constraints(real, detect_schema(real, "label"))]
    assert {"a <= b", "b <= c", "a <= c"} <= set(found)
    assert "fixed combination (sub, grade): sub determines grade" in found
    row = real.head(1).assign(a=lambda d: d["b"] + 1)
    assert _fit(ConstraintGate(enforce_discovered=False), real).check(row)["keep"].all()
    out = _fit(ConstraintGate(enforce_discovered=True), real).check(row)
    # a = b + 1 breaks a <= b, and a <= c wherever c < b + 1: the first broken rule is named
    assert not out["keep"].any() and out["reason"].iloc[0].startswith(
        ("constraints: a <= b broken", "constraints: a <= c broken"))


def test_a_coincidence_of_ranges_is_not_discovered():
    # age-like values 20-60 and blood-pressure-like values 50-110: "age <= bp" holds in every
    # row, but paired at random almost no row would break it, so it is no evidence of a rule
    rng = np.random.default_rng(0)
    n = 200
    real = pd.DataFrame({"age": rng.integers(20, 61, n), "bp": rng.integers(50, 111, n),
                         "label": rng.choice(["y", "n"], n)})
    real.loc[real["age"] > real["bp"], "age"] = 20
    assert (real["age"] <= real["bp"]).all()
    assert expected_breaks(real["age"].to_numpy(float), real["bp"].to_numpy(float)) < 10
    found = [c.text for c in discover_constraints(real, detect_schema(real, "label"))]
    assert "age <= bp" not in found
    # the same columns made dependent (bp = age + something) give a rule with evidence
    real["bp"] = real["age"] + rng.integers(0, 40, n)
    assert "age <= bp" in [c.text for c in discover_constraints(real, detect_schema(real,
                                                                                   "label"))]


def test_bad_constraints_are_listed_together():
    real = _ordered()
    gate = ConstraintGate(inequalities=["a <= nope", "c <= a"],
                          ranges={"w": [0, 1], "ghost": [0, 1]})
    with pytest.raises(ConfigError, match="unknown column") as err:
        _fit(gate, real)
    message = str(err.value)
    assert "'nope'" in message and "'ghost'" in message
    assert "'c <= a' is broken by" in message and "of 40 real rows" in message
    assert "'0 <= w <= 1' is broken by" in message


@pytest.mark.parametrize(("params", "match"), [
    ({"inequalities": ["a << b"]}, "chain"),
    ({"inequalities": ["a"]}, "chain"),
    ({"ranges": {"w": [2, 1]}}, "min 2 > max 1"),
    ({"fixed_combinations": [["a"]]}, "at least 2 columns"),
    ({"allowed_values": {"grade": []}}, "non-empty"),
])
def test_constraint_params_are_checked_before_fit(params, match):
    assert any(match in p for p in ConstraintGate(**params).check_params())


# --- batch: joint and two-sample p-value ---------------------------------------------------------

def _batch_schema(real):
    return detect_schema(pd.concat([real, real.head(5).assign(label="a")]), "label")


def test_joint_passes_same_and_fails_different():
    real = _like(300, seed=0)
    schema = _batch_schema(real)
    same = _like(300, seed=1)
    broken = same.assign(z=np.random.default_rng(0).permutation(same["z"].to_numpy()),
                         c=np.random.default_rng(1).permutation(same["c"].to_numpy()))
    gate = JointGate(min_score=0.9, random_state=0)
    assert gate.check(real, same, schema, "r").passed is True
    bad = gate.check(real, broken, schema, "r")
    assert bad.passed is False and bad.details["pairs"]["x ~ z"] < 0.7
    assert "x ~ z" in bad.message


@pytest.mark.parametrize(("shift", "small"), [(3.0, True), (0.0, False)])
def test_two_sample_p_value(shift, small):
    real = _like(200, seed=0)
    other = _like(200, seed=1).assign(x=lambda d: d["x"] + shift)
    res = TwoSampleGate(n_permutations=200, random_state=0).check(
        real, other, _batch_schema(real), "r")
    p = res.details["p_value"]
    assert (p < 0.01) if small else (p > 0.05)
    assert "permutation p=" in res.message


def test_permutation_p_value_bounds():
    y = np.r_[np.zeros(50), np.ones(50)]
    assert permutation_p_value(y, y, n_permutations=99, random_state=0) == pytest.approx(0.01)
    assert np.isnan(permutation_p_value(np.ones(5), np.arange(5.0)))


def _hand_written_p_value(y, scores, n_permutations, seed):
    """The p-value as it was computed before scipy's Mann-Whitney test: labels permuted over
    fixed scores, (1 + #{AUC_perm >= AUC}) / (1 + n)."""
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    ranks = rankdata(scores)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    offset = n_pos * (n_pos + 1) / 2.0
    observed = (ranks[y].sum() - offset) / (n_pos * n_neg)
    rng = np.random.RandomState(seed)
    perm = np.argsort(rng.random_sample((n_permutations, len(y))), axis=1)[:, :n_pos]
    null = (ranks[perm].sum(axis=1) - offset) / (n_pos * n_neg)
    return (1 + int(np.sum(null >= observed - 1e-12))) / (1 + n_permutations)


@pytest.mark.parametrize(("n_pos", "n_neg", "shift", "decimals"),
                         [(40, 60, 0.0, 1), (40, 60, 0.4, 1), (300, 300, 0.1, 2),
                          (200, 150, 0.2, 0)])
def test_permutation_p_value_agrees_with_the_hand_written_one(n_pos, n_neg, shift, decimals):
    # same null (the Mann-Whitney U's), so the two Monte Carlo estimates agree within their
    # noise; rounded scores give ties, as gradient boosting's probabilities do
    rng = np.random.default_rng(n_pos + n_neg)
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    scores = np.round(rng.normal(0, 1, len(y)) + shift * y, decimals)
    n = 4000
    new = permutation_p_value(y, scores, n_permutations=n, random_state=1)
    old = _hand_written_p_value(y, scores, n, seed=2)
    noise = np.sqrt(max(old, 1 / n) * (1 - old) / n)
    assert abs(new - old) <= 5 * noise + 1e-9, (new, old)
    assert new == permutation_p_value(y, scores, n_permutations=n, random_state=1)


def test_roc_figure_before_and_after(tmp_path):
    from augment.report._fidelity_figures import discriminator_roc

    real = _like(150, seed=0)
    fake = _like(150, seed=1).assign(x=lambda d: d["x"] + 3)
    kept = _like(100, seed=2)
    out = discriminator_roc(real, pd.concat([fake, kept]), kept, _batch_schema(real),
                            tmp_path / "roc.png", random_state=0)
    assert (tmp_path / "roc.png").stat().st_size > 1000
    assert out["auc_before"] > out["auc_after"]
