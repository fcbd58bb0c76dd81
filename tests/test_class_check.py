"""The class check: a boosted, cross-fitted class model's second opinion on every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError, NotFittedError
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
    assert shares[reached].max() / shares[reached].min() < 1.5, shares
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
    schema = detect_schema(boundary, "y")
    in_sample = gate._own(gate.model_, gate._encode(boundary), boundary["y"].to_numpy())
    # the island is learnable, its rows are not memorised: out of fold is never above in sample
    # on average, and differs row by row
    assert gate.oof_.mean() < in_sample.mean()
    assert not np.allclose(gate.oof_.to_numpy(), in_sample)
    assert schema.target == "y"


def test_rejections_say_why_and_same_seed_same_rows(boundary):
    rows = _blurred(boundary, 800, np.random.default_rng(4))
    first = _fit(boundary, floor_quantile=0.3).check(rows)
    second = _fit(boundary, floor_quantile=0.3).check(rows)
    pd.testing.assert_frame_equal(first, second)
    reasons = first.loc[~first["keep"], "reason"]
    assert reasons.str.startswith("class_check: ").all()
    assert reasons.str.contains("0.3 quantile over real rows of class").any()


@pytest.mark.parametrize("params, message", [
    ({"floor_quantile": 1.0}, "floor_quantile must be in [0, 1)"),
    ({"n_splits": 1}, "n_splits must be an integer >= 2"),
    ({"max_train_rows": 5}, "max_train_rows must be an integer >= 100"),
])
def test_bad_parameters_are_refused_before_fitting(boundary, params, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(")", r"\)")):
        ClassCheckGate(**params).fit(boundary, detect_schema(boundary, "y"))


def test_an_unfitted_gate_says_so():
    with pytest.raises(NotFittedError, match="Call fit"):
        ClassCheckGate().set_reference(None)


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
