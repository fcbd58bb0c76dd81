"""The class check: a boosted, cross-fitted class model's second opinion on every row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError, InvalidDataError, NotFittedError
from augment.gates import ClassCheckGate


def _boundary(n: int, rng) -> pd.DataFrame:
    """Class ``a`` exactly where x + z > 1 (a boundary a shallow tree only approximates);
    subgroup g = 'rare' is an island deep in b's territory where 40% of rows are ``a``: the
    model finds its ``a`` rows majority-like."""
    x, z = rng.normal(0, 1, n), rng.normal(0, 1, n)
    y = np.where(x + z > 1, "a", "b").astype(object)
    g = np.full(n, "common", dtype=object)
    island = rng.random(n) < 0.06
    x[island], z[island] = rng.normal(-2.5, 0.2, island.sum()), rng.normal(-2.5, 0.2,
                                                                          island.sum())
    y[island] = np.where(rng.random(island.sum()) < 0.4, "a", "b")
    g[island] = "rare"
    return pd.DataFrame({"x": x, "z": z, "g": g, "y": y})


@pytest.fixture(scope="module")
def boundary() -> pd.DataFrame:
    return _boundary(2000, np.random.default_rng(0))


def _blurred(real: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    """A generator's class-a rows: real class-a rows plus noise that spills across the
    boundary (truth: x + z > 1 outside the island)."""
    own = real[(real["y"] == "a") & (real["g"] == "common")]
    rows = own.sample(n, replace=True, random_state=1).reset_index(drop=True)
    rows["x"] += rng.normal(0, 0.6, n)
    rows["z"] += rng.normal(0, 0.6, n)
    return rows


def _fit(real: pd.DataFrame, **params) -> ClassCheckGate:
    params = {"n_splits": 3, "max_iter": 30, "random_state": 0, **params}
    return ClassCheckGate(**params).fit(real, detect_schema(real, "y"))


@pytest.fixture(scope="module")
def fitted(boundary) -> ClassCheckGate:
    """One fitted gate; the floor is read at check time only, so tests set it."""
    return _fit(boundary)


def test_a_floor_removes_rows_across_the_boundary_that_the_class_rows_never_reach(boundary,
                                                                                  fitted):
    rng = np.random.default_rng(1)
    rows = _blurred(boundary, 2000, rng)
    wrong = (rows["x"] + rows["z"] <= 1).to_numpy()
    assert wrong.mean() > 0.15  # the proposal spills
    noise = {}
    for floor in (0.0, 0.25):
        keep = fitted.set_params(floor_quantile=floor).check(rows)["keep"].to_numpy()
        noise[floor] = wrong[keep].mean()
    assert noise[0.25] < wrong.mean() / 2
    assert noise[0.25] < noise[0.0]


def test_kept_rows_follow_the_real_rows_spread_of_p_above_the_floor(boundary, fitted):
    rows = _blurred(boundary, 3000, np.random.default_rng(2))
    gate = fitted.set_params(floor_quantile=0.0)
    out = gate.check(rows)
    kept = out.loc[out["keep"], "score"].to_numpy()
    ref = gate.real_["a"]
    # each decile of the real rows' (out-of-fold) P that the candidates reach holds about the
    # same share of the kept rows (a decile they hardly reach is kept whole, and stays short)
    def deciles(p):
        u = np.searchsorted(ref, p) / len(ref)
        return np.bincount(np.minimum((u * 10).astype(int), 9), minlength=10) / len(p)

    raw, shares = deciles(out["score"].to_numpy()), deciles(kept)
    reached = raw > 0.05
    assert reached.sum() >= 6
    assert shares[reached].max() / shares[reached].min() < 1.8, shares
    assert raw[reached].max() / raw[reached].min() > 2  # the candidates were far from that


def test_a_region_judged_against_its_own_rows_survives_the_floor(boundary, fitted):
    island = boundary[(boundary["g"] == "rare") & (boundary["y"] == "a")]
    rows = island.sample(300, replace=True, random_state=3).reset_index(drop=True)
    rows["x"] += np.random.default_rng(3).normal(0, 0.05, len(rows))
    gate = fitted.set_params(floor_quantile=0.25)
    against_class = gate.check(rows)["keep"].mean()
    gate.set_reference(island, key="g=rare")
    against_region = gate.check(rows)["keep"].mean()
    assert gate.report_[0]["reference"] == "g=rare"
    gate.set_reference(None)
    assert gate.check(rows)["keep"].mean() == pytest.approx(against_class, abs=0.1)
    assert gate.report_[0]["reference"] == "class"
    assert against_class < 0.5  # against the whole class, most of the island is cut
    assert against_region > 0.6


def test_real_rows_are_scored_out_of_fold(boundary, fitted):
    gate = fitted
    X, y = gate._encode(boundary), boundary["y"].to_numpy()
    in_sample = gate._own(gate._model(0).fit(X, y), X, y)
    # a model scores its own training rows higher on average than rows it did not see
    assert gate.oof_.mean() < in_sample.mean() - 0.005
    assert len(gate.models_) == 3


def test_unseen_real_rows_pass_at_the_rate_the_floor_leaves(boundary):
    """New rows are scored as out-of-fold real rows were (a fold model each): real rows the
    gate never saw pass about as often as the floor and the match allow."""
    half = len(boundary) // 2
    gate = _fit(boundary.iloc[:half])
    unseen = boundary.iloc[half:]
    kept = {}
    for floor in (0.0, 0.4):
        kept[floor] = gate.set_params(floor_quantile=floor).check(unseen)["keep"].mean()
    # the match loses some rows to the noise of its bin counts (about a third here, with 6-10
    # bins of 25-75 rows); the floor should cost about its own share on top, not more
    assert kept[0.0] > 0.6, kept
    assert 0.4 < kept[0.4] < 0.6 and 0.6 < kept[0.4] / kept[0.0] < 0.8, kept


def test_a_repeated_index_is_refused_and_a_relabelled_row_is_not_matched_by_label(boundary):
    doubled = pd.concat([boundary.iloc[:300], boundary.iloc[:300]])
    with pytest.raises(InvalidDataError, match="unique index"):
        _fit(doubled)
    table = boundary.iloc[:600].reset_index(drop=True)
    gate = _fit(table)
    flipped = table.iloc[:50].assign(y=np.where(table["y"].iloc[:50] == "a", "b", "a"))
    gate.set_reference(flipped, key="flipped")
    for c, ref in gate._reference.items():
        own = gate.oof_[:50][(flipped["y"] == c).to_numpy()]
        assert not np.allclose(np.sort(own.to_numpy()), ref)  # scored afresh, not looked up


def test_every_class_of_a_multiclass_table_is_checked_and_a_mistyped_class_is_named(
        multiclass):
    target = multiclass.columns[-1]
    gate = ClassCheckGate(n_splits=3, max_iter=20, random_state=0).fit(
        multiclass, detect_schema(multiclass, target))
    out = gate.check(multiclass)
    assert sorted(e["class"] for e in gate.report_) == sorted(
        multiclass[target].astype(str).unique())
    assert out["keep"].any()
    rows = multiclass.assign(**{target: "z"})
    gate.check(rows)
    assert "the real classes are" in gate.report_[0]["skipped"]


def test_rejections_say_why_and_same_seed_same_rows(boundary):
    rows = _blurred(boundary, 800, np.random.default_rng(4))
    first = _fit(boundary, floor_quantile=0.3).check(rows)
    second = _fit(boundary, floor_quantile=0.3).check(rows)
    pd.testing.assert_frame_equal(first, second)
    reasons = first.loc[~first["keep"], "reason"]
    assert reasons.str.startswith("class_check: ").all()
    assert reasons.str.contains("0.3 quantile over real rows of the class").any()


@pytest.mark.parametrize("params, message", [
    ({"floor_quantile": 1.0}, "floor_quantile must be in [0, 1)"),
    ({"n_splits": 1}, "n_splits must be an integer >= 2"),
    ({"max_train_rows": 5}, "max_train_rows must be an integer >= 100"),
])
def test_bad_parameters_are_refused_before_fitting(boundary, params, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        ClassCheckGate(**params).fit(boundary, detect_schema(boundary, "y"))


def test_an_unfitted_gate_says_so():
    with pytest.raises(NotFittedError, match="Call fit"):
        ClassCheckGate().set_reference(None)


@pytest.mark.slow
def test_the_class_check_in_a_run_lowers_label_noise_where_the_truth_is_known():
    from augment import Augmenter

    table = _boundary(1500, np.random.default_rng(5)).drop(columns="g")
    noise = {}
    for name, extra in (("default", ()), ("clean", ("class_check",))):
        gates = ("validity", "novelty", "constraints", "distance", *extra)
        aug = Augmenter(sampling_strategy={"a": 800}, profile=None, row_gates=gates,
                        batch_gates=(), random_state=0).fit_table(table, "y")
        kept = aug.result_.synthetic
        assert len(kept)
        noise[name] = float((kept["x"] + kept["z"] <= 1).mean())
        assert ("class_check" in aug.result_.gates["row"]) == bool(extra)
    assert noise["clean"] < noise["default"] / 2, noise
