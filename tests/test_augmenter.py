import math

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from augment import Augmenter
from augment.errors import ConfigError, InvalidDataError
from augment.gates import DistanceGate, MarginalGate
from augment.generators import GaussianCopulaGenerator, SMOTEGenerator


def _xy(table):
    return table.drop(columns="label"), table["label"]


def _augmenter(**params):
    base = dict(random_state=0, progress=False, generator=SMOTEGenerator(k_neighbors=3),
                min_confidence=0.5, batch_gates=())
    return Augmenter(**{**base, **params})


def test_fit_resample_keeps_real_rows_first_and_unchanged(table):
    X, y = _xy(table)
    X_before, y_before = X.copy(), y.copy()
    aug = _augmenter()
    X_res, y_res = aug.fit_resample(X, y)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)
    n = len(X)
    pd.testing.assert_frame_equal(X_res.iloc[:n], X.reset_index(drop=True))
    assert list(y_res.iloc[:n]) == list(y)
    assert X_res.dtypes.equals(X.dtypes)
    assert (y_res.iloc[n:] == "yes").all() and len(y_res) > n
    assert len(aug.sample_weight_) == len(X_res)
    assert aug.sample_indices_.tolist() == list(range(n))


def test_result_has_provenance_and_reasons(table):
    aug = _augmenter(label_acceptance="strict").fit_table(table, "label")
    res = aug.result_
    syn = res.synthetic
    assert {"_synthetic", "_weight", "_label_confidence", "_region", "_generator"} <= set(
        res.augmented.columns)
    assert (syn["_region"] == "class=yes").all() and (syn["_generator"] == "smote").all()
    assert (syn["_label_confidence"] >= 0.5).all()
    assert (res.rejected["_reason"].str.len() > 0).all()
    region = res.regions[0]
    assert region["generated"] == region["kept"] + region["rejected"] + region["surplus"]
    assert sum(region["rejected_by_reason"].values()) == region["rejected"]


def test_targets_are_met_with_auto(table):
    aug = _augmenter().fit_table(table, "label")
    counts = aug.result_.augmented["label"].value_counts()
    assert counts["yes"] == counts["no"] == 60


def test_same_seed_same_output(table):
    a = _augmenter(generator="gaussian_copula").fit_table(table, "label").result_.augmented
    b = _augmenter(generator="gaussian_copula").fit_table(table, "label").result_.augmented
    pd.testing.assert_frame_equal(a, b)
    c = _augmenter(generator="gaussian_copula", random_state=1).fit_table(table, "label")
    assert not c.result_.augmented.equals(a)


def test_works_inside_imblearn_pipeline(table):
    X, y = _xy(table)
    X = X[["amount", "count"]]
    pipe = Pipeline([("augment", _augmenter()), ("scale", StandardScaler()),
                     ("model", LogisticRegression())])
    pipe.fit(X, y)
    assert set(pipe.predict(X)) <= {"no", "yes"}
    # the later steps were fitted on the real rows plus the kept synthetic ones
    kept = pipe.named_steps["augment"].result_.counts()["kept"]
    assert kept == 45  # "auto": the minority grows from 15 to 60 rows
    assert pipe.named_steps["scale"].n_samples_seen_ == len(X) + kept


def test_numpy_input_gives_numpy_output(table):
    X, y = _xy(table)
    X_res, y_res = _augmenter().fit_resample(X[["amount", "count"]].to_numpy(), y.to_numpy())
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)
    assert X_res.shape[1] == 2 and len(X_res) == len(y_res) > len(X)


