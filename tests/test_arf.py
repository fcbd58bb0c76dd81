import pickle

import numpy as np
import pandas as pd
import pytest

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError, InvalidDataError
from augment.generators import GENERATORS, ARFGenerator
from augment.profile import Region, find_class_regions


def _region(table, **narrow):
    schema = detect_schema(table, "label")
    cls = find_class_regions(table["label"], schema, "auto")[0]
    if not narrow:
        return schema, cls
    return schema, Region(id="class=yes/r", target_column="label", label="yes",
                          description="narrow", count=0, target=0, kind="declared", **narrow)


def _fit(table, regions, **params):
    schema = detect_schema(table, "label")
    return ARFGenerator(**{"n_trees": 10, "random_state": 0, **params}).fit(table, schema,
                                                                          regions)


@pytest.mark.parametrize("numeric", ["auto", "truncnorm", "empirical"])
@pytest.mark.parametrize("narrow", [
    {"categories": {"grade": {"C"}}},
    {"ranges": {"amount": (150.0, 165.0)}},
    {"ranges": {"count": (4.5, 7.0)}, "categories": {"grade": {"A", "B"}, "flag": {True}}},
    {"ranges": {"amount": (None, 155.0), "count": (6, None)}},
])
def test_region_sampling_is_exact(table, numeric, narrow):
    _, cls = _region(table)
    _, region = _region(table, **narrow)
    gen = _fit(table, [cls, region], numeric=numeric)
    rows = gen.sample(300, region)
    assert len(rows) == 300
    assert region.contains(rows).all()
    stats = gen.acceptance_[region.id]
    assert stats["rate"] == 1.0 and stats["generated"] == 300 and "exact" in stats["how"]


def test_region_weights_follow_the_class_density(table):
    # P(grade = C | class yes) is about 0.65: aiming at {A, B} must keep their relative shares
    _, cls = _region(table)
    _, region = _region(table, categories={"grade": {"A", "B"}})
    gen = _fit(table, [cls, region])
    rows = gen.sample(2000, region)
    assert set(rows["grade"]) <= {"A", "B"} and set(rows["grade"]) == {"A", "B"}
    cls_rows = gen.sample(2000, cls)
    assert (cls_rows["grade"] == "C").mean() > 0.45  # the class's own mix, not the condition's
    assert abs(rows["amount"].mean() - table.loc[table.label == "yes", "amount"].mean()) < 15


def test_unreachable_region_reports_a_shortfall(table):
    _, cls = _region(table)
    _, region = _region(table, ranges={"amount": (10_000.0, None)})
    gen = _fit(table, [cls, region])
    assert len(gen.sample(20, region)) == 0
    assert "no leaf" in gen.acceptance_[region.id]["shortfall"]


def test_class_rows_stay_near_their_class(table):
    _, cls = _region(table)
    rows = _fit(table, [cls]).sample(500, cls)
    assert (rows["label"] == "yes").all()
    real = table.loc[table.label == "yes", "amount"]
    assert abs(rows["amount"].mean() - real.mean()) < 10
    assert rows["amount"].between(real.min(), real.max()).all()  # boxes ∩ the class's range


def test_same_seed_same_rows_calls_differ(table):
    _, cls = _region(table)
    a, b = _fit(table, [cls]), _fit(table, [cls])
    first = a.sample(50, cls)
    pd.testing.assert_frame_equal(first, b.sample(50, cls))
    assert not a.sample(50, cls).equals(first)
    other = ARFGenerator(n_trees=10, random_state=1).fit(table, detect_schema(table, "label"),
                                                          [cls])
    assert not other.sample(50, cls).equals(first)


