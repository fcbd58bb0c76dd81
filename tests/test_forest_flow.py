import pickle

import numpy as np
import pandas as pd
import pytest

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError, InvalidDataError
from augment.generators import GENERATORS, ForestFlowGenerator
from augment.profile import Region, find_class_regions

pytest.importorskip("ForestDiffusion", reason="forestdiffusion (the 'forest' extra) not installed")

SMALL = dict(n_t=5, duplicate_K=5, n_estimators=10, max_depth=3, random_state=0)


def _regions(table, **narrow):
    schema = detect_schema(table, "label")
    cls = find_class_regions(table["label"], schema, "auto")[0]
    out = [cls]
    if narrow:
        out.append(Region(id="class=yes/r", target_column="label", label="yes",
                          description="narrow", count=0, target=0, kind="declared", **narrow))
    return schema, out


@pytest.fixture(scope="module")
def fitted():
    from conftest import make_table

    table = make_table()
    schema, regions = _regions(table, categories={"grade": {"C"}},
                               ranges={"amount": (140.0, 175.0)})
    return table, regions, ForestFlowGenerator(**SMALL).fit(table, schema, regions)


def test_class_rows_are_exact_and_near_the_class(fitted):
    table, (cls, _), gen = fitted
    rows = gen.sample(200, cls)
    assert len(rows) == 200 and (rows["label"] == "yes").all()
    assert gen.acceptance_[cls.id]["rate"] == 1.0
    real = table.loc[table.label == "yes", "amount"]
    assert abs(rows["amount"].mean() - real.mean()) < 20  # the minority sits 60 above
    counts = rows["count"].to_numpy(dtype=float)
    assert np.all(counts == np.round(counts))
    assert set(rows["grade"]) <= {"A", "B", "C"} and set(rows["flag"]) <= {True, False}


def test_region_rows_land_inside_with_reported_acceptance(fitted):
    _, (_, region), gen = fitted
    rows = gen.sample(30, region)
    assert region.contains(rows).all()
    stats = gen.acceptance_[region.id]
    assert stats["generated"] >= stats["accepted"] >= 30 and 0 < stats["rate"] <= 1
    assert "rejection" in stats["how"]


def test_same_seed_same_rows(table):
    schema, regions = _regions(table)
    a = ForestFlowGenerator(**SMALL).fit(table, schema, regions)
    b = ForestFlowGenerator(**SMALL).fit(table, schema, regions)
    first = a.sample(20, regions[0])
    pd.testing.assert_frame_equal(first, b.sample(20, regions[0]))
    assert not a.sample(20, regions[0]).equals(first)


def test_missing_values_are_reinserted_at_the_class_rate(table):
    table = table.copy()
    table.loc[table.index[::3], "amount"] = np.nan
    schema, regions = _regions(table)
    rows = ForestFlowGenerator(**SMALL).fit(table, schema, regions).sample(600, regions[0])
    share = table.loc[table.label == "yes", "amount"].isna().mean()
    assert abs(rows["amount"].isna().mean() - share) < 0.08


def test_high_cardinality_is_refused_before_fitting(table):
    table = table.assign(code=[f"c{i % 30}" for i in range(len(table))])
    schema, regions = _regions(table)
    assert schema.columns["code"].kind == "categorical"
    with pytest.raises(InvalidDataError, match=r"column 'code' has 30 categories.*Fix: use "
                                               r"generator=arf"):
        ForestFlowGenerator(max_categories=20).fit(table, schema, regions)


@pytest.mark.parametrize("params, match", [
    ({"targeting": "exact"}, "targeting must be one of"),
    ({"n_t": 1}, "n_t must be an integer >= 2; got 1"),
    ({"diffusion_type": "ddpm"}, "diffusion_type must be one of"),
    ({"n_jobs": 0}, "n_jobs must be an integer >= 1 or -1"),
])
def test_bad_config_is_a_clear_error(table, params, match):
    with pytest.raises(ConfigError, match=match):
        Augmenter(generator=ForestFlowGenerator(**params), progress=False).fit_resample(
            table.drop(columns="label"), table["label"])


def test_pickles_and_runs_through_augmenter(table, fitted):
    _, (cls, _), gen = fitted
    again = pickle.loads(pickle.dumps(gen))
    pd.testing.assert_frame_equal(again.sample(10, cls), gen.sample(10, cls))
    assert GENERATORS["forest_flow"] is ForestFlowGenerator
    aug = Augmenter(generator=ForestFlowGenerator(**SMALL), random_state=0, progress=False,
                    batch_gates=())
    X_res, _ = aug.fit_resample(table.drop(columns="label"), table["label"])
    assert len(X_res) > len(table)


def test_region_covariates_raise_acceptance_over_rejection():
    # a 6-row region of a 150-row class: the class flow lands ~3% of its rows there
    from conftest import make_table

    table = make_table(300, 150)
    schema, regions = _regions(table, categories={"grade": {"A"}},
                               ranges={"amount": (175.0, None)})
    region = regions[1]
    rates = {}
    for targeting in ("condition", "rejection"):
        gen = ForestFlowGenerator(**SMALL,
                                  targeting=targeting).fit(table, schema, regions)
        rows = gen.sample(30, region)  # rejection may run out of its budget (a shortfall)
        assert len(rows) == 30 or targeting == "rejection"
        assert region.contains(rows.assign(label="yes")).all()
        rates[targeting] = gen.acceptance_[region.id]["rate"]
        assert ("X_covs" in gen.acceptance_[region.id]["how"]) == (targeting == "condition")
        assert gen.covariate_regions_ == ([region.id] if targeting == "condition" else [])
    assert rates["condition"] > 3 * rates["rejection"]