def test_multiclass(multiclass):
    aug = _augmenter(generator=GaussianCopulaGenerator(), min_confidence=0.4)
    aug.fit_table(multiclass, "label")
    assert [r["id"] for r in aug.result_.regions] == ["class=b", "class=c"]
    augmented = aug.result_.augmented
    # "auto" grows every class to the majority's 50 rows; the real rows stay as they were
    assert augmented["label"].value_counts().to_dict() == {"a": 50, "b": 50, "c": 50}
    pd.testing.assert_frame_equal(augmented.loc[~augmented["_synthetic"], multiclass.columns],
                                  multiclass)
    syn = augmented[augmented["_synthetic"]]
    assert (syn["_region"] == "class=" + syn["label"]).all()
    # each class's rows look like that class (x centres at 0, 3, 6), not like another
    centre = syn.groupby("label")["x"].mean()
    real = multiclass.groupby("label")["x"].mean()
    assert (centre - real[centre.index]).abs().max() < 1.0
    agree = aug.labeler_.label(syn)["label"] == syn["label"]
    assert agree.mean() >= 0.9


def test_weight_modes(table):
    balance = _augmenter(weight_mode="balance").fit_table(table, "label").result_.augmented
    prior = _augmenter(weight_mode="prior").fit_table(table, "label").result_.augmented
    syn = balance["_synthetic"]
    assert balance.loc[syn, "_weight"].mean() == pytest.approx(1.0)
    assert (balance.loc[~syn, "_weight"] == 1.0).all()
    minority = prior["label"] == "yes"
    assert prior.loc[minority, "_weight"].sum() == pytest.approx(15)
    assert (prior.loc[~minority, "_weight"] == 1.0).all()


def test_none_generator_returns_the_real_table(table):
    X, y = _xy(table)
    aug = _augmenter(generator="none")
    X_res, _ = aug.fit_resample(X, y)
    assert len(X_res) == len(X)
    assert aug.result_.regions[0]["shortfall"] == 45
    assert any("returned no rows" in w for w in aug.result_.warnings)


def test_batch_failure_reject_moves_rows(table):
    strict = MarginalGate(min_score=1.0)  # interpolated rows never match exactly
    aug = _augmenter(batch_gates=[strict], batch_on_fail="reject").fit_table(table, "label")
    res = aug.result_
    assert res.batch[0]["passed"] is False
    assert res.counts()["kept"] == 0 and not res.augmented["_synthetic"].any()
    assert res.rejected["_reason"].str.startswith("batch: marginal").sum() == 45
    warn = _augmenter(batch_gates=[strict], batch_on_fail="warn").fit_table(table, "label")
    assert warn.result_.counts()["kept"] == 45
    assert any("rows kept" in w for w in warn.result_.warnings)


def test_all_config_problems_are_listed_at_once(table):
    aug = Augmenter(generator="gan", min_confidence=3, weight_mode="x", max_rounds=0)
    with pytest.raises(ConfigError) as info:
        aug.fit_resample(*_xy(table))
    text = str(info.value)
    for needle in ("Unknown generator 'gan'", "min_confidence", "weight_mode", "max_rounds"):
        assert needle in text


def test_class_too_small_is_caught_before_work(table):
    small = table.iloc[:63]
    with pytest.raises(InvalidDataError, match="needs at least"):
        _augmenter().fit_table(small, "label")


def test_y_length_mismatch(table):
    X, y = _xy(table)
    with pytest.raises(InvalidDataError, match="one label per row"):
        _augmenter().fit_resample(X, y.iloc[:-1])


def test_component_instances_are_not_mutated(table):
    gen = SMOTEGenerator(k_neighbors=3)
    _augmenter(generator=gen).fit_table(table, "label")
    assert gen.random_state is None and not hasattr(gen, "schema_")


@pytest.mark.parametrize("policy", ["relabel", "soft"])
def test_relabel_and_soft_policies(table, policy):
    aug = _augmenter(label_policy=policy, min_confidence=0.5).fit_table(table, "label")
    res = aug.result_
    syn = res.synthetic
    assert len(syn) > 0
    assert (syn["_intended"] == "yes").all()
    if policy == "soft":
        assert {"_proba_no", "_proba_yes"} <= set(syn.columns)
        np.testing.assert_allclose(syn["_proba_yes"], syn["_label_confidence"])
        assert (syn["label"] == "yes").all()
    else:
        moved = syn[syn["_relabelled"]]
        assert (moved["label"] != moved["_intended"]).all()
        assert (syn.loc[~syn["_relabelled"], "label"] == "yes").all()
        assert (syn["_label_confidence"] >= 0.5).all()
        # relabel takes the labeler's own label for every kept row
        said = aug.labeler_.label(syn[["amount", "count", "grade", "flag"]])["label"]
        assert (said.to_numpy() == syn["label"].to_numpy()).all()
    real = res.augmented[~res.augmented["_synthetic"]]
    assert "_relabelled" in real and not real["_relabelled"].any()
    assert (real["_intended"] == real["label"]).all()