def test_integers_and_missing_values():
    rng = np.random.default_rng(0)
    n = 300
    table = pd.DataFrame({
        "age": rng.integers(18, 80, n).astype("int64"),
        "income": np.where(rng.random(n) < 0.3, np.nan, rng.lognormal(10, 0.5, n)),
        "city": np.where(rng.random(n) < 0.2, None, rng.choice(["x", "y", "z"], n)),
        "label": np.where(rng.random(n) < 0.3, "yes", "no"),
    })
    _, cls = _region(table)
    rows = _fit(table, [cls]).sample(2000, cls)
    ages = rows["age"].to_numpy(dtype=float)
    assert np.all(ages == np.round(ages))
    real = table[table.label == "yes"]
    for col in ("income", "city"):  # missing shares follow the class's
        assert abs(rows[col].isna().mean() - real[col].isna().mean()) < 0.08
    assert set(rows["city"].dropna()) <= {"x", "y", "z"}


def test_boolean_and_multiclass(multiclass):
    schema = detect_schema(multiclass, "label")
    regions = find_class_regions(multiclass["label"], schema, "not majority")
    gen = ARFGenerator(n_trees=5, random_state=0).fit(multiclass, schema, regions)
    for region in regions:
        rows = gen.sample(100, region)
        assert (rows["label"] == region.label).all()
        real = multiclass.loc[multiclass.label == region.label, "x"]
        assert abs(rows["x"].mean() - real.mean()) < 1.0
    assert set(gen.fit_report_) == {"b", "c"}


def test_adversarial_rounds_and_budget():
    rng = np.random.default_rng(0)
    n = 600  # correlated columns: the product of marginals is easy to tell from real rows
    x = rng.normal(size=n)
    table = pd.DataFrame({"a": x, "b": x + 0.1 * rng.normal(size=n), "label": "yes"})
    table.loc[:99, "label"] = "no"
    schema = detect_schema(table, "label")
    regions = find_class_regions(table["label"], schema, {"yes": 600})
    gen = ARFGenerator(n_trees=10, random_state=0).fit(table, schema, regions)
    report = gen.fit_report_["yes"]
    assert report["oob_accuracy"][0] > 0.6 and report["rounds"] >= 1
    assert report["oob_accuracy"][-1] < report["oob_accuracy"][0]
    rows = gen.sample(1000, regions[0])
    assert np.corrcoef(rows["a"], rows["b"])[0, 1] > 0.8  # leaves keep the dependence
    quick = ARFGenerator(n_trees=10, max_seconds=1e-9, random_state=0).fit(table, schema, regions)
    assert quick.fit_report_["yes"]["rounds"] == 0
    assert "max_seconds" in quick.fit_report_["yes"]["stopped"]


@pytest.mark.parametrize("params, match", [
    ({"n_trees": 0}, "n_trees must be an integer >= 1; got 0"),
    ({"min_node_size": 2.5}, "min_node_size"),
    ({"delta": 0.7}, r"delta must be a number in \[0, 0.5\)"),
    ({"numeric": "kde"}, "numeric must be one of"),
    ({"alpha": -1}, "alpha must be .auto. or a number >= 0"),
    ({"alpha": "big"}, "alpha must be .auto. or a number >= 0"),
    ({"dcr_target": 0}, "dcr_target must be a number in"),
    ({"max_seconds": -1}, "max_seconds must be a number > 0"),
    ({"max_tree_rows": 10}, "max_tree_rows must be an integer >= 100 or null"),
    ({"early_stop": "yes"}, "early_stop must be true or false"),
])
def test_bad_config_is_a_clear_error(table, params, match):
    with pytest.raises(ConfigError, match=match):
        Augmenter(generator=ARFGenerator(**params), progress=False).fit_resample(
            table.drop(columns="label"), table["label"])
    assert any(match.split()[0] in p for p in ARFGenerator(**params).check_params())
    schema, cls = _region(table)
    with pytest.raises(InvalidDataError, match="Fix"):
        ARFGenerator(**params).fit(table, schema, [cls])


def test_pickles_after_fit(table):
    _, cls = _region(table)
    gen = _fit(table, [cls])
    again = pickle.loads(pickle.dumps(gen))
    pd.testing.assert_frame_equal(again.sample(30, cls), gen.sample(30, cls))


