"""The big-table neighbour index must agree with all-pairs distances wherever it answers."""

import numpy as np
import pandas as pd
import pytest

from augment.data import DistanceEncoder, detect_schema
from augment.gates import DistanceGate
from augment.gates._neighbours import CATEGORY_GAP, RadiusIndex, nearest_distance


def _table(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n).round(1), "b": rng.uniform(size=n),
                       "c": rng.choice(list("xyz"), n), "d": rng.choice(list("pq"), n),
                       "y": rng.choice(["u", "v"], n)})
    df.loc[rng.choice(n, n // 25, replace=False), "a"] = np.nan
    return pd.concat([df, df.iloc[:40]], ignore_index=True)  # exact duplicates too


def _codes(df, queries):
    schema = detect_schema(df, "y")
    scaler = DistanceEncoder(schema).fit(df[schema.features])
    return scaler, scaler.transform(df[schema.features]), scaler.transform(queries[schema.features])


def _as_expected(d, radius):
    return np.where(d <= radius, d, np.inf)


@pytest.mark.parametrize(("max_pairs", "wide_window", "tree_rows"),
                         [(7, 2048, 10**9), (1_000_000, 2048, 10**9), (50, 1, 10**9),
                          (1_000_000, 2048, 1), (50, 1, 200)])
@pytest.mark.parametrize("radius", [0.005, 0.05, 0.7])
def test_matches_all_pairs_within_the_radius(radius, max_pairs, wide_window, tree_rows):
    df = _table()
    rng = np.random.default_rng(1)
    queries = df.sample(300, random_state=1).copy()
    queries["b"] += rng.normal(0, 0.01, len(queries))
    queries.iloc[:10, 2] = "unseen"
    queries.iloc[10:20, 0] = 50.0  # far outside the real range
    scaler, real, codes = _codes(df, queries)
    index = RadiusIndex(real, scaler.onehot_width_, max_pairs=max_pairs, wide_window=wide_window,
                        tree_rows=tree_rows)
    assert bool(index.trees_) == (tree_rows < 10**9)
    got = index.query(codes, radius)
    want = _as_expected(nearest_distance(codes, real), radius)
    np.testing.assert_allclose(got, want, atol=1e-7)
    assert np.isinf(got[:20]).all()  # unseen category / far away: nothing within the radius


@pytest.mark.parametrize(("wide_window", "tree_rows"), [(1, 10**9), (2048, 10**9), (2048, 1)])
def test_own_row_is_skipped_but_an_identical_other_row_counts(wide_window, tree_rows):
    df = _table()
    scaler, real, _ = _codes(df, df)
    own = np.arange(0, len(real), 5)
    index = RadiusIndex(real, scaler.onehot_width_, max_pairs=50, wide_window=wide_window,
                        tree_rows=tree_rows)
    got = index.query(real[own], 0.7, own=own)
    want = _as_expected(nearest_distance(real[own], real, own=own), 0.7)
    np.testing.assert_allclose(got, want, atol=1e-7)
    assert (got[own < 40] == 0).all()  # rows 0..39 have a duplicate at 1500..1539


def test_categories_only():
    df = pd.DataFrame({"c": list("xxyz"), "d": list("ppqq"), "y": list("uvuv")})
    scaler, real, codes = _codes(df, pd.DataFrame({"c": ["x", "z", "w"], "d": ["p", "p", "p"]}))
    index = RadiusIndex(real, scaler.onehot_width_)
    assert list(index.query(codes, 0.5)) == [0.0, np.inf, np.inf]
    assert list(index.query(real, 0.5, own=np.arange(4))) == [0.0, 0.0, np.inf, np.inf]


def test_radius_must_stay_below_one_category():
    df = _table(50)
    scaler, real, codes = _codes(df, df)
    with pytest.raises(ValueError, match="max_radius"):
        RadiusIndex(real, scaler.onehot_width_).query(codes, CATEGORY_GAP)


def test_distance_gate_decides_the_same_with_the_index():
    # no twins among the real rows: exact copies are the distance gate's to reject (with
    # twins it leaves them to the novelty gate)
    df = _table().iloc[:1500]
    schema = detect_schema(df, "y")
    rng = np.random.default_rng(2)
    rows = df.sample(400, random_state=3).copy()
    rows.loc[rows.index[::2], "b"] += rng.normal(0, 0.05, len(rows.index[::2]))
    exact = DistanceGate(random_state=0).fit(df, schema)
    indexed = DistanceGate(random_state=0, max_exact_rows=100).fit(df, schema)
    assert indexed.index_ is not None and exact.index_ is None
    assert indexed.threshold_ == pytest.approx(exact.threshold_, abs=1e-7)
    a, b = exact.check(rows, None), indexed.check(rows, None)
    assert (a["keep"] == b["keep"]).all()
    assert 0 < (~b["keep"]).sum() < len(rows)
    capped = np.minimum(a["score"], indexed.score_cap_)
    np.testing.assert_allclose(b["score"], capped, atol=1e-7)


def test_distance_gate_on_big_tables_with_many_duplicates_or_tiny_gaps():
    rng = np.random.default_rng(0)
    # half the real rows are exact duplicates: threshold 0, the gate must still work
    dup = pd.DataFrame({"c": rng.choice(list("xyz"), 400), "a": rng.integers(0, 3, 400),
                        "y": rng.choice(["u", "v"], 400)})
    schema = detect_schema(dup, "y")
    gate = DistanceGate(random_state=0, max_exact_rows=100).fit(dup, schema)
    result = gate.check(dup.iloc[:50], None)
    # every row copies a real one, and most real rows have twins: the distance gate
    # scores them as copies and leaves them to the novelty gate
    assert gate.twin_share_ > gate.quantile
    assert (result["score"] == 0).all() and result["keep"].all()
    # real neighbours 1 apart on a 5M range (tiny real-to-real distances): new rows far from
    # every real row must not be reported as copies
    amount = np.repeat(rng.uniform(0, 5e6, 300).round(), 2) + np.tile([0, 1], 300)
    wide = pd.DataFrame({"amount": amount, "y": rng.choice(["u", "v"], 600)})
    schema = detect_schema(wide, "y")
    exact = DistanceGate(random_state=0).fit(wide, schema)
    indexed = DistanceGate(random_state=0, max_exact_rows=100).fit(wide, schema)
    rows = pd.DataFrame({"amount": rng.uniform(0, 5e6, 100), "y": "u"})
    kept = indexed.check(rows, None)["keep"]
    assert kept.mean() > 0.9
    assert (exact.check(rows, None)["keep"] == kept).all()


def test_a_threshold_beyond_the_index_radius_uses_all_pairs():
    df = _table()
    schema = detect_schema(df, "y")
    gate = DistanceGate(random_state=0, min_distance=1.0, max_exact_rows=100).fit(df, schema)
    assert gate.index_ is None and gate.threshold_ == 1.0


def test_the_index_is_used_below_max_exact_rows_only_where_categories_split_finely():
    rng = np.random.default_rng(5)
    n = 3000
    fine = pd.DataFrame({"c": rng.integers(0, 40, n).astype(str), "d": rng.choice(list("pq"), n),
                         "a": rng.normal(size=n), "y": rng.choice(["u", "v"], n)})
    dense = fine.drop(columns=["c", "d"]).assign(b=rng.normal(size=n))
    gate = DistanceGate(random_state=0).fit(fine, detect_schema(fine, "y"))
    assert gate.index_ is not None  # 80 category groups, none above 10% of the rows
    exact = DistanceGate(random_state=0, max_exact_rows=n).fit(
        fine.iloc[:1999], detect_schema(fine, "y"))
    assert exact.index_ is None  # too small to bother
    rows = fine.sample(300, random_state=1).assign(a=lambda f: f["a"] + rng.normal(0, 0.01, 300))
    pairs = DistanceGate(random_state=0).fit(fine, detect_schema(fine, "y"))
    pairs.index_ = None  # force all pairs on the same fit for comparison
    pairs.score_cap_ = None
    pairs.real_codes_ = pairs.encoder_.transform(fine)
    assert (gate.check(rows, None)["keep"] == pairs.check(rows, None)["keep"]).all()
    assert DistanceGate(random_state=0).fit(dense, detect_schema(dense, "y")).index_ is None


def test_a_threshold_read_off_capped_distances_falls_back_to_all_pairs(monkeypatch):
    import augment.gates._distance as distance_module

    # 1,901 of 2,001 real rows sit alone in their category: their nearest-neighbour distances
    # are capped by the index, and the quantile would interpolate into the cap
    rng = np.random.default_rng(0)
    n = 2001
    real = pd.DataFrame({
        "x": np.r_[rng.uniform(0, 0.05, 100), rng.uniform(0, 1, n - 100)],
        "x2": np.r_[rng.uniform(0, 0.05, 100), rng.uniform(0, 1, n - 100)],
        "c": np.array(["g"] * 100 + [f"s{i}" for i in range(n - 100)], dtype=object),
        "y": rng.integers(0, 2, n)})
    schema = detect_schema(real, "y")
    rows = real.iloc[100:400].assign(x=lambda f: f["x"] + rng.uniform(0.0, 1.5, 300))
    gate = DistanceGate(quantile=99.5 / 2000, random_state=0).fit(real, schema)
    assert gate.index_ is None  # fell back to all pairs
    monkeypatch.setattr(distance_module, "_FINE_GROUPS", 0.0)  # all pairs from the start
    pairs = DistanceGate(quantile=99.5 / 2000, random_state=0).fit(real, schema)
    assert gate.threshold_ == pairs.threshold_
    assert (gate.check(rows, None)["keep"] == pairs.check(rows, None)["keep"]).all()