def test_budget_shortfall_is_reported(table):
    # one round with a strict distance gate cannot fill the target: the shortfall is reported
    aug = _augmenter(max_rounds=1, max_rows_per_round=20,
                     row_gates=("validity", DistanceGate(quantile=0.9)))
    res = aug.fit_table(table, "label").result_
    region = res.regions[-1]
    # one round asks for missing / 0.5 * 1.1 rows, sent in batches of at most 20
    assert region["rounds"] == 1
    assert region["generated"] <= math.ceil(region["requested"] / 0.5 * 1.1)
    assert region["generated"] > 20
    assert region["shortfall"] == region["requested"] - region["kept_for_target"] > 0
    assert region["stopped"] == "budget: max_rounds=1 reached"
    assert any("budget: max_rounds=1" in w for w in res.warnings)


def test_a_round_larger_than_the_batch_limit_is_sent_in_batches(table):
    # the label check trusts the generator here: the test is about batching, not acceptance
    res = _augmenter(max_rounds=1, max_rows_per_round=7,
                     label_policy="intended").fit_table(table, "label").result_
    region = res.regions[-1]
    assert region["rounds"] == 1 and region["shortfall"] == 0
    assert region["generated"] > 7 and region["kept_for_target"] == region["requested"]


def test_a_region_where_nothing_passes_stops_after_two_empty_rounds(table):
    # every row is rejected by the distance gate: two empty rounds end the region early
    # (SMOTE as published: its rows sit between real rows, all nearer than the q0.999 gap)
    aug = _augmenter(max_rounds=5, row_gates=("validity", DistanceGate(quantile=0.999)),
                     label_acceptance="strict",
                     generator=SMOTEGenerator(k_neighbors=3, dcr_target=None))
    res = aug.fit_table(table, "label").result_
    region = res.regions[-1]
    assert region["kept"] == 0, "the test needs a gate nothing passes"
    assert region["rounds"] == 2 and region["stopped"].startswith("no progress")
    assert any("no progress" in w for w in res.warnings)
    # the shortfall says how many of the region's real rows the label check itself keeps
    backed = region["real_rows_backed"]
    assert 0 < backed <= region["count"]
    assert any(f"label check keeps {backed} of its {region['count']} real rows" in w
               for w in res.warnings)
    assert _augmenter(label_policy="intended").fit_table(table, "label").result_.regions[-1][
        "real_rows_backed"] is None
    # under match acceptance every region is judged against its own rows: no backed count
    assert _augmenter().fit_table(table, "label").result_.regions[-1][
        "real_rows_backed"] is None


class _Spy(DistanceGate):
    """A distance gate that records how many rows each check saw."""

    seen: list

    def _check(self, rows, labels):
        type(self).seen.append(len(rows))
        return super()._check(rows, labels)


class _RejectHalf(DistanceGate):
    """A cheap gate (cost 0) that rejects every other row it sees."""

    name = "half"
    cost = 0

    def _check(self, rows, labels):
        from augment.gates import row_result

        keep = np.arange(len(rows)) % 2 == 0
        return row_result(rows.index, keep, keep.astype(float), "half: odd row")