def test_end_to_end_through_augmenter(table):
    assert GENERATORS["arf"] is ARFGenerator
    X, y = table.drop(columns="label"), table["label"]
    aug = Augmenter(generator="arf", random_state=0, progress=False, batch_gates=())
    X_res, y_res = aug.fit_resample(X, y)
    assert len(X_res) > len(X) and (y_res.iloc[len(X):] == "yes").all()
    synthetic = aug.result_.augmented
    synthetic = synthetic[synthetic["_synthetic"]]
    assert (synthetic["_generator"] == "arf").all()
    X2, _ = Augmenter(generator="arf", random_state=0, progress=False,
                      batch_gates=()).fit_resample(X, y)
    pd.testing.assert_frame_equal(X_res, X2)


def test_auto_draws_spiky_columns_from_real_values():
    rng = np.random.default_rng(0)
    n = 400
    debt = np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(7, 1, n))  # zero-inflated
    table = pd.DataFrame({"debt": np.round(debt, 2), "smooth": rng.normal(size=n),
                          "label": np.where(np.arange(n) < 150, "yes", "no")})
    _, cls = _region(table)
    auto = _fit(table, [cls])
    assert auto.empirical_columns_["yes"] == ["debt"]
    real_zero = (table.loc[table.label == "yes", "debt"] == 0).mean()
    assert abs((auto.sample(2000, cls)["debt"] == 0).mean() - real_zero) < 0.06
    smeared = _fit(table, [cls], numeric="truncnorm").sample(2000, cls)
    assert (smeared["debt"] == 0).mean() < real_zero - 0.2  # a normal smears the spike


def test_too_small_class_is_refused_before_fitting(table):
    tiny = pd.concat([table[table.label == "no"], table[table.label == "yes"].head(3)])
    schema, cls = _region(tiny)
    with pytest.raises(InvalidDataError, match=r"class=yes has 3 row.*needs at least 5"):
        ARFGenerator().fit(tiny, schema, [cls])


def _discrete_table(n=400, seed=0):
    # discrete columns tied to a hidden group: leaves of a handful of near-identical rows
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 6, n)
    return pd.DataFrame({
        "year": 1997 + (g + (rng.random(n) < 0.2)) % 6, "checks": g // 2 + rng.integers(0, 2, n),
        "colour": np.where((g % 2 == 0) ^ (rng.random(n) < 0.1), "a", "b"),
        "sex": np.where(rng.random(n) < 0.9, "m", "f"), "age": 18 + 4 * g + rng.integers(0, 12, n),
        "label": np.where(np.arange(n) < 150, "yes", "no")})


def _exact_copies(rows, real, columns):
    def key(frame):
        frame = frame[columns].astype({c: float for c in ("year", "checks", "age")})
        return frame.astype(str).agg("|".join, axis=1)

    return key(rows).isin(set(key(real))).mean()


def test_auto_alpha_moves_rows_off_copies_of_a_discrete_class():
    table = _discrete_table()
    _, cls = _region(table)
    columns = [c for c in table if c != "label"]
    real = table[table.label == "yes"]
    plain = _fit(table, [cls], alpha=0)
    auto = _fit(table, [cls])
    report = auto.fit_report_["yes"]
    assert plain.fit_report_["yes"]["alpha"] == 0 and report["alpha"] > 0
    ratios = list(report["alpha_dcr_ratio"].values())
    assert ratios[-1] >= auto.dcr_target > ratios[0]  # stopped at the first setting that reached
    assert _exact_copies(auto.sample(1000, cls), real, columns) < \
        _exact_copies(plain.sample(1000, cls), real, columns)
    again = _fit(table, [cls])  # same seed: same choice, same rows
    assert again.fit_report_["yes"]["alpha_dcr_ratio"] == report["alpha_dcr_ratio"]
    pd.testing.assert_frame_equal(again.sample(50, cls), _fit(table, [cls]).sample(50, cls))


