"""The DCR move every pathway but arf gets: rows no closer to the real rows than unseen ones."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_table

from augment.data import detect_schema
from augment.errors import InvalidDataError
from augment.generators import (
    GaussianCopulaGenerator,
    PerturbationGenerator,
    SMOTEGenerator,
    TVAEGenerator,
)
from augment.generators._dcr import DcrReference, Spread, perturb
from augment.profile import Region, find_class_regions


@pytest.fixture(scope="module")
def data():
    table = make_table(n_major=150, n_minor=120, seed=3)
    schema = detect_schema(table, "label")
    cls = find_class_regions(table["label"], schema, "auto")[0]
    sub = Region(id="sub", target_column="label", label=cls.label, kind="declared",
                 description="grade C, amount >= 150", count=0, target=0,
                 categories={"grade": ["C"]}, ranges={"amount": (150.0, None)})
    assert cls.label == "yes" and sub.contains(table).sum() >= 30
    return table, schema, cls, sub


def _ratio(rows, table, schema, region, seed=1):
    real = table[region.contains(table).to_numpy()]
    return DcrReference(schema, real, np.random.RandomState(seed)).ratio(rows)


@pytest.mark.parametrize("make", [lambda **kw: SMOTEGenerator(k_neighbors=3, **kw),
                                  lambda **kw: PerturbationGenerator(**kw)])
def test_rows_that_sit_close_are_moved_to_the_target(make, data):
    table, schema, cls, _ = data
    raw = make(dcr_target=None, random_state=0).fit(table, schema, [cls])
    moved = make(random_state=0).fit(table, schema, [cls])
    before = _ratio(raw.sample(800, cls), table, schema, cls)
    after = _ratio(moved.sample(800, cls), table, schema, cls)
    assert before < 0.8  # interpolated / jittered rows sit closer than unseen rows
    assert after >= 0.9  # a fresh sample, a fresh reference: near the target of 1.0
    info = moved.dcr_[cls.id]
    assert info["strength"] > 0 and info["reached"]
    assert info["ratios"]["0"] < 1.0 <= list(info["ratios"].values())[-1]
    assert moved.describe()["dcr_move"][cls.id]["strength"] == info["strength"]
    assert raw.dcr_ == {} and "dcr_move" not in raw.describe()


@pytest.mark.parametrize("conditioning", ["per_class", "conditions"])
def test_a_pathway_already_far_enough_is_left_alone(conditioning, data):
    table, schema, cls, _ = data
    plain = GaussianCopulaGenerator(conditioning=conditioning, dcr_target=None,
                                    random_state=0).fit(table, schema, [cls])
    guarded = GaussianCopulaGenerator(conditioning=conditioning, dcr_target=0.3,
                                      random_state=0).fit(table, schema, [cls])
    assert guarded.dcr_[cls.id] == {"strength": 0.0, "reached": True,
                                    "ratios": {"0": pytest.approx(0.85, abs=0.25)}}
    # the calibration draws on its own stream: the rows are those without the guard
    pd.testing.assert_frame_equal(plain.sample(60, cls), guarded.sample(60, cls))
    pd.testing.assert_frame_equal(plain.sample(60, cls), guarded.sample(60, cls))


BOUNDED = Region(id="bounded", target_column="label", label="yes", kind="declared",
                 description="amount in [150, 175), count in [3, 8)", count=0, target=0,
                 ranges={"amount": (150.0, 175.0), "count": (3, 8)})


@pytest.mark.parametrize("region", ["sub", "bounded"])
def test_moved_rows_stay_inside_their_region_and_repeat_with_the_seed(region, data):
    table, schema, cls, sub = data
    region = sub if region == "sub" else BOUNDED
    # a 41-row box is out of reach of 1.0 (0.52): a lower target, so that rows are moved
    gen = SMOTEGenerator(k_neighbors=3, dcr_target=0.4, random_state=0).fit(
        table, schema, [cls, region])
    assert gen.dcr_[region.id]["strength"] > 0  # the test is about moved rows
    rows = gen.sample(300, region)
    assert region_ok(region, rows)
    real = table[region.contains(table).to_numpy()]
    assert rows["amount"].max() <= real["amount"].max()
    assert rows["amount"].min() >= 150 and (region is sub or rows["amount"].max() < 175)
    assert np.all(rows["count"] == np.round(rows["count"]))
    again = SMOTEGenerator(k_neighbors=3, dcr_target=0.4, random_state=0).fit(
        table, schema, [region, cls])
    pd.testing.assert_frame_equal(rows, again.sample(300, region))


def region_ok(region, rows) -> bool:
    return bool(region.contains(rows).all())


def test_each_region_is_calibrated_against_its_own_rows(data, monkeypatch):
    from augment.generators import _dcr

    table, schema, cls, sub = data
    seen = {}
    real_calibrate = _dcr.calibrate

    def spy(draw, real, spread, schema, target, rng):
        seen[len(real)] = real.index
        return real_calibrate(draw, real, spread, schema, target, rng)

    monkeypatch.setattr(_dcr, "calibrate", spy)
    gen = PerturbationGenerator(random_state=0).fit(table, schema, [cls, sub])
    members = table.index[sub.contains(table).to_numpy()]
    assert set(seen) == {int(cls.contains(table).sum()), len(members)}
    assert seen[len(members)].equals(members)
    assert "ratios" in gen.dcr_[sub.id] and region_ok(sub, gen.sample(100, sub))


def test_neighbour_values_keep_categorical_dependence():
    # c2 = c1 in 95% of rows, unrelated to the numbers: cells drawn near the whole row keep
    # that; drawn from each column's values they would fall to about 30%
    rng = np.random.default_rng(0)
    n = 400
    c1 = rng.choice(list("pqrs"), n)
    c2 = np.where(rng.random(n) < 0.95, c1, rng.choice(list("pqrs"), n))
    table = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "k": rng.poisson(4, n), "c1": c1, "c2": c2,
                          "label": np.where(np.arange(n) < 150, "yes", "no")})
    schema = detect_schema(table, "label")
    cls = next(r for r in find_class_regions(table["label"], schema, "auto") if r.label == "yes")
    gen = SMOTEGenerator(random_state=0).fit(table, schema, [cls])
    assert gen.dcr_[cls.id]["strength"] >= 0.25  # every row takes neighbours' values
    assert gen.dcr_[cls.id]["scope"] == "row"
    rows = gen.sample(2000, cls)
    assert (rows["c1"] == rows["c2"]).mean() > 0.85
    spread = gen._spread[cls.id]
    mixed = _dcr_perturb(rows, spread, "numeric")
    assert (mixed["c1"] == mixed["c2"]).mean() < 0.7  # the wider scope mixes them


def _dcr_perturb(rows, spread, scope):
    return perturb(rows, spread, 0.0, 1.0, np.random.default_rng(0), scope)


def test_a_target_out_of_reach_leaves_the_rows_as_drawn():
    # a 16-row class: SMOTE's rows reach at most 0.76 over every move tried, the strongest of
    # which already strains a class's marginals; they are left as drawn, and it is said
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 32 + ["b"] * 16)
    table = pd.DataFrame({"x": rng.normal(size=48) + (y == "b"), "n": rng.integers(0, 10, 48),
                          "c": rng.choice(["p", "q", "r"], 48), "y": y})
    schema = detect_schema(table, "y")
    cls = find_class_regions(table["y"], schema, "auto")[0]
    gen = SMOTEGenerator(random_state=0).fit(table, schema, [cls])
    info = gen.dcr_[cls.id]
    assert info["reached"] is False and info["strength"] == 0.0
    assert max(info["ratios"].values()) < 1.0 and "rows left as drawn" in info["note"]
    plain = SMOTEGenerator(dcr_target=None, random_state=0).fit(table, schema, [cls])
    pd.testing.assert_frame_equal(gen.sample(30, cls), plain.sample(30, cls))


def test_perturb_leaves_its_input_alone_and_keeps_missing_values(data):
    table, schema, cls, _ = data
    real = table[cls.contains(table).to_numpy()]
    rows = real.head(40).copy()
    rows.loc[rows.index[:5], "amount"] = np.nan
    snapshot = rows.copy()
    moved = perturb(rows, Spread(real, cls, schema), 1.0, 0.5, np.random.default_rng(0))
    pd.testing.assert_frame_equal(rows, snapshot)
    assert moved["amount"].isna().sum() == 5
    assert not moved["amount"].equals(rows["amount"])
    assert set(moved["grade"]) <= set(real["grade"])


@pytest.mark.parametrize("value", [0, 3, "high", True])
def test_bad_target_is_refused_before_fitting(value, data):
    table, schema, cls, _ = data
    with pytest.raises(InvalidDataError, match="dcr_target must be null or a number"):
        SMOTEGenerator(dcr_target=value).fit(table, schema, [cls])


def test_calibration_leaves_no_trace_in_acceptance(data):
    table, schema, cls, _ = data
    gen = TVAEGenerator(epochs=1, batch_size=50, progress=False, n_threads=1,
                        random_state=0).fit(table, schema, [cls])
    assert "ratios" in gen.dcr_[cls.id]  # it did draw rows to measure them
    assert gen.acceptance_ == {}
    gen.sample(30, cls)
    assert gen.acceptance_[cls.id]["requested"] == 30


def test_a_failed_batch_check_of_moved_rows_says_how_to_keep_the_pathways_own(data):
    from augment import Augmenter
    from augment.gates import MarginalGate

    table = data[0]

    def run(**params):
        aug = Augmenter(generator=PerturbationGenerator(**params), profile=None,
                        batch_gates=(MarginalGate(min_score=0.999),), random_state=0,
                        progress=False).fit_table(table, "label")
        return [w for w in aug.result_.warnings if "batch check marginal failed" in w]

    moved, plain = run(), run(dcr_target=None)
    assert moved and plain  # a bar no rows pass: both fail
    assert "DCR move strength" in moved[0] and "generator.dcr_target=null" in moved[0]
    assert "DCR move" not in plain[0]