def test_costly_gates_see_only_rows_the_cheaper_ones_kept(table):
    _Spy.seen = []
    # configured first, but the spy (cost 3) runs after the cost-0 gate
    res = _augmenter(row_gates=(_Spy(quantile=0.0), _RejectHalf(quantile=0.0))).fit_table(
        table, "label").result_
    generated = sum(r["generated"] for r in res.regions)
    assert 0 < sum(_Spy.seen) <= generated / 2 + len(_Spy.seen)
    rejected = res.rejected[res.rejected["_reason"] == "half: odd row"]
    assert len(rejected) > 0
    # a row stopped by the first gate never met the spy: its score is missing, its reason single
    assert rejected["_score_distance"].isna().all()
    assert (rejected["_reasons"] == rejected["_reason"]).all()
    kept = res.synthetic
    assert kept["_score_distance"].notna().all() and kept["_score_half"].notna().all()


def test_check_all_sends_every_row_through_every_gate(table):
    _Spy.seen = []
    res = _augmenter(row_gates=(_Spy(quantile=0.0), _RejectHalf(quantile=0.0)),
                     check_all=True).fit_table(table, "label").result_
    generated = sum(r["generated"] for r in res.regions)
    assert sum(_Spy.seen) == generated
    rejected = res.rejected[res.rejected["_reason"] == "half: odd row"]
    assert rejected["_score_distance"].notna().all()
    # later checks also ran on these rows: their reasons are joined after the first one
    assert rejected["_reasons"].str.startswith("half: odd row").all()
    assert rejected["_reasons"].str.contains("; ").any()


def test_check_all_must_be_a_bool(table):
    with pytest.raises(ConfigError, match="check_all must be true or false"):
        _augmenter(check_all="yes").fit_table(table, "label")


class _RejectAll(_RejectHalf):
    name = "wall"

    def _check(self, rows, labels):
        from augment.gates import row_result

        keep = np.zeros(len(rows), bool)
        return row_result(rows.index, keep, keep.astype(float), "wall: no row passes")


def test_a_gate_no_row_reached_reports_nothing(table):
    res = _augmenter(row_gates=(_RejectAll(quantile=0.0),), max_rounds=2).fit_table(
        table, "label").result_
    region = res.regions[-1]
    assert region["kept"] == 0 and region["rejected_by_reason"] == {"wall": region["generated"]}
    assert "label" not in region["gate_reports"]  # the label gate never saw a row


@pytest.mark.parametrize("policy", ["agree", "relabel"])
def test_stopping_early_changes_no_verdict_and_no_confidence(table, policy):
    # deterministic checks only: the match acceptance thins by the spread of the rows that
    # reach it, so under check_all (every row reaches it) its random draws differ
    _Spy.seen = []
    gates = (_Spy(quantile=0.05), _RejectHalf(quantile=0.0))
    runs = [_augmenter(row_gates=gates, label_policy=policy, check_all=check_all,
                       label_acceptance="strict").fit_table(
        table, "label").result_ for check_all in (False, True)]
    cascade, every = (r.rejected for r in runs)
    assert cascade["_reason"].tolist() == every["_reason"].tolist()
    np.testing.assert_allclose(cascade["_label_confidence"], every["_label_confidence"])
    pd.testing.assert_frame_equal(runs[0].synthetic, runs[1].synthetic)


def test_kept_rows_never_repeat_each_other_across_batches(table):
    # small batches and few distinct values: repeats across batches are likely
    coarse = table.assign(amount=(table["amount"] // 40) * 40.0)
    res = _augmenter(max_rows_per_round=6, max_rounds=2, generator=SMOTEGenerator(k_neighbors=3),
                     row_gates=("validity", "novelty")).fit_table(coarse, "label").result_
    features = ["amount", "count", "grade", "flag"]
    kept = res.synthetic
    assert len(kept) > 10
    assert not kept.duplicated(subset=features).any()
    assert (res.rejected["_reason"] == "novelty: repeats another synthetic row").any()


def test_a_fitted_augmenter_pickles(table):
    import pickle

    aug = Augmenter(random_state=0, progress=False, batch_gates=())
    aug.fit_resample(*_xy(table))
    again = pickle.loads(pickle.dumps(aug))
    pd.testing.assert_frame_equal(again.result_.augmented, aug.result_.augmented)
    pd.testing.assert_frame_equal(again.rejected_, aug.rejected_)