def test_auto_alpha_stops_at_no_smoothing_when_that_reaches_the_target():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(300, 10)).round(3), columns=list("abcdefghij"))
    table["label"] = np.where(np.arange(300) < 100, "yes", "no")
    _, cls = _region(table)
    gen = _fit(table, [cls], dcr_target=0.8)
    report = gen.fit_report_["yes"]
    assert report["alpha"] == 0 and list(report["alpha_dcr_ratio"]) == ["0 (none)"]
    assert report["alpha_dcr_ratio"]["0 (none)"] >= 0.8
    pd.testing.assert_frame_equal(gen.sample(50, cls), _fit(table, [cls], alpha=0).sample(50, cls))


def test_alpha_mixes_each_leaf_with_the_class_inside_its_box():
    # a leaf's smoothed category shares: (own counts + alpha * the class's shares among the
    # categories its box allows) / (rows + alpha)
    table = _discrete_table()
    _, cls = _region(table)
    gen = _fit(table, [cls], alpha=50.0, n_trees=1, max_iters=0, min_node_size=20)
    leaves = gen.forests_["yes"]
    plain = _fit(table, [cls], alpha=0, n_trees=1, max_iters=0, min_node_size=20)
    j = gen.categorical_columns_.index("sex")
    real = table[table.label == "yes"]
    k = len(gen.categories_["sex"]) + 1
    codes = pd.Categorical(real["sex"], categories=gen.categories_["sex"]).codes
    class_share = np.bincount(codes, minlength=k) / len(real)
    count = leaves["count"][:, None]
    inside = (np.arange(k) > leaves["box"][0][:, len(gen.numeric_columns_) + j, None]) & \
        (np.arange(k) <= leaves["box"][1][:, len(gen.numeric_columns_) + j, None])
    prior = class_share * inside
    prior = prior / prior.sum(axis=1, keepdims=True)
    want = (count * plain.forests_["yes"]["categorical"][j] + 50 * prior) / (count + 50)
    np.testing.assert_allclose(leaves["categorical"][j], want)
    assert not np.allclose(leaves["categorical"][j], plain.forests_["yes"]["categorical"][j])


@pytest.mark.parametrize("narrow", [
    {"categories": {"colour": {"a"}}, "ranges": {"checks": (1, 3)}},
    {"ranges": {"year": (1999, 2001), "age": (None, 30)}},
])
def test_region_sampling_stays_exact_with_alpha(narrow):
    table = _discrete_table()
    _, cls = _region(table)
    _, region = _region(table, **narrow)
    gen = _fit(table, [cls, region], alpha=10.0)
    rows = gen.sample(300, region)
    assert len(rows) == 300 and region.contains(rows).all()


def _charge_table(n=300, seed=0):
    # a charge that is minutes x a rate rounded to cents, and a column that only correlates
    rng = np.random.default_rng(seed)
    minutes = np.round(rng.uniform(0, 350, n), 1)
    return pd.DataFrame({"minutes": minutes, "charge": np.round(minutes * 0.045, 2),
                         "calls": rng.integers(50, 150, n),
                         "noisy": np.round(minutes * 2 + rng.normal(0, 5, n), 1),
                         "label": np.where(np.arange(n) < 100, "yes", "no")})


def test_an_exact_affine_column_is_drawn_from_its_parent():
    table = _charge_table()
    _, cls = _region(table)
    gen = _fit(table, [cls])
    assert gen.fit_report_["yes"]["linked"] == {"charge": "minutes"}  # not calls or noisy
    rows = gen.sample(500, cls)
    np.testing.assert_allclose(rows["charge"], np.round(rows["minutes"] * 0.045, 2), atol=0.011)
    assert (rows["charge"] * 100 - np.round(rows["charge"] * 100)).abs().max() < 1e-6
    unlinked = np.abs(rows["noisy"] - 2 * rows["minutes"])  # still drawn on its own
    assert unlinked.max() > 20


def test_a_region_pinning_a_linked_column_stays_exact():
    table = _charge_table()
    _, cls = _region(table)
    _, region = _region(table, ranges={"charge": (5.0, 10.0)})
    rows = _fit(table, [cls, region]).sample(200, region)
    assert len(rows) == 200 and region.contains(rows).all()
    np.testing.assert_allclose(rows["charge"], np.round(rows["minutes"] * 0.045, 2), atol=0.011)


def _affine_table(slope, intercept, n=300, seed=0, integer=False):
    # y = intercept + slope * x exactly within each class (x to one decimal, or integers)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 100, n) if integer else np.round(rng.uniform(0, 100, n), 1)
    return pd.DataFrame({"x": x, "y": np.round(intercept + slope * x, 1), "z": rng.normal(0, 1, n),
                         "label": np.where(np.arange(n) < 100, "yes", "no")})


def _assert_affine(rows, slope, intercept):
    computed = intercept + slope * rows["x"]
    np.testing.assert_array_equal(rows["y"], np.round(computed, 1))  # the child's own rounding
    assert (rows["y"] - computed).abs().max() <= 0.05 + 1e-9


@pytest.mark.parametrize("numeric", ["truncnorm", "empirical"])
@pytest.mark.parametrize("integer", [False, True])
def test_a_range_on_a_linked_child_is_drawn_through_its_parent(numeric, integer):
    # y = 2x + 1 (rounded to 0.1): 50 <= y < 80 becomes 24.475 <= x < 39.475 (x an integer:
    # 25..39); every row must sit there with y computed from x, not drawn in the range alone
    table = _affine_table(2.0, 1.0, integer=integer)
    _, cls = _region(table)
    _, region = _region(table, ranges={"y": (50.0, 80.0)})
    gen = _fit(table, [cls, region], numeric=numeric)
    assert gen.fit_report_["yes"]["linked"] == {"y": "x"}
    rows = gen.sample(300, region)
    assert len(rows) == 300 and region.contains(rows).all()
    assert gen.acceptance_[region.id]["rate"] == 1.0
    _assert_affine(rows, 2.0, 1.0)
    assert rows["y"].max() < 80.0 and rows["x"].between(24.475, 39.475).all()
    again = _fit(table, [cls, region], numeric=numeric).sample(300, region)
    pd.testing.assert_frame_equal(rows, again)  # same seed, same rows


@pytest.mark.parametrize("parent", [None, (15.0, 25.0)])
def test_a_negative_slope_flips_the_child_range_onto_its_parent(parent):
    # y = 50 - 3x: -40 <= y < 10 is 40/3 < x <= 30 (the child's exclusive bound becomes the
    # parent's inclusive one), intersected with a range the region puts on x itself
    table = _affine_table(-3.0, 50.0)
    _, cls = _region(table)
    ranges = {"y": (-40.0, 10.0), **({"x": parent} if parent else {})}
    _, region = _region(table, ranges=ranges)
    gen = _fit(table, [cls, region])
    assert gen.fit_report_["yes"]["linked"] == {"y": "x"}
    rows = gen.sample(300, region)
    assert len(rows) == 300 and region.contains(rows).all()
    _assert_affine(rows, -3.0, 50.0)
    low, high = parent or (40 / 3, 30.0)
    assert rows["x"].min() >= low - 0.02 and rows["x"].max() <= high + 0.02


def test_ranges_on_a_linked_child_and_its_parent_that_never_meet_are_a_shortfall():
    # 50 <= y < 80 needs 24.5 <= x < 39.5; with x < 10 no row can be in the region: no
    # rows and the reason, not rows that break the relation (or leave the region)
    table = _affine_table(2.0, 1.0)
    _, cls = _region(table)
    _, region = _region(table, ranges={"y": (50.0, 80.0), "x": (0.0, 10.0)})
    gen = _fit(table, [cls, region])
    assert len(gen.sample(50, region)) == 0
    stats = gen.acceptance_[region.id]
    assert stats["delivered"] == 0 and stats["requested"] == 50
    assert "no leaf" in stats["shortfall"] and "y is computed from x" in stats["shortfall"]
    assert len(gen.sample(50, cls)) == 50  # the class itself is untouched


def test_smoothed_empirical_draws_keep_the_missing_share():
    # a zero-inflated (empirical) column, missing in 30% of the class's rows: draws mixed
    # with pseudo-rows must be missing as often as the smoothed leaves say, not less
    rng = np.random.default_rng(0)
    n = 400
    debt = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.lognormal(5, 1, n), 2))
    debt[rng.random(n) < 0.3] = np.nan
    table = pd.DataFrame({"debt": debt, "x": rng.normal(size=n),
                          "label": np.where(np.arange(n) < 150, "yes", "no")})
    _, cls = _region(table)
    gen = _fit(table, [cls], alpha=20.0)
    leaves = gen.forests_["yes"]
    assert gen.empirical_columns_["yes"] == ["debt"]
    j = gen.numeric_columns_.index("debt")
    want = float(leaves["coverage"] @ leaves["missing"][:, j])
    got = gen.sample(4000, cls)["debt"].isna().mean()
    assert abs(got - want) < 0.03  # before: pseudo-rows never missing, 0.13 vs 0.27
    _, region = _region(table, ranges={"debt": (0.0, 100.0)})
    rows = _fit(table, [cls, region], alpha=20.0).sample(300, region)
    assert len(rows) == 300 and region.contains(rows).all()


def _wide_small_class(n_yes=80, seed=0):
    # a small class of continuous amounts (a round value repeats a few times, as in
    # lending_club's 79 bad loans), a spiky count and categories tied to the amounts
    rng = np.random.default_rng(seed)
    n = 3 * n_yes
    amount = np.round(rng.lognormal(9, 0.5, n), 0)
    amount[rng.choice(n_yes, 5, replace=False)] = 10000.0  # 5 of 80 rows (6%): not a spike
    grade = np.where(amount > np.median(amount), "high", "low")
    return pd.DataFrame({
        "amount": amount, "rate": np.round(rng.normal(12, 3, n), 2),
        "inquiries": np.where(rng.random(n) < 0.6, 0, rng.integers(1, 4, n)),
        "grade": np.where(rng.random(n) < 0.1, "mid", grade),
        "state": rng.choice(list("abcdefghij"), n), "term": rng.choice(["36", "60"], n),
        "label": np.where(np.arange(n) < n_yes, "yes", "no")})


def test_a_value_repeated_by_a_few_rows_of_a_small_class_is_not_a_spike():
    # before (SPIKE_ROWS 3) 5 rows at one amount made the column empirical: its draws copied
    # the leaves' amounts exactly and only smoothing moved rows off the real ones
    table = _wide_small_class()
    _, cls = _region(table)
    gen = _fit(table, [cls])
    assert gen.empirical_columns_["yes"] == ["inquiries"]  # 60% zeros: a spike


def test_auto_alpha_smooths_the_categorical_columns_first():
    table = _wide_small_class()
    _, cls = _region(table)
    gen = _fit(table, [cls], dcr_target=0.8)
    report = gen.fit_report_["yes"]
    tried = list(report["alpha_dcr_ratio"])
    assert tried[0] == "0 (none)" and tried[1] == "0.5 (categorical)"
    # before: "discrete" from the first step (the empirical columns' draws mixed too)
    assert report["smoothed"] == "categorical" and report["alpha"] > 0
    leaves = gen.forests_["yes"]
    raw = _fit(table, [cls], alpha=0).forests_["yes"]
    # numeric columns keep their own leaves' distributions and draws; categories are mixed
    for key in ("mean", "sd", "missing"):
        np.testing.assert_array_equal(leaves[key], raw[key])
    assert leaves["empirical_alpha"] == 0
    j = gen.categorical_columns_.index("state")
    assert not np.allclose(leaves["categorical"][j], raw["categorical"][j])
    again = _fit(table, [cls], dcr_target=0.8)
    pd.testing.assert_frame_equal(gen.sample(50, cls), again.sample(50, cls))


def test_a_class_without_categorical_columns_starts_smoothing_at_the_discrete_ones():
    table = _wide_small_class().drop(columns=["grade", "state", "term"])
    _, cls = _region(table)
    report = _fit(table, [cls], dcr_target=1.5).fit_report_["yes"]  # out of reach: all tried
    tried = list(report["alpha_dcr_ratio"])
    assert tried[:2] == ["0 (none)", "0.5 (discrete)"] and tried[-1] == "50 (all)"
